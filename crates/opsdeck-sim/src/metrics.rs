//! `metrics.k8s.io/v1beta1` as metrics-server serves it: PodMetrics and NodeMetrics, read-only,
//! computed on request from the pods in the store. Usage is constant within a 15 s window (the
//! metric resolution), plausible for the container's requests and limits, and follows what the
//! pod is doing: crash-looping containers burn CPU, OOM-bound ones sit at their memory limit, a
//! pod annotated `sim.opsdeck.io/memory: "0.94"` uses that fraction of its memory limit, and the
//! incident scenario makes everything busier. Containers that are not running report nothing,
//! and pods without a running container are left out, as metrics-server does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::f64::consts::TAU;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Value, json};

use super::api::{ApiError, ApiResult, Params, json_response};
use super::objects::{self, BEHAVIOR, Behavior};
use super::selectors::Selector;
use super::server::Ctx;
use super::store::{Kind, Obj};

/// Pod annotation: memory use as a fraction of the container's limit.
pub const MEMORY_ANNOTATION: &str = "sim.opsdeck.io/memory";
/// The metric resolution: usage changes once per window.
const WINDOW_SECS: i64 = 15;
/// What the node itself uses on top of its pods (cores, bytes).
const NODE_OVERHEAD: (f64, f64) = (0.3, 1.5 * GI);
const GI: f64 = 1024.0 * 1024.0 * 1024.0;
const MI: f64 = 1024.0 * 1024.0;
const API_VERSION: &str = "metrics.k8s.io/v1beta1";

/// A parsed `/apis/metrics.k8s.io/v1beta1/...` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    nodes: bool,
    ns: Option<String>,
    name: Option<String>,
}

/// Parses the path segments after `/apis/metrics.k8s.io/v1beta1/`.
pub fn route(rest: &[&str]) -> Option<Target> {
    let t = |nodes: bool, ns: Option<&&str>, name: Option<&&str>| Target {
        nodes,
        ns: ns.map(|s| s.to_string()),
        name: name.map(|s| s.to_string()),
    };
    match rest {
        ["nodes"] => Some(t(true, None, None)),
        ["nodes", name] => Some(t(true, None, Some(name))),
        ["pods"] => Some(t(false, None, None)),
        ["namespaces", ns, "pods"] => Some(t(false, Some(ns), None)),
        ["namespaces", ns, "pods", name] => Some(t(false, Some(ns), Some(name))),
        _ => None,
    }
}

/// GET of PodMetrics or NodeMetrics, one or a list.
pub fn serve(ctx: &Ctx, t: &Target, p: &Params) -> ApiResult {
    let labels = p.get("labelSelector").map_or("", String::as_str);
    let fields = p.get("fieldSelector").map_or("", String::as_str);
    let kind = if t.nodes { Kind::Node } else { Kind::Pod };
    let sel = Selector::parse(kind, labels, fields).map_err(|e| ApiError::new(400, e.0))?;
    let sample = Sample::now(ctx);
    let items: Vec<Value> = if t.nodes {
        node_metrics(ctx, &sel, t.name.as_deref(), &sample)
    } else {
        let (pods, _, _) = ctx
            .store
            .list(Kind::Pod, t.ns.as_deref(), None, usize::MAX, &|o| {
                sel.matches(o) && t.name.as_ref().is_none_or(|n| *n == o.name)
            });
        pods.iter()
            .filter_map(|o| pod_metrics(&PodView::of(o), &sample))
            .collect()
    };
    let kind = if t.nodes { "NodeMetrics" } else { "PodMetrics" };
    match &t.name {
        Some(name) => items.into_iter().next().map_or_else(
            || {
                let what = if t.nodes { "nodemetrics" } else { "podmetrics" };
                Err(ApiError::new(
                    404,
                    format!("{what}.metrics.k8s.io \"{name}\" not found"),
                ))
            },
            |item| Ok(json_response(200, &item)),
        ),
        None => Ok(json_response(
            200,
            &json!({"kind":format!("{kind}List"),"apiVersion":API_VERSION,"metadata":{},
                "items":items}),
        )),
    }
}

/// One metrics window: when it started, and what every item of a response shares.
struct Sample {
    /// Start of the window, in seconds.
    secs: i64,
    /// The window's start as metav1.Time.
    timestamp: String,
    /// When the response is made (the items' creationTimestamp).
    created: String,
    /// How busy the scenario makes healthy pods.
    load: f64,
}

impl Sample {
    fn now(ctx: &Ctx) -> Sample {
        Sample::at(jiff::Timestamp::now().as_second(), load_factor(ctx))
    }

    fn at(now: i64, load: f64) -> Sample {
        let secs = now - now.rem_euclid(WINDOW_SECS);
        let timestamp =
            jiff::Timestamp::from_second(secs).map_or_else(|_| objects::now(), objects::ts);
        Sample {
            secs,
            timestamp,
            created: objects::now(),
            load,
        }
    }

    fn item(&self, kind: &str, metadata: Value) -> Value {
        json!({"kind":kind,"apiVersion":API_VERSION,"metadata":metadata,
            "timestamp":self.timestamp,"window":format!("{WINDOW_SECS}s")})
    }
}

fn load_factor(ctx: &Ctx) -> f64 {
    match ctx.cfg.scenario {
        super::Scenario::Steady => 1.0,
        super::Scenario::Incident => 1.6,
        _ => 1.2,
    }
}

/// The parts of a pod its usage depends on, read without building a JSON tree.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct PodView {
    metadata: MetaView,
    spec: SpecView,
    status: StatusView,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct MetaView {
    name: String,
    namespace: String,
    uid: String,
    labels: Option<BTreeMap<String, String>>,
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SpecView {
    node_name: String,
    containers: Vec<ContainerView>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ContainerView {
    name: String,
    image: String,
    resources: ResourcesView,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ResourcesView {
    requests: BTreeMap<String, String>,
    limits: BTreeMap<String, String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct StatusView {
    container_statuses: Vec<ContainerStatusView>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ContainerStatusView {
    name: String,
    state: StateView,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct StateView {
    running: Option<serde::de::IgnoredAny>,
}

impl PodView {
    fn of(o: &Obj) -> PodView {
        serde_json::from_slice(&o.json).unwrap_or_default()
    }
}

/// The PodMetrics of a pod, or `None` when none of its containers runs.
fn pod_metrics(pod: &PodView, sample: &Sample) -> Option<Value> {
    let containers: Vec<Value> = container_usage(pod, sample)
        .into_iter()
        .map(|(name, cpu, mem)| json!({"name":name,"usage":usage_json(cpu, mem)}))
        .collect();
    if containers.is_empty() {
        return None;
    }
    let meta = &pod.metadata;
    let mut m = json!({"name":meta.name,"namespace":meta.namespace,
        "creationTimestamp":sample.created});
    if let Some(labels) = &meta.labels {
        m["labels"] = json!(labels);
    }
    let mut item = sample.item("PodMetrics", m);
    item["containers"] = Value::Array(containers);
    Some(item)
}

fn usage_json(cores: f64, bytes: f64) -> Value {
    json!({"cpu":format!("{}n", (cores * 1e9).round() as u64),
        "memory":format!("{}Ki", (bytes / 1024.0).round() as u64)})
}

/// (container name, cores, bytes) for each running container.
fn container_usage<'a>(pod: &'a PodView, sample: &Sample) -> Vec<(&'a str, f64, f64)> {
    let meta = &pod.metadata;
    let images = pod.spec.containers.iter().map(|c| c.image.as_str());
    let behavior = objects::behavior(meta.annotations.get(BEHAVIOR).map(String::as_str), images);
    let hot = meta
        .annotations
        .get(MEMORY_ANNOTATION)
        .and_then(|f| f.parse::<f64>().ok());
    pod.spec
        .containers
        .iter()
        .filter(|c| {
            pod.status
                .container_statuses
                .iter()
                .any(|s| s.name == c.name && s.state.running.is_some())
        })
        .map(|c| {
            let res = Resources::of(&c.resources);
            let seed = unit(&(&meta.uid, &c.name));
            let wave = (TAU * (sample.secs as f64 / 120.0 + seed)).sin();
            let (cpu, mem) = match (behavior, hot) {
                (_, Some(frac)) => (
                    res.cpu_req * (0.4 + 0.3 * seed) * (1.0 + 0.2 * wave),
                    res.mem_lim * frac.clamp(0.0, 1.0) * (1.0 + 0.003 * wave),
                ),
                (Behavior::CrashLoop, _) => (res.cpu_lim * 0.9, res.mem_req * 0.4),
                (Behavior::Oom, _) => (
                    res.cpu_req * 0.8,
                    res.mem_lim * (0.96 + 0.03 * seed).min(0.995),
                ),
                _ => (
                    res.cpu_req * (0.2 + 0.6 * seed) * (1.0 + 0.3 * wave) * sample.load,
                    (res.mem_req * (0.5 + 0.6 * seed) * (1.0 + 0.02 * wave)).min(res.mem_lim * 0.8),
                ),
            };
            (c.name.as_str(), cpu.min(res.cpu_lim), mem.min(res.mem_lim))
        })
        .collect()
}

/// A stable number in [0, 1) for `v`.
fn unit(v: &impl Hash) -> f64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    (h.finish() % 10_000) as f64 / 10_000.0
}

/// A container's requests and limits (cores, bytes), with defaults where unset.
struct Resources {
    cpu_req: f64,
    cpu_lim: f64,
    mem_req: f64,
    mem_lim: f64,
}

impl Resources {
    fn of(r: &ResourcesView) -> Resources {
        let q = |m: &BTreeMap<String, String>, k: &str| m.get(k).and_then(|v| quantity(v));
        let cpu_lim = q(&r.limits, "cpu");
        let mem_lim = q(&r.limits, "memory");
        let cpu_req = q(&r.requests, "cpu").or(cpu_lim).unwrap_or(0.1);
        let mem_req = q(&r.requests, "memory").or(mem_lim).unwrap_or(128.0 * MI);
        Resources {
            cpu_req,
            cpu_lim: cpu_lim.unwrap_or(cpu_req * 4.0),
            mem_req,
            mem_lim: mem_lim.unwrap_or(mem_req * 2.0),
        }
    }
}

/// Parses a resource quantity (`250m`, `1.5`, `512Mi`, `2G`, `1e3`) into a plain number.
pub fn quantity(s: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 15] = [
        ("Ki", 1024.0),
        ("Mi", MI),
        ("Gi", GI),
        ("Ti", GI * 1024.0),
        ("Pi", GI * MI),
        ("Ei", GI * GI),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let s = s.trim();
    for (suffix, mult) in SUFFIXES {
        if let Some(n) = s.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| n * mult);
        }
    }
    s.parse().ok()
}

fn node_metrics(ctx: &Ctx, sel: &Selector, name: Option<&str>, sample: &Sample) -> Vec<Value> {
    let (nodes, _, _) = ctx.store.list(Kind::Node, None, None, usize::MAX, &|o| {
        sel.matches(o) && name.is_none_or(|n| n == o.name)
    });
    let wanted: HashSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let (pods, _, _) = ctx.store.list(Kind::Pod, None, None, usize::MAX, &|o| {
        o.field("spec.nodeName").is_some_and(|n| wanted.contains(n))
    });
    let mut sums: HashMap<String, (f64, f64)> = HashMap::new();
    for pod in &pods {
        let pod = PodView::of(pod);
        let e = sums
            .entry(pod.spec.node_name.clone())
            .or_insert(NODE_OVERHEAD);
        for (_, cpu, mem) in container_usage(&pod, sample) {
            e.0 += cpu;
            e.1 += mem;
        }
    }
    nodes
        .iter()
        .map(|n| {
            let (cpu, mem) = sums.get(&n.name).copied().unwrap_or(NODE_OVERHEAD);
            let labels: Value = n
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            let meta = json!({"name":n.name,"creationTimestamp":sample.created,"labels":labels});
            let mut item = sample.item("NodeMetrics", meta);
            item["usage"] = usage_json(cpu, mem);
            item
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity("250m"), Some(0.25));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("512Mi"), Some(512.0 * MI));
        assert_eq!(quantity("1G"), Some(1e9));
        assert_eq!(quantity("1e3"), Some(1000.0));
        assert_eq!(quantity("nope"), None);
    }

    fn running_pod(annotations: Value, image: &str) -> PodView {
        serde_json::from_value(json!({"metadata":{"name":"p","namespace":"n","uid":"u1",
            "annotations":annotations},
            "spec":{"containers":[{"name":"c","image":image,"resources":{
                "requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}}}]},
            "status":{"containerStatuses":[{"name":"c","state":{"running":{}}}]}}))
        .unwrap()
    }

    #[test]
    fn usage_follows_behaviour_and_annotation() {
        let w = Sample::at(1_000_020, 1.0);
        let pod = running_pod(json!({}), "img:1");
        let healthy = container_usage(&pod, &w);
        let (_, cpu, mem) = healthy[0];
        assert!(cpu > 0.0 && cpu <= 0.5, "{cpu}");
        assert!(mem > 0.0 && mem <= 256.0 * MI * 0.8, "{mem}");
        let pod = running_pod(json!({MEMORY_ANNOTATION: "0.94"}), "img:1");
        let hot = container_usage(&pod, &w);
        assert!(hot[0].2 >= 0.93 * 256.0 * MI, "{}", hot[0].2);
        let pod = running_pod(json!({}), "img:bad");
        let crashing = container_usage(&pod, &w);
        assert!(crashing[0].1 >= 0.4, "{}", crashing[0].1);
        let mut waiting = running_pod(json!({}), "img:1");
        waiting.status.container_statuses[0].state.running = None;
        assert!(pod_metrics(&waiting, &w).is_none());
        let m = pod_metrics(&running_pod(json!({}), "img:1"), &w).unwrap();
        assert!(
            m["containers"][0]["usage"]["cpu"]
                .as_str()
                .unwrap()
                .ends_with('n')
        );
        assert!(
            m["containers"][0]["usage"]["memory"]
                .as_str()
                .unwrap()
                .ends_with("Ki")
        );
    }

    #[test]
    fn routes() {
        assert_eq!(
            route(&["namespaces", "a", "pods", "p"]),
            Some(Target {
                nodes: false,
                ns: Some("a".into()),
                name: Some("p".into())
            })
        );
        assert!(route(&["nodes"]).is_some_and(|t| t.nodes));
        assert_eq!(route(&["deployments"]), None);
    }
}
