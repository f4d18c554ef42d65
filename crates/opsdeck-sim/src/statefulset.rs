//! The StatefulSet controller, after kube's `StatefulSetControl`: pods `<set>-<ordinal>` with
//! stable names; `OrderedReady` creates them one at a time in order, each waiting for its
//! predecessors to be running and ready (`Parallel` does not wait); scale-down removes the
//! highest ordinal first. A `RollingUpdate` replaces pods from the highest ordinal down to
//! `partition`, one at a time, each waiting for the replaced pod to be ready; `OnDelete` only
//! gives a pod the new revision when it is deleted. Like kube, an `OrderedReady` set whose
//! updated pod never becomes ready stays stuck even after its template is rolled back, until
//! that pod is deleted ("forced rollback"); a `Parallel` set replaces it by itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::revisions::{self, Flavor, History, POD_HASH_LABEL, Rev};
use super::server::Ctx;
use super::store::{Kind, Obj};
use super::workloads;

/// Pod label with the pod's own name.
const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// Pod label with the pod's ordinal.
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The parts of the spec the controller acts on.
struct Spec {
    replicas: i64,
    partition: i64,
    on_delete: bool,
    parallel: bool,
}

impl Spec {
    fn of(set: &Value) -> Spec {
        let s = &set["spec"];
        let strategy = &s["updateStrategy"];
        Spec {
            replicas: s["replicas"].as_i64().unwrap_or(1).max(0),
            partition: strategy["rollingUpdate"]["partition"]
                .as_i64()
                .unwrap_or(0)
                .max(0),
            on_delete: strategy["type"] == "OnDelete",
            parallel: s["podManagementPolicy"] == "Parallel",
        }
    }
}

/// A new StatefulSet (status filled in by the controller or the scenario).
pub fn statefulset(ns: &str, name: &str, uid: &str, replicas: i64, template: Value) -> Value {
    json!({"apiVersion":"apps/v1","kind":"StatefulSet",
        "metadata":{"name":name,"namespace":ns,"uid":uid,"generation":1,
            "labels":{"app":name},"annotations":{}},
        "spec":{"replicas":replicas,"selector":{"matchLabels":{"app":name}},"serviceName":name,
            "template":template,"podManagementPolicy":"OrderedReady",
            "updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}},
            "revisionHistoryLimit":10,
            "persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain","whenScaled":"Retain"}},
        "status":{}})
}

/// Reconciles one StatefulSet; true when it should be looked at again next tick.
pub fn reconcile(ctx: &Ctx, ns: &str, name: &str) -> bool {
    let Some(obj) = ctx.store.get(Kind::StatefulSet, ns, name) else {
        return false;
    };
    let set = obj.value();
    let Some(history) = revisions::sync(ctx, Flavor::StatefulSet, &set) else {
        return true;
    };
    let update = history.update().name.clone();
    let current = set["status"]["currentRevision"]
        .as_str()
        .filter(|c| history.find(c).is_some())
        .unwrap_or(&update)
        .to_string();
    let spec = Spec::of(&set);
    let revs = Revs {
        history: &history,
        current: &current,
        update: &update,
    };
    step(ctx, &set, &spec, &pods_by_ordinal(ctx, &set), &revs);
    let pods = pods_by_ordinal(ctx, &set);
    let status = status(&set, &spec, &pods, &current, &update);
    let live: Vec<&str> = pods
        .values()
        .filter_map(|p| p.label(POD_HASH_LABEL))
        .chain([status["currentRevision"].as_str().unwrap_or_default()])
        .collect();
    let limit = set["spec"]["revisionHistoryLimit"].as_u64().unwrap_or(10) as usize;
    revisions::prune(ctx, &history, &live, limit);
    workloads::write_status(ctx, Kind::StatefulSet, &obj, set, status)
}

/// The current and update revisions of a reconcile.
struct Revs<'a> {
    history: &'a History,
    current: &'a str,
    update: &'a str,
}

/// The set's pods by ordinal (terminating ones included: they still hold their name).
fn pods_by_ordinal(ctx: &Ctx, set: &Value) -> BTreeMap<i64, Arc<Obj>> {
    let name = set["metadata"]["name"].as_str().unwrap_or_default();
    workloads::owned_pods(ctx, set)
        .into_iter()
        .filter_map(|p| {
            let ord = p.name.strip_prefix(name)?.strip_prefix('-')?.parse().ok()?;
            Some((ord, p))
        })
        .collect()
}

/// One pass of kube's update loop: create, replace failed, scale down, roll.
fn step(ctx: &Ctx, set: &Value, spec: &Spec, pods: &BTreeMap<i64, Arc<Obj>>, revs: &Revs) {
    let monotonic = !spec.parallel;
    for ord in 0..spec.replicas {
        match pods.get(&ord) {
            None => {
                let rev = if !spec.on_delete && ord < spec.partition {
                    revs.current
                } else {
                    revs.update
                };
                if let Some(rev) = revs.history.find(rev) {
                    create_pod(ctx, set, ord, rev);
                }
                if monotonic {
                    return;
                }
            }
            Some(p) if p.field("status.phase") == Some("Failed") && !p.terminating => {
                workloads::delete_pod(ctx, set, p);
                if monotonic {
                    return;
                }
            }
            Some(p) if (p.terminating || !p.ready) && monotonic => return,
            Some(_) => {}
        }
    }
    for (_, p) in pods.range(spec.replicas..).rev() {
        if !p.terminating {
            workloads::delete_pod(ctx, set, p);
        }
        if monotonic {
            return;
        }
    }
    if spec.on_delete {
        return;
    }
    for ord in (spec.partition..spec.replicas).rev() {
        let Some(p) = pods.get(&ord) else {
            return;
        };
        if p.label(POD_HASH_LABEL) != Some(revs.update) && !p.terminating {
            workloads::delete_pod(ctx, set, p);
            return;
        }
        if p.terminating || !p.ready {
            return;
        }
    }
}

fn create_pod(ctx: &Ctx, set: &Value, ord: i64, rev: &Rev) {
    let pod = pod(ctx, set, ord, &rev.name, &rev.template());
    workloads::launch(ctx, set, pod);
}

/// Pod `ord` of `set` at revision `rev_name` with `template`.
pub fn pod(ctx: &Ctx, set: &Value, ord: i64, rev_name: &str, template: &Value) -> Value {
    let name = format!(
        "{}-{ord}",
        set["metadata"]["name"].as_str().unwrap_or_default()
    );
    let labels = [
        (POD_HASH_LABEL, rev_name.to_string()),
        (POD_NAME_LABEL, name.clone()),
        (POD_INDEX_LABEL, ord.to_string()),
    ];
    let node = workloads::random_node(ctx);
    let mut pod = workloads::new_pod(ctx, set, template, &name, &node, &labels);
    if let Some(m) = pod["metadata"].as_object_mut() {
        m.remove("generateName");
    }
    pod["spec"]["hostname"] = json!(name);
    if let Some(svc) = set["spec"]["serviceName"].as_str() {
        pod["spec"]["subdomain"] = json!(svc);
    }
    pod
}

/// The status kube's controller would write for these pods.
fn status(
    set: &Value,
    spec: &Spec,
    pods: &BTreeMap<i64, Arc<Obj>>,
    current: &str,
    update: &str,
) -> Value {
    let (mut replicas, mut ready, mut at_current, mut at_update) = (0, 0, 0, 0);
    for p in pods.values() {
        replicas += 1;
        if p.terminating {
            continue;
        }
        ready += i64::from(p.ready);
        at_current += i64::from(p.label(POD_HASH_LABEL) == Some(current));
        at_update += i64::from(p.label(POD_HASH_LABEL) == Some(update));
    }
    let mut current = current;
    if !spec.on_delete && at_update == replicas && ready == replicas {
        current = update;
        at_current = at_update;
    }
    json!({"observedGeneration":set["metadata"]["generation"],"replicas":replicas,
        "readyReplicas":ready,"availableReplicas":ready,"currentReplicas":at_current,
        "updatedReplicas":at_update,"currentRevision":current,"updateRevision":update,
        "collisionCount":0})
}

/// The status of a set populated with `pods` all at `revision` (scenario set-up).
pub fn settled_status(set: &Value, pods: &[Arc<Obj>], revision: &str) -> Value {
    let by_ord = pods
        .iter()
        .enumerate()
        .map(|(i, p)| (i as i64, p.clone()))
        .collect();
    status(set, &Spec::of(set), &by_ord, revision, revision)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn pod(store: &Store, name: &str, rev: &str, ready: bool) -> Arc<Obj> {
        let cond = if ready { "True" } else { "False" };
        let v = json!({"metadata":{"name":name,"namespace":"n","labels":{POD_HASH_LABEL:rev}},
            "status":{"conditions":[{"type":"Ready","status":cond}]}});
        store.put(Kind::Pod, v, None, true).unwrap()
    }

    #[test]
    fn status_completes_the_rollout_only_when_every_pod_is_updated_and_ready() {
        let store = Store::new(10);
        let set = statefulset("n", "db", "u", 2, json!({}));
        let spec = Spec::of(&set);
        let mut pods = BTreeMap::new();
        pods.insert(0, pod(&store, "db-0", "db-old", true));
        pods.insert(1, pod(&store, "db-1", "db-new", false));
        let st = status(&set, &spec, &pods, "db-old", "db-new");
        assert_eq!(st["currentRevision"], "db-old");
        assert_eq!(
            (
                &st["currentReplicas"],
                &st["updatedReplicas"],
                &st["readyReplicas"]
            ),
            (&json!(1), &json!(1), &json!(1))
        );
        pods.insert(0, pod(&store, "db-0b", "db-new", true));
        pods.insert(1, pod(&store, "db-1b", "db-new", true));
        let st = status(&set, &spec, &pods, "db-old", "db-new");
        assert_eq!(st["currentRevision"], "db-new");
        assert_eq!(st["currentReplicas"], 2);
    }
}
