//! Which list a movement key moves (the open overlay's, else the focused pane's), and the
//! heights the layout gives the lists.

use crate::action::{Action, Pane};
use crate::state::AppState;
use crate::state::list::Move;
use crate::state::ui::Overlay;

/// Rows on screen for every list, computed by the layout from the terminal size
/// (`ui::layout::viewports`). The app tells the state on resize and whenever the layout may
/// have changed (focus, zoom, an overlay, the data a pane sizes itself by), so that paging and
/// the window on screen never depend on the last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Viewports {
    pub pods: usize,
    pub rollouts: usize,
    pub alerts: usize,
    pub logs: usize,
    pub timeline: usize,
    /// Rows of the open overlay's list or text.
    pub overlay: usize,
    /// Rows the open overlay's text takes, wrapped at its width (pod and alert detail).
    pub overlay_text: usize,
}

impl AppState {
    /// The layout: every list learns its height.
    pub fn set_viewports(&mut self, v: Viewports) {
        self.pods.list.set_height(v.pods);
        self.rollouts.list.set_height(v.rollouts);
        self.alerts.list.set_height(v.alerts);
        self.logs.set_height(v.logs);
        self.timeline.list.set_height(v.timeline);
        match &mut self.ui.overlay {
            Overlay::PodDetail { scroll, .. } | Overlay::AlertDetail { scroll, .. } => {
                scroll.set_len(v.overlay_text);
                scroll.set_height(v.overlay);
            }
            Overlay::RolloutHistory(h) => h.list.set_height(v.overlay),
            Overlay::Slos(view) => view.list.set_height(v.overlay),
            Overlay::None | Overlay::Help | Overlay::Silence(_) | Overlay::Confirm(_) => {}
        }
    }

    /// Up, Down, PageUp, PageDown, Top, Bottom: move the list in front, the open overlay's,
    /// else the focused pane's.
    pub(super) fn move_cursor(&mut self, action: &Action) {
        let Some(m) = Move::from_action(action) else {
            return;
        };
        match &mut self.ui.overlay {
            Overlay::PodDetail { scroll, .. } | Overlay::AlertDetail { scroll, .. } => scroll.go(m),
            Overlay::RolloutHistory(h) => h.list.go(m),
            Overlay::Slos(v) => v.list.go(m),
            Overlay::Silence(form) => form.fields.go(m),
            Overlay::Help | Overlay::Confirm(_) => {}
            Overlay::None => match self.ui.focus {
                Pane::Pods => self.pods.list.go(m),
                Pane::Rollouts => self.rollouts.list.go(m),
                Pane::Alerts => self.alerts.go(m),
                Pane::Logs => self.logs.go(m),
                Pane::Timeline => self.timeline.list.go(m),
            },
        }
    }

    /// Keep an open revision history in step with the rollouts (a new revision arrived).
    pub(super) fn sync_history(&mut self) {
        if let Overlay::RolloutHistory(h) = &mut self.ui.overlay {
            h.set_revisions(&self.rollouts.history(&h.key));
        }
    }
}
