//! The rollouts pane: Deployments, StatefulSets and DaemonSets and their revisions
//! (ReplicaSets, ControllerRevisions) as compact records, one row per workload ordered by most
//! recent change, and the selection.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::model::rollout::{
    RevisionInfo, RevisionRow, RevisionSource, RolloutChange, RolloutRow, RolloutState,
    WorkloadInfo, WorkloadKind, history,
};
use crate::state::list::{Filter, ListState, Sorted};

/// A workload of the rollouts pane: kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RolloutKey {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
}

impl RolloutKey {
    pub fn new(kind: WorkloadKind, namespace: &str, name: &str) -> RolloutKey {
        RolloutKey {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn deployment(namespace: &str, name: &str) -> RolloutKey {
        RolloutKey::new(WorkloadKind::Deployment, namespace, name)
    }

    pub fn of(w: &WorkloadInfo) -> RolloutKey {
        RolloutKey::new(w.kind, &w.namespace, &w.name)
    }

    pub fn of_row(r: &RolloutRow) -> RolloutKey {
        RolloutKey::new(r.kind, &r.namespace, &r.name)
    }

    fn owner_of(r: &RevisionInfo) -> Option<RolloutKey> {
        let (owner, _) = r.owner.as_ref()?;
        Some(RolloutKey::new(r.owner_kind, &r.namespace, owner))
    }

    /// `shop/deploy/checkout`.
    pub fn describe(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.kind.short(), self.name)
    }
}

/// A revision object: where it is kept, namespace, name.
type RevisionKey = (RevisionSource, String, String);

/// Position in the list: most recent change first, then namespace/name.
pub type RolloutPlace = Sorted<Reverse<Option<Timestamp>>, RolloutKey>;

fn place(key: &RolloutKey, row: &RolloutRow) -> RolloutPlace {
    Sorted {
        by: Reverse(row.changed_at),
        id: key.clone(),
    }
}

/// `/` on the rollouts pane: namespace, name, kind, state and the change summary.
fn matches_filter(row: &RolloutRow, filter: &Filter) -> bool {
    let fields = [&row.namespace, &row.name, &row.summary].map(String::as_str);
    let kind = [row.kind.short(), row.kind.noun(), row.state.label()];
    filter.matches(fields.into_iter().chain(kind))
}

/// Workloads by rollout state and by kind, for the summary line (kept up to date on change).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RolloutCounts {
    pub progressing: usize,
    pub complete: usize,
    pub stalled: usize,
    pub paused: usize,
    pub scaled_to_zero: usize,
    /// Deployments, StatefulSets, DaemonSets (in [`WorkloadKind`] order).
    pub kinds: [usize; 3],
}

impl RolloutCounts {
    /// How many workloads of `kind` are in scope.
    pub fn of_kind(&self, kind: WorkloadKind) -> usize {
        self.kinds[kind as usize]
    }

    fn add(&mut self, row: &RolloutRow) {
        *self.slot(row.state) += 1;
        self.kinds[row.kind as usize] += 1;
    }

    fn remove(&mut self, row: &RolloutRow) {
        let slot = self.slot(row.state);
        *slot = slot.saturating_sub(1);
        let kind = &mut self.kinds[row.kind as usize];
        *kind = kind.saturating_sub(1);
    }

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
    workloads: HashMap<RolloutKey, WorkloadInfo>,
    /// Revisions by owner, then by their own name.
    revisions: HashMap<RolloutKey, BTreeMap<String, RevisionInfo>>,
    /// Revision → its owner, to find a revision by name on delete.
    owner_of: HashMap<RevisionKey, RolloutKey>,
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
            RolloutChange::Listed(kind, list) => {
                self.workloads.retain(|k, _| k.kind != kind);
                self.workloads
                    .extend(list.into_iter().map(|d| (RolloutKey::of(&d), d)));
                if kind == WorkloadKind::Deployment {
                    self.listed = true;
                }
                self.rebuild_all();
            }
            RolloutChange::Applied(d) => {
                let key = RolloutKey::of(&d);
                self.workloads.insert(key.clone(), *d);
                self.rebuild(&key);
            }
            RolloutChange::Deleted {
                kind,
                namespace,
                name,
            } => {
                let key = RolloutKey::new(kind, &namespace, &name);
                self.workloads.remove(&key);
                self.rebuild(&key);
            }
            RolloutChange::RevisionsListed(source, list) => {
                for set in self.revisions.values_mut() {
                    set.retain(|_, r| r.source != source);
                }
                self.revisions.retain(|_, set| !set.is_empty());
                self.owner_of.retain(|(s, _, _), _| *s != source);
                for rs in list {
                    self.insert_revision(rs);
                }
                self.rebuild_all();
            }
            RolloutChange::RevisionApplied(rs) => {
                let old_owner = self.remove_revision(rs.source, &rs.namespace, &rs.name);
                let owner = self.insert_revision(*rs);
                for key in old_owner.into_iter().chain(owner) {
                    self.rebuild(&key);
                }
            }
            RolloutChange::RevisionDeleted {
                source,
                namespace,
                name,
            } => match self.remove_revision(source, &namespace, &name) {
                Some(key) => self.rebuild(&key),
                None => return false,
            },
        }
        true
    }

    /// Returns the owner key the revision was filed under.
    fn insert_revision(&mut self, rs: RevisionInfo) -> Option<RolloutKey> {
        let key = RolloutKey::owner_of(&rs)?;
        self.owner_of.insert(
            (rs.source, rs.namespace.clone(), rs.name.clone()),
            key.clone(),
        );
        self.revisions
            .entry(key.clone())
            .or_default()
            .insert(rs.name.clone(), rs);
        Some(key)
    }

    fn remove_revision(
        &mut self,
        source: RevisionSource,
        namespace: &str,
        name: &str,
    ) -> Option<RolloutKey> {
        let key = self
            .owner_of
            .remove(&(source, namespace.to_string(), name.to_string()))?;
        if let Some(set) = self.revisions.get_mut(&key) {
            set.remove(name);
            if set.is_empty() {
                self.revisions.remove(&key);
            }
        }
        Some(key)
    }

    /// The Deployment that owns a ReplicaSet (by name).
    pub fn owner_of_replica_set(&self, namespace: &str, name: &str) -> Option<&str> {
        let key = (
            RevisionSource::ReplicaSet,
            namespace.to_string(),
            name.to_string(),
        );
        self.owner_of.get(&key).map(|k| k.name.as_str())
    }

    /// A pod's owner chain as the pods' detail shows it: `ReplicaSet/checkout-7d9f (revision
    /// 4) of Deployment/checkout`, `StatefulSet/postgres, revision 3 (postgres-5f6d)`, else the
    /// owner alone. `hash` is the pod's `controller-revision-hash`.
    pub fn owner_chain(
        &self,
        namespace: &str,
        (kind, name): (&str, &str),
        hash: Option<&str>,
    ) -> String {
        let revision_text = |r: &RevisionInfo| match r.revision {
            Some(n) => format!("revision {n}"),
            None => "no revision".into(),
        };
        if kind == "ReplicaSet"
            && let Some(owner) = self.owner_of_replica_set(namespace, name)
        {
            let key = RolloutKey::deployment(namespace, owner);
            let revs = self.revisions_of(&key);
            let revision = revs
                .iter()
                .find(|r| r.name == name)
                .map(|r| revision_text(r));
            let revision = revision.map(|r| format!(" ({r})")).unwrap_or_default();
            return format!("{kind}/{name}{revision} of Deployment/{owner}");
        }
        let owned = WorkloadKind::from_kind(kind)
            .filter(|k| *k != WorkloadKind::Deployment)
            .map(|k| self.revisions_of(&RolloutKey::new(k, namespace, name)));
        let running = owned.iter().flatten().find(|r| {
            hash.is_some_and(|h| {
                r.name == h
                    || r.name.strip_prefix(name).and_then(|s| s.strip_prefix('-')) == Some(h)
            })
        });
        match running {
            Some(r) => format!("{kind}/{name}, {} ({})", revision_text(r), r.name),
            None => format!("{kind}/{name}"),
        }
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

    /// Every workload in scope, in no order.
    pub fn workloads(&self) -> impl Iterator<Item = &WorkloadInfo> {
        self.workloads.values()
    }

    /// The revisions filed under a workload (ownership by uid is checked by the model).
    pub fn revisions_of(&self, key: &RolloutKey) -> Vec<&RevisionInfo> {
        self.revisions
            .get(key)
            .map(|set| set.values().collect())
            .unwrap_or_default()
    }

    /// The ReplicaSets filed under a Deployment.
    pub fn replica_sets_of(&self, namespace: &str, name: &str) -> Vec<&RevisionInfo> {
        self.revisions_of(&RolloutKey::deployment(namespace, name))
    }

    /// Recompute one row (or drop it when its Deployment is gone) and move it in the list.
    fn rebuild(&mut self, key: &RolloutKey) {
        let old = self.rows.remove(key).map(|row| {
            self.counts.remove(&row);
            place(key, &row)
        });
        let row = self
            .workloads
            .get(key)
            .map(|d| RolloutRow::build(d, &self.revisions_of(key)));
        let new = row.and_then(|row| {
            self.counts.add(&row);
            let new = matches_filter(&row, self.list.filter()).then(|| place(key, &row));
            self.rows.insert(key.clone(), row);
            new
        });
        self.list.replace(old.as_ref(), new);
    }

    fn rebuild_all(&mut self) {
        self.rows = self
            .workloads
            .iter()
            .map(|(k, d)| (k.clone(), RolloutRow::build(d, &self.revisions_of(k))))
            .collect();
        self.counts = RolloutCounts::default();
        for row in self.rows.values() {
            self.counts.add(row);
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
    pub fn selected_deployment(&self) -> Option<&WorkloadInfo> {
        self.list.selected().and_then(|k| self.workloads.get(&k.id))
    }

    pub fn deployment(&self, namespace: &str, name: &str) -> Option<&WorkloadInfo> {
        self.workload(&RolloutKey::deployment(namespace, name))
    }

    pub fn workload(&self, key: &RolloutKey) -> Option<&WorkloadInfo> {
        self.workloads.get(key)
    }

    /// Revisions of a workload, newest first.
    pub fn history(&self, key: &RolloutKey) -> Vec<RevisionRow> {
        match self.workload(key) {
            Some(d) => history(d, &self.revisions_of(key)),
            None => Vec::new(),
        }
    }

    /// The ReplicaSet or ControllerRevision of a revision of a workload.
    pub fn revision(&self, d: &WorkloadInfo, revision: u64) -> Option<&RevisionInfo> {
        self.revisions_of(&RolloutKey::of(d))
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
