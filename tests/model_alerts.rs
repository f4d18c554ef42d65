//! Alert rows from real Alertmanager 0.25 and Prometheus 2.42 responses (captured fixtures).

use std::collections::BTreeMap;

use jiff::Timestamp;
use opsdeck::model::alert::{
    AlertParseError, AlertRow, AlertState, Severity, fingerprint, parse_alertmanager,
    parse_prometheus, parse_rules, sort_for_display,
};

const AM: &str = "http://127.0.0.1:9093";
const PROM: &str = "http://127.0.0.1:9090";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/alerts/{name}")).unwrap()
}

fn by_name<'a>(rows: &'a [AlertRow], name: &str) -> &'a AlertRow {
    rows.iter().find(|r| r.name == name).unwrap()
}

#[test]
fn alertmanager_rows_have_state_severity_and_silences() {
    let rows = parse_alertmanager(&fixture("alertmanager-v2.json"), AM).unwrap();
    assert_eq!(rows.len(), 3);
    let down = by_name(&rows, "CheckoutDown");
    assert_eq!(down.severity, Severity::Critical);
    assert_eq!(down.state, AlertState::Firing);
    assert_eq!(down.summary, "checkout-api has no ready endpoints");
    assert_eq!(
        down.runbook_url.as_deref(),
        Some("https://runbooks.example.com/checkout/CheckoutDown")
    );
    assert_eq!(down.source, AM);
    assert!(down.starts_at.is_some());
    let latency = by_name(&rows, "HighLatency");
    assert_eq!(latency.state, AlertState::Silenced);
    assert_eq!(
        latency.silenced_by,
        ["6c4cf71f-85bc-4f13-997e-7c013d81121d"]
    );
    let cert = by_name(&rows, "CertExpiresSoon");
    assert_eq!(cert.state, AlertState::Inhibited);
    assert_eq!(cert.severity, Severity::Info);
}

#[test]
fn fingerprint_is_the_one_alertmanager_computes() {
    let rows = parse_alertmanager(&fixture("alertmanager-v2.json"), AM).unwrap();
    for row in &rows {
        assert_eq!(fingerprint(&row.labels), row.fingerprint, "{}", row.name);
    }
    let prom = parse_prometheus(&fixture("prometheus-v1.json"), PROM).unwrap();
    let am_down = by_name(&rows, "CheckoutDown");
    assert_eq!(
        by_name(&prom, "CheckoutDown").fingerprint,
        am_down.fingerprint
    );
}

#[test]
fn prometheus_rows_are_firing_or_pending() {
    let rows = parse_prometheus(&fixture("prometheus-v1.json"), PROM).unwrap();
    let states: BTreeMap<&str, AlertState> =
        rows.iter().map(|r| (r.name.as_str(), r.state)).collect();
    assert_eq!(
        states,
        BTreeMap::from([
            ("CertExpiresSoon", AlertState::Firing),
            ("CheckoutDown", AlertState::Firing),
            ("DiskFillingUp", AlertState::Pending),
            ("HighLatency", AlertState::Firing),
        ])
    );
    let started: Timestamp = "2026-11-23T15:58:37.209489869Z".parse().unwrap();
    assert_eq!(by_name(&rows, "DiskFillingUp").starts_at, Some(started));
}

#[test]
fn prometheus_error_status_is_an_api_error() {
    let err = parse_prometheus(&fixture("prometheus-error.json"), PROM).unwrap_err();
    assert!(
        matches!(err, AlertParseError::Api(ref m) if m == "query timed out"),
        "{err}"
    );
    let html = parse_prometheus(b"<html><title>502 Bad Gateway</title></html>", PROM).unwrap_err();
    assert!(matches!(html, AlertParseError::NotJson(_)), "{html}");
    assert!(html.to_string().contains("502 Bad Gateway"), "{html}");
    let cut = parse_prometheus(br#"{"status":"success","data":{"alerts":[{"labels""#, PROM);
    assert!(matches!(cut, Err(AlertParseError::Truncated(_))), "{cut:?}");
    assert!(parse_alertmanager(b"{\"not\": \"a list\"}", AM).is_err());
}

#[test]
fn missing_fields_are_tolerated() {
    let rows = parse_alertmanager(&fixture("tolerant.json"), AM).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].name, "NoStatus");
    assert_eq!(rows[0].state, AlertState::Firing);
    assert_eq!(rows[0].severity, Severity::Other(String::new()));
    assert_eq!(rows[0].severity.as_str(), "none");
    let weird = &rows[1];
    assert_eq!(weird.fingerprint, "00000000000000aa");
    assert_eq!(weird.severity, Severity::Other("Sev-9".into()));
    assert_eq!(weird.summary, "first line", "first line of the description");
    assert_eq!(weird.starts_at, None, "Go's zero time is no time");
    assert_eq!(rows[2].name, "");
}

#[test]
fn rules_give_the_expression_of_alerting_rules() {
    let rules = parse_rules(&fixture("prometheus-rules.json")).unwrap();
    assert_eq!(rules.len(), 4);
    let disk = rules.iter().find(|r| r.name == "DiskFillingUp").unwrap();
    assert_eq!(disk.expr, "vector(1)");
    assert_eq!(disk.for_seconds, 600.0);
}

#[test]
fn telling_labels_are_namespace_service_or_job_and_pod() {
    let rows = parse_prometheus(&fixture("prometheus-v1.json"), PROM).unwrap();
    assert_eq!(
        by_name(&rows, "CheckoutDown").telling_labels_text(),
        "namespace=checkout service=checkout-api"
    );
    assert_eq!(
        by_name(&rows, "HighLatency").telling_labels(),
        [("namespace", "payments"), ("job", "ledger")]
    );
    assert_eq!(
        by_name(&rows, "DiskFillingUp").telling_labels_text(),
        "namespace=platform pod=search-0"
    );
    let labels = BTreeMap::from([
        ("alertname".to_string(), "NodeDown".to_string()),
        ("instance".to_string(), "node-3:9100".to_string()),
    ]);
    let row = AlertRow::from_parts(labels, BTreeMap::new(), AlertState::Firing, PROM);
    assert_eq!(row.telling_labels_text(), "instance=node-3:9100");
}

#[test]
fn severity_synonyms_and_case() {
    assert_eq!(Severity::from_label("CRITICAL"), Severity::Critical);
    assert_eq!(Severity::from_label("page"), Severity::Critical);
    assert_eq!(Severity::from_label("warn"), Severity::Warning);
    assert_eq!(Severity::from_label("none"), Severity::Info);
    assert_eq!(Severity::from_label("p9").as_str(), "p9");
}

#[test]
fn display_order_is_severity_then_state_then_age() {
    let at = |s: &str| Some(s.parse::<Timestamp>().unwrap());
    let mk = |name: &str, sev: &str, state: AlertState, start: &str| {
        let labels = BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("severity".to_string(), sev.to_string()),
        ]);
        let mut r = AlertRow::from_parts(labels, BTreeMap::new(), state, AM);
        r.starts_at = at(start);
        r
    };
    let mut rows = vec![
        mk(
            "InfoOld",
            "info",
            AlertState::Firing,
            "2026-11-23T10:00:00Z",
        ),
        mk(
            "WarnSilenced",
            "warning",
            AlertState::Silenced,
            "2026-11-23T11:00:00Z",
        ),
        mk(
            "CritOld",
            "critical",
            AlertState::Firing,
            "2026-11-23T09:00:00Z",
        ),
        mk("Custom", "sev9", AlertState::Firing, "2026-11-23T11:00:00Z"),
        mk(
            "WarnNew",
            "warning",
            AlertState::Firing,
            "2026-11-23T11:59:00Z",
        ),
        mk(
            "CritNew",
            "critical",
            AlertState::Firing,
            "2026-11-23T11:30:00Z",
        ),
        mk(
            "CritPending",
            "critical",
            AlertState::Pending,
            "2026-11-23T11:58:00Z",
        ),
        mk(
            "WarnOld",
            "warning",
            AlertState::Firing,
            "2026-11-23T08:00:00Z",
        ),
    ];
    sort_for_display(&mut rows);
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "CritNew",
            "CritOld",
            "CritPending",
            "WarnNew",
            "WarnOld",
            "WarnSilenced",
            "Custom",
            "InfoOld"
        ]
    );
}
