//! The alert rules behind the Prometheus/Alertmanager look-alikes, with the label shapes real
//! rule sets give their alerts. Alerts are derived from the cluster (pods, deployments) and from
//! the error model of `story.rs`, so they start when their cause does (plus the time their
//! condition takes to hold and their `for`) and resolve when it is gone. `for` is 60 s where the
//! kubernetes-mixin has 15 m, so a demo shows them firing within two minutes of the cause.
//!
//! # Rules and label shapes
//! | alertname | severity | labels (besides alertname, severity, and the external `cluster`, `prometheus`) | when |
//! |---|---|---|---|
//! | Watchdog | none | — | always |
//! | CPUThrottlingHigh | info | `namespace`, `pod`, `container` (a pod of deployment #2) | always (inhibited) |
//! | KubePodCrashLooping | warning | `namespace`, `pod`, `container`, `reason`, `job`, `instance`, `service`, `endpoint` | pods of a crash-looping or bad-rollout deployment (≤ 10 each), from their first crash |
//! | KubePodCrashLooping (OOM kills) | warning | **kube-state-metrics pitfall**: `namespace="monitoring"`, `pod="kube-state-metrics-…"`, `container="kube-state-metrics"` name kube-state-metrics itself; the workload is in `exported_namespace`, `exported_pod`, `exported_container` | pods of an OOM-killed deployment |
//! | KubePodNotReady | warning | `namespace`, `pod`, `job` | pods no node can hold, from their creation |
//! | KubeContainerWaiting | warning | `namespace`, `pod`, `container`, `reason="ImagePullBackOff"`, `job` | pods of a rollout to a missing image, from their creation |
//! | KubeDeploymentReplicasMismatch | warning | `namespace`, `deployment`, `job`, `instance` | a bad or stuck rollout, 15 s after it starts |
//! | KubeStatefulSetReplicasMismatch, KubeStatefulSetUpdateNotRolledOut | warning | `namespace`, `statefulset`, `job`, `instance` | a StatefulSet rolled to a crash-looping revision, 15 s after it starts |
//! | KubeDeploymentRolloutStuck | warning | `namespace`, `deployment`, `condition="Progressing"`, `status="false"`, `job` | from the Progressing condition's turn to False |
//! | HighErrorRate | critical | `namespace`, `service`, `workload`, `workload_type="deployment"` | an SLO service's 5m error ratio above 2 % (a bad rollout: ≈ 90 s in) |
//! | HighLatencyP99 | warning | `kubernetes_namespace`, `kubernetes_pod_name`, `service` | the bad rollout's service above 3 % errors |
//! | `<Service>ErrorBudgetBurn` (Sloth) | critical (`sloth_severity="page"`) / warning (`"ticket"`) | `sloth_id`, `sloth_service`, `sloth_slo`, `sloth_severity`, `category="availability"`, `routing_key` | page: 1h and 5m burn > 14.4x, or 6h and 30m > 6x; ticket: 1d and 2h > 3x, or 3d and 6h > 1x |
//! | KubeDeploymentReplicasMismatch (out of scope) | warning | `namespace="analytics"`, `deployment="report-builder"` — no such namespace in the simulator | incident scenario, always |
//!
//! In the incident scenario at start: Watchdog, CPUThrottlingHigh, KubePodCrashLooping for the
//! OOM-killed api-gateway pods (pitfall shape, since 3 h), ApiGatewayErrorBudgetBurn (page,
//! since ≈ 2 h), the out-of-scope alert; then, following the bad rollout of checkout at start:
//! KubePodCrashLooping for its new pods (≈ 65 s), KubeDeploymentReplicasMismatch (75 s),
//! the StatefulSet alerts and crash loops of kafka's broken revision,
//! KubeContainerWaiting and a mismatch for the image-pull rollout of search, KubePodNotReady and
//! a mismatch for the rollout of inventory whose pods no node can hold, HighErrorRate
//! (≈ 2 min), KubeDeploymentRolloutStuck, HighLatencyP99, CheckoutErrorBudgetBurn (≈ 10 min).
//! Undoing the rollout resolves them over the next minutes.

use serde_json::{Value, json};

use super::scenario::{self, Scenario};
use super::server::Ctx;
use super::slo::{Slos, SlothSlo};
use super::store::Kind;
use super::story::{Snapshot, Trouble};

/// Seconds an alert's condition must hold before it fires (the kubernetes-mixin says 15 m).
pub const FOR_SECS: i64 = 60;
/// How far back an alert's start is looked for.
const LOOKBACK: i64 = 6 * 3_600;
/// Pod alerts per deployment, at most.
const PODS_PER_DEPLOYMENT: usize = 10;
const KSM_POD: &str = "kube-state-metrics-7d9c5b8f6-x4k2p";
const RUNBOOKS: &str = "https://runbooks.prometheus-operator.dev/runbooks";

/// One active alert.
#[derive(Clone, Debug)]
pub struct Alert {
    pub labels: Value,
    pub annotations: Value,
    /// When the condition started to hold (Prometheus's `activeAt`).
    pub active_at: i64,
    pub for_secs: i64,
}

impl Alert {
    /// Whether it fires at `now` (else it is pending).
    pub fn firing(&self, now: i64) -> bool {
        now - self.active_at >= self.for_secs
    }

    /// When it started firing (Alertmanager's `startsAt`).
    pub fn fired_at(&self) -> i64 {
        self.active_at + self.for_secs
    }
}

fn alert(name: &str, severity: &str, labels: Value, annotations: Value, active_at: i64) -> Alert {
    let mut l = json!({"alertname": name, "severity": severity, "cluster": "opsdeck-sim",
        "prometheus": "monitoring/k8s"});
    if let (Some(l), Some(extra)) = (l.as_object_mut(), labels.as_object()) {
        l.extend(extra.clone());
    }
    Alert {
        labels: l,
        annotations,
        active_at,
        for_secs: FOR_SECS,
    }
}

fn mixin(name: &str, summary: &str, description: String) -> Value {
    json!({"summary": summary, "description": description,
        "runbook_url": format!("{RUNBOOKS}/kubernetes/{}", name.to_lowercase())})
}

/// Since when `cond` has held without a break, evaluated like a rule group every 15 s on the
/// wall clock's grid (so the answer does not move between polls), at most six hours back;
/// `None` when it does not hold at the latest evaluation.
fn held_since(now: i64, cond: impl Fn(i64) -> bool) -> Option<i64> {
    let mut t = now - now.rem_euclid(15);
    if !cond(t) {
        return None;
    }
    while t - 15 >= now - LOOKBACK && cond(t - 15) {
        t -= 15;
    }
    Some(t)
}

/// Every alert active at `now`.
pub fn evaluate(ctx: &Ctx, snap: &Snapshot, slos: &Slos, now: i64) -> Vec<Alert> {
    let since_ever = snap.started - 3 * 3_600;
    let mut out = vec![alert(
        "Watchdog",
        "none",
        json!({}),
        json!({"summary": "An alert that should always be firing to certify that Alertmanager is working properly.",
            "description": "This is an alert meant to ensure that the entire alerting pipeline is functional. This alert is always firing, therefore it should always be firing in Alertmanager and always fire against a receiver.",
            "runbook_url": format!("{RUNBOOKS}/general/watchdog")}),
        since_ever,
    )];
    out.extend(throttling(ctx, since_ever));
    for s in &slos.sloth {
        out.extend(service_alerts(ctx, snap, s, now));
        out.extend(budget_burn(s, now));
    }
    for cause in &snap.causes {
        let Some(since) = cause.live_since() else {
            continue;
        };
        let (ns, d) = (cause.ns.as_str(), cause.deployment.as_str());
        match cause.kind {
            Kind::StatefulSet => out.extend(statefulset_alerts(ctx, ns, d, since)),
            _ if cause.trouble.is_rollout() => {
                out.extend(deployment_alerts(ctx, ns, d, since, now));
            }
            _ => {}
        }
        out.extend(pod_alerts(ctx, cause.trouble, ns, d, since));
    }
    if ctx.cfg.scenario == Scenario::Incident {
        let (ns, d) = ("analytics", "report-builder");
        out.push(replicas_mismatch(ns, d, snap.started - 5 * 3_600));
    }
    out.retain(|a| a.active_at <= now);
    out
}

fn throttling(ctx: &Ctx, since: i64) -> Option<Alert> {
    if ctx.cfg.deployments <= 2 {
        return None;
    }
    let (ns, d) = scenario::deployment_key(ctx, 2);
    let pod = ctx
        .store
        .with_prefix(Kind::Pod, &ns, &format!("{d}-"))
        .into_iter()
        .find(|p| p.label("app") == Some(d.as_str()))?;
    let labels = json!({"namespace": ns, "pod": pod.name, "container": d});
    let description = format!(
        "43.7% throttling of CPU in namespace {ns} for container {d} in pod {}.",
        pod.name
    );
    let ann = mixin(
        "CPUThrottlingHigh",
        "Processes experience elevated CPU throttling.",
        description,
    );
    Some(alert("CPUThrottlingHigh", "info", labels, ann, since))
}

/// Application alerts on an SLO service's error ratio.
fn service_alerts(ctx: &Ctx, snap: &Snapshot, s: &SlothSlo, now: i64) -> Vec<Alert> {
    let ratio = |t: i64| s.model.mean(t as f64, 300.0);
    let (ns, svc) = (&s.namespace, &s.service);
    let mut out = Vec::new();
    if let Some(since) = held_since(now, |t| ratio(t) > 0.02) {
        let labels = json!({"namespace": ns, "service": svc, "workload": svc,
            "workload_type": "deployment"});
        let summary = format!("5xx error rate of {svc} above 2%");
        let ann = json!({"summary": summary,
            "description": format!("{summary} for the last minute. Check the recent rollout and the pod logs."),
            "runbook_url": "https://runbooks.example.com/alerts/HighErrorRate"});
        out.push(Alert {
            for_secs: 30,
            ..alert("HighErrorRate", "critical", labels, ann, since)
        });
    }
    let rollout = snap
        .bad_rollout()
        .is_some_and(|c| &c.ns == ns && &c.deployment == svc);
    let serving = ctx
        .store
        .with_prefix(Kind::Pod, ns, &format!("{svc}-"))
        .into_iter()
        .find(|p| p.ready && p.label("app") == Some(svc.as_str()));
    if let (true, Some(pod), Some(since)) = (rollout, serving, held_since(now, |t| ratio(t) > 0.03))
    {
        let labels = json!({"kubernetes_namespace": ns, "kubernetes_pod_name": pod.name,
            "service": svc});
        let summary = format!("p99 latency of {svc} above 1s");
        let ann = json!({"summary": summary,
            "description": format!("{summary} on pod {}.", pod.name),
            "runbook_url": "https://runbooks.example.com/alerts/HighLatencyP99"});
        out.push(alert("HighLatencyP99", "warning", labels, ann, since + 10));
    }
    out
}

fn camel(service: &str) -> String {
    service
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// A window pair: long and short window (seconds) and the burn factor both must exceed.
type Pair = (i64, i64, f64);

/// Sloth's alerts for a 30-day SLO: (level, severity, window pairs).
const BURN_ALERTS: [(&str, &str, [Pair; 2]); 2] = [
    (
        "page",
        "critical",
        [(3_600, 300, 14.4), (21_600, 1_800, 6.0)],
    ),
    (
        "ticket",
        "warning",
        [(86_400, 7_200, 3.0), (259_200, 21_600, 1.0)],
    ),
];

/// Sloth's multiwindow multi-burn-rate alerts: a pair breaches when both its windows burn
/// faster than its factor.
fn budget_burn(s: &SlothSlo, now: i64) -> Vec<Alert> {
    let name = format!("{}ErrorBudgetBurn", camel(&s.service));
    let mut out = Vec::new();
    for (level, severity, pairs) in BURN_ALERTS {
        let breach = |t: i64| {
            pairs
                .iter()
                .any(|&(long, short, f)| s.burn(t, long) > f && s.burn(t, short) > f)
        };
        let Some(since) = held_since(now, breach) else {
            continue;
        };
        let labels = json!({"category": "availability", "routing_key": format!("team-{}", s.namespace),
            "sloth_id": s.id(), "sloth_service": s.service, "sloth_slo": s.slo,
            "sloth_severity": level});
        let ann = json!({"summary": format!("High error budget burn on '{}' requests responses", s.service),
            "title": format!("({level}) {} {} SLO error budget burn rate is too fast.", s.service, s.slo)});
        out.push(Alert {
            for_secs: 0,
            ..alert(&name, severity, labels, ann, since)
        });
    }
    out
}

fn replicas_mismatch(ns: &str, d: &str, since: i64) -> Alert {
    let labels = json!({"namespace": ns, "deployment": d, "job": "kube-state-metrics",
        "instance": "10.244.0.9:8443"});
    let ann = mixin(
        "KubeDeploymentReplicasMismatch",
        "Deployment has not matched the expected number of replicas.",
        format!(
            "Deployment {ns}/{d} has not matched the expected number of replicas for longer than 15 minutes."
        ),
    );
    alert(
        "KubeDeploymentReplicasMismatch",
        "warning",
        labels,
        ann,
        since,
    )
}

/// Replicas mismatch and a stuck rollout, read from the deployment.
fn deployment_alerts(ctx: &Ctx, ns: &str, d: &str, since: i64, now: i64) -> Vec<Alert> {
    let Some(dep) = ctx.store.get(Kind::Deployment, ns, d).map(|o| o.value()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (spec, st) = (&dep["spec"]["replicas"], &dep["status"]);
    let available = st["availableReplicas"].as_i64().unwrap_or(0);
    let behind = st["observedGeneration"].as_i64() < dep["metadata"]["generation"].as_i64();
    if behind || spec.as_i64().is_some_and(|r| r != available) || st["updatedReplicas"] != *spec {
        out.push(replicas_mismatch(ns, d, since + 15));
    }
    let stuck = st["conditions"].as_array().and_then(|cs| {
        cs.iter()
            .find(|c| c["type"] == "Progressing" && c["status"] == "False")
    });
    if let Some(c) = stuck {
        let at = c["lastTransitionTime"]
            .as_str()
            .and_then(super::objects::parse_ts)
            .map_or(now, |t| t.as_second());
        let labels = json!({"namespace": ns, "deployment": d, "condition": "Progressing",
            "status": "false", "job": "kube-state-metrics"});
        let ann = mixin(
            "KubeDeploymentRolloutStuck",
            "Deployment rollout is not progressing.",
            format!(
                "Rollout of deployment {ns}/{d} is not progressing for longer than 15 minutes."
            ),
        );
        out.push(alert(
            "KubeDeploymentRolloutStuck",
            "warning",
            labels,
            ann,
            at,
        ));
    }
    out
}

/// A StatefulSet rolled to a broken revision: not all replicas ready, the update not rolled out.
fn statefulset_alerts(ctx: &Ctx, ns: &str, sts: &str, since: i64) -> Vec<Alert> {
    let Some(set) = ctx.store.get(Kind::StatefulSet, ns, sts).map(|o| o.value()) else {
        return Vec::new();
    };
    let st = &set["status"];
    let labels = json!({"namespace": ns, "statefulset": sts, "job": "kube-state-metrics",
        "instance": "10.244.0.9:8443"});
    let mut out = Vec::new();
    if st["readyReplicas"] != set["spec"]["replicas"] {
        let ann = mixin(
            "KubeStatefulSetReplicasMismatch",
            "StatefulSet has not matched the expected number of replicas.",
            format!(
                "StatefulSet {ns}/{sts} has not matched the expected number of replicas for longer than 15 minutes."
            ),
        );
        let a = alert(
            "KubeStatefulSetReplicasMismatch",
            "warning",
            labels.clone(),
            ann,
            since + 15,
        );
        out.push(a);
    }
    if st["updateRevision"] != st["currentRevision"] {
        let ann = mixin(
            "KubeStatefulSetUpdateNotRolledOut",
            "StatefulSet update has not been rolled out.",
            format!("StatefulSet {ns}/{sts} update has not been rolled out."),
        );
        out.push(alert(
            "KubeStatefulSetUpdateNotRolledOut",
            "warning",
            labels,
            ann,
            since + 15,
        ));
    }
    out
}

/// Per-pod alerts of a troubled workload: crash loops, or containers waiting for an image.
fn pod_alerts(ctx: &Ctx, trouble: Trouble, ns: &str, d: &str, since: i64) -> Vec<Alert> {
    let pods = ctx.store.with_prefix(Kind::Pod, ns, &format!("{d}-"));
    pods.into_iter()
        .filter(|p| p.label("app") == Some(d) && !p.ready && !p.terminating)
        .filter_map(|p| {
            let v = p.value();
            let cs = &v["status"]["containerStatuses"][0];
            let waiting = cs["state"]["waiting"]["reason"]
                .as_str()
                .unwrap_or_default();
            let crashing = waiting == "CrashLoopBackOff"
                || (cs["restartCount"].as_i64().unwrap_or(0) > 0 && trouble.crashes());
            let created = v["metadata"]["creationTimestamp"]
                .as_str()
                .and_then(super::objects::parse_ts)
                .map_or(since, |t| t.as_second());
            let container = cs["name"].as_str().unwrap_or(d).to_string();
            match trouble {
                Trouble::ImagePull if waiting == "ImagePullBackOff" => {
                    Some(container_waiting(ns, &p.name, &container, created))
                }
                Trouble::Unschedulable if v["spec"]["nodeName"].is_null() => {
                    Some(not_ready(ns, &p.name, created))
                }
                Trouble::ImagePull | Trouble::Unschedulable => None,
                _ if crashing => {
                    let at = created.max(since) + 3;
                    Some(crash_looping(
                        ns,
                        &p.name,
                        &container,
                        trouble == Trouble::Oom,
                        at,
                    ))
                }
                _ => None,
            }
        })
        .take(PODS_PER_DEPLOYMENT)
        .collect()
}

fn not_ready(ns: &str, pod: &str, since: i64) -> Alert {
    let labels = json!({"namespace": ns, "pod": pod, "job": "kube-state-metrics"});
    let ann = mixin(
        "KubePodNotReady",
        "Pod has been in a non-ready state for more than 15 minutes.",
        format!("Pod {ns}/{pod} has been in a non-ready state for longer than 15 minutes."),
    );
    alert("KubePodNotReady", "warning", labels, ann, since)
}

fn container_waiting(ns: &str, pod: &str, container: &str, since: i64) -> Alert {
    let labels = json!({"namespace": ns, "pod": pod, "container": container,
        "reason": "ImagePullBackOff", "job": "kube-state-metrics"});
    let ann = mixin(
        "KubeContainerWaiting",
        "Pod container waiting longer than 1 hour",
        format!(
            "pod/{pod} in namespace {ns} on container {container} has been in waiting state for longer than 1 hour. (reason: \"ImagePullBackOff\")"
        ),
    );
    alert("KubeContainerWaiting", "warning", labels, ann, since)
}

/// KubePodCrashLooping; `pitfall` gives it the shape kube-state-metrics metrics get when scraped
/// without honorLabels: the target's own namespace/pod/container win and the workload's move
/// to `exported_*`.
fn crash_looping(ns: &str, pod: &str, container: &str, pitfall: bool, since: i64) -> Alert {
    let mut labels = json!({"reason": "CrashLoopBackOff", "job": "kube-state-metrics",
        "instance": "10.244.0.9:8443", "service": "kube-state-metrics", "endpoint": "https-main"});
    let workload = json!({"namespace": ns, "pod": pod, "container": container});
    for (k, v) in workload.as_object().into_iter().flatten() {
        if pitfall {
            labels[format!("exported_{k}")] = v.clone();
        } else {
            labels[k] = v.clone();
        }
    }
    if pitfall {
        labels["namespace"] = json!("monitoring");
        labels["pod"] = json!(KSM_POD);
        labels["container"] = json!("kube-state-metrics");
    }
    let ann = mixin(
        "KubePodCrashLooping",
        "Pod is crash looping.",
        format!("Pod {ns}/{pod} ({container}) is in waiting state (reason: \"CrashLoopBackOff\")."),
    );
    alert("KubePodCrashLooping", "warning", labels, ann, since)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    fn incident() -> (Ctx, Snapshot, Slos) {
        let ctx = Ctx::new(SimConfig {
            scenario: Scenario::Incident,
            ..SimConfig::default()
        });
        scenario::populate(&ctx).unwrap();
        let started = ctx.prom.lock().story.started;
        let snap = crate::story::observe(&ctx, started);
        let slos = Slos::build(&ctx, &snap);
        (ctx, snap, slos)
    }

    fn named<'a>(alerts: &'a [Alert], name: &str) -> Vec<&'a Alert> {
        alerts
            .iter()
            .filter(|a| a.labels["alertname"] == name)
            .collect()
    }

    #[test]
    fn incident_label_shapes_at_start() {
        let (ctx, snap, slos) = incident();
        let now = snap.started;
        let alerts = evaluate(&ctx, &snap, &slos, now);
        let crash = named(&alerts, "KubePodCrashLooping");
        assert!(!crash.is_empty());
        // Only the OOM-killed pods so far, in the kube-state-metrics pitfall shape (the
        // labels are checked over HTTP in tests/sim_monitoring.rs).
        assert!(
            crash
                .iter()
                .all(|a| a.labels["exported_namespace"] == "platform"
                    && a.labels["pod"] == KSM_POD
                    && a.firing(now))
        );
        let burn = named(&alerts, "ApiGatewayErrorBudgetBurn");
        assert_eq!(burn.len(), 1, "{alerts:#?}");
        assert_eq!(burn[0].labels["sloth_severity"], "page");
        assert_eq!(
            burn[0].labels["sloth_id"],
            "api-gateway-requests-availability"
        );
        // The page pair began to breach about an hour into the OOM kills (3 h before start).
        let into = burn[0].active_at - (now - 3 * 3_600);
        assert!((3_000..4_000).contains(&into), "{into}");
        let outside = named(&alerts, "KubeDeploymentReplicasMismatch");
        assert!(
            outside.iter().any(|a| a.labels["namespace"] == "analytics"
                && a.labels["deployment"] == "report-builder")
        );
        assert!(named(&alerts, "HighErrorRate").is_empty());
        let throttled = &named(&alerts, "CPUThrottlingHigh")[0].labels;
        assert!(
            throttled["pod"]
                .as_str()
                .unwrap()
                .starts_with("api-gateway-")
        );
    }

    #[test]
    fn the_bad_rollout_raises_alerts_in_order_and_undo_resolves_them() {
        let (ctx, snap, slos) = incident();
        let t0 = snap.started;
        let at = |dt: i64| evaluate(&ctx, &snap, &slos, t0 + dt);
        let high = |dt: i64| {
            named(&at(dt), "HighErrorRate")
                .first()
                .map(|a| (a.active_at - t0, a.firing(t0 + dt)))
        };
        assert_eq!(high(30), None);
        let (since, firing) = high(300).unwrap();
        assert!((60..=120).contains(&since), "{since}");
        assert!(firing);
        let co = |dt: i64| named(&at(dt), "CheckoutErrorBudgetBurn").len();
        assert_eq!(co(300), 0);
        assert_eq!(co(900), 1);
        let at20 = at(20);
        let mismatch = named(&at20, "KubeDeploymentReplicasMismatch");
        assert!(mismatch.iter().any(|a| a.labels["namespace"] == "shop"
            && a.labels["deployment"] == "checkout"
            && a.active_at == t0 + 15
            && !a.firing(t0 + 20)));
        // Undo at +15 min: the error ratio drains from the 5m window within minutes.
        let mut fixed = snap.clone();
        for c in &mut fixed.causes {
            if c.trouble == Trouble::BadRollout {
                c.spans[0].1 = Some(t0 + 900);
            }
        }
        let slos = Slos::build(&ctx, &fixed);
        let after = |dt: i64| evaluate(&ctx, &fixed, &slos, t0 + dt);
        assert_eq!(named(&after(901), "HighErrorRate").len(), 1);
        assert!(named(&after(900 + 360), "HighErrorRate").is_empty());
        assert!(named(&after(900 + 360), "CheckoutErrorBudgetBurn").is_empty());
    }
}
