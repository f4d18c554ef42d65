//! Alert-pane actions on [`AppState`]: cursor, detail, filter routing, and the silence flow
//! (edit matchers, duration and comment; then the usual confirmation; or expire a silence).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::ui::{ConfirmDialog, Level, Overlay};
use super::{AppState, edit};
use crate::action::Pane;
use crate::command::{Command, Matcher, SilenceSpec, Target};
use crate::model::alert::{AlertRow, AlertState};
use crate::state::list::{ListState, Mode, Move};

/// The silence dialog: one line per label (on = part of the silence), then duration, comment
/// and author. Dropping labels widens the silence.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    /// Alertmanager that will receive the silence (where the alert came from).
    pub alertmanager: String,
    /// The alert the silence was started from (for the confirmation).
    pub target: Target,
    /// `(label, value, included)`.
    pub matchers: Vec<(String, String, bool)>,
    /// Duration text, e.g. `1h`, `30m`, `2h30m`.
    pub duration: String,
    pub comment: String,
    pub created_by: String,
    /// The lines, matchers then duration, comment, created by; the cursor is on the field
    /// being edited.
    pub fields: ListState<()>,
    /// Why Enter was refused.
    pub error: Option<String>,
}

/// Which editable field a cursor position is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Matcher(usize),
    Duration,
    Comment,
    CreatedBy,
}

impl SilenceForm {
    /// A form for silencing `row`, every label included.
    pub fn for_alert(row: &AlertRow, target: Target, duration: &str, created_by: &str) -> Self {
        let mut fields = ListState::with_len(Mode::Follow, row.labels.len() + 3);
        fields.select(row.labels.len());
        SilenceForm {
            alertmanager: row.source.clone(),
            target,
            matchers: row
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), true))
                .collect(),
            duration: duration.to_string(),
            comment: String::new(),
            created_by: created_by.to_string(),
            fields,
            error: None,
        }
    }

    pub fn field(&self) -> Field {
        let n = self.matchers.len();
        match self.fields.cursor() {
            i if i < n => Field::Matcher(i),
            i if i == n => Field::Duration,
            i if i == n + 1 => Field::Comment,
            _ => Field::CreatedBy,
        }
    }

    /// The silence this form describes, or why it cannot be created.
    pub fn to_spec(&self) -> Result<SilenceSpec, String> {
        let matchers: Vec<Matcher> = self
            .matchers
            .iter()
            .filter(|(_, _, on)| *on)
            .map(|(name, value, _)| Matcher {
                name: name.clone(),
                value: value.clone(),
                is_regex: false,
                is_equal: true,
            })
            .collect();
        if matchers.is_empty() {
            return Err(
                "keep at least one label: a silence without matchers mutes everything".into(),
            );
        }
        let duration = parse_duration(&self.duration)?;
        if self.comment.trim().is_empty() {
            return Err("a comment is required (why is this silenced?)".into());
        }
        if self.created_by.trim().is_empty() {
            return Err("created by is required".into());
        }
        Ok(SilenceSpec {
            alertmanager: self.alertmanager.clone(),
            matchers,
            duration,
            created_by: self.created_by.trim().to_string(),
            comment: self.comment.trim().to_string(),
        })
    }
}

/// `1h`, `30m`, `2h30m`, `1d`: positive, at most 90 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?} (e.g. 30m, 1h, 2h30m, 1d)");
    let d: jiff::SignedDuration = text.trim().parse().or_else(|_| {
        // jiff's friendly format has no bare `d` unit on a duration; allow `1d` as 24h.
        text.trim()
            .strip_suffix('d')
            .and_then(|n| n.parse::<i64>().ok())
            .map(|n| jiff::SignedDuration::from_hours(n * 24))
            .ok_or_else(bad)
    })?;
    let d = Duration::try_from(d).map_err(|_| bad())?;
    if d < Duration::from_secs(60) || d > Duration::from_secs(90 * 86_400) {
        return Err(format!("duration {text:?} must be between 1m and 90d"));
    }
    Ok(d)
}

impl AppState {
    /// The filter of the focused pane.
    pub(super) fn focused_filter(&self) -> &str {
        match self.ui.focus {
            Pane::Alerts => self.alerts.filter(),
            Pane::Logs => self.logs.search().map(|p| p.text.as_str()).unwrap_or(""),
            _ => self.pods.filter(),
        }
    }

    pub(super) fn set_focused_filter(&mut self, text: &str) {
        match self.ui.focus {
            Pane::Alerts => self.alerts.set_filter(text, self.now),
            Pane::Logs => self.logs.set_search(text),
            _ => self.pods.set_filter(text),
        }
    }

    pub(super) fn open_alert(&mut self) {
        if let Some(v) = self.alerts.selected() {
            self.ui.overlay = Overlay::AlertDetail {
                fingerprint: v.row.fingerprint.clone(),
                scroll: ListState::new(Mode::Text),
            };
        }
    }

    /// The alert `s` acts on: the one in the detail view, else the selected one.
    fn silence_subject(&self) -> Option<AlertRow> {
        if let Overlay::AlertDetail { fingerprint, .. } = &self.ui.overlay {
            return self.alerts.find(fingerprint).map(|v| v.row.clone());
        }
        if self.ui.focus != Pane::Alerts {
            return None;
        }
        self.alerts.selected().map(|v| v.row.clone())
    }

    /// `s`: silence the alert, or, when it is silenced already, offer to expire the silence.
    pub(super) fn silence(&mut self) -> Vec<super::Effect> {
        let Some(row) = self.silence_subject() else {
            return vec![];
        };
        if !self.alerts.can_silence(&row.source) {
            let text =
                "silences need an Alertmanager (--alertmanager-url or [alerts] alertmanager_urls)";
            self.ui.set_status(text, Level::Error, self.now);
            return vec![];
        }
        let target = Target {
            context: self.context.clone(),
            namespace: row.namespace().unwrap_or("").to_string(),
            name: row.name.clone(),
        };
        if let (AlertState::Silenced, Some(id)) = (row.state, row.silenced_by.first()) {
            let command = Command::ExpireSilence {
                target,
                alertmanager: row.source.clone(),
                silence_id: id.clone(),
            };
            self.ui.overlay = Overlay::Confirm(Box::new(ConfirmDialog::new(
                format!("Expire the silence of {} ?", row.name),
                command,
            )));
            return vec![];
        }
        let duration = format!("{:#}", self.alerts.settings.silence_duration);
        let created_by = self.alerts.settings.created_by.clone();
        let form = SilenceForm::for_alert(&row, target, &duration, &created_by);
        self.ui.overlay = Overlay::Silence(Box::new(form));
        vec![]
    }

    /// A key while the silence dialog is open.
    pub(super) fn handle_silence_key(&mut self, key: KeyEvent) {
        let Overlay::Silence(form) = &mut self.ui.overlay else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.ui.overlay = Overlay::None;
                self.ui.set_status("cancelled", Level::Info, self.now);
                return;
            }
            KeyCode::Char('c') if ctrl => {
                self.ui.overlay = Overlay::None;
                return;
            }
            KeyCode::Enter => {
                match form.to_spec() {
                    Ok(spec) => {
                        let command = Command::CreateSilence {
                            target: form.target.clone(),
                            silence: Box::new(spec),
                        };
                        let title = format!("Silence {} ?", form.target.name);
                        self.ui.overlay =
                            Overlay::Confirm(Box::new(ConfirmDialog::new(title, command)));
                    }
                    Err(e) => form.error = Some(e),
                }
                return;
            }
            KeyCode::Up | KeyCode::BackTab => form.fields.go(Move::Up),
            KeyCode::Down | KeyCode::Tab => form.fields.go(Move::Down),
            _ => match form.field() {
                Field::Matcher(i) => {
                    if matches!(key.code, KeyCode::Char(' ' | 'x')) {
                        form.matchers[i].2 = !form.matchers[i].2;
                    }
                }
                Field::Duration => edit(&mut form.duration, key),
                Field::Comment => edit(&mut form.comment, key),
                Field::CreatedBy => edit(&mut form.created_by, key),
            },
        }
        form.error = None;
    }
}
