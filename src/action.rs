//! What the user asked for: keys and the `:` command line both resolve to an [`Action`].

use serde::{Deserialize, Serialize};

/// A pane of the dashboard. The same noun is used in `state`, `ui` and `sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    Pods,
    Rollouts,
    Alerts,
    Logs,
    /// The incident timeline, shown in the logs pane's place (`T`).
    Timeline,
}

impl Pane {
    /// Panes in focus order (Tab).
    pub const ALL: [Pane; 4] = [Pane::Pods, Pane::Rollouts, Pane::Alerts, Pane::Logs];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Pods => "Pods",
            Pane::Rollouts => "Rollouts",
            Pane::Alerts => "Alerts",
            Pane::Logs => "Logs",
            Pane::Timeline => "Timeline",
        }
    }

    /// The pane's place in [`Pane::ALL`] (the timeline takes the logs pane's).
    pub fn index(self) -> usize {
        let slot = if self == Pane::Timeline {
            Pane::Logs
        } else {
            self
        };
        Pane::ALL.iter().position(|p| *p == slot).unwrap_or(0)
    }
}

/// Where a key binding applies: the focused pane, or whatever has the keys instead of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// Every pane (after the focused pane's own bindings).
    Global,
    Pane(Pane),
    /// A confirmation dialog is open.
    Dialog,
    /// A text field has the keys: the `/` `&` `:` input line, or a field of a form.
    Input,
    /// The silence form (its fields are edited with the input keys).
    Silence,
}

impl KeyContext {
    /// Every context, as named in `[keys.NAME]`.
    pub const ALL: [KeyContext; 9] = [
        KeyContext::Global,
        KeyContext::Pane(Pane::Pods),
        KeyContext::Pane(Pane::Rollouts),
        KeyContext::Pane(Pane::Alerts),
        KeyContext::Pane(Pane::Logs),
        KeyContext::Pane(Pane::Timeline),
        KeyContext::Dialog,
        KeyContext::Input,
        KeyContext::Silence,
    ];

    /// The name in the config (`[keys.logs]`).
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Pane(Pane::Pods) => "pods",
            KeyContext::Pane(Pane::Rollouts) => "rollouts",
            KeyContext::Pane(Pane::Alerts) => "alerts",
            KeyContext::Pane(Pane::Logs) => "logs",
            KeyContext::Pane(Pane::Timeline) => "timeline",
            KeyContext::Dialog => "dialog",
            KeyContext::Input => "input",
            KeyContext::Silence => "silence",
        }
    }

    pub fn from_name(name: &str) -> Option<KeyContext> {
        KeyContext::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The context whose bindings apply after this one's own: the global keys after a pane's,
    /// the line-editing keys after the silence form's. Dialogs and the input line take no others.
    pub fn fallback(self) -> Option<KeyContext> {
        match self {
            KeyContext::Pane(_) => Some(KeyContext::Global),
            KeyContext::Silence => Some(KeyContext::Input),
            KeyContext::Global | KeyContext::Dialog | KeyContext::Input => None,
        }
    }
}

/// A user intent. Unit variants are the names used in the `[keys]` config table
/// (`undo_rollout = ["u"]`); variants with data come from the command line or typed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    FocusNext,
    FocusPrev,
    FocusPods,
    FocusRollouts,
    FocusAlerts,
    FocusLogs,
    /// `5` / `:timeline`: show and focus the incident timeline.
    FocusTimeline,
    /// `T`: the timeline in place of the logs pane (narrowed to the selection), and back.
    ToggleTimeline,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Zoom,
    /// Filter the focused list as you type (`!text` excludes).
    Filter,
    /// Logs: search (highlight matches, `n`/`N` jump between them).
    Search,
    NextMatch,
    PrevMatch,
    CommandLine,
    Help,
    TailLogs,
    /// `o`: alert → its workload's row; rollout or pod → its alerts.
    OpenRelated,
    /// `b` on the alerts pane / `:slo`: every SLO, its burn-rate pairs and sparklines.
    Slos,
    Restart,
    UndoRollout,
    ScaleUp,
    ScaleDown,
    Silence,
    Pause,
    Wrap,
    Timestamps,
    /// Logs: show JSON lines readably (level, time, message first, then `key=value`).
    ReadableJson,
    /// Logs: tail the previous (terminated) container instead of the running one.
    Previous,
    /// Logs: keep only lines matching a regex (`!regex` drops matching lines).
    FilterLines,
    Confirm,
    Cancel,
    /// Input line or form: accept (Enter).
    InputAccept,
    /// Input line or form: cancel, restoring what was there before (Esc).
    InputCancel,
    /// Input: delete the character before the cursor.
    InputBackspace,
    /// Input: clear the line.
    InputClear,
    /// Input: delete the word before the cursor.
    InputDeleteWord,
    /// Silence form: next field.
    FieldNext,
    /// Silence form: previous field.
    FieldPrev,
    /// Silence form: include or drop the label under the cursor.
    ToggleLabel,
    /// A printable character typed into a text field (not a config name).
    InsertChar(char),
    /// `:ns NAME` / `:ns all`: `None` means every namespace.
    SetNamespace(Option<String>),
    /// `:ctx NAME`.
    SetContext(String),
    /// `:theme NAME`.
    SetTheme(String),
    /// `:export [FILE]`: write the incident report (`None`: the default file name).
    Export(Option<String>),
    /// `M`: presentation mode (high contrast, banner, redaction) on and off.
    TogglePresentation,
    /// `F`: freeze the screen (data keeps arriving into the state) / resume.
    Freeze,
    /// `:incident start [NAME]`.
    StartIncident(Option<String>),
    /// `:incident end`.
    EndIncident,
    /// `:disarm`: end the arming of the context early.
    Disarm,
}

impl Action {
    /// Whether this action edits a text field; such bindings win over typing the key as text.
    pub fn is_line_edit(&self) -> bool {
        matches!(
            self,
            Action::InputAccept
                | Action::InputCancel
                | Action::InputBackspace
                | Action::InputClear
                | Action::InputDeleteWord
        )
    }

    /// Parse a `:` command line (`ns NAME`, `ns all`, `ctx NAME`, `theme NAME`, `timeline`,
    /// `export [FILE]`, `incident start [NAME]`, `incident end`, `disarm`, `q`).
    pub fn from_command_line(line: &str) -> Result<Action, String> {
        let all: Vec<&str> = line.split_whitespace().collect();
        match all.as_slice() {
            ["incident", "start"] => return Ok(Action::StartIncident(None)),
            ["incident", "start", name @ ..] => {
                return Ok(Action::StartIncident(Some(name.join(" "))));
            }
            ["incident", "end" | "stop"] => return Ok(Action::EndIncident),
            ["incident", ..] => return Err("usage: incident start [NAME] | incident end".into()),
            ["disarm"] => return Ok(Action::Disarm),
            _ => {}
        }
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("");
        let arg = words.next();
        if words.next().is_some() {
            return Err(format!("too many arguments: {line}"));
        }
        match (verb, arg) {
            ("ns" | "namespace", Some("all" | "*" | "-A")) => Ok(Action::SetNamespace(None)),
            ("ns" | "namespace", Some(ns)) => Ok(Action::SetNamespace(Some(ns.to_string()))),
            ("ctx" | "context", Some(ctx)) => Ok(Action::SetContext(ctx.to_string())),
            ("theme", Some(name)) => Ok(Action::SetTheme(name.to_string())),
            ("q" | "quit" | "q!", None) => Ok(Action::Quit),
            ("timeline", None) => Ok(Action::FocusTimeline),
            ("slo" | "slos", None) => Ok(Action::Slos),
            ("export", file) => Ok(Action::Export(file.map(str::to_string))),
            ("ns" | "namespace" | "ctx" | "context" | "theme", None) => {
                Err(format!("{verb} needs an argument"))
            }
            ("", _) => Err("empty command".to_string()),
            _ => Err(format!(
                "unknown command: {verb} (try ns, ctx, theme, timeline, slo, export, incident, disarm, q)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_parses_into_actions() {
        assert_eq!(
            Action::from_command_line("ns payments"),
            Ok(Action::SetNamespace(Some("payments".into())))
        );
        assert_eq!(
            Action::from_command_line(" ns  all "),
            Ok(Action::SetNamespace(None))
        );
        assert_eq!(
            Action::from_command_line("ctx prod"),
            Ok(Action::SetContext("prod".into()))
        );
        assert_eq!(
            Action::from_command_line("theme light"),
            Ok(Action::SetTheme("light".into()))
        );
        assert_eq!(Action::from_command_line("q"), Ok(Action::Quit));
        assert!(
            Action::from_command_line("ns")
                .unwrap_err()
                .contains("argument")
        );
        assert!(
            Action::from_command_line("frob x")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(Action::from_command_line("ns a b").is_err());
    }

    #[test]
    fn unit_actions_use_snake_case_names() {
        let a: Action = serde_json::from_str("\"undo_rollout\"").unwrap();
        assert_eq!(a, Action::UndoRollout);
        assert_eq!(
            serde_json::to_string(&Action::FocusNext).unwrap(),
            "\"focus_next\""
        );
    }
}
