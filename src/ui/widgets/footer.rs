//! Footer (keys of the focused pane, from the keymap) and the status/input line above it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::config::keymap::{KeyContext, Keymap};
use crate::state::AppState;
use crate::state::ui::{Input, Level};
use crate::ui::theme::{Role, Theme};

/// How long a status message stays on screen.
const STATUS_SECONDS: i64 = 20;

pub struct Footer<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    pub context: KeyContext,
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut spans = Vec::new();
        if self.state.is_typing() {
            spans.push(Span::styled(" Enter", t.style(Role::Title)));
            spans.push(Span::styled(" accept ", t.style(Role::Muted)));
            spans.push(Span::styled(" Esc", t.style(Role::Title)));
            spans.push(Span::styled(" cancel ", t.style(Role::Muted)));
        } else {
            // Whole hints only: stop before one that would be cut.
            let mut used = 0;
            let hints = self
                .keymap
                .bindings_for(self.context)
                .filter(|b| b.in_footer);
            for b in hints {
                let Some(key) = b.keys.first() else { continue };
                let key = format!(" {key}");
                let desc = format!(" {} ", b.description);
                used += key.chars().count() + desc.chars().count();
                if used > area.width as usize {
                    break;
                }
                if self.state.is_denied(&b.action) {
                    // Forbidden by RBAC: still listed, visibly unavailable.
                    let style = t.style(Role::Muted).add_modifier(Modifier::CROSSED_OUT);
                    spans.push(Span::styled(key, style));
                    spans.push(Span::styled(desc, style));
                    continue;
                }
                spans.push(Span::styled(key, t.style(Role::Title)));
                spans.push(Span::styled(desc, t.style(Role::Muted)));
            }
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

pub struct StatusLine<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let line = match &self.state.ui.input {
            Input::Filter { text, .. } => Line::from(vec![
                Span::styled("/", t.style(Role::Title)),
                Span::styled(format!("{text}█"), t.style(Role::Text)),
            ]),
            Input::LogFilter { text, .. } => Line::from(vec![
                Span::styled("&", t.style(Role::Title)),
                Span::styled(format!("{text}█"), t.style(Role::Text)),
            ]),
            Input::Command { text } => Line::from(vec![
                Span::styled(":", t.style(Role::Title)),
                Span::styled(format!("{text}█"), t.style(Role::Text)),
            ]),
            Input::None => match &self.state.ui.status {
                Some(s) if (self.state.now - s.at).as_secs() < STATUS_SECONDS => {
                    let role = match s.level {
                        Level::Info => Role::Info,
                        Level::Ok => Role::Ok,
                        Level::Error => Role::Critical,
                    };
                    Line::styled(s.text.clone(), t.style(role))
                }
                _ => Line::default(),
            },
        };
        Paragraph::new(line).render(area, buf);
    }
}
