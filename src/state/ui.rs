//! Focus, zoom, dialogs, the input line and the status line.

use jiff::Timestamp;

use std::cmp::Reverse;

use crate::action::{Action, KeyContext, Pane};
use crate::command::{Command, Target};
use crate::model::event::DescribedPod;
use crate::model::rollout::{DiffLine, RevisionRow, UndoPreview};
use crate::state::list::{ListState, Mode};
use crate::state::rollouts::RolloutKey;

/// A window over the panes. Only one at a time.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Overlay {
    #[default]
    None,
    /// `?`: every key of the focused pane.
    Help,
    /// Enter on a pod: loading until its detail arrives. `scroll` is over its wrapped lines.
    PodDetail {
        target: Target,
        detail: Option<Box<DescribedPod>>,
        scroll: ListState<()>,
    },
    /// Enter on an alert: every label and annotation, rule expression, silences.
    AlertDetail {
        fingerprint: String,
        scroll: ListState<()>,
    },
    /// `s` on an alert: matchers, duration and comment of a new silence being edited.
    Silence(Box<crate::state::silence_form::SilenceForm>),
    /// A mutation waiting for `y`/`n`. The dialog owns the exact command that will run.
    Confirm(Box<ConfirmDialog>),
    /// Enter on a rollout: its revisions (`kubectl rollout history`) and a diff.
    RolloutHistory(HistoryView),
    /// `b` / `:slo`: every SLO with its burn-rate pairs and sparklines.
    Slos(crate::state::slo::SloView),
}

/// The revision history of one Deployment; rows come from the rollouts state at render time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryView {
    pub key: RolloutKey,
    /// The revisions, newest first; the cursor follows its revision as new ones arrive.
    pub list: ListState<Reverse<u64>>,
}

impl HistoryView {
    pub fn new(key: RolloutKey, revisions: &[RevisionRow]) -> HistoryView {
        let mut view = HistoryView {
            key,
            list: ListState::new(Mode::Follow),
        };
        view.set_revisions(revisions);
        view
    }

    /// The revisions changed (a rollout happened while the history is open).
    pub fn set_revisions(&mut self, revisions: &[RevisionRow]) {
        let mut keys: Vec<Reverse<u64>> = revisions.iter().map(|r| Reverse(r.revision)).collect();
        keys.sort_unstable();
        self.list.set_rows(keys);
    }

    /// The revision under the cursor.
    pub fn selected(&self) -> Option<u64> {
        self.list.selected().map(|r| r.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmDialog {
    pub title: String,
    pub command: Command,
    /// What else the dialog shows (diff, warning, server dry run).
    pub detail: ConfirmDetail,
}

impl ConfirmDialog {
    /// A dialog with nothing but the command.
    pub fn new(title: impl Into<String>, command: Command) -> ConfirmDialog {
        ConfirmDialog {
            title: title.into(),
            command,
            detail: ConfirmDetail::default(),
        }
    }
}

/// Extra lines of a confirmation dialog.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfirmDetail {
    /// The change, line by line (e.g. the template diff of an undo).
    pub diff: Vec<DiffLine>,
    /// One line of warning (e.g. the object is managed by GitOps).
    pub warning: Option<String>,
    /// A server-side dry run of the command, when one was asked for.
    pub preview: Preview,
}

/// The server-side dry run shown in a confirmation dialog.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Preview {
    /// Not applicable to this command.
    #[default]
    None,
    /// Asked, no answer yet.
    Pending,
    Done(UndoPreview),
}

/// What the bottom input line is collecting.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Input {
    #[default]
    None,
    /// `/`: the filter of the focused pane, applied as typed. `previous` is restored by Esc.
    Filter { text: String, previous: String },
    /// `/` on the log pane: the search, applied as typed. `previous` is restored by Esc.
    Search { text: String, previous: String },
    /// `&` on the log pane: the line filter, applied as typed. `previous` is restored by Esc.
    LogFilter { text: String, previous: String },
    /// `:`: a command line.
    Command { text: String },
    /// A destructive action on a protected context: the context name to type before its
    /// dialog (which waits here) opens.
    Arm {
        text: String,
        dialog: Box<ConfirmDialog>,
    },
}

impl Input {
    /// The text being edited.
    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self {
            Input::Filter { text, .. }
            | Input::Search { text, .. }
            | Input::LogFilter { text, .. }
            | Input::Command { text }
            | Input::Arm { text, .. } => Some(text),
            Input::None => None,
        }
    }

    /// What cancelling restores.
    pub fn previous(&self) -> Option<&str> {
        match self {
            Input::Filter { previous, .. }
            | Input::Search { previous, .. }
            | Input::LogFilter { previous, .. } => Some(previous),
            Input::Command { .. } | Input::Arm { .. } | Input::None => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Error,
}

/// The last message for the user (outcome of an action, a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub level: Level,
    pub at: Timestamp,
    /// A key to mention after the text, shown as bound in the keymap.
    pub hint: Option<KeyHint>,
}

/// "press KEY to WHAT" after a status message: the key of `action` in `context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHint {
    pub context: KeyContext,
    pub action: Action,
    pub what: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UiState {
    pub focus: Pane,
    pub zoomed: bool,
    pub overlay: Overlay,
    pub input: Input,
    pub status: Option<Status>,
    /// After `o`: the pane to go back to on Esc.
    pub jump_back: Option<Pane>,
    /// After `o` on a rollout or pod: the row whose alerts the alerts pane lists.
    pub alerts_of: Option<crate::state::related::RowRef>,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            focus: Pane::Pods,
            zoomed: false,
            overlay: Overlay::None,
            input: Input::None,
            status: None,
            jump_back: None,
            alerts_of: None,
        }
    }
}

impl UiState {
    pub fn focus_offset(&mut self, delta: isize) {
        let n = Pane::ALL.len() as isize;
        let at = (self.focus.index() as isize + delta).rem_euclid(n) as usize;
        self.focus = Pane::ALL[at];
    }

    pub fn set_status(&mut self, text: impl Into<String>, level: Level, at: Timestamp) {
        self.status = Some(Status {
            text: text.into(),
            level,
            at,
            hint: None,
        });
    }

    /// A status message followed by "press KEY to …".
    pub fn set_status_hint(&mut self, text: &str, hint: KeyHint, at: Timestamp) {
        self.set_status(text, Level::Info, at);
        if let Some(status) = &mut self.status {
            status.hint = Some(hint);
        }
    }
}
