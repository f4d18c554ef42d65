//! What every pod consumes, from `metrics.k8s.io` (metrics-server), as `kubectl top pods`:
//! one LIST of the scope's PodMetrics per poll, never one request per pod. A cluster that does
//! not serve the API (404) or forbids it (403) gets no columns and no error; it is asked again
//! every few minutes. A poll that gets no answer within [`TIMEOUT`] is a stale source, as any.
//! It lists only while the pods pane has room for the CPU/MEM columns (`wanted`): a screen
//! that does not show them costs no request.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::model::usage::from_pod_metrics_list;
use crate::sources::client_loop::{CLIENT_RETRY, Watch};
use crate::update::{SourceHealth, SourceId, Update};

/// metrics-server's resolution: usage changes once per 15 s window.
pub const INTERVAL: Duration = Duration::from_secs(15);
/// A poll with no answer by then is a silent network.
const TIMEOUT: Duration = Duration::from_secs(7);
/// How often a cluster without the API is asked again.
const ABSENT_RETRY: Duration = Duration::from_secs(300);

/// Polls the PodMetrics of one scope until aborted.
pub struct UsagePoller {
    pub watch: Watch,
    pub interval: Duration,
    /// True while the CPU/MEM columns have room on screen.
    pub wanted: tokio::sync::watch::Receiver<bool>,
}

/// One poll's outcome.
enum Poll {
    Usage(Value),
    /// 404 or 403: no such API here (or not for this user).
    Absent(String),
    Failed(String),
}

impl UsagePoller {
    fn path(&self) -> String {
        match &self.watch.namespace {
            Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
            None => "/apis/metrics.k8s.io/v1beta1/pods".to_string(),
        }
    }

    async fn poll(&self, client: &kube::Client) -> Poll {
        let request = match http::Request::get(self.path()).body(Vec::new()) {
            Ok(r) => r,
            Err(e) => return Poll::Failed(e.to_string()),
        };
        match tokio::time::timeout(TIMEOUT, client.request::<Value>(request)).await {
            Ok(Ok(list)) => Poll::Usage(list),
            Ok(Err(kube::Error::Api(e))) if e.code == 404 || e.code == 403 => {
                Poll::Absent(format!("{} {}", e.code, e.message))
            }
            Ok(Err(e)) => Poll::Failed(crate::exec::api_message(&e)),
            Err(_) => Poll::Failed(format!("no answer within {} s", TIMEOUT.as_secs())),
        }
    }

    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let w = &self.watch;
        let mut health: Option<SourceHealth> = None;
        let mut outage: Option<(Timestamp, u32)> = None;
        loop {
            let client = match w.cluster.watch_client(w.context.as_deref()).await {
                Ok(client) => client,
                Err(e) => {
                    // The pod watch says why; usage just waits for a client.
                    tracing::debug!(error = %e, "usage: no Kubernetes client");
                    tokio::time::sleep(CLIENT_RETRY).await;
                    continue;
                }
            };
            loop {
                // Wait (no request) while the columns have no room; gone: the app quit.
                if self.wanted.clone().wait_for(|w| *w).await.is_err() {
                    return;
                }
                let (new, wait) = match self.poll(&client).await {
                    Poll::Usage(list) => {
                        outage = None;
                        let usage = Some(from_pod_metrics_list(&list));
                        if !w
                            .send(Update::UsageFetched {
                                scope: w.scope,
                                usage,
                            })
                            .await
                        {
                            return;
                        }
                        (Some(SourceHealth::Live), self.interval)
                    }
                    Poll::Absent(why) => {
                        tracing::info!(why, "metrics.k8s.io not served: no CPU/MEM columns");
                        outage = None;
                        if !w
                            .send(Update::UsageFetched {
                                scope: w.scope,
                                usage: None,
                            })
                            .await
                        {
                            return;
                        }
                        (None, ABSENT_RETRY)
                    }
                    Poll::Failed(reason) => {
                        tracing::warn!(error = %reason, "usage poll failed");
                        let (since, attempt) = outage.get_or_insert((Timestamp::now(), 0));
                        *attempt += 1;
                        let stale = SourceHealth::Reconnecting {
                            since: *since,
                            attempt: *attempt,
                            reason,
                        };
                        (Some(stale), self.interval)
                    }
                };
                if let Some(new) = new
                    && health.as_ref() != Some(&new)
                {
                    w.report(SourceId::Usage, new.clone()).await;
                    health = Some(new);
                }
                tokio::time::sleep(wait).await;
            }
        }
    }
}
