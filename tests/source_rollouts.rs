//! The rollout watcher against the simulated API: a snapshot of Deployments and their
//! ReplicaSets, then increments as a rollout happens, all as compact records.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};
use opsdeck::cluster::ClusterConfig;
use opsdeck::model::rollout::{RevisionSource, RolloutChange, WorkloadKind};
use opsdeck::sources::{RolloutWatcher, Watch};
use opsdeck::state::rollouts::{RolloutKey, RolloutsState};
use opsdeck::update::{SourceHealth, SourceId, Update};
use opsdeck_sim::{SimConfig, Simulator};
use serde_json::json;
use tokio::sync::mpsc;

#[tokio::test]
async fn watcher_lists_then_follows_a_rollout() {
    let config = SimConfig {
        pods: 8,
        deployments: 4,
        namespaces: 2,
        churn_per_sec: 0.0,
        log_rate: 0.0,
        ..SimConfig::default()
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("the simulator must start");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path).unwrap();
    let cluster = ClusterConfig {
        kubeconfig: Some(path),
    };
    let (tx, mut rx) = mpsc::channel(256);
    let watcher = RolloutWatcher {
        watch: Watch {
            cluster: cluster.clone(),
            context: Some("opsdeck-sim".into()),
            namespace: None,
            scope: 3,
            tx,
            links: Default::default(),
        },
    };
    let task = tokio::spawn(watcher.run());
    let mut state = RolloutsState::default();
    let mut live = false;
    let mut next = async || match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(update)) => update,
        other => panic!("no update: {other:?}"),
    };
    // Both snapshots, and the source reported live.
    let mut listed = (false, false);
    while !(listed.0 && listed.1 && live) {
        match next().await {
            Update::RolloutsChanged { scope: 3, change } => {
                match &change {
                    RolloutChange::Listed(WorkloadKind::Deployment, d) => {
                        assert_eq!(d.len(), 4);
                        listed.0 = true;
                    }
                    RolloutChange::RevisionsListed(RevisionSource::ReplicaSet, rs) => {
                        assert!(rs.iter().all(|r| r.owner.is_some()));
                        listed.1 = true;
                    }
                    _ => {}
                }
                state.apply(change);
            }
            Update::SourceHealth {
                source: SourceId::Rollouts,
                health: SourceHealth::Live,
                ..
            } => live = true,
            other => panic!("{other:?}"),
        }
    }
    // The simulator's four Deployments, and its StatefulSet and DaemonSet.
    let counts = state.counts();
    let kinds = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
    ];
    assert_eq!(kinds.map(|k| counts.of_kind(k)), [4, 1, 1]);
    assert!(
        state.window(0, usize::MAX).all(|r| r.revision == 1),
        "one revision each, ControllerRevisions included"
    );
    let row = state
        .window(0, usize::MAX)
        .find(|r| r.kind == WorkloadKind::Deployment)
        .unwrap()
        .clone();
    assert_eq!(row.revision, 1);
    assert_eq!(row.summary, "initial revision");

    // A new image: the Deployment and a new ReplicaSet arrive as increments.
    let client = cluster.client(Some("opsdeck-sim")).await.unwrap();
    let api: Api<Deployment> = Api::namespaced(client, &row.namespace);
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": row.name, "image": "registry.example.com/x/app:v9.9.9"}
    ]}}}});
    api.patch(&row.name, &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .unwrap();
    for _ in 0..200 {
        if let Update::RolloutsChanged { change, .. } = next().await {
            state.apply(change);
        }
        let r = state
            .window(0, usize::MAX)
            .find(|r| r.name == row.name)
            .unwrap();
        if r.revision == 2 && r.summary.contains("app:v9.9.9") {
            assert_eq!(state.history(&RolloutKey::of_row(&row)).len(), 2);
            task.abort();
            return;
        }
    }
    panic!("the rollout never showed up");
}
