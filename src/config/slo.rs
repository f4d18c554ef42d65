//! `[[slo]]`: SLOs declared in the config for teams without Sloth or Pyrra. opsdeck computes
//! their error ratios itself from the PromQL given, with `$window` replaced by each window the
//! burn-rate pairs need.

use serde::Deserialize;

use crate::model::slo::{Slo, SloSource, parse_window};

/// One declared SLO.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredSlo {
    pub name: String,
    /// Default: the name.
    #[serde(default)]
    pub service: Option<String>,
    /// In percent: `99.9`.
    pub objective: f64,
    /// `30d`, `28d`, `7d`.
    #[serde(default = "default_period")]
    pub period: String,
    /// The error ratio over `$window`, e.g.
    /// `sum(rate(http_requests_total{code=~"5.."}[$window])) / sum(rate(http_requests_total[$window]))`.
    #[serde(default)]
    pub error_ratio: Option<String>,
    /// Good events over `$window` (with `total`, instead of `error_ratio`).
    #[serde(default)]
    pub good: Option<String>,
    /// All events over `$window`.
    #[serde(default)]
    pub total: Option<String>,
}

fn default_period() -> String {
    "30d".into()
}

impl DeclaredSlo {
    /// The error ratio with `$window`, from `error_ratio` or `1 - good / total`.
    pub fn ratio_query(&self) -> Option<String> {
        match (&self.error_ratio, &self.good, &self.total) {
            (Some(e), _, _) => Some(e.clone()),
            (None, Some(g), Some(t)) => Some(format!("1 - (({g}) / ({t}))")),
            _ => None,
        }
    }

    /// What is wrong with it, as `(key, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if !(self.objective > 0.0 && self.objective < 100.0) {
            p.push((
                "objective",
                format!(
                    "must be a percentage between 0 and 100, not {}",
                    self.objective
                ),
            ));
        }
        if parse_window(&self.period).is_none() {
            p.push((
                "period",
                format!("{:?} is not a duration like 30d or 4w", self.period),
            ));
        }
        match (&self.error_ratio, &self.good, &self.total) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            (Some(_), _, _) => p.push((
                "error_ratio",
                "give either error_ratio or good and total, not both".into(),
            )),
            (None, Some(_), None) => p.push(("total", "good needs total".into())),
            (None, None, Some(_)) => p.push(("good", "total needs good".into())),
            (None, None, None) => p.push((
                "error_ratio",
                "give error_ratio, or good and total (PromQL with $window)".into(),
            )),
        }
        for (key, q) in [
            ("error_ratio", &self.error_ratio),
            ("good", &self.good),
            ("total", &self.total),
        ] {
            if q.as_ref().is_some_and(|q| !q.contains("$window")) {
                p.push((key, "must use $window (e.g. rate(x[$window]))".into()));
            }
        }
        p
    }

    /// The SLO as it stands before any answer: name, objective and period.
    pub fn slo(&self) -> Slo {
        let mut slo = Slo::new(SloSource::Declared, &self.name);
        slo.service = self.service.clone().unwrap_or_else(|| self.name.clone());
        slo.name = if slo.service == self.name {
            String::new()
        } else {
            self.name.clone()
        };
        slo.objective = Some(self.objective / 100.0);
        slo.period = parse_window(&self.period).unwrap_or(30 * 86_400);
        slo
    }
}
