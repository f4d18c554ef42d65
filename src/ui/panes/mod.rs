//! One widget per pane, built from borrowed state.

pub mod alerts;
pub mod logs;
pub mod placeholder;
pub mod pods;
pub mod rollouts;
pub mod timeline;

use ratatui::text::Span;
use ratatui::widgets::Cell;

use crate::model::alert::Severity;
use crate::ui::theme::{Role, Theme};

pub use alerts::AlertsPane;
pub use logs::LogsPane;
pub use placeholder::PlaceholderPane;
pub use pods::PodsPane;
pub use rollouts::RolloutsPane;
pub use timeline::TimelinePane;

/// Width of the ALERT column.
pub const BADGE_WIDTH: u16 = 5;

/// The ALERT cell of a row: `▲crit`, `▲warn`, `▲info` or `▲` for the worst firing alert
/// about it (a symbol and a word, not only a colour); empty when none.
pub fn alert_badge<'a>(severity: Option<&Severity>, theme: &Theme) -> Cell<'a> {
    let Some(severity) = severity else {
        return Cell::from("");
    };
    let (text, role) = match severity {
        Severity::Critical => ("▲crit", Role::Critical),
        Severity::Warning => ("▲warn", Role::Warning),
        Severity::Info => ("▲info", Role::Info),
        Severity::Other(_) => ("▲", Role::Warning),
    };
    Cell::from(Span::styled(
        text,
        theme
            .style(role)
            .add_modifier(ratatui::style::Modifier::BOLD),
    ))
}

/// `  filter /TEXT  N shown` for a list's summary line, when a filter is set.
pub fn filter_span<'a>(filter: &str, shown: usize, theme: &Theme) -> Option<Span<'a>> {
    (!filter.is_empty()).then(|| {
        Span::styled(
            format!("  filter /{filter}  {shown} shown"),
            theme.style(Role::Warning),
        )
    })
}
