//! Rollout fixtures (tests/fixtures/rollouts) fed into an `AppState`, for state and UI tests.

use std::path::Path;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use opsdeck::action::Action;
use opsdeck::command::Command;
use opsdeck::model::rollout::{DeploymentInfo, ReplicaSetInfo, RolloutChange};
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
pub fn infos() -> (Vec<DeploymentInfo>, Vec<ReplicaSetInfo>) {
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
                deployments.push(DeploymentInfo::from_deployment(&d));
            } else {
                let rs: ReplicaSet = serde_json::from_value(item.clone()).unwrap();
                replica_sets.push(ReplicaSetInfo::from_replica_set(&rs));
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
        change: RolloutChange::ReplicaSetsListed(replica_sets),
    });
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::DeploymentsListed(deployments),
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
