//! Reusable pieces: header, footer and status line, help, dialogs.

pub mod alert_detail;
pub mod dialog;
pub mod events;
pub mod footer;
pub mod header;
pub mod help;
pub mod history;
pub mod pane_frame;
pub mod pod_detail;
pub mod signals;
pub mod silence;
pub mod slo;
pub mod table;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Widget};

use crate::ui::theme::{Role, Theme};

/// A rectangle of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Nearly all of `area`: the frame of the detail views (pod, alert, history).
pub fn wide(area: Rect) -> Rect {
    Rect {
        x: area.x + area.width / 20,
        y: area.y,
        width: area.width - area.width / 10,
        height: area.height,
    }
}

/// Inside the border of a [`wide`] overlay drawn over `area`: where its text or list goes.
pub fn wide_inner(area: Rect) -> Rect {
    Block::bordered().inner(wide(area))
}

/// A centred box `width` wide and tall enough for `lines` wrapped inside a border.
pub fn fitted(area: Rect, width: u16, lines: &[Line]) -> Rect {
    let width = width.min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    centered(area, width, u16::try_from(rows + 2).unwrap_or(u16::MAX))
}

/// Clear `rect` and return the bordered, titled block of an overlay drawn there.
pub fn overlay_block<'a>(
    rect: Rect,
    buf: &mut Buffer,
    title: String,
    border: Role,
    theme: &Theme,
) -> Block<'a> {
    Clear.render(rect, buf);
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(border))
        .title(Line::styled(title, theme.style(Role::Title)))
}
