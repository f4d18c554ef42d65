//! Polls Prometheus for the SLOs: one batched instant query for every Sloth SLO, one for every
//! Pyrra SLO, one per declared `[[slo]]` (all its windows joined with `or`) — never one query
//! per SLO per window. A declared query that fails shows its error on that SLO; an unreachable
//! (or silent: the HTTP client times out) Prometheus makes the source stale, retried with
//! backoff, keeping the last SLOs on screen.

use std::time::Duration;

use futures::future::join_all;
use tokio::sync::mpsc::Sender;

use crate::config::slo::DeclaredSlo;
use crate::http::{HttpClient, join};
use crate::model::alert::parse_rules;
use crate::model::slo::{
    PYRRA_QUERY, SLOTH_QUERY, Sample, Slo, SloSource, batched_ratio_query, complete_pyrra,
    declared_ratios, parse_vector, pyrra_objectives, pyrra_slos, sloth_slos,
};
use crate::sources::alerts::{Failure, poll_forever};
use crate::sources::metrics::{QueryError, get};
use crate::update::{SourceId, Update};

/// Polls every SLO source of one Prometheus until aborted.
pub struct SloPoller {
    pub http: HttpClient,
    pub prometheus_url: String,
    pub declared: Vec<DeclaredSlo>,
    pub interval: Duration,
    pub max_backoff: Duration,
    pub scope: u64,
    pub tx: Sender<Update>,
}

/// An instant query of `promql` against `base`.
pub(crate) async fn instant(
    http: &HttpClient,
    base: &str,
    promql: &str,
) -> Result<Vec<Sample>, QueryError> {
    let url = join(base, "api/v1/query");
    let url = reqwest::Url::parse_with_params(&url, [("query", promql)])
        .map_err(|e| QueryError::Query(e.to_string()))?;
    let body = get(http, url.as_str()).await?;
    parse_vector(&body).map_err(QueryError::Query)
}

impl SloPoller {
    /// Run forever (the app aborts the task on rescope or quit).
    pub async fn run(self) {
        let what = (self.scope, SourceId::Slo, "SLO source");
        let scope = self.scope;
        let poll = || async {
            let slos = self.poll().await?;
            Ok(Update::SlosFetched { scope, slos })
        };
        poll_forever(&self.tx, what, (self.interval, self.max_backoff), poll).await;
    }

    /// Every SLO, or why Prometheus could not be asked.
    async fn poll(&self) -> Result<Vec<Slo>, Failure> {
        let base = &self.prometheus_url;
        let (sloth, pyrra) = tokio::join!(
            instant(&self.http, base, SLOTH_QUERY),
            instant(&self.http, base, PYRRA_QUERY)
        );
        let declared = join_all(self.declared.iter().map(|d| self.declared_slo(d))).await;
        let mut slos = Vec::new();
        for (result, parse) in [
            (sloth, sloth_slos as fn(&[Sample]) -> Vec<Slo>),
            (pyrra, pyrra_slos),
        ] {
            match result {
                Ok(samples) => slos.extend(parse(&samples)),
                Err(QueryError::Unreachable(f)) => return Err(f),
                // A Prometheus that cannot run the discovery query has none of these.
                Err(QueryError::Query(e)) => {
                    tracing::warn!(error = %e, "SLO discovery query failed")
                }
            }
        }
        let unknown = slos
            .iter()
            .any(|s| s.source == SloSource::Pyrra && s.objective.is_none());
        if unknown {
            // No pyrra_objective: Pyrra's own alerting rules carry the objective.
            match get(&self.http, &join(base, "api/v1/rules?type=alert")).await {
                Ok(body) => match parse_rules(&body) {
                    Ok(rules) => complete_pyrra(&mut slos, &pyrra_objectives(&rules)),
                    Err(e) => tracing::warn!(error = %e, "cannot read Prometheus's rules"),
                },
                Err(QueryError::Unreachable(f)) => return Err(f),
                Err(QueryError::Query(e)) => {
                    tracing::warn!(error = %e, "cannot read Prometheus's rules")
                }
            }
        }
        for result in declared {
            slos.push(result?);
        }
        Ok(slos)
    }

    /// A declared SLO: its ratios, or the error of its query on it.
    async fn declared_slo(&self, d: &DeclaredSlo) -> Result<Slo, Failure> {
        let mut slo = d.slo();
        let Some(ratio) = d.ratio_query() else {
            slo.error = Some("no error_ratio, good or total".into());
            return Ok(slo);
        };
        let query = batched_ratio_query(&ratio, &slo.windows());
        match instant(&self.http, &self.prometheus_url, &query).await {
            Ok(samples) => {
                slo.ratios = declared_ratios(&samples);
                if slo.ratios.is_empty() {
                    slo.error = Some("the query returned no data".into());
                }
            }
            Err(QueryError::Query(e)) => slo.error = Some(e),
            Err(QueryError::Unreachable(f)) => return Err(f),
        }
        Ok(slo)
    }
}
