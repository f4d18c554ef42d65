//! RBAC awareness: SelfSubjectAccessReview answers cached per context, namespace, verb and
//! resource, asked for when a pane has a subject, so that forbidden actions show as such and are
//! refused before the dialog. Failed or lost questions are asked again with backoff, answers
//! expire (`model::access::AccessCache`).

use crate::action::{Action, Pane};
use crate::command::{Command, Target};
use crate::model::access::{Access, AccessCheck};
use crate::model::rollout::WorkloadInfo;
use crate::state::{AppState, Effect};

/// The RBAC question behind an action on a workload: `(verb, subresource)` on its kind's
/// resource (`deployments`, `statefulsets`, `daemonsets`).
fn needed(action: &Action) -> Option<(&'static str, &'static str)> {
    match action {
        Action::Restart | Action::UndoRollout | Action::Pause => Some(("patch", "")),
        Action::ScaleUp | Action::ScaleDown => Some(("patch", "scale")),
        _ => None,
    }
}

/// Every check the rollouts pane asks for a workload's namespace and kind.
const CHECKS: [(&str, &str); 2] = [("patch", ""), ("patch", "scale")];

impl AppState {
    /// The check behind `action` on the subject, if the API said no: the refusal text.
    pub(super) fn refusal(&self, action: &Action, d: &WorkloadInfo) -> Option<String> {
        let (verb, sub) = needed(action)?;
        let resource = d.kind.resource();
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

    /// Ask the API about the actions on the selected rollout's namespace, per
    /// context/namespace/verb/resource when the cache says so.
    pub(crate) fn review_access(&mut self) -> Vec<Effect> {
        if self.ui.focus == Pane::Pods {
            return self.review_pod_access();
        }
        if self.ui.focus != Pane::Rollouts {
            return vec![];
        }
        let Some((namespace, kind)) = self
            .rollout_subject()
            .map(|d| (d.namespace.clone(), d.kind))
        else {
            return vec![];
        };
        let resource = kind.resource();
        let mut effects = Vec::new();
        for (verb, sub) in CHECKS {
            if sub == "scale" && !kind.scalable() {
                continue;
            }
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

    /// Ask the API, per context/namespace when the cache says so, whether the user may delete
    /// pods there.
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
