//! Routing of actions: the context decides which handler sees an action. A confirmation dialog,
//! the silence form and the input line take every action; an overlay (revision history, pod or
//! alert detail, help) takes the actions that mean something there; else the focused pane does.
//! Focus, zoom, help, the command line, scope and quit are global and handled in one place.

use crate::action::{Action, KeyContext, Pane};
use crate::state::silence_form::Field;
use crate::state::ui::{Input, Level, Overlay};
use crate::state::{AppState, Effect};

/// Actions that mean the same whatever has the focus (outside dialogs and text fields).
fn is_global(action: &Action) -> bool {
    matches!(
        action,
        Action::Quit
            | Action::FocusNext
            | Action::FocusPrev
            | Action::FocusPods
            | Action::FocusRollouts
            | Action::FocusAlerts
            | Action::FocusLogs
            | Action::FocusTimeline
            | Action::ToggleTimeline
            | Action::Zoom
            | Action::Help
            | Action::CommandLine
            | Action::SetNamespace(_)
            | Action::SetContext(_)
            | Action::SetTheme(_)
            | Action::Export(_)
            | Action::Slos
            | Action::TogglePresentation
            | Action::Freeze
            | Action::StartIncident(_)
            | Action::EndIncident
            | Action::Disarm
    )
}

impl AppState {
    /// Handle a user intent; returns the effects to perform.
    pub fn handle(&mut self, action: Action) -> Vec<Effect> {
        match &self.ui.overlay {
            Overlay::Confirm(_) => return self.handle_confirm(action),
            Overlay::Silence(_) => return self.handle_silence_form(action),
            _ if self.ui.input != Input::None => return self.handle_input(action),
            _ => {}
        }
        let mut effects = match &self.ui.overlay {
            _ if is_global(&action) => self.handle_global(action),
            Overlay::Slos(_) if action != Action::Slos => self.handle_slos(action),
            Overlay::RolloutHistory(_) => self.handle_history(action),
            Overlay::PodDetail { .. } | Overlay::AlertDetail { .. } => self.handle_detail(action),
            Overlay::Help => self.close_on_back(&action),
            _ => self.handle_pane(action),
        };
        if self.ui.focus == Pane::Alerts {
            self.alerts.mark_all_seen();
        }
        effects.extend(self.review_access());
        effects
    }

    /// The keymap context of the screen: what has the keys (same order as [`Self::handle`]).
    /// An overlay takes the keys of the pane it belongs to.
    pub fn key_context(&self) -> KeyContext {
        match &self.ui.overlay {
            Overlay::Confirm(_) => KeyContext::Dialog,
            Overlay::Silence(_) => KeyContext::Silence,
            _ if self.ui.input != Input::None => KeyContext::Input,
            Overlay::RolloutHistory(_) => KeyContext::Pane(Pane::Rollouts),
            Overlay::PodDetail { .. } => KeyContext::Pane(Pane::Pods),
            Overlay::AlertDetail { .. } | Overlay::Slos(_) => KeyContext::Pane(Pane::Alerts),
            Overlay::Help | Overlay::None => KeyContext::Pane(self.ui.focus),
        }
    }

    /// Whether a text field has the cursor, so that printable keys are text.
    pub fn is_typing(&self) -> bool {
        match &self.ui.overlay {
            Overlay::Confirm(_) => false,
            Overlay::Silence(form) => !matches!(form.field(), Field::Matcher(_)),
            _ => self.ui.input != Input::None,
        }
    }

    fn handle_global(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::FocusNext | Action::FocusPrev => {
                let by = if action == Action::FocusNext { 1 } else { -1 };
                self.ui.focus_offset(by);
                if self.ui.focus == Pane::Logs && self.timeline.shown {
                    self.ui.focus = Pane::Timeline;
                }
            }
            Action::FocusPods => self.ui.focus = Pane::Pods,
            Action::FocusRollouts => self.ui.focus = Pane::Rollouts,
            Action::FocusAlerts => self.ui.focus = Pane::Alerts,
            Action::FocusLogs => {
                self.timeline.shown = false;
                self.ui.focus = Pane::Logs;
            }
            Action::FocusTimeline => self.focus_timeline(),
            Action::ToggleTimeline => self.toggle_timeline(),
            Action::Zoom => self.ui.zoomed = !self.ui.zoomed,
            Action::Help => {
                self.ui.overlay = match self.ui.overlay {
                    Overlay::Help => Overlay::None,
                    _ => Overlay::Help,
                }
            }
            Action::CommandLine => {
                self.ui.input = Input::Command {
                    text: String::new(),
                }
            }
            Action::SetNamespace(ns) => {
                self.namespace = ns;
                return self.rescope();
            }
            Action::SetContext(ctx) => return self.set_context(ctx),
            Action::SetTheme(name) => return vec![Effect::LoadTheme(name)],
            Action::Export(file) => return self.export(file),
            Action::Slos => match self.ui.overlay {
                Overlay::Slos(_) => self.ui.overlay = Overlay::None,
                _ => return self.open_slos(),
            },
            action @ (Action::TogglePresentation
            | Action::Freeze
            | Action::StartIncident(_)
            | Action::EndIncident
            | Action::Disarm) => return self.handle_present(action),
            _ => {}
        }
        vec![]
    }

    fn set_context(&mut self, ctx: String) -> Vec<Effect> {
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
        self.rescope()
    }

    /// No overlay: Esc leaves the zoom first, else the focused pane has the action.
    fn handle_pane(&mut self, action: Action) -> Vec<Effect> {
        match (self.ui.focus, action) {
            (_, Action::Back) if self.ui.zoomed => {
                self.ui.zoomed = false;
                vec![]
            }
            (_, action) if self.is_jump_back(&action) => self.jump_back(),
            (_, Action::OpenRelated) => self.open_related(),
            (Pane::Pods, action) => self.handle_pods(action),
            (Pane::Rollouts, action) => self.handle_rollouts(action),
            (Pane::Alerts, action) => self.handle_alerts(action),
            (Pane::Logs, action) => self.handle_logs(action),
            (Pane::Timeline, action) => self.handle_timeline(action),
        }
    }

    /// The pod or alert detail: movement scrolls it, `r`/`s` act on its subject, Esc closes.
    fn handle_detail(&mut self, action: Action) -> Vec<Effect> {
        match (&self.ui.overlay, action) {
            (_, action @ (Action::Up | Action::Down | Action::Top | Action::Bottom)) => {
                self.move_cursor(&action);
                vec![]
            }
            (_, action @ (Action::PageUp | Action::PageDown)) => {
                self.move_cursor(&action);
                vec![]
            }
            (Overlay::PodDetail { .. }, Action::Restart) => self.restart(),
            (Overlay::AlertDetail { .. }, Action::Silence) => self.silence(),
            (Overlay::AlertDetail { .. }, Action::OpenRelated) => self.open_related(),
            (_, action) => self.close_on_back(&action),
        }
    }

    /// Esc closes the overlay; nothing else to do there.
    pub(super) fn close_on_back(&mut self, action: &Action) -> Vec<Effect> {
        if *action == Action::Back {
            self.ui.overlay = Overlay::None;
        }
        vec![]
    }

    /// The filter of the focused pane.
    pub(super) fn focused_filter(&self) -> &str {
        match self.ui.focus {
            Pane::Alerts => self.alerts.filter(),
            Pane::Timeline => self.timeline.filter(),
            Pane::Rollouts => self.rollouts.filter(),
            _ => self.pods.filter(),
        }
    }

    pub(super) fn set_focused_filter(&mut self, text: &str) {
        match self.ui.focus {
            Pane::Alerts => self.alerts.set_filter(text, self.now),
            Pane::Timeline => self.timeline.set_filter(text),
            Pane::Rollouts => self.rollouts.set_filter(text),
            _ => self.pods.set_filter(text),
        }
    }
}
