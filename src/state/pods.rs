//! The pods pane: rows keyed by namespace/name, a sorted (and filtered) view, selection.
//!
//! Updates are incremental: an applied pod costs a binary search and one `Vec` insert/remove,
//! never a re-sort of 50,000 rows. Rendering reads only the visible window of `view`.

use std::cell::Cell;
use std::collections::HashMap;

use crate::model::pod::{Health, PodRow};

/// `(namespace, name)`.
pub type PodKey = (String, String);

/// Position of a pod in the list: unhealthy first, then namespace, then name.
type SortKey = (u8, PodKey);

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

fn sort_key(row: &PodRow) -> SortKey {
    (rank(row.health), (row.namespace.clone(), row.name.clone()))
}

/// State of the pods pane.
#[derive(Debug, Default)]
pub struct PodsState {
    rows: HashMap<PodKey, PodRow>,
    /// Sorted keys of the rows that pass the filter.
    view: Vec<SortKey>,
    filter: String,
    counts: PodCounts,
    selected: usize,
    /// The pod under the cursor; selection follows it when rows move.
    selected_key: Option<PodKey>,
    /// The cursor was moved away from the top by the user. Until then it stays on the first
    /// row, so that the most unhealthy pods stay in view as the list changes.
    moved: bool,
    /// True once the first list arrived (before that the pane says "connecting").
    pub listed: bool,
    /// View state touched by rendering only: first visible row and the last viewport height.
    pub offset: Cell<usize>,
    pub viewport: Cell<usize>,
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
        self.remove(&key);
        *self.counts.slot(row.health) += 1;
        if matches_filter(&row, &self.filter) {
            let sk = sort_key(&row);
            let at = self.view.binary_search(&sk).unwrap_or_else(|i| i);
            self.view.insert(at, sk);
        }
        self.rows.insert(key, row);
        self.follow_selection();
    }

    /// Remove one pod.
    pub fn apply_deleted(&mut self, namespace: &str, name: &str) {
        self.remove(&(namespace.to_string(), name.to_string()));
        self.follow_selection();
    }

    fn remove(&mut self, key: &PodKey) {
        if let Some(old) = self.rows.remove(key) {
            let slot = self.counts.slot(old.health);
            *slot = slot.saturating_sub(1);
            if let Ok(at) = self.view.binary_search(&sort_key(&old)) {
                self.view.remove(at);
            }
        }
    }

    fn rebuild_view(&mut self) {
        self.view = self
            .rows
            .values()
            .filter(|r| matches_filter(r, &self.filter))
            .map(sort_key)
            .collect();
        self.view.sort_unstable();
        self.follow_selection();
    }

    /// Keep the cursor on the same pod if it is still visible, else clamp.
    fn follow_selection(&mut self) {
        if !self.moved {
            self.selected = 0;
            self.selected_key = self.view.first().map(|(_, k)| k.clone());
            return;
        }
        let found = self
            .selected_key
            .as_ref()
            .and_then(|key| self.rows.get(key))
            .and_then(|row| self.view.binary_search(&sort_key(row)).ok());
        if let Some(at) = found {
            self.selected = at;
            return;
        }
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
        self.selected_key = self.view.get(self.selected).map(|(_, k)| k.clone());
    }

    pub fn set_filter(&mut self, filter: &str) {
        if self.filter != filter {
            self.filter = filter.to_string();
            self.rebuild_view();
        }
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Move the cursor by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() - 1;
        let to = (self.selected as isize + delta).clamp(0, last as isize) as usize;
        self.select(to);
    }

    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.view.len().saturating_sub(1));
        self.moved = self.selected != 0;
        self.selected_key = self.view.get(self.selected).map(|(_, k)| k.clone());
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

    pub fn selected_row(&self) -> Option<&PodRow> {
        self.view
            .get(self.selected)
            .and_then(|(_, k)| self.rows.get(k))
    }

    /// Number of rows that pass the filter.
    pub fn visible_len(&self) -> usize {
        self.view.len()
    }

    pub fn total_len(&self) -> usize {
        self.rows.len()
    }

    /// Rows `start..start+len` of the filtered, sorted list.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = &PodRow> {
        self.view
            .iter()
            .skip(start)
            .take(len)
            .filter_map(|(_, k)| self.rows.get(k))
    }

    pub fn counts(&self) -> PodCounts {
        self.counts
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&PodRow> {
        self.rows.get(&(namespace.to_string(), name.to_string()))
    }

    /// Forget everything (scope changed).
    pub fn clear(&mut self) {
        *self = PodsState::default();
    }
}

/// Case-insensitive substring match on namespace/name, status and node; `!text` negates.
fn matches_filter(row: &PodRow, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let (negate, needle) = match filter.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, filter),
    };
    let needle = needle.to_lowercase();
    let hit = [&row.namespace, &row.name, &row.status, &row.node]
        .iter()
        .any(|f| f.to_lowercase().contains(&needle));
    hit != negate
}
