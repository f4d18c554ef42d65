//! `?`: every key of the focused pane, generated from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::action::Action;
use crate::config::keymap::{KeyContext, Keymap};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::centered;

pub struct Help<'a> {
    pub keymap: &'a Keymap,
    pub context: KeyContext,
    pub theme: &'a Theme,
    pub title: &'a str,
    /// Actions the user's RBAC forbids here (listed, marked).
    pub denied: Vec<Action>,
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let lines: Vec<Line> = self
            .keymap
            .bindings_for(self.context)
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
                if self.denied.contains(&b.action) {
                    return Line::styled(
                        format!(" {:<14}{} (forbidden)", keys.join(" "), b.description),
                        t.style(Role::Muted),
                    );
                }
                Line::from(vec![
                    Span::styled(format!(" {:<14}", keys.join(" ")), t.style(Role::Title)),
                    Span::styled(b.description.to_string(), t.style(Role::Text)),
                ])
            })
            .collect();
        let rect = centered(area, 48, lines.len() as u16 + 2);
        let block = super::overlay_block(
            rect,
            buf,
            format!(
                " Keys: {} ({} closes) ",
                self.title,
                self.keymap.hint(self.context, &Action::Back)
            ),
            Role::BorderFocused,
            t,
        );
        Paragraph::new(lines).block(block).render(rect, buf);
    }
}
