//! The silence dialog: labels to match (toggle to widen), duration, comment, author.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::action::Action;
use crate::config::keymap::{KeyContext, Keymap};
use crate::state::silence_form::{Field, SilenceForm};
use crate::ui::theme::{Role, Theme};

pub struct SilenceView<'a> {
    pub form: &'a SilenceForm,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

impl Widget for SilenceView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let f = self.form;
        let cursor = f.field();
        let mark = |on: bool| if on { "▸ " } else { "  " };
        let key = |action| self.keymap.hint(KeyContext::Silence, &action);
        let mut lines = vec![
            Line::from(vec![
                Span::styled(" on ", t.style(Role::Muted)),
                Span::styled(f.alertmanager.clone(), t.style(Role::Title)),
            ]),
            Line::styled(
                format!(
                    " Labels to match ({} toggles; fewer labels = wider silence):",
                    key(Action::ToggleLabel)
                ),
                t.style(Role::Muted),
            ),
        ];
        for (i, (name, value, on)) in f.matchers.iter().enumerate() {
            let here = cursor == Field::Matcher(i);
            let role = match (here, on) {
                (true, _) => Role::Selection,
                (false, true) => Role::Text,
                (false, false) => Role::Muted,
            };
            let check = if *on { "[x]" } else { "[ ]" };
            lines.push(Line::styled(
                format!(" {}{check} {name}={value:?}", mark(here)),
                t.style(role),
            ));
        }
        let text_field = |label: &str, value: &str, field: Field| {
            let here = cursor == field;
            let caret = if here { "█" } else { "" };
            Line::from(vec![
                Span::styled(format!(" {}{label:<11}", mark(here)), t.style(Role::Muted)),
                Span::styled(
                    format!("{value}{caret}"),
                    t.style(if here { Role::Selection } else { Role::Text }),
                ),
            ])
        };
        lines.push(Line::default());
        lines.push(text_field("duration", &f.duration, Field::Duration));
        lines.push(text_field("comment", &f.comment, Field::Comment));
        lines.push(text_field("created by", &f.created_by, Field::CreatedBy));
        lines.push(Line::default());
        if let Some(e) = &f.error {
            lines.push(Line::styled(format!(" {e}"), t.style(Role::Critical)));
        }
        lines.push(Line::styled(
            format!(
                " {} move  {} toggle  {} review  {} cancel",
                pair(key(Action::FieldPrev), key(Action::FieldNext)),
                key(Action::ToggleLabel),
                key(Action::InputAccept),
                key(Action::InputCancel)
            ),
            t.style(Role::Muted),
        ));
        let rect = super::fitted(area, 76, &lines);
        let block = super::overlay_block(
            rect,
            buf,
            format!(" Silence {} ", f.target.name),
            Role::BorderFocused,
            t,
        );
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block)
            .render(rect, buf);
    }
}

/// Two keys as one hint: `↑↓`, or `Ctrl-p/Ctrl-n` when they are longer than a character.
fn pair(a: String, b: String) -> String {
    if a.chars().count() == 1 && b.chars().count() == 1 {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}
