//! `metrics.k8s.io/v1beta1` as metrics-server serves it: PodMetrics and NodeMetrics, read-only,
//! computed on request from the pods in the store. Usage is constant within a 15 s window (the
//! metric resolution), plausible for the container's requests and limits, and follows what the
//! pod is doing: crash-looping containers burn CPU, OOM-bound ones sit at their memory limit, a
//! pod annotated `sim.opsdeck.io/memory: "0.94"` uses that fraction of its memory limit, and the
//! incident scenario makes everything busier. Containers that are not running report nothing,
//! and pods without a running container are left out, as metrics-server does.

use std::f64::consts::TAU;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Value, json};

use super::api::{ApiError, ApiResult, Params, json_response};
use super::objects::{self, Behavior};
use super::selectors::Selector;
use super::server::Ctx;
use super::store::Kind;

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
    let window = window_start();
    let scenario_load = load_factor(ctx);
    let items: Vec<Value> = if t.nodes {
        node_metrics(ctx, &sel, t.name.as_deref(), window, scenario_load)
    } else {
        let (pods, _, _) = ctx
            .store
            .list(Kind::Pod, t.ns.as_deref(), None, usize::MAX, &|o| {
                sel.matches(o) && t.name.as_ref().is_none_or(|n| *n == o.name)
            });
        pods.iter()
            .filter_map(|o| pod_metrics(&o.value(), window, scenario_load))
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

fn window_start() -> i64 {
    let now = jiff::Timestamp::now().as_second();
    now - now.rem_euclid(WINDOW_SECS)
}

fn timestamp(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(|_| objects::now(), objects::ts)
}

fn load_factor(ctx: &Ctx) -> f64 {
    match ctx.cfg.scenario {
        super::Scenario::Steady => 1.0,
        super::Scenario::Incident => 1.6,
        _ => 1.2,
    }
}

/// The PodMetrics of a pod, or `None` when none of its containers runs.
fn pod_metrics(pod: &Value, window: i64, load: f64) -> Option<Value> {
    let containers: Vec<Value> = container_usage(pod, window, load)
        .into_iter()
        .map(|(name, cpu, mem)| json!({"name":name,"usage":usage_json(cpu, mem)}))
        .collect();
    if containers.is_empty() {
        return None;
    }
    let meta = &pod["metadata"];
    let mut m = json!({"name":meta["name"],"namespace":meta["namespace"],
        "creationTimestamp":objects::now()});
    if meta["labels"].is_object() {
        m["labels"] = meta["labels"].clone();
    }
    Some(
        json!({"kind":"PodMetrics","apiVersion":API_VERSION,"metadata":m,
        "timestamp":timestamp(window),"window":format!("{WINDOW_SECS}s"),"containers":containers}),
    )
}

fn usage_json(cores: f64, bytes: f64) -> Value {
    json!({"cpu":format!("{}n", (cores * 1e9).round() as u64),
        "memory":format!("{}Ki", (bytes / 1024.0).round() as u64)})
}

/// (container name, cores, bytes) for each running container.
fn container_usage(pod: &Value, window: i64, load: f64) -> Vec<(String, f64, f64)> {
    let statuses = pod["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let behavior = objects::behavior_of(pod);
    let hot = pod["metadata"]["annotations"][MEMORY_ANNOTATION]
        .as_str()
        .and_then(|f| f.parse::<f64>().ok());
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = c["name"].as_str()?;
            let status = statuses.iter().find(|s| s["name"] == name)?;
            status["state"]["running"].as_object()?;
            let res = Resources::of(c);
            let seed = unit(&(uid, name));
            let wave = (TAU * (window as f64 / 120.0 + seed)).sin();
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
                    res.cpu_req * (0.2 + 0.6 * seed) * (1.0 + 0.3 * wave) * load,
                    (res.mem_req * (0.5 + 0.6 * seed) * (1.0 + 0.02 * wave)).min(res.mem_lim * 0.8),
                ),
            };
            Some((name.to_string(), cpu.min(res.cpu_lim), mem.min(res.mem_lim)))
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
    fn of(c: &Value) -> Resources {
        let r = &c["resources"];
        let q = |v: &Value| v.as_str().and_then(quantity);
        let cpu_lim = q(&r["limits"]["cpu"]);
        let mem_lim = q(&r["limits"]["memory"]);
        let cpu_req = q(&r["requests"]["cpu"]).or(cpu_lim).unwrap_or(0.1);
        let mem_req = q(&r["requests"]["memory"])
            .or(mem_lim)
            .unwrap_or(128.0 * MI);
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

fn node_metrics(
    ctx: &Ctx,
    sel: &Selector,
    name: Option<&str>,
    window: i64,
    load: f64,
) -> Vec<Value> {
    let (nodes, _, _) = ctx.store.list(Kind::Node, None, None, usize::MAX, &|o| {
        sel.matches(o) && name.is_none_or(|n| n == o.name)
    });
    let wanted: std::collections::HashSet<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let (pods, _, _) = ctx.store.list(Kind::Pod, None, None, usize::MAX, &|o| {
        o.field("spec.nodeName").is_some_and(|n| wanted.contains(n))
    });
    let mut sums: std::collections::HashMap<String, (f64, f64)> = Default::default();
    for pod in &pods {
        let v = pod.value();
        let node = v["spec"]["nodeName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let e = sums.entry(node).or_insert(NODE_OVERHEAD);
        for (_, cpu, mem) in container_usage(&v, window, load) {
            e.0 += cpu;
            e.1 += mem;
        }
    }
    nodes
        .iter()
        .map(|n| {
            let (cpu, mem) = sums.get(&n.name).copied().unwrap_or(NODE_OVERHEAD);
            let v = n.value();
            json!({"kind":"NodeMetrics","apiVersion":API_VERSION,
                "metadata":{"name":n.name,"creationTimestamp":objects::now(),
                    "labels":v["metadata"]["labels"]},
                "timestamp":timestamp(window),"window":format!("{WINDOW_SECS}s"),
                "usage":usage_json(cpu, mem)})
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

    fn running_pod(annotations: Value, image: &str) -> Value {
        json!({"metadata":{"name":"p","namespace":"n","uid":"u1","annotations":annotations},
            "spec":{"containers":[{"name":"c","image":image,"resources":{
                "requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}}}]},
            "status":{"containerStatuses":[{"name":"c","state":{"running":{}}}]}})
    }

    #[test]
    fn usage_follows_behaviour_and_annotation() {
        let w = 1_000_020;
        let healthy = container_usage(&running_pod(json!({}), "img:1"), w, 1.0);
        let (_, cpu, mem) = healthy[0];
        assert!(cpu > 0.0 && cpu <= 0.5, "{cpu}");
        assert!(mem > 0.0 && mem <= 256.0 * MI * 0.8, "{mem}");
        let hot = container_usage(
            &running_pod(json!({MEMORY_ANNOTATION: "0.94"}), "img:1"),
            w,
            1.0,
        );
        assert!(hot[0].2 >= 0.93 * 256.0 * MI, "{}", hot[0].2);
        let crashing = container_usage(&running_pod(json!({}), "img:bad"), w, 1.0);
        assert!(crashing[0].1 >= 0.4, "{}", crashing[0].1);
        let mut waiting = running_pod(json!({}), "img:1");
        waiting["status"]["containerStatuses"][0]["state"] = json!({"waiting":{}});
        assert!(pod_metrics(&waiting, w, 1.0).is_none());
        let m = pod_metrics(&running_pod(json!({}), "img:1"), w, 1.0).unwrap();
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
