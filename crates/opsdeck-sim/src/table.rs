//! Server-side `meta.k8s.io/v1` Table output with kubectl's columns.

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::objects;
use std::sync::Arc;

use super::store::{Kind, Obj};

/// What each row carries as `object`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Include {
    None,
    Metadata,
    Object,
}

/// Whether the client asked for a Table, and what to include in rows.
pub fn requested(headers: &HeaderMap, include: Option<&String>) -> Option<Include> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let first = accept.split(',').next().unwrap_or_default();
    if !first.contains("as=Table") {
        return None;
    }
    Some(match include.map(String::as_str) {
        Some("None") => Include::None,
        Some("Object") => Include::Object,
        _ => Include::Metadata,
    })
}

pub(super) fn col(name: &str, ty: &str, priority: u8) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name":name,"type":ty,"format":format,"description":name,"priority":priority})
}

/// The column definitions for a kind.
pub fn columns(kind: Kind) -> Value {
    let (s, i) = ("string", "integer");
    let cols: Vec<Value> = match kind {
        Kind::Pod => vec![
            col("Name", s, 0),
            col("Ready", s, 0),
            col("Status", s, 0),
            col("Restarts", s, 0),
            col("Age", s, 0),
            col("IP", s, 1),
            col("Node", s, 1),
        ],
        Kind::Deployment => vec![
            col("Name", s, 0),
            col("Ready", s, 0),
            col("Up-to-date", i, 0),
            col("Available", i, 0),
            col("Age", s, 0),
            col("Containers", s, 1),
            col("Images", s, 1),
            col("Selector", s, 1),
        ],
        Kind::ReplicaSet => vec![
            col("Name", s, 0),
            col("Desired", i, 0),
            col("Current", i, 0),
            col("Ready", i, 0),
            col("Age", s, 0),
            col("Containers", s, 1),
            col("Images", s, 1),
            col("Selector", s, 1),
        ],
        Kind::Namespace => vec![col("Name", s, 0), col("Status", s, 0), col("Age", s, 0)],
        Kind::Node => vec![
            col("Name", s, 0),
            col("Status", s, 0),
            col("Roles", s, 0),
            col("Age", s, 0),
            col("Version", s, 0),
            col("OS-Image", s, 1),
            col("Kernel-Version", s, 1),
        ],
        Kind::Event => vec![
            col("Last Seen", s, 0),
            col("Type", s, 0),
            col("Reason", s, 0),
            col("Object", s, 0),
            col("Message", s, 0),
        ],
        Kind::Service => vec![
            col("Name", s, 0),
            col("Type", s, 0),
            col("Cluster-IP", s, 0),
            col("External-IP", s, 0),
            col("Port(s)", s, 0),
            col("Age", s, 0),
        ],
        k @ (Kind::StatefulSet | Kind::DaemonSet | Kind::ControllerRevision) => {
            super::workloads::columns(k)
        }
    };
    Value::Array(cols)
}

/// A whole Table.
pub fn table(kind: Kind, objs: &[Value], rv: u64, cont: Option<&str>, include: Include) -> Value {
    let now = jiff::Timestamp::now();
    let rows: Vec<Value> = objs.iter().map(|o| row(kind, o, include, now)).collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    json!({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":meta,
        "columnDefinitions":columns(kind),"rows":rows})
}

/// A whole Table for a list, serialised row by row so only one object is parsed at a time.
pub fn table_bytes(
    kind: Kind,
    objs: &[Arc<Obj>],
    rv: u64,
    cont: Option<&str>,
    include: Include,
) -> Vec<u8> {
    let now = jiff::Timestamp::now();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    let head = json!({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":meta,
        "columnDefinitions":columns(kind)});
    let mut out = serde_json::to_vec(&head).unwrap_or_default();
    out.pop();
    out.extend_from_slice(b",\"rows\":[");
    for (i, o) in objs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let r = row(kind, &o.value(), include, now);
        if serde_json::to_writer(&mut out, &r).is_err() {
            out.extend_from_slice(b"null");
        }
    }
    out.extend_from_slice(b"]}");
    out
}

/// One row.
pub fn row(kind: Kind, o: &Value, include: Include, now: jiff::Timestamp) -> Value {
    let mut r = json!({"cells": cells(kind, o, now)});
    match include {
        Include::None => {}
        Include::Object => r["object"] = o.clone(),
        Include::Metadata => {
            r["object"] = json!({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                "metadata":o["metadata"]});
        }
    }
    r
}

/// kubectl's human duration (`45s`, `3m20s`, `5h`, `12d`).
pub fn human_age(secs: i64) -> String {
    let s = secs.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86_400);
    let with = |a: i64, ua: &str, b: i64, ub: &str| {
        if b == 0 {
            format!("{a}{ua}")
        } else {
            format!("{a}{ua}{b}{ub}")
        }
    };
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        with(m, "m", s % 60, "s")
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        with(h, "h", m % 60, "m")
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        with(d, "d", h % 24, "h")
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        with(d / 365, "y", d % 365, "d")
    }
}

fn age(v: &Value, now: jiff::Timestamp) -> String {
    v.as_str()
        .and_then(objects::parse_ts)
        .map(|t| human_age(now.as_second() - t.as_second()))
        .unwrap_or_else(|| "<unknown>".into())
}

fn cells(kind: Kind, o: &Value, now: jiff::Timestamp) -> Value {
    let name = &o["metadata"]["name"];
    let created = age(&o["metadata"]["creationTimestamp"], now);
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    match kind {
        Kind::Pod => pod_cells(o, now),
        Kind::Deployment => {
            let (st, sp) = (&o["status"], &o["spec"]);
            let (c, i) = containers(&sp["template"]["spec"]);
            json!([
                name,
                format!("{}/{}", int(&st["readyReplicas"]), int(&sp["replicas"])),
                int(&st["updatedReplicas"]),
                int(&st["availableReplicas"]),
                created,
                c,
                i,
                selector(&sp["selector"])
            ])
        }
        Kind::ReplicaSet => {
            let (st, sp) = (&o["status"], &o["spec"]);
            let (c, i) = containers(&sp["template"]["spec"]);
            json!([
                name,
                int(&sp["replicas"]),
                int(&st["replicas"]),
                int(&st["readyReplicas"]),
                created,
                c,
                i,
                selector(&sp["selector"])
            ])
        }
        Kind::Namespace => json!([name, o["status"]["phase"], created]),
        Kind::Node => {
            let roles: Vec<&str> = o["metadata"]["labels"]
                .as_object()
                .map(|l| {
                    l.keys()
                        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                        .collect()
                })
                .unwrap_or_default();
            let roles = if roles.is_empty() {
                "<none>".to_string()
            } else {
                roles.join(",")
            };
            let info = &o["status"]["nodeInfo"];
            json!([
                name,
                "Ready",
                roles,
                created,
                info["kubeletVersion"],
                info["osImage"],
                info["kernelVersion"]
            ])
        }
        Kind::Event => {
            let io = &o["involvedObject"];
            let obj = format!(
                "{}/{}",
                io["kind"].as_str().unwrap_or_default().to_lowercase(),
                io["name"].as_str().unwrap_or_default()
            );
            json!([
                age(&o["lastTimestamp"], now),
                o["type"],
                o["reason"],
                obj,
                o["message"]
            ])
        }
        Kind::Service => json!([
            name,
            o["spec"]["type"],
            o["spec"]["clusterIP"],
            "<none>",
            "80/TCP",
            created
        ]),
        k @ (Kind::StatefulSet | Kind::DaemonSet | Kind::ControllerRevision) => {
            super::workloads::cells(k, o, &created)
        }
    }
}

pub(super) fn containers(spec: &Value) -> (String, String) {
    let cs = spec["containers"].as_array().cloned().unwrap_or_default();
    let get = |k: &str| {
        cs.iter()
            .filter_map(|c| c[k].as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    (get("name"), get("image"))
}

pub(super) fn selector(sel: &Value) -> String {
    sel["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The STATUS column kubectl prints for a pod.
pub fn pod_status(o: &Value) -> String {
    let st = &o["status"];
    let mut reason = st["reason"]
        .as_str()
        .or(st["phase"].as_str())
        .unwrap_or("Unknown")
        .to_string();
    let mut has_running = false;
    for c in st["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
    {
        let s = &c["state"];
        if let Some(r) = s["waiting"]["reason"].as_str().filter(|r| !r.is_empty()) {
            reason = r.to_string();
        } else if let Some(r) = s["terminated"]["reason"].as_str().filter(|r| !r.is_empty()) {
            reason = r.to_string();
        } else if s["terminated"].is_object() {
            reason = format!("ExitCode:{}", s["terminated"]["exitCode"]);
        } else if s["running"].is_object() && c["ready"] == true {
            has_running = true;
        }
    }
    if reason == "Completed" && has_running {
        reason = "Running".into();
    }
    if !o["metadata"]["deletionTimestamp"].is_null() {
        reason = "Terminating".into();
    }
    reason
}

fn pod_cells(o: &Value, now: jiff::Timestamp) -> Value {
    let statuses = o["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = statuses.iter().filter(|c| c["ready"] == true).count();
    let restarts: i64 = statuses
        .iter()
        .map(|c| c["restartCount"].as_i64().unwrap_or(0))
        .sum();
    let last = statuses
        .iter()
        .filter_map(|c| c["lastState"]["terminated"]["finishedAt"].as_str())
        .filter_map(objects::parse_ts)
        .max();
    let restarts = match last {
        Some(t) if restarts > 0 => format!(
            "{restarts} ({} ago)",
            human_age(now.as_second() - t.as_second())
        ),
        _ => restarts.to_string(),
    };
    let ip = o["status"]["podIP"].as_str().unwrap_or("<none>");
    let node = o["spec"]["nodeName"].as_str().unwrap_or("<none>");
    json!([
        o["metadata"]["name"],
        format!("{ready}/{total}"),
        pod_status(o),
        restarts,
        age(&o["metadata"]["creationTimestamp"], now),
        ip,
        node
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_table_is_valid_json_with_kubectl_columns() {
        let store = crate::store::Store::new(10);
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n",
            "creationTimestamp":"2020-01-01T00:00:00Z","deletionTimestamp":"2020-01-01T00:00:00Z"},
            "spec":{"containers":[{"name":"c"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"c","ready":false,"restartCount":2,
                "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}});
        let obj = store.put(Kind::Pod, pod, None, true).unwrap();
        let bytes = table_bytes(Kind::Pod, &[obj], 7, Some("tok"), Include::Metadata);
        let t: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(t["metadata"]["continue"], "tok");
        assert_eq!(t["columnDefinitions"][2]["name"], "Status");
        let cells = &t["rows"][0]["cells"];
        assert_eq!(cells[1], "0/1");
        assert_eq!(cells[2], "Terminating");
        assert_eq!(cells[3], "2");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn ages_like_kubectl() {
        assert_eq!(human_age(45), "45s");
        assert_eq!(human_age(200), "3m20s");
        assert_eq!(human_age(3600 * 5), "5h");
        assert_eq!(human_age(86_400 * 12), "12d");
        assert_eq!(human_age(86_400 * 3 + 3600), "3d1h");
    }
}
