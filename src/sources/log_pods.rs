//! The pod side of a log tail: which pods a tail follows. A pod tail reads its pod once; a
//! deployment tail watches the pods of the deployment's selector (joins, relists, deletions)
//! and the revisions of its ReplicaSets.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};

use crate::model::rollout::{POD_TEMPLATE_HASH, REVISION};

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
    /// The pod's name, containers and pod-template-hash.
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
                .and_then(|l| l.get(POD_TEMPLATE_HASH).cloned()),
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

/// A deployment tail: its pods (by the deployment's selector) and ReplicaSet revisions.
pub fn deployment_pods(client: Client, ns: &str, name: &str) -> BoxStream<'static, PodEvent> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let rss: Api<ReplicaSet> = Api::namespaced(client, ns);
    let name = name.to_string();
    let selector = async move {
        loop {
            let found = deployments.get(&name).await.map_err(|e| e.to_string());
            let selector = found.and_then(|d| {
                let s = d.spec.map(|s| s.selector).unwrap_or_default();
                kube::core::Selector::try_from(s).map_err(|e| e.to_string())
            });
            match selector {
                Ok(s) => return s,
                Err(e) => {
                    tracing::warn!(deployment = %name, error = %e, "logs: cannot read the deployment");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    };
    futures::stream::once(selector)
        .flat_map(move |selector| {
            let config = watcher::Config::default().labels_from(&selector);
            let pod_events = pod_watch(pods.clone(), config.clone());
            let revisions = revision_watch(rss.clone(), config);
            futures::stream::select(pod_events, revisions)
        })
        .boxed()
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

/// Revision by pod-template-hash of every ReplicaSet of the selector, sent whole on change.
fn revision_watch(api: Api<ReplicaSet>, config: watcher::Config) -> BoxStream<'static, PodEvent> {
    let mut map: HashMap<String, u64> = HashMap::new();
    watcher::watcher(api, config)
        .default_backoff()
        .applied_objects()
        .map_ok(move |rs| {
            let meta = rs.metadata;
            let hash = meta.labels.and_then(|l| l.get(POD_TEMPLATE_HASH).cloned());
            let revision = meta
                .annotations
                .and_then(|a| a.get(REVISION).and_then(|r| r.parse::<u64>().ok()));
            match (hash, revision) {
                (Some(h), Some(r)) if map.get(&h) != Some(&r) => {
                    map.insert(h, r);
                    Some(PodEvent::Revisions(
                        map.iter().map(|(h, r)| (h.clone(), *r)).collect(),
                    ))
                }
                _ => None,
            }
        })
        .filter_map(|r| {
            futures::future::ready(match r {
                Ok(revisions) => revisions,
                Err(e) => {
                    // kube-rs backs off and retries; say it rather than drop it.
                    tracing::warn!(error = %e, "logs: ReplicaSet watch failed; retrying");
                    None
                }
            })
        })
        .boxed()
}
