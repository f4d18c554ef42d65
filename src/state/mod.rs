//! All dashboard state and its transitions. Synchronous and I/O-free: sources and the executor
//! reach it only through [`Update`]s, the user only through [`Action`]s.

mod access;
mod alert_actions;
pub mod alerts;
pub mod export;
mod incident;
mod input;
mod jump;
pub mod list;
mod log_actions;
pub mod logs;
mod paging;
mod pod_actions;
pub mod pods;
pub mod present;
pub mod related;
mod rollout_actions;
pub mod rollouts;
mod router;
pub mod silence_form;
pub mod slo;
pub mod timeline;
pub mod ui;

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::action::{Action, Pane};
use crate::command::{Command, CommandRequest};
use crate::model::access::AccessCache;
use crate::model::event::DescribedPod;
use crate::update::{Outcome, SourceHealth, SourceId, Update};
use alerts::AlertsState;
use logs::LogsState;
pub use paging::Viewports;
use pods::PodsState;
use rollouts::RolloutsState;
use ui::{Level, Overlay, UiState};

/// A side effect asked for by a state transition; performed by the app loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Hand a command to the executor.
    Run(CommandRequest),
    /// Namespace or context changed: restart the sources for the new scope.
    Rescope,
    /// Start this log tail (stopping the previous one).
    TailLogs(crate::model::log::LogRequest),
    /// Resolve and switch to a theme.
    LoadTheme(String),
    /// Presentation mode on (the high-contrast theme) or off (the theme before it).
    Present(bool),
    /// Write the incident report to `path` atomically (`:export`).
    Export {
        path: std::path::PathBuf,
        contents: String,
    },
    Quit,
}

/// Everything the UI shows. Owned by the UI task alone.
#[derive(Debug)]
pub struct AppState {
    pub now: Timestamp,
    /// The kube context in use.
    pub context: String,
    /// Contexts known from the kubeconfig (for `:ctx`).
    pub contexts: Vec<String>,
    /// Namespace scope; `None` is all namespaces.
    pub namespace: Option<String>,
    /// Increments on every rescope; updates tagged with an older scope are dropped.
    pub scope: u64,
    pub readonly: bool,
    pub pods: PodsState,
    pub rollouts: RolloutsState,
    /// RBAC answers, per context/namespace/verb/resource.
    pub access: AccessCache,
    pub alerts: AlertsState,
    pub logs: LogsState,
    pub ui: UiState,
    pub sources: BTreeMap<SourceId, SourceHealth>,
    /// The firing alerts tied to the pod and rollout rows.
    pub related: related::Related,
    /// What changed, newest first (`T`).
    pub timeline: timeline::TimelineState,
    /// The mutations sent in this session, oldest first, with their outcomes.
    pub actions: Vec<export::SessionAction>,
    /// Time zone for the clock and "stale since" (UTC in tests).
    pub tz: jiff::tz::TimeZone,
    /// Presentation mode and the frozen screen (`M`, `F`).
    pub present: present::Presentation,
    /// The incident marked with `:incident start` (the last one, once ended).
    pub incident: Option<present::Incident>,
    /// Protected contexts and their arming.
    pub safety: present::Safety,
    next_command: u64,
    /// Id of the next log tail; never reused (not even after a rescope), so lines a stopped
    /// tailer had already queued cannot land in a later tail.
    next_tail: u64,
}

impl AppState {
    pub fn new(context: String, namespace: Option<String>, now: Timestamp) -> AppState {
        let mut sources = BTreeMap::new();
        sources.insert(SourceId::Pods, SourceHealth::Connecting);
        AppState {
            now,
            context,
            contexts: Vec::new(),
            namespace: namespace.clone(),
            scope: 1,
            readonly: false,
            pods: PodsState::default(),
            rollouts: RolloutsState::default(),
            access: AccessCache::default(),
            alerts: AlertsState::scoped(namespace.clone()),
            logs: LogsState::default(),
            ui: UiState::default(),
            sources,
            related: related::Related::default(),
            timeline: timeline::TimelineState::default(),
            actions: Vec::new(),
            tz: jiff::tz::TimeZone::UTC,
            present: present::Presentation::default(),
            incident: None,
            safety: present::Safety::default(),
            next_command: 1,
            next_tail: 1,
        }
    }

    /// Apply a fact. Returns whether anything visible changed.
    pub fn apply(&mut self, update: Update) -> bool {
        self.apply_effects(update).0
    }

    /// Apply a fact; also the effects it leads to (an incident started by a critical alert,
    /// written to the audit log).
    pub fn apply_effects(&mut self, update: Update) -> (bool, Vec<Effect>) {
        let correlated = matches!(
            update,
            Update::RolloutsChanged { .. }
                | Update::PodsListed { .. }
                | Update::PodApplied { .. }
                | Update::PodDeleted { .. }
                | Update::AlertsFetched { .. }
        );
        let entries = self.timeline_entries(&update);
        let alerts = matches!(update, Update::AlertsFetched { scope, .. } if scope == self.scope);
        let firing = alerts.then(|| self.firing_now());
        let mut changed = self.apply_fact(update);
        if changed && correlated {
            self.refresh_related();
        }
        let effects = match &firing {
            Some(before) if changed => self.auto_incident(before),
            _ => Vec::new(),
        };
        let started = firing.map(|before| self.alert_entries(&before));
        for mut entry in entries.into_iter().chain(started.into_iter().flatten()) {
            if entry.workload.is_none() {
                entry.workload = self.workload_of(&entry.namespace, &entry.object);
            }
            // Visible only when the timeline is on screen: events arrive all the time.
            changed |= self.timeline.add(entry) && self.timeline.shown;
        }
        (changed || !effects.is_empty(), effects)
    }

    fn apply_fact(&mut self, update: Update) -> bool {
        match update {
            Update::RolloutsChanged { scope, change } if scope == self.scope => {
                let changed = self.rollouts.apply(change);
                self.sync_history();
                return changed;
            }
            Update::AccessReviewed { check, access } => return self.apply_access(check, access),
            Update::UndoPreviewed {
                target,
                undo,
                preview,
            } => return self.apply_preview(&target, &undo, preview),
            Update::PodsListed { scope, rows } if scope == self.scope => {
                self.pods.apply_listed(rows);
            }
            Update::PodApplied { scope, row } if scope == self.scope => self.pods.apply_pod(*row),
            Update::PodDeleted {
                scope,
                namespace,
                name,
            } if scope == self.scope => self.pods.apply_deleted(&namespace, &name),
            Update::SourceHealth {
                scope,
                source,
                health,
            } if scope == self.scope => {
                let old = self.sources.insert(source, health.clone());
                return old.as_ref() != Some(&health);
            }
            Update::PodDetailLoaded(detail) => return self.apply_pod_detail(detail),
            Update::LogLines { tail, lines } => return self.logs.apply_lines(tail, lines),
            Update::LogEvents { tail, pods } => return self.logs.apply_events(tail, pods),
            Update::LogRevisions { tail, revisions } if Some(tail) == self.logs.tail_id() => {
                self.logs.revisions = revisions.into_iter().collect();
            }
            Update::LogStreams {
                tail,
                active,
                waiting,
            } if Some(tail) == self.logs.tail_id() => {
                let new = (active, waiting);
                return std::mem::replace(&mut self.logs.streams, new) != new;
            }
            Update::AlertsFetched {
                scope,
                source,
                alerts,
            } if scope == self.scope => {
                let focused = self.ui.focus == Pane::Alerts;
                return self.alerts.apply_fetched(source, alerts, self.now, focused);
            }
            Update::AlertRulesFetched { scope, rules } if scope == self.scope => {
                self.alerts.apply_rules(rules);
            }
            Update::SignalsFetched { scope, services } if scope == self.scope => {
                self.alerts.signals = services;
            }
            Update::SlosFetched { scope, slos } if scope == self.scope => {
                let changed = self.alerts.slos.apply(slos);
                if let Overlay::Slos(view) = &mut self.ui.overlay {
                    view.set_slos(self.alerts.slos.all());
                }
                return changed;
            }
            Update::SloHistoryLoaded { id, history } => {
                return self.alerts.slos.set_history(id, *history);
            }
            Update::CommandFinished { id, outcome } => {
                match &outcome {
                    Outcome::Done(t) => self.finish_action(id, true, t),
                    Outcome::Quiet => self.finish_action(id, true, ""),
                    Outcome::Refused(t) | Outcome::Failed(t) => self.finish_action(id, false, t),
                };
                return self.apply_outcome(outcome);
            }
            Update::UsageFetched { scope, usage } if scope == self.scope => {
                return self.pods.apply_usage(usage);
            }
            Update::ExportWritten { path, result } => {
                let (text, level) = match result {
                    Ok(()) => (format!("export: wrote {}", path.display()), Level::Ok),
                    Err(e) => (format!("export: {}: {e}", path.display()), Level::Error),
                };
                self.ui.set_status(text, level, self.now);
            }
            // Taken by the timeline (see `apply`).
            Update::TimelineEntry { .. } => return false,
            _ => return false,
        }
        true
    }

    /// The detail of the pod whose detail view is open (else dropped).
    fn apply_pod_detail(&mut self, detail: Box<DescribedPod>) -> bool {
        let Overlay::PodDetail {
            target,
            detail: slot,
            ..
        } = &mut self.ui.overlay
        else {
            return false;
        };
        let row = &detail.pod.row;
        if target.namespace != row.namespace || target.name != row.name {
            return false;
        }
        *slot = Some(detail);
        true
    }

    /// A command's outcome goes to the status line (unless there is nothing to say).
    fn apply_outcome(&mut self, outcome: Outcome) -> bool {
        let (text, level) = match outcome {
            Outcome::Done(t) => (t, Level::Ok),
            Outcome::Quiet => return false,
            Outcome::Refused(t) | Outcome::Failed(t) => (t, Level::Error),
        };
        self.ui.set_status(text, level, self.now);
        true
    }

    /// Advance the clock (1 s tick). Visible: ages and the header clock change. Returns
    /// what the time running out leads to (an arming that expired, for the audit log).
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        self.now = now;
        self.alerts.expire(now);
        self.expire_arming()
    }

    /// A confirmation dialog: `y` hands its command to the executor, `n`/Esc drops it.
    fn handle_confirm(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Confirm => {
                if let Overlay::Confirm(dialog) = std::mem::take(&mut self.ui.overlay)
                    && let Some(dialog) = self.rearm_on_confirm(*dialog)
                {
                    let t = dialog.command.target();
                    let text = format!(
                        "{} {}/{}: sent…",
                        dialog.command.verb(),
                        t.namespace,
                        t.name
                    );
                    self.ui.set_status(text, Level::Info, self.now);
                    return vec![self.run(dialog.command)];
                }
                vec![]
            }
            Action::Cancel | Action::Back => {
                self.ui.overlay = Overlay::None;
                self.ui.set_status("cancelled", Level::Info, self.now);
                vec![]
            }
            Action::Quit => vec![Effect::Quit],
            _ => vec![],
        }
    }

    fn run(&mut self, command: Command) -> Effect {
        let id = self.next_command;
        self.next_command += 1;
        if command.is_mutation() {
            if self.actions.len() >= export::MAX_ACTIONS {
                self.actions.remove(0);
            }
            let t = command.target();
            self.actions.push(export::SessionAction {
                id,
                at: self.now,
                verb: command.verb(),
                context: t.context.clone(),
                namespace: t.namespace.clone(),
                object: command.object(),
                outcome: None,
            });
        }
        let incident = self.open_incident().map(|i| i.name.clone());
        Effect::Run(CommandRequest {
            id,
            command,
            incident,
        })
    }

    fn rescope(&mut self) -> Vec<Effect> {
        self.scope += 1;
        self.pods.clear();
        self.rollouts.clear();
        self.alerts.set_namespace(self.namespace.clone(), self.now);
        self.logs.clear();
        self.sources.remove(&SourceId::Logs);
        self.ui.overlay = Overlay::None;
        self.ui.jump_back = None;
        self.ui.alerts_of = None;
        self.alerts.set_only(None, self.now);
        self.refresh_related();
        self.timeline.clear();
        self.sources
            .insert(SourceId::Pods, SourceHealth::Connecting);
        if let Some(h) = self.sources.get_mut(&SourceId::Rollouts) {
            *h = SourceHealth::Connecting;
        }
        vec![Effect::Rescope]
    }

    /// Count of unhealthy pods, for the header.
    pub fn unhealthy_pods(&self) -> usize {
        self.pods.counts().unhealthy()
    }
}
