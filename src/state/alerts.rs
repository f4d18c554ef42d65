//! The alerts pane: the merged alerts of every source, resolved alerts fading out, selection,
//! filter, "new" marks until seen, rule expressions and golden-signal series.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use jiff::{SignedDuration, Timestamp};

use crate::model::alert::{AlertRow, AlertState, PrometheusRule, Severity};
use crate::model::signal::ServiceSignals;

/// Resolved alerts kept for the detail view (the oldest are dropped first).
pub const RESOLVED_CAP: usize = 256;

/// What the alerts pane was configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsSettings {
    /// An alert source is configured (else the pane explains how to set one).
    pub enabled: bool,
    /// Alertmanager base URLs: alerts from these can be silenced.
    pub alertmanagers: Vec<String>,
    /// How long resolved alerts stay in the list.
    pub resolved_fade: SignedDuration,
    /// Duration offered by the silence dialog.
    pub silence_duration: SignedDuration,
    /// `createdBy` of new silences.
    pub created_by: String,
}

impl Default for AlertsSettings {
    fn default() -> Self {
        AlertsSettings {
            enabled: false,
            alertmanagers: Vec::new(),
            resolved_fade: SignedDuration::from_mins(5),
            silence_duration: SignedDuration::from_hours(1),
            created_by: String::new(),
        }
    }
}

/// An alert that is no longer reported, and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedAlert {
    pub row: AlertRow,
    pub at: Timestamp,
}

/// A row of the list as the pane draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertView<'a> {
    pub row: &'a AlertRow,
    /// Set for resolved alerts (drawn dimmed until they fade out).
    pub resolved_at: Option<Timestamp>,
    /// Firing and not seen by the user yet.
    pub new: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Active(usize),
    Resolved(usize),
}

/// Firing alert counts by severity (silenced, inhibited and pending ones excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FiringCounts {
    pub critical: usize,
    pub warning: usize,
    pub other: usize,
}

/// State of the alerts pane.
#[derive(Debug, Default)]
pub struct AlertsState {
    pub settings: AlertsSettings,
    /// The last answer of every source (base URL → rows).
    by_source: BTreeMap<String, Vec<AlertRow>>,
    /// Merged (one row per fingerprint) and sorted for display.
    active: Vec<AlertRow>,
    /// Newest first, at most [`RESOLVED_CAP`].
    resolved: VecDeque<ResolvedAlert>,
    view: Vec<Slot>,
    filter: String,
    namespace: Option<String>,
    selected: usize,
    selected_fp: Option<String>,
    /// Fingerprints of firing alerts the user has seen.
    seen: HashSet<String>,
    /// Alert name → PromQL expression, from Prometheus's rules.
    rules: HashMap<String, String>,
    /// Golden-signal series, as last fetched.
    pub signals: Vec<ServiceSignals>,
    /// True once any source answered.
    pub fetched: bool,
    /// View state touched by rendering only.
    pub offset: Cell<usize>,
    pub viewport: Cell<usize>,
}

impl AlertsState {
    /// An empty state showing the alerts of `namespace` (and cluster-wide ones).
    pub fn scoped(namespace: Option<String>) -> AlertsState {
        AlertsState {
            namespace,
            ..AlertsState::default()
        }
    }

    /// Replace the alerts of one source. Alerts it no longer reports (and no other source
    /// does) become resolved. The first answer of a source is the baseline: nothing in it is
    /// "new". When `seen_all` (the pane is focused) every alert counts as seen. Returns false
    /// when the source reported exactly what it reported last time (nothing to redraw).
    pub fn apply_fetched(
        &mut self,
        source: String,
        rows: Vec<AlertRow>,
        now: Timestamp,
        seen_all: bool,
    ) -> bool {
        if self.by_source.get(&source) == Some(&rows) {
            return false;
        }
        let first = !self.by_source.contains_key(&source);
        let old = self.by_source.insert(source, rows).unwrap_or_default();
        let current: HashSet<&str> = self
            .by_source
            .values()
            .flatten()
            .map(|r| r.fingerprint.as_str())
            .collect();
        let mut gone: Vec<ResolvedAlert> = old
            .into_iter()
            .filter(|r| !current.contains(r.fingerprint.as_str()))
            .map(|row| ResolvedAlert { row, at: now })
            .collect();
        self.resolved
            .retain(|r| !current.contains(r.row.fingerprint.as_str()));
        self.seen.retain(|fp| current.contains(fp.as_str()));
        gone.sort_by(|a, b| a.row.display_cmp(&b.row));
        for r in gone.into_iter().rev() {
            self.resolved.push_front(r);
        }
        self.resolved.truncate(RESOLVED_CAP);
        if first {
            self.seen.extend(current.iter().map(|fp| fp.to_string()));
        }
        self.fetched = true;
        self.merge();
        self.rebuild(now);
        if seen_all {
            self.mark_all_seen();
        }
        true
    }

    fn merge(&mut self) {
        let mut ids = HashSet::new();
        let mut rows: Vec<AlertRow> = self
            .by_source
            .values()
            .flatten()
            .filter(|r| ids.insert(r.fingerprint.clone()))
            .cloned()
            .collect();
        rows.sort_by(AlertRow::display_cmp);
        self.active = rows;
    }

    /// Rebuild the list: active alerts, then resolved ones younger than the fade time.
    fn rebuild(&mut self, now: Timestamp) {
        let fade = self.settings.resolved_fade;
        let mut view: Vec<Slot> = (0..self.active.len())
            .filter(|i| self.shows(&self.active[*i]))
            .map(Slot::Active)
            .collect();
        view.extend(
            self.resolved
                .iter()
                .enumerate()
                .filter(|(_, r)| now.duration_since(r.at) < fade && self.shows(&r.row))
                .map(|(i, _)| Slot::Resolved(i)),
        );
        self.view = view;
        self.follow_selection();
    }

    fn shows(&self, row: &AlertRow) -> bool {
        let in_scope = match (&self.namespace, row.namespace()) {
            (Some(scope), Some(ns)) => scope == ns,
            _ => true,
        };
        in_scope && matches_filter(row, &self.filter)
    }

    /// Drop resolved alerts older than the fade time from the list (they stay in memory).
    /// Returns whether the list changed.
    pub fn expire(&mut self, now: Timestamp) -> bool {
        let fade = self.settings.resolved_fade;
        let stale = self.view.iter().any(|s| match s {
            Slot::Resolved(i) => self
                .resolved
                .get(*i)
                .is_none_or(|r| now.duration_since(r.at) >= fade),
            Slot::Active(_) => false,
        });
        if stale {
            self.rebuild(now);
        }
        stale
    }

    fn follow_selection(&mut self) {
        let found = self.selected_fp.as_ref().and_then(|fp| {
            (0..self.view.len()).find(|i| self.slot_row(self.view[*i]).fingerprint == *fp)
        });
        self.selected = match found {
            Some(i) => i,
            None => self.selected.min(self.view.len().saturating_sub(1)),
        };
        self.selected_fp = self
            .view
            .get(self.selected)
            .map(|s| self.slot_row(*s).fingerprint.clone());
    }

    fn slot_row(&self, slot: Slot) -> &AlertRow {
        match slot {
            Slot::Active(i) => &self.active[i],
            Slot::Resolved(i) => &self.resolved[i].row,
        }
    }

    fn slot_view(&self, slot: Slot) -> AlertView<'_> {
        match slot {
            Slot::Active(i) => {
                let row = &self.active[i];
                AlertView {
                    row,
                    resolved_at: None,
                    new: row.state == AlertState::Firing && !self.seen.contains(&row.fingerprint),
                }
            }
            Slot::Resolved(i) => AlertView {
                row: &self.resolved[i].row,
                resolved_at: Some(self.resolved[i].at),
                new: false,
            },
        }
    }

    /// Every alert is seen (the pane has the focus).
    pub fn mark_all_seen(&mut self) {
        for row in &self.active {
            if !self.seen.contains(&row.fingerprint) {
                self.seen.insert(row.fingerprint.clone());
            }
        }
    }

    fn mark_selected_seen(&mut self) {
        if let Some(fp) = &self.selected_fp {
            self.seen.insert(fp.clone());
        }
    }

    /// Number of firing alerts not seen yet.
    pub fn unseen(&self) -> usize {
        self.active
            .iter()
            .filter(|r| r.is_firing() && !self.seen.contains(&r.fingerprint))
            .count()
    }

    pub fn set_filter(&mut self, filter: &str, now: Timestamp) {
        if self.filter != filter {
            self.filter = filter.to_string();
            self.rebuild(now);
        }
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Show only alerts of this namespace (and those without a namespace label).
    pub fn set_namespace(&mut self, namespace: Option<String>, now: Timestamp) {
        self.namespace = namespace;
        self.rebuild(now);
    }

    /// Move the cursor by `delta` rows (clamped); the row reached is seen.
    pub fn move_by(&mut self, delta: isize) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() as isize - 1;
        self.select((self.selected as isize + delta).clamp(0, last) as usize);
    }

    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.view.len().saturating_sub(1));
        self.selected_fp = self
            .view
            .get(self.selected)
            .map(|s| self.slot_row(*s).fingerprint.clone());
        self.mark_selected_seen();
    }

    pub fn select_last(&mut self) {
        self.select(self.view.len().saturating_sub(1));
    }

    /// Rows per page, as last rendered.
    pub fn page(&self) -> usize {
        self.viewport.get().max(1)
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn selected(&self) -> Option<AlertView<'_>> {
        self.view.get(self.selected).map(|s| self.slot_view(*s))
    }

    /// Rows `start..start+len` of the list.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = AlertView<'_>> {
        self.view
            .iter()
            .skip(start)
            .take(len)
            .map(|s| self.slot_view(*s))
    }

    pub fn visible_len(&self) -> usize {
        self.view.len()
    }

    /// An alert by fingerprint, active or resolved (for the detail view).
    pub fn find(&self, fingerprint: &str) -> Option<AlertView<'_>> {
        if let Some(i) = self
            .active
            .iter()
            .position(|r| r.fingerprint == fingerprint)
        {
            return Some(self.slot_view(Slot::Active(i)));
        }
        let i = self
            .resolved
            .iter()
            .position(|r| r.row.fingerprint == fingerprint)?;
        Some(self.slot_view(Slot::Resolved(i)))
    }

    /// Firing alerts in scope by severity.
    pub fn firing_counts(&self) -> FiringCounts {
        let mut c = FiringCounts::default();
        let in_scope = |r: &&AlertRow| match (&self.namespace, r.namespace()) {
            (Some(scope), Some(ns)) => scope == ns,
            _ => true,
        };
        for r in self
            .active
            .iter()
            .filter(|r| r.is_firing())
            .filter(in_scope)
        {
            match r.severity {
                Severity::Critical => c.critical += 1,
                Severity::Warning => c.warning += 1,
                _ => c.other += 1,
            }
        }
        c
    }

    /// Active alerts hidden because they belong to another namespace than the scope.
    pub fn out_of_scope(&self) -> usize {
        match &self.namespace {
            None => 0,
            Some(scope) => self
                .active
                .iter()
                .filter(|r| r.namespace().is_some_and(|ns| ns != scope))
                .count(),
        }
    }

    pub fn apply_rules(&mut self, rules: Vec<PrometheusRule>) {
        self.rules = rules.into_iter().map(|r| (r.name, r.expr)).collect();
    }

    /// The PromQL expression of an alert's rule, if Prometheus told us.
    pub fn expression(&self, alert_name: &str) -> Option<&str> {
        self.rules.get(alert_name).map(String::as_str)
    }

    /// Whether alerts of this source can be silenced (it is an Alertmanager).
    pub fn can_silence(&self, source: &str) -> bool {
        self.settings.alertmanagers.iter().any(|u| u == source)
    }
}

/// Case-insensitive substring match on name, severity, state, label values and summary;
/// `!text` negates.
fn matches_filter(row: &AlertRow, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let (negate, needle) = match filter.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, filter),
    };
    let needle = needle.to_lowercase();
    let hit = [
        row.name.as_str(),
        row.severity.as_str(),
        row.state.as_str(),
        &row.summary,
    ]
    .into_iter()
    .chain(row.labels.values().map(String::as_str))
    .any(|f| f.to_lowercase().contains(&needle));
    hit != negate
}
