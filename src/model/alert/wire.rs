//! Serde shapes of the Alertmanager and Prometheus alert APIs, tolerant of missing fields.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::{AlertRow, AlertState};

/// A response body that is not the JSON the API documents.
#[derive(Debug, thiserror::Error)]
pub enum AlertParseError {
    #[error("not the expected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The body ends in the middle of the JSON (a cut connection, a proxy's size limit).
    #[error("truncated JSON: the answer ends after {0} bytes")]
    Truncated(usize),
    /// Not JSON at all: an HTML page (a proxy's error or login page), or nothing.
    #[error("not JSON but {0}")]
    NotJson(String),
    #[error("API error: {0}")]
    Api(String),
}

/// Decode an API answer, saying what it was when it is not the JSON expected.
pub fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, AlertParseError> {
    serde_json::from_slice(body).map_err(|e| {
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        match start.map(|i| body[i]) {
            None => AlertParseError::NotJson("an empty answer".into()),
            Some(b'<') => AlertParseError::NotJson(html_summary(body)),
            Some(_) if e.is_eof() => AlertParseError::Truncated(body.len()),
            Some(_) => AlertParseError::Json(e),
        }
    })
}

/// "an HTML page (502 Bad Gateway)": the page's title, when it has a short one.
fn html_summary(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let lower = head.to_ascii_lowercase();
    let title = lower
        .find("<title>")
        .map(|i| i + "<title>".len())
        .and_then(|start| Some((start, start + lower[start..].find("</title>")?)))
        .map(|(start, end)| crate::sanitize::sanitize(head[start..end].trim().as_bytes(), 200).text)
        .filter(|t| !t.is_empty() && t.chars().count() <= 80);
    match title {
        Some(title) => format!("an HTML page ({title})"),
        None => "an HTML page".into(),
    }
}

/// One element of Alertmanager's `GET /api/v2/alerts` (a `gettableAlert`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AmAlert {
    fingerprint: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    starts_at: Option<String>,
    status: AmStatus,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AmStatus {
    /// `active`, `suppressed` or `unprocessed`.
    state: String,
    silenced_by: Vec<String>,
    inhibited_by: Vec<String>,
}

/// Prometheus's `GET /api/v1/alerts` envelope.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PromEnvelope<T> {
    status: String,
    error: Option<String>,
    data: Option<T>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PromAlerts {
    alerts: Vec<PromAlert>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PromAlert {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    /// `firing`, `pending` (or `inactive`, which is skipped).
    state: String,
    active_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PromRules {
    groups: Vec<PromGroup>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PromGroup {
    rules: Vec<PromRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PromRule {
    name: String,
    query: String,
    #[serde(rename = "type")]
    kind: String,
    duration: f64,
    labels: std::collections::BTreeMap<String, String>,
}

/// An alerting rule from `GET /api/v1/rules?type=alert`: the expression behind an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusRule {
    pub name: String,
    pub expr: String,
    /// The rule's `for:` in seconds.
    pub for_seconds: f64,
    /// The labels the rule adds to its alerts.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// RFC 3339 text to a timestamp; Go's zero time (`0001-01-01…`) and garbage become `None`.
fn timestamp(text: Option<&str>) -> Option<Timestamp> {
    let ts: Timestamp = text?.parse().ok()?;
    (ts > Timestamp::UNIX_EPOCH).then_some(ts)
}

/// Rows from an Alertmanager `/api/v2/alerts` body. `source` is the Alertmanager base URL.
pub fn parse_alertmanager(body: &[u8], source: &str) -> Result<Vec<AlertRow>, AlertParseError> {
    let alerts: Vec<AmAlert> = decode(body)?;
    Ok(alerts.into_iter().map(|a| am_row(a, source)).collect())
}

fn am_row(a: AmAlert, source: &str) -> AlertRow {
    let state = match a.status.state.as_str() {
        "suppressed" if !a.status.silenced_by.is_empty() => AlertState::Silenced,
        "suppressed" if !a.status.inhibited_by.is_empty() => AlertState::Inhibited,
        "suppressed" => AlertState::Silenced,
        _ => AlertState::Firing,
    };
    let mut row = AlertRow::from_parts(a.labels, a.annotations, state, source);
    if !a.fingerprint.is_empty() {
        row.fingerprint = a.fingerprint;
    }
    row.starts_at = timestamp(a.starts_at.as_deref());
    row.silenced_by = a.status.silenced_by;
    row
}

fn envelope<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AlertParseError> {
    let env: PromEnvelope<T> = decode(body)?;
    if env.status != "success" {
        let why = env
            .error
            .unwrap_or_else(|| format!("status {:?}", env.status));
        return Err(AlertParseError::Api(why));
    }
    Ok(env.data.unwrap_or_default())
}

/// Rows from a Prometheus `/api/v1/alerts` body (firing and pending; inactive ones skipped).
pub fn parse_prometheus(body: &[u8], source: &str) -> Result<Vec<AlertRow>, AlertParseError> {
    let data: PromAlerts = envelope(body)?;
    Ok(data
        .alerts
        .into_iter()
        .filter_map(|a| {
            let state = match a.state.as_str() {
                "firing" => AlertState::Firing,
                "pending" => AlertState::Pending,
                _ => return None,
            };
            let mut row = AlertRow::from_parts(a.labels, a.annotations, state, source);
            row.starts_at = timestamp(a.active_at.as_deref());
            Some(row)
        })
        .collect())
}

/// Alerting rules from a Prometheus `/api/v1/rules` body (recording rules skipped).
pub fn parse_rules(body: &[u8]) -> Result<Vec<PrometheusRule>, AlertParseError> {
    let data: PromRules = envelope(body)?;
    Ok(data
        .groups
        .into_iter()
        .flat_map(|g| g.rules)
        .filter(|r| r.kind == "alerting" && !r.name.is_empty())
        .map(|r| PrometheusRule {
            name: r.name,
            expr: r.query,
            for_seconds: r.duration,
            labels: r.labels,
        })
        .collect())
}
