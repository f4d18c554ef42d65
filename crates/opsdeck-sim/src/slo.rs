//! SLO series as Sloth and Pyrra recording rules produce them, served by the Prometheus
//! look-alike (instant and range queries, PromQL subset in `promql.rs`). Values follow the
//! error model of `story.rs`, so burn rates, budgets and alerts agree with each other and with
//! the scenario: `burn = ratio / (1 - objective)` for every window, exactly.
//!
//! # Sloth (for each SLO below whose deployment exists)
//! | sloth_id | sloth_service | sloth_slo | objective | deployment | in trouble when |
//! |---|---|---|---|---|---|
//! | `checkout-requests-availability` | checkout | requests-availability | 99.9 % | #0 (shop) | bad-rollout, incident: 9 % errors from the rollout at start |
//! | `payments-api-requests-availability` | payments-api | requests-availability | 99.5 % | #1 (payments) | crashloop: 1.46 % errors since 3 h before start |
//! | `api-gateway-requests-availability` | api-gateway | requests-availability | 99.9 % | #2 (platform) | incident (OOM kills): 1.46 % errors since 3 h before start |
//!
//! Labels on every series of an SLO: `sloth_id`, `sloth_service`, `sloth_slo`, plus the SLO's
//! own `owner` (`team-<namespace>`) and `tier`. Series (the `__name__`s):
//! - `slo:sli_error:ratio_rate5m`, `…30m`, `…1h`, `…2h`, `…6h`, `…1d`, `…3d`, `…30d` — the mean
//!   error ratio over the window, with `sloth_window="5m"` (etc.) as Sloth adds it;
//! - `slo:objective:ratio` (0.999), `slo:error_budget:ratio` (1 − objective),
//!   `slo:time_period:days` (30);
//! - `slo:current_burn_rate:ratio` (5m ratio / budget), `slo:period_burn_rate:ratio` (30d ratio /
//!   budget), `slo:period_error_budget_remaining:ratio` (1 − period burn rate);
//! - `sloth_slo_info` = 1, with `sloth_mode="cli-gen-prom"`, `sloth_objective="99.9"`,
//!   `sloth_spec="prometheus/v1"`, `sloth_version="v0.11.0"`.
//!
//! Values at the simulator's start (baselines drift by up to ±33 %, troubles add on top):
//! - api-gateway (incident): 5m, 30m, 1h and 2h ratios ≈ 0.0148 (burn ≈ 14.8x: the 1h/5m and
//!   6h/30m page pairs breach), 6h ≈ 0.0075 (7.5x), 1d ≈ 0.0020, budget remaining ≈ 0.38;
//! - checkout (incident, bad-rollout): ≈ 0.0003 at start; the 5m ratio passes 0.05 within 4 min
//!   (~90x burn), the 1h ratio passes 14.4x after ≈ 10 min; budget ≈ 0.67 at start, falling
//!   ≈ 13 points an hour until the rollout is undone;
//! - payments-api: ≈ 0.0006 (0.12x), budget ≈ 0.88.
//!
//! # Pyrra (one SLO: payments-api latency)
//! `slo="payments-api-latency"`, objective 0.99 over 28 days (2,419,200 s), healthy (≈ 0.4 % of
//! requests slower than 300 ms):
//! - `http_request_duration_seconds:burnrate5m`, `…30m`, `…1h`, `…2h`, `…6h`, `…1d`, `…4d` with
//!   `job="payments-api"`, `slo` — the error (slow) ratio over the window, as Pyrra names it;
//! - `pyrra_objective` (0.99), `pyrra_window` (2419200), `pyrra_availability` (1 − 28d ratio),
//!   `pyrra_requests:rate5m` (≈ 180 req/s), `pyrra_errors:rate5m` (requests × 5m ratio), each
//!   with `slo` only.

use std::collections::BTreeMap;

use super::promql::{Labels, Sample};
use super::scenario;
use super::server::Ctx;
use super::story::{ErrorModel, Snapshot, Window};

/// The burn-rate windows Sloth and Pyrra share, in seconds.
const WINDOWS: [(&str, i64); 6] = [
    ("5m", 300),
    ("30m", 1_800),
    ("1h", 3_600),
    ("2h", 7_200),
    ("6h", 21_600),
    ("1d", 86_400),
];

/// Sloth's windows: the shared ones, 3d and the 30-day period.
fn sloth_windows() -> impl Iterator<Item = (&'static str, i64)> {
    WINDOWS
        .into_iter()
        .chain([("3d", 259_200), ("30d", 2_592_000)])
}

/// Pyrra's windows for a 28-day objective: the shared ones and 4d.
fn pyrra_windows() -> impl Iterator<Item = (&'static str, i64)> {
    WINDOWS.into_iter().chain([("4d", 345_600)])
}

const PYRRA_PERIOD: i64 = 28 * 86_400;

/// An earlier incident still inside the 30-day window: `level` of requests failed for `hours`,
/// starting `days_ago` days before the simulator started.
struct Past {
    days_ago: f64,
    hours: f64,
    level: f64,
}

struct SlothSpec {
    deployment: usize,
    slo: &'static str,
    objective: f64,
    tier: &'static str,
    base: f64,
    past: &'static [Past],
}

const SLOTH: [SlothSpec; 3] = [
    SlothSpec {
        deployment: 0,
        slo: "requests-availability",
        objective: 0.999,
        tier: "1",
        base: 0.0003,
        past: &[Past {
            days_ago: 20.0,
            hours: 2.0,
            level: 0.01,
        }],
    },
    SlothSpec {
        deployment: 1,
        slo: "requests-availability",
        objective: 0.995,
        tier: "1",
        base: 0.0006,
        past: &[],
    },
    SlothSpec {
        deployment: 2,
        slo: "requests-availability",
        objective: 0.999,
        tier: "1",
        base: 0.0002,
        past: &[Past {
            days_ago: 11.0,
            hours: 6.0,
            level: 0.0432,
        }],
    },
];

/// One Sloth SLO, resolved for this cluster.
#[derive(Clone, Debug)]
pub struct SlothSlo {
    pub service: String,
    pub namespace: String,
    pub slo: &'static str,
    pub objective: f64,
    tier: &'static str,
    pub model: ErrorModel,
}

impl SlothSlo {
    /// `<service>-<slo>`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.service, self.slo)
    }

    /// The error budget, `1 - objective`.
    pub fn budget(&self) -> f64 {
        1.0 - self.objective
    }

    /// Burn rate over the `w` seconds before `t`.
    pub fn burn(&self, t: i64, w: i64) -> f64 {
        self.model.mean(t as f64, w as f64) / self.budget()
    }

    fn labels(&self) -> Labels {
        let mut l = Labels::new();
        l.insert("sloth_id".into(), self.id());
        l.insert("sloth_service".into(), self.service.clone());
        l.insert("sloth_slo".into(), self.slo.into());
        l.insert("owner".into(), format!("team-{}", self.namespace));
        l.insert("tier".into(), self.tier.into());
        l
    }
}

/// The Pyrra-generated latency SLO.
#[derive(Clone, Debug)]
struct PyrraSlo {
    name: String,
    job: String,
    objective: f64,
    model: ErrorModel,
}

/// Every SLO of the cluster at one request.
#[derive(Clone, Debug)]
pub struct Slos {
    pub sloth: Vec<SlothSlo>,
    pyrra: Vec<PyrraSlo>,
}

fn sample(name: &str, mut labels: Labels, value: f64) -> Sample {
    labels.insert("__name__".into(), name.into());
    Sample { labels, value }
}

impl Slos {
    /// The SLOs of the deployments that exist, with the troubles of `snap`.
    pub fn build(ctx: &Ctx, snap: &Snapshot) -> Slos {
        let day = 86_400.0;
        let started = snap.started as f64;
        let sloth = SLOTH
            .iter()
            .filter(|s| s.deployment < ctx.cfg.deployments)
            .map(|s| {
                let (namespace, service) = scenario::deployment_key(ctx, s.deployment);
                let mut windows: Vec<Window> = snap.windows_of(&namespace, &service).collect();
                windows.extend(s.past.iter().map(|p| {
                    let start = started - p.days_ago * day;
                    Window {
                        start,
                        end: Some(start + p.hours * 3_600.0),
                        level: p.level,
                        ramp: false,
                    }
                }));
                let model = ErrorModel {
                    base: s.base,
                    phase: s.deployment as f64 * 1.7,
                    windows,
                };
                SlothSlo {
                    service,
                    namespace,
                    slo: s.slo,
                    objective: s.objective,
                    tier: s.tier,
                    model,
                }
            })
            .collect();
        let pyrra = (ctx.cfg.deployments > 1)
            .then(|| {
                let (_, job) = scenario::deployment_key(ctx, 1);
                PyrraSlo {
                    name: format!("{job}-latency"),
                    job,
                    objective: 0.99,
                    model: ErrorModel {
                        base: 0.004,
                        phase: 0.4,
                        windows: Vec::new(),
                    },
                }
            })
            .into_iter()
            .collect();
        Slos { sloth, pyrra }
    }

    /// Every SLO series at `t` (unix seconds).
    pub fn series(&self, t: i64) -> Vec<Sample> {
        let mut out = Vec::new();
        for s in &self.sloth {
            sloth_series(s, t, &mut out);
        }
        for p in &self.pyrra {
            pyrra_series(p, t, &mut out);
        }
        out
    }
}

fn sloth_series(s: &SlothSlo, t: i64, out: &mut Vec<Sample>) {
    let labels = s.labels();
    for (name, secs) in sloth_windows() {
        let mut l = labels.clone();
        l.insert("sloth_window".into(), name.into());
        let ratio = s.model.mean(t as f64, secs as f64);
        out.push(sample(&format!("slo:sli_error:ratio_rate{name}"), l, ratio));
    }
    let current = s.burn(t, 300);
    let period = s.burn(t, 30 * 86_400);
    let values = [
        ("slo:objective:ratio", s.objective),
        ("slo:error_budget:ratio", s.budget()),
        ("slo:time_period:days", 30.0),
        ("slo:current_burn_rate:ratio", current),
        ("slo:period_burn_rate:ratio", period),
        ("slo:period_error_budget_remaining:ratio", 1.0 - period),
    ];
    for (name, v) in values {
        out.push(sample(name, labels.clone(), v));
    }
    let mut info = labels;
    let objective = format!("{}", (s.objective * 1000.0).round() / 10.0);
    for (k, v) in [
        ("sloth_mode", "cli-gen-prom"),
        ("sloth_objective", objective.as_str()),
        ("sloth_spec", "prometheus/v1"),
        ("sloth_version", "v0.11.0"),
    ] {
        info.insert(k.into(), v.into());
    }
    out.push(sample("sloth_slo_info", info, 1.0));
}

fn pyrra_series(p: &PyrraSlo, t: i64, out: &mut Vec<Sample>) {
    let slo: Labels = BTreeMap::from([("slo".to_string(), p.name.clone())]);
    for (name, secs) in pyrra_windows() {
        let mut l = slo.clone();
        l.insert("job".into(), p.job.clone());
        let ratio = p.model.mean(t as f64, secs as f64);
        let metric = format!("http_request_duration_seconds:burnrate{name}");
        out.push(sample(&metric, l, ratio));
    }
    let requests = 180.0 * (1.0 + 0.15 * (t as f64 / 900.0).sin());
    let values = [
        ("pyrra_objective", p.objective),
        ("pyrra_window", PYRRA_PERIOD as f64),
        (
            "pyrra_availability",
            1.0 - p.model.mean(t as f64, PYRRA_PERIOD as f64),
        ),
        ("pyrra_requests:rate5m", requests),
        (
            "pyrra_errors:rate5m",
            requests * p.model.mean(t as f64, 300.0),
        ),
    ];
    for (name, v) in values {
        out.push(sample(name, slo.clone(), v));
    }
}

/// Whether a query's text names the SLO families served here: such a query that does not parse
/// is an error, never answered with synthetic data.
pub fn mentions_slo_metric(query: &str) -> bool {
    ["slo:", "sloth_", "pyrra_", ":burnrate"]
        .iter()
        .any(|m| query.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::Trouble;
    use crate::{Scenario, SimConfig};

    fn slos(scenario: Scenario) -> (Slos, i64) {
        let ctx = Ctx::new(SimConfig {
            scenario,
            ..SimConfig::default()
        });
        let started = 1_700_000_000;
        let causes = scenario_causes(&ctx, started);
        let snap = Snapshot { started, causes };
        (Slos::build(&ctx, &snap), started)
    }

    fn scenario_causes(ctx: &Ctx, started: i64) -> Vec<crate::story::Cause> {
        let spec = ctx.cfg.scenario.spec();
        let mut out = Vec::new();
        let mut add = |t: Trouble, i: usize, start: i64| {
            let (ns, deployment) = scenario::deployment_key(ctx, i);
            out.push(crate::story::Cause {
                trouble: t,
                kind: crate::store::Kind::Deployment,
                ns,
                deployment,
                spans: vec![(start, None)],
            });
        };
        if let Some(i) = spec.bad_rollout {
            add(Trouble::BadRollout, i, started);
        }
        for &i in spec.oom {
            add(Trouble::Oom, i, started - crate::story::CHRONIC_SECS);
        }
        out
    }

    fn value(series: &[Sample], name: &str, id: &str) -> f64 {
        series
            .iter()
            .find(|s| {
                s.labels["__name__"] == name
                    && s.labels.get("sloth_id").map(String::as_str) == Some(id)
            })
            .unwrap_or_else(|| panic!("no {name} for {id}"))
            .value
    }

    #[test]
    fn incident_numbers_at_start_and_later() {
        let (s, started) = slos(Scenario::Incident);
        let at = s.series(started);
        let gw = "api-gateway-requests-availability";
        let burn5m = value(&at, "slo:sli_error:ratio_rate5m", gw) / 0.001;
        let burn1h = value(&at, "slo:sli_error:ratio_rate1h", gw) / 0.001;
        assert!(burn5m > 14.4 && burn5m < 20.0, "{burn5m}");
        assert!(burn1h > 14.4 && burn1h < 16.0, "{burn1h}");
        let left = value(&at, "slo:period_error_budget_remaining:ratio", gw);
        assert!((left - 0.38).abs() < 0.03, "{left}");
        let co = "checkout-requests-availability";
        let left = value(&at, "slo:period_error_budget_remaining:ratio", co);
        assert!((left - 0.67).abs() < 0.04, "{left}");
        // Ten minutes into the bad rollout, checkout's 1h/5m pair breaches too.
        let later = s.series(started + 660);
        assert!(value(&later, "slo:sli_error:ratio_rate5m", co) / 0.001 > 80.0);
        assert!(value(&later, "slo:sli_error:ratio_rate1h", co) / 0.001 > 14.4);
        let pay = "payments-api-requests-availability";
        assert!(value(&later, "slo:current_burn_rate:ratio", pay) < 0.5);
    }

    #[test]
    fn burn_is_ratio_over_budget_for_every_slo() {
        let (s, started) = slos(Scenario::Incident);
        let at = s.series(started + 300);
        for slo in &s.sloth {
            let id = slo.id();
            let ratio = value(&at, "slo:sli_error:ratio_rate5m", &id);
            let budget = value(&at, "slo:error_budget:ratio", &id);
            let objective = value(&at, "slo:objective:ratio", &id);
            assert!((budget - (1.0 - objective)).abs() < 1e-12);
            let burn = value(&at, "slo:current_burn_rate:ratio", &id);
            assert!((burn - ratio / budget).abs() < 1e-9 * burn.max(1.0));
            let period = value(&at, "slo:period_burn_rate:ratio", &id);
            let left = value(&at, "slo:period_error_budget_remaining:ratio", &id);
            assert!((left - (1.0 - period)).abs() < 1e-12);
        }
        let info = at
            .iter()
            .filter(|s| s.labels["__name__"] == "sloth_slo_info")
            .count();
        assert_eq!(info, 3);
        assert!(at.iter().any(|s| s.labels["__name__"] == "pyrra_objective"
            && s.labels["slo"] == "payments-api-latency"
            && s.value == 0.99));
    }
}
