//! Deployment and ReplicaSet controllers: rolling updates, revisions, status and conditions.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::kubelet;
use super::objects::{self, HASH_LABEL, REVISION};
use super::server::Ctx;
use super::store::{Event, Key, Kind, Obj};

/// Pods created per ReplicaSet per tick.
const BURST: i64 = 200;

/// Runs both controllers until shutdown.
pub async fn run(ctx: Arc<Ctx>) {
    let owner = |ev: &Event| owner_key(ev.kind, &ev.obj);
    let reconcile = |ctx: &Ctx, key: &Key| reconcile(ctx, &key.0, &key.1);
    drive(ctx, all_deployments, owner, reconcile).await;
}

/// A controller's loop: `owner_of` maps each store event to the key it makes dirty, and every
/// 300 ms `reconcile` runs for the dirty keys (those it returns true for stay dirty); `all`
/// gives every key, at start and after missed events.
pub async fn drive<K: Ord>(
    ctx: Arc<Ctx>,
    all: impl Fn(&Ctx) -> BTreeSet<K>,
    owner_of: impl Fn(&Event) -> Option<K>,
    reconcile: impl Fn(&Ctx, &K) -> bool,
) {
    let mut rx = ctx.store.events();
    let mut stopped = ctx.stopped.subscribe();
    let mut dirty = all(&ctx);
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if let Some(k) = owner_of(&ev) {
                        dirty.insert(k);
                    }
                }
                Err(RecvError::Lagged(_)) => dirty = all(&ctx),
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                for key in std::mem::take(&mut dirty) {
                    if reconcile(&ctx, &key) {
                        dirty.insert(key);
                    }
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

fn all_deployments(ctx: &Ctx) -> BTreeSet<Key> {
    let (objs, _, _) = ctx
        .store
        .list(Kind::Deployment, None, None, usize::MAX, &|_| true);
    objs.iter()
        .map(|o| (o.ns.clone(), o.name.clone()))
        .collect()
}

fn owner_key(kind: Kind, obj: &Obj) -> Option<Key> {
    match kind {
        Kind::Deployment => Some((obj.ns.clone(), obj.name.clone())),
        Kind::Pod | Kind::ReplicaSet => obj.label("app").map(|a| (obj.ns.clone(), a.to_string())),
        _ => None,
    }
}

/// One ReplicaSet with its pod counts.
struct Rs {
    obj: Arc<Obj>,
    v: Value,
    revision: u64,
    active: Vec<Arc<Obj>>,
    ready: i64,
    /// `status.readyReplicas` as last written (progress detection).
    prev_ready: i64,
}

impl Rs {
    fn replicas(&self) -> i64 {
        self.v["spec"]["replicas"].as_i64().unwrap_or(0)
    }
    fn set_replicas(&mut self, n: i64) {
        self.v["spec"]["replicas"] = json!(n.max(0));
    }
    fn name(&self) -> &str {
        &self.obj.name
    }
}

fn load_rs(ctx: &Ctx, ns: &str, name: &str, uid: &Value) -> Vec<Rs> {
    let mut out: Vec<Rs> = ctx
        .store
        .with_prefix(Kind::ReplicaSet, ns, &format!("{name}-"))
        .into_iter()
        .filter_map(|obj| {
            let v = obj.value();
            let owned = v["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|o| o.iter().any(|r| r["uid"] == *uid));
            owned.then(|| {
                let revision = v["metadata"]["annotations"][REVISION]
                    .as_str()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0);
                let active: Vec<Arc<Obj>> = ctx
                    .store
                    .with_prefix(Kind::Pod, ns, &format!("{}-", obj.name))
                    .into_iter()
                    .filter(|p| !p.terminating && p.label(HASH_LABEL) == obj.label(HASH_LABEL))
                    .collect();
                let ready = active.iter().filter(|p| p.ready).count() as i64;
                let prev_ready = v["status"]["readyReplicas"].as_i64().unwrap_or(0);
                Rs {
                    obj,
                    v,
                    revision,
                    active,
                    ready,
                    prev_ready,
                }
            })
        })
        .collect();
    out.sort_by_key(|r| r.revision);
    out
}

pub(super) fn int_or_percent(v: &Value, total: i64, round_up: bool) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(25);
            let x = total * pct;
            if round_up { (x + 99) / 100 } else { x / 100 }
        }
        _ => 0,
    }
}

/// Reconciles one deployment; true when it should be looked at again next tick.
fn reconcile(ctx: &Ctx, ns: &str, name: &str) -> bool {
    let Some(dobj) = ctx.store.get(Kind::Deployment, ns, name) else {
        return false;
    };
    let mut d = dobj.value();
    let uid = d["metadata"]["uid"].clone();
    let mut rss = load_rs(ctx, ns, name, &uid);
    let paused = d["spec"]["paused"].as_bool().unwrap_or(false);
    let want = objects::canonical_template(&d["spec"]["template"]);
    let max_rev = rss.iter().map(|r| r.revision).max().unwrap_or(0);
    let mut new_idx = rss
        .iter()
        .position(|r| objects::canonical_template(&r.v["spec"]["template"]) == want);
    if new_idx.is_none() && !paused {
        new_idx = create_rs(ctx, &d, max_rev + 1, &rss).map(|rs| {
            rss.push(rs);
            rss.len() - 1
        });
    }
    let Some(new_idx) = new_idx else {
        return true;
    };
    if rss[new_idx].revision < max_rev && !paused {
        rss[new_idx].revision = max_rev + 1;
        rss[new_idx].v["metadata"]["annotations"][REVISION] = json!((max_rev + 1).to_string());
    }
    let desired = d["spec"]["replicas"].as_i64().unwrap_or(1);
    if !paused {
        scale(ctx, &d, &mut rss, new_idx, desired);
    }
    for rs in &mut rss {
        sync_rs(ctx, rs);
    }
    let complete = update_status(ctx, &dobj, &mut d, &rss, new_idx, desired, paused);
    if complete {
        let limit = d["spec"]["revisionHistoryLimit"].as_u64().unwrap_or(10) as usize;
        prune_history(ctx, &rss, new_idx, limit);
    }
    !complete
}

/// Deletes the oldest scaled-down ReplicaSets beyond `revisionHistoryLimit`.
fn prune_history(ctx: &Ctx, rss: &[Rs], new_idx: usize, limit: usize) {
    let old: Vec<&Rs> = rss
        .iter()
        .enumerate()
        .filter(|(i, r)| *i != new_idx && r.replicas() == 0 && r.active.is_empty())
        .map(|(_, r)| r)
        .collect();
    for rs in old.iter().take(old.len().saturating_sub(limit)) {
        ctx.store.delete(Kind::ReplicaSet, &rs.obj.ns, &rs.obj.name);
    }
}

fn create_rs(ctx: &Ctx, d: &Value, revision: u64, existing: &[Rs]) -> Option<Rs> {
    let hash = objects::template_hash(&d["spec"]["template"]);
    let uid = objects::uid(&mut *ctx.rng.lock());
    let only = existing.iter().all(|r| r.replicas() == 0);
    let start = if only {
        d["spec"]["replicas"].as_i64().unwrap_or(1)
    } else {
        0
    };
    let rs = objects::replicaset(d, &hash, revision, start, &uid, &objects::now());
    let obj = ctx
        .store
        .put(Kind::ReplicaSet, rs.clone(), None, true)
        .ok()?;
    if start > 0 {
        let msg = format!("Scaled up replica set {} from 0 to {start}", obj.name);
        kubelet::record_event(
            ctx,
            d,
            "Normal",
            "ScalingReplicaSet",
            &msg,
            "deployment-controller",
        );
    }
    Some(Rs {
        v: obj.value(),
        obj,
        revision,
        active: Vec::new(),
        ready: 0,
        prev_ready: 0,
    })
}

fn scale(ctx: &Ctx, d: &Value, rss: &mut [Rs], new_idx: usize, desired: i64) {
    let strategy = &d["spec"]["strategy"];
    let (surge, unavail) = if strategy["type"] == "Recreate" {
        (0, desired)
    } else {
        let ru = &strategy["rollingUpdate"];
        let s = int_or_percent(&ru["maxSurge"], desired, true);
        let u = int_or_percent(&ru["maxUnavailable"], desired, false);
        if s == 0 && u == 0 { (0, 1) } else { (s, u) }
    };
    let before: Vec<i64> = rss.iter().map(Rs::replicas).collect();
    let olds_empty = rss
        .iter()
        .enumerate()
        .all(|(i, r)| i == new_idx || r.replicas() == 0);
    if olds_empty || rss[new_idx].replicas() > desired {
        rss[new_idx].set_replicas(desired);
    } else {
        let total: i64 = rss.iter().map(Rs::replicas).sum();
        let room = (desired + surge - total).min(desired - rss[new_idx].replicas());
        if room > 0 {
            let n = rss[new_idx].replicas() + room;
            rss[new_idx].set_replicas(n);
        }
        scale_down_old(rss, new_idx, desired - unavail);
    }
    for (rs, old) in rss.iter().zip(before) {
        let now = rs.replicas();
        if now != old {
            let dir = if now > old { "up" } else { "down" };
            let msg = format!("Scaled {dir} replica set {} from {old} to {now}", rs.name());
            kubelet::record_event(
                ctx,
                d,
                "Normal",
                "ScalingReplicaSet",
                &msg,
                "deployment-controller",
            );
        }
    }
}

/// Scales old ReplicaSets down like the real controller: unhealthy pods first, but never below
/// `min_available` counting the new ReplicaSet's unavailable pods, then healthy ones while the
/// available total stays above `min_available`.
fn scale_down_old(rss: &mut [Rs], new_idx: usize, min_available: i64) {
    let total: i64 = rss.iter().map(Rs::replicas).sum();
    let new_unavailable = (rss[new_idx].replicas() - rss[new_idx].ready).max(0);
    let mut cleanup = total - min_available - new_unavailable;
    for (i, rs) in rss.iter_mut().enumerate() {
        if i == new_idx || cleanup <= 0 {
            continue;
        }
        let cut = (rs.replicas() - rs.ready).clamp(0, cleanup);
        cleanup -= cut;
        let n = rs.replicas() - cut;
        rs.set_replicas(n);
    }
    let available: i64 = rss.iter().map(|r| r.ready.min(r.replicas())).sum();
    let mut budget = available - min_available;
    for (i, rs) in rss.iter_mut().enumerate() {
        if i == new_idx || budget <= 0 {
            continue;
        }
        let cut = budget.min(rs.replicas());
        budget -= cut;
        let n = rs.replicas() - cut;
        rs.set_replicas(n);
    }
}

/// Creates or deletes pods toward the RS's replicas and writes its status when changed.
fn sync_rs(ctx: &Ctx, rs: &mut Rs) {
    let want = rs.replicas();
    let have = rs.active.len() as i64;
    if have < want {
        for _ in 0..(want - have).min(BURST) {
            if let Some(p) = kubelet::spawn_pod(ctx, &rs.v) {
                rs.active.push(p);
            }
        }
    } else if have > want {
        let mut victims = rs.active.clone();
        victims.sort_by_key(|p| (p.ready, std::cmp::Reverse(p.rv)));
        for p in victims.iter().take((have - want) as usize) {
            kubelet::delete_pod(ctx, &p.ns, &p.name, None);
        }
        rs.active.retain(|p| {
            !victims
                .iter()
                .take((have - want) as usize)
                .any(|v| v.name == p.name)
        });
    }
    let active = rs.active.len() as i64;
    let ready = rs.active.iter().filter(|p| p.ready).count() as i64;
    rs.ready = ready;
    let generation = rs.v["metadata"]["generation"].clone();
    let status = json!({"replicas":active,"fullyLabeledReplicas":active,"readyReplicas":ready,
        "availableReplicas":ready,"observedGeneration":generation});
    let old = rs.obj.value();
    rs.v["status"] = status;
    if old != rs.v {
        match ctx
            .store
            .put(Kind::ReplicaSet, rs.v.clone(), Some(rs.obj.rv), false)
        {
            Ok(o) => rs.obj = o,
            Err(e) => tracing::debug!(rs = rs.name(), error = %e, "replicaset update raced"),
        }
    }
}

fn condition(t: &str, status: &str, reason: &str, msg: &str, now: &str, old: &Value) -> Value {
    let transition = if old["status"] == status {
        old["lastTransitionTime"]
            .as_str()
            .unwrap_or(now)
            .to_string()
    } else {
        now.to_string()
    };
    json!({"type":t,"status":status,"reason":reason,"message":msg,"lastUpdateTime":now,
        "lastTransitionTime":transition})
}

/// Pod counts of a deployment's rollout.
struct Counts {
    desired: i64,
    replicas: i64,
    updated: i64,
    ready: i64,
    complete: bool,
    paused: bool,
}

/// The Progressing condition: paused, complete, progressing, or timed out after
/// `progressDeadlineSeconds` without progress.
fn progressing(d: &Value, old: &Value, new_rs: &Rs, c: &Counts, now: &str) -> Value {
    let cond = |status: &str, reason: &str, msg: &str| {
        condition("Progressing", status, reason, msg, now, old)
    };
    let old_status = &d["status"];
    // Progress as the real controller sees it: more updated pods, fewer old ones, or more ready
    // pods in the new ReplicaSet (readiness flapping in old pods is not progress).
    let old_updated = old_status["updatedReplicas"].as_i64().unwrap_or(-1);
    let old_old = old_status["replicas"].as_i64().unwrap_or(i64::MAX) - old_updated.max(0);
    let progressed = c.updated > old_updated
        || c.replicas - c.updated < old_old
        || new_rs.ready > new_rs.prev_ready;
    let rs_name = new_rs.name();
    let same_rs = old["message"]
        .as_str()
        .is_some_and(|m| m.contains(&format!("\"{rs_name}\"")));
    let deadline = d["spec"]["progressDeadlineSeconds"].as_i64().unwrap_or(600);
    let stale = old["lastUpdateTime"]
        .as_str()
        .and_then(objects::parse_ts)
        .is_some_and(|t| jiff::Timestamp::now().as_second() - t.as_second() > deadline);
    let done = format!("ReplicaSet \"{rs_name}\" has successfully progressed.");
    if c.paused {
        cond("Unknown", "DeploymentPaused", "Deployment is paused")
    } else if c.complete
        && old["reason"] == "NewReplicaSetAvailable"
        && old["message"] == done.as_str()
    {
        old.clone()
    } else if c.complete {
        cond("True", "NewReplicaSetAvailable", &done)
    } else if old["reason"] == "NewReplicaSetAvailable" && same_rs {
        // The rollout finished; pods flapping afterwards are not a rollout in progress.
        old.clone()
    } else if progressed || !same_rs {
        cond(
            "True",
            "ReplicaSetUpdated",
            &format!("ReplicaSet \"{rs_name}\" is progressing."),
        )
    } else if stale && old["reason"] != "ProgressDeadlineExceeded" {
        let msg = format!("ReplicaSet \"{rs_name}\" has timed out progressing.");
        cond("False", "ProgressDeadlineExceeded", &msg)
    } else {
        old.clone()
    }
}

/// The Available condition (kept as is while its status does not change).
fn available(old: &Value, c: &Counts, max_unavailable: i64, now: &str) -> Value {
    let (status, reason, msg) = if c.ready >= c.desired - max_unavailable {
        (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    if old["status"] == status {
        old.clone()
    } else {
        condition("Available", status, reason, msg, now, old)
    }
}

/// Writes the deployment status; true when the rollout is complete (or paused).
fn update_status(
    ctx: &Ctx,
    dobj: &Obj,
    d: &mut Value,
    rss: &[Rs],
    new_idx: usize,
    desired: i64,
    paused: bool,
) -> bool {
    let now = objects::now();
    let new_rs = &rss[new_idx];
    let replicas: i64 = rss.iter().map(|r| r.active.len() as i64).sum();
    let updated = new_rs.active.len() as i64;
    let ready: i64 = rss.iter().map(|r| r.ready).sum();
    let complete = updated == desired && replicas == desired && new_rs.ready >= desired;
    let c = Counts {
        desired,
        replicas,
        updated,
        ready,
        complete,
        paused,
    };
    let max_unavailable = int_or_percent(
        &d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        desired,
        false,
    );
    let find = |t: &str| -> Value {
        d["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == t).cloned())
            .unwrap_or(Value::Null)
    };
    let prog = progressing(d, &find("Progressing"), new_rs, &c, &now);
    let avail = available(&find("Available"), &c, max_unavailable, &now);
    let mut status = json!({"observedGeneration":d["metadata"]["generation"],"replicas":replicas,
        "updatedReplicas":updated,"readyReplicas":ready,"availableReplicas":ready,
        "conditions":[avail, prog]});
    if desired > ready {
        status["unavailableReplicas"] = json!(desired - ready);
    }
    d["status"] = status;
    d["metadata"]["annotations"][REVISION] = json!(new_rs.revision.to_string());
    if *d != dobj.value()
        && let Err(e) = ctx
            .store
            .put(Kind::Deployment, d.clone(), Some(dobj.rv), false)
    {
        tracing::debug!(error = %e, "deployment status update raced");
        return false;
    }
    complete || paused
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn rs(store: &Store, name: &str, replicas: i64, ready: i64) -> Rs {
        let v = json!({"metadata":{"name":name,"namespace":"n"},"spec":{"replicas":replicas}});
        let obj = store.put(Kind::ReplicaSet, v.clone(), None, true).unwrap();
        Rs {
            obj,
            v,
            revision: 1,
            active: Vec::new(),
            ready,
            prev_ready: 0,
        }
    }

    #[test]
    fn a_bad_new_replicaset_never_eats_the_old_one() {
        let store = Store::new(10);
        // desired 5, maxUnavailable 1: old RS 4 (one pod briefly unready), new RS 3 never ready.
        let mut rss = vec![rs(&store, "old", 4, 3), rs(&store, "new", 3, 0)];
        scale_down_old(&mut rss, 1, 4);
        assert_eq!(rss[0].replicas(), 4);
        // Once the new pods are ready, the old ones go.
        let mut rss = vec![rs(&store, "old2", 4, 4), rs(&store, "new2", 3, 3)];
        scale_down_old(&mut rss, 1, 4);
        assert_eq!(rss[0].replicas(), 1);
    }

    #[test]
    fn unhealthy_old_pods_are_cleaned_up_first() {
        let store = Store::new(10);
        // Undo: the healthy RS is new again; the bad one (3 unready) is old and goes at once.
        let mut rss = vec![rs(&store, "bad", 3, 0), rs(&store, "good", 4, 4)];
        scale_down_old(&mut rss, 1, 4);
        assert_eq!(rss[0].replicas(), 0);
    }
}
