//! The alerts pane: the merged alerts of every source, resolved alerts fading out, selection,
//! filter, "new" marks until seen, rule expressions and golden-signal series.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use jiff::{SignedDuration, Timestamp};

use crate::model::alert::{AlertRow, AlertState, PrometheusRule, Severity};
use crate::model::correlate::{Mapping, resolve};
use crate::model::signal::ServiceSignals;
use crate::state::list::{Filter, ListState, Mode, Move, Sorted};

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
    /// The config's `[correlate]` mappings (label → kind), tried before the built-in labels.
    pub correlate: Vec<Mapping>,
}

impl Default for AlertsSettings {
    fn default() -> Self {
        AlertsSettings {
            enabled: false,
            alertmanagers: Vec::new(),
            resolved_fade: SignedDuration::from_mins(5),
            silence_duration: SignedDuration::from_hours(1),
            created_by: String::new(),
            correlate: Vec::new(),
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

/// Where a listed alert lives: the n-th active alert, or the n-th resolved one. Active alerts
/// are listed first, in display order, then resolved ones, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    Active(usize),
    Resolved(usize),
}

/// Position of an alert in the list, and its fingerprint (which the cursor follows).
pub type AlertPlace = Sorted<Slot, String>;

/// Firing alert counts by severity (silenced, inhibited and pending ones excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FiringCounts {
    pub critical: usize,
    pub warning: usize,
    pub other: usize,
}

/// State of the alerts pane.
#[derive(Debug)]
pub struct AlertsState {
    pub settings: AlertsSettings,
    /// The last answer of every source (base URL → rows).
    by_source: BTreeMap<String, Vec<AlertRow>>,
    /// Merged (one row per fingerprint) and sorted for display.
    active: Vec<AlertRow>,
    /// Newest first, at most [`RESOLVED_CAP`].
    resolved: VecDeque<ResolvedAlert>,
    /// The alerts shown (in scope, passing the filter); cursor, window and filter.
    pub(super) list: ListState<AlertPlace>,
    namespace: Option<String>,
    /// Fingerprints of firing alerts the user has seen.
    seen: HashSet<String>,
    /// Alert name → PromQL expression, from Prometheus's rules.
    rules: HashMap<String, String>,
    /// Golden-signal series, as last fetched.
    pub signals: Vec<ServiceSignals>,
    /// SLOs (Sloth, Pyrra, declared), as last fetched.
    pub slos: crate::state::slo::SloState,
    /// True once any source answered.
    pub fetched: bool,
    /// Only these alerts are listed (`o` on a rollout or pod): what they are about, and
    /// their fingerprints.
    only: Option<(String, HashSet<String>)>,
}

impl Default for AlertsState {
    fn default() -> Self {
        AlertsState::scoped(None)
    }
}

impl AlertsState {
    /// An empty state showing the alerts of `namespace` (and cluster-wide ones).
    pub fn scoped(namespace: Option<String>) -> AlertsState {
        AlertsState {
            settings: AlertsSettings::default(),
            by_source: BTreeMap::new(),
            active: Vec::new(),
            resolved: VecDeque::new(),
            list: ListState::new(Mode::Follow),
            namespace,
            seen: HashSet::new(),
            rules: HashMap::new(),
            signals: Vec::new(),
            slos: Default::default(),
            fetched: false,
            only: None,
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
        let mut rows = rows;
        for row in &mut rows {
            row.target = resolve(&row.labels, &self.settings.correlate);
        }
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
        let active = self
            .active
            .iter()
            .enumerate()
            .filter(|(_, r)| self.shows(r));
        let resolved = self
            .resolved
            .iter()
            .enumerate()
            .filter(|(_, r)| now.duration_since(r.at) < fade && self.shows(&r.row));
        let view: Vec<AlertPlace> = active
            .map(|(i, r)| (Slot::Active(i), r))
            .chain(resolved.map(|(i, r)| (Slot::Resolved(i), &r.row)))
            .map(|(by, r)| Sorted {
                by,
                id: r.fingerprint.clone(),
            })
            .collect();
        self.list.set_rows(view);
    }

    fn shows(&self, row: &AlertRow) -> bool {
        if let Some((_, only)) = &self.only {
            return only.contains(&row.fingerprint);
        }
        let in_scope = match (&self.namespace, row.namespace()) {
            (Some(scope), Some(ns)) => scope == ns,
            _ => true,
        };
        in_scope && matches_filter(row, self.list.filter())
    }

    /// Drop resolved alerts older than the fade time from the list (they stay in memory).
    /// Returns whether the list changed.
    pub fn expire(&mut self, now: Timestamp) -> bool {
        let fade = self.settings.resolved_fade;
        let stale = self.list.iter().any(|p| match p.by {
            Slot::Resolved(i) => self
                .resolved
                .get(i)
                .is_none_or(|r| now.duration_since(r.at) >= fade),
            Slot::Active(_) => false,
        });
        if stale {
            self.rebuild(now);
        }
        stale
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
        if let Some(p) = self.list.selected() {
            self.seen.insert(p.id.clone());
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
        if self.list.set_filter(filter) {
            self.rebuild(now);
        }
    }

    pub fn filter(&self) -> &str {
        self.list.filter().text()
    }

    /// List only the alerts `fingerprints` (about `what`, e.g. `shop/deploy/checkout`), or all
    /// again (`None`). Returns whether the list changed.
    pub fn set_only(&mut self, only: Option<(String, HashSet<String>)>, now: Timestamp) -> bool {
        if self.only == only {
            return false;
        }
        self.only = only;
        self.rebuild(now);
        true
    }

    /// What the list is narrowed to (`o` on a rollout or pod).
    pub fn only(&self) -> Option<&str> {
        self.only.as_ref().map(|(what, _)| what.as_str())
    }

    /// Alerts still reported (firing, pending or muted), in display order.
    pub fn active(&self) -> impl Iterator<Item = &AlertRow> {
        self.active.iter()
    }

    /// Firing alerts (active and not muted), in display order.
    pub fn firing(&self) -> impl Iterator<Item = &AlertRow> {
        self.active.iter().filter(|r| r.is_firing())
    }

    /// Show only alerts of this namespace (and those without a namespace label).
    pub fn set_namespace(&mut self, namespace: Option<String>, now: Timestamp) {
        self.namespace = namespace;
        self.rebuild(now);
    }

    /// Move the cursor; the row reached is seen.
    pub fn go(&mut self, m: Move) {
        self.list.go(m);
        self.mark_selected_seen();
    }

    /// Put the cursor on row `index` (clamped); the row is seen.
    pub fn select(&mut self, index: usize) {
        self.list.select(index);
        self.mark_selected_seen();
    }

    /// The list: cursor, window and the order of the rows shown.
    pub fn list(&self) -> &ListState<AlertPlace> {
        &self.list
    }

    pub fn selected_index(&self) -> usize {
        self.list.cursor()
    }

    pub fn selected(&self) -> Option<AlertView<'_>> {
        self.list.selected().map(|p| self.slot_view(p.by))
    }

    /// Rows `start..start+len` of the list.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = AlertView<'_>> {
        self.list.window(start, len).map(|p| self.slot_view(p.by))
    }

    pub fn visible_len(&self) -> usize {
        self.list.len()
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
fn matches_filter(row: &AlertRow, filter: &Filter) -> bool {
    let fields = [
        row.name.as_str(),
        row.severity.as_str(),
        row.state.as_str(),
        &row.summary,
    ];
    filter.matches(
        fields
            .into_iter()
            .chain(row.labels.values().map(String::as_str)),
    )
}
