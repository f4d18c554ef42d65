//! The key table: `{ context, keys, action, description }`, defaults in code, overrides by
//! action name from the `[keys]` config table (every context that binds the action) and its
//! `[keys.CONTEXT]` tables (that context only). Footer, `?` help and every key hint on screen
//! are generated from it.

pub use super::key::Key;
pub use super::key_overrides::{KeyEntry, KeyList, KeyOverrides};
pub use crate::action::KeyContext;
use crate::action::{Action, Pane};

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

const PODS: KeyContext = KeyContext::Pane(Pane::Pods);
const ROLLOUTS: KeyContext = KeyContext::Pane(Pane::Rollouts);
const ALERTS: KeyContext = KeyContext::Pane(Pane::Alerts);
const LOGS: KeyContext = KeyContext::Pane(Pane::Logs);
const FORM: KeyContext = KeyContext::Silence;

const DEFAULTS: &[(KeyContext, &str, Action, &str, bool)] = {
    use Action::*;
    use KeyContext::{Dialog, Global, Input};
    &[
        (Dialog, "y", Confirm, "confirm", true),
        (Dialog, "n esc", Cancel, "cancel", true),
        (Input, "enter", InputAccept, "accept", true),
        (Input, "esc ctrl-c", InputCancel, "cancel", true),
        (
            Input,
            "backspace",
            InputBackspace,
            "delete a character",
            false,
        ),
        (Input, "ctrl-u", InputClear, "clear the line", false),
        (Input, "ctrl-w", InputDeleteWord, "delete a word", false),
        (FORM, "down tab", FieldNext, "next field", false),
        (FORM, "up shift-tab", FieldPrev, "previous field", false),
        (FORM, "space x", ToggleLabel, "toggle", false),
        (PODS, "r", Restart, "restart (delete pod)", true),
        (ALERTS, "s", Silence, "silence", true),
        (ROLLOUTS, "r", Restart, "rollout restart", true),
        (ROLLOUTS, "u", UndoRollout, "undo rollout", true),
        (ROLLOUTS, "+", ScaleUp, "scale up", true),
        (ROLLOUTS, "-", ScaleDown, "scale down", true),
        (ROLLOUTS, "p", Pause, "pause/resume", false),
        (PODS, "l", TailLogs, "logs", true),
        (PODS, "P", Previous, "previous logs", false),
        (ROLLOUTS, "l", TailLogs, "logs (all pods)", true),
        (PODS, "o", OpenRelated, "its alerts", false),
        (ROLLOUTS, "o", OpenRelated, "its alerts", false),
        (ALERTS, "o", OpenRelated, "workload", true),
        (ALERTS, "b", Slos, "SLOs", true),
        (LOGS, "p", Pause, "pause/follow", true),
        (LOGS, "/", Search, "search", true),
        (LOGS, "&", FilterLines, "filter", true),
        (LOGS, "w", Wrap, "wrap", true),
        (LOGS, "t", Timestamps, "timestamps", true),
        (LOGS, "J", ReadableJson, "readable JSON", false),
        (LOGS, "P", Previous, "previous container", false),
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
        (Global, "5", FocusTimeline, "timeline", false),
        (
            Global,
            "T",
            ToggleTimeline,
            "timeline of the selection",
            false,
        ),
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
        (Global, "M", TogglePresentation, "presentation mode", false),
        (Global, "F", Freeze, "freeze/resume the screen", false),
    ]
};

/// Overrides before `filter` and `search` were two actions: an unscoped `filter` entry also
/// rebinds the log pane's search, unless `search` has an entry of its own.
const LEGACY_ALSO: [(&str, Action); 1] = [("filter", Action::Search)];

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

/// An action by its config name (`undo_rollout`); only unit variants have one.
fn action_named(name: &str) -> Option<Action> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

impl Keymap {
    /// Defaults with the config's overrides applied: unscoped entries first, then the
    /// `[keys.CONTEXT]` tables (so a context's own table wins). Returns warnings for unknown
    /// contexts, action names and unparsable keys (never an error: a typo must not lock the
    /// user out).
    pub fn with_overrides(overrides: &KeyOverrides) -> (Keymap, Vec<String>) {
        let mut map = Keymap::default();
        let mut warnings = Vec::new();
        for (name, entry) in &overrides.0 {
            if let KeyEntry::Keys(keys) = entry {
                let keys = parse_keys("[keys]", name, keys, &mut warnings);
                map.rebind_everywhere(name, keys, overrides, &mut warnings);
            }
        }
        for (context_name, entry) in &overrides.0 {
            let KeyEntry::Context(table) = entry else {
                continue;
            };
            let Some(context) = KeyContext::from_name(context_name) else {
                let known: Vec<&str> = KeyContext::ALL.iter().map(|c| c.name()).collect();
                warnings.push(format!(
                    "[keys.{context_name}] unknown context (known: {})",
                    known.join(", ")
                ));
                continue;
            };
            for (name, keys) in table {
                let section = format!("[keys.{context_name}]");
                let keys = parse_keys(&section, name, keys, &mut warnings);
                if let Err(w) = map.rebind_in(context, name, keys) {
                    warnings.push(format!("{section} {w}"));
                }
            }
        }
        (map, warnings)
    }

    /// `[keys] name = …`: every binding of the action (and of the actions it used to cover).
    fn rebind_everywhere(
        &mut self,
        name: &str,
        keys: Vec<Key>,
        overrides: &KeyOverrides,
        warnings: &mut Vec<String>,
    ) {
        let Some(action) = action_named(name) else {
            warnings.push(format!("[keys] unknown action {name:?}"));
            return;
        };
        let also: Vec<&Action> = LEGACY_ALSO
            .iter()
            .filter(|(old, new)| *old == name && !overrides.contains_key(&config_name(new)))
            .map(|(_, new)| new)
            .collect();
        let mut found = false;
        let targets = self
            .bindings
            .iter_mut()
            .filter(|b| b.action == action || also.contains(&&b.action));
        for b in targets {
            b.keys = keys.clone();
            found = true;
        }
        if !found {
            warnings.push(format!(
                "[keys] action {name:?} has no key binding to change"
            ));
        }
    }

    /// `[keys.CONTEXT] name = …`: the context's own binding of the action, or a new one that
    /// takes the place of the binding it inherits (from the global keys, say).
    fn rebind_in(&mut self, context: KeyContext, name: &str, keys: Vec<Key>) -> Result<(), String> {
        let action = action_named(name).ok_or_else(|| format!("unknown action {name:?}"))?;
        if let Some(b) = self
            .bindings
            .iter_mut()
            .find(|b| b.context == context && b.action == action)
        {
            b.keys = keys;
            return Ok(());
        }
        let inherited = self
            .lookup(context, |b| b.action == action)
            .ok_or_else(|| format!("action {name:?} has no key binding in {}", context.name()))?;
        self.bindings.push(Binding {
            context,
            keys,
            ..inherited.clone()
        });
        Ok(())
    }

    /// The first binding that `matches`, in `context`'s own bindings and then in its fallbacks'
    /// (skipping an inherited action the context binds itself).
    fn lookup(&self, context: KeyContext, matches: impl Fn(&Binding) -> bool) -> Option<&Binding> {
        let mut at = Some(context);
        while let Some(ctx) = at {
            let found = self.bindings.iter().find(|b| {
                b.context == ctx
                    && matches(b)
                    && (ctx == context || !self.binds(context, &b.action))
            });
            if found.is_some() {
                return found;
            }
            at = ctx.fallback();
        }
        None
    }

    /// Whether `context` itself binds `action`.
    fn binds(&self, context: KeyContext, action: &Action) -> bool {
        self.bindings
            .iter()
            .any(|b| b.context == context && &b.action == action)
    }

    /// The action for a key in a context: the context's own binding first, then its
    /// fallbacks' (a pane's: the global keys; dialogs take no others).
    pub fn resolve(&self, context: KeyContext, key: Key) -> Option<Action> {
        self.lookup(context, |b| b.keys.contains(&key))
            .map(|b| b.action.clone())
    }

    /// What a key means on the current screen. While a text field has the cursor (`typing`)
    /// a printable key is text, unless it is bound to one of the line-editing actions.
    pub fn resolve_key(&self, context: KeyContext, typing: bool, key: Key) -> Option<Action> {
        let bound = self.resolve(context, key);
        match key.text() {
            Some(c) if typing && !bound.as_ref().is_some_and(Action::is_line_edit) => {
                Some(Action::InsertChar(c))
            }
            _ => bound,
        }
    }

    /// Bindings that apply in `context`, its own first; inherited ones that it replaces (same
    /// action) or whose keys it all takes (e.g. `/` is search on the log pane) are left out.
    pub fn bindings_for(&self, context: KeyContext) -> impl Iterator<Item = &Binding> {
        let own = self.bindings.iter().filter(move |b| b.context == context);
        let fallback = context.fallback();
        let shadowed = move |g: &Binding| {
            self.binds(context, &g.action)
                || g.keys.iter().all(|k| {
                    self.bindings
                        .iter()
                        .any(|b| b.context == context && b.keys.contains(k))
                })
        };
        let inherited = self
            .bindings
            .iter()
            .filter(move |b| Some(b.context) == fallback && !shadowed(b));
        own.chain(inherited)
    }

    /// Every row of the table.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
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

    /// The first key bound to an action in a context (or its fallbacks), for hints like
    /// "Esc closes".
    pub fn key_for(&self, context: KeyContext, action: &Action) -> Option<Key> {
        self.lookup(context, |b| &b.action == action)
            .and_then(|b| b.keys.first().copied())
    }

    /// The key of a hint as shown on screen ("Esc"), or "unbound".
    pub fn hint(&self, context: KeyContext, action: &Action) -> String {
        self.key_for(context, action)
            .map(|k| k.to_string())
            .unwrap_or_else(|| "unbound".to_string())
    }
}

/// The config name of a unit action (`search`).
fn config_name(action: &Action) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn parse_keys(section: &str, name: &str, keys: &KeyList, warnings: &mut Vec<String>) -> Vec<Key> {
    let mut parsed = Vec::new();
    for k in keys.names() {
        match Key::parse(k) {
            Ok(key) => parsed.push(key),
            Err(e) => warnings.push(format!("{section} {name}: {e}")),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
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
        assert_eq!(map.resolve(logs, key("J")), Some(Action::ReadableJson));
        assert_eq!(
            map.resolve(logs, key("j")),
            Some(Action::Down),
            "J is not j"
        );
        assert_eq!(map.resolve(logs, key("&")), Some(Action::FilterLines));
        assert_eq!(map.resolve(logs, key("G")), Some(Action::Bottom));
        assert_eq!(map.resolve(logs, key("n")), Some(Action::NextMatch));
    }

    #[test]
    fn overrides_replace_keys_and_warn_on_unknown_names() {
        let o: KeyOverrides =
            toml::from_str("restart = [\"R\"]\nexplode = \"x\"\nquit = [\"Q\", \"hyper-q\"]\n")
                .unwrap();
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
