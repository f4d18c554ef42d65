//! The outer loop every Kubernetes source shares: build a client for the scope's context, run
//! the source with it, and when no client can be built (no kubeconfig, unknown context),
//! report the source as failed and try again.

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc::Sender;

use crate::cluster::ClusterConfig;
use crate::update::{SourceHealth, SourceId, Update};

/// How often to try again when no client can be built at all.
pub const CLIENT_RETRY: Duration = Duration::from_secs(5);

/// Report the health of `source` for `scope`.
pub async fn report(tx: &Sender<Update>, scope: u64, source: SourceId, health: SourceHealth) {
    let update = Update::SourceHealth {
        scope,
        source,
        health,
    };
    let _ = tx.send(update).await;
}

/// Run `watch` with a client for `context`, forever (the app aborts the task).
pub async fn with_client<F, Fut>(
    cluster: &ClusterConfig,
    context: Option<&str>,
    (tx, scope, source): (&Sender<Update>, u64, SourceId),
    mut watch: F,
) where
    F: FnMut(kube::Client) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        match cluster.client(context).await {
            Ok(client) => watch(client).await,
            Err(e) => {
                tracing::warn!(error = %e, source = source.label(), "cannot build a Kubernetes client");
                let health = SourceHealth::Failed {
                    since: Timestamp::now(),
                    reason: e.to_string(),
                };
                report(tx, scope, source, health).await;
                tokio::time::sleep(CLIENT_RETRY).await;
            }
        }
    }
}

/// How often to probe the API server while a watch is failing.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// A failing watch: since when, and how many attempts. A watch that is retried silently by
/// kube-rs's backoff gives no event when it works again, so while down the source probes the
/// API server too; the next event or a good probe ends the outage.
#[derive(Debug, Default)]
pub struct Outage(Option<(Timestamp, u32)>);

impl Outage {
    pub fn is_down(&self) -> bool {
        self.0.is_some()
    }

    /// A watch error: the health to report (stale since the first error of the outage).
    pub fn failed(&mut self, what: &str, reason: String) -> SourceHealth {
        let (since, attempt) = self.0.get_or_insert((Timestamp::now(), 0));
        *attempt += 1;
        tracing::warn!(error = %reason, attempt = *attempt, "{what} watch failed; backing off");
        SourceHealth::Reconnecting {
            since: *since,
            attempt: *attempt,
            reason,
        }
    }

    /// An event arrived: whether that ended an outage (report Live).
    pub fn recovered(&mut self) -> bool {
        self.0.take().is_some()
    }

    /// While down: whether the API server answers again (then the outage is over).
    pub async fn probe(&mut self, client: &kube::Client) -> bool {
        if client.apiserver_version().await.is_ok() {
            tracing::info!("Kubernetes API reachable again");
            self.0 = None;
            return true;
        }
        false
    }
}
