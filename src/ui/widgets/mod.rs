//! Reusable pieces: header, footer and status line, help, dialogs.

pub mod alert_detail;
pub mod detail;
pub mod dialog;
pub mod footer;
pub mod header;
pub mod help;
pub mod history;
pub mod signals;
pub mod silence;
pub mod table;

use ratatui::layout::Rect;

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
