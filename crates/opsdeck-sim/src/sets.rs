//! The StatefulSets and DaemonSets a scenario starts with, as data, and their population: each
//! starts settled at revision 1 with pods running for a while; a set with a bad tag is then
//! rolled to it and its controller takes it from there.

use serde_json::json;

use super::daemonset;
use super::metrics::MEMORY_ANNOTATION;
use super::objects;
use super::revisions::{self, Flavor};
use super::scenario::{namespace_name, settle_pod};
use super::server::Ctx;
use super::statefulset;
use super::store::{Kind, StoreError};

/// One StatefulSet or DaemonSet of a scenario.
#[derive(Debug, Clone, Copy)]
pub struct SetSpec {
    /// StatefulSet (replicas as below) or DaemonSet (one pod per node).
    pub flavor: Flavor,
    /// Name, also the `app` label.
    pub name: &'static str,
    /// Index of the application namespace (modulo their number).
    pub namespace: usize,
    /// StatefulSet replicas.
    pub replicas: i64,
    /// Image tag of revision 1.
    pub tag: &'static str,
    /// CPU request and limit, memory request and limit.
    pub resources: [&'static str; 4],
    /// `podManagementPolicy: Parallel` (else OrderedReady).
    pub parallel: bool,
    /// Rolled out to this tag at start; a tag containing "bad" crash-loops.
    pub bad_tag: Option<&'static str>,
    /// The first pod uses this fraction of its memory limit.
    pub hot_memory: Option<&'static str>,
}

const POSTGRES: SetSpec = SetSpec {
    flavor: Flavor::StatefulSet,
    name: "postgres",
    namespace: 1,
    replicas: 3,
    tag: "16.4",
    resources: ["250m", "1", "512Mi", "1Gi"],
    parallel: false,
    bad_tag: None,
    hot_memory: None,
};

const LOG_SHIPPER: SetSpec = SetSpec {
    flavor: Flavor::DaemonSet,
    name: "log-shipper",
    namespace: 2,
    replicas: 0,
    tag: "3.1.9",
    resources: ["50m", "200m", "64Mi", "128Mi"],
    parallel: false,
    bad_tag: None,
    hot_memory: None,
};

/// Every scenario's database and node agent.
pub const BASE: &[SetSpec] = &[POSTGRES, LOG_SHIPPER];

/// The incident: the database near its memory limit, and a broker rolled to a revision that
/// crash-loops (`Parallel`, so an undo alone recovers it).
pub const INCIDENT: &[SetSpec] = &[
    SetSpec {
        hot_memory: Some("0.94"),
        ..POSTGRES
    },
    SetSpec {
        flavor: Flavor::StatefulSet,
        name: "kafka",
        namespace: 0,
        replicas: 3,
        tag: "3.8.0",
        resources: ["500m", "2", "1Gi", "2Gi"],
        parallel: true,
        bad_tag: Some("3.8.1-bad"),
        hot_memory: None,
    },
    LOG_SHIPPER,
];

fn ago(secs: i64) -> String {
    objects::ts(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs))
}

/// Populates the sets of a scenario.
pub fn populate(ctx: &Ctx, sets: &[SetSpec]) -> Result<(), StoreError> {
    for spec in sets {
        populate_set(ctx, spec)?;
    }
    Ok(())
}

fn populate_set(ctx: &Ctx, spec: &SetSpec) -> Result<(), StoreError> {
    let ns = namespace_name(spec.namespace % ctx.cfg.namespaces.max(1));
    let image = format!("registry.example.com/{ns}/{}:{}", spec.name, spec.tag);
    let mut template = objects::pod_template(spec.name, &image, None);
    let [cpu_req, cpu_lim, mem_req, mem_lim] = spec.resources;
    template["spec"]["containers"][0]["resources"] = json!({
        "requests":{"cpu":cpu_req,"memory":mem_req},"limits":{"cpu":cpu_lim,"memory":mem_lim}});
    let uid = objects::uid(&mut *ctx.rng.lock());
    let mut set = match spec.flavor {
        Flavor::StatefulSet => {
            statefulset::statefulset(&ns, spec.name, &uid, spec.replicas, template.clone())
        }
        Flavor::DaemonSet => daemonset::daemonset(&ns, spec.name, &uid, template.clone()),
    };
    let created = ago(86_400 * 20);
    set["metadata"]["creationTimestamp"] = json!(created);
    if spec.parallel {
        set["spec"]["podManagementPolicy"] = json!("Parallel");
    }
    let hash = objects::template_hash(&template);
    let rev_uid = objects::uid(&mut *ctx.rng.lock());
    let rev = revisions::revision(spec.flavor, &set, &hash, 1, (&rev_uid, &created));
    ctx.store.insert_silently(Kind::ControllerRevision, rev)?;
    let mut pods = Vec::new();
    match spec.flavor {
        Flavor::StatefulSet => {
            let rev_name = format!("{}-{hash}", spec.name);
            for ord in 0..spec.replicas {
                let mut pod = statefulset::pod(ctx, &set, ord, &rev_name, &template);
                if let Some(frac) = spec.hot_memory.filter(|_| ord == 0) {
                    pod["metadata"]["annotations"] = json!({ MEMORY_ANNOTATION: frac });
                }
                pods.push(settle_pod(ctx, pod, false)?);
            }
            set["status"] = statefulset::settled_status(&set, &pods, &rev_name);
        }
        Flavor::DaemonSet => {
            let nodes = ctx.nodes.lock().clone();
            for node in &nodes {
                let pod = daemonset::pod(ctx, &set, node, &hash, &template);
                pods.push(settle_pod(ctx, pod, false)?);
            }
            set["status"] = daemonset::status(&set, &nodes, &daemonset::group(&pods), &hash);
        }
    }
    ctx.store.insert_silently(spec.flavor.kind(), set)?;
    if let Some(tag) = spec.bad_tag {
        roll_to(ctx, spec, &ns, tag)?;
    }
    Ok(())
}

/// `kubectl set image` of the set's container to `tag`, with its change cause.
fn roll_to(ctx: &Ctx, spec: &SetSpec, ns: &str, tag: &str) -> Result<(), StoreError> {
    let kind = spec.flavor.kind();
    let obj = ctx
        .store
        .get(kind, ns, spec.name)
        .ok_or(StoreError::NotFound)?;
    let mut v = obj.value();
    let image = format!("registry.example.com/{ns}/{}:{tag}", spec.name);
    v["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
    v["metadata"]["generation"] = json!(2);
    let kind_name = kind.name().to_lowercase();
    v["metadata"]["annotations"]["kubernetes.io/change-cause"] = json!(format!(
        "kubectl set image {kind_name}/{0} {0}={image}",
        spec.name
    ));
    if spec.flavor == Flavor::DaemonSet {
        v["metadata"]["annotations"][daemonset::TEMPLATE_GENERATION] = json!("2");
    }
    ctx.store.put(kind, v, Some(obj.rv), false)?;
    Ok(())
}
