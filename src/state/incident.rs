//! What feeds the incident timeline from the updates the other panes already get: a new
//! ReplicaSet revision (with the change summary), a pod restart (reason and exit code), an
//! alert starting or resolving, an action's outcome; Kubernetes events come ready-made from
//! their own watch. Also the keys of the timeline: `T`, `5`, `:timeline`.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::action::{Action, Pane};
use crate::model::alert::AlertRow;
use crate::model::correlate::Kind;
use crate::model::rollout::{RevisionInfo, RevisionSource, RolloutChange, change_summary};
use crate::model::timeline::{Entry, EntryKind, short_kind};
use crate::state::timeline::Focus;
use crate::state::{AppState, Effect};
use crate::update::{Outcome, Update};

/// The firing alerts before an alerts update, to tell which started and which resolved.
pub(super) type Firing = HashSet<String>;

impl AppState {
    /// Timeline entries an update brings, read from the state before it is applied (a restart
    /// is a restart count higher than the row's; a revision is a ReplicaSet not seen before).
    pub(super) fn timeline_entries(&self, update: &Update) -> Vec<Entry> {
        match update {
            Update::TimelineEntry { scope, entry } if *scope == self.scope => {
                vec![(**entry).clone()]
            }
            Update::RolloutsChanged { scope, change } if *scope == self.scope => match change {
                RolloutChange::RevisionsListed(RevisionSource::ReplicaSet, list) => list
                    .iter()
                    .filter_map(|rs| self.revision_entry(rs, list))
                    .collect(),
                RolloutChange::RevisionApplied(rs)
                    if self
                        .rollouts
                        .owner_of_replica_set(&rs.namespace, &rs.name)
                        .is_none() =>
                {
                    let known: Vec<RevisionInfo> = rs
                        .owner
                        .as_ref()
                        .map(|(d, _)| {
                            self.rollouts
                                .replica_sets_of(&rs.namespace, d)
                                .into_iter()
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    self.revision_entry(rs, &known).into_iter().collect()
                }
                _ => Vec::new(),
            },
            Update::PodApplied { scope, row } if *scope == self.scope => {
                let Some(old) = self.pods.get(&row.namespace, &row.name) else {
                    return Vec::new();
                };
                if row.restarts <= old.restarts {
                    return Vec::new();
                }
                let why = row.last_exit.as_deref().unwrap_or(&row.status);
                vec![Entry {
                    at: row.last_restart.unwrap_or(self.now),
                    kind: EntryKind::Restart,
                    namespace: row.namespace.clone(),
                    object: format!("pod/{}", row.name),
                    text: format!("restarted: {why}"),
                    count: 1,
                    key: format!("restart:{}/{}", row.namespace, row.name),
                    workload: None,
                }]
            }
            Update::CommandFinished { id, outcome } => {
                // Only this session's mutations (not reads, previews or access reviews).
                let Some(action) = self.actions.iter().find(|a| a.id == *id) else {
                    return Vec::new();
                };
                let text = match outcome {
                    Outcome::Done(t) => t.clone(),
                    Outcome::Quiet => action.verb.to_string(),
                    Outcome::Refused(t) | Outcome::Failed(t) => format!("failed: {t}"),
                };
                let kind = if action.verb.contains("silence") {
                    EntryKind::Silence
                } else {
                    EntryKind::Action
                };
                vec![Entry {
                    at: self.now,
                    kind,
                    namespace: action.namespace.clone(),
                    object: action.object.clone(),
                    text,
                    count: 1,
                    key: format!("action:{id}"),
                    workload: None,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// `revision N: what changed` for a Deployment's ReplicaSet (revision 2 and later: the
    /// first is the initial one), against the previous revision among `known`.
    fn revision_entry(&self, rs: &RevisionInfo, known: &[RevisionInfo]) -> Option<Entry> {
        let (deploy, _) = rs.owner.as_ref()?;
        let revision = rs.revision.filter(|r| *r >= 2)?;
        let previous = known
            .iter()
            .filter(|o| o.owner == rs.owner && o.revision.is_some_and(|r| r < revision))
            .max_by_key(|o| o.revision);
        let summary = previous.map_or_else(String::new, |p| {
            format!(": {}", change_summary(&p.template, &rs.template))
        });
        let from = previous
            .and_then(|p| p.revision)
            .map_or(String::new(), |p| format!("r{p}→"));
        // No creation time (never from a real API server): no time to put it at.
        Some(Entry {
            at: rs.created?,
            kind: EntryKind::Revision,
            namespace: rs.namespace.clone(),
            object: format!("deploy/{deploy}"),
            text: format!("{from}r{revision} ({}){summary}", rs.name),
            count: 1,
            key: format!("revision:{}/{}", rs.namespace, rs.name),
            workload: Some(deploy.clone()),
        })
    }

    /// The workload `kind/name` in `namespace` belongs to, from what the watches hold: a
    /// Deployment itself, a ReplicaSet's Deployment, a pod's Deployment (through its
    /// ReplicaSet) or its other controller (StatefulSet, DaemonSet, Job).
    pub(super) fn workload_of(&self, namespace: &str, object: &str) -> Option<String> {
        let (kind, name) = object.split_once('/')?;
        match kind {
            "deploy" | "sts" | "ds" | "job" => Some(name.to_string()),
            "rs" => self
                .rollouts
                .owner_of_replica_set(namespace, name)
                .map(str::to_string),
            "pod" => match &self.pods.get(namespace, name)?.owner {
                Some((kind, rs)) if kind == "ReplicaSet" => self
                    .rollouts
                    .owner_of_replica_set(namespace, rs)
                    .map(str::to_string),
                Some((_, owner)) => Some(owner.clone()),
                None => None,
            },
            _ => None,
        }
    }

    /// The firing alerts now, before an alerts update.
    pub(super) fn firing_now(&self) -> Firing {
        self.alerts
            .firing()
            .map(|a| a.fingerprint.clone())
            .collect()
    }

    /// Alerts that started or resolved between `before` and now.
    pub(super) fn alert_entries(&self, before: &Firing) -> Vec<Entry> {
        let active: HashMap<&str, &AlertRow> = self
            .alerts
            .active()
            .map(|a| (a.fingerprint.as_str(), a))
            .collect();
        let started = self
            .alerts
            .firing()
            .filter(|a| !before.contains(&a.fingerprint))
            .map(|a| {
                let at = a.starts_at.unwrap_or(self.now);
                let text = format!("{} ({}): {}", a.name, a.severity.as_str(), a.summary);
                alert_entry(a, EntryKind::AlertFiring, at, text)
            });
        let resolved = before
            .iter()
            .filter(|fp| !active.contains_key(fp.as_str()))
            .filter_map(|fp| self.alerts.find(fp))
            .map(|v| {
                let text = format!("{} resolved", v.row.name);
                alert_entry(v.row, EntryKind::AlertResolved, self.now, text)
            });
        started.chain(resolved).collect()
    }

    /// `T`: the timeline in place of the logs pane, narrowed to the selected row's workload
    /// (or the selected alert's); `T` again puts the logs back.
    pub(super) fn toggle_timeline(&mut self) {
        if self.timeline.shown {
            self.timeline.shown = false;
            if self.ui.focus == Pane::Timeline {
                self.ui.focus = Pane::Logs;
            }
            return;
        }
        let focus = self.selection_focus();
        self.timeline.set_focus(focus);
        self.timeline.shown = true;
        self.ui.focus = Pane::Timeline;
    }

    /// An action for the timeline pane: movement, `/` filter; Esc clears the filter, then
    /// the narrowing to a workload.
    pub(super) fn handle_timeline(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Filter => self.open_filter(),
            Action::Back if !self.timeline.filter().is_empty() => self.timeline.set_filter(""),
            Action::Back => self.timeline.set_focus(None),
            _ => {}
        }
        vec![]
    }

    /// `5` / `:timeline`: show the timeline (of the whole scope) and focus it.
    pub(super) fn focus_timeline(&mut self) {
        if !self.timeline.shown {
            self.timeline.set_focus(None);
            self.timeline.shown = true;
        }
        self.ui.focus = Pane::Timeline;
    }

    /// The workload of the selection of the focused pane, for a narrowed timeline.
    fn selection_focus(&self) -> Option<Focus> {
        let focus = |namespace: &str, name: &str, kind: &str| Focus {
            label: format!("{namespace}/{kind}/{name}"),
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        match self.ui.focus {
            Pane::Rollouts => {
                let r = self.rollouts.selected_row()?;
                Some(focus(&r.namespace, &r.name, "deploy"))
            }
            Pane::Pods => {
                let p = self.pods.selected_row()?;
                let workload = match &p.owner {
                    Some((kind, rs)) if kind == "ReplicaSet" => self
                        .rollouts
                        .owner_of_replica_set(&p.namespace, rs)
                        .map(|d| (d, "deploy".to_string())),
                    Some((kind, owner)) => Some((owner.as_str(), short_kind(kind))),
                    None => None,
                };
                Some(match workload {
                    Some((name, kind)) => focus(&p.namespace, name, &kind),
                    None => focus(&p.namespace, &p.name, "pod"),
                })
            }
            Pane::Alerts => {
                let target = self.alerts.selected()?.row.target.clone()?;
                let kind = if target.kind == Kind::Pod {
                    "pod"
                } else {
                    target.kind.short()
                };
                Some(focus(&target.namespace, &target.name, kind))
            }
            Pane::Logs | Pane::Timeline => None,
        }
    }
}

fn alert_entry(a: &AlertRow, kind: EntryKind, at: Timestamp, text: String) -> Entry {
    let (namespace, object) = match &a.target {
        Some(t) => (
            t.namespace.clone(),
            format!("{}/{}", t.kind.short(), t.name),
        ),
        None => (
            a.namespace().unwrap_or_default().to_string(),
            format!("alert/{}", a.name),
        ),
    };
    Entry {
        at,
        kind,
        namespace,
        object,
        text,
        count: 1,
        key: format!("{kind:?}:{}:{at}", a.fingerprint),
        workload: None,
    }
}
