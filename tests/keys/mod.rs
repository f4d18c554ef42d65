//! Keys pressed the way the app does it: resolved through the keymap in the state's context.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::config::keymap::Keymap;
use opsdeck::state::{AppState, Effect};

pub trait Press {
    /// Press `key` with the default keymap.
    fn press(&mut self, key: KeyEvent) -> Vec<Effect>;
    /// Press `key` with `keymap`.
    fn press_with(&mut self, keymap: &Keymap, key: KeyEvent) -> Vec<Effect>;
}

impl Press for AppState {
    fn press(&mut self, key: KeyEvent) -> Vec<Effect> {
        self.press_with(&Keymap::default(), key)
    }

    fn press_with(&mut self, keymap: &Keymap, key: KeyEvent) -> Vec<Effect> {
        opsdeck::app::handle_key(self, keymap, &key)
    }
}

/// A key without modifiers.
pub fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Ctrl and a character.
pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}
