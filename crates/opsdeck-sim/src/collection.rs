//! Creating Deployments, StatefulSets and DaemonSets (`kubectl create`, `kubectl apply`) and
//! deleting Deployments (`kubectl delete deploy`).

use serde_json::{Value, json};

use super::api::{ApiError, ApiResult, Params, Target, bytes_response};
use super::kubelet;
use super::objects::{self, HASH_LABEL};
use super::server::Ctx;
use super::store::Kind;
use super::write::{dry_run, existing, parse_body, validate};

pub(super) fn set_default(v: &mut Value, path: &[&str], default: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        if !cur[*p].is_object() {
            cur[*p] = json!({});
        }
        cur = &mut cur[*p];
    }
    if cur[*last].is_null() {
        cur[*last] = default;
    }
}

/// POST of a Deployment, StatefulSet or DaemonSet: defaults, validation, dry run, 409 when it
/// exists.
pub fn create(ctx: &Ctx, t: &Target, p: &Params, body: &[u8]) -> ApiResult {
    let kind = t.kind;
    if !matches!(kind, Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet) {
        return Err(ApiError::new(
            405,
            format!("create is not supported on {}", kind.plural()),
        ));
    }
    let mut d = parse_body(body)?;
    if !d.is_object() || d["kind"].as_str().is_some_and(|k| k != kind.name()) {
        return Err(ApiError::new(
            400,
            format!("the body must be a {} object", kind.name()),
        ));
    }
    let ns = t.ns.clone().unwrap_or_else(|| "default".into());
    if d["metadata"]["namespace"].as_str().is_some_and(|n| n != ns) {
        return Err(ApiError::new(
            400,
            "the namespace of the object does not match the namespace on the URL",
        ));
    }
    let name = match (
        d["metadata"]["name"].as_str(),
        d["metadata"]["generateName"].as_str(),
    ) {
        (Some(n), _) if !n.is_empty() => n.to_string(),
        (_, Some(g)) if !g.is_empty() => format!("{g}{}", objects::suffix(&mut *ctx.rng.lock(), 5)),
        _ => {
            return Err(ApiError::new(
                422,
                format!(
                    "{}.apps is invalid: metadata.name: Required value",
                    kind.name()
                ),
            ));
        }
    };
    d["apiVersion"] = json!("apps/v1");
    d["kind"] = json!(kind.name());
    set_default(&mut d, &["metadata", "annotations"], json!({}));
    let m = &mut d["metadata"];
    m["name"] = json!(name);
    m["namespace"] = json!(ns);
    m["uid"] = json!(objects::uid(&mut *ctx.rng.lock()));
    m["creationTimestamp"] = json!(objects::now());
    m["generation"] = json!(1);
    if kind == Kind::Deployment {
        set_default(&mut d, &["spec", "replicas"], json!(1));
        set_default(&mut d, &["spec", "revisionHistoryLimit"], json!(10));
        set_default(&mut d, &["spec", "progressDeadlineSeconds"], json!(30));
        let strategy = json!({"type":"RollingUpdate",
            "rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}});
        set_default(&mut d, &["spec", "strategy"], strategy);
    } else {
        super::workloads::set_defaults(kind, &mut d);
    }
    d["status"] = json!({});
    let mut d = validate(kind, &d)?;
    if dry_run(p) {
        d["metadata"]["resourceVersion"] = json!(ctx.store.rv_now().to_string());
        return Ok(bytes_response(
            201,
            "application/json",
            serde_json::to_vec(&d).unwrap_or_default().into(),
        ));
    }
    let obj = ctx.store.put(kind, d, None, true).map_err(|e| match e {
        super::store::StoreError::AlreadyExists => ApiError::new(
            409,
            format!("{}.apps \"{name}\" already exists", kind.plural()),
        ),
        e => e.into(),
    })?;
    Ok(bytes_response(201, "application/json", obj.json.clone()))
}

/// DELETE of a deployment; its ReplicaSets and pods follow (background cascade).
pub fn delete_deployment(ctx: &Ctx, t: &Target, p: &Params) -> ApiResult {
    let obj = existing(ctx, t)?;
    if dry_run(p) {
        return Ok(bytes_response(200, "application/json", obj.json.clone()));
    }
    let uid = obj.value()["metadata"]["uid"].clone();
    let gone = ctx
        .store
        .delete(Kind::Deployment, &obj.ns, &obj.name)
        .ok_or_else(|| ApiError::not_found(Kind::Deployment, &obj.name))?;
    for rs in ctx
        .store
        .with_prefix(Kind::ReplicaSet, &obj.ns, &format!("{}-", obj.name))
    {
        let owned = rs.value()["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|o| o.iter().any(|r| r["uid"] == uid));
        if !owned {
            continue;
        }
        ctx.store.delete(Kind::ReplicaSet, &rs.ns, &rs.name);
        for pod in ctx
            .store
            .with_prefix(Kind::Pod, &rs.ns, &format!("{}-", rs.name))
        {
            if pod.label(HASH_LABEL) == rs.label(HASH_LABEL) {
                kubelet::delete_pod(ctx, &pod.ns, &pod.name, None);
            }
        }
    }
    Ok(bytes_response(200, "application/json", gone.json.clone()))
}
