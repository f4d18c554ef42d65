//! The object store: one ordered map per kind, pre-serialised JSON, a global resource version, a
//! bounded history of watch events and a broadcast channel feeding every open watch.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::broadcast;

/// The kinds the simulator serves.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    Event,
    Service,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    ControllerRevision,
}

impl Kind {
    /// Every kind, in storage order.
    pub const ALL: [Kind; 10] = [
        Kind::Namespace,
        Kind::Node,
        Kind::Pod,
        Kind::Event,
        Kind::Service,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ControllerRevision,
    ];

    fn idx(self) -> usize {
        self as usize
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node)
    }

    /// The plural resource name used in URLs.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Node => "nodes",
            Kind::Pod => "pods",
            Kind::Event => "events",
            Kind::Service => "services",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::StatefulSet => "statefulsets",
            Kind::DaemonSet => "daemonsets",
            Kind::ControllerRevision => "controllerrevisions",
        }
    }

    /// The `kind` field of objects.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::Event => "Event",
            Kind::Service => "Service",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::ControllerRevision => "ControllerRevision",
        }
    }

    /// The `apiVersion` field of objects.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::ControllerRevision => "apps/v1",
            _ => "v1",
        }
    }

    /// Resolves an API group ("" for core) and plural name.
    pub fn from_plural(group: &str, plural: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.plural() == plural && k.api_version().starts_with(group_prefix(group)))
            .filter(|k| (group.is_empty()) == (k.api_version() == "v1"))
    }
}

fn group_prefix(group: &str) -> &str {
    if group.is_empty() { "v1" } else { group }
}

/// `(namespace, name)`; the namespace is empty for cluster-scoped kinds.
pub type Key = (String, String);

/// One stored object: its JSON and the few fields selectors and controllers need.
#[derive(Debug)]
pub struct Obj {
    pub ns: String,
    pub name: String,
    pub rv: u64,
    pub labels: Vec<(String, String)>,
    /// Extra selectable fields (`spec.nodeName`, `status.phase`, `involvedObject.name`, …).
    pub fields: Vec<(&'static str, String)>,
    /// Pods: every container ready.
    pub ready: bool,
    /// Pods: a deletion timestamp is set.
    pub terminating: bool,
    pub json: Bytes,
}

impl Obj {
    fn build(kind: Kind, v: &Value, rv: u64) -> Result<Obj, StoreError> {
        let meta = &v["metadata"];
        let name = meta["name"].as_str().unwrap_or_default().to_string();
        if name.is_empty() {
            return Err(StoreError::Invalid("metadata.name is required".into()));
        }
        let ns = if kind.namespaced() {
            meta["namespace"].as_str().unwrap_or_default().to_string()
        } else {
            String::new()
        };
        let labels = meta["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let json = serde_json::to_vec(v).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Obj {
            ns,
            name,
            rv,
            labels,
            fields: selectable_fields(kind, v),
            ready: kind == Kind::Pod && pod_ready(v),
            terminating: !meta["deletionTimestamp"].is_null(),
            json: Bytes::from(json),
        })
    }

    /// Parses the stored JSON back into a value.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    /// The value of a label.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a selectable field.
    pub fn field(&self, key: &str) -> Option<&str> {
        match key {
            "metadata.name" => Some(&self.name),
            "metadata.namespace" => Some(&self.ns),
            _ => self
                .fields
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str()),
        }
    }
}

fn pod_ready(v: &Value) -> bool {
    v["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

fn selectable_fields(kind: Kind, v: &Value) -> Vec<(&'static str, String)> {
    let paths: &[(&'static str, &[&str])] = match kind {
        Kind::Pod => &[
            ("spec.nodeName", &["spec", "nodeName"]),
            ("status.phase", &["status", "phase"]),
        ],
        Kind::Event => &[
            ("involvedObject.kind", &["involvedObject", "kind"]),
            ("involvedObject.name", &["involvedObject", "name"]),
            ("involvedObject.namespace", &["involvedObject", "namespace"]),
            ("involvedObject.uid", &["involvedObject", "uid"]),
            ("reason", &["reason"]),
            ("type", &["type"]),
        ],
        Kind::Namespace => &[("status.phase", &["status", "phase"])],
        _ => &[],
    };
    paths
        .iter()
        .map(|(name, path)| {
            let val = path.iter().fold(v, |v, p| &v[*p]);
            (*name, val.as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// Watch event types.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, shared by every watcher.
#[derive(Debug)]
pub struct Event {
    pub kind: Kind,
    pub etype: EventType,
    pub obj: Arc<Obj>,
    line: OnceLock<Bytes>,
}

impl Event {
    /// Creates an event (used for the initial ADDED burst as well).
    pub fn new(kind: Kind, etype: EventType, obj: Arc<Obj>) -> Event {
        Event {
            kind,
            etype,
            obj,
            line: OnceLock::new(),
        }
    }

    /// The JSON watch line, serialised once and shared.
    pub fn line(&self) -> Bytes {
        self.line
            .get_or_init(|| {
                let mut out = Vec::with_capacity(self.obj.json.len() + 32);
                out.extend_from_slice(b"{\"type\":\"");
                out.extend_from_slice(self.etype.as_str().as_bytes());
                out.extend_from_slice(b"\",\"object\":");
                out.extend_from_slice(&self.obj.json);
                out.extend_from_slice(b"}\n");
                Bytes::from(out)
            })
            .clone()
    }
}

/// Store failures, mapped to Status responses by the API layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error(
        "the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict,
    #[error("{0}")]
    Invalid(String),
    #[error("too old resource version")]
    Gone,
}

struct Inner {
    rv: u64,
    maps: [BTreeMap<Key, Arc<Obj>>; Kind::ALL.len()],
    history: VecDeque<Arc<Event>>,
    compacted: u64,
}

/// The store. Cheap to share behind an `Arc`; locks are never held across an await.
pub struct Store {
    inner: RwLock<Inner>,
    tx: broadcast::Sender<Arc<Event>>,
    history_cap: usize,
}

/// What a new watch starts from.
pub struct Subscription {
    pub backlog: Vec<Arc<Event>>,
    pub rx: broadcast::Receiver<Arc<Event>>,
    pub rv: u64,
}

impl Store {
    /// An empty store keeping `history_cap` events for watch resumption.
    pub fn new(history_cap: usize) -> Store {
        let (tx, _) = broadcast::channel(65_536);
        Store {
            inner: RwLock::new(Inner {
                rv: 1,
                maps: Default::default(),
                history: VecDeque::new(),
                compacted: 0,
            }),
            tx,
            history_cap,
        }
    }

    /// The current global resource version.
    pub fn rv_now(&self) -> u64 {
        self.inner.read().rv
    }

    /// Number of objects of a kind.
    pub fn count(&self, kind: Kind) -> usize {
        self.inner.read().maps[kind.idx()].len()
    }

    /// One object.
    pub fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<Arc<Obj>> {
        let key = (ns_of(kind, ns), name.to_string());
        self.inner.read().maps[kind.idx()].get(&key).cloned()
    }

    /// Inserts or replaces an object. `expect_rv` makes it a compare-and-swap; `create` fails if
    /// the object exists. Assigns the resource version and emits the watch event.
    pub fn put(
        &self,
        kind: Kind,
        mut v: Value,
        expect_rv: Option<u64>,
        create: bool,
    ) -> Result<Arc<Obj>, StoreError> {
        let mut inner = self.inner.write();
        let rv = inner.rv + 1;
        set_rv(&mut v, rv);
        let obj = Arc::new(Obj::build(kind, &v, rv)?);
        let key = (obj.ns.clone(), obj.name.clone());
        let map = &mut inner.maps[kind.idx()];
        let etype = match map.get(&key) {
            Some(_) if create => return Err(StoreError::AlreadyExists),
            Some(old) if expect_rv.is_some_and(|e| e != old.rv) => {
                return Err(StoreError::Conflict);
            }
            Some(_) => EventType::Modified,
            None if expect_rv.is_some() && !create => return Err(StoreError::NotFound),
            None => EventType::Added,
        };
        map.insert(key, obj.clone());
        inner.rv = rv;
        self.record(&mut inner, Event::new(kind, etype, obj.clone()));
        Ok(obj)
    }

    /// Inserts without emitting events (initial population).
    pub fn insert_silently(&self, kind: Kind, mut v: Value) -> Result<(), StoreError> {
        let mut inner = self.inner.write();
        inner.rv += 1;
        let rv = inner.rv;
        set_rv(&mut v, rv);
        let obj = Arc::new(Obj::build(kind, &v, rv)?);
        inner.maps[kind.idx()].insert((obj.ns.clone(), obj.name.clone()), obj);
        Ok(())
    }

    /// Removes an object, emitting DELETED. `expect_uid` guards against deleting a successor.
    pub fn delete(&self, kind: Kind, ns: &str, name: &str) -> Option<Arc<Obj>> {
        let mut inner = self.inner.write();
        let key = (ns_of(kind, ns), name.to_string());
        let old = inner.maps[kind.idx()].remove(&key)?;
        let rv = inner.rv + 1;
        inner.rv = rv;
        let mut v = old.value();
        set_rv(&mut v, rv);
        let obj = Obj::build(kind, &v, rv).map(Arc::new).unwrap_or(old);
        self.record(
            &mut inner,
            Event::new(kind, EventType::Deleted, obj.clone()),
        );
        Some(obj)
    }

    fn record(&self, inner: &mut Inner, ev: Event) {
        let ev = Arc::new(ev);
        inner.history.push_back(ev.clone());
        while inner.history.len() > self.history_cap {
            if let Some(old) = inner.history.pop_front() {
                inner.compacted = old.obj.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(ev);
    }

    /// A page of objects in key order, after `after`, filtered.
    pub fn list(
        &self,
        kind: Kind,
        ns: Option<&str>,
        after: Option<&Key>,
        limit: usize,
        filter: &dyn Fn(&Obj) -> bool,
    ) -> (Vec<Arc<Obj>>, u64, bool) {
        let inner = self.inner.read();
        let map = &inner.maps[kind.idx()];
        let lower = match (after, ns) {
            (Some(k), _) => std::ops::Bound::Excluded(k.clone()),
            (None, Some(ns)) => std::ops::Bound::Included((ns.to_string(), String::new())),
            (None, None) => std::ops::Bound::Unbounded,
        };
        let mut out = Vec::new();
        let mut more = false;
        for (k, obj) in map.range((lower, std::ops::Bound::Unbounded)) {
            if ns.is_some_and(|ns| k.0 != ns) {
                break;
            }
            if !filter(obj) {
                continue;
            }
            if out.len() == limit {
                more = true;
                break;
            }
            out.push(obj.clone());
        }
        (out, inner.rv, more)
    }

    /// Objects of `kind` in `ns` whose name starts with `prefix`.
    pub fn with_prefix(&self, kind: Kind, ns: &str, prefix: &str) -> Vec<Arc<Obj>> {
        let inner = self.inner.read();
        let start = (ns.to_string(), prefix.to_string());
        inner.maps[kind.idx()]
            .range(start..)
            .take_while(|(k, _)| k.0 == ns && k.1.starts_with(prefix))
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// The `n`-th key of a kind (used for random picks over small kinds).
    pub fn nth_key(&self, kind: Kind, n: usize) -> Option<Key> {
        self.inner.read().maps[kind.idx()].keys().nth(n).cloned()
    }

    /// Starts a watch: events after `from_rv` (or all current objects as ADDED when `None`),
    /// plus a receiver for everything later. No gap: both are taken under one lock.
    pub fn subscribe(
        &self,
        kind: Kind,
        from_rv: Option<u64>,
        filter: &dyn Fn(&Obj) -> bool,
    ) -> Result<Subscription, StoreError> {
        let inner = self.inner.read();
        let rx = self.tx.subscribe();
        let backlog = match from_rv {
            None => inner.maps[kind.idx()]
                .values()
                .filter(|o| filter(o))
                .map(|o| Arc::new(Event::new(kind, EventType::Added, o.clone())))
                .collect(),
            // Older than the history, or from another server incarnation: relist.
            Some(rv) if rv < inner.compacted || rv > inner.rv => return Err(StoreError::Gone),
            Some(rv) => {
                let start = inner.history.partition_point(|e| e.obj.rv <= rv);
                inner
                    .history
                    .range(start..)
                    .filter(|e| e.kind == kind && filter(&e.obj))
                    .cloned()
                    .collect()
            }
        };
        Ok(Subscription {
            backlog,
            rx,
            rv: inner.rv,
        })
    }

    /// Receives every later event (controllers use it to learn what changed).
    pub fn events(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Simulates an API server restart: watch history is lost, so resuming older watches gets
    /// 410 Gone.
    pub fn forget_history(&self) {
        let mut inner = self.inner.write();
        inner.history.clear();
        inner.rv += 1;
        inner.compacted = inner.rv;
    }

    /// The oldest resource version a watch may resume from.
    pub fn compacted(&self) -> u64 {
        self.inner.read().compacted
    }
}

fn ns_of(kind: Kind, ns: &str) -> String {
    if kind.namespaced() {
        ns.to_string()
    } else {
        String::new()
    }
}

fn set_rv(v: &mut Value, rv: u64) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str) -> Value {
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name,"namespace":"a","labels":{"app":"x"}}})
    }

    #[test]
    fn put_conflict_and_history() {
        let s = Store::new(2);
        let o = s.put(Kind::Pod, pod("p1"), None, true).unwrap();
        assert!(matches!(
            s.put(Kind::Pod, pod("p1"), Some(o.rv + 5), false),
            Err(StoreError::Conflict)
        ));
        s.put(Kind::Pod, pod("p1"), Some(o.rv), false).unwrap();
        s.put(Kind::Pod, pod("p2"), None, true).unwrap();
        assert!(matches!(
            s.subscribe(Kind::Pod, Some(0), &|_| true),
            Err(StoreError::Gone)
        ));
        let sub = s.subscribe(Kind::Pod, Some(o.rv + 1), &|_| true).unwrap();
        assert_eq!(sub.backlog.len(), 1);
    }

    #[test]
    fn kinds_resolve() {
        assert_eq!(Kind::from_plural("", "pods"), Some(Kind::Pod));
        assert_eq!(
            Kind::from_plural("apps", "deployments"),
            Some(Kind::Deployment)
        );
        assert_eq!(Kind::from_plural("apps", "pods"), None);
        assert_eq!(Kind::from_plural("", "deployments"), None);
    }
}
