//! The log tailer: one per tail, cancelled (aborted) and respawned by the supervisor when the
//! user tails something else. Every stream task is held in the tailer's `JoinSet`, so that
//! aborting the tailer ends every stream it opened (quiet ones too). A pod tail streams each of its containers; a deployment tail watches
//! the pods of the deployment's selector, like stern: pods that appear join, pods that go away
//! are marked, and at most `max_streams` streams are open at once (the rest wait, visibly).
//! Lines come from [`LogStream`] tasks already sanitised and redacted and leave in batches
//! (every `batch_ms` or [`MAX_BATCH`] lines) through bounded channels. Until the first container
//! line arrives, the tail's pods' events are listed (see [`log_events`]) so the pane can show
//! why there is nothing to read.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event as KubeEvent, Pod};
use kube::{Api, Client};
use tokio::sync::mpsc::{self, Sender};
use tokio::task::{AbortHandle, JoinSet};

use crate::cluster::ClusterConfig;
use crate::config::LogsConfig;
use crate::model::event::PodEvents;
use crate::model::log::{LineKind, LogLine, LogRequest, LogSource, LogTarget};
use crate::redact::Redactor;
use crate::sources::link::Links;
use crate::sources::log_events;
use crate::sources::log_pods::{PodEvent, PodInfo, RETRY, single_pod, workload_pods};
use crate::sources::log_stream::{LogStream, Start, StreamMsg};
use crate::update::{SourceHealth, SourceId, Update};

/// Lines per batch at most.
pub const MAX_BATCH: usize = 4096;
/// Lines queued between the stream tasks and the tailer.
const LINE_QUEUE: usize = 8192;

/// Tails one target until aborted.
pub struct LogTailer {
    pub cluster: ClusterConfig,
    pub request: LogRequest,
    pub settings: LogsConfig,
    pub scope: u64,
    pub tx: Sender<Update>,
    /// Whether the API server answers, as the watches see it (shared with them).
    pub links: Links,
}

/// The running tail: streams per pod, pods waiting for a slot, the batch being filled.
struct Tail {
    /// Every stream task; dropping the set (the tailer aborted) aborts them all.
    streams: JoinSet<()>,
    running: HashMap<String, Vec<AbortHandle>>,
    waiting: VecDeque<PodInfo>,
    open: usize,
    batch: Vec<LogLine>,
    health: Option<SourceHealth>,
    told_limit: bool,
    out: Sender<StreamMsg>,
    redactor: Arc<Redactor>,
    /// A container line arrived: events are no longer needed.
    seen_logs: bool,
    events_api: Api<KubeEvent>,
    /// The events last sent.
    events: Vec<PodEvents>,
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
        let events_api = Api::namespaced(client.clone(), &req.namespace);
        let events = match &req.target {
            LogTarget::Pod { name, .. } => single_pod(pods.clone(), name.clone()),
            LogTarget::Workload { kind, name } => {
                workload_pods(client, &req.namespace, *kind, name)
            }
        };
        let (out, rx) = mpsc::channel(LINE_QUEUE);
        let mut tail = Tail {
            streams: JoinSet::new(),
            running: HashMap::new(),
            waiting: VecDeque::new(),
            open: 0,
            batch: Vec::new(),
            health: None,
            told_limit: false,
            out,
            redactor: Arc::new(self.settings.redactor()),
            seen_logs: false,
            events_api,
            events: Vec::new(),
        };
        self.run_loop(&mut tail, &pods, events, rx).await;
        tail.streams.abort_all();
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
        let first = tokio::time::Instant::now() + log_events::FIRST_AFTER;
        let mut events_tick = tokio::time::interval_at(first, log_events::EVERY);
        events_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let ok = tokio::select! {
                Some(msg) = rx.recv() => match msg {
                    StreamMsg::Line(line) => {
                        tail.seen_logs |= line.kind == LineKind::Log;
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
                // Reap the streams that ended (pod gone, previous read once).
                Some(joined) = tail.streams.join_next() => {
                    if let Err(e) = joined && e.is_panic() {
                        tracing::error!(error = %e, "log stream panicked");
                    }
                    true
                }
                _ = tick.tick() => self.flush(tail).await,
                _ = events_tick.tick(), if !tail.seen_logs => self.send_events(tail).await,
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

    /// List the events of the tail's pods; send them when they changed.
    async fn send_events(&self, tail: &mut Tail) -> bool {
        let mut pods: Vec<String> = match &self.request.target {
            LogTarget::Pod { name, .. } => vec![name.clone()],
            LogTarget::Workload { .. } => (tail.running.keys())
                .chain(tail.waiting.iter().map(|p| &p.name))
                .cloned()
                .collect(),
        };
        pods.sort_unstable();
        let ns = &self.request.namespace;
        let events = log_events::list(&tail.events_api, ns, &pods, &tail.redactor).await;
        if events == tail.events {
            return true;
        }
        tail.events = events.clone();
        let id = self.request.id;
        self.send(Update::LogEvents {
            tail: id,
            pods: events,
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
        tasks.iter().for_each(AbortHandle::abort);
        let source = Arc::new(self.source(name, "", None, 1));
        let note = LogLine::note(source, Some(Timestamp::now()), format!("pod {name} gone"));
        tail.batch.push(note);
    }

    fn source(&self, pod: &str, container: &str, hash: Option<String>, n: usize) -> LogSource {
        let deployment = match &self.request.target {
            LogTarget::Workload { name, .. } => Some(name.as_str()),
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
            let tasks = self.spawn_streams(&pod, &containers, pods, tail);
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
        tail: &mut Tail,
    ) -> Vec<AbortHandle> {
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
                    redactor: tail.redactor.clone(),
                    out: tail.out.clone(),
                    links: self.links.clone(),
                    context: self.request.context.clone(),
                };
                tail.streams.spawn(stream.run())
            })
            .collect()
    }
}
