//! The rollouts pane: Deployments and their ReplicaSets as compact records, one row per
//! Deployment ordered by most recent change, and the selection.

use crate::state::cursor::Cursor;
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::model::rollout::{
    DeploymentInfo, ReplicaSetInfo, RevisionRow, RolloutChange, RolloutRow, history,
};

/// `(namespace, name)` of a Deployment.
pub type RolloutKey = (String, String);

/// Position in the list: most recent change first, then namespace/name.
type SortKey = (Reverse<Option<Timestamp>>, RolloutKey);

/// State of the rollouts pane.
#[derive(Debug, Default)]
pub struct RolloutsState {
    deployments: HashMap<RolloutKey, DeploymentInfo>,
    /// ReplicaSets by `(namespace, owner Deployment name)`, then by their own name.
    replica_sets: HashMap<RolloutKey, BTreeMap<String, ReplicaSetInfo>>,
    /// `(namespace, ReplicaSet name)` → owner name, to find a ReplicaSet by name on delete.
    owner_of: HashMap<RolloutKey, String>,
    rows: HashMap<RolloutKey, RolloutRow>,
    view: Vec<SortKey>,
    cursor: Cursor<RolloutKey>,
    /// True once the first list of Deployments arrived.
    pub listed: bool,
    /// View state touched by rendering only.
    pub offset: Cell<usize>,
    pub viewport: Cell<usize>,
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

    /// The ReplicaSets filed under a Deployment (ownership by uid is checked by the model).
    pub fn replica_sets_of(&self, namespace: &str, name: &str) -> Vec<&ReplicaSetInfo> {
        self.replica_sets
            .get(&(namespace.to_string(), name.to_string()))
            .map(|set| set.values().collect())
            .unwrap_or_default()
    }

    /// Recompute one row (or drop it when its Deployment is gone) and re-sort.
    fn rebuild(&mut self, key: &RolloutKey) {
        match self.deployments.get(key) {
            Some(d) => {
                let row = RolloutRow::build(d, &self.replica_sets_of(&key.0, &key.1));
                self.rows.insert(key.clone(), row);
            }
            None => {
                self.rows.remove(key);
            }
        }
        self.sort();
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
        self.sort();
    }

    fn sort(&mut self) {
        self.view = self
            .rows
            .iter()
            .map(|(k, r)| (Reverse(r.changed_at), k.clone()))
            .collect();
        self.view.sort_unstable();
        self.follow_selection();
    }

    /// Keep the cursor on top, or on the same Deployment if the user moved it there.
    fn follow_selection(&mut self) {
        let view = &self.view;
        self.cursor.follow(
            view.len(),
            |key| view.iter().position(|(_, k)| k == key),
            |i| view.get(i).map(|(_, k)| k.clone()),
        );
    }

    /// Move the cursor by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        let view = &self.view;
        let key_at = |i: usize| view.get(i).map(|(_, k)| k.clone());
        self.cursor.move_by(delta, view.len(), key_at);
    }

    pub fn select(&mut self, index: usize) {
        let view = &self.view;
        let key_at = |i: usize| view.get(i).map(|(_, k)| k.clone());
        self.cursor.select(index, view.len(), key_at);
    }

    pub fn select_last(&mut self) {
        self.select(self.view.len().saturating_sub(1));
    }

    /// Rows per page, as last rendered.
    pub fn page(&self) -> usize {
        self.viewport.get().max(1)
    }

    pub fn selected_index(&self) -> usize {
        self.cursor.index()
    }

    pub fn selected_row(&self) -> Option<&RolloutRow> {
        self.cursor.key().and_then(|k| self.rows.get(k))
    }

    /// The Deployment under the cursor.
    pub fn selected_deployment(&self) -> Option<&DeploymentInfo> {
        self.cursor.key().and_then(|k| self.deployments.get(k))
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

    pub fn len(&self) -> usize {
        self.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    /// Rows `start..start+len` in display order.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = &RolloutRow> {
        self.view
            .iter()
            .skip(start)
            .take(len)
            .filter_map(|(_, k)| self.rows.get(k))
    }

    /// Forget everything (scope changed).
    pub fn clear(&mut self) {
        *self = RolloutsState::default();
    }
}
