//! The UI task: owns the terminal and the state; hands effects to the [`Supervisor`], which owns
//! every other task. Draws only when something visible changed: after a key at most `max_fps`
//! times a second, after data alone (watch events, polls, the clock) at most `data_fps` times.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEvent, KeyEventKind};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc::Receiver;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::cluster::ClusterConfig;
use crate::config::keymap::{Key, Keymap};
use crate::http::{HttpClient, HttpOptions};
use crate::state::ui::Level;
use crate::state::{AppState, Effect};
use crate::supervisor::{Scope, Settings, Supervisor};
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
    /// Frame cap for changes that come from data alone.
    pub data_fps: u32,
    pub audit_log: Option<PathBuf>,
    pub alerts: AlertsOptions,
    pub logs: crate::config::LogsConfig,
    /// `[metrics] interval`.
    pub usage_interval: std::time::Duration,
    /// `[timeline] max_entries`.
    pub timeline_entries: usize,
    /// `--present`: start in presentation mode.
    pub present: bool,
    /// `[presentation] redact`: extra patterns hidden while presenting.
    pub presentation_redact: Vec<String>,
    /// `[safety] protected_contexts`.
    pub protected_contexts: Vec<String>,
    /// `[safety] arm_minutes`.
    pub arm_minutes: u32,
    /// `[incident] auto_start`.
    pub auto_incident: bool,
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
    /// `[correlate]`: extra labels that name an object.
    pub correlate: Vec<crate::model::correlate::Mapping>,
    /// Timeouts, auth (secrets already read), headers, TLS.
    pub http: HttpOptions,
    pub signals: crate::config::SignalsConfig,
    /// `[[slo]]`: SLOs declared in the config.
    pub slos: Vec<crate::config::slo::DeclaredSlo>,
}

/// Run the dashboard until the user quits or a signal arrives.
pub async fn run(opts: Options) -> Result<()> {
    let mut state = initial_state(&opts);
    let http = alerts_setup(&mut state, &opts.alerts);
    let settings = Settings {
        cluster: opts.cluster.clone(),
        readonly: opts.readonly,
        audit_log: opts.audit_log.clone(),
        alerts: opts.alerts.clone(),
        http,
        logs: opts.logs.clone(),
        usage_interval: opts.usage_interval,
    };
    let (supervisor, updates) = Supervisor::start(settings, scope_of(&state));
    let guard = TerminalGuard::enter().wrap_err("cannot set up the terminal")?;
    let mut dashboard = Dashboard {
        frames: Frames::new(opts.max_fps, opts.data_fps),
        trim: false,
        theme: opts.theme.clone(),
        theme_before: None,
        screen: crate::ui::Screen::default(),
        opts,
        state,
        supervisor,
        updates,
        guard,
    };
    let result = dashboard.run().await;
    let Dashboard {
        supervisor,
        updates,
        guard,
        ..
    } = dashboard;
    let in_flight = supervisor.shutdown();
    drop(guard);
    // The terminal is the user's again; commands already sent finish (or time out) and are
    // audited before the process exits. A dialog still open is simply dropped: nothing ran.
    drop(updates);
    in_flight.await;
    result
}

/// The state at start: context, namespace, settings of the panes, warnings to show.
fn initial_state(opts: &Options) -> AppState {
    let (current, contexts) = opts.cluster.contexts();
    let context = opts.context.clone().or(current).unwrap_or_default();
    let mut state = AppState::new(context, opts.namespace.clone(), Timestamp::now());
    state.contexts = contexts;
    state.readonly = opts.readonly;
    state.tz = jiff::tz::TimeZone::system();
    state.logs = crate::state::logs::LogsState::with_capacity(opts.logs.buffer_lines);
    state.logs.redactor = std::sync::Arc::new(opts.logs.redactor());
    state.timeline = crate::state::timeline::TimelineState::with_max(opts.timeline_entries);
    let servers = opts.cluster.servers();
    let servers: Vec<&str> = servers.iter().map(String::as_str).collect();
    state.present.redactor = std::sync::Arc::new(crate::redact::Redactor::presentation(
        &servers,
        &opts.logs.redact,
        &opts.presentation_redact,
    ));
    state.safety.protected = opts.protected_contexts.clone();
    state.safety.arm_minutes = opts.arm_minutes;
    state.safety.auto_incident = opts.auto_incident;
    if !opts.warnings.is_empty() {
        state
            .ui
            .set_status(opts.warnings.join("; "), Level::Error, state.now);
    }
    state
}

/// What the sources of `state` watch.
fn scope_of(state: &AppState) -> Scope {
    Scope {
        context: state.context.clone(),
        namespace: state.namespace.clone(),
        tag: state.scope,
    }
}

/// The UI loop's own parts; everything else runs under the supervisor.
struct Dashboard {
    opts: Options,
    state: AppState,
    theme: Theme,
    /// The theme to go back to when presentation mode ends.
    theme_before: Option<Theme>,
    /// The frozen picture (`F`), kept between frames.
    screen: crate::ui::Screen,
    supervisor: Supervisor,
    updates: Receiver<Update>,
    guard: TerminalGuard,
    frames: Frames,
    /// A list arrived: give the memory its parsing freed back on the next tick.
    trim: bool,
}

impl Dashboard {
    /// Until quit: wake on a key, an update, the clock or a frame due; draw when dirty.
    async fn run(&mut self) -> Result<()> {
        let mut events = EventStream::new();
        let quit = quit_signal();
        tokio::pin!(quit);
        let mut clock = clock();
        if self.opts.present {
            let effects = self.state.handle(crate::action::Action::TogglePresentation);
            let _ = self.perform(effects);
        }
        loop {
            self.lay_out();
            self.draw_if_due()?;
            let effects = tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => self.on_terminal(event),
                    Some(Err(e)) => return Err(e).wrap_err("cannot read the terminal"),
                    None => return Ok(()),
                },
                Some(update) = self.updates.recv() => self.on_updates(update),
                _ = clock.tick() => self.on_tick(),
                signal = &mut quit => {
                    tracing::info!(signal = ?signal.ok(), "quit on signal");
                    return Ok(());
                }
                _ = tokio::time::sleep_until(self.frames.next()), if self.frames.dirty() => Vec::new(),
            };
            if self.perform(effects).is_break() {
                return Ok(());
            }
        }
    }

    /// The lists learn their heights from the layout, before the next key and the next frame.
    fn lay_out(&mut self) {
        if self.frames.dirty()
            && let Ok(size) = self.guard.terminal.size()
        {
            let (theme, keymap) = (&self.theme, &self.opts.keymap);
            let viewports = crate::ui::layout::viewports(&self.state, theme, keymap, size.into());
            self.state.set_viewports(viewports);
        }
    }

    fn draw_if_due(&mut self) -> Result<()> {
        if !self.frames.is_due(Instant::now()) {
            return Ok(());
        }
        let (state, theme, keymap) = (&self.state, &self.theme, &self.opts.keymap);
        let mut drawn = crate::ui::Drawn::default();
        let screen = &mut self.screen;
        (self.guard.terminal)
            .draw(|f| drawn = screen.draw(f, state, theme, keymap))
            .wrap_err("cannot draw (terminal gone?)")?;
        self.frames.drawn(Instant::now());
        // CPU/MEM are polled only while the pods pane has room for them.
        self.supervisor.want_usage(drawn.usage_room);
        Ok(())
    }

    fn on_terminal(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                self.frames.urgent = true;
                self.on_key(key)
            }
            Event::Resize(width, height) => {
                self.on_resize(width, height);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        handle_key(&mut self.state, &self.opts.keymap, &key)
    }

    /// The terminal changed size: the next frame is drawn at the new size.
    fn on_resize(&mut self, _width: u16, _height: u16) {
        self.frames.urgent = true;
    }

    /// Apply `first` and everything already queued: a burst of watch events costs one frame.
    fn on_updates(&mut self, first: Update) -> Vec<Effect> {
        let mut effects = self.apply(first);
        while let Ok(update) = self.updates.try_recv() {
            effects.extend(self.apply(update));
        }
        effects
    }

    fn apply(&mut self, update: Update) -> Vec<Effect> {
        self.trim |= update.ends_a_list();
        let (changed, effects) = self.state.apply_effects(update);
        self.frames.data |= changed;
        effects
    }

    fn on_tick(&mut self) -> Vec<Effect> {
        if std::mem::take(&mut self.trim) {
            crate::memory::release_free_memory();
        }
        self.frames.data = true;
        self.state.tick(Timestamp::now())
    }

    /// Carry out what the state asked for: tasks through the supervisor, the theme here.
    /// `Break` when one of them is to quit.
    fn perform(&mut self, effects: Vec<Effect>) -> ControlFlow<()> {
        let mut flow = ControlFlow::Continue(());
        for effect in effects {
            match effect {
                Effect::Quit => flow = ControlFlow::Break(()),
                Effect::Run(request) => {
                    if let Err(busy) = self.supervisor.run_command(request) {
                        self.show_error(busy.to_string());
                    }
                }
                Effect::TailLogs(request) => self.supervisor.tail(request),
                Effect::Rescope => self.supervisor.rescope(scope_of(&self.state)),
                Effect::Export { path, contents } => self.supervisor.export(path, contents),
                Effect::Present(true) => {
                    let (dir, no_color) = (self.opts.theme_dir.as_deref(), self.opts.no_color);
                    match Theme::load("high-contrast", dir, no_color) {
                        Ok(theme) => {
                            let before = std::mem::replace(&mut self.theme, theme);
                            self.theme_before.get_or_insert(before);
                        }
                        Err(e) => self.show_error(e.to_string()),
                    }
                }
                Effect::Present(false) => {
                    if let Some(before) = self.theme_before.take() {
                        self.theme = before;
                    }
                }
                Effect::LoadTheme(name) => {
                    let (dir, no_color) = (self.opts.theme_dir.as_deref(), self.opts.no_color);
                    match Theme::load(&name, dir, no_color) {
                        Ok(theme) => self.theme = theme,
                        Err(e) => self.show_error(e.to_string()),
                    }
                }
            }
        }
        flow
    }

    fn show_error(&mut self, text: String) {
        let now = self.state.now;
        self.state.ui.set_status(text, Level::Error, now);
    }
}

/// Draw only when something visible changed, at most once every `every`; a frame the cap
/// holds back is drawn when the cap allows (the loop wakes for it), never dropped.
struct Frames {
    /// After a key or a resize: the user waits for this frame.
    every: Duration,
    /// After data alone: a burst of changes is gathered into one frame.
    data_every: Duration,
    last: Instant,
    /// A key or resize changed the screen.
    urgent: bool,
    /// Data changed the screen.
    data: bool,
}

impl Frames {
    fn new(max_fps: u32, data_fps: u32) -> Frames {
        let period = |fps: u32| Duration::from_millis(1000 / u64::from(fps.max(1)));
        let every = period(max_fps);
        let now = Instant::now();
        Frames {
            every,
            data_every: period(data_fps).max(every),
            last: now.checked_sub(every).unwrap_or(now),
            urgent: true,
            data: false,
        }
    }

    /// Something is waiting to be drawn.
    fn dirty(&self) -> bool {
        self.urgent || self.data
    }

    fn is_due(&self, now: Instant) -> bool {
        self.dirty() && now >= self.next()
    }

    fn drawn(&mut self, now: Instant) {
        self.urgent = false;
        self.data = false;
        self.last = now;
    }

    /// When the next frame may be drawn.
    fn next(&self) -> Instant {
        self.last
            + if self.urgent {
                self.every
            } else {
                self.data_every
            }
    }
}

/// A tick at every full second of the wall clock (ages, "stale since", the header clock).
fn clock() -> Interval {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let first = Instant::now() + until_next_second(now);
    let mut tick = tokio::time::interval_at(first, Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}

/// From `since_epoch` to the next full second of the wall clock.
fn until_next_second(since_epoch: Duration) -> Duration {
    Duration::from_nanos(1_000_000_000 - u64::from(since_epoch.subsec_nanos()))
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
    settings.correlate = alerts.correlate.clone();
    state.alerts.slos.prometheus = alerts.prometheus_url.clone();
    state.alerts.slos.declared = alerts.slos.clone();
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

/// A key: what it means on the current screen (the keymap, in the state's context), handled.
pub fn handle_key(state: &mut AppState, keymap: &Keymap, key: &KeyEvent) -> Vec<Effect> {
    let key = Key::from_event(key);
    match keymap.resolve_key(state.key_context(), state.is_typing(), key) {
        Some(action) => state.handle(action),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_drawn_when_dirty_at_most_once_per_frame() {
        let mut frames = Frames::new(30, 4);
        let every = frames.every;
        assert_eq!(every, Duration::from_millis(33));
        let t0 = Instant::now();
        assert!(frames.is_due(t0), "the first frame is drawn at once");
        frames.drawn(t0);
        assert!(!frames.is_due(t0 + every), "nothing changed: no frame");
        frames.urgent = true;
        let soon = t0 + every / 2;
        assert!(!frames.is_due(soon), "the cap holds the frame back");
        assert_eq!(frames.next(), t0 + every, "and the loop wakes for it");
        assert!(frames.is_due(t0 + every), "then it is drawn");
    }

    #[test]
    fn data_alone_is_drawn_at_data_fps_and_a_key_at_once() {
        let mut frames = Frames::new(30, 4);
        let t0 = Instant::now();
        frames.drawn(t0);
        frames.data = true;
        assert_eq!(frames.data_every, Duration::from_millis(250));
        assert!(
            !frames.is_due(t0 + frames.every),
            "data waits for its own cap"
        );
        assert_eq!(frames.next(), t0 + Duration::from_millis(250));
        assert!(frames.is_due(t0 + Duration::from_millis(250)));
        // A key while data waits: drawn at the key's cap, data included.
        frames.urgent = true;
        assert!(frames.is_due(t0 + frames.every));
        frames.drawn(t0 + frames.every);
        assert!(!frames.dirty(), "one frame took both");
        // data_fps above max_fps is held to max_fps.
        assert_eq!(Frames::new(10, 60).data_every, Duration::from_millis(100));
    }

    #[test]
    fn the_clock_ticks_on_the_full_second() {
        let at = |ms| until_next_second(Duration::from_millis(ms));
        assert_eq!(at(12_250), Duration::from_millis(750));
        assert_eq!(at(12_999), Duration::from_millis(1));
        assert_eq!(at(13_000), Duration::from_secs(1));
    }
}
