//! The incident timeline pane (in the logs pane's place): the answer line — the first alert
//! and the changes in the 30 minutes before it — then one row per change, newest first.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Widget};

use crate::model::timeline::{Entry, EntryKind};
use crate::state::AppState;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::header::clock;
use crate::ui::widgets::pane_frame::list_frame;
use crate::ui::widgets::table::{render_window, table_rows};
use crate::update::SourceId;

pub struct TimelinePane<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub focused: bool,
}

/// Theme role of an entry's kind.
fn kind_role(kind: EntryKind) -> Role {
    match kind {
        EntryKind::AlertFiring | EntryKind::Restart => Role::Critical,
        EntryKind::Warning => Role::Warning,
        EntryKind::Revision | EntryKind::Scaling => Role::Info,
        EntryKind::AlertResolved => Role::Ok,
        EntryKind::Silence | EntryKind::Action => Role::Text,
    }
}

impl Widget for TimelinePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let timeline = &self.state.timeline;
        let name = match timeline.focus() {
            Some(f) => format!("Timeline {}", f.label),
            None => "Timeline".to_string(),
        };
        let what = (name.as_str(), SourceId::Events, true);
        let Some((summary, table)) = list_frame(area, buf, what, self.state, theme, self.focused)
        else {
            return;
        };
        Paragraph::new(answer_line(self.state, theme)).render(summary, buf);
        let height = table_rows(table);
        if height == 0 {
            return;
        }
        if timeline.visible_len() == 0 {
            let text = if timeline.filter().is_empty() {
                "nothing changed yet (revisions, restarts, warnings, alerts and actions appear here)"
            } else {
                "no entries match the filter"
            };
            Paragraph::new(Line::styled(text, theme.style(Role::Muted))).render(table, buf);
            return;
        }
        let list = timeline.list();
        let offset = list.first_shown(height);
        let rows: Vec<&Entry> = timeline.window(offset, height).collect();
        let object = rows
            .iter()
            .map(|e| e.object_path().chars().count())
            .max()
            .unwrap_or(0)
            .clamp(6, 48) as u16;
        let header = Row::new(["TIME", "KIND", "OBJECT", "WHAT"]);
        let tz = &self.state.tz;
        let body = rows.iter().map(|e| {
            Row::new([
                clock(e.at, tz),
                e.kind.label().to_string(),
                e.object_path(),
                e.text_with_count(),
            ])
            .style(theme.style(kind_role(e.kind)))
        });
        let widths = vec![
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(object),
            Constraint::Fill(1),
        ];
        let selected = list.cursor();
        render_window(
            table,
            buf,
            (header, body.collect(), widths),
            selected - offset,
            self.focused,
            theme,
        );
    }
}

/// "first alert 14:02:10 — 3 changes in the 30 min before it: rollout shop/deploy/checkout
/// r7→r8 at 13:58:41, …", else the count and the filter.
fn answer_line<'a>(state: &AppState, theme: &Theme) -> Line<'a> {
    let timeline = &state.timeline;
    let mut spans = Vec::new();
    if let Some((first, changes)) = timeline.answer() {
        let named: Vec<String> = changes
            .iter()
            .take(3)
            .map(|e| {
                let text = e.text.split(" (").next().unwrap_or(&e.text);
                format!(
                    "{} {} {text} at {}",
                    e.kind.label(),
                    e.object_path(),
                    clock(e.at, &state.tz)
                )
            })
            .collect();
        let more = if changes.len() > 3 { ", …" } else { "" };
        let text = match changes.len() {
            0 => format!(
                "first alert {} — no changes in the 30 min before it",
                clock(first.at, &state.tz)
            ),
            n => format!(
                "first alert {} — {n} change{} in the 30 min before it: {}{more}",
                clock(first.at, &state.tz),
                if n == 1 { "" } else { "s" },
                named.join(", ")
            ),
        };
        spans.push(Span::styled(text, theme.style(Role::Warning)));
    } else {
        spans.push(Span::styled(
            format!("{} entries", timeline.visible_len()),
            theme.style(Role::Muted),
        ));
    }
    spans.extend(super::filter_span(
        timeline.filter(),
        timeline.visible_len(),
        theme,
    ));
    Line::from(spans)
}
