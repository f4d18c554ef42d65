//! Kubernetes Events, recorded the way the cluster's components record them.
//!
//! # Two shapes, as in a real cluster
//! - **Legacy core/v1** (kubelet, deployment-controller, replicaset-controller, kernel-monitor):
//!   `source {component, host}`, `count`, `firstTimestamp`, `lastTimestamp`, `eventTime: null`,
//!   `reportingComponent`/`reportingInstance`. A repeat — same involved object, type, reason,
//!   message and source — is the same object with `count` + 1 and a new `lastTimestamp` (a
//!   MODIFIED watch event), as client-go's EventCorrelator does; it never adds an object.
//! - **events.k8s.io style** (default-scheduler): `eventTime` (microseconds), `action`,
//!   `reportingComponent`/`reportingInstance`, no `count`/`firstTimestamp`/`lastTimestamp`. A
//!   repeat — same object, reason, action and controller; the message may differ — sets
//!   `series {count, lastObservedTime}` (count 2 on the first repeat). Real clients batch series
//!   updates every 30 minutes; the simulator writes every repeat.
//!
//! # Bounds
//! An event expires one hour after it was last written (the API server's event TTL); at most
//! [`MAX_EVENTS`] live events, the least recently written are deleted first. Expiry is a DELETED
//! watch event.
//!
//! # Reasons
//! | reason | type | involved | component |
//! |---|---|---|---|
//! | Scheduled, FailedScheduling | Normal, Warning | Pod | default-scheduler |
//! | Pulling, Pulled, Created, Started, Killing | Normal | Pod (fieldPath `spec.containers{c}`) | kubelet |
//! | BackOff (restarting a failed container; pulling an image — Normal in kube) | Warning | Pod | kubelet |
//! | Unhealthy (readiness probe failed) | Warning | Pod | kubelet |
//! | Failed (ErrImagePull, ImagePullBackOff) | Warning | Pod | kubelet |
//! | OOMKilling | Warning | Node | kernel-monitor |
//! | ScalingReplicaSet | Normal | Deployment | deployment-controller |
//! | SuccessfulCreate, SuccessfulDelete | Normal | ReplicaSet | replicaset-controller |

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::objects;
use super::server::Ctx;
use super::store::Kind;
use super::table::human_age;

/// Seconds an event lives after its last write.
pub const TTL_SECS: i64 = 3_600;
/// Live events kept before the least recently written are deleted.
pub const MAX_EVENTS: usize = 4_000;
/// The scheduler records events.k8s.io-style events.
pub const SCHEDULER: &str = "default-scheduler";

/// What happened: type (Normal/Warning), reason, message, reporting component.
#[derive(Debug, Clone, Copy)]
pub struct What<'a> {
    pub etype: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
    pub component: &'a str,
}

impl<'a> What<'a> {
    /// From the `(type, reason, message, component)` tuple the kubelet helpers take.
    pub fn from_tuple(t: (&'a str, &'a str, &'a str, &'a str)) -> What<'a> {
        What {
            etype: t.0,
            reason: t.1,
            message: t.2,
            component: t.3,
        }
    }

    /// A Warning.
    pub fn warning(reason: &'a str, message: &'a str, component: &'a str) -> What<'a> {
        What {
            etype: "Warning",
            reason,
            message,
            component,
        }
    }

    /// A Normal event.
    pub fn normal(reason: &'a str, message: &'a str, component: &'a str) -> What<'a> {
        What {
            etype: "Normal",
            ..What::warning(reason, message, component)
        }
    }

    fn new_style(&self) -> bool {
        self.component == SCHEDULER
    }
}

/// How often an event happened: `count` times, from `first` to `last`.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: u32,
}

impl Seen {
    /// Once, at `t`.
    pub fn once(t: Timestamp) -> Seen {
        Seen {
            first: t,
            last: t,
            count: 1,
        }
    }
}

struct Live {
    ns: String,
    name: String,
    /// Unix seconds of the last write (the TTL runs from here).
    written: i64,
}

/// The live events by aggregation key, and their write order for expiry.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    live: HashMap<u64, Live>,
    /// `(written, key)` in write order; an entry whose time no longer matches is stale.
    order: VecDeque<(i64, u64)>,
    seq: u64,
}

impl Recorder {
    /// Number of live events the recorder tracks.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner.lock().live.len()
    }
}

fn hash(parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// The aggregation key: legacy events repeat on identical content, new-style ones on the same
/// object, reason and action.
fn agg_key(involved: &Value, what: &What<'_>) -> u64 {
    let m = &involved["metadata"];
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let (ns, name, uid, kind) = (
        s(&m["namespace"]),
        s(&m["name"]),
        s(&m["uid"]),
        s(&involved["kind"]),
    );
    let message = if what.new_style() { "" } else { what.message };
    hash(&[
        &ns,
        &kind,
        &name,
        &uid,
        what.etype,
        what.reason,
        message,
        what.component,
    ])
}

/// Records `what` about `involved`, happening now.
pub fn record(ctx: &Ctx, involved: &Value, what: What<'_>) {
    record_seen(ctx, involved, what, Seen::once(Timestamp::now()));
}

/// Records `what` about `involved`, seen as `seen` says: a repeat of a live event updates it.
pub fn record_seen(ctx: &Ctx, involved: &Value, what: What<'_>, seen: Seen) {
    let key = agg_key(involved, &what);
    let now = Timestamp::now().as_second();
    let mut inner = ctx.events.inner.lock();
    let existing = inner.live.get(&key).map(|l| (l.ns.clone(), l.name.clone()));
    if let Some((ns, name)) = existing {
        if bump(ctx, &ns, &name, &what, seen) {
            if let Some(l) = inner.live.get_mut(&key) {
                l.written = now;
            }
            inner.order.push_back((now, key));
            compact(&mut inner);
            return;
        }
        inner.live.remove(&key);
    }
    let (ns, name) = event_name(&mut inner, involved, seen.first);
    let ev = build(&ns, &name, involved, &what, seen);
    if ctx.store.put(Kind::Event, ev, None, true).is_err() {
        return;
    }
    inner.live.insert(
        key,
        Live {
            ns,
            name,
            written: now,
        },
    );
    inner.order.push_back((now, key));
    evict(ctx, &mut inner, |inner| inner.live.len() > MAX_EVENTS);
    compact(&mut inner);
}

/// Drops the stale write-order entries repeats leave behind, once they pile up.
fn compact(inner: &mut Inner) {
    if inner.order.len() > 4 * MAX_EVENTS {
        let live = &inner.live;
        inner
            .order
            .retain(|(w, k)| live.get(k).is_some_and(|l| l.written == *w));
    }
}

/// The kubelet's (reason, message) pairs when a pod's container (re)starts.
pub fn container_start(pod: &Value) -> [(&'static str, String); 3] {
    let c = &pod["spec"]["containers"][0];
    let (cname, image) = (
        c["name"].as_str().unwrap_or("app"),
        c["image"].as_str().unwrap_or_default(),
    );
    [
        (
            "Pulled",
            format!("Container image \"{image}\" already present on machine"),
        ),
        ("Created", format!("Created container: {cname}")),
        ("Started", format!("Started container {cname}")),
    ]
}

/// The events a pod created `age` seconds ago would still have (the TTL has taken older ones):
/// scheduling and start when it is younger than an hour, and the counted back-off of a
/// crash-looping pod.
pub fn pod_history(ctx: &Ctx, pod: &Value, age: i64, restarts: u32) {
    let now = Timestamp::now();
    let at = |secs_ago: i64| now - jiff::SignedDuration::from_secs(secs_ago);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let m = &pod["metadata"];
    let (ns, name, uid) = (s(&m["namespace"]), s(&m["name"]), s(&m["uid"]));
    let c = &pod["spec"]["containers"][0];
    let cname = s(&c["name"]);
    let node = s(&pod["spec"]["nodeName"]);
    if age < TTL_SECS {
        let msg = format!("Successfully assigned {ns}/{name} to {node}");
        let scheduled = What::normal("Scheduled", &msg, SCHEDULER);
        record_seen(ctx, pod, scheduled, Seen::once(at(age)));
        for (reason, msg) in container_start(pod) {
            let seen = Seen::once(at(age - 2));
            record_seen(ctx, pod, What::normal(reason, &msg, "kubelet"), seen);
        }
    }
    let crashing =
        pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff";
    if crashing && restarts > 0 {
        let msg = format!("Back-off restarting failed container {cname} in pod {name}_{ns}({uid})");
        let seen = Seen {
            first: at(age.min(TTL_SECS - 120)),
            last: at(110),
            count: restarts,
        };
        record_seen(ctx, pod, What::warning("BackOff", &msg, "kubelet"), seen);
    }
}

/// `<object>.<hex nanoseconds>` like client-go, in the object's namespace ("default" for
/// cluster-scoped objects).
fn event_name(inner: &mut Inner, involved: &Value, t: Timestamp) -> (String, String) {
    let m = &involved["metadata"];
    let ns = m["namespace"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or("default");
    inner.seq += 1;
    let nanos = t.as_nanosecond() as u64 + inner.seq;
    let name = format!("{}.{nanos:x}", m["name"].as_str().unwrap_or_default());
    (ns.to_string(), name)
}

/// Updates a live event for a repeat; false when it is gone (expired or deleted).
fn bump(ctx: &Ctx, ns: &str, name: &str, what: &What<'_>, seen: Seen) -> bool {
    for _ in 0..3 {
        let Some(obj) = ctx.store.get(Kind::Event, ns, name) else {
            return false;
        };
        let mut ev = obj.value();
        if what.new_style() {
            let before = ev["series"]["count"].as_u64().unwrap_or(1);
            ev["series"] = json!({"count": before + u64::from(seen.count),
                "lastObservedTime": micro(seen.last)});
            ev["message"] = json!(what.message);
        } else {
            let before = ev["count"].as_u64().unwrap_or(1);
            ev["count"] = json!(before + u64::from(seen.count));
            ev["lastTimestamp"] = json!(objects::ts(seen.last));
        }
        if ctx.store.put(Kind::Event, ev, Some(obj.rv), false).is_ok() {
            return true;
        }
    }
    false
}

/// metav1.MicroTime.
fn micro(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The container a kubelet event is about, as `fieldPath`.
fn field_path(involved: &Value, what: &What<'_>) -> Option<String> {
    let container_reasons = [
        "Pulling",
        "Pulled",
        "Created",
        "Started",
        "Killing",
        "BackOff",
        "Unhealthy",
        "Failed",
    ];
    let c = involved["spec"]["containers"][0]["name"].as_str()?;
    (what.component == "kubelet" && container_reasons.contains(&what.reason))
        .then(|| format!("spec.containers{{{c}}}"))
}

fn build(ns: &str, name: &str, involved: &Value, what: &What<'_>, seen: Seen) -> Value {
    let m = &involved["metadata"];
    let kind = involved["kind"].as_str().unwrap_or_default();
    let mut io = json!({"kind":kind,"name":m["name"],"apiVersion":involved["apiVersion"]});
    if kind == "Node" {
        // Node events use the node name as uid, like the kubelet and node-problem-detector.
        io["uid"] = m["name"].clone();
    } else {
        io["namespace"] = json!(ns);
        io["uid"] = m["uid"].clone();
        io["resourceVersion"] = m["resourceVersion"].clone();
    }
    if let Some(fp) = field_path(involved, what) {
        io["fieldPath"] = json!(fp);
    }
    let host = involved["spec"]["nodeName"]
        .as_str()
        .or((kind == "Node").then(|| m["name"].as_str().unwrap_or_default()))
        .unwrap_or_default();
    let mut ev = json!({"apiVersion":"v1","kind":"Event",
        "metadata":{"name":name,"namespace":ns,"uid":objects::uid(&mut rand::rng()),
            "creationTimestamp":objects::ts(seen.first)},
        "involvedObject":io,"reason":what.reason,"message":what.message,"type":what.etype});
    if what.new_style() {
        let action = if what.reason == "Scheduled" {
            "Binding"
        } else {
            "Scheduling"
        };
        ev["source"] = json!({});
        ev["firstTimestamp"] = Value::Null;
        ev["lastTimestamp"] = Value::Null;
        ev["eventTime"] = json!(micro(seen.first));
        ev["action"] = json!(action);
        ev["reportingComponent"] = json!(what.component);
        ev["reportingInstance"] = json!(format!("{}-control-plane-0", what.component));
        if seen.count > 1 {
            ev["series"] = json!({"count":seen.count,"lastObservedTime":micro(seen.last)});
        }
    } else {
        let mut source = json!({"component": what.component});
        if !host.is_empty() {
            source["host"] = json!(host);
        }
        ev["source"] = source;
        ev["firstTimestamp"] = json!(objects::ts(seen.first));
        ev["lastTimestamp"] = json!(objects::ts(seen.last));
        ev["count"] = json!(seen.count);
        ev["eventTime"] = Value::Null;
        ev["reportingComponent"] = json!(what.component);
        ev["reportingInstance"] = json!(host);
    }
    ev
}

/// Deletes events while `over(inner)` holds, least recently written first.
fn evict(ctx: &Ctx, inner: &mut Inner, over: impl Fn(&Inner) -> bool) {
    while over(inner) {
        let Some((written, key)) = inner.order.pop_front() else {
            return;
        };
        let current = inner.live.get(&key).is_some_and(|l| l.written == written);
        if !current {
            continue;
        }
        if let Some(l) = inner.live.remove(&key) {
            ctx.store.delete(Kind::Event, &l.ns, &l.name);
        }
    }
}

/// Deletes the events last written more than [`TTL_SECS`] before `now` (unix seconds).
pub fn expire(ctx: &Ctx, now: i64) {
    let mut inner = ctx.events.inner.lock();
    evict(ctx, &mut inner, |inner| {
        inner
            .order
            .front()
            .is_some_and(|(written, _)| written + TTL_SECS <= now)
    });
}

/// Expires old events every few seconds until shutdown.
pub async fn run(ctx: Arc<Ctx>) {
    let mut stopped = ctx.stopped.subscribe();
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => expire(&ctx, Timestamp::now().as_second()),
            _ = stopped.changed() => return,
        }
    }
}

/// Selectable fields of events, as the API server supports them, with their JSON paths.
pub const FIELDS: &[(&str, &[&str])] = &[
    ("involvedObject.kind", &["involvedObject", "kind"]),
    ("involvedObject.name", &["involvedObject", "name"]),
    ("involvedObject.namespace", &["involvedObject", "namespace"]),
    ("involvedObject.uid", &["involvedObject", "uid"]),
    (
        "involvedObject.apiVersion",
        &["involvedObject", "apiVersion"],
    ),
    (
        "involvedObject.resourceVersion",
        &["involvedObject", "resourceVersion"],
    ),
    ("involvedObject.fieldPath", &["involvedObject", "fieldPath"]),
    ("reason", &["reason"]),
    ("reportingComponent", &["reportingComponent"]),
    ("source", &["source", "component"]),
    ("type", &["type"]),
];

fn ts_of(v: &Value) -> Option<Timestamp> {
    v.as_str().and_then(objects::parse_ts)
}

fn since(t: Option<Timestamp>, now: Timestamp) -> String {
    t.map(|t| human_age(now.as_second() - t.as_second()))
        .unwrap_or_else(|| "<unknown>".into())
}

/// kubectl's event columns (the wide ones have priority 1).
pub const COLUMNS: &[(&str, &str, u8)] = &[
    ("Last Seen", "string", 0),
    ("Type", "string", 0),
    ("Reason", "string", 0),
    ("Object", "string", 0),
    ("Subobject", "string", 1),
    ("Source", "string", 1),
    ("Message", "string", 0),
    ("First Seen", "string", 1),
    ("Count", "integer", 1),
    ("Name", "string", 1),
];

/// The table cells of an event, as the API server's printer computes them.
pub fn cells(o: &Value, now: Timestamp) -> Value {
    let first = ts_of(&o["firstTimestamp"]).or_else(|| ts_of(&o["eventTime"]));
    let mut last = ts_of(&o["lastTimestamp"]).or(first);
    let mut count = o["count"].as_i64().unwrap_or(0);
    if o["series"].is_object() {
        last = ts_of(&o["series"]["lastObservedTime"]);
        count = o["series"]["count"].as_i64().unwrap_or(0);
    } else if count == 0 {
        count = 1;
    }
    let io = &o["involvedObject"];
    let kind = io["kind"].as_str().unwrap_or_default().to_lowercase();
    let target = match io["name"].as_str().filter(|n| !n.is_empty()) {
        Some(n) => format!("{kind}/{n}"),
        None => kind,
    };
    let pick = |a: &Value, b: &Value| {
        a.as_str()
            .filter(|s| !s.is_empty())
            .or(b.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let component = pick(&o["source"]["component"], &o["reportingController"]);
    let component = if component.is_empty() {
        pick(&o["reportingComponent"], &Value::Null)
    } else {
        component
    };
    let instance = pick(&o["source"]["host"], &o["reportingInstance"]);
    let source = if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    };
    json!([
        since(last, now),
        o["type"],
        o["reason"],
        target,
        io["fieldPath"].as_str().unwrap_or_default(),
        source,
        o["message"].as_str().unwrap_or_default().trim(),
        since(first, now),
        count,
        o["metadata"]["name"]
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SimConfig, server::Ctx};

    fn pod() -> Value {
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop",
            "uid":"u-1","resourceVersion":"7"},
            "spec":{"nodeName":"worker-001","containers":[{"name":"web"}]}})
    }

    fn events(ctx: &Ctx) -> Vec<Value> {
        let (objs, _, _) = ctx
            .store
            .list(Kind::Event, None, None, usize::MAX, &|_| true);
        objs.iter().map(|o| o.value()).collect()
    }

    const BACKOFF: What<'static> = What {
        etype: "Warning",
        reason: "BackOff",
        message: "Back-off restarting failed container web",
        component: "kubelet",
    };

    #[test]
    fn repeats_bump_count_not_objects() {
        let ctx = Ctx::new(SimConfig::default());
        for _ in 0..3 {
            record(&ctx, &pod(), BACKOFF);
        }
        let other = What {
            message: "something else",
            ..BACKOFF
        };
        record(&ctx, &pod(), other);
        let evs = events(&ctx);
        assert_eq!(evs.len(), 2);
        let backoff = evs
            .iter()
            .find(|e| e["message"] == BACKOFF.message)
            .unwrap();
        assert_eq!(backoff["count"], 3);
        assert_eq!(backoff["source"]["host"], "worker-001");
        assert_eq!(
            backoff["involvedObject"]["fieldPath"],
            "spec.containers{web}"
        );
        assert!(backoff["eventTime"].is_null());
        assert_eq!(ctx.events.len(), 2);
    }

    #[test]
    fn scheduler_repeats_become_a_series() {
        let ctx = Ctx::new(SimConfig::default());
        let what = |m| What {
            etype: "Warning",
            reason: "FailedScheduling",
            message: m,
            component: SCHEDULER,
        };
        record(
            &ctx,
            &pod(),
            what("0/3 nodes are available: 3 Insufficient cpu."),
        );
        let evs = events(&ctx);
        assert!(evs[0]["series"].is_null() && evs[0]["count"].is_null());
        assert!(evs[0]["eventTime"].as_str().unwrap().contains('.'));
        record(
            &ctx,
            &pod(),
            what("0/3 nodes are available: 3 Insufficient memory."),
        );
        record(
            &ctx,
            &pod(),
            what("0/3 nodes are available: 3 Insufficient memory."),
        );
        let evs = events(&ctx);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0]["series"]["count"], 3);
        assert_eq!(evs[0]["action"], "Scheduling");
        let c = cells(&evs[0], Timestamp::now());
        assert_eq!(c[8], 3);
        assert_eq!(c[5], "default-scheduler, default-scheduler-control-plane-0");
    }

    #[test]
    fn events_expire_an_hour_after_their_last_write_and_are_capped() {
        let ctx = Ctx::new(SimConfig::default());
        record(&ctx, &pod(), BACKOFF);
        let now = Timestamp::now().as_second();
        expire(&ctx, now + TTL_SECS - 10);
        assert_eq!(events(&ctx).len(), 1);
        expire(&ctx, now + TTL_SECS + 5);
        assert!(events(&ctx).is_empty());
        assert_eq!(ctx.events.len(), 0);
        // A repeat after expiry starts a new object at count 1.
        record(&ctx, &pod(), BACKOFF);
        assert_eq!(events(&ctx)[0]["count"], 1);
        for i in 0..MAX_EVENTS + 10 {
            let msg = format!("message {i}");
            record(
                &ctx,
                &pod(),
                What {
                    message: &msg,
                    ..BACKOFF
                },
            );
        }
        assert_eq!(events(&ctx).len(), MAX_EVENTS);
        assert!(!events(&ctx).iter().any(|e| e["message"] == "message 0"));
    }

    #[test]
    fn repeats_do_not_pile_up_bookkeeping() {
        let ctx = Ctx::new(SimConfig::default());
        for _ in 0..5 * MAX_EVENTS {
            record(&ctx, &pod(), BACKOFF);
        }
        assert!(ctx.events.inner.lock().order.len() <= 4 * MAX_EVENTS + 1);
        assert_eq!(events(&ctx)[0]["count"], 5 * MAX_EVENTS);
    }

    #[test]
    fn node_events_live_in_default() {
        let ctx = Ctx::new(SimConfig::default());
        let node =
            json!({"apiVersion":"v1","kind":"Node","metadata":{"name":"worker-002","uid":"x"}});
        let what = What {
            etype: "Warning",
            reason: "OOMKilling",
            message: "Memory cgroup out of memory: Killed process 42 (app)",
            component: "kernel-monitor",
        };
        record(&ctx, &node, what);
        let e = &events(&ctx)[0];
        assert_eq!(e["metadata"]["namespace"], "default");
        assert_eq!(e["involvedObject"]["uid"], "worker-002");
        assert_eq!(e["source"]["host"], "worker-002");
        assert!(e["involvedObject"]["namespace"].is_null());
    }
}
