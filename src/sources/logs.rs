//! The log tailer: one per tail, cancelled (aborted) and respawned by the app when the user
//! tails something else. A pod tail streams each of its containers; a deployment tail watches
//! the pods of the deployment's selector, like stern: pods that appear join, pods that go away
//! are marked, and at most `max_streams` streams are open at once (the rest wait, visibly).
//! Lines come from [`LogStream`] tasks already sanitised and leave in batches (every
//! `batch_ms` or [`MAX_BATCH`] lines) through bounded channels.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use tokio::sync::mpsc::{self, Sender};
use tokio::task::JoinHandle;

use crate::cluster::ClusterConfig;
use crate::config::LogsConfig;
use crate::model::log::{LogLine, LogRequest, LogSource, LogTarget};
use crate::model::rollout::{POD_TEMPLATE_HASH, REVISION};
use crate::sources::log_stream::{LogStream, Start, StreamMsg};
use crate::update::{SourceHealth, SourceId, Update};

/// Lines per batch at most.
pub const MAX_BATCH: usize = 4096;
/// Lines queued between the stream tasks and the tailer.
const LINE_QUEUE: usize = 8192;
/// How often to try again when the target cannot be read.
const RETRY: Duration = Duration::from_secs(3);

/// Tails one target until aborted.
pub struct LogTailer {
    pub cluster: ClusterConfig,
    pub request: LogRequest,
    pub settings: LogsConfig,
    pub scope: u64,
    pub tx: Sender<Update>,
}

/// The containers of a pod, as a tail needs them.
#[derive(Debug, Clone)]
struct PodInfo {
    name: String,
    containers: Vec<String>,
    hash: Option<String>,
}

impl PodInfo {
    fn from_pod(pod: &Pod) -> PodInfo {
        PodInfo {
            name: pod.metadata.name.clone().unwrap_or_default(),
            containers: pod
                .spec
                .as_ref()
                .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_default(),
            hash: pod
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(POD_TEMPLATE_HASH).cloned()),
        }
    }
}

/// What the pod side of a tail reports.
enum PodEvent {
    Upsert(PodInfo),
    /// A (re)list is complete: these pods exist, the others are gone.
    Listed(HashSet<String>),
    Gone(String),
    Revisions(Vec<(String, u64)>),
    Failed(String),
}

/// The running tail: streams per pod, pods waiting for a slot, the batch being filled.
struct Tail {
    running: HashMap<String, Vec<JoinHandle<()>>>,
    waiting: VecDeque<PodInfo>,
    open: usize,
    batch: Vec<LogLine>,
    health: Option<SourceHealth>,
    told_limit: bool,
    out: Sender<StreamMsg>,
}

impl LogTailer {
    async fn send(&self, update: Update) -> bool {
        self.tx.send(update).await.is_ok()
    }

    async fn health(&self, health: SourceHealth) -> bool {
        let (scope, source) = (self.scope, SourceId::Logs);
        self.send(Update::SourceHealth {
            scope,
            source,
            health,
        })
        .await
    }

    async fn client(&self) -> Client {
        loop {
            match self.cluster.client(Some(&self.request.context)).await {
                Ok(c) => return c,
                Err(e) => {
                    tracing::warn!(error = %e, "logs: cannot build a Kubernetes client");
                    let (since, reason) = (Timestamp::now(), e.to_string());
                    self.health(SourceHealth::Failed { since, reason }).await;
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }

    /// Run until aborted (or the UI is gone).
    pub async fn run(self) {
        let client = self.client().await;
        let req = &self.request;
        tracing::info!(tail = req.id, target = %req.title(), "log tail started");
        let pods: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
        let events = match &req.target {
            LogTarget::Pod { name, .. } => single_pod(pods.clone(), name.clone()),
            LogTarget::Deployment { name } => deployment_pods(client, &req.namespace, name),
        };
        let (out, rx) = mpsc::channel(LINE_QUEUE);
        let mut tail = Tail {
            running: HashMap::new(),
            waiting: VecDeque::new(),
            open: 0,
            batch: Vec::new(),
            health: None,
            told_limit: false,
            out,
        };
        self.run_loop(&mut tail, &pods, events, rx).await;
        for (_, tasks) in tail.running.drain() {
            tasks.iter().for_each(JoinHandle::abort);
        }
    }

    async fn run_loop(
        &self,
        tail: &mut Tail,
        pods: &Api<Pod>,
        mut events: BoxStream<'static, PodEvent>,
        mut rx: mpsc::Receiver<StreamMsg>,
    ) {
        let batch_every = Duration::from_millis(self.settings.batch_ms.max(1));
        let mut tick = tokio::time::interval(batch_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let ok = tokio::select! {
                Some(msg) = rx.recv() => match msg {
                    StreamMsg::Line(line) => {
                        tail.batch.push(line);
                        tail.batch.len() < MAX_BATCH || self.flush(tail).await
                    }
                    StreamMsg::Health(h) if tail.health.as_ref() != Some(&h) => {
                        tail.health = Some(h.clone());
                        self.health(h).await
                    }
                    StreamMsg::Health(_) => true,
                },
                Some(event) = events.next() => self.on_event(tail, pods, event).await,
                _ = tick.tick() => self.flush(tail).await,
            };
            if !ok {
                return;
            }
        }
    }

    async fn flush(&self, tail: &mut Tail) -> bool {
        if tail.batch.is_empty() {
            return true;
        }
        let lines = std::mem::take(&mut tail.batch);
        self.send(Update::LogLines {
            tail: self.request.id,
            lines,
        })
        .await
    }

    async fn on_event(&self, tail: &mut Tail, pods: &Api<Pod>, event: PodEvent) -> bool {
        match event {
            PodEvent::Upsert(pod) => {
                if tail.running.contains_key(&pod.name)
                    || tail.waiting.iter().any(|w| w.name == pod.name)
                {
                    return true;
                }
                tail.waiting.push_back(pod);
            }
            PodEvent::Listed(names) => {
                let gone: Vec<String> = tail
                    .running
                    .keys()
                    .filter(|n| !names.contains(*n))
                    .cloned()
                    .collect();
                for name in gone {
                    self.gone(tail, &name);
                }
                tail.waiting.retain(|p| names.contains(&p.name));
            }
            PodEvent::Gone(name) => {
                self.gone(tail, &name);
                tail.waiting.retain(|p| p.name != name);
            }
            PodEvent::Revisions(revisions) => {
                let tail_id = self.request.id;
                return self
                    .send(Update::LogRevisions {
                        tail: tail_id,
                        revisions,
                    })
                    .await;
            }
            PodEvent::Failed(reason) => {
                let since = Timestamp::now();
                let h = SourceHealth::Reconnecting {
                    since,
                    attempt: 1,
                    reason,
                };
                tail.health = Some(h.clone());
                return self.health(h).await;
            }
        }
        self.start_waiting(tail, pods);
        let (tail_id, active, waiting) = (self.request.id, tail.running.len(), tail.waiting.len());
        self.send(Update::LogStreams {
            tail: tail_id,
            active,
            waiting,
        })
        .await
    }

    /// Stop a pod's streams and mark it in the log.
    fn gone(&self, tail: &mut Tail, name: &str) {
        let Some(tasks) = tail.running.remove(name) else {
            return;
        };
        tail.open = tail.open.saturating_sub(tasks.len());
        tasks.iter().for_each(JoinHandle::abort);
        let source = Arc::new(self.source(name, "", None, 1));
        let note = LogLine::note(source, Some(Timestamp::now()), format!("pod {name} gone"));
        tail.batch.push(note);
    }

    fn source(&self, pod: &str, container: &str, hash: Option<String>, n: usize) -> LogSource {
        let deployment = match &self.request.target {
            LogTarget::Deployment { name } => Some(name.as_str()),
            LogTarget::Pod { .. } => None,
        };
        let ns = &self.request.namespace;
        LogSource::new(ns, pod, container, hash, deployment, n)
    }

    /// Start streams of waiting pods while the stream limit allows.
    fn start_waiting(&self, tail: &mut Tail, pods: &Api<Pod>) {
        let limit = self.settings.max_streams.max(1);
        while let Some(pod) = tail.waiting.front() {
            let containers = self.containers_of(pod);
            if tail.open > 0 && tail.open + containers.len() > limit {
                if !tail.told_limit {
                    tail.told_limit = true;
                    let text = format!(
                        "stream limit ({limit}) reached: further pods wait (logs.max_streams)"
                    );
                    let source = Arc::new(self.source(&pod.name, "", None, 1));
                    tail.batch
                        .push(LogLine::note(source, Some(Timestamp::now()), text));
                }
                return;
            }
            let Some(pod) = tail.waiting.pop_front() else {
                return;
            };
            let tasks = self.spawn_streams(&pod, &containers, pods, &tail.out);
            tail.open += tasks.len();
            tail.running.insert(pod.name.clone(), tasks);
        }
    }

    /// The containers to stream: the chosen one, else all.
    fn containers_of(&self, pod: &PodInfo) -> Vec<String> {
        match &self.request.target {
            LogTarget::Pod {
                container: Some(c), ..
            } => vec![c.clone()],
            _ => pod.containers.clone(),
        }
    }

    fn spawn_streams(
        &self,
        pod: &PodInfo,
        containers: &[String],
        api: &Api<Pod>,
        out: &Sender<StreamMsg>,
    ) -> Vec<JoinHandle<()>> {
        let s = &self.settings;
        let start = Start {
            tail_lines: s.since.is_none().then_some(i64::from(s.tail_lines)),
            since_seconds: s.since.map(|d| d.0.as_secs() as i64),
        };
        let pod_target = matches!(self.request.target, LogTarget::Pod { .. });
        containers
            .iter()
            .map(|c| {
                let source = self.source(&pod.name, c, pod.hash.clone(), pod.containers.len());
                let stream = LogStream {
                    api: api.clone(),
                    source: Arc::new(source),
                    name_container: pod.containers.len() != 1,
                    previous: self.request.previous,
                    start,
                    max_line_bytes: s.max_line_bytes,
                    note_gone: pod_target,
                    out: out.clone(),
                };
                tokio::spawn(stream.run())
            })
            .collect()
    }
}

/// A pod tail: read the pod once (retrying until it can be read) for its containers.
fn single_pod(api: Api<Pod>, name: String) -> BoxStream<'static, PodEvent> {
    let read = async move {
        loop {
            match api.get(&name).await {
                Ok(pod) => return PodEvent::Upsert(PodInfo::from_pod(&pod)),
                Err(e) => {
                    tracing::warn!(pod = %name, error = %e, "logs: cannot read the pod");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    };
    futures::stream::once(read)
        .chain(futures::stream::pending())
        .boxed()
}

/// A deployment tail: its pods (by the deployment's selector) and ReplicaSet revisions.
fn deployment_pods(client: Client, ns: &str, name: &str) -> BoxStream<'static, PodEvent> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let rss: Api<ReplicaSet> = Api::namespaced(client, ns);
    let name = name.to_string();
    let selector = async move {
        loop {
            let found = deployments.get(&name).await.map_err(|e| e.to_string());
            let selector = found.and_then(|d| {
                let s = d.spec.map(|s| s.selector).unwrap_or_default();
                kube::core::Selector::try_from(s).map_err(|e| e.to_string())
            });
            match selector {
                Ok(s) => return s,
                Err(e) => {
                    tracing::warn!(deployment = %name, error = %e, "logs: cannot read the deployment");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    };
    futures::stream::once(selector)
        .flat_map(move |selector| {
            let config = watcher::Config::default().labels_from(&selector);
            let pod_events = pod_watch(pods.clone(), config.clone());
            let revisions = revision_watch(rss.clone(), config);
            futures::stream::select(pod_events, revisions)
        })
        .boxed()
}

fn pod_watch(api: Api<Pod>, config: watcher::Config) -> BoxStream<'static, PodEvent> {
    let mut listing: Option<HashSet<String>> = None;
    watcher::watcher(api, config)
        .default_backoff()
        .map(move |event| match event {
            Ok(Event::Init) => {
                listing = Some(HashSet::new());
                None
            }
            Ok(Event::InitApply(pod)) => {
                let info = PodInfo::from_pod(&pod);
                if let Some(l) = &mut listing {
                    l.insert(info.name.clone());
                }
                Some(PodEvent::Upsert(info))
            }
            Ok(Event::InitDone) => listing.take().map(PodEvent::Listed),
            Ok(Event::Apply(pod)) => Some(PodEvent::Upsert(PodInfo::from_pod(&pod))),
            Ok(Event::Delete(pod)) => Some(PodEvent::Gone(pod.metadata.name.unwrap_or_default())),
            Err(e) => Some(PodEvent::Failed(e.to_string())),
        })
        .filter_map(futures::future::ready)
        .boxed()
}

/// Revision by pod-template-hash of every ReplicaSet of the selector, sent whole on change.
fn revision_watch(api: Api<ReplicaSet>, config: watcher::Config) -> BoxStream<'static, PodEvent> {
    let mut map: HashMap<String, u64> = HashMap::new();
    watcher::watcher(api, config)
        .default_backoff()
        .applied_objects()
        .map_ok(move |rs| {
            let meta = rs.metadata;
            let hash = meta.labels.and_then(|l| l.get(POD_TEMPLATE_HASH).cloned());
            let revision = meta
                .annotations
                .and_then(|a| a.get(REVISION).and_then(|r| r.parse::<u64>().ok()));
            match (hash, revision) {
                (Some(h), Some(r)) if map.get(&h) != Some(&r) => {
                    map.insert(h, r);
                    Some(PodEvent::Revisions(
                        map.iter().map(|(h, r)| (h.clone(), *r)).collect(),
                    ))
                }
                _ => None,
            }
        })
        .filter_map(|r| futures::future::ready(r.ok().flatten()))
        .boxed()
}
