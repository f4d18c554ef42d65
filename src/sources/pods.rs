//! Pods from a kube-rs watcher (list once, then watch events), converted to compact rows at
//! the source so that no whole Pod object reaches the state.

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, Event};

use crate::model::pod::PodRow;
use crate::sources::client_loop::{self, Watch};
use crate::sources::link::{Trouble, Watchdog};
use crate::update::{SourceHealth, SourceId, Update};

/// Watches the pods of one scope (context + namespace) until aborted.
pub struct PodWatcher {
    pub watch: Watch,
}

impl PodWatcher {
    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let w = &self.watch;
        w.run(SourceId::Pods, |client, dog| self.watch(client, dog))
            .await;
    }

    /// One watch stream, until it fails, the link goes silent, or the UI is gone (`None`).
    async fn watch(&self, client: kube::Client, mut dog: Watchdog) -> (Watchdog, Option<Trouble>) {
        let w = &self.watch;
        let config = watcher::Config::default().page_size(500);
        let stream = watcher::watcher(w.api::<Pod>(client.clone()), config);
        futures::pin_mut!(stream);
        let mut snapshot: Vec<PodRow> = Vec::new();
        loop {
            let event = match client_loop::next_event(&mut stream, &mut dog, &client).await {
                Ok(event) => event,
                Err(trouble) => return (dog, Some(trouble)),
            };
            let scope = w.scope;
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
                    w.report(SourceId::Pods, SourceHealth::Live).await;
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
            if !w.send(update).await {
                return (dog, None);
            }
        }
    }
}
