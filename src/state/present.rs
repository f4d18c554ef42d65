//! On the call and on prod: presentation mode (`M`), the frozen screen (`F`), the incident
//! window (`:incident start|end`, or a critical alert with `[incident] auto_start`) and the
//! arming of destructive actions on protected contexts (`[safety] protected_contexts`,
//! `:disarm`). Time comes from `now` only. What the audit log records goes out as
//! [`Command::Note`]s for the executor to write.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::action::Action;
use crate::command::{Command, Note, Target};
use crate::model::alert::Severity;
use crate::redact::Redactor;
use crate::state::ui::{ConfirmDialog, Input, Level, Overlay, Preview};
use crate::state::{AppState, Effect};

/// Presentation mode and the frozen screen.
#[derive(Debug, Clone)]
pub struct Presentation {
    pub on: bool,
    /// `F`: since when the picture stands still (the state keeps changing).
    pub frozen: Option<Timestamp>,
    /// What is hidden on screen and in `:export` while `on`.
    pub redactor: Arc<Redactor>,
}

impl Default for Presentation {
    fn default() -> Self {
        let none: [&str; 0] = [];
        Presentation {
            on: false,
            frozen: None,
            redactor: Arc::new(Redactor::presentation(
                &[],
                crate::redact::DEFAULT_PATTERNS,
                &none,
            )),
        }
    }
}

/// An incident marked with `:incident start` (or by a critical alert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub name: String,
    pub started: Timestamp,
    /// `:incident end`; the last incident stays for the export.
    pub ended: Option<Timestamp>,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.ended.is_none()
    }

    /// How long it has lasted at `now` (or lasted, once ended).
    pub fn duration(&self, now: Timestamp) -> SignedDuration {
        self.ended.unwrap_or(now).duration_since(self.started)
    }
}

/// `HH:MM:SS` of a duration (hours past 99 as they are).
pub fn hms(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `M:SS` of what is left of the arming.
pub fn ms(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

/// Which contexts need arming, and the arming in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Safety {
    /// Globs (`*`, `?`), case-insensitive. Empty (the state's default): none.
    pub protected: Vec<String>,
    pub arm_minutes: u32,
    pub armed: Option<Armed>,
    /// `[incident] auto_start`.
    pub auto_incident: bool,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            protected: Vec::new(),
            arm_minutes: 10,
            armed: None,
            auto_incident: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armed {
    pub context: String,
    pub until: Timestamp,
}

impl Safety {
    pub fn is_protected(&self, context: &str) -> bool {
        self.protected.iter().any(|g| glob_match(g, context))
    }

    /// What is left of the arming of `context` at `now`.
    pub fn armed_left(&self, context: &str, now: Timestamp) -> Option<SignedDuration> {
        let armed = self.armed.as_ref().filter(|a| a.context == context)?;
        let left = armed.until.duration_since(now);
        left.is_positive().then_some(left)
    }
}

/// `*` any run, `?` one character; case-insensitive.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let g: Vec<char> = glob.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if gi < g.len() && (g[gi] == '?' || g[gi] == t[ti]) {
            gi += 1;
            ti += 1;
        } else if gi < g.len() && g[gi] == '*' {
            star = Some((gi, ti));
            gi += 1;
        } else if let Some((sg, st)) = star {
            gi = sg + 1;
            ti = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

impl AppState {
    /// `M`, `F`, `:incident`, `:disarm`.
    pub(super) fn handle_present(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::TogglePresentation => {
                self.present.on = !self.present.on;
                let text = if self.present.on {
                    "presentation mode: high contrast, redacted"
                } else {
                    "presentation mode off"
                };
                self.ui.set_status(text, Level::Info, self.now);
                vec![Effect::Present(self.present.on)]
            }
            Action::Freeze => {
                self.present.frozen = match self.present.frozen {
                    Some(_) => None,
                    None => Some(self.now),
                };
                vec![]
            }
            Action::StartIncident(name) => self.start_incident(name, self.now, false),
            Action::EndIncident => self.end_incident(),
            Action::Disarm => self.disarm(false),
            _ => vec![],
        }
    }

    /// The incident open now, if any.
    pub fn open_incident(&self) -> Option<&Incident> {
        self.incident.as_ref().filter(|i| i.is_open())
    }

    fn note(&mut self, name: &str, note: Note) -> Effect {
        let target = Target {
            context: self.context.clone(),
            namespace: self.namespace.clone().unwrap_or_default(),
            name: name.to_string(),
        };
        self.run(Command::Note { target, note })
    }

    fn start_incident(&mut self, name: Option<String>, at: Timestamp, auto: bool) -> Vec<Effect> {
        if let Some(open) = self.open_incident() {
            let text = format!(
                "incident {} is open since {} UTC (:incident end first)",
                open.name,
                open.started.strftime("%H:%M:%S")
            );
            self.ui.set_status(text, Level::Error, self.now);
            return vec![];
        }
        let name = name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("incident-{}", at.strftime("%Y%m%d-%H%M")));
        self.incident = Some(Incident {
            name: name.clone(),
            started: at,
            ended: None,
        });
        let text = format!("incident {name} started (:incident end closes it)");
        self.ui.set_status(text, Level::Info, self.now);
        self.incident_entry(&name, at, "incident started");
        vec![self.note(&name, Note::IncidentStarted { auto })]
    }

    /// The incident window in the timeline, with the session's actions.
    fn incident_entry(&mut self, name: &str, at: Timestamp, text: &str) {
        self.timeline.add(crate::model::timeline::Entry {
            at,
            kind: crate::model::timeline::EntryKind::Action,
            namespace: self.namespace.clone().unwrap_or_default(),
            object: format!("incident/{name}"),
            text: text.to_string(),
            count: 1,
            key: format!("incident:{name}:{at}:{text}"),
            workload: None,
        });
    }

    fn end_incident(&mut self) -> Vec<Effect> {
        let now = self.now;
        let Some(incident) = self.incident.as_mut().filter(|i| i.is_open()) else {
            self.ui
                .set_status("no incident is open", Level::Error, self.now);
            return vec![];
        };
        incident.ended = Some(now);
        let (name, duration) = (incident.name.clone(), hms(incident.duration(now)));
        let text = format!("incident {name} ended after {duration}");
        self.ui.set_status(text, Level::Info, self.now);
        self.incident_entry(&name, now, &format!("incident ended after {duration}"));
        vec![self.note(&name, Note::IncidentEnded { duration })]
    }

    /// A critical alert started firing: with `auto_start`, it opens an incident named after
    /// it, from when it started.
    pub(super) fn auto_incident(&mut self, before: &super::incident::Firing) -> Vec<Effect> {
        if !self.safety.auto_incident || self.open_incident().is_some() {
            return vec![];
        }
        let first = self
            .alerts
            .firing()
            .filter(|a| a.severity == Severity::Critical && !before.contains(&a.fingerprint))
            .min_by_key(|a| a.starts_at)
            .map(|a| (a.name.clone(), a.starts_at.unwrap_or(self.now)));
        match first {
            Some((name, at)) => self.start_incident(Some(name), at.min(self.now), true),
            None => vec![],
        }
    }

    fn disarm(&mut self, expired: bool) -> Vec<Effect> {
        let Some(armed) = self.safety.armed.take() else {
            self.ui.set_status("not armed", Level::Info, self.now);
            return vec![];
        };
        let text = if expired {
            format!("arming of {} expired", armed.context)
        } else {
            format!("disarmed {}", armed.context)
        };
        self.ui.set_status(text, Level::Info, self.now);
        let target = Target {
            context: armed.context,
            namespace: self.namespace.clone().unwrap_or_default(),
            name: String::new(),
        };
        vec![self.run(Command::Note {
            target,
            note: Note::Disarmed { expired },
        })]
    }

    /// The clock ticked: an arming whose time is up ends.
    pub(super) fn expire_arming(&mut self) -> Vec<Effect> {
        match &self.safety.armed {
            Some(a) if a.until <= self.now => self.disarm(true),
            _ => vec![],
        }
    }

    /// Whether `command` may not go to its dialog before the context is armed.
    fn needs_arming(&self, command: &Command) -> bool {
        let context = &command.target().context;
        command.is_destructive()
            && !self.readonly
            && self.safety.is_protected(context)
            && self.safety.armed_left(context, self.now).is_none()
    }

    /// Open the confirmation dialog of a mutation, or first the arming prompt when its
    /// context is protected and not armed. Returns whether the dialog is open.
    pub(super) fn open_confirm(&mut self, dialog: ConfirmDialog) -> bool {
        if self.needs_arming(&dialog.command) {
            self.ui.input = Input::Arm {
                text: String::new(),
                dialog: Box::new(dialog),
            };
            return false;
        }
        self.ui.overlay = Overlay::Confirm(Box::new(dialog));
        true
    }

    /// `y` in a dialog whose arming ran out meanwhile: ask again.
    pub(super) fn rearm_on_confirm(&mut self, dialog: ConfirmDialog) -> Option<ConfirmDialog> {
        if !self.needs_arming(&dialog.command) {
            return Some(dialog);
        }
        self.ui.set_status(
            "arming expired: type the context name again",
            Level::Error,
            self.now,
        );
        self.open_confirm(dialog);
        None
    }

    /// Enter in the arming prompt: the right name arms and opens the dialog (nothing runs
    /// before `y`); a wrong one refuses.
    pub(super) fn accept_arming(&mut self, typed: &str, dialog: ConfirmDialog) -> Vec<Effect> {
        let context = dialog.command.target().context.clone();
        let t = dialog.command.target();
        let action = format!("{} {}/{}", dialog.command.verb(), t.namespace, t.name);
        if typed.trim() != context {
            let text =
                format!("refused: that is not the context name ({context}); {action} not sent");
            self.ui.set_status(text, Level::Error, self.now);
            return vec![self.note("", Note::ArmRefused { action })];
        }
        let minutes = self.safety.arm_minutes;
        self.safety.armed = Some(Armed {
            context: context.clone(),
            until: self.now + SignedDuration::from_mins(i64::from(minutes)),
        });
        let text = format!("ARMED {context} for {minutes} min (:disarm ends it)");
        self.ui.set_status(text, Level::Ok, self.now);
        let mut effects = vec![self.note("", Note::Armed { minutes })];
        let preview = match (&dialog.command, &dialog.detail.preview) {
            (Command::UndoRollout { target, undo }, Preview::Pending) => {
                Some(Command::PreviewUndo {
                    target: target.clone(),
                    undo: undo.clone(),
                })
            }
            _ => None,
        };
        self.ui.overlay = Overlay::Confirm(Box::new(dialog));
        effects.extend(preview.map(|c| self.run(c)));
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_case_insensitively() {
        assert!(glob_match("*prod*", "gke_prod-eu-1"));
        assert!(glob_match("*prod*", "PROD"));
        assert!(glob_match("*prd*", "aws-prd-1"));
        assert!(!glob_match("*prod*", "staging"));
        assert!(glob_match("eu-?", "eu-1"));
        assert!(!glob_match("eu-?", "eu-12"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn clocks() {
        assert_eq!(hms(SignedDuration::from_secs(17 * 60 + 42)), "00:17:42");
        assert_eq!(ms(SignedDuration::from_secs(9 * 60 + 41)), "9:41");
    }
}
