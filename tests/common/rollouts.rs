//! Rollout fixtures (tests/fixtures/rollouts) fed into an `AppState`, for state and UI tests.

use std::path::Path;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use opsdeck::action::Action;
use opsdeck::command::Command;
use opsdeck::model::rollout::{
    RevisionInfo, RevisionSource, RolloutChange, WorkloadInfo, WorkloadKind,
};
use opsdeck::state::{AppState, Effect};
use opsdeck::update::{SourceHealth, SourceId, Update};

pub const FIXTURES: [&str; 6] = [
    "complete",
    "progressing",
    "stalled",
    "paused",
    "scaled-to-zero",
    "restarted",
];

/// Deployments and ReplicaSets of every fixture, as the watcher would send them.
pub fn infos() -> (Vec<WorkloadInfo>, Vec<RevisionInfo>) {
    let mut deployments = Vec::new();
    let mut replica_sets = Vec::new();
    for name in FIXTURES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rollouts")
            .join(format!("{name}.json"));
        let list: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for item in list["items"].as_array().unwrap() {
            if item["kind"] == "Deployment" {
                let d: Deployment = serde_json::from_value(item.clone()).unwrap();
                deployments.push(WorkloadInfo::from_deployment(&d));
            } else {
                let rs: ReplicaSet = serde_json::from_value(item.clone()).unwrap();
                replica_sets.push(RevisionInfo::from_replica_set(&rs));
            }
        }
    }
    (deployments, replica_sets)
}

/// `live_state()` plus every rollout fixture listed, the rollouts source live and focused.
pub fn rollout_state() -> AppState {
    let mut state = super::live_state();
    let scope = state.scope;
    let (deployments, replica_sets) = infos();
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionsListed(RevisionSource::ReplicaSet, replica_sets),
    });
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::Listed(WorkloadKind::Deployment, deployments),
    });
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Rollouts,
        health: SourceHealth::Live,
    });
    state.handle(Action::FocusRollouts);
    state
}

/// The commands among effects, in order.
pub fn commands(effects: &[Effect]) -> Vec<Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Run(req) => Some(req.command.clone()),
            _ => None,
        })
        .collect()
}

/// The commands among effects, without the RBAC reviews.
pub fn actions(effects: &[Effect]) -> Vec<Command> {
    commands(effects)
        .into_iter()
        .filter(|c| !matches!(c, Command::ReviewAccess { .. }))
        .collect()
}

/// Select the rollout named `name` (moving from the top).
pub fn select(state: &mut AppState, name: &str) {
    state.handle(Action::Top);
    for _ in 0..20 {
        if state.rollouts.selected_row().unwrap().name == name {
            return;
        }
        state.handle(Action::Down);
    }
    panic!("{name} not found");
}

/// The StatefulSets, DaemonSets and ControllerRevisions of `tests/fixtures/rollouts/sets.json`
/// (dumped from the simulator's incident scenario with `kubectl get -o json`, then: the
/// DaemonSet's image set, the postgres StatefulSet made OnDelete and its image set).
pub fn set_infos() -> (Vec<WorkloadInfo>, Vec<WorkloadInfo>, Vec<RevisionInfo>) {
    use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rollouts/sets.json");
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut sts, mut ds, mut crs) = (Vec::new(), Vec::new(), Vec::new());
    for item in list["items"].as_array().unwrap() {
        let item = item.clone();
        match item["kind"].as_str().unwrap() {
            "StatefulSet" => sts.push(WorkloadInfo::from_statefulset(
                &serde_json::from_value::<StatefulSet>(item).unwrap(),
            )),
            "DaemonSet" => ds.push(WorkloadInfo::from_daemonset(
                &serde_json::from_value::<DaemonSet>(item).unwrap(),
            )),
            _ => crs.extend(RevisionInfo::from_controller_revision(
                &serde_json::from_value::<ControllerRevision>(item).unwrap(),
            )),
        }
    }
    (sts, ds, crs)
}

/// `rollout_state()` plus the StatefulSets and DaemonSets of [`set_infos`].
pub fn mixed_state() -> AppState {
    let mut state = rollout_state();
    let scope = state.scope;
    let (sts, ds, crs) = set_infos();
    let changes = [
        RolloutChange::RevisionsListed(RevisionSource::ControllerRevision, crs),
        RolloutChange::Listed(WorkloadKind::StatefulSet, sts),
        RolloutChange::Listed(WorkloadKind::DaemonSet, ds),
    ];
    for change in changes {
        state.apply(Update::RolloutsChanged { scope, change });
    }
    state
}
