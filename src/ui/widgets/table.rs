//! The virtualised list table every pane uses: only the visible window of rows is built, the
//! window scrolls just enough to keep the cursor in view, the cursor row is highlighted.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, StatefulWidget, Table, TableState};

use ratatui::layout::Layout;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::state::AppState;
use crate::ui::layout::pane_block;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::header::source_title;
use crate::update::SourceId;

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
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    if !listed {
        let text = format!("connecting to {}…", state.context);
        Paragraph::new(Line::styled(text, theme.style(Role::Muted))).render(inner, buf);
        return None;
    }
    let [summary, rest] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    Some((summary, rest))
}
