//! The log pane: virtualised (only the lines that fit are laid out, wrapped or not), each line
//! with its optional timestamp, revision and pod/container tag in a stable colour, SGR styles
//! from the line itself, the level token highlighted, search matches highlighted, and a
//! "N new lines" marker while paused or scrolled up. JSON lines can be shown readably (`J`,
//! transformed here, for the lines on screen only). A tail whose pods have no logs to show
//! shows their recent events instead.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::action::{Action, Pane};
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::log::{LineKind, LogLevel, LogLine, RunStyle, StyleRun};
use crate::model::log_json::readable;
use crate::state::AppState;
use crate::state::logs::LogsState;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::events::event_line;
use crate::ui::widgets::header::source_title;
use crate::ui::widgets::pane_frame::pane_block;
use crate::update::SourceId;

pub struct LogsPane<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    /// For the key hints.
    pub keymap: &'a Keymap,
    pub focused: bool,
}

/// Tag colours: 16-colour-safe, none of them red (red means errors).
const PALETTE: [Color; 10] = [
    Color::Cyan,
    Color::Magenta,
    Color::Blue,
    Color::Green,
    Color::Yellow,
    Color::LightCyan,
    Color::LightMagenta,
    Color::LightBlue,
    Color::LightGreen,
    Color::LightYellow,
];

impl Widget for LogsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let logs = &self.state.logs;
        let block = pane_block(self.title(), self.focused, self.theme);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let muted = self.theme.style(Role::Muted);
        if logs.request.is_some() && logs.shows_events() {
            let lines = self.events(logs);
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .render(inner, buf);
            return;
        }
        let empty = match &logs.request {
            None => Some(self.how_to_tail()),
            Some(_) if logs.is_empty() => Some("waiting for log lines…".to_string()),
            Some(_) if logs.view_len() == 0 => Some(format!(
                "no lines match the filter ({} to change)",
                self.key(Action::FilterLines)
            )),
            Some(_) => None,
        };
        if let Some(text) = empty {
            Paragraph::new(Line::styled(text, muted)).render(inner, buf);
            return;
        }
        let new_lines = logs.new_lines();
        let marker = marker_rows(logs, inner);
        let height = (inner.height - marker) as usize;
        let rows = self.rows(logs, inner.width as usize, height);
        for (i, row) in rows.into_iter().enumerate() {
            buf.set_line(inner.x, inner.y + i as u16, &row, inner.width);
        }
        if marker > 0 {
            let text = format!(
                "── {new_lines} new lines · {} to follow ──",
                self.key(Action::Bottom)
            );
            let y = inner.y + inner.height - 1;
            let line = Line::styled(text, self.theme.style(Role::Warning));
            buf.set_line(inner.x, y, &line, inner.width);
        }
    }
}

/// The "N new lines" marker takes the bottom row while there are lines below the screen.
fn marker_rows(logs: &LogsState, inner: Rect) -> u16 {
    u16::from(logs.new_lines() > 0 && inner.height > 1)
}

/// Rows of log lines when the pane is drawn in `area` (border and marker excluded): its
/// viewport height.
pub fn list_rows(logs: &LogsState, area: Rect) -> usize {
    let inner = Block::bordered().inner(area);
    if inner.width == 0 {
        return 0;
    }
    usize::from(inner.height - marker_rows(logs, inner))
}

impl LogsPane<'_> {
    /// The key of `action` on the log pane, for the hints.
    fn key(&self, action: Action) -> String {
        self.keymap.hint(KeyContext::Pane(Pane::Logs), &action)
    }

    /// "press l on a pod or a rollout to tail its logs", with the keys as bound.
    fn how_to_tail(&self) -> String {
        let on = |pane| self.keymap.hint(KeyContext::Pane(pane), &Action::TailLogs);
        let (pod, rollout) = (on(Pane::Pods), on(Pane::Rollouts));
        if pod == rollout {
            format!("press {pod} on a pod or a rollout to tail its logs")
        } else {
            format!("press {pod} on a pod or {rollout} on a rollout to tail its logs")
        }
    }

    fn title(&self) -> Line<'static> {
        let logs = &self.state.logs;
        let t = self.theme;
        let mut spans = vec![Span::styled(" Logs ", t.style(Role::Title))];
        let Some(request) = &logs.request else {
            return Line::from(spans);
        };
        spans.push(Span::styled(
            format!("{} ", request.title()),
            t.style(Role::Text),
        ));
        let (mode, role) = if logs.is_following() {
            ("following", Role::Ok)
        } else {
            ("PAUSED", Role::Warning)
        };
        spans.push(Span::styled(format!("[{mode}] "), t.style(role)));
        let count = match logs.filter() {
            Some(f) => format!("&{} {}/{} lines ", f.text, logs.view_len(), logs.len()),
            None => format!("{} lines ", logs.len()),
        };
        spans.push(Span::styled(count, t.style(Role::Muted)));
        let (active, waiting) = logs.streams;
        if waiting > 0 {
            let text = format!("{active} pods, {waiting} waiting (stream limit) ");
            spans.push(Span::styled(text, t.style(Role::Warning)));
        } else if active > 1 {
            spans.push(Span::styled(
                format!("{active} pods "),
                t.style(Role::Muted),
            ));
        }
        let flags: Vec<&str> = [
            (logs.wrap, "wrap"),
            (logs.timestamps, "ts"),
            (logs.readable_json, "json"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        if !flags.is_empty() {
            spans.push(Span::styled(
                format!("{} ", flags.join(",")),
                t.style(Role::Muted),
            ));
        }
        spans.extend(source_title(self.state, SourceId::Logs, t));
        Line::from(spans)
    }

    /// The screen rows, bottom-up from the view's bottom line until `height` rows are filled.
    fn rows(&self, logs: &LogsState, width: usize, height: usize) -> Vec<Line<'static>> {
        let mut rows: Vec<Line<'static>> = Vec::with_capacity(height);
        let Some(bottom) = logs.bottom() else {
            return rows;
        };
        for pos in (0..=bottom).rev() {
            if rows.len() >= height {
                break;
            }
            let Some(seq) = logs.view_seq(pos) else { break };
            let Some(line) = logs.line(seq) else { break };
            let current = logs.current_match == Some(seq);
            let styled = self.format(logs, line, current);
            if logs.wrap {
                let mut wrapped = hard_wrap(styled, width);
                wrapped.reverse();
                rows.extend(wrapped);
            } else {
                rows.push(styled);
            }
        }
        rows.truncate(height);
        rows.reverse();
        rows
    }

    fn format(&self, logs: &LogsState, line: &LogLine, current: bool) -> Line<'static> {
        let t = self.theme;
        let mut spans = Vec::new();
        if logs.timestamps {
            let ts = line
                .time
                .map(|time| {
                    time.to_zoned_datetime(self.state.tz.clone())
                        .strftime("%H:%M:%S%.3f")
                        .to_string()
                })
                .unwrap_or_else(|| "--:--:--.---".into());
            spans.push(Span::styled(format!("{ts} "), t.style(Role::Muted)));
        }
        let src = &line.source;
        let revision = src.hash.as_ref().and_then(|h| logs.revisions.get(h));
        let tag_style = self.tag_style(src.colour);
        if let Some(r) = revision {
            spans.push(Span::styled(format!("r{r} "), tag_style));
        }
        if !src.tag.is_empty() {
            spans.push(Span::styled(format!("{} ", src.tag), tag_style));
        }
        if current {
            spans.push(Span::styled("▶ ", t.style(Role::Selection)));
        }
        let pretty = (logs.readable_json && line.kind == LineKind::Log)
            .then(|| readable(&line.text, &logs.redactor))
            .flatten();
        let (text, runs, level): (&str, &[StyleRun], _) = match &pretty {
            Some(r) => (&r.text, &r.runs, r.level),
            None => (&line.text, &line.runs, line.level),
        };
        // On a call, before wrapping: a secret cut over two rows is hidden whole (the frame
        // is redacted again as a whole, see `ui::present`).
        if self.state.present.on {
            let (mut text, mut runs) = (text.to_string(), runs.to_vec());
            let level = match self
                .state
                .present
                .redactor
                .redact_line(&mut text, &mut runs)
            {
                // The level token moved with the text: find it again.
                true => crate::model::log::detect_level(&text),
                false => level,
            };
            spans.extend(self.body(logs, &text, &runs, level, line.kind));
        } else {
            spans.extend(self.body(logs, text, runs, level, line.kind));
        }
        Line::from(spans)
    }

    /// No container line yet: the notes of the tail (e.g. "waiting to start") and the recent
    /// events of its pods.
    fn events(&self, logs: &LogsState) -> Vec<Line<'static>> {
        let t = self.theme;
        let shown: Vec<_> = logs
            .events
            .iter()
            .filter(|p| !p.events.is_empty())
            .collect();
        let what = match shown.as_slice() {
            [one] => format!("pod {}", one.pod),
            many => format!("{} pods", many.len()),
        };
        let mut out = vec![Line::styled(
            format!("No logs yet. Recent events of {what}:"),
            t.style(Role::Muted),
        )];
        let note = t.style(Role::Info).add_modifier(Modifier::ITALIC);
        let notes = (0..logs.view_len())
            .filter_map(|i| logs.view_seq(i).and_then(|s| logs.line(s)))
            .filter(|l| l.kind == LineKind::Note);
        out.extend(notes.map(|l| Line::styled(format!("  {}", l.text), note)));
        for pod in shown {
            if logs.events.len() > 1 {
                out.push(Line::styled(
                    format!(" pod {}", pod.pod),
                    t.style(Role::Text),
                ));
            }
            let now = self.state.now;
            out.extend(pod.events.iter().map(|e| event_line(e, now, t)));
        }
        out
    }

    fn tag_style(&self, colour: u8) -> Style {
        if self.theme.is_monochrome() {
            return Style::new().add_modifier(Modifier::BOLD);
        }
        Style::new().fg(PALETTE[usize::from(colour) % PALETTE.len()])
    }

    /// The text cut at every style boundary: SGR runs, level token, search matches.
    fn body(
        &self,
        logs: &LogsState,
        text: &str,
        runs: &[StyleRun],
        level: Option<(LogLevel, u32, u32)>,
        kind: LineKind,
    ) -> Vec<Span<'static>> {
        let t = self.theme;
        let base = match kind {
            LineKind::Note => t.style(Role::Info).add_modifier(Modifier::ITALIC),
            LineKind::Log => t.style(Role::Text),
        };
        let matches: Vec<(usize, usize)> = logs
            .search()
            .map(|p| {
                p.regex
                    .find_iter(text)
                    .map(|m| (m.start(), m.end()))
                    .collect()
            })
            .unwrap_or_default();
        let mut cuts = vec![0, text.len()];
        for r in runs {
            cuts.extend([r.start as usize, r.end as usize]);
        }
        if let Some((_, a, b)) = level {
            cuts.extend([a as usize, b as usize]);
        }
        for (a, b) in &matches {
            cuts.extend([*a, *b]);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut spans = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a >= b || b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
                continue;
            }
            let mut style = base;
            if let Some(r) = runs
                .iter()
                .find(|r| r.start as usize <= a && b <= r.end as usize)
            {
                style = style.patch(self.run_style(r.style));
            }
            if let Some((level, la, lb)) = level
                && la as usize <= a
                && b <= lb as usize
            {
                style = style.patch(self.level_style(level));
            }
            if matches.iter().any(|(ma, mb)| *ma <= a && b <= *mb) {
                style = style.patch(t.style(Role::Selection));
            }
            spans.push(Span::styled(text[a..b].to_string(), style));
        }
        spans
    }

    fn run_style(&self, style: RunStyle) -> Style {
        match style {
            RunStyle::Escaped => self.theme.style(Role::Muted),
            RunStyle::Sgr(s) => from_sgr(s, !self.theme.is_monochrome()),
        }
    }

    fn level_style(&self, level: LogLevel) -> Style {
        let role = match level {
            LogLevel::Fatal | LogLevel::Error => Role::Critical,
            LogLevel::Warn => Role::Warning,
            LogLevel::Info => Role::Info,
            LogLevel::Debug | LogLevel::Trace => Role::Muted,
        };
        self.theme.style(role)
    }
}

/// An SGR style from a log line as a ratatui style (colours only when `colour`).
fn from_sgr(s: anstyle::Style, colour: bool) -> Style {
    let mut out = Style::new();
    if colour {
        if let Some(c) = s.get_fg_color() {
            out = out.fg(to_color(c));
        }
        if let Some(c) = s.get_bg_color() {
            out = out.bg(to_color(c));
        }
    }
    let effects = s.get_effects();
    for (e, m) in [
        (anstyle::Effects::BOLD, Modifier::BOLD),
        (anstyle::Effects::DIMMED, Modifier::DIM),
        (anstyle::Effects::ITALIC, Modifier::ITALIC),
        (anstyle::Effects::UNDERLINE, Modifier::UNDERLINED),
        (anstyle::Effects::INVERT, Modifier::REVERSED),
        (anstyle::Effects::STRIKETHROUGH, Modifier::CROSSED_OUT),
    ] {
        if effects.contains(e) {
            out = out.add_modifier(m);
        }
    }
    out
}

fn to_color(c: anstyle::Color) -> Color {
    match c {
        anstyle::Color::Ansi(a) => Color::Indexed(a as u8),
        anstyle::Color::Ansi256(n) => Color::Indexed(n.0),
        anstyle::Color::Rgb(rgb) => Color::Rgb(rgb.0, rgb.1, rgb.2),
    }
}

/// Cut a line into rows of at most `width` columns (hard wrap: logs are not prose).
fn hard_wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    if line.width() <= width {
        return vec![line];
    }
    let mut rows = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.to_string().width();
            if used + w > width {
                if !piece.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Line::from(std::mem::take(&mut row)));
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            row.push(Span::styled(piece, span.style));
        }
    }
    if !row.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}
