//! The pod side of a log tail: which pods a tail follows. A pod tail reads its pod once; a
//! workload tail watches the pods of the workload's selector (joins, relists, deletions) and
//! the revisions they run: a Deployment's ReplicaSets, a StatefulSet's or DaemonSet's
//! ControllerRevisions.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};

use crate::model::rollout::{
    CONTROLLER_REVISION_HASH, POD_TEMPLATE_HASH, REVISION, WorkloadKind, revision_hashes,
};

/// How often to try again when the target cannot be read.
pub const RETRY: Duration = Duration::from_secs(3);

/// The containers of a pod, as a tail needs them.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub name: String,
    pub containers: Vec<String>,
    pub hash: Option<String>,
}

impl PodInfo {
    /// The pod's name, containers and the hash of the revision it runs (`pod-template-hash`,
    /// `controller-revision-hash`).
    pub fn from_pod(pod: &Pod) -> PodInfo {
        PodInfo {
            name: pod.metadata.name.clone().unwrap_or_default(),
            containers: pod
                .spec
                .as_ref()
                .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default(),
            hash: pod
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(POD_TEMPLATE_HASH).or(l.get(CONTROLLER_REVISION_HASH)))
                .cloned(),
        }
    }
}

/// What the pod side of a tail reports.
pub enum PodEvent {
    Upsert(PodInfo),
    /// A (re)list is complete: these pods exist, the others are gone.
    Listed(HashSet<String>),
    Gone(String),
    Revisions(Vec<(String, u64)>),
    Failed(String),
}

/// A pod tail: read the pod once (retrying until it can be read) for its containers.
pub fn single_pod(api: Api<Pod>, name: String) -> BoxStream<'static, PodEvent> {
    let read = async move {
        loop {
            match api.get(&name).await {
                Ok(pod) => return PodEvent::Upsert(PodInfo::from_pod(&pod)),
                Err(e) => {
                    tracing::warn!(pod = %name, error = %e, "logs: cannot read the pod");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    };
    futures::stream::once(read)
        .chain(futures::stream::pending())
        .boxed()
}

/// A workload tail: its pods (by the workload's selector) and the revisions they run.
pub fn workload_pods(
    client: Client,
    ns: &str,
    kind: WorkloadKind,
    name: &str,
) -> BoxStream<'static, PodEvent> {
    let workloads = kind.api(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let name = name.to_string();
    let ns = ns.to_string();
    let selector = async move {
        loop {
            let found = workloads.get(&name).await.map_err(|e| e.to_string());
            let selector = found.and_then(|d| {
                let s: LabelSelector = serde_json::from_value(d.data["spec"]["selector"].clone())
                    .map_err(|e| e.to_string())?;
                kube::core::Selector::try_from(s).map_err(|e| e.to_string())
            });
            match selector {
                Ok(s) => return s,
                Err(e) => {
                    tracing::warn!(kind = kind.noun(), %name, error = %e, "logs: cannot read the workload");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    };
    futures::stream::once(selector)
        .flat_map(move |selector| {
            let config = watcher::Config::default().labels_from(&selector);
            let pod_events = pod_watch(pods.clone(), config.clone());
            let revisions = match kind {
                WorkloadKind::Deployment => {
                    revision_watch(Api::namespaced(client.clone(), &ns), config, rs_hashes)
                }
                _ => revision_watch(
                    Api::namespaced(client.clone(), &ns),
                    config,
                    revision_hashes,
                ),
            };
            futures::stream::select(pod_events, revisions)
        })
        .boxed()
}

/// A ReplicaSet's pod-template-hash with its revision.
fn rs_hashes(rs: &ReplicaSet) -> Vec<(String, u64)> {
    let meta = &rs.metadata;
    let hash = meta.labels.as_ref().and_then(|l| l.get(POD_TEMPLATE_HASH));
    let revision = meta.annotations.as_ref().and_then(|a| a.get(REVISION));
    match (hash, revision.and_then(|r| r.parse::<u64>().ok())) {
        (Some(h), Some(r)) => vec![(h.clone(), r)],
        _ => vec![],
    }
}

fn pod_watch(api: Api<Pod>, config: watcher::Config) -> BoxStream<'static, PodEvent> {
    let mut listing: Option<HashSet<String>> = None;
    watcher::watcher(api, config)
        .default_backoff()
        .map(move |event| match event {
            Ok(Event::Init) => {
                listing = Some(HashSet::new());
                None
            }
            Ok(Event::InitApply(pod)) => {
                let info = PodInfo::from_pod(&pod);
                if let Some(l) = &mut listing {
                    l.insert(info.name.clone());
                }
                Some(PodEvent::Upsert(info))
            }
            Ok(Event::InitDone) => listing.take().map(PodEvent::Listed),
            Ok(Event::Apply(pod)) => Some(PodEvent::Upsert(PodInfo::from_pod(&pod))),
            Ok(Event::Delete(pod)) => Some(PodEvent::Gone(pod.metadata.name.unwrap_or_default())),
            Err(e) => Some(PodEvent::Failed(e.to_string())),
        })
        .filter_map(futures::future::ready)
        .boxed()
}

/// Revision by pod hash of every revision object of the selector (ReplicaSets or
/// ControllerRevisions, read by `hashes`), sent whole on change.
fn revision_watch<K>(
    api: Api<K>,
    config: watcher::Config,
    hashes: fn(&K) -> Vec<(String, u64)>,
) -> BoxStream<'static, PodEvent>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
    <K as kube::Resource>::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let mut map: HashMap<String, u64> = HashMap::new();
    watcher::watcher(api, config)
        .default_backoff()
        .applied_objects()
        .map_ok(move |object| {
            let mut changed = false;
            for (h, r) in hashes(&object) {
                changed |= map.insert(h, r) != Some(r);
            }
            changed.then(|| PodEvent::Revisions(map.iter().map(|(h, r)| (h.clone(), *r)).collect()))
        })
        .filter_map(|r| {
            futures::future::ready(match r {
                Ok(revisions) => revisions,
                Err(e) => {
                    // kube-rs backs off and retries; say it rather than drop it.
                    tracing::warn!(error = %e, "logs: revision watch failed; retrying");
                    None
                }
            })
        })
        .boxed()
}
