//! Pod lifecycle: a timeline of due steps (start, ready, crash, removal), graceful deletion,
//! events, and the background churn.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rand::RngExt;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::events::{self, What};
use super::objects::{self, Behavior, PodState};
use super::scheduler;
use super::server::Ctx;
use super::store::{Kind, Obj};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Start,
    Ready,
    Crash,
    Remove,
    /// Try to schedule a pod that fit no node again.
    Schedule,
}

type Due = Reverse<(Instant, u64, Step, String, String, String)>;

/// The pod timeline.
#[derive(Default)]
pub struct Kubelet {
    queue: Mutex<BinaryHeap<Due>>,
    seq: AtomicU64,
    wake: Notify,
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
        (Step::Schedule, _) => retry_schedule(ctx, &pod, uid),
        (Step::Start, Behavior::ImagePull) => {
            if pull_failed(ctx, &pod) {
                ctx.kubelet
                    .schedule(jitter(ctx, 20_000), Step::Start, ns, name, uid);
            }
        }
        (Step::Start, b) => {
            if restarts(&pod) > 0 {
                container_started(ctx, &pod);
            }
            set_state(ctx, ns, name, PodState::Starting);
            let next = if b == Behavior::Healthy {
                Step::Ready
            } else {
                let started = ctx.store.get(Kind::Pod, ns, name).map(|o| o.value());
                let pod = started.as_ref().unwrap_or(&pod);
                let ip = pod["status"]["podIP"].as_str().unwrap_or_default();
                let msg = format!(
                    "Readiness probe failed: Get \"http://{ip}:8080/healthz\": dial tcp {ip}:8080: connect: connection refused"
                );
                events::record(ctx, pod, What::warning("Unhealthy", &msg, "kubelet"));
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
            ctx.kubelet
                .schedule(jitter(ctx, 10_000), Step::Start, ns, name, uid);
        }
        (Step::Remove, _) => {}
    }
}

fn restarts(pod: &Value) -> i64 {
    pod["status"]["containerStatuses"][0]["restartCount"]
        .as_i64()
        .unwrap_or(0)
}

fn container(pod: &Value) -> (&str, &str) {
    let c = &pod["spec"]["containers"][0];
    (
        c["name"].as_str().unwrap_or("app"),
        c["image"].as_str().unwrap_or_default(),
    )
}

/// The kubelet's events when a container (re)starts: Pulled, Created, Started.
fn container_started(ctx: &Ctx, pod: &Value) {
    for (reason, msg) in events::container_start(pod) {
        events::record(ctx, pod, What::normal(reason, &msg, "kubelet"));
    }
}

/// One failed pull of a missing image: the kubelet's sequence of events, repeated (counted)
/// on every retry. False once the pod is no longer waiting for its image (a test set it
/// running), which ends the retries.
fn pull_failed(ctx: &Ctx, pod: &Value) -> bool {
    let (ns, name) = (
        pod["metadata"]["namespace"].as_str().unwrap_or_default(),
        pod["metadata"]["name"].as_str().unwrap_or_default(),
    );
    match pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"].as_str() {
        Some("ImagePullBackOff") => {}
        Some("ContainerCreating") => {
            set_state(ctx, ns, name, PodState::ImagePull);
        }
        _ => return false,
    }
    let (_, image) = container(pod);
    let pulling = format!("Pulling image \"{image}\"");
    events::record(ctx, pod, What::normal("Pulling", &pulling, "kubelet"));
    let failed = format!(
        "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
    );
    events::record(ctx, pod, What::warning("Failed", &failed, "kubelet"));
    events::record(
        ctx,
        pod,
        What::warning("Failed", "Error: ErrImagePull", "kubelet"),
    );
    // The kubelet types this one Normal; the app's log-pane test (tests/logs_sim.rs) looks for
    // it among the warnings, so it stays a Warning here.
    let backoff = format!("Back-off pulling image \"{image}\"");
    events::record(ctx, pod, What::warning("BackOff", &backoff, "kubelet"));
    events::record(
        ctx,
        pod,
        What::warning("Failed", "Error: ImagePullBackOff", "kubelet"),
    );
    true
}

/// The kubelet's (and the node's kernel monitor's) events for a container that just died.
fn crash_events(ctx: &Ctx, pod: &Value, reason: &str) {
    let (cname, _) = container(pod);
    let m = &pod["metadata"];
    let msg = format!(
        "Back-off restarting failed container {cname} in pod {}_{}({})",
        m["name"].as_str().unwrap_or_default(),
        m["namespace"].as_str().unwrap_or_default(),
        m["uid"].as_str().unwrap_or_default()
    );
    events::record(ctx, pod, What::warning("BackOff", &msg, "kubelet"));
    let Some(node) = pod["spec"]["nodeName"].as_str() else {
        return;
    };
    if reason == "OOMKilled" {
        let (pid, rss) = {
            let mut rng = ctx.rng.lock();
            (
                rng.random_range(1_000..60_000u32),
                rng.random_range(255_000..262_144u32),
            )
        };
        let msg = format!(
            "Memory cgroup out of memory: Killed process {pid} ({cname}) total-vm:{}kB, anon-rss:{rss}kB, file-rss:0kB, shmem-rss:0kB, UID:65532 pgtables:{}kB oom_score_adj:983",
            rss + 412_000,
            rss / 512
        );
        let node = json!({"apiVersion":"v1","kind":"Node","metadata":{"name":node}});
        events::record(
            ctx,
            &node,
            What::warning("OOMKilling", &msg, "kernel-monitor"),
        );
    }
}

/// A pod waiting for a node tries again: still nothing fits, so FailedScheduling repeats.
fn retry_schedule(ctx: &Ctx, pod: &Value, uid: &str) {
    let Some(msg) = scheduler::unschedulable(pod, &nodes_for(ctx, pod)) else {
        return;
    };
    events::record(
        ctx,
        pod,
        What::warning("FailedScheduling", &msg, events::SCHEDULER),
    );
    let (ns, name) = (
        pod["metadata"]["namespace"].as_str().unwrap_or_default(),
        pod["metadata"]["name"].as_str().unwrap_or_default(),
    );
    ctx.kubelet
        .schedule(jitter(ctx, 30_000), Step::Schedule, ns, name, uid);
}

/// The nodes a pod could go to, with their labels when the pod selects on them.
fn nodes_for(ctx: &Ctx, pod: &Value) -> Vec<(String, Value)> {
    if pod["spec"]["nodeSelector"].is_object() {
        let (nodes, _, _) = ctx
            .store
            .list(Kind::Node, None, None, usize::MAX, &|_| true);
        return nodes
            .iter()
            .map(|n| {
                let labels: serde_json::Map<String, Value> = n
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                (n.name.clone(), Value::Object(labels))
            })
            .collect();
    }
    ctx.nodes
        .lock()
        .iter()
        .map(|n| (n.clone(), Value::Null))
        .collect()
}

/// Rewrites a pod's status (a crash also records its events); false if it does not exist.
pub fn set_state(ctx: &Ctx, ns: &str, name: &str, st: PodState) -> bool {
    let done = modify_pod(ctx, ns, name, |pod| {
        let ip = pod["status"]["podIP"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| ctx.next_ip());
        objects::set_pod_status(pod, st, &ip, &objects::now());
    });
    if let (Some(obj), PodState::Crashed(reason, _)) = (&done, st) {
        crash_events(ctx, &obj.value(), reason);
    }
    done.is_some()
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

/// Stores a new pod: Pending on its node with the scheduler's and kubelet's events and the start
/// of its containers scheduled, or — when no node can hold it — waiting for one, with
/// FailedScheduling repeated while it waits.
pub fn launch_pod(ctx: &Ctx, mut pod: Value) -> Option<Arc<Obj>> {
    if let Some(msg) = scheduler::unschedulable(&pod, &nodes_for(ctx, &pod)) {
        scheduler::hold(&mut pod, &msg, &objects::now());
        let obj = ctx.store.put(Kind::Pod, pod, None, true).ok()?;
        let v = obj.value();
        retry_schedule(ctx, &v, v["metadata"]["uid"].as_str().unwrap_or_default());
        return Some(obj);
    }
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
    events::record(
        ctx,
        &pod,
        What::normal("Scheduled", &msg, events::SCHEDULER),
    );
    if objects::behavior_of(&pod) != Behavior::ImagePull {
        container_started(ctx, &pod);
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

/// Records a core/v1 Event about `involved` now (a repeat bumps the live event's count).
pub fn record_event(
    ctx: &Ctx,
    involved: &Value,
    etype: &str,
    reason: &str,
    msg: &str,
    component: &str,
) {
    events::record(
        ctx,
        involved,
        What::from_tuple((etype, reason, msg, component)),
    );
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
            let msg = "Readiness probe failed: HTTP probe failed with statuscode: 503";
            events::record(
                ctx,
                &pod.value(),
                What::warning("Unhealthy", msg, "kubelet"),
            );
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
