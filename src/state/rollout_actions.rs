//! What keys mean on the rollouts pane and in the revision history: history,
//! restart, undo, scale, pause/resume, each confirmed; RBAC answers cached per context,
//! namespace, verb and resource, so forbidden actions are refused before the dialog (failed
//! or lost questions are asked again with backoff, answers expire: see `AccessCache`).

use crate::action::{Action, Pane};
use crate::command::{Command, Target, Undo};
use crate::model::access::{Access, AccessCheck};
use crate::model::rollout::{DeploymentInfo, UndoPreview, previous_revision, template_diff};
use crate::state::ui::{ConfirmDetail, ConfirmDialog, HistoryView, Level, Overlay, Preview};
use crate::state::{AppState, Effect};

/// The RBAC question behind an action on a Deployment: `(verb, resource, subresource)`.
fn needed(action: &Action) -> Option<(&'static str, &'static str, &'static str)> {
    match action {
        Action::Restart | Action::UndoRollout | Action::Pause => Some(("patch", "deployments", "")),
        Action::ScaleUp | Action::ScaleDown => Some(("patch", "deployments", "scale")),
        _ => None,
    }
}

/// Every check the rollouts pane asks for a namespace.
const CHECKS: [(&str, &str, &str); 2] = [
    ("patch", "deployments", ""),
    ("patch", "deployments", "scale"),
];

impl AppState {
    /// Handle an action when the rollouts pane has the focus. `None`: not a rollouts action,
    /// the global handling applies.
    pub(crate) fn handle_rollouts(&mut self, action: &Action) -> Option<Vec<Effect>> {
        if self.ui.focus != Pane::Rollouts {
            return None;
        }
        let in_history = matches!(self.ui.overlay, Overlay::RolloutHistory(_));
        if !in_history && self.ui.overlay != Overlay::None {
            return None;
        }
        let effects = match action {
            Action::Open if !in_history => self.open_history(),
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
            _ => return None,
        };
        Some(effects)
    }

    /// The Deployment an action applies to: the one in the history view, else the selection.
    fn rollout_subject(&self) -> Option<&DeploymentInfo> {
        match &self.ui.overlay {
            Overlay::RolloutHistory(h) => self.rollouts.deployment(&h.namespace, &h.name),
            _ => self.rollouts.selected_deployment(),
        }
    }

    fn target_of(&self, d: &DeploymentInfo) -> Target {
        Target {
            context: self.context.clone(),
            namespace: d.namespace.clone(),
            name: d.name.clone(),
        }
    }

    fn open_history(&mut self) -> Vec<Effect> {
        if let Some(d) = self.rollouts.selected_deployment() {
            let revisions = self.rollouts.history(&d.namespace, &d.name);
            let view = HistoryView::new(&d.namespace, &d.name, &revisions);
            self.ui.overlay = Overlay::RolloutHistory(view);
        }
        vec![]
    }

    /// The check behind `action` on the subject, if the API said no: the refusal text.
    fn refusal(&self, action: &Action, d: &DeploymentInfo) -> Option<String> {
        let (verb, resource, sub) = needed(action)?;
        let check = AccessCheck::apps(&self.context, &d.namespace, verb, resource, sub);
        match self.access.get(&check) {
            Some(Access::Denied(reason)) => {
                let why = if reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({reason})")
                };
                Some(format!(
                    "forbidden: you may not {check} on {}{why}",
                    self.context
                ))
            }
            _ => None,
        }
    }

    /// Whether the API said the user may not do `action` on the focused rollout or pod
    /// (footer, help).
    pub fn is_denied(&self, action: &Action) -> bool {
        if self.ui.focus == Pane::Pods {
            return *action == Action::Restart && self.pod_refusal().is_some();
        }
        if self.ui.focus != Pane::Rollouts {
            return false;
        }
        self.rollout_subject()
            .is_some_and(|d| self.refusal(action, d).is_some())
    }

    /// Open `dialog` unless RBAC already said no.
    fn confirm(&mut self, action: &Action, dialog: ConfirmDialog) -> bool {
        let refusal = self.rollout_subject().and_then(|d| self.refusal(action, d));
        if let Some(text) = refusal {
            self.ui.set_status(text, Level::Error, self.now);
            return false;
        }
        self.ui.overlay = Overlay::Confirm(Box::new(dialog));
        true
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
            restarted_at: self.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        };
        let title = format!("Rollout restart deployment {} ?", d.name);
        self.confirm(&Action::Restart, ConfirmDialog::new(title, command));
        vec![]
    }

    fn toggle_pause(&mut self) -> Vec<Effect> {
        let Some(d) = self.rollout_subject() else {
            return vec![];
        };
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
        let to = (d.desired + delta).max(0);
        if to == d.desired {
            let text = format!("deployment {} is already scaled to 0", d.name);
            self.ui.set_status(text, Level::Info, self.now);
            return vec![];
        }
        let title = format!("Scale {} to {to} ?", d.name);
        let command = Command::ScaleDeployment {
            target: self.target_of(d),
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
    fn offer_resume(&mut self, d: &DeploymentInfo, why: String) {
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
        let replica_sets = self.rollouts.replica_sets_of(&d.namespace, &d.name);
        let Some(to_revision) = to.or_else(|| previous_revision(&d, &replica_sets)) else {
            let text = format!("no rollout history found for deployment {:?}", d.name);
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
                "deployment {}: skipped rollback (current template already matches revision {to_revision})",
                d.name
            );
            self.ui.set_status(text, Level::Ok, self.now);
            return vec![];
        }
        let undo = Undo {
            to_revision,
            from_revision: d.revision,
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

    /// Ask the API about the actions on the selected rollout's namespace, once per
    /// context/namespace/verb/resource.
    pub(crate) fn review_access(&mut self) -> Vec<Effect> {
        if self.ui.focus == Pane::Pods {
            return self.review_pod_access();
        }
        if self.ui.focus != Pane::Rollouts {
            return vec![];
        }
        let Some(namespace) = self.rollout_subject().map(|d| d.namespace.clone()) else {
            return vec![];
        };
        let mut effects = Vec::new();
        for (verb, resource, sub) in CHECKS {
            let check = AccessCheck::apps(&self.context, &namespace, verb, resource, sub);
            if !self.access.ask(&check, self.now) {
                continue;
            }
            let target = Target {
                context: self.context.clone(),
                namespace: namespace.clone(),
                name: String::new(),
            };
            effects.push(self.run(Command::ReviewAccess { target, check }));
        }
        effects
    }

    /// Cache an RBAC answer. Visible: the footer and help mark forbidden actions.
    pub(crate) fn apply_access(&mut self, check: AccessCheck, access: Access) -> bool {
        self.access.answer(check, access, self.now)
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

impl AppState {
    /// The delete-pods check for the selected pod's namespace.
    fn pod_check(&self) -> Option<AccessCheck> {
        let ns = &self.pods.selected_row()?.namespace;
        Some(AccessCheck::core(&self.context, ns, "delete", "pods"))
    }

    /// "forbidden: …" when the API said the user may not delete the selected pod.
    pub(crate) fn pod_refusal(&self) -> Option<String> {
        let check = self.pod_check()?;
        match self.access.get(&check) {
            Some(Access::Denied(reason)) if reason.is_empty() => Some(format!(
                "forbidden: you may not {check} on {}",
                self.context
            )),
            Some(Access::Denied(reason)) => Some(format!(
                "forbidden: you may not {check} on {} ({reason})",
                self.context
            )),
            _ => None,
        }
    }

    /// Ask the API, once per context/namespace, whether the user may delete pods there.
    fn review_pod_access(&mut self) -> Vec<Effect> {
        let Some(check) = self.pod_check() else {
            return vec![];
        };
        if !self.access.ask(&check, self.now) {
            return vec![];
        }
        let target = Target {
            context: self.context.clone(),
            namespace: check.namespace.clone(),
            name: String::new(),
        };
        vec![self.run(Command::ReviewAccess { target, check })]
    }
}
