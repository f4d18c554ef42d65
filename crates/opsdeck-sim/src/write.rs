//! Mutations: DELETE pods, PATCH/PUT deployments and their scale, access reviews.

use serde_json::{Map, Value, json};

use super::api::{ApiError, ApiResult, Params, Role, Target, bytes_response, json_response};
use super::kubelet;
use super::server::Ctx;
use super::store::{Kind, Obj};

pub(super) fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, format!("error decoding request body: {e}")))
}

pub(super) fn dry_run(p: &Params) -> bool {
    p.get("dryRun").is_some_and(|d| d == "All")
}

pub(super) fn existing(ctx: &Ctx, t: &Target) -> Result<std::sync::Arc<Obj>, ApiError> {
    let name = t.name.as_deref().unwrap_or_default();
    ctx.store
        .get(t.kind, t.ns.as_deref().unwrap_or_default(), name)
        .ok_or_else(|| ApiError::not_found(t.kind, name))
}

/// DELETE of a pod: graceful (Terminating first) unless `gracePeriodSeconds=0`.
pub fn delete(ctx: &Ctx, t: &Target, p: &Params, body: &[u8]) -> ApiResult {
    match t.kind {
        Kind::Deployment => return super::collection::delete_deployment(ctx, t, p),
        Kind::StatefulSet | Kind::DaemonSet | Kind::ControllerRevision => {
            return super::workloads::delete(ctx, t, p);
        }
        _ => {}
    }
    if t.kind != Kind::Pod {
        return Err(ApiError::new(
            405,
            format!("delete is not supported on {}", t.kind.plural()),
        ));
    }
    let opts = if body.is_empty() {
        json!({})
    } else {
        parse_body(body)?
    };
    let obj = existing(ctx, t)?;
    let current = obj.value();
    let pre = &opts["preconditions"];
    if pre["uid"]
        .as_str()
        .is_some_and(|u| current["metadata"]["uid"] != u)
        || pre["resourceVersion"]
            .as_str()
            .is_some_and(|rv| rv != obj.rv.to_string())
    {
        return Err(ApiError::new(
            409,
            "Precondition failed: the object has changed",
        ));
    }
    if dry_run(p) || opts["dryRun"].as_array().is_some_and(|d| !d.is_empty()) {
        return Ok(bytes_response(200, "application/json", obj.json.clone()));
    }
    let grace = p
        .get("gracePeriodSeconds")
        .and_then(|g| g.parse().ok())
        .or_else(|| opts["gracePeriodSeconds"].as_i64());
    let (ns, name) = (obj.ns.clone(), obj.name.clone());
    let done = kubelet::delete_pod(ctx, &ns, &name, grace)
        .ok_or_else(|| ApiError::not_found(Kind::Pod, &name))?;
    Ok(bytes_response(200, "application/json", done.json.clone()))
}

fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "conditions" => Some("name"),
        "ports" => Some("containerPort"),
        "volumeMounts" => Some("mountPath"),
        _ => None,
    }
}

/// Strategic merge patch: JSON merge patch plus merging of named lists (containers and env by
/// `name`, ports by `containerPort`, …), `$patch: delete` on list items and `$patch: replace`
/// on maps (what `kubectl rollout undo` sends for StatefulSets and DaemonSets).
pub fn strategic_merge(doc: &mut Value, patch: &Value) {
    let (Value::Object(d), Value::Object(p)) = (&mut *doc, patch) else {
        *doc = strip_directives(patch);
        return;
    };
    for (k, pv) in p {
        if k.starts_with('$') {
            continue;
        }
        if pv.is_null() {
            d.remove(k);
            continue;
        }
        if pv["$patch"] == "replace" {
            d.insert(k.clone(), strip_directives(pv));
            continue;
        }
        let key = merge_key(k);
        match (d.get_mut(k), pv, key) {
            (Some(Value::Array(da)), Value::Array(pa), Some(key)) => merge_list(da, pa, key),
            (Some(dv @ Value::Object(_)), Value::Object(_), _) => strategic_merge(dv, pv),
            _ => {
                d.insert(k.clone(), strip_directives(pv));
            }
        }
    }
}

fn merge_list(doc: &mut Vec<Value>, patch: &[Value], key: &str) {
    for item in patch {
        let id = &item[key];
        let pos = doc.iter().position(|d| !id.is_null() && d[key] == *id);
        match (pos, item["$patch"].as_str()) {
            (Some(i), Some("delete")) => {
                doc.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => strategic_merge(&mut doc[i], item),
            (None, _) => doc.push(strip_directives(item)),
        }
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// Applies a patch of `ctype` to `doc`.
pub fn apply_patch(doc: &mut Value, ctype: &str, body: &[u8]) -> Result<(), ApiError> {
    let ctype = ctype.split(';').next().unwrap_or_default().trim();
    match ctype {
        "application/json-patch+json" => {
            let p: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::new(400, format!("invalid JSON patch: {e}")))?;
            json_patch::patch(doc, &p.0).map_err(|e| {
                ApiError::new(422, format!("the JSON patch could not be applied: {e}"))
            })
        }
        "application/merge-patch+json" => {
            json_patch::merge(doc, &parse_body(body)?);
            Ok(())
        }
        "application/strategic-merge-patch+json" => {
            let p = parse_body(body)?;
            if !p.is_object() {
                return Err(ApiError::new(
                    400,
                    "strategic merge patch must be a JSON object",
                ));
            }
            strategic_merge(doc, &p);
            Ok(())
        }
        other => Err(ApiError::new(
            415,
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {other:?})"
            ),
        )),
    }
}

/// Kinds with a pod template the API server versions (generation) and validates.
fn is_workload(kind: Kind) -> bool {
    matches!(kind, Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet)
}

/// PATCH of a Deployment, StatefulSet or DaemonSet (or a scale subresource) or a pod's metadata.
pub fn patch(ctx: &Ctx, t: &Target, p: &Params, ctype: &str, body: &[u8]) -> ApiResult {
    match (t.kind, t.sub.as_deref()) {
        (Kind::Deployment | Kind::StatefulSet, Some("scale")) => {
            let obj = existing(ctx, t)?;
            let mut scale = scale_of(&obj.value());
            apply_patch(&mut scale, ctype, body)?;
            set_scale(ctx, t, p, &obj, &scale)
        }
        (k, None) if is_workload(k) || k == Kind::Pod => {
            let obj = existing(ctx, t)?;
            let mut doc = obj.value();
            apply_patch(&mut doc, ctype, body)?;
            update(ctx, t, p, &obj, doc)
        }
        _ => Err(ApiError::new(
            405,
            format!("patch is not supported on {}", t.kind.plural()),
        )),
    }
}

/// PUT of a Deployment, StatefulSet or DaemonSet or a scale subresource.
pub fn put(ctx: &Ctx, t: &Target, p: &Params, body: &[u8]) -> ApiResult {
    let v = parse_body(body)?;
    let obj = existing(ctx, t)?;
    match (t.kind, t.sub.as_deref()) {
        (Kind::Deployment | Kind::StatefulSet, Some("scale")) => set_scale(ctx, t, p, &obj, &v),
        (k, None) if is_workload(k) => update(ctx, t, p, &obj, v),
        _ => Err(ApiError::new(
            405,
            format!("update is not supported on {}", t.kind.plural()),
        )),
    }
}

pub(super) fn validate(kind: Kind, v: &Value) -> Result<Value, ApiError> {
    super::workloads::validate(kind, v)
}

/// Stores an updated object: immutable fields kept, status kept, generation bumped on spec
/// change, optimistic concurrency on `metadata.resourceVersion`, dry run honoured.
fn update(ctx: &Ctx, t: &Target, p: &Params, old: &Obj, new: Value) -> ApiResult {
    let body = update_json(ctx, t, p, old, new)?;
    Ok(bytes_response(200, "application/json", body))
}

fn update_json(
    ctx: &Ctx,
    t: &Target,
    p: &Params,
    old: &Obj,
    mut new: Value,
) -> Result<bytes::Bytes, ApiError> {
    let cur = old.value();
    if !new.is_object() {
        return Err(ApiError::new(400, "the request body must be a JSON object"));
    }
    if new["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n != old.name)
    {
        return Err(ApiError::new(
            400,
            "the name of the object does not match the name on the URL",
        ));
    }
    let expect = match new["metadata"]["resourceVersion"]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::new(400, "invalid resourceVersion"))?,
        ),
        None => None,
    };
    if expect.is_some_and(|rv| rv != old.rv) {
        return Err(ApiError::new(
            409,
            format!(
                "Operation cannot be fulfilled on {}.apps \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                t.kind.plural(),
                old.name
            ),
        ));
    }
    for k in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "generation",
        "ownerReferences",
        "deletionTimestamp",
    ] {
        match cur["metadata"].get(k) {
            Some(v) => new["metadata"][k] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(k);
                }
            }
        }
    }
    new["apiVersion"] = json!(t.kind.api_version());
    new["kind"] = json!(t.kind.name());
    new["status"] = cur["status"].clone();
    if t.kind == Kind::Pod {
        new["spec"] = cur["spec"].clone();
    }
    let mut new = validate(t.kind, &new)?;
    if is_workload(t.kind) && new["spec"] != cur["spec"] {
        let g = cur["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
        new["metadata"]["generation"] = json!(g);
        super::workloads::on_spec_change(t.kind, &cur, &mut new);
    }
    new["metadata"]["resourceVersion"] = json!(old.rv.to_string());
    if dry_run(p) {
        return Ok(serde_json::to_vec(&new).unwrap_or_default().into());
    }
    let stored = ctx.store.put(t.kind, new, Some(old.rv), false)?;
    Ok(stored.json.clone())
}

fn scale_of(d: &Value) -> Value {
    let m = &d["metadata"];
    let sel = d["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|l| {
            l.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({"kind":"Scale","apiVersion":"autoscaling/v1",
        "metadata":{"name":m["name"],"namespace":m["namespace"],"uid":m["uid"],
            "resourceVersion":m["resourceVersion"],"creationTimestamp":m["creationTimestamp"]},
        "spec":{"replicas":d["spec"]["replicas"]},
        "status":{"replicas":d["status"]["replicas"].as_i64().unwrap_or(0),"selector":sel}})
}

/// GET of `deployments/{name}/scale` or `statefulsets/{name}/scale`.
pub fn get_scale(ctx: &Ctx, t: &Target) -> ApiResult {
    if !matches!(t.kind, Kind::Deployment | Kind::StatefulSet) {
        return Err(ApiError::new(
            404,
            "the server could not find the requested resource",
        ));
    }
    Ok(json_response(200, &scale_of(&existing(ctx, t)?.value())))
}

fn set_scale(ctx: &Ctx, t: &Target, p: &Params, obj: &Obj, scale: &Value) -> ApiResult {
    let replicas = scale["spec"]["replicas"].as_i64().ok_or_else(|| {
        ApiError::new(
            422,
            "Scale.autoscaling \"\" is invalid: spec.replicas: Required value",
        )
    })?;
    if replicas < 0 {
        return Err(ApiError::new(
            422,
            "spec.replicas: Invalid value: must be greater than or equal to 0",
        ));
    }
    let mut d = obj.value();
    d["metadata"]["resourceVersion"] = scale["metadata"]["resourceVersion"].clone();
    d["spec"]["replicas"] = json!(replicas);
    let bytes = update_json(
        ctx,
        &Target {
            sub: None,
            ..t.clone()
        },
        p,
        obj,
        d,
    )?;
    let d: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(json_response(200, &scale_of(&d)))
}

/// POST of a SelfSubjectAccessReview: admins may do anything, the read-only user only reads.
pub fn access_review(role: Role, body: &[u8]) -> ApiResult {
    let mut review = match body.strip_prefix(b"k8s\0") {
        Some(pb) => super::protobuf::access_review(pb)
            .ok_or_else(|| ApiError::new(400, "malformed protobuf body"))?,
        None => parse_body(body)?,
    };
    let spec = &review["spec"];
    let verb = spec["resourceAttributes"]["verb"]
        .as_str()
        .or(spec["nonResourceAttributes"]["verb"].as_str())
        .unwrap_or("get");
    let allowed = role == Role::Admin || matches!(verb, "get" | "list" | "watch");
    let reason = if allowed {
        "allowed by opsdeck-sim RBAC"
    } else {
        "the read-only user may only get, list and watch"
    };
    review["status"] = json!({"allowed": allowed, "reason": reason});
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    Ok(json_response(201, &review))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategic_merges_named_lists() {
        let mut d = json!({"spec":{"containers":[{"name":"a","image":"x:1","env":[{"name":"A","value":"1"}]},{"name":"b","image":"y:1"}]}});
        strategic_merge(
            &mut d,
            &json!({"spec":{"$setElementOrder/containers":[{"name":"a"}],
            "containers":[{"name":"a","image":"x:2","env":[{"name":"B","value":"2"}]},{"name":"b","$patch":"delete"}]}}),
        );
        assert_eq!(d["spec"]["containers"][0]["image"], "x:2");
        assert_eq!(
            d["spec"]["containers"][0]["env"].as_array().unwrap().len(),
            2
        );
        assert_eq!(d["spec"]["containers"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn patch_types() {
        let mut d = json!({"spec":{"replicas":1,"paused":true}});
        apply_patch(
            &mut d,
            "application/merge-patch+json",
            br#"{"spec":{"paused":null,"replicas":3}}"#,
        )
        .unwrap();
        assert_eq!(d, json!({"spec":{"replicas":3}}));
        apply_patch(
            &mut d,
            "application/json-patch+json",
            br#"[{"op":"replace","path":"/spec/replicas","value":5}]"#,
        )
        .unwrap();
        assert_eq!(d["spec"]["replicas"], 5);
        assert_eq!(
            apply_patch(&mut d, "application/apply-patch+yaml", b"x")
                .unwrap_err()
                .code,
            415
        );
        assert_eq!(
            apply_patch(&mut d, "application/merge-patch+json", b"{nope")
                .unwrap_err()
                .code,
            400
        );
        assert_eq!(
            apply_patch(
                &mut d,
                "application/json-patch+json",
                br#"[{"op":"remove","path":"/nope"}]"#
            )
            .unwrap_err()
            .code,
            422
        );
    }
}
