//! All dashboard state and its transitions. Synchronous and I/O-free: sources and the executor
//! reach it only through [`Update`]s, the user only through [`Action`]s.

pub mod alerts;
pub mod list;
mod log_actions;
pub mod logs;
mod paging;
pub mod pods;
mod rollout_actions;
pub mod rollouts;
pub mod silence;
pub mod ui;

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;

use crate::action::{Action, Pane};
use crate::command::{Command, CommandRequest, Target};
use crate::model::access::AccessCache;
use crate::update::{Outcome, SourceHealth, SourceId, Update};
use alerts::AlertsState;
use list::{ListState, Mode};
use logs::LogsState;
pub use paging::Viewports;
use pods::PodsState;
use rollouts::RolloutsState;
use ui::{ConfirmDialog, Input, Level, Overlay, UiState};

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
    /// Time zone for the clock and "stale since" (UTC in tests).
    pub tz: jiff::tz::TimeZone,
    next_command: u64,
    /// Id of the next log tail; never reused (not even after a rescope), so lines a stopped
    /// tailer had already queued cannot land in a later tail.
    next_tail: u64,
}

impl AppState {
    pub fn new(context: String, namespace: Option<String>, now: Timestamp) -> AppState {
        let mut sources = BTreeMap::new();
        sources.insert(SourceId::Kubernetes, SourceHealth::Connecting);
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
            tz: jiff::tz::TimeZone::UTC,
            next_command: 1,
            next_tail: 1,
        }
    }

    /// Apply a fact. Returns whether anything visible changed.
    pub fn apply(&mut self, update: Update) -> bool {
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
            Update::PodDetailLoaded(detail) => {
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
            }
            Update::CommandFinished {
                outcome: Outcome::Done(text),
                ..
            } if text.is_empty() => return false,
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
            Update::CommandFinished { outcome, .. } => {
                let (text, level) = match outcome {
                    Outcome::Done(t) => (t, Level::Ok),
                    Outcome::Refused(t) | Outcome::Failed(t) => (t, Level::Error),
                };
                self.ui.set_status(text, level, self.now);
            }
            _ => return false,
        }
        true
    }

    /// Advance the clock (1 s tick). Visible: ages and the header clock change.
    pub fn tick(&mut self, now: Timestamp) {
        self.now = now;
        self.alerts.expire(now);
    }

    /// Handle a user intent; returns the effects to perform.
    pub fn handle(&mut self, action: Action) -> Vec<Effect> {
        if let Overlay::Confirm(_) = self.ui.overlay {
            return self.handle_confirm(action);
        }
        let handled = match self.handle_logs(&action) {
            Some(effects) => Some(effects),
            None => self.handle_rollouts(&action),
        };
        let mut effects = match handled {
            Some(effects) => effects,
            None => self.handle_global(action),
        };
        effects.extend(self.review_access());
        effects
    }

    fn handle_global(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::FocusNext => self.ui.focus_offset(1),
            Action::FocusPrev => self.ui.focus_offset(-1),
            Action::FocusPods => self.ui.focus = Pane::Pods,
            Action::FocusRollouts => self.ui.focus = Pane::Rollouts,
            Action::FocusAlerts => self.ui.focus = Pane::Alerts,
            Action::FocusLogs => self.ui.focus = Pane::Logs,
            Action::Zoom => self.ui.zoomed = !self.ui.zoomed,
            Action::Help => self.toggle_overlay(Overlay::Help),
            Action::Back | Action::Cancel => self.back(),
            Action::Filter => {
                let previous = self.focused_filter().to_string();
                self.ui.input = Input::Filter {
                    text: previous.clone(),
                    previous,
                };
            }
            Action::CommandLine => {
                self.ui.input = Input::Command {
                    text: String::new(),
                }
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom => self.move_cursor(&action),
            Action::PageUp | Action::PageDown => self.move_cursor(&action),
            Action::Open => return self.open(),
            Action::Restart => return self.restart(),
            Action::Silence => return self.silence(),
            Action::SetNamespace(ns) => {
                self.namespace = ns;
                return self.rescope();
            }
            Action::SetContext(ctx) => {
                if !self.contexts.is_empty() && !self.contexts.contains(&ctx) {
                    let known = self.contexts.join(", ");
                    self.ui.set_status(
                        format!("unknown context {ctx:?} (known: {known})"),
                        Level::Error,
                        self.now,
                    );
                    return vec![];
                }
                self.context = ctx;
                return self.rescope();
            }
            Action::SetTheme(name) => return vec![Effect::LoadTheme(name)],
            Action::TailLogs
            | Action::UndoRollout
            | Action::ScaleUp
            | Action::ScaleDown
            | Action::Pause
            | Action::Wrap
            | Action::Timestamps
            | Action::ReadableJson
            | Action::Previous
            | Action::FilterLines
            | Action::NextMatch
            | Action::PrevMatch
            | Action::Confirm
            | Action::Redraw => {}
        }
        if self.ui.focus == Pane::Alerts {
            self.alerts.mark_all_seen();
        }
        vec![]
    }

    fn toggle_overlay(&mut self, overlay: Overlay) {
        self.ui.overlay = if self.ui.overlay == overlay {
            Overlay::None
        } else {
            overlay
        };
    }

    fn back(&mut self) {
        if self.ui.overlay != Overlay::None {
            self.ui.overlay = Overlay::None;
        } else if self.ui.zoomed {
            self.ui.zoomed = false;
        } else if self.ui.focus == Pane::Logs {
            if self.logs.search().is_some() {
                self.logs.set_search("");
            } else {
                self.logs.set_filter("");
            }
        } else if !self.pods.filter().is_empty() && self.ui.focus == Pane::Pods {
            self.pods.set_filter("");
        } else if self.ui.focus == Pane::Alerts {
            self.alerts.set_filter("", self.now);
        }
    }

    fn selected_pod_target(&self) -> Option<Target> {
        if self.ui.focus != Pane::Pods {
            return None;
        }
        self.pods.selected_row().map(|row| Target {
            context: self.context.clone(),
            namespace: row.namespace.clone(),
            name: row.name.clone(),
        })
    }

    fn open(&mut self) -> Vec<Effect> {
        if self.ui.focus == Pane::Alerts {
            self.open_alert();
            return vec![];
        }
        let Some(target) = self.selected_pod_target() else {
            return vec![];
        };
        self.ui.overlay = Overlay::PodDetail {
            target: target.clone(),
            detail: None,
            scroll: ListState::new(Mode::Text),
        };
        vec![self.run(Command::LoadPodDetail { target })]
    }

    fn restart(&mut self) -> Vec<Effect> {
        let Some(target) = self.selected_pod_target() else {
            return vec![];
        };
        if let Some(refusal) = self.pod_refusal() {
            self.ui.set_status(refusal, Level::Error, self.now);
            return vec![];
        }
        let title = format!("Restart pod {} ?", target.name);
        self.ui.overlay = Overlay::Confirm(Box::new(ConfirmDialog::new(
            title,
            Command::DeletePod { target },
        )));
        vec![]
    }

    fn handle_confirm(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Confirm => {
                if let Overlay::Confirm(dialog) = std::mem::take(&mut self.ui.overlay) {
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
        Effect::Run(CommandRequest { id, command })
    }

    fn rescope(&mut self) -> Vec<Effect> {
        self.scope += 1;
        self.pods.clear();
        self.rollouts.clear();
        self.alerts.set_namespace(self.namespace.clone(), self.now);
        self.logs.clear();
        self.sources.remove(&SourceId::Logs);
        self.ui.overlay = Overlay::None;
        self.sources
            .insert(SourceId::Kubernetes, SourceHealth::Connecting);
        if let Some(h) = self.sources.get_mut(&SourceId::Rollouts) {
            *h = SourceHealth::Connecting;
        }
        vec![Effect::Rescope]
    }

    /// Whether keys go to the input line rather than the keymap.
    pub fn is_typing(&self) -> bool {
        self.ui.input != Input::None || matches!(self.ui.overlay, Overlay::Silence(_))
    }

    /// A key while the input line is open: edit, Enter to accept, Esc to cancel.
    pub fn handle_input_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Overlay::Silence(_) = self.ui.overlay {
            self.handle_silence_key(key);
            return vec![];
        }
        let input = std::mem::take(&mut self.ui.input);
        match input {
            Input::None => vec![],
            Input::Filter { mut text, previous } => match key.code {
                KeyCode::Esc => {
                    self.set_focused_filter(&previous);
                    vec![]
                }
                KeyCode::Enter => vec![],
                _ => {
                    edit(&mut text, key);
                    self.set_focused_filter(&text);
                    self.ui.input = Input::Filter { text, previous };
                    vec![]
                }
            },
            Input::LogFilter { mut text, previous } => match key.code {
                KeyCode::Esc => {
                    self.logs.set_filter(&previous);
                    vec![]
                }
                KeyCode::Enter => vec![],
                _ => {
                    edit(&mut text, key);
                    self.logs.set_filter(&text);
                    self.ui.input = Input::LogFilter { text, previous };
                    vec![]
                }
            },
            Input::Command { mut text } => match key.code {
                KeyCode::Esc => vec![],
                KeyCode::Enter => match Action::from_command_line(&text) {
                    Ok(action) => self.handle(action),
                    Err(e) => {
                        self.ui.set_status(e, Level::Error, self.now);
                        vec![]
                    }
                },
                _ => {
                    edit(&mut text, key);
                    self.ui.input = Input::Command { text };
                    vec![]
                }
            },
        }
    }

    /// Count of unhealthy pods, for the header.
    pub fn unhealthy_pods(&self) -> usize {
        self.pods.counts().unhealthy()
    }
}

/// Line editing: printable characters, Backspace, Ctrl-U (clear), Ctrl-W (delete word).
fn edit(text: &mut String, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed].rfind(' ').map(|i| i + 1).unwrap_or(0);
            text.truncate(cut);
        }
        KeyCode::Char(c) if !ctrl && !c.is_control() => text.push(c),
        _ => {}
    }
}
