//! Kubernetes events as lines, the way `kubectl describe` lists them.

use jiff::Timestamp;
use ratatui::text::Line;

use crate::model::event::EventRow;
use crate::model::time::since;
use crate::ui::theme::{Role, Theme};

/// One event as `kubectl describe` lists it: age, type, reason, message, count; warnings stand
/// out. Shared by the pod detail and the log pane (a pod without logs shows its events).
pub fn event_line(e: &EventRow, now: Timestamp, t: &Theme) -> Line<'static> {
    let role = if e.is_warning() {
        Role::Warning
    } else {
        Role::Text
    };
    let when = e.last_seen.map(|ts| since(ts, now)).unwrap_or_default();
    let count = if e.count > 1 {
        format!(" (x{})", e.count)
    } else {
        String::new()
    };
    Line::styled(
        format!(
            "  {when:>6}  {:<8} {:<18} {}{count}",
            e.kind, e.reason, e.message
        ),
        t.style(role),
    )
}
