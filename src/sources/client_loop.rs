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
