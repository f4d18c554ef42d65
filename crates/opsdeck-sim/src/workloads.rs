//! What StatefulSets and DaemonSets share: the controller task that drives both, their pods,
//! status writes, the API's validation, defaults and cascading delete, and their table columns
//! (and ControllerRevisions').

use std::collections::BTreeSet;
use std::sync::Arc;

use rand::RngExt;
use serde_json::{Value, json};

use super::api::{ApiError, ApiResult, Params, Target, bytes_response};
use super::collection::set_default;
use super::revisions::{self, POD_HASH_LABEL};
use super::server::Ctx;
use super::store::{Event, Kind, Obj};
use super::write::{dry_run, existing};
use super::{daemonset, kubelet, objects, statefulset, table};

type Key = (Kind, String, String);

/// Runs the StatefulSet and DaemonSet controllers until shutdown.
pub async fn run(ctx: Arc<Ctx>) {
    super::controller::drive(ctx, all, owner_of, reconcile).await;
}

fn reconcile(ctx: &Ctx, (kind, ns, name): &Key) -> bool {
    match kind {
        Kind::StatefulSet => statefulset::reconcile(ctx, ns, name),
        _ => daemonset::reconcile(ctx, ns, name),
    }
}

fn all(ctx: &Ctx) -> BTreeSet<Key> {
    [Kind::StatefulSet, Kind::DaemonSet]
        .into_iter()
        .flat_map(|kind| {
            let (objs, _, _) = ctx.store.list(kind, None, None, usize::MAX, &|_| true);
            objs.into_iter()
                .map(move |o| (kind, o.ns.clone(), o.name.clone()))
        })
        .collect()
}

/// The set an event concerns: the set itself, or the controller of one of its pods (only pods
/// with a revision label are parsed).
fn owner_of(ev: &Event) -> Option<Key> {
    let o = &ev.obj;
    match ev.kind {
        Kind::StatefulSet | Kind::DaemonSet => Some((ev.kind, o.ns.clone(), o.name.clone())),
        Kind::Pod if o.label(POD_HASH_LABEL).is_some() => {
            let v = o.value();
            let owner = v["metadata"]["ownerReferences"]
                .as_array()?
                .iter()
                .find(|r| r["controller"] == true)?
                .clone();
            let kind = match owner["kind"].as_str()? {
                "StatefulSet" => Kind::StatefulSet,
                "DaemonSet" => Kind::DaemonSet,
                _ => return None,
            };
            Some((kind, o.ns.clone(), owner["name"].as_str()?.to_string()))
        }
        _ => None,
    }
}

/// Pods controlled by `owner`, terminating ones included.
pub fn owned_pods(ctx: &Ctx, owner: &Value) -> Vec<Arc<Obj>> {
    let meta = &owner["metadata"];
    let ns = meta["namespace"].as_str().unwrap_or_default();
    let name = meta["name"].as_str().unwrap_or_default();
    ctx.store
        .with_prefix(Kind::Pod, ns, &format!("{name}-"))
        .into_iter()
        .filter(|p| {
            p.label(POD_HASH_LABEL).is_some() && revisions::controlled_by(&p.value(), &meta["uid"])
        })
        .collect()
}

/// A node picked at random.
pub fn random_node(ctx: &Ctx) -> String {
    let n = ctx.rng.lock().random_range(0..10_000usize);
    ctx.pick_node(n)
}

/// A pod of `owner` from `template`, with extra labels.
pub fn new_pod(
    ctx: &Ctx,
    owner: &Value,
    template: &Value,
    name: &str,
    node: &str,
    labels: &[(&str, String)],
) -> Value {
    let mut t = template.clone();
    if !t["metadata"]["labels"].is_object() {
        t["metadata"]["labels"] = json!({});
    }
    for (k, v) in labels {
        t["metadata"]["labels"][*k] = json!(v);
    }
    let uid = objects::uid(&mut *ctx.rng.lock());
    objects::owned_pod(owner, &t, name, node, (&uid, &objects::now()))
}

/// Records the controller's event for creating or deleting pod `pod`.
fn pod_event(ctx: &Ctx, owner: &Value, created: bool, pod: &str) {
    let set = owner["metadata"]["name"].as_str().unwrap_or_default();
    let (reason, verb) = if created {
        ("SuccessfulCreate", "create")
    } else {
        ("SuccessfulDelete", "delete")
    };
    let (msg, component) = if owner["kind"] == "DaemonSet" {
        let past = if created { "Created" } else { "Deleted" };
        (format!("{past} pod: {pod}"), "daemonset-controller")
    } else {
        let msg = format!("{verb} Pod {pod} in StatefulSet {set} successful");
        (msg, "statefulset-controller")
    };
    kubelet::record_event(ctx, owner, "Normal", reason, &msg, component);
}

/// Creates `pod` and records the controller's event.
pub fn launch(ctx: &Ctx, owner: &Value, pod: Value) {
    if let Some(p) = kubelet::launch_pod(ctx, pod) {
        pod_event(ctx, owner, true, &p.name);
    }
}

/// Deletes a pod gracefully and records the controller's event.
pub fn delete_pod(ctx: &Ctx, owner: &Value, pod: &Obj) {
    if kubelet::delete_pod(ctx, &pod.ns, &pod.name, None).is_some() {
        pod_event(ctx, owner, false, &pod.name);
    }
}

/// Writes `status` when it changed; true when the write raced and should be retried.
pub fn write_status(ctx: &Ctx, kind: Kind, obj: &Obj, mut v: Value, status: Value) -> bool {
    if v["status"] == status {
        return false;
    }
    v["status"] = status;
    match ctx.store.put(kind, v, Some(obj.rv), false) {
        Ok(_) => false,
        Err(e) => {
            tracing::debug!(set = %obj.name, error = %e, "status update raced");
            true
        }
    }
}

/// Validates a Deployment, StatefulSet or DaemonSet through its typed form (which also
/// normalises it); other kinds pass unchanged.
pub fn validate(kind: Kind, v: &Value) -> Result<Value, ApiError> {
    use k8s_openapi::api::apps::v1 as apps;
    let typed = match kind {
        Kind::Deployment => typed::<apps::Deployment>(kind, v)?,
        Kind::StatefulSet => typed::<apps::StatefulSet>(kind, v)?,
        Kind::DaemonSet => typed::<apps::DaemonSet>(kind, v)?,
        _ => return Ok(v.clone()),
    };
    let name = typed["metadata"]["name"].as_str().unwrap_or_default();
    let invalid = |m: &str| {
        ApiError::new(
            422,
            format!("{}.apps \"{name}\" is invalid: {m}", kind.name()),
        )
    };
    let spec = &typed["spec"];
    if spec["replicas"].as_i64().is_some_and(|r| r < 0) {
        return Err(invalid(
            "spec.replicas: Invalid value: must be greater than or equal to 0",
        ));
    }
    if spec["template"]["spec"]["containers"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        return Err(invalid("spec.template.spec.containers: Required value"));
    }
    let labels = &spec["template"]["metadata"]["labels"];
    let selected = spec["selector"]["matchLabels"]
        .as_object()
        .is_some_and(|m| m.iter().all(|(k, v)| labels[k] == *v));
    if !selected {
        return Err(invalid(
            "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`",
        ));
    }
    Ok(typed)
}

fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(
    kind: Kind,
    v: &Value,
) -> Result<Value, ApiError> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| {
        let k = kind.name();
        ApiError::new(
            400,
            format!("{k} in version \"v1\" cannot be handled as a {k}: {e}"),
        )
    })?;
    serde_json::to_value(&t).map_err(|e| ApiError::new(500, e.to_string()))
}

/// The API server's defaults for a new StatefulSet or DaemonSet.
pub fn set_defaults(kind: Kind, d: &mut Value) {
    let rolling = d["spec"]["updateStrategy"]["type"]
        .as_str()
        .is_none_or(|t| t == "RollingUpdate");
    if kind == Kind::StatefulSet {
        set_default(d, &["spec", "replicas"], json!(1));
        set_default(d, &["spec", "podManagementPolicy"], json!("OrderedReady"));
        let retain = json!({"whenDeleted":"Retain","whenScaled":"Retain"});
        set_default(d, &["spec", "persistentVolumeClaimRetentionPolicy"], retain);
        set_default(
            d,
            &["spec", "updateStrategy", "type"],
            json!("RollingUpdate"),
        );
        if rolling {
            let p = ["spec", "updateStrategy", "rollingUpdate", "partition"];
            set_default(d, &p, json!(0));
        }
    } else {
        set_default(
            d,
            &["spec", "updateStrategy", "type"],
            json!("RollingUpdate"),
        );
        if rolling {
            let ru = ["spec", "updateStrategy", "rollingUpdate"];
            set_default(d, &[&ru[..], &["maxUnavailable"]].concat(), json!(1));
            set_default(d, &[&ru[..], &["maxSurge"]].concat(), json!(0));
        }
        d["metadata"]["annotations"][daemonset::TEMPLATE_GENERATION] = json!("1");
    }
    set_default(d, &["spec", "revisionHistoryLimit"], json!(10));
}

/// Bookkeeping the API server does when a spec changes (after the generation bump).
pub fn on_spec_change(kind: Kind, cur: &Value, new: &mut Value) {
    if kind == Kind::DaemonSet && cur["spec"]["template"] != new["spec"]["template"] {
        let g = new["metadata"]["generation"].to_string();
        new["metadata"]["annotations"][daemonset::TEMPLATE_GENERATION] = json!(g);
    }
}

/// DELETE of a StatefulSet or DaemonSet (its revisions and pods follow) or a ControllerRevision.
pub fn delete(ctx: &Ctx, t: &Target, p: &Params) -> ApiResult {
    let obj = existing(ctx, t)?;
    if dry_run(p) {
        return Ok(bytes_response(200, "application/json", obj.json.clone()));
    }
    let v = obj.value();
    let gone = ctx
        .store
        .delete(t.kind, &obj.ns, &obj.name)
        .ok_or_else(|| ApiError::not_found(t.kind, &obj.name))?;
    let flavor = match t.kind {
        Kind::StatefulSet => revisions::Flavor::StatefulSet,
        Kind::DaemonSet => revisions::Flavor::DaemonSet,
        _ => return Ok(bytes_response(200, "application/json", gone.json.clone())),
    };
    for rev in revisions::owned(ctx, flavor, &v) {
        ctx.store
            .delete(Kind::ControllerRevision, &rev.obj.ns, &rev.obj.name);
    }
    for pod in owned_pods(ctx, &v) {
        kubelet::delete_pod(ctx, &pod.ns, &pod.name, None);
    }
    Ok(bytes_response(200, "application/json", gone.json.clone()))
}

/// kubectl's columns for StatefulSets, DaemonSets and ControllerRevisions.
pub fn columns(kind: Kind) -> Vec<Value> {
    let (s, i) = ("string", "integer");
    let col = table::col;
    match kind {
        Kind::StatefulSet => vec![
            col("Name", s, 0),
            col("Ready", s, 0),
            col("Age", s, 0),
            col("Containers", s, 1),
            col("Images", s, 1),
        ],
        Kind::DaemonSet => vec![
            col("Name", s, 0),
            col("Desired", i, 0),
            col("Current", i, 0),
            col("Ready", i, 0),
            col("Up-to-date", i, 0),
            col("Available", i, 0),
            col("Node Selector", s, 0),
            col("Age", s, 0),
            col("Containers", s, 1),
            col("Images", s, 1),
            col("Selector", s, 1),
        ],
        _ => vec![
            col("Name", s, 0),
            col("Controller", s, 0),
            col("Revision", i, 0),
            col("Age", s, 0),
        ],
    }
}

/// One table row's cells; `age` is the object's age as kubectl prints it.
pub fn cells(kind: Kind, o: &Value, age: &str) -> Value {
    let (name, st, sp) = (&o["metadata"]["name"], &o["status"], &o["spec"]);
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let (c, i) = table::containers(&sp["template"]["spec"]);
    match kind {
        Kind::StatefulSet => json!([
            name,
            format!("{}/{}", int(&st["readyReplicas"]), int(&sp["replicas"])),
            age,
            c,
            i
        ]),
        Kind::DaemonSet => {
            let node_selector = sp["template"]["spec"]["nodeSelector"]
                .as_object()
                .filter(|m| !m.is_empty())
                .map_or_else(
                    || "<none>".to_string(),
                    |m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect::<Vec<_>>()
                            .join(",")
                    },
                );
            json!([
                name,
                int(&st["desiredNumberScheduled"]),
                int(&st["currentNumberScheduled"]),
                int(&st["numberReady"]),
                int(&st["updatedNumberScheduled"]),
                int(&st["numberAvailable"]),
                node_selector,
                age,
                c,
                i,
                table::selector(&sp["selector"])
            ])
        }
        _ => {
            let owner = o["metadata"]["ownerReferences"]
                .as_array()
                .and_then(|o| o.iter().find(|r| r["controller"] == true))
                .map_or_else(
                    || "<none>".to_string(),
                    |r| {
                        let kind = r["kind"].as_str().unwrap_or_default().to_lowercase();
                        let group = r["apiVersion"].as_str().unwrap_or_default();
                        let group = group.split_once('/').map_or("", |(g, _)| g);
                        let name = r["name"].as_str().unwrap_or_default();
                        format!("{kind}.{group}/{name}")
                    },
                );
            json!([name, owner, int(&o["revision"]), age])
        }
    }
}
