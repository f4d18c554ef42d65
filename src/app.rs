//! The UI task: owns the terminal, the state and the channels; spawns the sources and the
//! executor; draws only when something visible changed, at most `max_fps` times a second.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::cluster::ClusterConfig;
use crate::command::CommandRequest;
use crate::config::keymap::{Key, Keymap};
use crate::exec::Executor;
use crate::exec::audit::AuditLog;
use crate::http::{HttpClient, HttpOptions};
use crate::sources::alerts::AlertEndpoint;
use crate::sources::{AlertPoller, LogTailer, MetricsPoller, PodWatcher, RolloutWatcher};
use crate::state::ui::Level;
use crate::state::{AppState, Effect};
use crate::terminal::{TerminalGuard, quit_signal};
use crate::ui::theme::Theme;
use crate::update::Update;

/// Everything the dashboard needs to start, already validated.
pub struct Options {
    pub cluster: ClusterConfig,
    /// `None`: the kubeconfig's current context.
    pub context: Option<String>,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub readonly: bool,
    pub theme: Theme,
    pub theme_dir: Option<PathBuf>,
    pub no_color: bool,
    pub keymap: Keymap,
    /// Shown in the status line at start (e.g. unknown action names in `[keys]`).
    pub warnings: Vec<String>,
    pub max_fps: u32,
    pub audit_log: Option<PathBuf>,
    pub alerts: AlertsOptions,
    pub logs: crate::config::LogsConfig,
}

/// The alert feed and golden signals, resolved from the config and the flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertsOptions {
    pub alertmanager_urls: Vec<String>,
    pub prometheus_url: Option<String>,
    pub interval: Duration,
    pub resolved_fade: Duration,
    pub silence_duration: Duration,
    pub created_by: String,
    /// Timeouts, auth (secrets already read), headers, TLS.
    pub http: HttpOptions,
    pub signals: crate::config::SignalsConfig,
}

/// Longest retry delay of a failing alert or metrics source.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Channel capacities: sources block (back-pressure) rather than queue without bound.
const UPDATES: usize = 4096;
const COMMANDS: usize = 64;

/// Run the dashboard until the user quits or a signal arrives.
pub async fn run(opts: Options) -> Result<()> {
    let (tx, mut rx) = mpsc::channel::<Update>(UPDATES);
    let (cmd_tx, cmd_rx) = mpsc::channel::<CommandRequest>(COMMANDS);
    let (current, contexts) = opts.cluster.contexts();
    let context = opts.context.clone().or(current).unwrap_or_default();
    let mut state = AppState::new(context, opts.namespace.clone(), Timestamp::now());
    state.contexts = contexts;
    state.readonly = opts.readonly;
    state.tz = jiff::tz::TimeZone::system();
    state.logs = crate::state::logs::LogsState::with_capacity(opts.logs.buffer_lines);
    state.logs.redactor = std::sync::Arc::new(opts.logs.redactor());
    if !opts.warnings.is_empty() {
        state
            .ui
            .set_status(opts.warnings.join("; "), Level::Error, state.now);
    }
    let http = alerts_setup(&mut state, &opts.alerts);
    let executor = Executor {
        cluster: opts.cluster.clone(),
        readonly: opts.readonly,
        audit: opts.audit_log.clone().map(|path| AuditLog { path }),
        tx: tx.clone(),
        http: http.clone(),
    };
    let exec_task = tokio::spawn(executor.run(cmd_rx));
    let mut sources = spawn_sources(&state, &opts.cluster, &tx);
    sources.extend(spawn_alert_sources(
        &state,
        &opts.alerts,
        http.as_ref(),
        &tx,
    ));

    let mut log_task: Option<JoinHandle<()>> = None;
    let mut guard = TerminalGuard::enter().wrap_err("cannot set up the terminal")?;
    let mut theme = opts.theme.clone();
    let frame = Duration::from_millis(1000 / u64::from(opts.max_fps.max(1)));
    let mut events = EventStream::new();
    let quit = quit_signal();
    tokio::pin!(quit);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let to_next_second = Duration::from_nanos(1_000_000_000 - u64::from(now.subsec_nanos()));
    let mut tick =
        tokio::time::interval_at(Instant::now() + to_next_second, Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut dirty = true;
    let mut last_draw = Instant::now() - frame;

    let result: Result<()> = loop {
        // The lists learn their heights from the layout before the next key and the next frame.
        if dirty && let Ok(size) = guard.terminal.size() {
            state.set_viewports(crate::ui::layout::viewports(&state, &theme, size.into()));
        }
        if dirty && last_draw.elapsed() >= frame {
            if let Err(e) = guard
                .terminal
                .draw(|f| crate::ui::render(f, &state, &theme, &opts.keymap))
            {
                break Err(e).wrap_err("cannot draw (terminal gone?)");
            }
            dirty = false;
            last_draw = Instant::now();
        }
        let next_frame = last_draw + frame;
        let mut effects = Vec::new();
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    dirty = true;
                    effects = if state.is_typing() {
                        state.handle_input_key(key)
                    } else {
                        let context = crate::ui::layout::key_context(&state);
                        match opts.keymap.resolve(context, Key::from_event(&key)) {
                            Some(action) => state.handle(action),
                            None => Vec::new(),
                        }
                    };
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e).wrap_err("cannot read the terminal"),
                None => break Ok(()),
            },
            Some(update) = rx.recv() => {
                dirty |= state.apply(update);
                // Drain what is already queued: a burst of watch events costs one frame.
                while let Ok(update) = rx.try_recv() {
                    dirty |= state.apply(update);
                }
            }
            _ = tick.tick() => {
                state.tick(Timestamp::now());
                dirty = true;
            }
            signal = &mut quit => {
                tracing::info!(signal = ?signal.ok(), "quit on signal");
                break Ok(());
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
        let mut quit_now = false;
        for effect in effects {
            match effect {
                Effect::Quit => quit_now = true,
                Effect::Run(req) => {
                    if cmd_tx.try_send(req).is_err() {
                        state
                            .ui
                            .set_status("too many commands in flight", Level::Error, state.now);
                    }
                }
                Effect::TailLogs(request) => {
                    let tailer = LogTailer {
                        cluster: opts.cluster.clone(),
                        request,
                        settings: opts.logs.clone(),
                        scope: state.scope,
                        tx: tx.clone(),
                    };
                    if let Some(old) = log_task.replace(tokio::spawn(tailer.run())) {
                        old.abort();
                    }
                }
                Effect::Rescope => {
                    if let Some(old) = log_task.take() {
                        old.abort();
                    }
                    abort_all(&mut sources);
                    sources = spawn_sources(&state, &opts.cluster, &tx);
                    sources.extend(spawn_alert_sources(
                        &state,
                        &opts.alerts,
                        http.as_ref(),
                        &tx,
                    ));
                }
                Effect::LoadTheme(name) => {
                    match Theme::load(&name, opts.theme_dir.as_deref(), opts.no_color) {
                        Ok(t) => theme = t,
                        Err(e) => state.ui.set_status(e.to_string(), Level::Error, state.now),
                    }
                }
            }
        }
        if quit_now {
            break Ok(());
        }
    };
    abort_all(&mut sources);
    if let Some(task) = log_task.take() {
        task.abort();
    }
    drop(guard);
    // The terminal is the user's again; commands already sent finish (or time out) and are
    // audited before the process exits. A dialog still open is simply dropped: nothing ran.
    drop(cmd_tx);
    drop(rx);
    let grace = crate::exec::COMMAND_TIMEOUT + Duration::from_secs(2);
    if tokio::time::timeout(grace, exec_task).await.is_err() {
        tracing::warn!("commands still in flight at exit were abandoned");
    }
    result
}

fn spawn_sources(
    state: &AppState,
    cluster: &ClusterConfig,
    tx: &mpsc::Sender<Update>,
) -> Vec<JoinHandle<()>> {
    tracing::info!(context = %state.context, namespace = ?state.namespace, "watching");
    let watcher = PodWatcher {
        cluster: cluster.clone(),
        context: Some(state.context.clone()).filter(|c| !c.is_empty()),
        namespace: state.namespace.clone(),
        scope: state.scope,
        tx: tx.clone(),
    };
    let rollouts = RolloutWatcher {
        cluster: cluster.clone(),
        context: Some(state.context.clone()).filter(|c| !c.is_empty()),
        namespace: state.namespace.clone(),
        scope: state.scope,
        tx: tx.clone(),
    };
    vec![tokio::spawn(watcher.run()), tokio::spawn(rollouts.run())]
}

/// Configure the alerts pane and build the shared HTTP client (`None`: nothing configured, or
/// the client cannot be built, which the status line then says).
fn alerts_setup(state: &mut AppState, alerts: &AlertsOptions) -> Option<HttpClient> {
    let enabled = !alerts.alertmanager_urls.is_empty() || alerts.prometheus_url.is_some();
    let span = |d: Duration| jiff::SignedDuration::try_from(d).unwrap_or_default();
    let settings = &mut state.alerts.settings;
    settings.enabled = enabled;
    settings.alertmanagers = alerts.alertmanager_urls.clone();
    settings.resolved_fade = span(alerts.resolved_fade);
    settings.silence_duration = span(alerts.silence_duration);
    settings.created_by = alerts.created_by.clone();
    if !enabled {
        return None;
    }
    match HttpClient::new(&alerts.http) {
        Ok(client) => Some(client),
        Err(e) => {
            tracing::error!(error = %e, "alerts disabled");
            state
                .ui
                .set_status(format!("alerts: {e}"), Level::Error, state.now);
            None
        }
    }
}

/// The alert poller and, when services are configured, the metrics poller.
fn spawn_alert_sources(
    state: &AppState,
    alerts: &AlertsOptions,
    http: Option<&HttpClient>,
    tx: &mpsc::Sender<Update>,
) -> Vec<JoinHandle<()>> {
    let Some(http) = http else { return Vec::new() };
    let mut tasks = Vec::new();
    let endpoints =
        AlertEndpoint::select(&alerts.alertmanager_urls, alerts.prometheus_url.as_deref());
    if !endpoints.is_empty() {
        let poller = AlertPoller {
            http: http.clone(),
            endpoints,
            prometheus_url: alerts.prometheus_url.clone(),
            interval: alerts.interval,
            max_backoff: MAX_BACKOFF,
            scope: state.scope,
            tx: tx.clone(),
        };
        tasks.push(tokio::spawn(poller.run()));
    }
    if let (Some(url), false) = (&alerts.prometheus_url, alerts.signals.services.is_empty()) {
        let poller = MetricsPoller {
            http: http.clone(),
            prometheus_url: url.clone(),
            services: alerts.signals.services.clone(),
            window: alerts.signals.window.0,
            interval: alerts.signals.interval.0,
            max_backoff: MAX_BACKOFF,
            scope: state.scope,
            tx: tx.clone(),
        };
        tasks.push(tokio::spawn(poller.run()));
    }
    tasks
}

fn abort_all(tasks: &mut Vec<JoinHandle<()>>) {
    for t in tasks.drain(..) {
        t.abort();
    }
}
