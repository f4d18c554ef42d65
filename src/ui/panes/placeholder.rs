//! A pane whose feature has not landed yet says so plainly.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use crate::action::Pane;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::pane_frame::pane_block;

pub struct PlaceholderPane<'a> {
    pub pane: Pane,
    pub theme: &'a Theme,
    pub focused: bool,
}

impl Widget for PlaceholderPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let title = Line::styled(
            format!(" {} ", self.pane.title()),
            self.theme.style(Role::Title),
        );
        let block = pane_block(title, self.focused, self.theme);
        Paragraph::new(Line::styled("not built yet", self.theme.style(Role::Muted)))
            .block(block)
            .render(area, buf);
    }
}
