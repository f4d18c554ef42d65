//! The DaemonSet controller, after kube's: one pod per node (created when a node has none that
//! is not terminating, extras deleted); a `RollingUpdate` deletes old pods that are not ready
//! at once and ready ones while no more than `maxUnavailable` nodes lack a ready pod, and the
//! node then gets a pod of the new revision; `OnDelete` leaves old pods until they are deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::controller::int_or_percent;
use super::revisions::{self, Flavor, POD_HASH_LABEL, Rev};
use super::server::Ctx;
use super::store::{Kind, Obj};
use super::workloads;

/// Pod label with the DaemonSet's template generation.
const GENERATION_LABEL: &str = "pod-template-generation";
/// DaemonSet annotation with its template generation.
pub const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

/// A new DaemonSet (status filled in by the controller or the scenario).
pub fn daemonset(ns: &str, name: &str, uid: &str, template: Value) -> Value {
    json!({"apiVersion":"apps/v1","kind":"DaemonSet",
        "metadata":{"name":name,"namespace":ns,"uid":uid,"generation":1,
            "labels":{"app":name},"annotations":{TEMPLATE_GENERATION:"1"}},
        "spec":{"selector":{"matchLabels":{"app":name}},"template":template,
            "updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}},
            "revisionHistoryLimit":10},
        "status":{}})
}

/// Reconciles one DaemonSet; true when it should be looked at again next tick.
pub fn reconcile(ctx: &Ctx, ns: &str, name: &str) -> bool {
    let Some(obj) = ctx.store.get(Kind::DaemonSet, ns, name) else {
        return false;
    };
    let ds = obj.value();
    let Some(history) = revisions::sync(ctx, Flavor::DaemonSet, &ds) else {
        return true;
    };
    let nodes = ctx.nodes.lock().clone();
    let update = history.update();
    let pods = by_node(ctx, &ds);
    manage(ctx, &ds, &nodes, &pods, update);
    if ds["spec"]["updateStrategy"]["type"] != "OnDelete" {
        roll(ctx, &ds, &nodes, &pods, &update.hash);
    }
    let pods = by_node(ctx, &ds);
    let live: Vec<String> = pods
        .values()
        .flatten()
        .filter_map(|p| p.label(POD_HASH_LABEL))
        .filter_map(|h| history.revs.iter().find(|r| r.hash == h))
        .map(|r| r.name.clone())
        .collect();
    let live: Vec<&str> = live.iter().map(String::as_str).collect();
    let limit = ds["spec"]["revisionHistoryLimit"].as_u64().unwrap_or(10) as usize;
    revisions::prune(ctx, &history, &live, limit);
    let status = status(&ds, &nodes, &pods, &update.hash);
    workloads::write_status(ctx, Kind::DaemonSet, &obj, ds, status)
}

/// The DaemonSet's pods by node, oldest first.
fn by_node(ctx: &Ctx, ds: &Value) -> BTreeMap<String, Vec<Arc<Obj>>> {
    group(&workloads::owned_pods(ctx, ds))
}

fn live(pods: Option<&Vec<Arc<Obj>>>) -> Vec<&Arc<Obj>> {
    pods.into_iter()
        .flatten()
        .filter(|p| !p.terminating)
        .collect()
}

/// One pod on every node: creates missing ones, deletes extras and pods on unknown nodes.
fn manage(
    ctx: &Ctx,
    ds: &Value,
    nodes: &[String],
    pods: &BTreeMap<String, Vec<Arc<Obj>>>,
    update: &Rev,
) {
    for node in nodes {
        let live = live(pods.get(node));
        match live.as_slice() {
            [] => create_pod(ctx, ds, node, update),
            [_] => {}
            [first, ..] => {
                // Keep the newest pod of the update revision if there is one.
                let keep = live
                    .iter()
                    .rev()
                    .find(|p| p.label(POD_HASH_LABEL) == Some(update.hash.as_str()))
                    .unwrap_or(first);
                for p in live.iter().filter(|p| p.name != keep.name) {
                    workloads::delete_pod(ctx, ds, p);
                }
            }
        }
    }
    for (node, ps) in pods {
        if !nodes.contains(node) {
            for p in live(Some(ps)) {
                workloads::delete_pod(ctx, ds, p);
            }
        }
    }
}

/// Deletes old pods within the `maxUnavailable` budget (unready ones are free).
fn roll(
    ctx: &Ctx,
    ds: &Value,
    nodes: &[String],
    pods: &BTreeMap<String, Vec<Arc<Obj>>>,
    hash: &str,
) {
    let ru = &ds["spec"]["updateStrategy"]["rollingUpdate"];
    let desired = nodes.len() as i64;
    // Surge is not simulated: a surge budget is spent as an unavailability budget instead.
    let max = match int_or_percent(&ru["maxUnavailable"], desired, true) {
        0 => int_or_percent(&ru["maxSurge"], desired, true).max(1),
        n => n,
    };
    let mut unavailable = nodes
        .iter()
        .filter(|n| !live(pods.get(*n)).iter().any(|p| p.ready))
        .count() as i64;
    for node in nodes {
        let Some(p) = live(pods.get(node)).into_iter().next() else {
            continue;
        };
        if p.label(POD_HASH_LABEL) == Some(hash) {
            continue;
        }
        if !p.ready {
            workloads::delete_pod(ctx, ds, p);
        } else if unavailable < max {
            workloads::delete_pod(ctx, ds, p);
            unavailable += 1;
        }
    }
}

fn create_pod(ctx: &Ctx, ds: &Value, node: &str, rev: &Rev) {
    let pod = pod(ctx, ds, node, &rev.hash, &rev.template());
    workloads::launch(ctx, ds, pod);
}

/// A pod of `ds` for `node` at the revision with `hash` and `template`.
pub fn pod(ctx: &Ctx, ds: &Value, node: &str, hash: &str, template: &Value) -> Value {
    let ds_name = ds["metadata"]["name"].as_str().unwrap_or_default();
    let name = format!(
        "{ds_name}-{}",
        super::objects::suffix(&mut *ctx.rng.lock(), 5)
    );
    let generation = ds["metadata"]["generation"].as_i64().unwrap_or(1);
    let labels = [
        (POD_HASH_LABEL, hash.to_string()),
        (GENERATION_LABEL, generation.to_string()),
    ];
    let mut pod = workloads::new_pod(ctx, ds, template, &name, node, &labels);
    pod["spec"]["affinity"] = json!({"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
        {"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":[node]}]}]}}});
    pod
}

/// The status kube's controller would write for these pods.
pub fn status(
    ds: &Value,
    nodes: &[String],
    pods: &BTreeMap<String, Vec<Arc<Obj>>>,
    hash: &str,
) -> Value {
    let desired = nodes.len() as i64;
    let (mut scheduled, mut ready, mut updated) = (0, 0, 0);
    for node in nodes {
        let Some(ps) = pods.get(node).filter(|ps| !ps.is_empty()) else {
            continue;
        };
        scheduled += 1;
        let pod = ps.iter().find(|p| !p.terminating).unwrap_or(&ps[0]);
        ready += i64::from(pod.ready);
        updated += i64::from(pod.label(POD_HASH_LABEL) == Some(hash));
    }
    let mut st = json!({"observedGeneration":ds["metadata"]["generation"],
        "desiredNumberScheduled":desired,"currentNumberScheduled":scheduled,
        "numberMisscheduled":0,"numberReady":ready,"numberAvailable":ready,
        "updatedNumberScheduled":updated});
    if desired > ready {
        st["numberUnavailable"] = json!(desired - ready);
    }
    st
}

/// Pods of a DaemonSet grouped by node, oldest first.
pub fn group(pods: &[Arc<Obj>]) -> BTreeMap<String, Vec<Arc<Obj>>> {
    let mut out: BTreeMap<String, Vec<Arc<Obj>>> = BTreeMap::new();
    for p in pods {
        let node = p.field("spec.nodeName").unwrap_or_default().to_string();
        out.entry(node).or_default().push(p.clone());
    }
    for ps in out.values_mut() {
        ps.sort_by_key(|p| p.rv);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn status_counts_nodes_not_pods() {
        let store = Store::new(10);
        let pod = |name: &str, node: &str, hash: &str, ready: bool| {
            let cond = if ready { "True" } else { "False" };
            let v = json!({"metadata":{"name":name,"namespace":"n","labels":{POD_HASH_LABEL:hash}},
                "spec":{"nodeName":node},"status":{"conditions":[{"type":"Ready","status":cond}]}});
            store.put(Kind::Pod, v, None, true).unwrap()
        };
        let pods = group(&[
            pod("a", "n1", "new", true),
            pod("b", "n2", "old", true),
            pod("c", "n3", "new", false),
        ]);
        let nodes: Vec<String> = ["n1", "n2", "n3", "n4"].map(String::from).to_vec();
        let ds = daemonset("n", "agent", "u", json!({}));
        let st = status(&ds, &nodes, &pods, "new");
        assert_eq!(st["desiredNumberScheduled"], 4);
        assert_eq!(st["currentNumberScheduled"], 3);
        assert_eq!(st["numberReady"], 2);
        assert_eq!(st["updatedNumberScheduled"], 2);
        assert_eq!(st["numberUnavailable"], 2);
    }
}
