//! The key table: `{ context, keys, action, description }`, defaults in code, overrides by
//! action name from the `[keys]` config table. Footer and `?` help are generated from it.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Pane};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// Everywhere (after the focused pane's own bindings).
    Global,
    Pane(Pane),
    /// A confirmation dialog is open.
    Dialog,
}

/// One key: a code plus Ctrl/Alt. Shift is part of the character (`G`), except for Tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        Key {
            code: ev.code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parse `q`, `G`, `ctrl-c`, `alt-x`, `shift-tab`, `enter`, `esc`, `pgup`, `space`, `f5`…
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut key = Key {
            code: KeyCode::Null,
            ctrl: false,
            alt: false,
        };
        let mut rest = text;
        let mut shift = false;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                key.ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                key.alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "tab" if shift => KeyCode::BackTab,
                "backtab" => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                    KeyCode::F(f[1..].parse::<u8>().unwrap_or(1))
                }
                _ => return Err(format!("unknown key {text:?}")),
            },
        };
        if let KeyCode::Char(c) = key.code {
            if key.ctrl {
                key.code = KeyCode::Char(c.to_ascii_lowercase());
            } else if shift {
                key.code = KeyCode::Char(c.to_ascii_uppercase());
            }
        }
        Ok(key)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "Ctrl-")?;
        }
        if self.alt {
            write!(f, "Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Tab => write!(f, "Tab"),
            KeyCode::BackTab => write!(f, "S-Tab"),
            KeyCode::Enter => write!(f, "Enter"),
            KeyCode::Esc => write!(f, "Esc"),
            KeyCode::Up => write!(f, "↑"),
            KeyCode::Down => write!(f, "↓"),
            KeyCode::Left => write!(f, "←"),
            KeyCode::Right => write!(f, "→"),
            KeyCode::PageUp => write!(f, "PgUp"),
            KeyCode::PageDown => write!(f, "PgDn"),
            KeyCode::Home => write!(f, "Home"),
            KeyCode::End => write!(f, "End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One row of the key table.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub context: KeyContext,
    pub keys: Vec<Key>,
    pub action: Action,
    pub description: &'static str,
    /// Shown in the footer (the rest only in `?` help).
    pub in_footer: bool,
}

/// The resolved key table.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

const DEFAULTS: &[(KeyContext, &str, Action, &str, bool)] = {
    use Action::*;
    use KeyContext::*;
    &[
        (Dialog, "y", Confirm, "confirm", true),
        (Dialog, "n esc", Cancel, "cancel", true),
        (
            Pane(crate::action::Pane::Pods),
            "r",
            Restart,
            "restart (delete pod)",
            true,
        ),
        (
            Pane(crate::action::Pane::Alerts),
            "s",
            Silence,
            "silence",
            true,
        ),
        (
            Pane(crate::action::Pane::Rollouts),
            "r",
            Restart,
            "rollout restart",
            true,
        ),
        (
            Pane(crate::action::Pane::Rollouts),
            "u",
            UndoRollout,
            "undo rollout",
            true,
        ),
        (
            Pane(crate::action::Pane::Rollouts),
            "+",
            ScaleUp,
            "scale up",
            true,
        ),
        (
            Pane(crate::action::Pane::Rollouts),
            "-",
            ScaleDown,
            "scale down",
            true,
        ),
        (
            Pane(crate::action::Pane::Rollouts),
            "p",
            Pause,
            "pause/resume",
            false,
        ),
        (Pane(crate::action::Pane::Pods), "l", TailLogs, "logs", true),
        (
            Pane(crate::action::Pane::Pods),
            "P",
            Previous,
            "previous logs",
            false,
        ),
        (
            Pane(crate::action::Pane::Rollouts),
            "l",
            TailLogs,
            "logs (all pods)",
            true,
        ),
        (
            Pane(crate::action::Pane::Logs),
            "p",
            Pause,
            "pause/follow",
            true,
        ),
        (Pane(crate::action::Pane::Logs), "/", Filter, "search", true),
        (
            Pane(crate::action::Pane::Logs),
            "&",
            FilterLines,
            "filter",
            true,
        ),
        (Pane(crate::action::Pane::Logs), "w", Wrap, "wrap", true),
        (
            Pane(crate::action::Pane::Logs),
            "t",
            Timestamps,
            "timestamps",
            true,
        ),
        (
            Pane(crate::action::Pane::Logs),
            "P",
            Previous,
            "previous container",
            false,
        ),
        (Global, "enter", Open, "details", true),
        (Global, "/", Filter, "filter", true),
        (Global, "n", NextMatch, "next match", false),
        (Global, "N", PrevMatch, "previous match", false),
        (Global, "tab", FocusNext, "next pane", true),
        (Global, "shift-tab", FocusPrev, "previous pane", false),
        (Global, "1", FocusPods, "pods", false),
        (Global, "2", FocusRollouts, "rollouts", false),
        (Global, "3", FocusAlerts, "alerts", false),
        (Global, "4", FocusLogs, "logs", false),
        (Global, "k up", Up, "up", false),
        (Global, "j down", Down, "down", false),
        (Global, "g home", Top, "top", false),
        (Global, "G end", Bottom, "bottom", false),
        (Global, "pgup ctrl-b", PageUp, "page up", false),
        (Global, "pgdn ctrl-f", PageDown, "page down", false),
        (Global, "esc", Back, "back", false),
        (Global, "z", Zoom, "zoom", true),
        (Global, ":", CommandLine, "command", true),
        (Global, "?", Help, "help", true),
        (Global, "q ctrl-c", Quit, "quit", true),
    ]
};

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(context, keys, action, description, in_footer)| Binding {
                context: *context,
                keys: keys.split(' ').filter_map(|k| Key::parse(k).ok()).collect(),
                action: action.clone(),
                description,
                in_footer: *in_footer,
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// Defaults with the config's overrides applied. Returns warnings for unknown action
    /// names and unparsable keys (never an error: a typo must not lock the user out).
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> (Keymap, Vec<String>) {
        let mut map = Keymap::default();
        let mut warnings = Vec::new();
        for (name, keys) in overrides {
            let action: Action =
                match serde_json::from_value(serde_json::Value::String(name.clone())) {
                    Ok(a) => a,
                    Err(_) => {
                        warnings.push(format!("[keys] unknown action {name:?}"));
                        continue;
                    }
                };
            let mut parsed = Vec::new();
            for k in keys {
                match Key::parse(k) {
                    Ok(key) => parsed.push(key),
                    Err(e) => warnings.push(format!("[keys] {name}: {e}")),
                }
            }
            let mut found = false;
            for b in map.bindings.iter_mut().filter(|b| b.action == action) {
                b.keys = parsed.clone();
                found = true;
            }
            if !found {
                warnings.push(format!(
                    "[keys] action {name:?} has no key binding to change"
                ));
            }
        }
        (map, warnings)
    }

    /// The action for a key in a context: the context's own binding first, then global ones
    /// (dialogs take no global keys).
    pub fn resolve(&self, context: KeyContext, key: Key) -> Option<Action> {
        let find = |ctx: KeyContext| {
            self.bindings
                .iter()
                .find(|b| b.context == ctx && b.keys.contains(&key))
                .map(|b| b.action.clone())
        };
        match context {
            KeyContext::Dialog => find(KeyContext::Dialog),
            other => find(other).or_else(|| find(KeyContext::Global)),
        }
    }

    /// Bindings that apply in `context`, its own first; global ones whose keys are all taken
    /// by the context (e.g. `/` is search on the log pane) are left out.
    pub fn bindings_for(&self, context: KeyContext) -> impl Iterator<Item = &Binding> {
        let own = self.bindings.iter().filter(move |b| b.context == context);
        let shadowed = move |g: &Binding| {
            g.keys.iter().all(|k| {
                self.bindings
                    .iter()
                    .any(|b| b.context == context && b.keys.contains(k))
            })
        };
        let global = self.bindings.iter().filter(move |b| {
            context != KeyContext::Dialog && b.context == KeyContext::Global && !shadowed(b)
        });
        own.chain(global)
    }

    /// Every action that has a binding (once each).
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        let mut seen: Vec<&Action> = Vec::new();
        self.bindings.iter().filter_map(move |b| {
            if seen.contains(&&b.action) {
                None
            } else {
                seen.push(&b.action);
                Some(&b.action)
            }
        })
    }

    /// The first key bound to an action, for hints like "press ? for help".
    pub fn key_for(&self, action: &Action) -> Option<Key> {
        self.bindings
            .iter()
            .find(|b| &b.action == action)
            .and_then(|b| b.keys.first().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn parses_key_names() {
        assert_eq!(key("ctrl-c").code, KeyCode::Char('c'));
        assert!(key("ctrl-c").ctrl);
        assert_eq!(key("shift-tab").code, KeyCode::BackTab);
        assert_eq!(key("G").code, KeyCode::Char('G'));
        assert_eq!(key("pgdn").code, KeyCode::PageDown);
        assert_eq!(key("f5").code, KeyCode::F(5));
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        let map = Keymap::default();
        let pods = KeyContext::Pane(Pane::Pods);
        assert_eq!(map.resolve(pods, key("r")), Some(Action::Restart));
        assert_eq!(map.resolve(pods, key("j")), Some(Action::Down));
        assert_eq!(
            map.resolve(KeyContext::Dialog, key("y")),
            Some(Action::Confirm)
        );
        assert_eq!(map.resolve(KeyContext::Dialog, key("q")), None);
        let rollouts = KeyContext::Pane(Pane::Rollouts);
        assert_eq!(map.resolve(rollouts, key("r")), Some(Action::Restart));
        assert_eq!(map.resolve(rollouts, key("u")), Some(Action::UndoRollout));
        assert_eq!(map.resolve(rollouts, key("+")), Some(Action::ScaleUp));
        assert_eq!(map.resolve(rollouts, key("-")), Some(Action::ScaleDown));
        assert_eq!(map.resolve(rollouts, key("p")), Some(Action::Pause));
        assert_eq!(map.resolve(pods, key("u")), None);
        assert_eq!(map.resolve(pods, key("l")), Some(Action::TailLogs));
        assert_eq!(map.resolve(rollouts, key("l")), Some(Action::TailLogs));
        let logs = KeyContext::Pane(Pane::Logs);
        assert_eq!(map.resolve(logs, key("p")), Some(Action::Pause));
        assert_eq!(map.resolve(logs, key("w")), Some(Action::Wrap));
        assert_eq!(map.resolve(logs, key("t")), Some(Action::Timestamps));
        assert_eq!(map.resolve(logs, key("P")), Some(Action::Previous));
        assert_eq!(map.resolve(logs, key("&")), Some(Action::FilterLines));
        assert_eq!(map.resolve(logs, key("G")), Some(Action::Bottom));
        assert_eq!(map.resolve(logs, key("n")), Some(Action::NextMatch));
    }

    #[test]
    fn overrides_replace_keys_and_warn_on_unknown_names() {
        let mut o = BTreeMap::new();
        o.insert("restart".to_string(), vec!["R".to_string()]);
        o.insert("explode".to_string(), vec!["x".to_string()]);
        o.insert(
            "quit".to_string(),
            vec!["Q".to_string(), "hyper-q".to_string()],
        );
        let (map, warnings) = Keymap::with_overrides(&o);
        let pods = KeyContext::Pane(Pane::Pods);
        assert_eq!(map.resolve(pods, key("R")), Some(Action::Restart));
        assert_eq!(map.resolve(pods, key("r")), None);
        assert_eq!(map.resolve(pods, key("Q")), Some(Action::Quit));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("explode"));
        assert!(warnings[1].contains("hyper-q"));
    }
}
