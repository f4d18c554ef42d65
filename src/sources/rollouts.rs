//! Deployments and their ReplicaSets from two kube-rs watchers merged into one stream,
//! converted to compact records at the source (no whole API object reaches the state).

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::Api;
use kube::runtime::watcher::{self, Event};
use tokio::sync::mpsc::Sender;

use crate::cluster::ClusterConfig;
use crate::model::rollout::{DeploymentInfo, ReplicaSetInfo, RolloutChange};
use crate::sources::client_loop;
use crate::sources::link::{Links, Trouble, Watchdog};
use crate::update::{SourceHealth, SourceId, Update};

/// Watches the Deployments and ReplicaSets of one scope (context + namespace) until aborted.
pub struct RolloutWatcher {
    pub cluster: ClusterConfig,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub scope: u64,
    pub tx: Sender<Update>,
    /// Liveness of the API servers, shared with the other watches and the executor.
    pub links: Links,
}

/// One event of either watch.
enum Either {
    Deployment(Result<Event<Deployment>, watcher::Error>),
    ReplicaSet(Result<Event<ReplicaSet>, watcher::Error>),
}

/// Init…InitDone snapshots in progress.
#[derive(Default)]
struct Snapshots {
    deployments: Vec<DeploymentInfo>,
    replica_sets: Vec<ReplicaSetInfo>,
}

impl RolloutWatcher {
    async fn health(&self, health: SourceHealth) {
        client_loop::report(&self.tx, self.scope, SourceId::Rollouts, health).await;
    }

    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let to = (&self.tx, self.scope, SourceId::Rollouts);
        let with = (&self.cluster, &self.links);
        client_loop::supervise(with, self.context.as_deref(), to, |client, dog| {
            self.watch(client, dog)
        })
        .await;
    }

    fn api<K>(&self, client: kube::Client) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match &self.namespace {
            Some(ns) => Api::namespaced(client, ns),
            None => Api::all(client),
        }
    }

    /// Both watch streams, until one fails, the link goes silent, or the UI is gone (`None`).
    async fn watch(&self, client: kube::Client, mut dog: Watchdog) -> (Watchdog, Option<Trouble>) {
        let config = watcher::Config::default().page_size(500);
        let deployments = watcher::watcher(self.api::<Deployment>(client.clone()), config.clone())
            .map(Either::Deployment);
        let replica_sets = watcher::watcher(self.api::<ReplicaSet>(client.clone()), config)
            .map(Either::ReplicaSet);
        let stream = futures::stream::select(deployments, replica_sets);
        futures::pin_mut!(stream);
        let mut snapshots = Snapshots::default();
        loop {
            let event = tokio::select! {
                event = stream.next() => event,
                trouble = dog.silence(&client) => return (dog, Some(trouble)),
            };
            let change = match event {
                Some(Either::Deployment(Ok(e))) => deployment_change(e, &mut snapshots),
                Some(Either::ReplicaSet(Ok(e))) => replica_set_change(e, &mut snapshots),
                Some(Either::Deployment(Err(e)) | Either::ReplicaSet(Err(e))) => {
                    return (dog, Some(Trouble::WatchError(e.to_string())));
                }
                None => return (dog, Some(Trouble::WatchError("watch ended".into()))),
            };
            dog.heard();
            let Some(change) = change else { continue };
            if matches!(change, RolloutChange::DeploymentsListed(_)) {
                dog.listed();
                self.health(SourceHealth::Live).await;
            }
            let update = Update::RolloutsChanged {
                scope: self.scope,
                change,
            };
            if self.tx.send(update).await.is_err() {
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
