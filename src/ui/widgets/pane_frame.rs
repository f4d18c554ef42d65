//! The frame of a pane: a titled border styled by focus, and for list panes fed by a watch the
//! "stale since…" title and the "connecting to CONTEXT…" text until the first list arrived.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::state::AppState;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::header::source_title;
use crate::update::SourceId;

/// A bordered block for a pane, styled by focus.
pub fn pane_block<'a>(title: Line<'a>, focused: bool, theme: &Theme) -> Block<'a> {
    let border = if focused {
        Role::BorderFocused
    } else {
        Role::Border
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(border))
        .title(title)
}

/// The frame of a list pane fed by a watch: a titled border (with "stale since…" when its
/// source is down), "connecting to CONTEXT…" until the first list arrived, then a summary line.
/// Returns the summary line's area and the area below it, or `None` when nothing more fits.
pub fn list_frame(
    area: Rect,
    buf: &mut Buffer,
    (name, source, listed): (&str, SourceId, bool),
    state: &AppState,
    theme: &Theme,
    focused: bool,
) -> Option<(Rect, Rect)> {
    let mut title = vec![Span::styled(format!(" {name} "), theme.style(Role::Title))];
    title.extend(source_title(state, source, theme));
    let block = pane_block(Line::from(title), focused, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let areas = list_areas(area)?;
    if !listed {
        let text = format!("connecting to {}…", state.context);
        Paragraph::new(Line::styled(text, theme.style(Role::Muted))).render(inner, buf);
        return None;
    }
    Some(areas)
}

/// The summary line and the table area of a list pane drawn in `area` (inside its border).
pub fn list_areas(area: Rect) -> Option<(Rect, Rect)> {
    let inner = Block::bordered().inner(area);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let [summary, rest] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    Some((summary, rest))
}
