//! The outer loop every Kubernetes watch shares: build a client for the scope's context, run
//! the watch with it under its [`Watchdog`], and when the watch gives up (error, silent link)
//! wait until the API server answers and start again; when no client can be built (no
//! kubeconfig, unknown context), report the source as failed and try again.

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc::Sender;

use crate::cluster::ClusterConfig;
use crate::sources::link::{Links, Trouble, Watchdog};
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

/// Run `watch` with a client for `context`, forever (the app aborts the task). `watch` runs
/// one watch stream with the [`Watchdog`] it is handed and gives it back with the reason it
/// gave the stream up (`None`: the dashboard is gone, stop); the watchdog then says stale and
/// waits until the API server answers, and the watch starts afresh with a new list.
pub async fn supervise<F, Fut>(
    (cluster, links): (&ClusterConfig, &Links),
    context: Option<&str>,
    (tx, scope, source): (&Sender<Update>, u64, SourceId),
    mut watch: F,
) where
    F: FnMut(kube::Client, Watchdog) -> Fut,
    Fut: Future<Output = (Watchdog, Option<Trouble>)>,
{
    let what = source.label();
    let mut dog = Watchdog::new(links.clone(), context.unwrap_or(""), what);
    loop {
        match cluster.watch_client(context).await {
            Ok(client) => {
                let (back, trouble) = watch(client.clone(), dog).await;
                dog = back;
                let Some(trouble) = trouble else { return };
                if let Some(health) = dog.gave_up(&trouble) {
                    report(tx, scope, source, health).await;
                }
                dog.until_back(&client, |health| report(tx, scope, source, health))
                    .await;
            }
            Err(e) => {
                tracing::warn!(error = %e, source = what, "cannot build a Kubernetes client");
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
