//! The pods pane: rows keyed by namespace/name, a sorted (and filtered) view, selection.
//!
//! Updates are incremental: an applied pod costs a binary search and one insert/remove in the
//! list, never a re-sort of 50,000 rows. Rendering reads only the visible window of the list.

use std::collections::HashMap;

use crate::model::pod::{Health, PodRow};
use crate::model::usage::Usage;
use crate::state::list::{Filter, ListState, Sorted};

/// `(namespace, name)`.
pub type PodKey = (String, String);

/// Position of a pod in the list: unhealthy first, then namespace, then name.
pub type PodPlace = Sorted<u8, PodKey>;

/// Pod counts by health, for the summary line and the header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub running: usize,
    pub pending: usize,
    pub failing: usize,
    pub warning: usize,
    pub terminating: usize,
    pub completed: usize,
}

impl PodCounts {
    pub fn total(&self) -> usize {
        self.running
            + self.pending
            + self.failing
            + self.warning
            + self.terminating
            + self.completed
    }

    /// Pods that need attention (failing or not ready).
    pub fn unhealthy(&self) -> usize {
        self.failing + self.warning
    }

    fn slot(&mut self, health: Health) -> &mut usize {
        match health {
            Health::Ok => &mut self.running,
            Health::Pending => &mut self.pending,
            Health::Failed => &mut self.failing,
            Health::Warning => &mut self.warning,
            Health::Terminating => &mut self.terminating,
            Health::Completed => &mut self.completed,
        }
    }
}

fn rank(health: Health) -> u8 {
    match health {
        Health::Failed => 0,
        Health::Warning => 1,
        Health::Pending => 2,
        Health::Terminating => 3,
        Health::Ok => 4,
        Health::Completed => 5,
    }
}

fn place(row: &PodRow) -> PodPlace {
    Sorted {
        by: rank(row.health),
        id: (row.namespace.clone(), row.name.clone()),
    }
}

/// State of the pods pane.
#[derive(Debug, Default)]
pub struct PodsState {
    rows: HashMap<PodKey, PodRow>,
    /// The rows that pass the filter, sorted; cursor, window and filter.
    pub(super) list: ListState<PodPlace>,
    counts: PodCounts,
    /// True once the first list arrived (before that the pane says "connecting").
    pub listed: bool,
    /// CPU and memory per pod from `metrics.k8s.io`; `true` in the pair: the last usage seen
    /// of a pod metrics-server no longer reports (its container was OOM-killed).
    usage: HashMap<PodKey, (Usage, bool)>,
    /// The cluster serves `metrics.k8s.io`: the CPU and MEM columns.
    pub usage_served: bool,
    /// `usage` summed per controlling owner `(namespace, kind, name)` (a ReplicaSet, a
    /// StatefulSet…), computed once per poll for the rollout rows.
    by_owner: HashMap<(String, String, String), Usage>,
}

impl PodsState {
    /// Replace everything with a fresh list (initial list or relist after 410 Gone).
    pub fn apply_listed(&mut self, rows: Vec<PodRow>) {
        self.rows = rows
            .into_iter()
            .map(|r| ((r.namespace.clone(), r.name.clone()), r))
            .collect();
        self.counts = PodCounts::default();
        for row in self.rows.values() {
            *self.counts.slot(row.health) += 1;
        }
        self.listed = true;
        self.rebuild_view();
    }

    /// Insert or replace one pod.
    pub fn apply_pod(&mut self, row: PodRow) {
        let key = (row.namespace.clone(), row.name.clone());
        let old = self.remove_row(&key);
        *self.counts.slot(row.health) += 1;
        let new = matches_filter(&row, self.list.filter()).then(|| place(&row));
        self.list.replace(old.as_ref(), new);
        self.rows.insert(key, row);
    }

    /// Remove one pod.
    pub fn apply_deleted(&mut self, namespace: &str, name: &str) {
        let key = (namespace.to_string(), name.to_string());
        self.usage.remove(&key);
        let old = self.remove_row(&key);
        self.list.replace(old.as_ref(), None);
    }

    /// A poll of `metrics.k8s.io` (`None`: not served). A pod left out of it keeps its last
    /// usage, marked as such, when its container was OOM-killed: the last figure before the
    /// kill is what the on-call engineer asks for. Returns whether anything changed.
    pub fn apply_usage(&mut self, usage: Option<Vec<(PodKey, Usage)>>) -> bool {
        let Some(list) = usage else {
            let changed = self.usage_served || !self.usage.is_empty();
            self.usage_served = false;
            self.usage.clear();
            self.by_owner.clear();
            return changed;
        };
        let mut next: HashMap<PodKey, (Usage, bool)> =
            list.into_iter().map(|(k, u)| (k, (u, false))).collect();
        for (key, (usage, _)) in &self.usage {
            let oom = self
                .rows
                .get(key)
                .and_then(|r| r.last_exit.as_deref())
                .is_some_and(|e| e.starts_with("OOMKilled"));
            if oom && !next.contains_key(key) {
                next.insert(key.clone(), (*usage, true));
            }
        }
        let changed = !self.usage_served || next != self.usage;
        self.usage_served = true;
        self.usage = next;
        self.by_owner.clear();
        for (key, (u, _)) in &self.usage {
            let Some((kind, name)) = self.rows.get(key).and_then(|r| r.owner.clone()) else {
                continue;
            };
            let sum = self
                .by_owner
                .entry((key.0.clone(), kind, name))
                .or_default();
            sum.cpu_m += u.cpu_m;
            sum.mem_b += u.mem_b;
        }
        changed
    }

    /// What the pods a controller owns use together (`kind` as in owner references:
    /// `ReplicaSet`, `StatefulSet`, `DaemonSet`), as of the last poll.
    pub fn owner_usage(&self, namespace: &str, kind: &str, name: &str) -> Option<Usage> {
        let key = (namespace.to_string(), kind.to_string(), name.to_string());
        self.by_owner.get(&key).copied()
    }

    /// The usage of a pod, and whether it is the last one seen (not current).
    pub fn usage(&self, namespace: &str, name: &str) -> Option<(Usage, bool)> {
        self.usage
            .get(&(namespace.to_string(), name.to_string()))
            .copied()
    }

    /// Forget a row and count it out; returns its place in the list.
    fn remove_row(&mut self, key: &PodKey) -> Option<PodPlace> {
        let old = self.rows.remove(key)?;
        let slot = self.counts.slot(old.health);
        *slot = slot.saturating_sub(1);
        Some(place(&old))
    }

    fn rebuild_view(&mut self) {
        let filter = self.list.filter();
        let mut view: Vec<PodPlace> = self
            .rows
            .values()
            .filter(|r| matches_filter(r, filter))
            .map(place)
            .collect();
        view.sort_unstable();
        self.list.set_rows(view);
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.list.set_filter(filter) {
            self.rebuild_view();
        }
    }

    pub fn filter(&self) -> &str {
        self.list.filter().text()
    }

    /// The list: cursor, window and the order of the rows that pass the filter.
    pub fn list(&self) -> &ListState<PodPlace> {
        &self.list
    }

    pub fn selected_index(&self) -> usize {
        self.list.cursor()
    }

    pub fn selected_row(&self) -> Option<&PodRow> {
        self.list.selected().and_then(|k| self.rows.get(&k.id))
    }

    /// Number of rows that pass the filter.
    pub fn visible_len(&self) -> usize {
        self.list.len()
    }

    pub fn total_len(&self) -> usize {
        self.rows.len()
    }

    /// Rows `start..start+len` of the filtered, sorted list.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = &PodRow> {
        self.list
            .window(start, len)
            .filter_map(|k| self.rows.get(&k.id))
    }

    pub fn counts(&self) -> PodCounts {
        self.counts
    }

    /// Every pod in scope, in no order, whatever the filter.
    pub fn all(&self) -> impl Iterator<Item = &PodRow> {
        self.rows.values()
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&PodRow> {
        self.rows.get(&(namespace.to_string(), name.to_string()))
    }

    /// Put the cursor on a pod's row, clearing the filter when it hides the row. False when
    /// the pod is not known.
    pub fn select_key(&mut self, key: &PodKey) -> bool {
        let Some(at) = self.rows.get(key).map(place) else {
            return false;
        };
        if self.list.position(&at).is_none() {
            self.set_filter("");
        }
        match self.list.position(&at) {
            Some(i) => {
                self.list.select(i);
                true
            }
            None => false,
        }
    }

    /// Forget everything (scope changed); the window height stays.
    pub fn clear(&mut self) {
        let height = self.list.height();
        *self = PodsState::default();
        self.list.set_height(height);
    }
}

/// Case-insensitive substring match on namespace/name, status and node; `!text` negates.
fn matches_filter(row: &PodRow, filter: &Filter) -> bool {
    filter.matches([&row.namespace, &row.name, &row.status, &row.node].map(String::as_str))
}
