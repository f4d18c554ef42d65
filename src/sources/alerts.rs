//! Polls the alert APIs: Alertmanager `/api/v2/alerts` (every configured instance), or
//! Prometheus `/api/v1/alerts` when no Alertmanager is set; plus Prometheus's alerting rules for
//! the expressions shown in the detail. Never exits: a failing endpoint keeps its last alerts on
//! screen, is reported as reconnecting and retried with exponential backoff.

use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use crate::http::{HttpClient, HttpError, join};
use crate::model::alert::{AlertRow, parse_alertmanager, parse_prometheus, parse_rules};
use crate::update::{SourceHealth, SourceId, Update};

/// Rules change rarely: fetch them every this many polls.
const RULES_EVERY: u64 = 30;

/// Why a poll failed, and how long the server asked us to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub retry_after: Option<Duration>,
}

impl From<HttpError> for Failure {
    fn from(e: HttpError) -> Failure {
        let retry_after = match &e {
            HttpError::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        Failure {
            reason: e.to_string(),
            retry_after,
        }
    }
}

/// The delay before retrying a failing server: 1, 2, then `max` seconds, or the server's
/// `Retry-After` when it is longer (capped at `max_retry_after`). A server that is back is
/// seen within `max` plus one timeout, whatever the poll period.
pub fn retry_delay(attempt: u32, retry_after: Option<Duration>, max: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(16);
    let backoff = Duration::from_secs(1 << exp).min(max);
    retry_after
        .map(|r| r.min(MAX_RETRY_AFTER))
        .unwrap_or_default()
        .max(backoff)
}

/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Poll every `interval` until the dashboard is gone: each answer goes out as its update and
/// the source is reported live; a failure reports it stale, and the next poll waits out the
/// backoff instead of the interval.
pub async fn poll_forever<F, Fut>(
    tx: &tokio::sync::mpsc::Sender<crate::update::Update>,
    (scope, source, what): (u64, SourceId, &str),
    (interval, max_backoff): (Duration, Duration),
    mut poll: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<crate::update::Update, Failure>>,
{
    let mut outage = Outage::default();
    let mut next = tokio::time::Instant::now();
    loop {
        tokio::time::sleep_until(next).await;
        next = tokio::time::Instant::now() + interval;
        let health = match poll().await {
            Ok(update) => {
                outage.ended();
                if tx.send(update).await.is_err() {
                    return;
                }
                SourceHealth::Live
            }
            Err(failure) => {
                let (health, delay) = outage.failed(failure, max_backoff, what);
                next = tokio::time::Instant::now() + delay;
                health
            }
        };
        let update = crate::update::Update::SourceHealth {
            scope,
            source,
            health,
        };
        if tx.send(update).await.is_err() {
            return;
        }
    }
}

/// A polled server's outage: since when, and how many attempts failed.
#[derive(Debug, Default)]
pub struct Outage(Option<(jiff::Timestamp, u32)>);

impl Outage {
    /// The server answered.
    pub fn ended(&mut self) {
        self.0 = None;
    }

    /// Another attempt failed: the stale health to report and when to try again.
    pub fn failed(
        &mut self,
        failure: Failure,
        max_backoff: Duration,
        what: &str,
    ) -> (SourceHealth, Duration) {
        let (since, attempt) = self.0.get_or_insert((jiff::Timestamp::now(), 0));
        *attempt += 1;
        let delay = retry_delay(*attempt, failure.retry_after, max_backoff);
        tracing::warn!(attempt = *attempt, error = %failure.reason, retry_in = ?delay,
            "{what} failed");
        let health = SourceHealth::Reconnecting {
            since: *since,
            attempt: *attempt,
            reason: failure.reason,
        };
        (health, delay)
    }
}

/// One API to poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEndpoint {
    /// [`SourceId::Alertmanager`] or [`SourceId::Prometheus`].
    pub kind: SourceId,
    /// Base URL, e.g. `http://alertmanager:9093`.
    pub url: String,
}

impl AlertEndpoint {
    /// The endpoints to poll: every Alertmanager, else Prometheus.
    pub fn select(alertmanagers: &[String], prometheus: Option<&str>) -> Vec<AlertEndpoint> {
        if alertmanagers.is_empty() {
            return prometheus
                .map(|url| AlertEndpoint {
                    kind: SourceId::Prometheus,
                    url: url.to_string(),
                })
                .into_iter()
                .collect();
        }
        alertmanagers
            .iter()
            .map(|url| AlertEndpoint {
                kind: SourceId::Alertmanager,
                url: url.clone(),
            })
            .collect()
    }

    async fn fetch(&self, http: &HttpClient) -> Result<Vec<AlertRow>, Failure> {
        let (path, parse): (&str, fn(&[u8], &str) -> _) = match self.kind {
            SourceId::Alertmanager => ("api/v2/alerts", parse_alertmanager),
            _ => ("api/v1/alerts", parse_prometheus),
        };
        let body = http
            .get(&join(&self.url, path))
            .await
            .map_err(Failure::from)?;
        parse(&body, &self.url).map_err(|e| Failure {
            reason: e.to_string(),
            retry_after: None,
        })
    }
}

/// Polls alert endpoints until aborted.
pub struct AlertPoller {
    pub http: HttpClient,
    pub endpoints: Vec<AlertEndpoint>,
    /// Where alerting rules are read from (optional).
    pub prometheus_url: Option<String>,
    pub interval: Duration,
    /// Upper bound of the retry delay of a failing endpoint (without `Retry-After`).
    pub max_backoff: Duration,
    pub scope: u64,
    pub tx: Sender<Update>,
}

/// Retry bookkeeping of one endpoint.
#[derive(Debug, Default)]
struct Failing {
    since: Option<Timestamp>,
    attempt: u32,
    reason: String,
    retry_at: Option<Instant>,
}

impl AlertPoller {
    /// Run forever (the app aborts the task on rescope or quit). Every endpoint is polled
    /// each `interval`; a failing one is retried on its own, sooner.
    pub async fn run(self) {
        let mut failing: Vec<Failing> = self.endpoints.iter().map(|_| Failing::default()).collect();
        let mut reported: Vec<(SourceId, SourceHealth)> = Vec::new();
        let mut next_poll = Instant::now();
        let mut round: u64 = 0;
        loop {
            let wake = failing
                .iter()
                .filter_map(|f| f.retry_at)
                .fold(next_poll, Instant::min);
            tokio::time::sleep_until(wake).await;
            let now = Instant::now();
            let regular = now >= next_poll;
            if regular {
                next_poll = now + self.interval;
            }
            let due: Vec<usize> = (0..self.endpoints.len())
                .filter(|i| match failing[*i].retry_at {
                    Some(at) => at <= now,
                    None => regular,
                })
                .collect();
            let results = join_all(due.iter().map(|i| self.endpoints[*i].fetch(&self.http))).await;
            for (i, result) in due.into_iter().zip(results) {
                let ep = &self.endpoints[i];
                match result {
                    Ok(alerts) => {
                        if failing[i].since.is_some() {
                            tracing::info!(url = %ep.url, "alert source reachable again");
                        }
                        failing[i] = Failing::default();
                        let update = Update::AlertsFetched {
                            scope: self.scope,
                            source: ep.url.clone(),
                            alerts,
                        };
                        if self.tx.send(update).await.is_err() {
                            return;
                        }
                    }
                    Err(failure) => self.failed(&mut failing[i], ep, failure),
                }
            }
            if !self.report(&failing, &mut reported).await {
                return;
            }
            if regular {
                if round.is_multiple_of(RULES_EVERY) {
                    self.fetch_rules().await;
                }
                round += 1;
            }
        }
    }

    fn failed(&self, f: &mut Failing, ep: &AlertEndpoint, failure: Failure) {
        f.attempt += 1;
        f.since.get_or_insert_with(Timestamp::now);
        let delay = retry_delay(f.attempt, failure.retry_after, self.max_backoff);
        f.retry_at = Some(Instant::now() + delay);
        tracing::warn!(url = %ep.url, attempt = f.attempt, retry_in = ?delay, error = %failure.reason,
            "alert source failed; keeping the last alerts");
        f.reason = failure.reason;
    }

    /// Send the health of each source kind when it changed. False when the UI is gone.
    async fn report(
        &self,
        failing: &[Failing],
        reported: &mut Vec<(SourceId, SourceHealth)>,
    ) -> bool {
        for kind in [SourceId::Alertmanager, SourceId::Prometheus] {
            let mine: Vec<(&AlertEndpoint, &Failing)> = self
                .endpoints
                .iter()
                .zip(failing)
                .filter(|(ep, _)| ep.kind == kind)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let health = aggregate(&mine);
            if reported.iter().any(|(k, h)| *k == kind && *h == health) {
                continue;
            }
            reported.retain(|(k, _)| *k != kind);
            reported.push((kind, health.clone()));
            let update = Update::SourceHealth {
                scope: self.scope,
                source: kind,
                health,
            };
            if self.tx.send(update).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn fetch_rules(&self) {
        let Some(url) = &self.prometheus_url else {
            return;
        };
        let rules = match self.http.get(&join(url, "api/v1/rules?type=alert")).await {
            Ok(body) => parse_rules(&body).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match rules {
            Ok(rules) => {
                let _ = self
                    .tx
                    .send(Update::AlertRulesFetched {
                        scope: self.scope,
                        rules,
                    })
                    .await;
            }
            Err(e) => tracing::debug!(error = %e, "cannot read alerting rules"),
        }
    }
}

/// Live when every endpoint of a kind answers; else reconnecting since the earliest failure.
fn aggregate(endpoints: &[(&AlertEndpoint, &Failing)]) -> SourceHealth {
    let failing: Vec<&(&AlertEndpoint, &Failing)> = endpoints
        .iter()
        .filter(|(_, f)| f.since.is_some())
        .collect();
    let Some(since) = failing.iter().filter_map(|(_, f)| f.since).min() else {
        return SourceHealth::Live;
    };
    let attempt = failing.iter().map(|(_, f)| f.attempt).max().unwrap_or(1);
    let reason = failing
        .iter()
        .map(|(ep, f)| {
            if endpoints.len() > 1 {
                format!("{}: {}", ep.url, f.reason)
            } else {
                f.reason.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    SourceHealth::Reconnecting {
        since,
        attempt,
        reason,
    }
}
