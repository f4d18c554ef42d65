//! Deployments, StatefulSets, DaemonSets and their revisions (ReplicaSets, ControllerRevisions)
//! from five kube-rs watchers merged into one stream, converted to compact records at the
//! source (no whole API object reaches the state).

use std::collections::HashMap;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{ControllerRevision, ReplicaSet};
use kube::Resource;
use kube::runtime::watcher::{self, Event};

use crate::model::rollout::{
    RevisionInfo, RevisionSource, RolloutChange, WorkloadInfo, WorkloadKind,
};
use crate::sources::client_loop::{self, Watch};
use crate::sources::link::{Trouble, Watchdog};
use crate::update::{SourceHealth, SourceId, Update};

/// Watches the workloads and revisions of one scope (context + namespace) until aborted.
pub struct RolloutWatcher {
    pub watch: Watch,
}

/// One event of any of the watches, already converted.
enum Item {
    Workload(WorkloadKind, Event<WorkloadInfo>),
    /// `(namespace, name, the revision if it belongs to a rollout)`.
    Revision(RevisionSource, Event<Seen>),
}

/// A revision object as seen: its name, and its record when a workload controls it.
struct Seen {
    namespace: String,
    name: String,
    info: Option<RevisionInfo>,
}

/// Init…InitDone snapshots in progress, per kind and per source.
#[derive(Default)]
struct Snapshots {
    workloads: HashMap<WorkloadKind, Vec<WorkloadInfo>>,
    revisions: HashMap<RevisionSource, Vec<RevisionInfo>>,
}

type Items = BoxStream<'static, Result<Item, watcher::Error>>;

impl RolloutWatcher {
    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let w = &self.watch;
        w.run(SourceId::Rollouts, |client, dog| self.watch(client, dog))
            .await;
    }

    /// One watch of kind `K`, its events converted by `convert`.
    fn stream<K, T>(
        &self,
        client: &kube::Client,
        convert: impl Fn(&K) -> T + Send + 'static,
        item: impl Fn(Event<T>) -> Item + Send + 'static,
    ) -> Items
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned
            + Send
            + 'static,
        <K as Resource>::DynamicType: Default + Eq + std::hash::Hash + Clone,
    {
        let config = watcher::Config::default().page_size(500);
        watcher::watcher(self.watch.api::<K>(client.clone()), config)
            .map_ok(move |e| item(convert_event(e, &convert)))
            .boxed()
    }

    /// All five watch streams, until one fails, the link goes silent, or the UI is gone
    /// (`None`).
    async fn watch(&self, client: kube::Client, mut dog: Watchdog) -> (Watchdog, Option<Trouble>) {
        let w = &self.watch;
        let workload = |kind| move |e| Item::Workload(kind, e);
        let revision = |source| move |e| Item::Revision(source, e);
        let streams: Vec<Items> = vec![
            self.stream(
                &client,
                WorkloadInfo::from_deployment,
                workload(WorkloadKind::Deployment),
            ),
            self.stream(
                &client,
                WorkloadInfo::from_statefulset,
                workload(WorkloadKind::StatefulSet),
            ),
            self.stream(
                &client,
                WorkloadInfo::from_daemonset,
                workload(WorkloadKind::DaemonSet),
            ),
            self.stream(
                &client,
                |rs: &ReplicaSet| seen(rs, Some(RevisionInfo::from_replica_set(rs))),
                revision(RevisionSource::ReplicaSet),
            ),
            self.stream(
                &client,
                |cr: &ControllerRevision| seen(cr, RevisionInfo::from_controller_revision(cr)),
                revision(RevisionSource::ControllerRevision),
            ),
        ];
        let mut stream = std::pin::pin!(futures::stream::select_all(streams));
        let mut snapshots = Snapshots::default();
        loop {
            let change = match client_loop::next_event(&mut stream, &mut dog, &client).await {
                Ok(Item::Workload(kind, e)) => snapshots.workload(kind, e),
                Ok(Item::Revision(source, e)) => snapshots.revision(source, e),
                Err(trouble) => return (dog, Some(trouble)),
            };
            let Some(change) = change else { continue };
            if matches!(change, RolloutChange::Listed(WorkloadKind::Deployment, _)) {
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

fn convert_event<K, T>(event: Event<K>, convert: impl Fn(&K) -> T) -> Event<T> {
    match event {
        Event::Init => Event::Init,
        Event::InitApply(k) => Event::InitApply(convert(&k)),
        Event::InitDone => Event::InitDone,
        Event::Apply(k) => Event::Apply(convert(&k)),
        Event::Delete(k) => Event::Delete(convert(&k)),
    }
}

fn seen<K: Resource>(k: &K, info: Option<RevisionInfo>) -> Seen {
    let m = k.meta();
    Seen {
        namespace: m.namespace.clone().unwrap_or_default(),
        name: m.name.clone().unwrap_or_default(),
        // ReplicaSets not controlled by a Deployment are not rollouts.
        info: info.filter(|i| i.owner.is_some()),
    }
}

impl Snapshots {
    fn workload(
        &mut self,
        kind: WorkloadKind,
        event: Event<WorkloadInfo>,
    ) -> Option<RolloutChange> {
        let snapshot = self.workloads.entry(kind).or_default();
        match event {
            Event::Init => {
                snapshot.clear();
                None
            }
            Event::InitApply(d) => {
                snapshot.push(d);
                None
            }
            Event::InitDone => {
                tracing::info!(
                    kind = kind.noun(),
                    count = snapshot.len(),
                    "workloads listed"
                );
                Some(RolloutChange::Listed(kind, std::mem::take(snapshot)))
            }
            Event::Apply(d) => Some(RolloutChange::Applied(Box::new(d))),
            Event::Delete(d) => Some(RolloutChange::Deleted {
                kind,
                namespace: d.namespace,
                name: d.name,
            }),
        }
    }

    fn revision(&mut self, source: RevisionSource, event: Event<Seen>) -> Option<RolloutChange> {
        let snapshot = self.revisions.entry(source).or_default();
        let gone = |s: Seen| RolloutChange::RevisionDeleted {
            source,
            namespace: s.namespace,
            name: s.name,
        };
        match event {
            Event::Init => {
                snapshot.clear();
                None
            }
            Event::InitApply(s) => {
                snapshot.extend(s.info);
                None
            }
            Event::InitDone => {
                tracing::info!(?source, count = snapshot.len(), "revisions listed");
                Some(RolloutChange::RevisionsListed(
                    source,
                    std::mem::take(snapshot),
                ))
            }
            Event::Apply(s) => Some(match s.info {
                Some(info) => RolloutChange::RevisionApplied(Box::new(info)),
                // Orphaned (or never owned): no longer part of a rollout.
                None => gone(s),
            }),
            Event::Delete(s) => Some(gone(s)),
        }
    }
}
