//! Routing of actions: which handler sees an action, by context (dialog, input line, form,
//! overlay, focused pane).

use crate::action::Pane;
use crate::state::AppState;

impl AppState {
    /// The filter of the focused pane.
    pub(super) fn focused_filter(&self) -> &str {
        match self.ui.focus {
            Pane::Alerts => self.alerts.filter(),
            Pane::Logs => self.logs.search().map(|p| p.text.as_str()).unwrap_or(""),
            _ => self.pods.filter(),
        }
    }

    pub(super) fn set_focused_filter(&mut self, text: &str) {
        match self.ui.focus {
            Pane::Alerts => self.alerts.set_filter(text, self.now),
            Pane::Logs => self.logs.set_search(text),
            _ => self.pods.set_filter(text),
        }
    }
}
