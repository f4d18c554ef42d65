//! Polls Prometheus `query_range` for the golden signals of the configured services. A failing
//! query becomes an error on its series; an unreachable server is reported as reconnecting and
//! retried with backoff, keeping the last series on screen.

use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;
use tokio::sync::mpsc::Sender;

use crate::config::alerts::{ServiceConfig, SignalQuery};
use crate::http::{HttpClient, HttpError, join};
use crate::model::signal::{ServiceSignals, SignalKind, SignalSeries, parse_query_range};
use crate::sources::alerts::{Failure, poll_forever};
use crate::update::{SourceId, Update};

/// Points per sparkline (the step is `window / POINTS`).
const POINTS: u64 = 120;

/// Polls the signals of every service until aborted.
pub struct MetricsPoller {
    pub http: HttpClient,
    pub prometheus_url: String,
    pub services: Vec<ServiceConfig>,
    pub window: Duration,
    pub interval: Duration,
    pub max_backoff: Duration,
    pub scope: u64,
    pub tx: Sender<Update>,
}

/// Outcome of one query: a transport failure means the server is down, an API error does not.
pub(crate) enum QueryError {
    Unreachable(Failure),
    Query(String),
}

impl MetricsPoller {
    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let what = (self.scope, SourceId::Metrics, "metrics source");
        poll_forever(&self.tx, what, (self.interval, self.max_backoff), || {
            self.poll()
        })
        .await;
    }

    /// Every service's series, or why the server could not be reached.
    async fn poll(&self) -> Result<Update, Failure> {
        let now = Timestamp::now();
        let mut services = Vec::new();
        for svc in &self.services {
            let (series, unreachable) = self.service(svc, now).await;
            if let Some(failure) = unreachable {
                return Err(failure);
            }
            services.push(series);
        }
        Ok(Update::SignalsFetched {
            scope: self.scope,
            services,
        })
    }

    /// The series of one service, and the transport error if the server was unreachable.
    async fn service(
        &self,
        svc: &ServiceConfig,
        now: Timestamp,
    ) -> (ServiceSignals, Option<Failure>) {
        let queries: Vec<(SignalKind, &SignalQuery)> = SignalKind::ALL
            .into_iter()
            .zip([&svc.latency, &svc.traffic, &svc.errors, &svc.saturation])
            .filter_map(|(k, q)| q.as_ref().map(|q| (k, q)))
            .collect();
        let results = join_all(queries.iter().map(|(_, q)| self.query(&q.query, now))).await;
        let mut unreachable = None;
        let series = queries
            .into_iter()
            .zip(results)
            .map(|((kind, q), result)| {
                let (points, error) = match result {
                    Ok(points) => (points, None),
                    Err(QueryError::Query(e)) => (Vec::new(), Some(e)),
                    Err(QueryError::Unreachable(e)) => {
                        let reason = e.reason.clone();
                        unreachable = Some(e);
                        (Vec::new(), Some(reason))
                    }
                };
                SignalSeries {
                    kind,
                    unit: q.unit.clone(),
                    points,
                    warning: q.warning,
                    critical: q.critical,
                    error,
                }
            })
            .collect();
        let signals = ServiceSignals {
            service: svc.name.clone(),
            series,
        };
        (signals, unreachable)
    }

    async fn query(&self, promql: &str, now: Timestamp) -> Result<Vec<(i64, f64)>, QueryError> {
        let end = now.as_second();
        let window = i64::try_from(self.window.as_secs()).unwrap_or(1800);
        let step = (window as u64 / POINTS).max(1);
        let url = join(&self.prometheus_url, "api/v1/query_range");
        let url = reqwest::Url::parse_with_params(
            &url,
            [
                ("query", promql.to_string()),
                ("start", (end - window).to_string()),
                ("end", end.to_string()),
                ("step", step.to_string()),
            ],
        )
        .map_err(|e| QueryError::Query(e.to_string()))?;
        let body = get(&self.http, url.as_str()).await?;
        parse_query_range(&body).map_err(|e| QueryError::Query(e.to_string()))
    }
}

/// GET a Prometheus API URL. Prometheus answers a bad query with 400/422 and a JSON error: the
/// server is fine, the query is not.
pub(crate) async fn get(http: &HttpClient, url: &str) -> Result<Vec<u8>, QueryError> {
    match http.get(url).await {
        Ok(body) => Ok(body),
        Err(HttpError::Status { status, body, .. }) if status == 400 || status == 422 => {
            let msg = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or(body);
            Err(QueryError::Query(msg))
        }
        Err(e) => Err(QueryError::Unreachable(Failure::from(e))),
    }
}
