//! What keys mean on the rollouts pane and in the revision history: history, restart, undo,
//! scale, pause/resume, each confirmed (refused before the dialog when RBAC already said no,
//! see `access.rs`); movement is a list move (`paging.rs`).

use crate::action::Action;
use crate::command::{Command, Target, Undo};
use crate::model::rollout::{
    UndoPreview, WorkloadInfo, current_revision, previous_revision, template_diff,
};
use crate::state::rollouts::RolloutKey;
use crate::state::ui::{ConfirmDetail, ConfirmDialog, HistoryView, Level, Overlay, Preview};
use crate::state::{AppState, Effect};

impl AppState {
    /// An action for the rollouts pane (global ones never get here).
    pub(super) fn handle_rollouts(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Open => self.open_history(),
            Action::TailLogs => return self.tail_selected(false),
            Action::Filter => self.open_filter(),
            Action::Back if !self.rollouts.filter().is_empty() => self.rollouts.set_filter(""),
            action => return self.act_on_rollout(action),
        }
        vec![]
    }

    /// An action in the revision history: movement chooses a revision, `u` undoes to it, Esc
    /// closes; the other rollout actions apply to the history's Deployment.
    pub(super) fn handle_history(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Back => self.ui.overlay = Overlay::None,
            action => return self.act_on_rollout(action),
        }
        vec![]
    }

    /// Restart, undo, scale, pause/resume the subject (each confirmed).
    fn act_on_rollout(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Restart => self.rollout_restart(),
            Action::UndoRollout => {
                let to = match &self.ui.overlay {
                    Overlay::RolloutHistory(h) => h.selected(),
                    _ => None,
                };
                self.undo(to)
            }
            Action::ScaleUp => self.scale(1),
            Action::ScaleDown => self.scale(-1),
            Action::Pause => self.toggle_pause(),
            _ => vec![],
        }
    }

    /// The workload an action applies to: the one in the history view, else the selection.
    pub(super) fn rollout_subject(&self) -> Option<&WorkloadInfo> {
        match &self.ui.overlay {
            Overlay::RolloutHistory(h) => self.rollouts.workload(&h.key),
            _ => self.rollouts.selected_deployment(),
        }
    }

    fn target_of(&self, d: &WorkloadInfo) -> Target {
        Target {
            context: self.context.clone(),
            namespace: d.namespace.clone(),
            name: d.name.clone(),
        }
    }

    fn open_history(&mut self) {
        if let Some(d) = self.rollouts.selected_deployment() {
            let key = RolloutKey::of(d);
            let revisions = self.rollouts.history(&key);
            let view = HistoryView::new(key, &revisions);
            self.ui.overlay = Overlay::RolloutHistory(view);
        }
    }

    /// Open `dialog` unless RBAC already said no.
    fn confirm(&mut self, action: &Action, dialog: ConfirmDialog) -> bool {
        let refusal = self.rollout_subject().and_then(|d| self.refusal(action, d));
        if let Some(text) = refusal {
            self.ui.set_status(text, Level::Error, self.now);
            return false;
        }
        self.open_confirm(dialog)
    }

    fn rollout_restart(&mut self) -> Vec<Effect> {
        let Some(d) = self.rollout_subject() else {
            return vec![];
        };
        if d.paused {
            let text = format!(
                "can't restart paused deployment {} (resume it first)",
                d.name
            );
            self.offer_resume(&d.clone(), text);
            return vec![];
        }
        let command = Command::RestartRollout {
            target: self.target_of(d),
            kind: d.kind,
            restarted_at: self.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        };
        let title = format!("Rollout restart {} ?", d.object());
        self.confirm(&Action::Restart, ConfirmDialog::new(title, command));
        vec![]
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        let Some(d) = self.rollout_subject() else {
            return vec![];
        };
        if !d.kind.pausable() {
            // kubectl: `error: statefulsets.apps "postgres" pausing is not supported`.
            let text = format!("{} can't be paused: only deployments pause", d.object());
            self.ui.set_status(text, Level::Info, self.now);
            return vec![];
        }
        let paused = !d.paused;
        let verb = if paused { "Pause" } else { "Resume" };
        let title = format!("{verb} rollout of {} ?", d.name);
        let command = Command::SetRolloutPaused {
            target: self.target_of(d),
            paused,
        };
        self.confirm(&Action::Pause, ConfirmDialog::new(title, command));
        vec![]
    }

    fn scale(&mut self, delta: i32) -> Vec<Effect> {
        let Some(d) = self.rollout_subject() else {
            return vec![];
        };
        if !d.kind.scalable() {
            let text = format!("{} can't be scaled: it runs one pod per node", d.object());
            self.ui.set_status(text, Level::Info, self.now);
            return vec![];
        }
        let to = (d.desired + delta).max(0);
        if to == d.desired {
            let text = format!("{} is already scaled to 0", d.object());
            self.ui.set_status(text, Level::Info, self.now);
            return vec![];
        }
        let title = format!("Scale {} to {to} ?", d.name);
        let command = Command::ScaleWorkload {
            target: self.target_of(d),
            kind: d.kind,
            from: d.desired,
            to,
        };
        let action = if delta > 0 {
            Action::ScaleUp
        } else {
            Action::ScaleDown
        };
        self.confirm(&action, ConfirmDialog::new(title, command));
        vec![]
    }

    /// Explain why a paused Deployment cannot do that, and offer to resume it.
    fn offer_resume(&mut self, d: &WorkloadInfo, why: String) {
        let command = Command::SetRolloutPaused {
            target: self.target_of(d),
            paused: false,
        };
        let title = format!("{} is paused: resume it first?", d.name);
        if self.confirm(&Action::Pause, ConfirmDialog::new(title, command)) {
            self.ui.set_status(why, Level::Info, self.now);
        }
    }

    /// kubectl's undo: the previous revision (or `to`), refused when paused (resume is
    /// offered instead), skipped when the template already matches.
    fn undo(&mut self, to: Option<u64>) -> Vec<Effect> {
        let Some(d) = self.rollout_subject().cloned() else {
            return vec![];
        };
        let revisions = self.rollouts.revisions_of(&RolloutKey::of(&d));
        let from_revision = current_revision(&d, &revisions);
        let Some(to_revision) = to.or_else(|| previous_revision(&d, &revisions)) else {
            let text = format!(
                "no rollout history found for {} {:?}",
                d.kind.noun(),
                d.name
            );
            self.ui.set_status(text, Level::Error, self.now);
            return vec![];
        };
        let Some(rs) = self.rollouts.revision(&d, to_revision).cloned() else {
            let text = format!("unable to find specified revision {to_revision} in history");
            self.ui.set_status(text, Level::Error, self.now);
            return vec![];
        };
        if d.paused {
            let text = format!(
                "you cannot roll back a paused deployment; resume {} first and try again",
                d.name
            );
            self.offer_resume(&d, text);
            return vec![];
        }
        if rs.template.fingerprint == d.template.fingerprint {
            let text = format!(
                "{}: skipped rollback (current template already matches revision {to_revision})",
                d.object()
            );
            self.ui.set_status(text, Level::Ok, self.now);
            return vec![];
        }
        let undo = Undo {
            kind: d.kind,
            to_revision,
            from_revision,
            resource_version: d.resource_version.clone(),
            generation: d.generation,
        };
        let target = self.target_of(&d);
        let dialog = ConfirmDialog {
            title: format!("Undo {} to revision {to_revision} ?", d.name),
            command: Command::UndoRollout {
                target: target.clone(),
                undo: undo.clone(),
            },
            detail: ConfirmDetail {
                diff: template_diff(&d.template, &rs.template),
                warning: d.managed_by.as_ref().map(|m| m.warning()),
                preview: Preview::Pending,
            },
        };
        if !self.confirm(&Action::UndoRollout, dialog) {
            return vec![];
        }
        vec![self.run(Command::PreviewUndo { target, undo })]
    }

    /// The server's dry run of an undo, if its dialog is still open.
    pub(crate) fn apply_preview(
        &mut self,
        target: &Target,
        undo: &Undo,
        preview: UndoPreview,
    ) -> bool {
        let Overlay::Confirm(dialog) = &mut self.ui.overlay else {
            return false;
        };
        match &dialog.command {
            Command::UndoRollout { target: t, undo: u } if t == target && u == undo => {
                dialog.detail.preview = Preview::Done(preview);
                true
            }
            _ => false,
        }
    }
}
