//! Pods from a kube-rs watcher (list once, then watch events), converted to compact rows at
//! the source so that no whole Pod object reaches the state.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::watcher::{self, Event};
use tokio::sync::mpsc::Sender;

use crate::cluster::ClusterConfig;
use crate::model::pod::PodRow;
use crate::sources::client_loop;
use crate::sources::link::{Links, Trouble, Watchdog};
use crate::update::{SourceHealth, SourceId, Update};

/// Watches the pods of one scope (context + namespace) until aborted.
pub struct PodWatcher {
    pub cluster: ClusterConfig,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub scope: u64,
    pub tx: Sender<Update>,
    /// Liveness of the API servers, shared with the other watches and the executor.
    pub links: Links,
}

impl PodWatcher {
    async fn health(&self, health: SourceHealth) {
        client_loop::report(&self.tx, self.scope, SourceId::Pods, health).await;
    }

    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let to = (&self.tx, self.scope, SourceId::Pods);
        let with = (&self.cluster, &self.links);
        client_loop::supervise(with, self.context.as_deref(), to, |client, dog| {
            self.watch(client, dog)
        })
        .await;
    }

    /// One watch stream, until it fails, the link goes silent, or the UI is gone (`None`).
    async fn watch(&self, client: kube::Client, mut dog: Watchdog) -> (Watchdog, Option<Trouble>) {
        let api: Api<Pod> = match &self.namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        let config = watcher::Config::default().page_size(500);
        let stream = watcher::watcher(api, config);
        futures::pin_mut!(stream);
        let mut snapshot: Vec<PodRow> = Vec::new();
        loop {
            let event = tokio::select! {
                event = stream.next() => event,
                trouble = dog.silence(&client) => return (dog, Some(trouble)),
            };
            let event = match event {
                Some(Ok(event)) => event,
                Some(Err(e)) => return (dog, Some(Trouble::WatchError(e.to_string()))),
                None => return (dog, Some(Trouble::WatchError("watch ended".into()))),
            };
            dog.heard();
            let scope = self.scope;
            let update = match event {
                Event::Init => {
                    snapshot.clear();
                    continue;
                }
                Event::InitApply(pod) => {
                    snapshot.push(PodRow::from_pod(&pod));
                    continue;
                }
                Event::InitDone => {
                    tracing::info!(pods = snapshot.len(), "pods listed");
                    dog.listed();
                    self.health(SourceHealth::Live).await;
                    let rows = std::mem::take(&mut snapshot);
                    Update::PodsListed { scope, rows }
                }
                Event::Apply(pod) => Update::PodApplied {
                    scope,
                    row: Box::new(PodRow::from_pod(&pod)),
                },
                Event::Delete(pod) => Update::PodDeleted {
                    scope,
                    namespace: pod.metadata.namespace.unwrap_or_default(),
                    name: pod.metadata.name.unwrap_or_default(),
                },
            };
            if self.tx.send(update).await.is_err() {
                return (dog, None);
            }
        }
    }
}
