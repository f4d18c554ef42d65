//! Confirmation dialog: names the cluster context, namespace, object and the exact change.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::action::Action;
use crate::config::keymap::{KeyContext, Keymap};
use crate::model::rollout::UndoPreview;
use crate::state::ui::{ConfirmDetail, ConfirmDialog, Preview};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::history::diff_role;

pub struct ConfirmView<'a> {
    pub dialog: &'a ConfirmDialog,
    pub readonly: bool,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
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
        let detail = &self.dialog.detail;
        lines.extend(detail_lines(detail, t));
        if self.readonly {
            lines.push(Line::styled(
                " read-only mode: this will be refused",
                t.style(Role::Warning),
            ));
        }
        let key = |action| self.keymap.hint(KeyContext::Dialog, &action);
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {}", key(Action::Confirm)),
                t.style(Role::Critical),
            ),
            Span::styled(" confirm   ", t.style(Role::Text)),
            Span::styled(key(Action::Cancel), t.style(Role::Title)),
            Span::styled(" cancel", t.style(Role::Text)),
        ]));
        let wide = !detail.diff.is_empty() || detail.preview != Preview::None;
        let rect = super::fitted(area, if wide { 100 } else { 70 }, &lines);
        let block = super::overlay_block(
            rect,
            buf,
            format!(" {} ", self.dialog.title),
            Role::Critical,
            t,
        );
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .render(rect, buf);
    }
}

/// Diff, warning and server dry run of a dialog (nothing for a plain command).
fn detail_lines<'a>(detail: &ConfirmDetail, t: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if !detail.diff.is_empty() {
        lines.push(Line::styled(" pod template change:", t.style(Role::Title)));
        for d in &detail.diff {
            lines.push(Line::styled(
                format!("   {}", d.text()),
                t.style(diff_role(d)),
            ));
        }
    }
    if let Some(w) = &detail.warning {
        lines.push(Line::styled(format!(" ⚠ {w}"), t.style(Role::Warning)));
    }
    let preview = match &detail.preview {
        Preview::None => None,
        Preview::Pending => Some(("server dry run: waiting…".to_string(), Role::Muted)),
        Preview::Done(UndoPreview::Accepted(diff)) => Some((
            format!("server dry run: accepted ({} template changes)", diff.len()),
            Role::Ok,
        )),
        Preview::Done(UndoPreview::Skipped(text)) => {
            Some((format!("server dry run: {text}"), Role::Info))
        }
        Preview::Done(UndoPreview::Refused(text)) => {
            Some((format!("server dry run: refused: {text}"), Role::Critical))
        }
    };
    if let Some((text, role)) = preview {
        lines.push(Line::styled(format!(" {text}"), t.style(role)));
    }
    if !lines.is_empty() {
        lines.push(Line::default());
    }
    lines
}
