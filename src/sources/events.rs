//! Kubernetes events of the scope, watched (not polled), for the incident timeline: the
//! Warning ones and `ScalingReplicaSet`, converted to timeline entries at the source.

use k8s_openapi::api::core::v1::Event as KubeEvent;
use kube::runtime::watcher::{self, Event};

use crate::model::timeline::from_event;
use crate::sources::client_loop::{self, Watch};
use crate::sources::link::{Trouble, Watchdog};
use crate::update::{SourceHealth, SourceId, Update};

/// Watches the events of one scope (context + namespace) until aborted.
pub struct EventWatcher {
    pub watch: Watch,
    /// The logs' redaction rules: event text is cluster text too.
    pub redactor: std::sync::Arc<crate::redact::Redactor>,
}

/// Longest event text kept.
const TEXT_CAP: usize = 2048;

impl EventWatcher {
    /// Sanitised (no escape sequences reach the terminal) and redacted.
    fn clean(&self, text: &str) -> String {
        let t = crate::sanitize::sanitize(text.as_bytes(), TEXT_CAP).text;
        self.redactor.redact(&t).unwrap_or(t)
    }

    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let w = &self.watch;
        w.run(SourceId::Events, |client, dog| self.watch(client, dog))
            .await;
    }

    async fn watch(&self, client: kube::Client, mut dog: Watchdog) -> (Watchdog, Option<Trouble>) {
        let w = &self.watch;
        let config = watcher::Config::default().page_size(500);
        let stream = watcher::watcher(w.api::<KubeEvent>(client.clone()), config);
        futures::pin_mut!(stream);
        loop {
            let event = match client_loop::next_event(&mut stream, &mut dog, &client).await {
                Ok(event) => event,
                Err(trouble) => return (dog, Some(trouble)),
            };
            let object = match event {
                Event::InitDone => {
                    dog.listed();
                    w.report(SourceId::Events, SourceHealth::Live).await;
                    continue;
                }
                Event::Init | Event::Delete(_) => continue,
                Event::InitApply(e) | Event::Apply(e) => e,
            };
            let Some(mut entry) = from_event(&object) else {
                continue;
            };
            entry.text = self.clean(&entry.text);
            entry.object = self.clean(&entry.object);
            let update = Update::TimelineEntry {
                scope: w.scope,
                entry: Box::new(entry),
            };
            if !w.send(update).await {
                return (dog, None);
            }
        }
    }
}
