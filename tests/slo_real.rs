//! SLOs against the real Prometheus (Debian's package): recording rules with Sloth's and
//! Pyrra's names and labels, fed by `vector()` expressions whose values the test chose, and
//! `[[slo]]` declarations computed from raw counters of an endpoint the test serves. Discovery,
//! burn math and breach marks are checked against values computed here; a declared query that
//! fails shows on its SLO; a Prometheus without SLO series says so; a silent Prometheus (a
//! blackholing proxy) makes the source stale.

mod promstack;
#[path = "common/proxy.rs"]
mod proxy;

use std::time::{Duration, Instant};

use opsdeck::config::slo::DeclaredSlo;
use opsdeck::http::{HttpClient, HttpOptions};
use opsdeck::model::slo::{BurnSeverity, Slo, SloSource};
use opsdeck::sources::SloPoller;
use opsdeck::update::{SourceHealth, SourceId, Update};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(60);

fn http() -> HttpClient {
    HttpClient::new(&HttpOptions {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        ..HttpOptions::default()
    })
    .unwrap()
}

/// A Sloth SLO's recording rules: the error ratio of each window, objective and budget.
fn sloth(id: &str, service: &str, slo: &str, objective: f64, ratios: &[(&str, f64)]) -> String {
    let labels =
        format!("{{sloth_id: {id}, sloth_service: {service}, sloth_slo: {slo}, owner: team-x}}");
    let mut out = format!("- name: sloth-slo-sli-recordings-{id}\n  interval: 1s\n  rules:\n");
    for (w, r) in ratios {
        out.push_str(&format!(
            "  - record: slo:sli_error:ratio_rate{w}\n    expr: vector({r})\n    labels: {{sloth_id: {id}, sloth_service: {service}, sloth_slo: {slo}, sloth_window: {w}}}\n"
        ));
    }
    out.push_str(&format!(
        "- name: sloth-slo-meta-recordings-{id}\n  interval: 1s\n  rules:\n\
         \x20 - record: slo:objective:ratio\n    expr: vector({objective})\n    labels: {labels}\n\
         \x20 - record: slo:error_budget:ratio\n    expr: vector(1 - {objective})\n    labels: {labels}\n\
         \x20 - record: slo:time_period:days\n    expr: vector(30)\n    labels: {labels}\n\
         \x20 - record: slo:period_error_budget_remaining:ratio\n    expr: vector(0.6)\n    labels: {labels}\n\
         \x20 - record: sloth_slo_info\n    expr: vector(1)\n    labels: {{sloth_id: {id}, sloth_service: {service}, sloth_slo: {slo}, sloth_mode: cli-gen-prom, sloth_objective: \"{}\"}}\n",
        objective * 100.0
    ));
    out
}

/// A Pyrra SLO's recording rules (`orders-errors`, 99 % over 28 days).
fn pyrra(ratios: &[(&str, f64)]) -> String {
    let mut out = "- name: orders-errors\n  interval: 1s\n  rules:\n".to_string();
    for (w, r) in ratios {
        out.push_str(&format!(
            "  - record: http_requests:burnrate{w}\n    expr: vector({r})\n    labels: {{slo: orders-errors, job: orders}}\n"
        ));
    }
    out.push_str(
        "- name: pyrra-generic\n  interval: 1s\n  rules:\n\
         \x20 - record: pyrra_objective\n    expr: vector(0.99)\n    labels: {slo: orders-errors}\n\
         \x20 - record: pyrra_window\n    expr: vector(2419200)\n    labels: {slo: orders-errors}\n\
         \x20 - record: pyrra_availability\n    expr: vector(0.995)\n    labels: {slo: orders-errors}\n",
    );
    out
}

/// A Pyrra SLO without Pyrra's generic rules (`payments-latency`, 99.5 % over 28 days): its
/// objective is only in Pyrra's alerting rule.
fn pyrra_without_generic_rules() -> String {
    let mut out = "- name: payments-latency\n  interval: 1s\n  rules:\n".to_string();
    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "4d"] {
        out.push_str(&format!(
            "  - record: http_request_duration_seconds:burnrate{w}\n    expr: vector(0.001)\n    labels: {{slo: payments-latency, job: payments}}\n"
        ));
    }
    out.push_str(
        "  - alert: ErrorBudgetBurn\n    expr: http_request_duration_seconds:burnrate5m{job=\"payments\",slo=\"payments-latency\"} > (14 * (1-0.995)) and http_request_duration_seconds:burnrate1h{job=\"payments\",slo=\"payments-latency\"} > (14 * (1-0.995))\n    for: 2m\n    labels: {slo: payments-latency, long: 1h, short: 5m, severity: critical, exhaustion: 2d}\n",
    );
    out
}

/// Counters that grow linearly with time: 99 good and 1 failed request a second, so every
/// window's error ratio is exactly 1 %.
async fn counters() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let start = Instant::now();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let t = start.elapsed().as_secs_f64() + 1.0;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let body = format!(
                    "# TYPE app_requests_total counter\n\
                     app_requests_total{{code=\"200\"}} {}\n\
                     app_requests_total{{code=\"500\"}} {}\n",
                    99.0 * t,
                    t
                );
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    (addr, task)
}

fn declared(name: &str, objective: f64, ratio: Option<&str>, good_total: bool) -> DeclaredSlo {
    DeclaredSlo {
        name: name.into(),
        service: Some("app".into()),
        objective,
        period: "30d".into(),
        error_ratio: ratio.map(str::to_string),
        good: good_total.then(|| "sum(rate(app_requests_total{code=\"200\"}[$window]))".into()),
        total: good_total.then(|| "sum(rate(app_requests_total[$window]))".into()),
    }
}

fn poller(url: &str, declared: Vec<DeclaredSlo>, tx: mpsc::Sender<Update>) -> SloPoller {
    SloPoller {
        http: http(),
        prometheus_url: url.to_string(),
        declared,
        interval: Duration::from_secs(1),
        max_backoff: Duration::from_secs(2),
        scope: 1,
        tx,
    }
}

/// Polls until `done` holds for an answer; the last answer.
async fn wait_for(
    rx: &mut mpsc::Receiver<Update>,
    what: &str,
    done: impl Fn(&[Slo]) -> bool,
) -> Vec<Slo> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(Update::SlosFetched { slos, .. })) => {
                if done(&slos) {
                    return slos;
                }
                last = slos;
            }
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => panic!("the poller stopped"),
        }
    }
    panic!("timed out waiting for {what}; last answer: {last:#?}");
}

fn by_id<'a>(slos: &'a [Slo], id: &str) -> &'a Slo {
    slos.iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("{id} not found in {slos:#?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

#[tokio::test]
async fn sloth_pyrra_and_declared_slos_from_the_real_prometheus() {
    let (target, scrape) = counters().await;
    // checkout: 5m 2.0 %, 1h 1.6 % against a 0.1 % budget: 20x and 16x, the 1h/5m pair (14.4x)
    // breaches: page. search: healthy.
    let checkout = [
        ("5m", 0.02),
        ("30m", 0.004),
        ("1h", 0.016),
        ("2h", 0.001),
        ("6h", 0.003),
        ("1d", 0.0008),
        ("3d", 0.0005),
        ("30d", 0.0004),
    ];
    let search = checkout.map(|(w, _)| (w, 0.0001));
    // orders (Pyrra, 99 %): 6h 8 %, 30m 9 %: 8x and 9x over the 6h/30m pair's 7x: page; the
    // 1h/5m pair (14x) does not breach: 1h is 1x although 5m is 20x.
    let orders = [
        ("5m", 0.2),
        ("30m", 0.09),
        ("1h", 0.01),
        ("2h", 0.01),
        ("6h", 0.08),
        ("1d", 0.01),
        ("4d", 0.005),
    ];
    let rules = format!(
        "groups:\n{}{}{}{}",
        sloth(
            "checkout-availability",
            "checkout",
            "availability",
            0.999,
            &checkout
        ),
        sloth("search-latency", "search", "latency", 0.99, &search),
        pyrra(&orders),
        pyrra_without_generic_rules()
    );
    let stack =
        promstack::Stack::start_scraping(false, &rules, std::slice::from_ref(&target)).await;
    let ratio = "sum(rate(app_requests_total{code=~\"5..\"}[$window])) / sum(rate(app_requests_total[$window]))";
    let declared = vec![
        declared("app-errors", 99.5, Some(ratio), false),
        declared("app-good-total", 99.5, None, true),
        declared(
            "app-broken",
            99.5,
            Some("sum(rate(app_requests_total[$window]) /"),
            false,
        ),
    ];
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(poller(&stack.prometheus.url, declared, tx).run());
    let slos = wait_for(&mut rx, "every SLO with its ratios", |slos| {
        slos.len() == 7
            && slos
                .iter()
                .filter(|s| s.id != "app-broken")
                .all(|s| s.error.is_none() && s.ratios.len() >= 7)
    })
    .await;
    task.abort();
    drop(scrape);

    let c = by_id(&slos, "checkout-availability");
    assert_eq!(
        (c.source, c.service.as_str(), c.name.as_str()),
        (SloSource::Sloth, "checkout", "availability")
    );
    assert!(close(c.objective.unwrap(), 0.999));
    assert_eq!(c.period, 30 * 86_400);
    assert!(
        close(c.burn(300).unwrap(), 0.02 / 0.001),
        "{:?}",
        c.burn(300)
    );
    assert!(close(c.burn(3600).unwrap(), 0.016 / 0.001));
    assert_eq!(c.breach(), Some(BurnSeverity::Page));
    let breaching: Vec<bool> = c.pair_status().iter().map(|p| p.breaching).collect();
    assert_eq!(breaching, [true, false, false, false]);
    assert!(close(c.budget_left().unwrap(), 0.6));
    assert!(close(c.availability().unwrap(), 1.0 - 0.0004));
    assert_eq!(
        c.summary(),
        "checkout/availability 99.9%: 16.0x burn, budget 60% left"
    );

    let s = by_id(&slos, "search-latency");
    assert_eq!(s.breach(), None);
    assert!(close(s.burn(300).unwrap(), 0.0001 / 0.01));

    let o = by_id(&slos, "orders-errors");
    assert_eq!((o.source, o.service.as_str()), (SloSource::Pyrra, "orders"));
    assert_eq!(o.period, 28 * 86_400);
    assert!(close(o.objective.unwrap(), 0.99));
    let status = o.pair_status();
    let marks: Vec<(u64, u64, f64, bool)> = status
        .iter()
        .map(|p| (p.pair.long, p.pair.short, p.pair.factor, p.breaching))
        .collect();
    assert_eq!(
        marks,
        [
            (3_600, 300, 14.0, false),
            (21_600, 1_800, 7.0, true),
            (86_400, 7_200, 2.0, false),
            (345_600, 21_600, 1.0, false)
        ]
    );
    assert_eq!(o.breach(), Some(BurnSeverity::Page));
    assert!(close(o.availability().unwrap(), 0.995));
    // 1 - (1 - 0.995) / (1 - 0.99)
    assert!(close(o.budget_left().unwrap(), 0.5));

    // Declared, from raw counters: 1 % errors in every window against a 0.5 % budget: 2x
    // everywhere, so only the 3d/6h pair (1x) breaches: a ticket. Both forms agree.
    for id in ["app-errors", "app-good-total"] {
        let d = by_id(&slos, id);
        assert_eq!(d.source, SloSource::Declared);
        assert_eq!(d.ratios.len(), 8, "{d:#?}");
        for (w, r) in &d.ratios {
            assert!((r - 0.01).abs() < 1e-9, "{id} {w}: {r}");
        }
        let marks: Vec<bool> = d.pair_status().iter().map(|p| p.breaching).collect();
        assert_eq!(marks, [false, false, false, true], "{id}");
        assert_eq!(d.breach(), Some(BurnSeverity::Ticket));
        assert!((d.budget_left().unwrap() - (1.0 - 0.01 / 0.005)).abs() < 1e-6);
    }
    // Pyrra without its generic rules: the objective and period from its alerting rule.
    let p = by_id(&slos, "payments-latency");
    assert_eq!(p.error, None);
    assert!(close(p.objective.unwrap(), 0.995));
    assert_eq!(p.period, 28 * 86_400);
    assert!(close(p.burn(300).unwrap(), 0.001 / 0.005));
    assert_eq!(p.breach(), None);

    let broken = by_id(&slos, "app-broken");
    let error = broken.error.as_deref().unwrap_or_default();
    assert!(error.contains("parse error"), "{error}");

    // Worst first: the two pages, then the tickets, healthy, broken last (the state sorts).
    let mut state = opsdeck::state::slo::SloState::default();
    state.apply(slos);
    let order: Vec<&str> = state.all().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(order[6], "app-broken", "{order:?}");
    assert_eq!(order[4], "search-latency", "{order:?}");
    assert!(state.users_affected());
}

#[tokio::test]
async fn a_prometheus_without_slo_series_finds_none_and_a_silent_one_goes_stale() {
    let stack = promstack::Stack::start(false).await;
    let upstream: std::net::SocketAddr = stack
        .prometheus
        .url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = proxy::FaultProxy::start(upstream).await;
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(poller(&proxy.url(), vec![], tx).run());
    let slos = wait_for(&mut rx, "an answer", |_| true).await;
    assert!(slos.is_empty(), "{slos:#?}");
    let mut state = opsdeck::state::slo::SloState::default();
    state.apply(slos);
    let keymap = opsdeck::config::keymap::Keymap::default();
    let theme = opsdeck::ui::theme::Theme::default_theme();
    let text: Vec<String> = opsdeck::ui::widgets::slo::strip_lines(&state, 3, &keymap, &theme)
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(text, ["no SLOs found (declare them in [[slo]])"]);

    // Nothing arrives, no error: the HTTP timeout makes the source stale.
    proxy.set(proxy::Mode::Blackhole);
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "the SLO source never went stale");
        if let Ok(Some(Update::SourceHealth {
            source: SourceId::Slo,
            health: SourceHealth::Reconnecting { .. },
            ..
        })) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await
        {
            break;
        }
    }
    // And live again when the path comes back.
    proxy.set(proxy::Mode::Pass);
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "the SLO source never came back");
        if let Ok(Some(Update::SourceHealth {
            source: SourceId::Slo,
            health: SourceHealth::Live,
            ..
        })) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await
        {
            break;
        }
    }
    task.abort();
}
