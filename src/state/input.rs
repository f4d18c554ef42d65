//! The input line: `/` filters the focused list and searches the logs, `&` filters log lines,
//! each applied as typed (accept keeps it, cancel restores the previous one); `:` is the command
//! line. Line editing is shared with the text fields of the silence form.

use crate::action::Action;
use crate::state::ui::{Input, Level};
use crate::state::{AppState, Effect};

impl AppState {
    /// `/` on a list: edit its filter.
    pub(super) fn open_filter(&mut self) {
        let previous = self.focused_filter().to_string();
        self.ui.input = Input::Filter {
            text: previous.clone(),
            previous,
        };
    }

    /// An action while the input line is open: edit, accept or cancel.
    pub(super) fn handle_input(&mut self, action: Action) -> Vec<Effect> {
        let mut input = std::mem::take(&mut self.ui.input);
        match action {
            Action::InputAccept => self.accept(input),
            Action::InputCancel => {
                if let Input::Arm { dialog, .. } = &input {
                    let t = dialog.command.target();
                    let text = format!(
                        "not armed: {} {}/{} not sent",
                        dialog.command.verb(),
                        t.namespace,
                        t.name
                    );
                    self.ui.set_status(text, Level::Info, self.now);
                }
                if let Some(previous) = input.previous() {
                    let previous = previous.to_string();
                    self.preview(&input, &previous);
                }
                vec![]
            }
            action => {
                if let Some(text) = input.text_mut()
                    && edit(text, &action)
                {
                    let text = text.clone();
                    self.preview(&input, &text);
                }
                self.ui.input = input;
                vec![]
            }
        }
    }

    /// Apply `text` as what `input` edits, while it is being typed (or restored).
    fn preview(&mut self, input: &Input, text: &str) {
        match input {
            Input::Filter { .. } => self.set_focused_filter(text),
            Input::Search { .. } => self.logs.set_search(text),
            Input::LogFilter { .. } => self.logs.set_filter(text),
            Input::Command { .. } | Input::Arm { .. } | Input::None => {}
        }
    }

    /// Enter: filters are applied already; a command line runs.
    fn accept(&mut self, input: Input) -> Vec<Effect> {
        let text = match input {
            Input::Command { text } => text,
            Input::Arm { text, dialog } => return self.accept_arming(&text, *dialog),
            _ => return vec![],
        };
        match Action::from_command_line(&text) {
            Ok(action) => self.handle(action),
            Err(e) => {
                self.ui.set_status(e, Level::Error, self.now);
                vec![]
            }
        }
    }
}

/// Line editing: typed characters, delete a character, clear, delete a word. Returns whether
/// `action` was one of them.
pub(super) fn edit(text: &mut String, action: &Action) -> bool {
    match action {
        Action::InsertChar(c) => text.push(*c),
        Action::InputBackspace => {
            text.pop();
        }
        Action::InputClear => text.clear(),
        Action::InputDeleteWord => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed].rfind(' ').map(|i| i + 1).unwrap_or(0);
            text.truncate(cut);
        }
        _ => return false,
    }
    true
}
