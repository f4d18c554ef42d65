//! Deployments and their ReplicaSets from two kube-rs watchers merged into one stream,
//! converted to compact records at the source (no whole API object reaches the state).

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::runtime::watcher::{self, Event};

use crate::model::rollout::{DeploymentInfo, ReplicaSetInfo, RolloutChange};
use crate::sources::client_loop::{self, Watch};
use crate::sources::link::{Trouble, Watchdog};
use crate::update::{SourceHealth, SourceId, Update};

/// Watches the Deployments and ReplicaSets of one scope (context + namespace) until aborted.
pub struct RolloutWatcher {
    pub watch: Watch,
}

/// One event of either watch.
enum Either {
    Deployment(Event<Deployment>),
    ReplicaSet(Event<ReplicaSet>),
}

/// Init…InitDone snapshots in progress.
#[derive(Default)]
struct Snapshots {
    deployments: Vec<DeploymentInfo>,
    replica_sets: Vec<ReplicaSetInfo>,
}

impl RolloutWatcher {
    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let w = &self.watch;
        w.run(SourceId::Rollouts, |client, dog| self.watch(client, dog))
            .await;
    }

    /// Both watch streams, until one fails, the link goes silent, or the UI is gone (`None`).
    async fn watch(&self, client: kube::Client, mut dog: Watchdog) -> (Watchdog, Option<Trouble>) {
        let w = &self.watch;
        let config = watcher::Config::default().page_size(500);
        let deployments = watcher::watcher(w.api::<Deployment>(client.clone()), config.clone())
            .map(|e| e.map(Either::Deployment));
        let replica_sets = watcher::watcher(w.api::<ReplicaSet>(client.clone()), config)
            .map(|e| e.map(Either::ReplicaSet));
        let stream = futures::stream::select(deployments, replica_sets);
        futures::pin_mut!(stream);
        let mut snapshots = Snapshots::default();
        loop {
            let change = match client_loop::next_event(&mut stream, &mut dog, &client).await {
                Ok(Either::Deployment(e)) => deployment_change(e, &mut snapshots),
                Ok(Either::ReplicaSet(e)) => replica_set_change(e, &mut snapshots),
                Err(trouble) => return (dog, Some(trouble)),
            };
            let Some(change) = change else { continue };
            if matches!(change, RolloutChange::DeploymentsListed(_)) {
                dog.listed();
                w.report(SourceId::Rollouts, SourceHealth::Live).await;
            }
            let update = Update::RolloutsChanged {
                scope: w.scope,
                change,
            };
            if !w.send(update).await {
                return (dog, None);
            }
        }
    }
}

fn deployment_change(event: Event<Deployment>, s: &mut Snapshots) -> Option<RolloutChange> {
    match event {
        Event::Init => {
            s.deployments.clear();
            None
        }
        Event::InitApply(d) => {
            s.deployments.push(DeploymentInfo::from_deployment(&d));
            None
        }
        Event::InitDone => {
            tracing::info!(deployments = s.deployments.len(), "deployments listed");
            Some(RolloutChange::DeploymentsListed(std::mem::take(
                &mut s.deployments,
            )))
        }
        Event::Apply(d) => Some(RolloutChange::DeploymentApplied(Box::new(
            DeploymentInfo::from_deployment(&d),
        ))),
        Event::Delete(d) => Some(RolloutChange::DeploymentDeleted {
            namespace: d.metadata.namespace.unwrap_or_default(),
            name: d.metadata.name.unwrap_or_default(),
        }),
    }
}

/// ReplicaSets not controlled by a Deployment are not rollouts: they are dropped here.
fn replica_set_change(event: Event<ReplicaSet>, s: &mut Snapshots) -> Option<RolloutChange> {
    match event {
        Event::Init => {
            s.replica_sets.clear();
            None
        }
        Event::InitApply(rs) => {
            let info = ReplicaSetInfo::from_replica_set(&rs);
            if info.owner.is_some() {
                s.replica_sets.push(info);
            }
            None
        }
        Event::InitDone => {
            tracing::info!(replica_sets = s.replica_sets.len(), "replicasets listed");
            Some(RolloutChange::ReplicaSetsListed(std::mem::take(
                &mut s.replica_sets,
            )))
        }
        Event::Apply(rs) => {
            let info = ReplicaSetInfo::from_replica_set(&rs);
            Some(match info.owner {
                Some(_) => RolloutChange::ReplicaSetApplied(Box::new(info)),
                // Orphaned (or never owned): no longer part of a rollout.
                None => RolloutChange::ReplicaSetDeleted {
                    namespace: info.namespace,
                    name: info.name,
                },
            })
        }
        Event::Delete(rs) => Some(RolloutChange::ReplicaSetDeleted {
            namespace: rs.metadata.namespace.unwrap_or_default(),
            name: rs.metadata.name.unwrap_or_default(),
        }),
    }
}
