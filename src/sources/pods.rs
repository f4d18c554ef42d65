//! Pods from a kube-rs watcher (list once, then watch events), converted to compact rows at
//! the source so that no whole Pod object reaches the state.

use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio::sync::mpsc::Sender;

use crate::cluster::ClusterConfig;
use crate::model::pod::PodRow;
use crate::sources::client_loop;
use crate::update::{SourceHealth, SourceId, Update};

/// How often to probe the API server while the watch is failing.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// Watches the pods of one scope (context + namespace) until aborted.
pub struct PodWatcher {
    pub cluster: ClusterConfig,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub scope: u64,
    pub tx: Sender<Update>,
}

impl PodWatcher {
    async fn health(&self, health: SourceHealth) {
        client_loop::report(&self.tx, self.scope, SourceId::Kubernetes, health).await;
    }

    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let to = (&self.tx, self.scope, SourceId::Kubernetes);
        client_loop::with_client(&self.cluster, self.context.as_deref(), to, |client| {
            self.watch(client)
        })
        .await;
    }

    async fn watch(&self, client: kube::Client) {
        let api: Api<Pod> = match &self.namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        let config = watcher::Config::default().page_size(500);
        let stream = watcher::watcher(api, config).default_backoff();
        futures::pin_mut!(stream);
        let mut snapshot: Vec<PodRow> = Vec::new();
        let mut failing: Option<(Timestamp, u32)> = None;
        let mut probe = tokio::time::interval(PROBE_EVERY);
        loop {
            let event = tokio::select! {
                event = stream.next() => event,
                _ = probe.tick(), if failing.is_some() => {
                    if client.apiserver_version().await.is_ok() {
                        tracing::info!("Kubernetes API reachable again");
                        failing = None;
                        self.health(SourceHealth::Live).await;
                    }
                    continue;
                }
            };
            let Some(event) = event else { return };
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    let (since, attempt) = failing.get_or_insert((Timestamp::now(), 0));
                    *attempt += 1;
                    tracing::warn!(error = %e, attempt = *attempt, "pod watch failed; backing off");
                    let health = SourceHealth::Reconnecting {
                        since: *since,
                        attempt: *attempt,
                        reason: e.to_string(),
                    };
                    self.health(health).await;
                    continue;
                }
            };
            if failing.take().is_some() {
                self.health(SourceHealth::Live).await;
            }
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
                return;
            }
        }
    }
}
