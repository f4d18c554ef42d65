//! The alert poller, the metrics poller and the silence commands against Debian's real
//! Prometheus 2.42 and Alertmanager 0.25, started on loopback by the harness.

mod keys;
mod promstack;

use keys::Press;
use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::action::{Action, Pane};
use opsdeck::cluster::ClusterConfig;
use opsdeck::command::{Command, CommandRequest};
use opsdeck::config::alerts::{ServiceConfig, SignalQuery};
use opsdeck::exec::Executor;
use opsdeck::http::{HttpClient, HttpOptions};
use opsdeck::model::alert::{AlertRow, AlertState, Severity};
use opsdeck::sources::alerts::AlertEndpoint;
use opsdeck::sources::{AlertPoller, MetricsPoller};
use opsdeck::state::ui::Overlay;
use opsdeck::state::{AppState, Effect};
use opsdeck::update::{Outcome, SourceHealth, SourceId, Update};
use promstack::Stack;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const PATIENCE: Duration = Duration::from_secs(60);

fn http() -> HttpClient {
    HttpClient::new(&HttpOptions {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        ..HttpOptions::default()
    })
    .unwrap()
}

/// Aborts the task on drop (also when the test fails).
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn poll(
    endpoints: Vec<AlertEndpoint>,
    prometheus: Option<String>,
) -> (Task, mpsc::Receiver<Update>) {
    let (tx, rx) = mpsc::channel(256);
    let poller = AlertPoller {
        http: http(),
        endpoints,
        prometheus_url: prometheus,
        interval: Duration::from_secs(1),
        max_backoff: Duration::from_secs(2),
        scope: 1,
        tx,
    };
    (Task(tokio::spawn(poller.run())), rx)
}

/// Receive updates until `done` says so; panics after [`PATIENCE`].
async fn until<T>(
    rx: &mut mpsc::Receiver<Update>,
    what: &str,
    mut done: impl FnMut(&Update) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let update = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("poller stopped");
        if let Some(t) = done(&update) {
            return t;
        }
    }
}

fn summary(rows: &[AlertRow]) -> BTreeMap<String, (Severity, AlertState)> {
    rows.iter()
        .map(|r| (r.name.clone(), (r.severity.clone(), r.state)))
        .collect()
}

fn fetched_with(n: usize) -> impl FnMut(&Update) -> Option<Vec<AlertRow>> {
    move |u| match u {
        Update::AlertsFetched { alerts, .. } if alerts.len() == n => Some(alerts.clone()),
        _ => None,
    }
}

fn am_endpoint(url: &str) -> Vec<AlertEndpoint> {
    AlertEndpoint::select(&[url.to_string()], None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_feed_shows_exactly_the_firing_alerts() {
    let mut stack = Stack::start(true).await;
    let am = stack.alertmanager().url.clone();
    let (_task, mut rx) = poll(am_endpoint(&am), None);
    until(&mut rx, "Alertmanager live", |u| {
        matches!(
            u,
            Update::SourceHealth {
                source: SourceId::Alertmanager,
                health: SourceHealth::Live,
                ..
            }
        )
        .then_some(())
    })
    .await;
    let rows = until(&mut rx, "3 alerts from Alertmanager", fetched_with(3)).await;
    assert_eq!(
        summary(&rows),
        BTreeMap::from([
            (
                "CertExpiresSoon".into(),
                (Severity::Info, AlertState::Firing)
            ),
            (
                "CheckoutDown".into(),
                (Severity::Critical, AlertState::Firing)
            ),
            (
                "HighLatency".into(),
                (Severity::Warning, AlertState::Firing)
            ),
        ]),
        "pending alerts never reach Alertmanager"
    );
    let down = rows.iter().find(|r| r.name == "CheckoutDown").unwrap();
    assert_eq!(down.source, am);
    assert_eq!(
        down.runbook_url.as_deref(),
        Some("https://runbooks.example.com/checkout/CheckoutDown")
    );
    assert_eq!(
        down.telling_labels_text(),
        "namespace=checkout service=checkout-api"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_only_mode_shows_firing_and_pending_and_rules() {
    let stack = Stack::start(false).await;
    let prom = stack.prometheus.url.clone();
    let endpoints = AlertEndpoint::select(&[], Some(&prom));
    let (_task, mut rx) = poll(endpoints, Some(prom.clone()));
    let rows = until(&mut rx, "4 alerts from Prometheus", fetched_with(4)).await;
    assert_eq!(
        summary(&rows),
        BTreeMap::from([
            (
                "CertExpiresSoon".into(),
                (Severity::Info, AlertState::Firing)
            ),
            (
                "CheckoutDown".into(),
                (Severity::Critical, AlertState::Firing)
            ),
            (
                "DiskFillingUp".into(),
                (Severity::Warning, AlertState::Pending)
            ),
            (
                "HighLatency".into(),
                (Severity::Warning, AlertState::Firing)
            ),
        ])
    );
    assert!(rows.iter().all(|r| r.source == prom));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_give_the_expression_for_the_detail() {
    let stack = Stack::start(false).await;
    let prom = stack.prometheus.url.clone();
    let (_task, mut rx) = poll(AlertEndpoint::select(&[], Some(&prom)), Some(prom));
    let rules = until(&mut rx, "rules", |u| match u {
        Update::AlertRulesFetched { rules, .. } if !rules.is_empty() => Some(rules.clone()),
        _ => None,
    })
    .await;
    let disk = rules.iter().find(|r| r.name == "DiskFillingUp").unwrap();
    assert_eq!((disk.expr.as_str(), disk.for_seconds), ("vector(1)", 600.0));
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Feed updates into the state until the alert named `name` has `state`.
async fn until_state(
    rx: &mut mpsc::Receiver<Update>,
    app: &mut AppState,
    name: &str,
    state: AlertState,
) {
    let what = format!("{name} {state:?}");
    until(rx, &what, |u| {
        app.apply(u.clone());
        let row = app
            .alerts
            .window(0, usize::MAX)
            .find(|v| v.row.name == name)?;
        (row.row.state == state && row.resolved_at.is_none()).then_some(())
    })
    .await;
}

/// The command a confirmed dialog hands to the executor.
fn confirmed(app: &mut AppState) -> CommandRequest {
    let effects = app.handle(Action::Confirm);
    match effects.as_slice() {
        [Effect::Run(req)] => req.clone(),
        other => panic!("expected one command, got {other:?}"),
    }
}

async fn run_command(readonly: bool, req: CommandRequest) -> Outcome {
    let (tx, mut rx) = mpsc::channel(16);
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let executor = Executor {
        cluster: ClusterConfig::default(),
        readonly,
        audit: None,
        tx,
        http: Some(http()),
        links: Default::default(),
    };
    let _task = Task(tokio::spawn(executor.run(cmd_rx)));
    cmd_tx.send(req).await.unwrap();
    loop {
        match tokio::time::timeout(PATIENCE, rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            Update::CommandFinished { outcome, .. } => return outcome,
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_created_and_expired_through_the_executor() {
    let mut stack = Stack::start(true).await;
    let am = stack.alertmanager().url.clone();
    let (_task, mut rx) = poll(am_endpoint(&am), None);
    let mut app = AppState::new("test-ctx".into(), None, jiff::Timestamp::now());
    app.alerts.settings.enabled = true;
    app.alerts.settings.alertmanagers = vec![am.clone()];
    app.alerts.settings.created_by = "ci".into();
    app.handle(Action::FocusAlerts);
    until_state(&mut rx, &mut app, "HighLatency", AlertState::Firing).await;

    // Select HighLatency, press s, keep only alertname, write a comment, review, confirm.
    let at = app
        .alerts
        .window(0, usize::MAX)
        .position(|v| v.row.name == "HighLatency")
        .unwrap();
    app.alerts.select(at);
    app.handle(Action::Silence);
    let Overlay::Silence(form) = &app.ui.overlay else {
        panic!("{:?}", app.ui.overlay)
    };
    let keep = form
        .matchers
        .iter()
        .position(|(k, _, _)| k == "alertname")
        .unwrap();
    let n = form.matchers.len();
    // The cursor starts on the duration; go up to the first label, toggle all but alertname.
    for _ in 0..n {
        app.press(key(KeyCode::Up));
    }
    for i in 0..n {
        if i != keep {
            app.press(key(KeyCode::Char(' ')));
        }
        app.press(key(KeyCode::Down));
    }
    app.press(key(KeyCode::Down)); // duration → comment
    for c in "deploy in progress".chars() {
        app.press(key(KeyCode::Char(c)));
    }
    app.press(key(KeyCode::Enter));
    let req = confirmed(&mut app);
    let Command::CreateSilence { silence, .. } = &req.command else {
        panic!("{req:?}")
    };
    assert_eq!(silence.matchers.len(), 1);
    assert_eq!(silence.matchers[0].to_string(), "alertname=\"HighLatency\"");
    assert_eq!(silence.duration, Duration::from_secs(3600));
    assert_eq!(silence.comment, "deploy in progress");

    // Read-only: refused where it is executed.
    let refused = run_command(true, req.clone()).await;
    assert!(
        matches!(refused, Outcome::Refused(ref m) if m.contains("read-only")),
        "{refused:?}"
    );

    let outcome = run_command(false, req).await;
    assert!(
        matches!(outcome, Outcome::Done(ref m) if m.contains("created")),
        "{outcome:?}"
    );
    until_state(&mut rx, &mut app, "HighLatency", AlertState::Silenced).await;
    let v = app
        .alerts
        .window(0, usize::MAX)
        .find(|v| v.row.name == "HighLatency")
        .unwrap();
    assert_eq!(v.row.silenced_by.len(), 1);

    // Expire it from the detail: Enter, s, y.
    let at = app
        .alerts
        .window(0, usize::MAX)
        .position(|v| v.row.name == "HighLatency")
        .unwrap();
    app.alerts.select(at);
    app.handle(Action::Open);
    assert!(matches!(app.ui.overlay, Overlay::AlertDetail { .. }));
    app.handle(Action::Silence);
    let req = confirmed(&mut app);
    assert!(
        matches!(req.command, Command::ExpireSilence { .. }),
        "{req:?}"
    );
    let outcome = run_command(false, req).await;
    assert!(
        matches!(outcome, Outcome::Done(ref m) if m.contains("expired")),
        "{outcome:?}"
    );
    until_state(&mut rx, &mut app, "HighLatency", AlertState::Firing).await;
    assert_eq!(app.ui.focus, Pane::Alerts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_is_reconnecting_with_last_alerts_then_live_again() {
    let mut stack = Stack::start(false).await;
    let prom = stack.prometheus.url.clone();
    let (_task, mut rx) = poll(AlertEndpoint::select(&[], Some(&prom)), None);
    let mut app = AppState::new("test-ctx".into(), None, jiff::Timestamp::now());
    app.alerts.settings.enabled = true;
    until(&mut rx, "4 alerts", |u| {
        app.apply(u.clone());
        (app.alerts.visible_len() == 4
            && app.sources.get(&SourceId::Prometheus) == Some(&SourceHealth::Live))
        .then_some(())
    })
    .await;

    stack.prometheus.stop();
    let reason = until(&mut rx, "Reconnecting", |u| {
        app.apply(u.clone());
        match app.sources.get(&SourceId::Prometheus) {
            Some(SourceHealth::Reconnecting {
                reason, attempt, ..
            }) if *attempt >= 1 => Some(reason.clone()),
            _ => None,
        }
    })
    .await;
    assert!(reason.contains("connect"), "{reason}");
    assert_eq!(
        app.alerts.visible_len(),
        4,
        "the last alerts stay on screen"
    );
    assert!(app.alerts.window(0, 4).all(|v| v.resolved_at.is_none()));

    stack.prometheus.start();
    until(&mut rx, "Live again", |u| {
        app.apply(u.clone());
        (app.sources.get(&SourceId::Prometheus) == Some(&SourceHealth::Live)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_signals_from_query_range() {
    let stack = Stack::start(false).await;
    let q = |query: &str| SignalQuery {
        query: query.into(),
        unit: "s".into(),
        warning: Some(0.3),
        critical: Some(1.0),
    };
    let (tx, mut rx) = mpsc::channel(64);
    let poller = MetricsPoller {
        http: http(),
        prometheus_url: stack.prometheus.url.clone(),
        services: vec![ServiceConfig {
            name: "checkout-api".into(),
            latency: Some(q("vector(0.42)")),
            errors: Some(q("rate(")),
            ..ServiceConfig::default()
        }],
        window: Duration::from_secs(600),
        interval: Duration::from_secs(1),
        max_backoff: Duration::from_secs(2),
        scope: 1,
        tx,
    };
    let _task = Task(tokio::spawn(poller.run()));
    let services = until(&mut rx, "signals", |u| match u {
        Update::SignalsFetched { services, .. } => Some(services.clone()),
        _ => None,
    })
    .await;
    let svc = &services[0];
    assert_eq!(svc.service, "checkout-api");
    let latency = &svc.series[0];
    assert!(latency.points.len() > 10, "{latency:?}");
    assert_eq!(latency.current(), Some(0.42));
    assert_eq!(latency.current_text(), "0.42 s");
    assert_eq!(
        latency.level(),
        opsdeck::model::signal::SignalLevel::Warning
    );
    let errors = &svc.series[1];
    assert!(errors.points.is_empty());
    assert!(
        errors
            .error
            .as_deref()
            .unwrap_or("")
            .contains("parse error"),
        "{errors:?}"
    );
}

/// Golden signals from real series: Prometheus scraping its own HTTP metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_signals_from_prometheus_scraping_itself() {
    let stack = Stack::start(false).await;
    let q = |query: &str, unit: &str| SignalQuery {
        query: query.into(),
        unit: unit.into(),
        warning: None,
        critical: None,
    };
    let (tx, mut rx) = mpsc::channel(64);
    let poller = MetricsPoller {
        http: http(),
        prometheus_url: stack.prometheus.url.clone(),
        services: vec![ServiceConfig {
            name: "prometheus".into(),
            latency: Some(q(
                "histogram_quantile(0.99, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[10s])))",
                "s",
            )),
            traffic: Some(q("sum(rate(prometheus_http_requests_total[10s]))", "req/s")),
            ..ServiceConfig::default()
        }],
        window: Duration::from_secs(300),
        interval: Duration::from_secs(1),
        max_backoff: Duration::from_secs(2),
        scope: 1,
        tx,
    };
    let _task = Task(tokio::spawn(poller.run()));
    // rate() needs two scrapes of a counter that moves (the scrapes themselves move it).
    let services = until(&mut rx, "real signals", |u| match u {
        Update::SignalsFetched { services, .. }
            if services[0].series.iter().all(|s| {
                s.error.is_none() && s.current().is_some_and(|v| v.is_finite() && v > 0.0)
            }) =>
        {
            Some(services.clone())
        }
        _ => None,
    })
    .await;
    let latency = &services[0].series[0];
    let traffic = &services[0].series[1];
    assert!(latency.current_text().ends_with(" s"), "{latency:?}");
    assert!(traffic.current_text().ends_with(" req/s"), "{traffic:?}");
    assert!(
        latency.current().unwrap() < 10.0,
        "p99 of a local server: {latency:?}"
    );
}
