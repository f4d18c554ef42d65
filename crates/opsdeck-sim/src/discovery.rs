//! Legacy discovery documents (`/version`, `/api`, `/apis`, group versions). Aggregated
//! discovery requests get these plain documents, which makes clients fall back to legacy
//! discovery.

use serde_json::{Value, json};

const READ: &[&str] = &["get", "list", "watch"];
const POD_VERBS: &[&str] = &["delete", "get", "list", "watch"];
const DEPLOY_VERBS: &[&str] = &["get", "list", "patch", "update", "watch"];
const SET_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

fn res(name: &str, kind: &str, namespaced: bool, verbs: &[&str], short: &[&str]) -> Value {
    let singular = kind.to_lowercase();
    let mut r = json!({"name":name,"singularName":singular,"namespaced":namespaced,"kind":kind,
        "verbs":verbs});
    if !short.is_empty() {
        r["shortNames"] = json!(short);
    }
    if matches!(
        name,
        "pods" | "deployments" | "replicasets" | "services" | "statefulsets" | "daemonsets"
    ) {
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

fn scale(owner: &str) -> Value {
    let mut scale = sub(
        &format!("{owner}/scale"),
        "Scale",
        &["get", "patch", "update"],
    );
    scale["group"] = json!("autoscaling");
    scale["version"] = json!("v1");
    scale
}

fn apps_v1() -> Value {
    json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[
        res("deployments", "Deployment", true, DEPLOY_VERBS, &["deploy"]),
        scale("deployments"),
        sub("deployments/status", "Deployment", &["get"]),
        res("replicasets", "ReplicaSet", true, READ, &["rs"]),
        res("statefulsets", "StatefulSet", true, SET_VERBS, &["sts"]),
        scale("statefulsets"),
        sub("statefulsets/status", "StatefulSet", &["get"]),
        res("daemonsets", "DaemonSet", true, SET_VERBS, &["ds"]),
        sub("daemonsets/status", "DaemonSet", &["get"]),
        res("controllerrevisions", "ControllerRevision", true, POD_VERBS, &[]),
    ]})
}

fn metrics_v1beta1() -> Value {
    json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1",
        "resources":[res("nodes", "NodeMetrics", false, &["get", "list"], &[]),
            res("pods", "PodMetrics", true, &["get", "list"], &[])]})
}

fn authorization_v1() -> Value {
    json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"authorization.k8s.io/v1",
        "resources":[{"name":"selfsubjectaccessreviews","singularName":"selfsubjectaccessreview",
            "namespaced":false,"kind":"SelfSubjectAccessReview","verbs":["create"]}]})
}

fn group(name: &str) -> Value {
    let version = if name == "metrics.k8s.io" {
        "v1beta1"
    } else {
        "v1"
    };
    let gv = json!({"groupVersion":format!("{name}/{version}"),"version":version});
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
            group("apps"), group("authorization.k8s.io"), group("metrics.k8s.io")]})),
        "/api/v1" => Some(core_v1()),
        "/apis/apps/v1" => Some(apps_v1()),
        "/apis/authorization.k8s.io/v1" => Some(authorization_v1()),
        "/apis/apps" => Some(group("apps")),
        "/apis/authorization.k8s.io" => Some(group("authorization.k8s.io")),
        "/apis/metrics.k8s.io/v1beta1" => Some(metrics_v1beta1()),
        "/apis/metrics.k8s.io" => Some(group("metrics.k8s.io")),
        "/healthz" | "/readyz" | "/livez" => Some(json!("ok")),
        _ => None,
    }
}
