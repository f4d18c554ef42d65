//! The outer loop every Kubernetes watch shares: build a client for the scope's context, run
//! the watch with it under its [`Watchdog`], and when the watch gives up (error, silent link)
//! wait until the API server answers and start again; when no client can be built (no
//! kubeconfig, unknown context), report the source as failed and try again.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use futures::{Stream, StreamExt};

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

/// What every Kubernetes watch of a scope needs: the cluster and context, the namespace
/// (`None`: all), the scope tag of its updates, where to send them, and the shared liveness of
/// the API servers.
#[derive(Clone)]
pub struct Watch {
    pub cluster: ClusterConfig,
    pub context: Option<String>,
    pub namespace: Option<String>,
    pub scope: u64,
    pub tx: Sender<Update>,
    pub links: Links,
}

impl Watch {
    /// Run `watch` for `source` under [`supervise`], forever.
    pub async fn run<F, Fut>(&self, source: SourceId, watch: F)
    where
        F: FnMut(kube::Client, Watchdog) -> Fut,
        Fut: Future<Output = (Watchdog, Option<Trouble>)>,
    {
        let to = (&self.tx, self.scope, source);
        supervise(
            (&self.cluster, &self.links),
            self.context.as_deref(),
            to,
            watch,
        )
        .await;
    }

    /// Report the health of `source`.
    pub async fn report(&self, source: SourceId, health: SourceHealth) {
        report(&self.tx, self.scope, source, health).await;
    }

    /// Send an update; `false` when the dashboard is gone.
    pub async fn send(&self, update: Update) -> bool {
        self.tx.send(update).await.is_ok()
    }

    /// The API of `K` in the namespace, or in all of them.
    pub fn api<K>(&self, client: kube::Client) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match &self.namespace {
            Some(ns) => kube::Api::namespaced(client, ns),
            None => kube::Api::all(client),
        }
    }
}

/// The next item of a watch stream (the watchdog told it arrived), or why the watch ends: an
/// error, the end of the stream, or a link gone silent.
pub async fn next_event<S, T, E>(
    stream: &mut std::pin::Pin<&mut S>,
    dog: &mut Watchdog,
    client: &kube::Client,
) -> Result<T, Trouble>
where
    S: Stream<Item = Result<T, E>>,
    E: Display,
{
    let event = tokio::select! {
        event = stream.next() => event,
        trouble = dog.silence(client) => return Err(trouble),
    };
    match event {
        Some(Ok(event)) => {
            dog.heard();
            Ok(event)
        }
        Some(Err(e)) => Err(Trouble::WatchError(e.to_string())),
        None => Err(Trouble::WatchError("watch ended".into())),
    }
}
