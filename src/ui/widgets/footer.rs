//! Footer (keys of the focused pane, from the keymap) and the status/input line above it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::action::Action;
use crate::config::keymap::{KeyContext, Keymap};
use crate::state::AppState;
use crate::state::ui::{Input, Level, Status};
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
        // In a text field every hint is shown; elsewhere whole hints only: stop before one that
        // would be cut.
        let cut = !matches!(self.context, KeyContext::Input | KeyContext::Silence);
        let mut spans = Vec::new();
        let mut used = 0;
        // On a call only the keys that matter there (in a pane; dialogs keep theirs).
        let call = self.state.present.on && matches!(self.context, KeyContext::Pane(_));
        let hints = self.keymap.bindings_for(self.context).filter(|b| {
            if call {
                call_label(&b.action).is_some()
            } else {
                b.in_footer
            }
        });
        for b in hints {
            let Some(key) = b.keys.first() else { continue };
            let key = format!(" {key}");
            let description = match call {
                true => call_label(&b.action).unwrap_or(b.description),
                false => b.description,
            };
            let desc = format!(" {description} ");
            used += key.chars().count() + desc.chars().count();
            if cut && used > area.width as usize {
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
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// The keys the footer shows in presentation mode, with a short label.
fn call_label(action: &Action) -> Option<&'static str> {
    Some(match action {
        Action::Open => "details",
        Action::FocusNext => "next pane",
        Action::Zoom => "zoom",
        Action::Filter => "filter",
        Action::ToggleTimeline => "timeline",
        Action::Freeze => "freeze",
        Action::TogglePresentation => "leave presentation",
        Action::Help => "help",
        _ => return None,
    })
}

pub struct StatusLine<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let prompt = |p: &'static str, text: &str| {
            Line::from(vec![
                Span::styled(p, t.style(Role::Title)),
                Span::styled(format!("{text}█"), t.style(Role::Text)),
            ])
        };
        let line = match &self.state.ui.input {
            Input::Filter { text, .. } | Input::Search { text, .. } => prompt("/", text),
            Input::LogFilter { text, .. } => prompt("&", text),
            Input::Command { text } => prompt(":", text),
            Input::Arm { text, dialog } => {
                let c = &dialog.command;
                let target = c.target();
                let ask = format!(
                    "ARM {} — type the context name to allow {} {}/{}: ",
                    target.context,
                    c.verb(),
                    target.namespace,
                    target.name
                );
                Line::from(vec![
                    Span::styled(ask, t.style(Role::Warning)),
                    Span::styled(format!("{text}█"), t.style(Role::Text)),
                ])
            }
            Input::None => match &self.state.ui.status {
                Some(s) if (self.state.now - s.at).as_secs() < STATUS_SECONDS => {
                    let role = match s.level {
                        Level::Info => Role::Info,
                        Level::Ok => Role::Ok,
                        Level::Error => Role::Critical,
                    };
                    Line::styled(self.status_text(s), t.style(role))
                }
                _ => Line::default(),
            },
        };
        Paragraph::new(line).render(area, buf);
    }
}

impl StatusLine<'_> {
    /// The message, with its key hint as bound ("no search: press / to search").
    fn status_text(&self, s: &Status) -> String {
        match &s.hint {
            Some(h) => format!(
                "{}: press {} to {}",
                s.text,
                self.keymap.hint(h.context, &h.action),
                h.what
            ),
            None => s.text.clone(),
        }
    }
}
