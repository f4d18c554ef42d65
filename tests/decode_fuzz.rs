//! Property tests of the Prometheus and Alertmanager decoders: whatever a server (or a proxy in
//! front of it) answers, the decoder returns rows or an error that says what was wrong; it never
//! panics, never overflows the stack, and what a real server would send comes back intact.

use std::collections::BTreeMap;

use opsdeck::model::alert::{
    AlertParseError, Severity, parse_alertmanager, parse_prometheus, parse_rules,
};
use opsdeck::model::signal::parse_query_range;
use proptest::prelude::*;
use serde_json::{Value, json};

const SRC: &str = "http://127.0.0.1:9093";

/// Every decoder on one body; each must return (not panic).
fn decode_all(body: &[u8]) {
    let _ = parse_alertmanager(body, SRC);
    let _ = parse_prometheus(body, SRC);
    let _ = parse_rules(body);
    let _ = parse_query_range(body);
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    // The keys the decoders look for, so that the shapes get near valid.
                    Just("status".to_string()),
                    Just("data".to_string()),
                    Just("alerts".to_string()),
                    Just("labels".to_string()),
                    Just("annotations".to_string()),
                    Just("groups".to_string()),
                    Just("rules".to_string()),
                    Just("result".to_string()),
                    Just("values".to_string()),
                    Just("startsAt".to_string()),
                    ".{0,6}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A label map as a real server sends it (alertname and severity always there).
fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    (
        "[A-Za-z][A-Za-z0-9]{0,20}",
        prop_oneof![
            Just("critical".to_string()),
            Just("warning".to_string()),
            Just("info".to_string()),
            "[a-z]{1,8}",
        ],
        prop::collection::btree_map("[a-z_]{1,10}", "\\PC{0,30}", 0..5),
    )
        .prop_map(|(name, severity, mut rest)| {
            rest.insert("alertname".into(), name);
            rest.insert("severity".into(), severity);
            rest
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        decode_all(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        decode_all(value.to_string().as_bytes());
        // Wrapped as a Prometheus answer, too: the envelope then holds the garbage.
        let wrapped = json!({"status": "success", "data": value});
        decode_all(wrapped.to_string().as_bytes());
    }

    #[test]
    fn a_valid_answer_cut_anywhere_is_an_error_not_a_panic(
        alerts in prop::collection::vec(labels(), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let body = am_body(&alerts).into_bytes();
        let at = cut.index(body.len());
        let result = parse_alertmanager(&body[..at], SRC);
        prop_assert!(result.is_err(), "a cut body parsed: {:?}", &body[..at]);
    }

    /// What Alertmanager sends comes back as rows with the same names, severities and labels.
    #[test]
    fn alertmanager_alerts_round_trip(alerts in prop::collection::vec(labels(), 0..8)) {
        let rows = parse_alertmanager(am_body(&alerts).as_bytes(), SRC).unwrap();
        prop_assert_eq!(rows.len(), alerts.len());
        for (row, labels) in rows.iter().zip(&alerts) {
            prop_assert_eq!(&row.name, &labels["alertname"]);
            prop_assert_eq!(&row.severity, &Severity::from_label(&labels["severity"]));
            prop_assert_eq!(&row.labels, labels);
            prop_assert_eq!(&row.source, SRC);
        }
    }

    /// And so does what Prometheus sends (`/api/v1/alerts`).
    #[test]
    fn prometheus_alerts_round_trip(alerts in prop::collection::vec(labels(), 0..8)) {
        let body = json!({"status": "success", "data": {"alerts": alerts.iter().map(|l| json!({
            "labels": l,
            "annotations": {"summary": "s"},
            "state": "firing",
            "activeAt": "2026-11-23T12:00:00Z",
            "value": "1e+00",
        })).collect::<Vec<_>>()}});
        let rows = parse_prometheus(body.to_string().as_bytes(), SRC).unwrap();
        prop_assert_eq!(rows.len(), alerts.len());
        for (row, labels) in rows.iter().zip(&alerts) {
            prop_assert_eq!(&row.name, &labels["alertname"]);
            prop_assert_eq!(&row.labels, labels);
        }
    }
}

fn am_body(alerts: &[BTreeMap<String, String>]) -> String {
    let items: Vec<Value> = alerts
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "fingerprint": format!("{i:016x}"),
                "labels": l,
                "annotations": {"summary": "something is wrong"},
                "startsAt": "2026-11-23T12:00:00.000Z",
                "endsAt": "2026-11-23T13:00:00.000Z",
                "updatedAt": "2026-11-23T12:00:01.000Z",
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
                "receivers": [{"name": "null"}],
                "generatorURL": "http://prometheus/graph",
            })
        })
        .collect();
    Value::Array(items).to_string()
}

/// 100,000 levels of nesting: an error (serde_json's recursion limit), not a stack overflow.
#[test]
fn deep_nesting_is_an_error() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let body = format!("{}{}", open.repeat(100_000), close.repeat(100_000));
        decode_all(body.as_bytes());
        assert!(parse_alertmanager(body.as_bytes(), SRC).is_err());
        let inside = format!("{{\"status\":\"success\",\"data\":{body}}}");
        assert!(parse_prometheus(inside.as_bytes(), SRC).is_err());
        assert!(parse_query_range(inside.as_bytes()).is_err());
    }
}

/// A big but well-formed answer (20,000 alerts, ~16 MB) decodes whole; the size limit of a
/// response is the HTTP client's (tests/faults.rs sends a 100 MB body through the binary).
#[test]
fn a_huge_valid_answer_decodes() {
    let labels: Vec<BTreeMap<String, String>> = (0..20_000)
        .map(|i| {
            BTreeMap::from([
                ("alertname".to_string(), format!("Alert{i}")),
                ("severity".to_string(), "warning".to_string()),
                ("pod".to_string(), format!("pod-{i}-{}", "x".repeat(400))),
            ])
        })
        .collect();
    let body = am_body(&labels);
    assert!(body.len() > 8_000_000, "{}", body.len());
    let rows = parse_alertmanager(body.as_bytes(), SRC).unwrap();
    assert_eq!(rows.len(), 20_000);
    assert_eq!(rows[19_999].name, "Alert19999");
}

/// The error names what came instead of JSON.
#[test]
fn not_json_is_named() {
    let empty = parse_alertmanager(b"  \n", SRC).unwrap_err();
    assert!(matches!(empty, AlertParseError::NotJson(_)), "{empty}");
    assert_eq!(empty.to_string(), "not JSON but an empty answer");
    let page = b"<html><head><title>Bad Gateway</title></head><body>nginx</body></html>";
    let html = parse_rules(page).unwrap_err();
    assert_eq!(html.to_string(), "not JSON but an HTML page (Bad Gateway)");
    let cut = parse_query_range(br#"{"status":"success","data":{"resultType":"matrix","re"#);
    assert!(matches!(cut, Err(AlertParseError::Truncated(_))), "{cut:?}");
}
