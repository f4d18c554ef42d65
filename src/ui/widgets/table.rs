//! The virtualised list table every pane uses: only the visible window of rows is built (the
//! list state says which), the cursor row is highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, StatefulWidget, Table, TableState};

use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::pane_frame::list_areas;

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

/// Rows of a list pane drawn in `area` (border, summary line and header excluded): its
/// viewport height, for the layout.
pub fn list_rows(area: Rect) -> usize {
    list_areas(area).map_or(0, |(_, table)| table_rows(table))
}

/// Rows of a table drawn in `area` (its header excluded).
pub fn table_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(1))
}
