//! Confirmation dialog: names the cluster context, namespace, object and the exact change.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::state::ui::ConfirmDialog;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::centered;

pub struct ConfirmView<'a> {
    pub dialog: &'a ConfirmDialog,
    pub readonly: bool,
    pub theme: &'a Theme,
}

impl Widget for ConfirmView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let cmd = &self.dialog.command;
        let target = cmd.target();
        let field = |k: &str, v: &str| {
            Line::from(vec![
                Span::styled(format!(" {k:<10}"), t.style(Role::Muted)),
                Span::styled(v.to_string(), t.style(Role::Title)),
            ])
        };
        let mut lines = vec![
            field("context", &target.context),
            field("namespace", &target.namespace),
            field("object", &target.name),
            Line::default(),
            Line::styled(format!(" {}", cmd.describe()), t.style(Role::Text)),
            Line::default(),
        ];
        if self.readonly {
            lines.push(Line::styled(
                " read-only mode: this will be refused",
                t.style(Role::Warning),
            ));
        }
        lines.push(Line::from(vec![
            Span::styled(" y", t.style(Role::Critical)),
            Span::styled(" confirm   ", t.style(Role::Text)),
            Span::styled("n", t.style(Role::Title)),
            Span::styled(" cancel", t.style(Role::Text)),
        ]));
        let width = 70.min(area.width);
        let inner = usize::from(width.saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
        let rect = centered(area, width, rows as u16 + 2);
        Clear.render(rect, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Critical))
            .title(Line::styled(
                format!(" {} ", self.dialog.title),
                t.style(Role::Title),
            ));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .render(rect, buf);
    }
}
