//! The virtualised list table every pane uses: only the visible window of rows is built, the
//! window scrolls just enough to keep the cursor in view, the cursor row is highlighted.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, StatefulWidget, Table, TableState};

use crate::ui::theme::{Role, Theme};

/// The view state a pane keeps next to its data: first visible row and viewport height.
pub struct Viewport<'a> {
    pub offset: &'a Cell<usize>,
    pub height: &'a Cell<usize>,
}

impl Viewport<'_> {
    /// Record the height and return the first row to show so that `selected` (of `len`) is
    /// visible in `height` rows, moving the remembered window as little as possible.
    pub fn scroll(&self, selected: usize, len: usize, height: usize) -> usize {
        self.height.set(height);
        let mut offset = self.offset.get();
        if selected < offset {
            offset = selected;
        } else if selected >= offset + height {
            offset = selected + 1 - height;
        }
        offset = offset.min(len.saturating_sub(height));
        self.offset.set(offset);
        offset
    }
}

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
