//! Legacy discovery documents (`/version`, `/api`, `/apis`, group versions). Aggregated
//! discovery requests get these plain documents, which makes clients fall back to legacy
//! discovery.

use serde_json::{Value, json};

const READ: &[&str] = &["get", "list", "watch"];
const POD_VERBS: &[&str] = &["delete", "get", "list", "watch"];
const DEPLOY_VERBS: &[&str] = &["get", "list", "patch", "update", "watch"];

fn res(name: &str, kind: &str, namespaced: bool, verbs: &[&str], short: &[&str]) -> Value {
    let singular = kind.to_lowercase();
    let mut r = json!({"name":name,"singularName":singular,"namespaced":namespaced,"kind":kind,
        "verbs":verbs});
    if !short.is_empty() {
        r["shortNames"] = json!(short);
    }
    if matches!(name, "pods" | "deployments" | "replicasets" | "services") {
        r["categories"] = json!(["all"]);
    }
    r
}

fn sub(name: &str, kind: &str, verbs: &[&str]) -> Value {
    json!({"name":name,"singularName":"","namespaced":true,"kind":kind,"verbs":verbs})
}

fn core_v1() -> Value {
    json!({"kind":"APIResourceList","groupVersion":"v1","resources":[
        res("namespaces", "Namespace", false, READ, &["ns"]),
        res("nodes", "Node", false, READ, &["no"]),
        res("pods", "Pod", true, POD_VERBS, &["po"]),
        sub("pods/log", "Pod", &["get"]),
        res("events", "Event", true, READ, &["ev"]),
        res("services", "Service", true, READ, &["svc"]),
    ]})
}

fn apps_v1() -> Value {
    let mut scale = sub("deployments/scale", "Scale", &["get", "patch", "update"]);
    scale["group"] = json!("autoscaling");
    scale["version"] = json!("v1");
    json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[
        res("deployments", "Deployment", true, DEPLOY_VERBS, &["deploy"]),
        scale,
        sub("deployments/status", "Deployment", &["get"]),
        res("replicasets", "ReplicaSet", true, READ, &["rs"]),
    ]})
}

fn authorization_v1() -> Value {
    json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"authorization.k8s.io/v1",
        "resources":[{"name":"selfsubjectaccessreviews","singularName":"selfsubjectaccessreview",
            "namespaced":false,"kind":"SelfSubjectAccessReview","verbs":["create"]}]})
}

fn group(name: &str) -> Value {
    let gv = json!({"groupVersion":format!("{name}/v1"),"version":"v1"});
    json!({"name":name,"versions":[gv],"preferredVersion":gv})
}

/// The discovery document served at `path`, if any.
pub fn document(path: &str) -> Option<Value> {
    match path.trim_end_matches('/') {
        "/version" => Some(
            json!({"major":"1","minor":"33","gitVersion":"v1.33.1-opsdeck-sim",
            "gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean",
            "buildDate":"2025-05-15T00:00:00Z","goVersion":"go1.24.2","compiler":"gc",
            "platform":"linux/amd64"}),
        ),
        "/api" => Some(json!({"kind":"APIVersions","versions":["v1"],
            "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:443"}]})),
        "/apis" => Some(json!({"kind":"APIGroupList","apiVersion":"v1","groups":[
            group("apps"), group("authorization.k8s.io")]})),
        "/api/v1" => Some(core_v1()),
        "/apis/apps/v1" => Some(apps_v1()),
        "/apis/authorization.k8s.io/v1" => Some(authorization_v1()),
        "/apis/apps" => Some(group("apps")),
        "/apis/authorization.k8s.io" => Some(group("authorization.k8s.io")),
        "/healthz" | "/readyz" | "/livez" => Some(json!("ok")),
        _ => None,
    }
}
