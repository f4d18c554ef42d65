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

    /// One watch of kind `K`, its events converted by `convert`. An `optional` kind the user
    /// may not list (403) or the cluster does not serve (404) ends its stream instead of the
    /// whole watch: a role written for Deployments keeps the pane live.
    fn stream<K, T>(
        &self,
        client: &kube::Client,
        (convert, optional): (impl Fn(&K) -> T + Send + 'static, bool),
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
        let stream = watcher::watcher(self.watch.api::<K>(client.clone()), config)
            .map_ok(move |e| item(convert_event(e, &convert)));
        if !optional {
            return stream.boxed();
        }
        let kind = K::kind(&Default::default()).to_string();
        stream
            .take_while(move |r| {
                let refused = r.as_ref().err().and_then(refusal);
                if let Some(code) = refused {
                    tracing::warn!(%kind, code, "not watched: the API refuses it");
                }
                futures::future::ready(refused.is_none())
            })
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
                (WorkloadInfo::from_deployment, false),
                workload(WorkloadKind::Deployment),
            ),
            self.stream(
                &client,
                (WorkloadInfo::from_statefulset, true),
                workload(WorkloadKind::StatefulSet),
            ),
            self.stream(
                &client,
                (WorkloadInfo::from_daemonset, true),
                workload(WorkloadKind::DaemonSet),
            ),
            self.stream(
                &client,
                (
                    |rs: &ReplicaSet| seen(rs, Some(RevisionInfo::from_replica_set(rs))),
                    false,
                ),
                revision(RevisionSource::ReplicaSet),
            ),
            self.stream(
                &client,
                (
                    |cr: &ControllerRevision| seen(cr, RevisionInfo::from_controller_revision(cr)),
                    true,
                ),
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

/// The status code when the API refuses a kind outright (403 forbidden, 404 not served).
fn refusal(e: &watcher::Error) -> Option<u16> {
    let code = match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => s.code,
        watcher::Error::WatchError(s) => s.code,
        _ => return None,
    };
    matches!(code, 403 | 404).then_some(code)
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
