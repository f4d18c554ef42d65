//! The supervisor: every task the dashboard runs besides the UI loop, and the channels to them.
//! It owns the sources of the scope on screen (pod and rollout watches, alert and metrics
//! polls), the log tail and the executor with its command channel. The UI loop hands it the
//! effects of state transitions: restart the sources for a new scope, retarget the log tail,
//! run a command; on quit it stops the sources and lets the commands in flight finish.
//!
//! Every task is held so that dropping its holder stops it: the sources in a [`JoinSet`], the
//! tail in a handle that aborts on drop (the tailer holds its streams in a `JoinSet` in turn).
//! Several clusters (issue 17) become several [`WatchSet`]s, one per context, under one
//! supervisor; today there is one, for the scope on screen.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::app::AlertsOptions;
use crate::cluster::ClusterConfig;
use crate::command::CommandRequest;
use crate::config::LogsConfig;
use crate::exec::Executor;
use crate::exec::audit::AuditLog;
use crate::http::HttpClient;
use crate::model::log::LogRequest;
use crate::sources::alerts::AlertEndpoint;
use crate::sources::link::Links;
use crate::sources::{
    AlertPoller, EventWatcher, LogTailer, MetricsPoller, PodWatcher, RolloutWatcher, SloPoller,
    UsagePoller, Watch,
};
use crate::update::Update;

/// Longest retry delay of a failing alert or metrics source (without `Retry-After`): a
/// server that is back is live again within this plus one request timeout.
const MAX_BACKOFF: Duration = Duration::from_secs(3);

/// SLO recording rules are evaluated every 30 s to 1 min: asking more often shows nothing new.
const SLO_INTERVAL: Duration = Duration::from_secs(15);

/// Channel capacities: sources block (back-pressure) rather than queue without bound.
const UPDATES: usize = 4096;
const COMMANDS: usize = 64;

/// How long commands in flight at exit may take to finish and be audited.
pub const GRACE: Duration = Duration::from_secs(crate::exec::COMMAND_TIMEOUT.as_secs() + 2);

/// What the supervisor starts tasks with, resolved from the config and the flags.
pub struct Settings {
    pub cluster: ClusterConfig,
    /// Refuse mutations (enforced by the executor).
    pub readonly: bool,
    pub audit_log: Option<PathBuf>,
    pub alerts: AlertsOptions,
    /// For the alert sources and silences; `None`: no alert source (or no client).
    pub http: Option<HttpClient>,
    pub logs: LogsConfig,
    /// `[metrics] interval`: how often CPU/MEM are polled while they are on screen.
    pub usage_interval: Duration,
}

/// What the sources watch: a context and a namespace, and the tag of their updates (updates
/// of an older scope, still queued after a rescope, are dropped by the state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Empty: the kubeconfig's current context.
    pub context: String,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub tag: u64,
}

/// The command channel to the executor is full (or the executor is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many commands in flight")]
pub struct Busy;

/// The sources of one scope; dropping the set stops them.
pub struct WatchSet {
    pub scope: Scope,
    tasks: JoinSet<()>,
}

impl WatchSet {
    /// Start the pod and rollout watches of `scope` and, when configured, the alert and
    /// metrics polls.
    fn start(
        scope: Scope,
        settings: &Settings,
        (links, usage): (&Links, &watch::Sender<bool>),
        tx: &Sender<Update>,
    ) -> WatchSet {
        tracing::info!(context = %scope.context, namespace = ?scope.namespace, "watching");
        let mut tasks = JoinSet::new();
        let context = Some(scope.context.clone()).filter(|c| !c.is_empty());
        let watch = Watch {
            cluster: settings.cluster.clone(),
            context,
            namespace: scope.namespace.clone(),
            scope: scope.tag,
            tx: tx.clone(),
            links: links.clone(),
        };
        tasks.spawn(
            EventWatcher {
                watch: watch.clone(),
                redactor: std::sync::Arc::new(settings.logs.redactor()),
            }
            .run(),
        );
        tasks.spawn(
            RolloutWatcher {
                watch: watch.clone(),
            }
            .run(),
        );
        // CPU/MEM from metrics.k8s.io: listing every pod's metrics every 15 s whatever is on
        // screen cost 1.0% of a core and +40 MB at 10,000 pods (idle 0.35% without it), so
        // the poller lists only while the pods pane has room for the columns.
        tasks.spawn(
            UsagePoller {
                watch: watch.clone(),
                interval: settings.usage_interval,
                wanted: usage.subscribe(),
            }
            .run(),
        );
        tasks.spawn(PodWatcher { watch }.run());
        if let Some(http) = &settings.http {
            spawn_alert_sources(&mut tasks, &settings.alerts, http, scope.tag, tx);
        }
        WatchSet { scope, tasks }
    }

    /// Stop every source of the set (dropping the set does the same).
    fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

/// The alert poller and, when services are configured, the metrics poller.
fn spawn_alert_sources(
    tasks: &mut JoinSet<()>,
    alerts: &AlertsOptions,
    http: &HttpClient,
    scope: u64,
    tx: &Sender<Update>,
) {
    let endpoints =
        AlertEndpoint::select(&alerts.alertmanager_urls, alerts.prometheus_url.as_deref());
    if !endpoints.is_empty() {
        let poller = AlertPoller {
            http: http.clone(),
            endpoints,
            prometheus_url: alerts.prometheus_url.clone(),
            interval: alerts.interval,
            max_backoff: MAX_BACKOFF,
            scope,
            tx: tx.clone(),
        };
        tasks.spawn(poller.run());
    }
    if let Some(url) = &alerts.prometheus_url {
        let poller = SloPoller {
            http: http.clone(),
            prometheus_url: url.clone(),
            declared: alerts.slos.clone(),
            interval: alerts.interval.max(SLO_INTERVAL),
            max_backoff: MAX_BACKOFF,
            scope,
            tx: tx.clone(),
        };
        tasks.spawn(poller.run());
    }
    if let (Some(url), false) = (&alerts.prometheus_url, alerts.signals.services.is_empty()) {
        let poller = MetricsPoller {
            http: http.clone(),
            prometheus_url: url.clone(),
            services: alerts.signals.services.clone(),
            window: alerts.signals.window.0,
            interval: alerts.signals.interval.0,
            max_backoff: MAX_BACKOFF,
            scope,
            tx: tx.clone(),
        };
        tasks.spawn(poller.run());
    }
}

/// A task aborted when its holder drops it (a `JoinHandle` dropped detaches its task).
struct Task(JoinHandle<()>);

impl Task {
    fn spawn(future: impl Future<Output = ()> + Send + 'static) -> Task {
        Task(tokio::spawn(future))
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Owner of every task besides the UI loop.
pub struct Supervisor {
    settings: Settings,
    updates: Sender<Update>,
    commands: Sender<CommandRequest>,
    executor: JoinHandle<()>,
    watches: WatchSet,
    log_tail: Option<Task>,
    /// What the watches know of each API server; the executor reads it too.
    links: Links,
    /// Whether the CPU/MEM columns have room on screen (the usage poller waits while not).
    usage: watch::Sender<bool>,
}

impl Supervisor {
    /// Start the executor and the sources of `scope`. Returns the supervisor and the receiver
    /// of every update (sources, log tail, executor) for the UI loop.
    pub fn start(settings: Settings, scope: Scope) -> (Supervisor, Receiver<Update>) {
        let (updates, rx) = mpsc::channel(UPDATES);
        let (commands, cmd_rx) = mpsc::channel(COMMANDS);
        let links = Links::default();
        let executor = Executor {
            links: links.clone(),
            cluster: settings.cluster.clone(),
            readonly: settings.readonly,
            audit: settings.audit_log.clone().map(|path| AuditLog { path }),
            tx: updates.clone(),
            http: settings.http.clone(),
        };
        let executor = tokio::spawn(executor.run(cmd_rx));
        let usage = watch::Sender::new(false);
        let watches = WatchSet::start(scope, &settings, (&links, &usage), &updates);
        let supervisor = Supervisor {
            settings,
            updates,
            commands,
            executor,
            watches,
            log_tail: None,
            links,
            usage,
        };
        (supervisor, rx)
    }

    /// The scope the sources watch.
    pub fn scope(&self) -> &Scope {
        &self.watches.scope
    }

    /// Hand a command to the executor (never waits: a full channel is an error to show).
    pub fn run_command(&self, request: CommandRequest) -> Result<(), Busy> {
        self.commands.try_send(request).map_err(|_| Busy)
    }

    /// Namespace or context changed: stop the tail and the sources, start those of `scope`.
    pub fn rescope(&mut self, scope: Scope) {
        self.log_tail = None;
        self.watches.stop();
        let shared = (&self.links, &self.usage);
        self.watches = WatchSet::start(scope, &self.settings, shared, &self.updates);
    }

    /// Whether the CPU/MEM columns have room on screen: the usage poller lists PodMetrics
    /// only while they do.
    pub fn want_usage(&self, wanted: bool) {
        self.usage
            .send_if_modified(|w| std::mem::replace(w, wanted) != wanted);
    }

    /// Tail `request` instead of what was tailed (every stream of the old tail ends).
    pub fn tail(&mut self, request: LogRequest) {
        let tailer = LogTailer {
            cluster: self.settings.cluster.clone(),
            request,
            settings: self.settings.logs.clone(),
            scope: self.watches.scope.tag,
            tx: self.updates.clone(),
            links: self.links.clone(),
        };
        self.log_tail = Some(Task::spawn(tailer.run()));
    }

    /// Write `contents` to `path` atomically, off the UI thread; the result comes back as
    /// [`Update::ExportWritten`].
    pub fn export(&self, path: std::path::PathBuf, contents: String) {
        let tx = self.updates.clone();
        tokio::spawn(async move {
            let target = path.clone();
            let result = tokio::task::spawn_blocking(move || {
                crate::export::write_atomically(&target, contents.as_bytes())
            })
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
            .map_err(|e| e.to_string());
            let _ = tx.send(Update::ExportWritten { path, result }).await;
        });
    }

    /// Stop the sources and the tail now and close the command channel. The returned future
    /// waits (at most [`GRACE`]) for the commands already sent to finish and be audited; the
    /// receiver of updates should be dropped before awaiting it, so that the executor never
    /// blocks on a full channel.
    pub fn shutdown(self) -> impl Future<Output = ()> {
        let Supervisor {
            mut watches,
            log_tail,
            commands,
            executor,
            ..
        } = self;
        drop(log_tail);
        watches.stop();
        drop(commands);
        async move {
            if tokio::time::timeout(GRACE, executor).await.is_err() {
                tracing::warn!("commands still in flight at exit were abandoned");
            }
        }
    }
}
