//! Polls the alert APIs: Alertmanager `/api/v2/alerts` (every configured instance), or
//! Prometheus `/api/v1/alerts` when no Alertmanager is set; plus Prometheus's alerting rules for
//! the expressions shown in the detail. Never exits: a failing endpoint keeps its last alerts on
//! screen, is reported as reconnecting and retried with exponential backoff.

use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;
use tokio::sync::mpsc::Sender;
use tokio::time::{Instant, MissedTickBehavior};

use crate::http::{HttpClient, join};
use crate::model::alert::{AlertRow, parse_alertmanager, parse_prometheus, parse_rules};
use crate::update::{SourceHealth, SourceId, Update};

/// Rules change rarely: fetch them every this many polls.
const RULES_EVERY: u64 = 30;

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

    async fn fetch(&self, http: &HttpClient) -> Result<Vec<AlertRow>, String> {
        let (path, parse): (&str, fn(&[u8], &str) -> _) = match self.kind {
            SourceId::Alertmanager => ("api/v2/alerts", parse_alertmanager),
            _ => ("api/v1/alerts", parse_prometheus),
        };
        let body = http
            .get(&join(&self.url, path))
            .await
            .map_err(|e| e.to_string())?;
        parse(&body, &self.url).map_err(|e| e.to_string())
    }
}

/// Polls alert endpoints until aborted.
pub struct AlertPoller {
    pub http: HttpClient,
    pub endpoints: Vec<AlertEndpoint>,
    /// Where alerting rules are read from (optional).
    pub prometheus_url: Option<String>,
    pub interval: Duration,
    /// Upper bound of the retry delay of a failing endpoint.
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
    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let mut failing: Vec<Failing> = self.endpoints.iter().map(|_| Failing::default()).collect();
        let mut reported: Vec<(SourceId, SourceHealth)> = Vec::new();
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut round: u64 = 0;
        loop {
            tick.tick().await;
            // A failing endpoint is due when its backoff has (nearly) elapsed.
            let slack = Instant::now() + self.interval / 2;
            let due: Vec<usize> = (0..self.endpoints.len())
                .filter(|i| failing[*i].retry_at.is_none_or(|at| at <= slack))
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
                    Err(reason) => self.failed(&mut failing[i], ep, reason),
                }
            }
            if !self.report(&failing, &mut reported).await {
                return;
            }
            if round.is_multiple_of(RULES_EVERY) {
                self.fetch_rules().await;
            }
            round += 1;
        }
    }

    fn failed(&self, f: &mut Failing, ep: &AlertEndpoint, reason: String) {
        f.attempt += 1;
        f.since.get_or_insert_with(Timestamp::now);
        let exp = f.attempt.saturating_sub(1).min(16);
        let delay = self.interval.saturating_mul(1 << exp).min(self.max_backoff);
        f.retry_at = Some(Instant::now() + delay);
        tracing::warn!(url = %ep.url, attempt = f.attempt, retry_in = ?delay, error = %reason,
            "alert source failed; keeping the last alerts");
        f.reason = reason;
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
