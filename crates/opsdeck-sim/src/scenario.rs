//! Scenarios as data, and the initial population of the cluster.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rand::RngExt;
use serde_json::{Value, json};

use super::kubelet;
use super::objects::{self, BEHAVIOR, PodState, REVISION};
use super::server::Ctx;
use super::sets::{self, SetSpec};
use super::store::{Kind, Obj, StoreError};

/// The story the simulated cluster tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scenario {
    /// Healthy, with gentle churn.
    #[default]
    Steady,
    /// One deployment crash-looping.
    Crashloop,
    /// A deployment's newest revision never becomes ready; the old one keeps serving.
    BadRollout,
    /// Bad rollout plus OOMKilled pods and noisy logs.
    Incident,
}

/// What a scenario does, as data: add a scenario by adding a row.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioSpec {
    /// Deployments (by index) whose pods crash-loop from the start.
    pub crashloop: &'static [usize],
    /// Deployments (by index) whose pods get OOMKilled repeatedly.
    pub oom: &'static [usize],
    /// Deployments (by index) whose image cannot be pulled.
    pub imagepull: &'static [usize],
    /// Deployment (by index) rolled out to a bad image at start.
    pub bad_rollout: Option<usize>,
    /// Multiplier on the log rate, plus ANSI escapes in some lines.
    pub noisy_logs: bool,
    /// StatefulSets and DaemonSets.
    pub sets: &'static [SetSpec],
}

impl Scenario {
    /// The scenario's definition.
    pub fn spec(self) -> ScenarioSpec {
        match self {
            Scenario::Steady => ScenarioSpec {
                crashloop: &[],
                oom: &[],
                imagepull: &[],
                bad_rollout: None,
                noisy_logs: false,
                sets: sets::BASE,
            },
            Scenario::Crashloop => ScenarioSpec {
                crashloop: &[1],
                oom: &[],
                imagepull: &[],
                bad_rollout: None,
                noisy_logs: false,
                sets: sets::BASE,
            },
            Scenario::BadRollout => ScenarioSpec {
                crashloop: &[],
                oom: &[],
                imagepull: &[],
                bad_rollout: Some(0),
                noisy_logs: false,
                sets: sets::BASE,
            },
            Scenario::Incident => ScenarioSpec {
                crashloop: &[],
                oom: &[2],
                imagepull: &[4],
                bad_rollout: Some(0),
                noisy_logs: true,
                sets: sets::INCIDENT,
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::Crashloop => "crashloop",
            Scenario::BadRollout => "bad-rollout",
            Scenario::Incident => "incident",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown scenario name.
#[derive(Debug, thiserror::Error)]
#[error("unknown scenario {0:?} (expected steady, crashloop, bad-rollout or incident)")]
pub struct UnknownScenario(String);

impl FromStr for Scenario {
    type Err = UnknownScenario;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Scenario::Steady,
            Scenario::Crashloop,
            Scenario::BadRollout,
            Scenario::Incident,
        ]
        .into_iter()
        .find(|sc| sc.name() == s)
        .ok_or_else(|| UnknownScenario(s.to_string()))
    }
}

const NAMESPACES: &[&str] = &[
    "shop",
    "payments",
    "platform",
    "search",
    "identity",
    "data",
    "messaging",
    "ml",
    "edge",
    "observability",
];

const APPS: &[&str] = &[
    "checkout",
    "payments-api",
    "api-gateway",
    "frontend",
    "search",
    "cart",
    "inventory",
    "auth",
    "notifications",
    "recommendations",
    "orders",
    "shipping",
    "catalog",
    "billing",
    "users",
    "reviews",
    "pricing",
    "fraud-detector",
    "email-sender",
    "image-resizer",
    "session-store",
    "ledger",
    "invoicing",
    "feature-flags",
    "rate-limiter",
    "geo-lookup",
    "tax-engine",
    "loyalty",
    "wishlist",
    "media-proxy",
];

fn indexed(list: &[&str], i: usize) -> String {
    let base = list[i % list.len()];
    match i / list.len() {
        0 => base.to_string(),
        n => format!("{base}-{}", n + 1),
    }
}

/// The namespace of the i-th application namespace.
pub fn namespace_name(i: usize) -> String {
    indexed(NAMESPACES, i)
}

/// `(namespace, name)` of the i-th deployment.
pub fn deployment_key(ctx: &Ctx, i: usize) -> (String, String) {
    (
        namespace_name(i % ctx.cfg.namespaces.max(1)),
        indexed(APPS, i),
    )
}

fn ago(secs: i64) -> String {
    objects::ts(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs))
}

/// Fills the store for the configured scenario and size.
pub fn populate(ctx: &Ctx) -> Result<(), StoreError> {
    let cfg = &ctx.cfg;
    let spec = cfg.scenario.spec();
    let uids = |ctx: &Ctx| objects::uid(&mut *ctx.rng.lock());
    for ns in ["default", "kube-system"]
        .into_iter()
        .map(String::from)
        .chain((0..cfg.namespaces.max(1)).map(namespace_name))
    {
        ctx.store.insert_silently(
            Kind::Namespace,
            objects::namespace(&ns, &uids(ctx), &ago(86_400 * 40)),
        )?;
    }
    let nodes = (cfg.pods / 100).clamp(3, 500);
    let names: Vec<String> = (0..nodes).map(|i| format!("worker-{i:03}")).collect();
    for (i, n) in names.iter().enumerate() {
        let zone = ["eu-west-1a", "eu-west-1b", "eu-west-1c"][i % 3];
        ctx.store.insert_silently(
            Kind::Node,
            objects::node(n, &uids(ctx), &ago(86_400 * 30), zone),
        )?;
    }
    *ctx.nodes.lock() = names;
    let deploys = cfg.deployments.max(1);
    for i in 0..deploys {
        let replicas = cfg.pods / deploys + usize::from(i < cfg.pods % deploys);
        let behavior = if spec.crashloop.contains(&i) {
            Some("crashloop")
        } else if spec.oom.contains(&i) {
            Some("oom")
        } else {
            None
        };
        populate_deployment(ctx, i, replicas as i64, behavior)?;
    }
    if let Some(i) = spec.bad_rollout.filter(|i| *i < deploys) {
        start_bad_rollout(ctx, i, "v2.0.0-bad", None)?;
    }
    for &i in spec.imagepull.iter().filter(|i| **i < deploys) {
        start_bad_rollout(ctx, i, "v1.9.9-typo", Some("imagepull"))?;
    }
    sets::populate(ctx, spec.sets)
}

fn image(ctx: &Ctx, ns: &str, app: &str) -> String {
    let (minor, patch) = {
        let mut rng = ctx.rng.lock();
        (rng.random_range(1..20u32), rng.random_range(0..10u32))
    };
    format!("registry.example.com/{ns}/{app}:v1.{minor}.{patch}")
}

fn populate_deployment(
    ctx: &Ctx,
    i: usize,
    replicas: i64,
    behavior: Option<&str>,
) -> Result<(), StoreError> {
    let ns = namespace_name(i % ctx.cfg.namespaces.max(1));
    let app = indexed(APPS, i);
    let template = objects::pod_template(&app, &image(ctx, &ns, &app), behavior);
    let duid = objects::uid(&mut *ctx.rng.lock());
    let mut d = objects::deployment(&ns, &app, &duid, replicas, template, &ago(86_400 * 12));
    d["metadata"]["annotations"][REVISION] = json!("1");
    let hash = objects::template_hash(&d["spec"]["template"]);
    let rs_uid = objects::uid(&mut *ctx.rng.lock());
    let mut rs = objects::replicaset(&d, &hash, 1, replicas, &rs_uid, &ago(86_400 * 12));
    let ready = if behavior.is_some() { 0 } else { replicas };
    rs["status"] = json!({"replicas":replicas,"fullyLabeledReplicas":replicas,"readyReplicas":ready,
        "availableReplicas":ready,"observedGeneration":1});
    d["status"] = complete_status(&rs, replicas, ready);
    ctx.store.insert_silently(Kind::Deployment, d)?;
    for _ in 0..replicas {
        populate_pod(ctx, &rs, behavior.is_some())?;
    }
    ctx.store.insert_silently(Kind::ReplicaSet, rs)?;
    Ok(())
}

fn populate_pod(ctx: &Ctx, rs: &Value, crashing: bool) -> Result<(), StoreError> {
    let rs_name = rs["metadata"]["name"].as_str().unwrap_or_default();
    let (name, uid) = {
        let mut rng = ctx.rng.lock();
        let name = format!("{rs_name}-{}", objects::suffix(&mut *rng, 5));
        (name, objects::uid(&mut *rng))
    };
    settle_pod(ctx, objects::pod(rs, &name, "", &uid, ""), crashing).map(drop)
}

/// Stores a pod of the initial population, created minutes to days ago: ready, or crash-looping
/// with restarts when `crashing`, with its scheduling events; scheduled to a random node unless
/// it names one.
pub fn settle_pod(ctx: &Ctx, mut pod: Value, crashing: bool) -> Result<Arc<Obj>, StoreError> {
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let uid = pod["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (restarts, n, age) = {
        let mut rng = ctx.rng.lock();
        let restarts = if crashing {
            rng.random_range(3..12)
        } else {
            u32::from(rng.random_bool(0.1))
        };
        (
            restarts,
            rng.random_range(0..10_000usize),
            rng.random_range(600..86_400 * 3i64),
        )
    };
    if pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty) {
        pod["spec"]["nodeName"] = json!(ctx.pick_node(n));
    }
    pod["metadata"]["creationTimestamp"] = json!(ago(age));
    pod["status"]["startTime"] = json!(ago(age - 5));
    let ip = ctx.next_ip();
    objects::set_pod_status(&mut pod, PodState::Ready, &ip, &ago(age - 8));
    for _ in 0..restarts {
        let reason = if pod["metadata"]["annotations"][BEHAVIOR] == "oom" {
            ("OOMKilled", 137)
        } else {
            ("Error", 1)
        };
        objects::set_pod_status(
            &mut pod,
            PodState::Crashed(reason.0, reason.1),
            &ip,
            &ago(120),
        );
    }
    if !crashing {
        objects::set_pod_status(&mut pod, PodState::Ready, &ip, &ago(age.min(3_600)));
    }
    let ns = pod["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if ctx.cfg.pods <= 2_000 {
        let node = pod["spec"]["nodeName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let msg = format!("Successfully assigned {ns}/{name} to {node}");
        let when = ago(age);
        let cname = pod["spec"]["containers"][0]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let started = format!("Started container {cname}");
        kubelet::record_event_at(
            ctx,
            &pod,
            ("Normal", "Scheduled", &msg, "default-scheduler"),
            &when,
        );
        kubelet::record_event_at(ctx, &pod, ("Normal", "Started", &started, "kubelet"), &when);
    }
    ctx.store.insert_silently(Kind::Pod, pod)?;
    if crashing {
        kubelet::schedule_crash(ctx, &ns, &name, &uid);
    }
    ctx.store
        .get(Kind::Pod, &ns, &name)
        .ok_or(StoreError::NotFound)
}

fn complete_status(rs: &Value, replicas: i64, ready: i64) -> Value {
    let created = rs["metadata"]["creationTimestamp"].clone();
    let rs_name = rs["metadata"]["name"].as_str().unwrap_or_default();
    let avail = if ready >= replicas - replicas / 4 {
        "True"
    } else {
        "False"
    };
    let mut st = json!({"observedGeneration":1,"replicas":replicas,"updatedReplicas":replicas,
        "readyReplicas":ready,"availableReplicas":ready,
        "conditions":[
            {"type":"Available","status":avail,"reason":if avail == "True" {"MinimumReplicasAvailable"} else {"MinimumReplicasUnavailable"},
             "message":"Deployment has minimum availability.","lastUpdateTime":created,"lastTransitionTime":created},
            {"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable",
             "message":format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
             "lastUpdateTime":created,"lastTransitionTime":created}]});
    if replicas > ready {
        st["unavailableReplicas"] = json!(replicas - ready);
    }
    st
}

/// Rolls deployment `i` to a bad image tag (optionally with a behaviour); the controller takes
/// it from there.
fn start_bad_rollout(
    ctx: &Ctx,
    i: usize,
    tag: &str,
    behavior: Option<&str>,
) -> Result<(), StoreError> {
    let (ns, app) = deployment_key(ctx, i);
    let obj = ctx
        .store
        .get(Kind::Deployment, &ns, &app)
        .ok_or(StoreError::NotFound)?;
    let mut d = obj.value();
    let bad = format!("registry.example.com/{ns}/{app}:{tag}");
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(bad);
    if let Some(b) = behavior {
        d["spec"]["template"]["metadata"]["annotations"][BEHAVIOR] = json!(b);
    }
    d["metadata"]["generation"] = json!(2);
    d["metadata"]["annotations"]["kubernetes.io/change-cause"] =
        json!(format!("kubectl set image deployment/{app} {app}={bad}"));
    ctx.store.put(Kind::Deployment, d, Some(obj.rv), false)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ["steady", "crashloop", "bad-rollout", "incident"] {
            assert_eq!(s.parse::<Scenario>().unwrap().to_string(), s);
        }
        assert!("nope".parse::<Scenario>().is_err());
        assert_eq!(indexed(APPS, APPS.len()), "checkout-2");
    }
}
