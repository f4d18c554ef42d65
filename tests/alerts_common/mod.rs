//! Alert rows and states for the pure state tests and the alerts pane snapshots (fixed time).
#![allow(dead_code)]

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use opsdeck::action::Action;
use opsdeck::model::alert::{AlertRow, AlertState};
use opsdeck::model::signal::{ServiceSignals, SignalKind, SignalSeries};
use opsdeck::state::AppState;
use opsdeck::update::{SourceHealth, SourceId, Update};

pub const NOW: &str = "2026-11-23T12:00:00Z";
pub const AM: &str = "http://alertmanager.monitoring:9093";
pub const AM2: &str = "http://alertmanager-1.monitoring:9093";

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

pub fn ago(secs: i64) -> Timestamp {
    now() - SignedDuration::from_secs(secs)
}

/// An alert as Alertmanager would report it.
pub fn alert(
    name: &str,
    severity: &str,
    state: AlertState,
    labels: &[(&str, &str)],
    age: i64,
) -> AlertRow {
    let mut l: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.insert("alertname".into(), name.into());
    l.insert("severity".into(), severity.into());
    let annotations = BTreeMap::from([
        ("summary".to_string(), format!("{name} summary")),
        (
            "runbook_url".to_string(),
            format!("https://runbooks.example.com/{name}"),
        ),
        (
            "description".to_string(),
            format!("{name} has been happening for a while.\nSecond line of the description."),
        ),
    ]);
    let mut row = AlertRow::from_parts(l, annotations, state, AM);
    row.starts_at = Some(ago(age));
    if state == AlertState::Silenced {
        row.silenced_by = vec!["6c4cf71f-85bc-4f13-997e-7c013d81121d".into()];
    }
    row
}

/// A realistic incident: a critical, warnings, one silenced, one inhibited, info.
pub fn incident() -> Vec<AlertRow> {
    use AlertState::*;
    vec![
        alert(
            "CheckoutDown",
            "critical",
            Firing,
            &[("namespace", "checkout"), ("service", "checkout-api")],
            420,
        ),
        alert(
            "KubePodCrashLooping",
            "warning",
            Firing,
            &[("namespace", "payments"), ("pod", "ledger-6c8d7f9b-zt2kq")],
            1500,
        ),
        alert(
            "HighLatency",
            "warning",
            Silenced,
            &[("namespace", "payments"), ("job", "ledger")],
            3000,
        ),
        alert(
            "KubeContainerOOMKilled",
            "warning",
            Inhibited,
            &[("namespace", "checkout"), ("pod", "pricing-5f7b9c-ab12c")],
            600,
        ),
        alert(
            "CertExpiresSoon",
            "info",
            Firing,
            &[("instance", "ingress-nginx:10254")],
            86_400 * 3,
        ),
    ]
}

/// A state with the incident fetched from one Alertmanager, focus on the alerts pane.
pub fn alert_state() -> AppState {
    let mut state = AppState::new("prod-eu-1".into(), None, now());
    state.alerts.settings.enabled = true;
    state.alerts.settings.alertmanagers = vec![AM.into(), AM2.into()];
    state.alerts.settings.created_by = "alice".into();
    let scope = state.scope;
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Pods,
        health: SourceHealth::Live,
    });
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Alertmanager,
        health: SourceHealth::Live,
    });
    state.apply(Update::AlertsFetched {
        scope,
        source: AM.into(),
        alerts: incident(),
    });
    state.handle(Action::FocusAlerts);
    state
}

/// Latency, traffic, errors and saturation of one service over 30 points.
pub fn signals() -> Vec<ServiceSignals> {
    let series = |kind, unit: &str, f: &dyn Fn(i64) -> f64, warning, critical| SignalSeries {
        kind,
        unit: unit.into(),
        points: (0..30)
            .map(|i| (now().as_second() - (30 - i) * 60, f(i)))
            .collect(),
        warning,
        critical,
        error: None,
    };
    vec![ServiceSignals {
        service: "checkout-api".into(),
        series: vec![
            series(
                SignalKind::Latency,
                "s",
                &|i| 0.1 + (i as f64) * 0.03,
                Some(0.3),
                Some(1.0),
            ),
            series(
                SignalKind::Traffic,
                "req/s",
                &|i| 1200.0 + ((i * 37) % 11) as f64 * 40.0,
                None,
                None,
            ),
            series(
                SignalKind::Errors,
                "%",
                &|i| if i > 24 { 7.5 } else { 0.2 },
                Some(1.0),
                Some(5.0),
            ),
            series(
                SignalKind::Saturation,
                "%",
                &|i| 40.0 + i as f64,
                Some(80.0),
                Some(95.0),
            ),
        ],
    }]
}
