//! The virtualised list table every pane uses: only the visible window of rows is built (the
//! list state says which), the cursor row is highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, StatefulWidget, Table, TableState};

use ratatui::layout::Layout;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::state::AppState;
use crate::ui::layout::pane_block;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::header::source_title;
use crate::update::SourceId;

/// Draw `rows` (already the visible window) under `header`, highlighting `cursor` (an index
/// into the window) in the selection style when the pane is focused.
pub fn render_window<'a>(
    area: Rect,
    buf: &mut Buffer,
    (header, rows, widths): (Row<'a>, Vec<Row<'a>>, Vec<Constraint>),
    cursor: usize,
    focused: bool,
    theme: &Theme,
) {
    let highlight = if focused { Role::Selection } else { Role::Text };
    let table = Table::new(rows, widths)
        .header(header.style(theme.style(Role::Title)))
        .column_spacing(1)
        .row_highlight_style(theme.style(highlight));
    let mut state = TableState::default().with_selected(Some(cursor));
    StatefulWidget::render(table, area, buf, &mut state);
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
fn list_areas(area: Rect) -> Option<(Rect, Rect)> {
    let inner = Block::bordered().inner(area);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let [summary, rest] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    Some((summary, rest))
}

/// Rows of a list pane drawn in `area` (border, summary line and header excluded): its
/// viewport height, for the layout.
pub fn list_rows(area: Rect) -> usize {
    list_areas(area).map_or(0, |(_, table)| table_rows(table))
}

/// Rows of a table drawn in `area` (its header excluded).
pub fn table_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(1))
}
