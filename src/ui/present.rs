//! On the call: the banner (context, namespace, UTC time, incident clock, frozen), the frozen
//! picture (`F`) and redaction of everything drawn while presenting.
//!
//! Redaction works on the finished frame, row by row, so that every pane, detail view, diff,
//! dialog and log line is covered by one piece of code (`crate::redact`): what a pattern
//! matches is overwritten by its marker (`‹ip›`, `‹email›`, `‹secret›`), padded with spaces
//! to the width it had, so columns stay where they were. The state keeps the real data.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use crate::config::keymap::Keymap;
use crate::redact::Redactor;
use crate::state::AppState;
use crate::state::present::hms;
use crate::ui::layout::{Drawn, draw_frame};
use crate::ui::theme::{Role, Theme};

/// Whether the banner line is shown: presenting, an incident open, or the screen frozen.
pub fn has_banner(state: &AppState) -> bool {
    state.present.on || state.open_incident().is_some() || state.present.frozen.is_some()
}

/// The banner: `PRESENTING  FROZEN 14:02:11 — F resumes  ctx prod  ns shop  14:02:11 UTC
/// INCIDENT checkout-latency 00:17:42` (words, not colours alone).
pub struct Banner<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

impl Widget for Banner<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (s, t) = (self.state, self.theme);
        let base = t.style(Role::Header);
        buf.set_style(area, base);
        // Each part with what goes first when the line is too narrow (higher first).
        let mut spans: Vec<(u8, Span)> = Vec::new();
        if s.present.on {
            let title = base.patch(t.style(Role::Title));
            spans.push((2, Span::styled(" PRESENTING ", title)));
        }
        // Frozen first: whoever looks must know the picture stands still.
        if let Some(at) = s.present.frozen {
            let key = self.keymap.hint(
                crate::action::KeyContext::Global,
                &crate::action::Action::Freeze,
            );
            let text = format!(
                " FROZEN {} — {key} resumes ",
                crate::ui::widgets::header::clock(at, &s.tz)
            );
            spans.push((0, Span::styled(text, t.style(Role::Selection))));
        }
        // Context and namespace are in the header too: they give way first.
        let ns = s.namespace.as_deref().unwrap_or("all");
        spans.push((4, Span::styled(format!(" ctx {} ", s.context), base)));
        spans.push((5, Span::styled(format!(" ns {ns} "), base)));
        let utc = s.now.strftime("%H:%M:%S UTC").to_string();
        spans.push((1, Span::styled(format!(" {utc} "), base)));
        if let Some(i) = s.open_incident() {
            let text = format!(" INCIDENT {} {} ", i.name, hms(i.duration(s.now)));
            spans.push((0, Span::styled(text, t.style(Role::Critical))));
        }
        let width = |spans: &[(u8, Span)]| spans.iter().map(|(_, s)| s.width()).sum::<usize>();
        while width(&spans) > usize::from(area.width) {
            let worst = spans.iter().map(|(p, _)| *p).max().unwrap_or(0);
            match spans.iter().position(|(p, _)| *p == worst && worst > 0) {
                Some(at) => spans.remove(at),
                None => break,
            };
        }
        let spans: Vec<Span> = spans.into_iter().map(|(_, s)| s).collect();
        Paragraph::new(Line::from(spans))
            .style(base)
            .render(area, buf);
    }
}

/// The screen between frames: the picture taken when the screen was frozen.
#[derive(Debug, Default)]
pub struct Screen {
    frozen: Option<Buffer>,
    /// What the last live frame showed (the usage poller keeps running while frozen).
    live: Drawn,
}

impl Screen {
    /// Draw the frame. While the state says frozen, the panes are the picture taken at the
    /// first frozen frame (retaken if the terminal changed size); header, banner, status line,
    /// footer and dialogs stay live.
    pub fn draw(
        &mut self,
        frame: &mut Frame,
        state: &AppState,
        theme: &Theme,
        keymap: &Keymap,
    ) -> Drawn {
        let freeze = state.present.frozen.is_some();
        if !freeze {
            self.frozen = None;
        }
        let replay = self.frozen.as_ref().is_some_and(|b| b.area == frame.area());
        let drawn = draw_frame(frame, state, theme, keymap, (&mut self.frozen, freeze));
        if !(freeze && replay) {
            self.live = drawn;
        }
        self.live
    }
}

/// `lines` with what `redactor` matches in each span replaced by its marker (before a
/// paragraph wraps them); unchanged without one.
pub fn redact_lines(lines: Vec<Line<'static>>, redactor: Option<&Redactor>) -> Vec<Line<'static>> {
    let Some(redactor) = redactor else {
        return lines;
    };
    lines
        .into_iter()
        .map(|mut line| {
            for span in &mut line.spans {
                if let std::borrow::Cow::Owned(text) = redactor.redact_text(&span.content) {
                    span.content = text.into();
                }
            }
            line
        })
        .collect()
}

/// Copy the cells of `area` from `from` (same size as `to`).
pub(crate) fn copy_area(from: &Buffer, to: &mut Buffer, area: Rect) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let (Some(src), Some(dst)) = (from.cell((x, y)), to.cell_mut((x, y))) {
                *dst = src.clone();
            }
        }
    }
}

/// Overwrite, row by row, what `redactor` matches in the drawn `area` with its marker.
pub fn redact_buffer(buf: &mut Buffer, area: Rect, redactor: &Redactor) {
    for y in area.top()..area.bottom() {
        // The row's text, and for each byte the cell it came from.
        let mut text = String::new();
        let mut cell_of: Vec<u16> = Vec::new();
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell((x, y)) else {
                continue;
            };
            let symbol = cell.symbol();
            text.push_str(symbol);
            cell_of.extend(std::iter::repeat_n(x, symbol.len()));
        }
        for (start, end, marker) in redactor.ranges(&text) {
            let (Some(&first), Some(&last)) = (cell_of.get(start), cell_of.get(end - 1)) else {
                continue;
            };
            let last = last + cell_width(buf, last, y).max(1) - 1;
            write_marker(buf, (first, last, y), area.right(), marker);
        }
    }
}

fn cell_width(buf: &Buffer, x: u16, y: u16) -> u16 {
    buf.cell((x, y))
        .map_or(1, |c| UnicodeWidthStr::width(c.symbol()) as u16)
}

/// Write `marker` over cells `first..=last` of row `y`: padded with spaces when the hidden
/// text was wider; when it was narrower, over the blank cells after it (keeping one), else
/// shortened (`‹se›`).
fn write_marker(buf: &mut Buffer, (first, last, y): (u16, u16, u16), right: u16, marker: &str) {
    let mut end = last + 1;
    let want = first + marker.chars().count() as u16;
    while end < want && end + 1 < right && buf.cell((end, y)).is_some_and(|c| c.symbol() == " ") {
        if buf.cell((end + 1, y)).is_some_and(|c| c.symbol() != " ") {
            break;
        }
        end += 1;
    }
    let room = usize::from(end - first);
    let chars: Vec<char> = marker.chars().collect();
    let shown: Vec<char> = if chars.len() <= room {
        chars
    } else if room >= 2 {
        let mut s: Vec<char> = chars[..room - 1].to_vec();
        s.push('›');
        s
    } else {
        vec!['…'; room]
    };
    let style = buf.cell((first, y)).map(|c| c.style()).unwrap_or_default();
    for (i, x) in (first..end).enumerate() {
        if let Some(cell) = buf.cell_mut((x, y)) {
            let mut tmp = [0u8; 4];
            let symbol = shown.get(i).map_or(" ", |c| c.encode_utf8(&mut tmp));
            cell.set_symbol(symbol);
            cell.set_style(style);
        }
    }
}
