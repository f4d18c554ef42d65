//! Alert rows for the alerts pane, built from Alertmanager API v2 (`/api/v2/alerts`) or
//! Prometheus (`/api/v1/alerts`) JSON. Pure: no I/O, no clock.
//!
//! Both sources are reduced to the same compact [`AlertRow`]; the fingerprint of a Prometheus
//! alert is computed exactly as Alertmanager computes it (FNV-1a over the sorted label set), so an
//! alert keeps its identity whichever API it came from.

mod wire;
pub(crate) use wire::decode;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::model::correlate::{Target, namespace_of};

pub use wire::{
    AlertParseError, PrometheusRule, parse_alertmanager, parse_prometheus, parse_rules,
};

/// How bad an alert is, from its `severity` label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Severity {
    Critical,
    Warning,
    Info,
    /// Any other value (or none: the empty string), kept verbatim.
    Other(String),
}

impl Severity {
    /// Classify a `severity` label value (case-insensitive; common synonyms accepted).
    pub fn from_label(value: &str) -> Severity {
        match value.to_ascii_lowercase().as_str() {
            "critical" | "crit" | "page" | "error" | "high" | "p1" => Severity::Critical,
            "warning" | "warn" | "medium" | "p2" | "p3" => Severity::Warning,
            "info" | "informational" | "notice" | "low" | "none" | "p4" | "p5" => Severity::Info,
            _ => Severity::Other(value.to_string()),
        }
    }

    /// Sort rank: the most urgent first.
    pub fn rank(&self) -> u8 {
        match self {
            Severity::Critical => 0,
            Severity::Warning => 1,
            Severity::Other(_) => 2,
            Severity::Info => 3,
        }
    }

    /// Short text for the SEVERITY column.
    pub fn as_str(&self) -> &str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Other(s) if s.is_empty() => "none",
            Severity::Other(s) => s,
        }
    }
}

/// Where an alert is in its life, as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertState {
    /// Active and notifying.
    Firing,
    /// The expression is true but `for:` has not elapsed yet (Prometheus only).
    Pending,
    /// Muted by one or more silences.
    Silenced,
    /// Muted by an inhibition rule.
    Inhibited,
}

impl AlertState {
    /// Text for the STATE column.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Pending => "pending",
            AlertState::Silenced => "silenced",
            AlertState::Inhibited => "inhibited",
        }
    }
}

/// One alert, display-ready.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// Alertmanager's fingerprint (hex), or the same hash computed for Prometheus alerts.
    pub fingerprint: String,
    /// The `alertname` label.
    pub name: String,
    pub severity: Severity,
    pub state: AlertState,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `summary` annotation, else `message`, else the first line of `description`.
    pub summary: String,
    /// `runbook_url` annotation (or `runbook`).
    pub runbook_url: Option<String>,
    /// When the alert started firing (Alertmanager `startsAt`, Prometheus `activeAt`).
    pub starts_at: Option<Timestamp>,
    /// Base URL of the API it came from.
    pub source: String,
    /// Ids of the silences muting it.
    pub silenced_by: Vec<String>,
    /// The object its labels name (set by the alerts state, which knows the config's
    /// `[correlate]` mappings).
    pub target: Option<Target>,
}

impl AlertRow {
    /// Build a row from labels and annotations; fields specific to an API are set by the caller.
    pub fn from_parts(
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
        state: AlertState,
        source: &str,
    ) -> AlertRow {
        let name = labels.get("alertname").cloned().unwrap_or_default();
        let severity = Severity::from_label(labels.get("severity").map_or("", String::as_str));
        let summary = ["summary", "message", "description"]
            .iter()
            .find_map(|k| annotations.get(*k).filter(|v| !v.trim().is_empty()))
            .map(|v| v.lines().next().unwrap_or_default().trim().to_string())
            .unwrap_or_default();
        let runbook_url = ["runbook_url", "runbook"]
            .iter()
            .find_map(|k| annotations.get(*k).cloned());
        AlertRow {
            fingerprint: fingerprint(&labels),
            name,
            severity,
            state,
            labels,
            annotations,
            summary,
            runbook_url,
            starts_at: None,
            source: source.to_string(),
            silenced_by: Vec::new(),
            target: None,
        }
    }

    /// The labels that tell most about where the alert is: namespace, service (else job), pod;
    /// `instance` when none of those is set. `alertname` and `severity` are never repeated here.
    pub fn telling_labels(&self) -> Vec<(&str, &str)> {
        let get = |k: &'static str| self.labels.get(k).map(|v| (k, v.as_str()));
        let mut out: Vec<(&str, &str)> =
            [get("namespace"), get("service").or(get("job")), get("pod")]
                .into_iter()
                .flatten()
                .collect();
        if out.is_empty() {
            out.extend(get("instance"));
        }
        out
    }

    /// `namespace=x service=y pod=z` for the LABELS column.
    pub fn telling_labels_text(&self) -> String {
        self.telling_labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The namespace the alert is about (`exported_namespace` first: see [`namespace_of`]).
    pub fn namespace(&self) -> Option<&str> {
        namespace_of(&self.labels)
    }

    /// Whether the alert counts as firing for the header (active, not muted).
    pub fn is_firing(&self) -> bool {
        self.state == AlertState::Firing
    }

    /// Display order: severity, then state (firing, pending, silenced, inhibited), then age
    /// (the most recent first), then name and fingerprint so the order is total.
    pub fn display_cmp(&self, other: &AlertRow) -> Ordering {
        self.severity
            .rank()
            .cmp(&other.severity.rank())
            .then(self.state.cmp(&other.state))
            .then_with(|| other.starts_at.cmp(&self.starts_at))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.fingerprint.cmp(&other.fingerprint))
    }
}

/// Sort rows for display (see [`AlertRow::display_cmp`]).
pub fn sort_for_display(rows: &mut [AlertRow]) {
    rows.sort_by(AlertRow::display_cmp);
}

/// Alertmanager's label-set fingerprint: FNV-1a 64 over the labels sorted by name, each name and
/// value followed by the byte 0xff, printed as 16 hex digits.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    if labels.is_empty() {
        return format!("{OFFSET:016x}");
    }
    let mut hash = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for (k, v) in labels {
        add(k.as_bytes());
        add(&[0xff]);
        add(v.as_bytes());
        add(&[0xff]);
    }
    format!("{hash:016x}")
}
