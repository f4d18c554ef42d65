//! Pod lifecycle: a timeline of due steps (start, ready, crash, removal), graceful deletion,
//! events, and the background churn.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rand::RngExt;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::objects::{self, Behavior, PodState};
use super::server::Ctx;
use super::store::{Key, Kind, Obj};

/// Events kept before the oldest are deleted.
const MAX_EVENTS: usize = 4_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Start,
    Ready,
    Crash,
    Remove,
}

type Due = Reverse<(Instant, u64, Step, String, String, String)>;

/// The pod timeline.
#[derive(Default)]
pub struct Kubelet {
    queue: Mutex<BinaryHeap<Due>>,
    seq: AtomicU64,
    wake: Notify,
    events: Mutex<VecDeque<Key>>,
}

impl Kubelet {
    fn schedule(&self, after: Duration, step: Step, ns: &str, name: &str, uid: &str) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let due = Instant::now() + after;
        self.queue.lock().push(Reverse((
            due,
            seq,
            step,
            ns.into(),
            name.into(),
            uid.into(),
        )));
        self.wake.notify_one();
    }

    fn pop_due(&self, now: Instant) -> (Vec<Due>, Option<Instant>) {
        let mut q = self.queue.lock();
        let mut out = Vec::new();
        while q.peek().is_some_and(|Reverse(d)| d.0 <= now) {
            if let Some(d) = q.pop() {
                out.push(d);
            }
        }
        let next = q.peek().map(|Reverse(d)| d.0);
        (out, next)
    }
}

/// Runs due steps until shutdown.
pub async fn run(ctx: Arc<Ctx>) {
    let mut stopped = ctx.stopped.subscribe();
    loop {
        let (due, next) = ctx.kubelet.pop_due(Instant::now());
        for Reverse((_, _, step, ns, name, uid)) in due {
            execute(&ctx, step, &ns, &name, &uid);
        }
        let next = next.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = ctx.kubelet.wake.notified() => {}
            _ = stopped.changed() => return,
        }
    }
}

fn jitter(ctx: &Ctx, base_ms: u64) -> Duration {
    let extra = ctx.rng.lock().random_range(0..=base_ms / 2);
    Duration::from_millis(base_ms + extra)
}

fn execute(ctx: &Ctx, step: Step, ns: &str, name: &str, uid: &str) {
    let Some(obj) = ctx.store.get(Kind::Pod, ns, name) else {
        return;
    };
    let pod = obj.value();
    if pod["metadata"]["uid"] != uid {
        return;
    }
    if step == Step::Remove {
        ctx.store.delete(Kind::Pod, ns, name);
        return;
    }
    if obj.terminating {
        return;
    }
    let behavior = objects::behavior_of(&pod);
    match (step, behavior) {
        (Step::Start, Behavior::ImagePull) => {
            set_state(ctx, ns, name, PodState::ImagePull);
            let msg = format!(
                "Back-off pulling image {}",
                pod["spec"]["containers"][0]["image"]
            );
            record_event(ctx, &pod, "Warning", "Failed", &msg, "kubelet");
        }
        (Step::Start, b) => {
            set_state(ctx, ns, name, PodState::Starting);
            let next = if b == Behavior::Healthy {
                Step::Ready
            } else {
                Step::Crash
            };
            ctx.kubelet
                .schedule(jitter(ctx, 1_500), next, ns, name, uid);
        }
        (Step::Ready, _) => {
            set_state(ctx, ns, name, PodState::Ready);
        }
        (Step::Crash, b) => {
            let st = if b == Behavior::Oom {
                PodState::Crashed("OOMKilled", 137)
            } else {
                PodState::Crashed("Error", 1)
            };
            set_state(ctx, ns, name, st);
            record_event(
                ctx,
                &pod,
                "Warning",
                "BackOff",
                "Back-off restarting failed container",
                "kubelet",
            );
            ctx.kubelet
                .schedule(jitter(ctx, 10_000), Step::Start, ns, name, uid);
        }
        (Step::Remove, _) => {}
    }
}

/// Rewrites a pod's status; false if it does not exist.
pub fn set_state(ctx: &Ctx, ns: &str, name: &str, st: PodState) -> bool {
    modify_pod(ctx, ns, name, |pod| {
        let ip = pod["status"]["podIP"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| ctx.next_ip());
        objects::set_pod_status(pod, st, &ip, &objects::now());
    })
    .is_some()
}

fn modify_pod(ctx: &Ctx, ns: &str, name: &str, f: impl Fn(&mut Value)) -> Option<Arc<Obj>> {
    for _ in 0..5 {
        let obj = ctx.store.get(Kind::Pod, ns, name)?;
        let mut pod = obj.value();
        f(&mut pod);
        if let Ok(o) = ctx.store.put(Kind::Pod, pod, Some(obj.rv), false) {
            return Some(o);
        }
    }
    None
}

/// Starts the containers of a crashed pod again after `after`.
pub fn schedule_restart(ctx: &Ctx, ns: &str, name: &str, after: Duration) {
    if let Some(obj) = ctx.store.get(Kind::Pod, ns, name) {
        let uid = obj.value()["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        ctx.kubelet.schedule(after, Step::Start, ns, name, &uid);
    }
}

/// Deletes a pod: immediately with grace 0, else Terminating first and removed shortly after.
pub fn delete_pod(ctx: &Ctx, ns: &str, name: &str, grace: Option<i64>) -> Option<Arc<Obj>> {
    let obj = ctx.store.get(Kind::Pod, ns, name)?;
    if grace == Some(0) {
        return ctx.store.delete(Kind::Pod, ns, name);
    }
    if obj.terminating {
        return Some(obj);
    }
    let pod = obj.value();
    let grace = grace
        .or_else(|| pod["spec"]["terminationGracePeriodSeconds"].as_i64())
        .unwrap_or(30);
    let when = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(grace);
    let updated = modify_pod(ctx, ns, name, |p| {
        p["metadata"]["deletionTimestamp"] = json!(objects::ts(when));
        p["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
    })?;
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    let msg = format!(
        "Stopping container {}",
        pod["spec"]["containers"][0]["name"]
            .as_str()
            .unwrap_or("app")
    );
    record_event(ctx, &pod, "Normal", "Killing", &msg, "kubelet");
    let after = Duration::from_millis((grace.clamp(0, 2) as u64) * 600 + 300);
    ctx.kubelet.schedule(after, Step::Remove, ns, name, uid);
    Some(updated)
}

/// Creates a pod for a ReplicaSet and schedules its start.
pub fn spawn_pod(ctx: &Ctx, rs: &Value) -> Option<Arc<Obj>> {
    let rs_name = rs["metadata"]["name"].as_str()?;
    let (name, uid, n) = {
        let mut rng = ctx.rng.lock();
        let n: usize = rng.random_range(0..10_000);
        (
            format!("{rs_name}-{}", objects::suffix(&mut *rng, 5)),
            objects::uid(&mut *rng),
            n,
        )
    };
    let node = ctx.pick_node(n);
    launch_pod(ctx, objects::pod(rs, &name, &node, &uid, &objects::now()))
}

/// Stores a new pod as Pending, records the scheduler's and kubelet's events and schedules the
/// start of its containers.
pub fn launch_pod(ctx: &Ctx, mut pod: Value) -> Option<Arc<Obj>> {
    objects::set_pod_status(&mut pod, PodState::Pending, "", &objects::now());
    let obj = ctx.store.put(Kind::Pod, pod.clone(), None, true).ok()?;
    let (ns, name, uid) = (
        obj.ns.clone(),
        obj.name.clone(),
        pod["metadata"]["uid"].clone(),
    );
    let uid = uid.as_str().unwrap_or_default();
    let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
    let msg = format!("Successfully assigned {ns}/{name} to {node}");
    record_event(ctx, &pod, "Normal", "Scheduled", &msg, "default-scheduler");
    let image = pod["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cname = pod["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if objects::behavior_of(&pod) != Behavior::ImagePull {
        let pulled = format!("Container image \"{image}\" already present on machine");
        record_event(ctx, &pod, "Normal", "Pulled", &pulled, "kubelet");
        record_event(
            ctx,
            &pod,
            "Normal",
            "Created",
            &format!("Created container: {cname}"),
            "kubelet",
        );
        record_event(
            ctx,
            &pod,
            "Normal",
            "Started",
            &format!("Started container {cname}"),
            "kubelet",
        );
    }
    ctx.kubelet
        .schedule(jitter(ctx, 500), Step::Start, &ns, &name, uid);
    Some(obj)
}

/// Schedules the next crash of a pod created already running (scenario set-up).
pub fn schedule_crash(ctx: &Ctx, ns: &str, name: &str, uid: &str) {
    ctx.kubelet
        .schedule(jitter(ctx, 4_000), Step::Crash, ns, name, uid);
}

/// Records a core/v1 Event about `involved` now, evicting the oldest past the cap.
pub fn record_event(
    ctx: &Ctx,
    involved: &Value,
    etype: &str,
    reason: &str,
    msg: &str,
    component: &str,
) {
    let what = (etype, reason, msg, component);
    record_event_at(ctx, involved, what, &objects::now());
}

/// Records an Event (type, reason, message, component) that happened at `when`.
pub fn record_event_at(ctx: &Ctx, involved: &Value, what: (&str, &str, &str, &str), when: &str) {
    let (etype, reason, msg, component) = what;
    let ns = involved["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let obj_name = involved["metadata"]["name"].as_str().unwrap_or_default();
    let id: u64 = ctx.rng.lock().random();
    let name = format!("{obj_name}.{id:016x}");
    let ev = objects::event(ns, &name, involved, etype, reason, msg, component, when);
    if ctx.store.put(Kind::Event, ev, None, true).is_err() {
        return;
    }
    let evicted = {
        let mut keys = ctx.kubelet.events.lock();
        keys.push_back((ns.to_string(), name));
        if keys.len() > MAX_EVENTS {
            keys.pop_front()
        } else {
            None
        }
    };
    if let Some((ns, name)) = evicted {
        ctx.store.delete(Kind::Event, &ns, &name);
    }
}

/// Applies `churn_per_sec` random pod status changes per second until shutdown.
pub async fn churn(ctx: Arc<Ctx>) {
    let rate = ctx.cfg.churn_per_sec;
    if rate <= 0.0 || !rate.is_finite() {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs_f64((1.0 / rate).max(0.001)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopped = ctx.stopped.subscribe();
    loop {
        tokio::select! {
            _ = tick.tick() => churn_once(&ctx),
            _ = stopped.changed() => return,
        }
    }
}

/// One random change to a random healthy pod.
pub fn churn_once(ctx: &Ctx) {
    let deploys = ctx.store.count(Kind::Deployment);
    if deploys == 0 {
        return;
    }
    let n = ctx.rng.lock().random_range(0..deploys);
    let Some((ns, dname)) = ctx.store.nth_key(Kind::Deployment, n) else {
        return;
    };
    let pods: Vec<_> = ctx
        .store
        .with_prefix(Kind::Pod, &ns, &format!("{dname}-"))
        .into_iter()
        .filter(|p| p.label("app") == Some(dname.as_str()) && p.ready && !p.terminating)
        .collect();
    if pods.is_empty() {
        return;
    }
    let (i, roll) = {
        let mut rng = ctx.rng.lock();
        (rng.random_range(0..pods.len()), rng.random_range(0..100u32))
    };
    let pod = &pods[i];
    match roll {
        0..50 => {
            set_state(ctx, &ns, &pod.name, PodState::Crashed("Error", 1));
            schedule_restart(ctx, &ns, &pod.name, jitter(ctx, 2_000));
        }
        50..85 => {
            set_state(ctx, &ns, &pod.name, PodState::Starting);
            let uid = pod.value()["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            ctx.kubelet
                .schedule(jitter(ctx, 2_000), Step::Ready, &ns, &pod.name, &uid);
        }
        _ => {
            delete_pod(ctx, &ns, &pod.name, None);
        }
    }
}
