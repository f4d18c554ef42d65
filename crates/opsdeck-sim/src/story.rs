//! The scenario's story as monitoring sees it: which deployments are in trouble, since when, and
//! the share of their requests that fail at any moment. The Prometheus look-alike (golden
//! signals, SLO series) and the alert rules all read this one model, so an alert starts when the
//! series it watches cross its threshold and resolves when they fall back.
//!
//! # Causes
//! | trouble | from the scenario | starts | fails requests |
//! |---|---|---|---|
//! | bad rollout | `bad_rollout` | when the simulator starts (the rollout) | 9 %, ramping up over 60 s |
//! | image pull | `imagepull` | when the simulator starts | none (the old pods keep serving) |
//! | unschedulable | `unschedulable` | when the simulator starts | none (the old pods keep serving) |
//! | crash loop, OOM | `crashloop`, `oom` | 3 h before the simulator started | 1.46 % (retries absorb the rest) |
//! | bad rollout of a StatefulSet | `sets` with a bad tag | when the simulator starts | (not an SLO service) |
//!
//! A cause is live while its deployment's template still misbehaves; undoing the rollout (or
//! fixing the template) ends it, and its failures fade out over the next 60 s. Liveness is looked
//! at whenever the monitoring APIs are asked, which is every poll of a dashboard.

use super::objects::{self, Behavior};
use super::scenario;
use super::scheduler;
use super::server::Ctx;
use super::store::Kind;

/// How long the chronic troubles (crash loops, OOM kills) had been going when the simulator
/// started.
pub const CHRONIC_SECS: i64 = 3 * 3_600;
/// Seconds a fixed trouble takes to fade out of the error rate.
const FADE: f64 = 60.0;

/// What is wrong with a deployment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Trouble {
    BadRollout,
    ImagePull,
    Unschedulable,
    CrashLoop,
    Oom,
}

impl Trouble {
    /// Share of the deployment's requests failing while the trouble is live.
    pub fn error_level(self) -> f64 {
        match self {
            Trouble::BadRollout => 0.09,
            Trouble::ImagePull | Trouble::Unschedulable => 0.0,
            Trouble::CrashLoop | Trouble::Oom => 0.0146,
        }
    }

    /// A rollout at start (the deployment's alerts: replicas mismatch, stuck rollout).
    pub fn is_rollout(self) -> bool {
        matches!(
            self,
            Trouble::BadRollout | Trouble::ImagePull | Trouble::Unschedulable
        )
    }

    /// Its pods' containers crash.
    pub fn crashes(self) -> bool {
        matches!(
            self,
            Trouble::BadRollout | Trouble::CrashLoop | Trouble::Oom
        )
    }

    /// Whether a deployment's pod template still has this trouble.
    fn in_template(self, template: &serde_json::Value) -> bool {
        let behavior = match self {
            Trouble::Unschedulable => {
                let nodes = [(String::new(), serde_json::Value::Null)];
                return scheduler::unschedulable(template, &nodes).is_some();
            }
            Trouble::BadRollout | Trouble::CrashLoop => Behavior::CrashLoop,
            Trouble::ImagePull => Behavior::ImagePull,
            Trouble::Oom => Behavior::Oom,
        };
        objects::behavior_of(template) == behavior
    }

    /// A rollout's failures ramp up as new pods come and old ones go; chronic ones are steady.
    fn ramps(self) -> bool {
        self == Trouble::BadRollout
    }
}

/// A period of failing requests: `level` of them fail from `start` to `end` (unix seconds).
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Window {
    pub start: f64,
    pub end: Option<f64>,
    pub level: f64,
    pub ramp: bool,
}

impl Window {
    /// The share of its level the window contributes at `t` (0 to 1).
    pub fn shape(&self, t: f64) -> f64 {
        let end = self.end.unwrap_or(f64::INFINITY);
        if t < self.start || t > end + FADE {
            0.0
        } else if t > end {
            1.0 - (t - end) / FADE
        } else if self.ramp {
            ((t - self.start) / 60.0).clamp(0.2, 1.0)
        } else {
            1.0
        }
    }

    /// ∫ shape over [a, b]: exact, by the midpoint rule on the linear pieces.
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        let end = self.end.unwrap_or(f64::INFINITY);
        let mut cuts = vec![
            a,
            b,
            self.start,
            self.start + 12.0,
            self.start + 60.0,
            end,
            end + FADE,
        ];
        cuts.retain(|c| c.is_finite() && *c >= a && *c <= b);
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        cuts.windows(2)
            .map(|p| (p[1] - p[0]) * self.shape((p[0] + p[1]) / 2.0))
            .sum()
    }
}

/// One troubled workload and the periods it was in trouble.
#[derive(Clone, Debug)]
pub struct Cause {
    pub trouble: Trouble,
    /// Deployment or StatefulSet.
    pub kind: Kind,
    pub ns: String,
    /// The workload's name.
    pub deployment: String,
    /// `(start, end)` unix seconds; the last one is open while the trouble is live.
    pub spans: Vec<(i64, Option<i64>)>,
}

impl Cause {
    /// The failure windows of this cause.
    pub fn windows(&self) -> impl Iterator<Item = Window> + '_ {
        self.spans.iter().map(|(s, e)| Window {
            start: *s as f64,
            end: e.map(|e| e as f64),
            level: self.trouble.error_level(),
            ramp: self.trouble.ramps(),
        })
    }

    /// Start of the live span, if the trouble is live.
    pub fn live_since(&self) -> Option<i64> {
        self.spans.last().filter(|s| s.1.is_none()).map(|s| s.0)
    }
}

/// The causes as last observed.
#[derive(Debug)]
pub struct Story {
    /// Unix seconds the simulator started.
    pub started: i64,
    causes: Option<Vec<Cause>>,
}

/// What the monitoring APIs see at one request.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub started: i64,
    pub causes: Vec<Cause>,
}

impl Story {
    /// A story starting now.
    pub fn new(started: i64) -> Story {
        Story {
            started,
            causes: None,
        }
    }
}

/// The scenario's troubled workloads: (trouble, kind, namespace, name).
fn targets(ctx: &Ctx) -> Vec<(Trouble, Kind, String, String)> {
    let spec = ctx.cfg.scenario.spec();
    let mut out: Vec<(Trouble, usize)> = spec
        .bad_rollout
        .map(|i| (Trouble::BadRollout, i))
        .into_iter()
        .collect();
    let kinds = [
        (Trouble::ImagePull, spec.imagepull),
        (Trouble::Unschedulable, spec.unschedulable),
        (Trouble::CrashLoop, spec.crashloop),
        (Trouble::Oom, spec.oom),
    ];
    for (t, list) in kinds {
        out.extend(list.iter().map(|i| (t, *i)));
    }
    out.retain(|(_, i)| *i < ctx.cfg.deployments);
    let deployments = out.into_iter().map(|(t, i)| {
        let (ns, name) = scenario::deployment_key(ctx, i);
        (t, Kind::Deployment, ns, name)
    });
    let sets = spec.sets.iter().filter(|s| s.bad_tag.is_some()).map(|s| {
        let ns = scenario::namespace_name(s.namespace % ctx.cfg.namespaces.max(1));
        (Trouble::BadRollout, s.flavor.kind(), ns, s.name.to_string())
    });
    deployments.chain(sets).collect()
}

/// Updates the causes from the cluster (a fixed deployment ends its span, a relapse opens a new
/// one) and returns them.
pub fn observe(ctx: &Ctx, now: i64) -> Snapshot {
    let seen: Vec<(Trouble, Kind, String, String, bool)> = targets(ctx)
        .into_iter()
        .map(|(t, kind, ns, name)| {
            let live = ctx
                .store
                .get(kind, &ns, &name)
                .is_some_and(|d| t.in_template(&d.value()["spec"]["template"]));
            (t, kind, ns, name, live)
        })
        .collect();
    let mut st = ctx.prom.lock();
    let story = &mut st.story;
    let started = story.started;
    let causes = story.causes.get_or_insert_with(|| {
        seen.iter()
            .map(|(t, kind, ns, name, _)| {
                let start = match t {
                    Trouble::BadRollout | Trouble::ImagePull | Trouble::Unschedulable => started,
                    Trouble::CrashLoop | Trouble::Oom => started - CHRONIC_SECS,
                };
                Cause {
                    trouble: *t,
                    kind: *kind,
                    ns: ns.clone(),
                    deployment: name.clone(),
                    spans: vec![(start, None)],
                }
            })
            .collect()
    });
    for (cause, (_, _, _, _, live)) in causes.iter_mut().zip(&seen) {
        let open = cause.live_since().is_some();
        match (live, open) {
            (true, false) => cause.spans.push((now, None)),
            (false, true) => {
                if let Some(s) = cause.spans.last_mut() {
                    s.1 = Some(now);
                }
            }
            _ => {}
        }
    }
    Snapshot {
        started,
        causes: causes.clone(),
    }
}

impl Snapshot {
    /// The failure windows of one deployment.
    pub fn windows_of<'a>(
        &'a self,
        ns: &'a str,
        deployment: &'a str,
    ) -> impl Iterator<Item = Window> + 'a {
        self.causes
            .iter()
            .filter(move |c| c.kind == Kind::Deployment && c.ns == ns && c.deployment == deployment)
            .flat_map(Cause::windows)
    }

    /// The bad rollout of a Deployment, if the scenario has one.
    pub fn bad_rollout(&self) -> Option<&Cause> {
        self.causes
            .iter()
            .find(|c| c.trouble == Trouble::BadRollout && c.kind == Kind::Deployment)
    }

    /// How deep in trouble the bad rollout's deployment is at `t` (0 to 1): the shape the
    /// synthetic golden signals follow.
    pub fn rollout_trouble(&self, t: i64) -> f64 {
        self.bad_rollout()
            .into_iter()
            .flat_map(Cause::windows)
            .map(|w| w.shape(t as f64))
            .fold(0.0, f64::max)
    }
}

/// A service's error ratio: a baseline that drifts a little plus its failure windows.
#[derive(Clone, Debug)]
pub struct ErrorModel {
    pub base: f64,
    /// Phase of the baseline's drift (so services do not move in lockstep).
    pub phase: f64,
    pub windows: Vec<Window>,
}

impl ErrorModel {
    /// The error ratio at `t`.
    #[cfg(test)]
    pub fn at(&self, t: f64) -> f64 {
        let (p, q) = (self.phase, 2.0 * self.phase);
        let drift = 1.0 + 0.25 * (t / 1_300.0 + p).sin() + 0.08 * (t / 170.0 + q).sin();
        self.base * drift
            + self
                .windows
                .iter()
                .map(|w| w.level * w.shape(t))
                .sum::<f64>()
    }

    /// The mean error ratio over the `w` seconds before `t` (what a `rate(…[w])` ratio gives).
    pub fn mean(&self, t: f64, w: f64) -> f64 {
        let a = t - w;
        let (p, q) = (self.phase, 2.0 * self.phase);
        let cos_diff = |period: f64, ph: f64| (t / period + ph).cos() - (a / period + ph).cos();
        let drift = w - 0.25 * 1_300.0 * cos_diff(1_300.0, p) - 0.08 * 170.0 * cos_diff(170.0, q);
        let failures: f64 = self
            .windows
            .iter()
            .map(|win| win.level * win.integral(a, t))
            .sum();
        (self.base * drift + failures) / w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_mean(m: &ErrorModel, t: f64, w: f64) -> f64 {
        let n = 20_000;
        let dt = w / n as f64;
        (0..n)
            .map(|i| m.at(t - w + (i as f64 + 0.5) * dt))
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn window_shapes() {
        let w = Window {
            start: 100.0,
            end: Some(200.0),
            level: 1.0,
            ramp: true,
        };
        assert_eq!(w.shape(50.0), 0.0);
        assert_eq!(w.shape(101.0), 0.2);
        assert!((w.shape(150.0) - 50.0 / 60.0).abs() < 1e-9);
        assert!((w.shape(230.0) - 0.5).abs() < 1e-9);
        assert_eq!(w.shape(400.0), 0.0);
        // 12 s at 0.2, 48 s ramping 0.2→1, 40 s at 1, 60 s fading 1→0.
        let expected = 12.0 * 0.2 + 48.0 * 0.6 + 40.0 + 30.0;
        assert!((w.integral(0.0, 1_000.0) - expected).abs() < 1e-9);
    }

    #[test]
    fn means_match_numeric_integration() {
        let m = ErrorModel {
            base: 0.0003,
            phase: 1.3,
            windows: vec![
                Window {
                    start: 10_000.0,
                    end: None,
                    level: 0.09,
                    ramp: true,
                },
                Window {
                    start: 2_000.0,
                    end: Some(5_000.0),
                    level: 0.0146,
                    ramp: false,
                },
            ],
        };
        for (t, w) in [(10_100.0, 300.0), (12_000.0, 3_600.0), (6_000.0, 21_600.0)] {
            let exact = m.mean(t, w);
            let approx = numeric_mean(&m, t, w);
            assert!(
                (exact - approx).abs() < 1e-4 * exact,
                "{t} {w}: {exact} vs {approx}"
            );
        }
    }
}
