//! The rollouts pane: Deployments and their ReplicaSets as compact records, one row per
//! Deployment ordered by most recent change, and the selection.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::model::rollout::{
    DeploymentInfo, ReplicaSetInfo, RevisionRow, RolloutChange, RolloutRow, RolloutState, history,
};
use crate::state::list::{Filter, ListState, Sorted};

/// `(namespace, name)` of a Deployment.
pub type RolloutKey = (String, String);

/// Position in the list: most recent change first, then namespace/name.
pub type RolloutPlace = Sorted<Reverse<Option<Timestamp>>, RolloutKey>;

fn place(key: &RolloutKey, row: &RolloutRow) -> RolloutPlace {
    Sorted {
        by: Reverse(row.changed_at),
        id: key.clone(),
    }
}

/// `/` on the rollouts pane: namespace, name, state and the change summary.
fn matches_filter(row: &RolloutRow, filter: &Filter) -> bool {
    let fields = [&row.namespace, &row.name, &row.summary].map(String::as_str);
    filter.matches(fields.into_iter().chain([row.state.label()]))
}

/// Deployments by rollout state, for the summary line (kept up to date on change).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RolloutCounts {
    pub progressing: usize,
    pub complete: usize,
    pub stalled: usize,
    pub paused: usize,
    pub scaled_to_zero: usize,
}

impl RolloutCounts {
    pub fn of(&self, state: RolloutState) -> usize {
        match state {
            RolloutState::Progressing => self.progressing,
            RolloutState::Complete => self.complete,
            RolloutState::Stalled => self.stalled,
            RolloutState::Paused => self.paused,
            RolloutState::ScaledToZero => self.scaled_to_zero,
        }
    }

    fn slot(&mut self, state: RolloutState) -> &mut usize {
        match state {
            RolloutState::Progressing => &mut self.progressing,
            RolloutState::Complete => &mut self.complete,
            RolloutState::Stalled => &mut self.stalled,
            RolloutState::Paused => &mut self.paused,
            RolloutState::ScaledToZero => &mut self.scaled_to_zero,
        }
    }
}

/// State of the rollouts pane.
#[derive(Debug, Default)]
pub struct RolloutsState {
    deployments: HashMap<RolloutKey, DeploymentInfo>,
    /// ReplicaSets by `(namespace, owner Deployment name)`, then by their own name.
    replica_sets: HashMap<RolloutKey, BTreeMap<String, ReplicaSetInfo>>,
    /// `(namespace, ReplicaSet name)` → owner name, to find a ReplicaSet by name on delete.
    owner_of: HashMap<RolloutKey, String>,
    rows: HashMap<RolloutKey, RolloutRow>,
    /// One row per Deployment, sorted; cursor and window.
    pub(super) list: ListState<RolloutPlace>,
    counts: RolloutCounts,
    /// True once the first list of Deployments arrived.
    pub listed: bool,
}

impl RolloutsState {
    /// Apply a change from the watcher. Returns whether anything changed.
    pub fn apply(&mut self, change: RolloutChange) -> bool {
        match change {
            RolloutChange::DeploymentsListed(list) => {
                self.deployments = list
                    .into_iter()
                    .map(|d| ((d.namespace.clone(), d.name.clone()), d))
                    .collect();
                self.listed = true;
                self.rebuild_all();
            }
            RolloutChange::DeploymentApplied(d) => {
                let key = (d.namespace.clone(), d.name.clone());
                self.deployments.insert(key.clone(), *d);
                self.rebuild(&key);
            }
            RolloutChange::DeploymentDeleted { namespace, name } => {
                let key = (namespace, name);
                self.deployments.remove(&key);
                self.rebuild(&key);
            }
            RolloutChange::ReplicaSetsListed(list) => {
                self.replica_sets.clear();
                self.owner_of.clear();
                for rs in list {
                    self.insert_replica_set(rs);
                }
                self.rebuild_all();
            }
            RolloutChange::ReplicaSetApplied(rs) => {
                let old_owner = self.remove_replica_set(&rs.namespace, &rs.name);
                let owner = self.insert_replica_set(*rs);
                for key in old_owner.into_iter().chain(owner) {
                    self.rebuild(&key);
                }
            }
            RolloutChange::ReplicaSetDeleted { namespace, name } => {
                match self.remove_replica_set(&namespace, &name) {
                    Some(key) => self.rebuild(&key),
                    None => return false,
                }
            }
        }
        true
    }

    /// Returns the owner key the ReplicaSet was filed under.
    fn insert_replica_set(&mut self, rs: ReplicaSetInfo) -> Option<RolloutKey> {
        let (owner, _) = rs.owner.clone()?;
        let key = (rs.namespace.clone(), owner.clone());
        self.owner_of
            .insert((rs.namespace.clone(), rs.name.clone()), owner);
        self.replica_sets
            .entry(key.clone())
            .or_default()
            .insert(rs.name.clone(), rs);
        Some(key)
    }

    fn remove_replica_set(&mut self, namespace: &str, name: &str) -> Option<RolloutKey> {
        let owner = self
            .owner_of
            .remove(&(namespace.to_string(), name.to_string()))?;
        let key = (namespace.to_string(), owner);
        if let Some(set) = self.replica_sets.get_mut(&key) {
            set.remove(name);
            if set.is_empty() {
                self.replica_sets.remove(&key);
            }
        }
        Some(key)
    }

    /// The Deployment that owns a ReplicaSet (by name).
    pub fn owner_of_replica_set(&self, namespace: &str, name: &str) -> Option<&str> {
        self.owner_of
            .get(&(namespace.to_string(), name.to_string()))
            .map(String::as_str)
    }

    /// Put the cursor on a Deployment's row. False when the Deployment is not known.
    pub fn select_key(&mut self, key: &RolloutKey) -> bool {
        let Some(at) = self.rows.get(key).map(|row| place(key, row)) else {
            return false;
        };
        match self.list.position(&at) {
            Some(i) => {
                self.list.select(i);
                true
            }
            None => false,
        }
    }

    /// Every Deployment in scope, in no order.
    pub fn deployments(&self) -> impl Iterator<Item = &DeploymentInfo> {
        self.deployments.values()
    }

    /// The ReplicaSets filed under a Deployment (ownership by uid is checked by the model).
    pub fn replica_sets_of(&self, namespace: &str, name: &str) -> Vec<&ReplicaSetInfo> {
        self.replica_sets
            .get(&(namespace.to_string(), name.to_string()))
            .map(|set| set.values().collect())
            .unwrap_or_default()
    }

    /// Recompute one row (or drop it when its Deployment is gone) and move it in the list.
    fn rebuild(&mut self, key: &RolloutKey) {
        let old = self.rows.remove(key).map(|row| {
            let slot = self.counts.slot(row.state);
            *slot = slot.saturating_sub(1);
            place(key, &row)
        });
        let row = self
            .deployments
            .get(key)
            .map(|d| RolloutRow::build(d, &self.replica_sets_of(&key.0, &key.1)));
        let new = row.and_then(|row| {
            *self.counts.slot(row.state) += 1;
            let new = matches_filter(&row, self.list.filter()).then(|| place(key, &row));
            self.rows.insert(key.clone(), row);
            new
        });
        self.list.replace(old.as_ref(), new);
    }

    fn rebuild_all(&mut self) {
        self.rows = self
            .deployments
            .iter()
            .map(|(k, d)| {
                (
                    k.clone(),
                    RolloutRow::build(d, &self.replica_sets_of(&k.0, &k.1)),
                )
            })
            .collect();
        self.counts = RolloutCounts::default();
        for row in self.rows.values() {
            *self.counts.slot(row.state) += 1;
        }
        self.rebuild_view();
    }

    /// The rows that pass the filter, sorted.
    fn rebuild_view(&mut self) {
        let filter = self.list.filter();
        let mut view: Vec<RolloutPlace> = self
            .rows
            .iter()
            .filter(|(_, r)| matches_filter(r, filter))
            .map(|(k, r)| place(k, r))
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

    /// Number of rows that pass the filter.
    pub fn visible_len(&self) -> usize {
        self.list.len()
    }

    /// The list: cursor, window and the order of the rows.
    pub fn list(&self) -> &ListState<RolloutPlace> {
        &self.list
    }

    pub fn selected_index(&self) -> usize {
        self.list.cursor()
    }

    pub fn selected_row(&self) -> Option<&RolloutRow> {
        self.list.selected().and_then(|k| self.rows.get(&k.id))
    }

    /// The Deployment under the cursor.
    pub fn selected_deployment(&self) -> Option<&DeploymentInfo> {
        self.list
            .selected()
            .and_then(|k| self.deployments.get(&k.id))
    }

    pub fn deployment(&self, namespace: &str, name: &str) -> Option<&DeploymentInfo> {
        self.deployments
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// Revisions of a Deployment, newest first.
    pub fn history(&self, namespace: &str, name: &str) -> Vec<RevisionRow> {
        match self.deployment(namespace, name) {
            Some(d) => history(d, &self.replica_sets_of(namespace, name)),
            None => Vec::new(),
        }
    }

    /// The ReplicaSet of a revision of a Deployment.
    pub fn revision(&self, d: &DeploymentInfo, revision: u64) -> Option<&ReplicaSetInfo> {
        self.replica_sets_of(&d.namespace, &d.name)
            .into_iter()
            .find(|rs| d.owns(rs) && rs.revision == Some(revision))
    }

    /// Deployments in scope, whatever the filter.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Deployments by rollout state.
    pub fn counts(&self) -> RolloutCounts {
        self.counts
    }

    /// Rows `start..start+len` in display order.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = &RolloutRow> {
        self.list
            .window(start, len)
            .filter_map(|k| self.rows.get(&k.id))
    }

    /// Forget everything (scope changed); the window height stays.
    pub fn clear(&mut self) {
        let height = self.list.height();
        *self = RolloutsState::default();
        self.list.set_height(height);
    }
}
