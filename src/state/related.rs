//! Alerts tied to the rows they are about: which pod and which rollout row each firing alert
//! resolves to (a pod alert also belongs to its Deployment, through the pod's ReplicaSet), the
//! worst severity per row for the badges, and the firing alerts that match nothing in scope.
//!
//! Rebuilt from the firing alerts when alerts, pods or rollouts change: the work is a few
//! lookups per firing alert, never a pass over the pods.

use std::collections::{HashMap, HashSet};

use crate::model::alert::{AlertRow, Severity};
use crate::model::correlate::{Kind, Target};
use crate::model::rollout::WorkloadKind;
use crate::state::pods::{PodKey, PodsState};
use crate::state::rollouts::{RolloutKey, RolloutsState};

/// A row of the pods or the rollouts pane.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowRef {
    Pod(PodKey),
    Rollout(RolloutKey),
}

impl RowRef {
    /// `shop/deploy/checkout`, `shop/pod/checkout-1`.
    pub fn describe(&self) -> String {
        match self {
            RowRef::Pod((ns, name)) => format!("{ns}/pod/{name}"),
            RowRef::Rollout(key) => key.describe(),
        }
    }
}

/// Where one firing alert lands on screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Landing {
    pod: Option<PodKey>,
    rollout: Option<RolloutKey>,
}

/// The correlation of the firing alerts with the rows on screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Related {
    /// Fingerprint → the rows it is about.
    landings: HashMap<String, Landing>,
    pods: HashMap<PodKey, Severity>,
    rollouts: HashMap<RolloutKey, Severity>,
    /// Firing alerts about an object outside the namespace scope or not in the watches.
    pub outside_scope: usize,
}

fn worse(slot: &mut Severity, new: &Severity) {
    if new.rank() < slot.rank() {
        *slot = new.clone();
    }
}

impl Related {
    /// Tie `firing` to the rows of `pods` and `rollouts` (scoped to `namespace`).
    pub fn build<'a>(
        firing: impl Iterator<Item = &'a AlertRow>,
        pods: &PodsState,
        rollouts: &RolloutsState,
        namespace: Option<&str>,
    ) -> Related {
        let mut related = Related::default();
        for alert in firing {
            let Some(target) = &alert.target else {
                continue;
            };
            let in_scope = !target.kind.namespaced()
                || namespace.is_none_or(|scope| scope == target.namespace);
            let landing = if in_scope {
                land(target, pods, rollouts)
            } else {
                Landing::default()
            };
            let watched = matches!(
                target.kind,
                Kind::Pod
                    | Kind::Deployment
                    | Kind::ReplicaSet
                    | Kind::StatefulSet
                    | Kind::DaemonSet
            );
            // Not found counts only once the watch that would hold it has listed.
            let listed = match target.kind {
                Kind::Pod => pods.listed,
                _ => rollouts.listed,
            };
            if !in_scope || (watched && listed && landing == Landing::default()) {
                related.outside_scope += 1;
            }
            if let Some(pod) = &landing.pod {
                let slot = related.pods.entry(pod.clone());
                worse(
                    slot.or_insert_with(|| alert.severity.clone()),
                    &alert.severity,
                );
            }
            if let Some(rollout) = &landing.rollout {
                let slot = related.rollouts.entry(rollout.clone());
                worse(
                    slot.or_insert_with(|| alert.severity.clone()),
                    &alert.severity,
                );
            }
            related.landings.insert(alert.fingerprint.clone(), landing);
        }
        related
    }

    /// The worst firing severity of the alerts about a pod.
    pub fn pod_badge(&self, namespace: &str, name: &str) -> Option<&Severity> {
        self.pods.get(&(namespace.to_string(), name.to_string()))
    }

    /// The worst firing severity of the alerts about a workload or any of its pods.
    pub fn rollout_badge(&self, key: &RolloutKey) -> Option<&Severity> {
        self.rollouts.get(key)
    }

    /// Whether any row carries a badge.
    pub fn any_pod_badge(&self) -> bool {
        !self.pods.is_empty()
    }

    pub fn any_rollout_badge(&self) -> bool {
        !self.rollouts.is_empty()
    }

    /// The row `o` jumps to from an alert: its workload's rollout row, else its pod.
    pub fn row_of(&self, fingerprint: &str) -> Option<RowRef> {
        let landing = self.landings.get(fingerprint)?;
        landing
            .rollout
            .clone()
            .map(RowRef::Rollout)
            .or_else(|| landing.pod.clone().map(RowRef::Pod))
    }

    /// Fingerprints of the firing alerts about a row (for a rollout: also about its pods).
    pub fn alerts_of(&self, row: &RowRef) -> HashSet<String> {
        self.landings
            .iter()
            .filter(|(_, l)| match row {
                RowRef::Pod(key) => l.pod.as_ref() == Some(key),
                RowRef::Rollout(key) => l.rollout.as_ref() == Some(key),
            })
            .map(|(fp, _)| fp.clone())
            .collect()
    }
}

/// The pod and rollout rows a target is about, through the owner chain the watches hold
/// (pod → ReplicaSet → Deployment, pod → StatefulSet or DaemonSet).
fn land(target: &Target, pods: &PodsState, rollouts: &RolloutsState) -> Landing {
    let ns = &target.namespace;
    let deployment_of_rs = |rs: &str| {
        rollouts
            .owner_of_replica_set(ns, rs)
            .map(|d| RolloutKey::deployment(ns, d))
            .filter(|key| rollouts.workload(key).is_some())
    };
    let workload = |kind: WorkloadKind, name: &str| {
        Some(RolloutKey::new(kind, ns, name)).filter(|key| rollouts.workload(key).is_some())
    };
    let rollout = match target.kind {
        Kind::Deployment => workload(WorkloadKind::Deployment, &target.name),
        Kind::StatefulSet => workload(WorkloadKind::StatefulSet, &target.name),
        Kind::DaemonSet => workload(WorkloadKind::DaemonSet, &target.name),
        Kind::ReplicaSet => deployment_of_rs(&target.name),
        Kind::Pod => {
            let Some(pod) = pods.get(ns, &target.name) else {
                return Landing::default();
            };
            let rollout = match &pod.owner {
                Some((kind, rs)) if kind == "ReplicaSet" => deployment_of_rs(rs),
                Some((kind, name)) => {
                    WorkloadKind::from_kind(kind).and_then(|kind| workload(kind, name))
                }
                None => None,
            };
            return Landing {
                pod: Some((ns.clone(), target.name.clone())),
                rollout,
            };
        }
        _ => None,
    };
    Landing { pod: None, rollout }
}
