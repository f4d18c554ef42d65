//! The key table: `[keys]` overrides for every context, `[keys.CONTEXT]` for one, warnings for
//! names it does not know, and the input layer (line editing, the silence form) in the table.

mod common;
mod keys;

use std::path::Path;

use common::live_state;
use crossterm::event::KeyCode;
use keys::{Press, code, ctrl};
use opsdeck::action::{Action, KeyContext, Pane};
use opsdeck::config::Config;
use opsdeck::config::keymap::{Key, Keymap};
use opsdeck::state::ui::Input;

const PODS: KeyContext = KeyContext::Pane(Pane::Pods);
const ROLLOUTS: KeyContext = KeyContext::Pane(Pane::Rollouts);
const LOGS: KeyContext = KeyContext::Pane(Pane::Logs);

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

/// The keymap of a config file's `[keys]` section, and its warnings.
fn keymap(toml: &str) -> (Keymap, Vec<String>) {
    let config = Config::parse(toml, Path::new("/tmp/c.toml")).unwrap();
    Keymap::with_overrides(&config.keys)
}

#[test]
fn context_names_round_trip() {
    for context in KeyContext::ALL {
        assert_eq!(KeyContext::from_name(context.name()), Some(context));
    }
    assert_eq!(KeyContext::from_name("lgos"), None);
}

#[test]
fn a_scoped_override_rebinds_one_context_only() {
    let (map, warnings) = keymap("[keys.logs]\npause = \"space\"\n");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(map.resolve(LOGS, key("space")), Some(Action::Pause));
    assert_eq!(map.resolve(LOGS, key("p")), None);
    assert_eq!(map.resolve(ROLLOUTS, key("p")), Some(Action::Pause));
    assert_eq!(map.resolve(ROLLOUTS, key("space")), None);
    assert_eq!(map.key_for(LOGS, &Action::Pause), Some(key("space")));
    assert_eq!(map.key_for(ROLLOUTS, &Action::Pause), Some(key("p")));
}

#[test]
fn an_unscoped_override_still_applies_to_every_context() {
    let (map, warnings) = keymap("[keys]\npause = [\"ctrl-p\"]\n");
    assert!(warnings.is_empty(), "{warnings:?}");
    for context in [LOGS, ROLLOUTS] {
        assert_eq!(map.resolve(context, key("ctrl-p")), Some(Action::Pause));
        assert_eq!(map.resolve(context, key("p")), None);
    }
}

#[test]
fn the_scoped_table_wins_over_the_unscoped_entry() {
    let (map, warnings) =
        keymap("[keys]\npause = \"ctrl-p\"\n\n[keys.logs]\npause = [\"space\", \"F\"]\n");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(map.resolve(LOGS, key("F")), Some(Action::Pause));
    assert_eq!(map.resolve(LOGS, key("ctrl-p")), None);
    assert_eq!(map.resolve(ROLLOUTS, key("ctrl-p")), Some(Action::Pause));
}

#[test]
fn a_pane_can_rebind_a_global_action_for_itself() {
    let (map, warnings) = keymap("[keys.logs]\ndown = \"x\"\n");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(map.resolve(LOGS, key("x")), Some(Action::Down));
    assert_eq!(
        map.resolve(LOGS, key("j")),
        None,
        "replaced on the log pane"
    );
    assert_eq!(map.resolve(PODS, key("j")), Some(Action::Down));
    assert_eq!(map.resolve(PODS, key("x")), None);
    let downs: Vec<_> = map
        .bindings_for(LOGS)
        .filter(|b| b.action == Action::Down)
        .collect();
    assert_eq!(downs.len(), 1, "help lists the pane's own binding only");
    assert_eq!(downs[0].keys, [key("x")]);
}

#[test]
fn unknown_contexts_and_actions_are_warnings_not_errors() {
    let (map, warnings) = keymap(
        "[keys.lgos]\npause = \"x\"\n[keys.logs]\nexplode = \"y\"\n[keys.pods]\nwrap = \"w\"\n",
    );
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    let all = warnings.join("\n");
    assert!(all.contains("[keys.lgos] unknown context"), "{all}");
    assert!(
        all.contains("global, pods, rollouts"),
        "lists the known ones: {all}"
    );
    assert!(
        all.contains("[keys.logs] unknown action \"explode\""),
        "{all}"
    );
    assert!(
        all.contains("[keys.pods] action \"wrap\" has no key binding in pods"),
        "{all}"
    );
    assert_eq!(
        map.bindings(),
        Keymap::default().bindings(),
        "nothing changed"
    );
}

#[test]
fn a_bad_value_in_keys_names_file_line_and_key() {
    let err = Config::parse(
        "[keys]\nquit = \"q\"\nrestart = 5\n",
        Path::new("/tmp/c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("/tmp/c.toml:3: keys.restart: "), "{err}");
    assert!(err.contains("expected a key"), "{err}");
    let err = Config::parse(
        "[keys.logs]\nwrap = \"w\"\npause = { x = 1 }\n",
        Path::new("/tmp/c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("/tmp/c.toml:3: keys.logs.pause: "), "{err}");
}

#[test]
fn printable_keys_are_text_in_a_text_field() {
    let map = Keymap::default();
    let j = key("j");
    assert_eq!(map.resolve_key(PODS, false, j), Some(Action::Down));
    assert_eq!(
        map.resolve_key(KeyContext::Input, true, j),
        Some(Action::InsertChar('j'))
    );
    assert_eq!(
        map.resolve_key(KeyContext::Input, true, key("enter")),
        Some(Action::InputAccept)
    );
    assert_eq!(
        map.resolve_key(KeyContext::Input, true, key("ctrl-w")),
        Some(Action::InputDeleteWord)
    );
    // The silence form: space toggles a label, and is a space in a text field; the input keys
    // apply after the form's own.
    let space = key("space");
    let form = KeyContext::Silence;
    assert_eq!(
        map.resolve_key(form, false, space),
        Some(Action::ToggleLabel)
    );
    assert_eq!(
        map.resolve_key(form, true, space),
        Some(Action::InsertChar(' '))
    );
    assert_eq!(
        map.resolve_key(form, true, key("tab")),
        Some(Action::FieldNext)
    );
    assert_eq!(
        map.resolve_key(form, false, key("esc")),
        Some(Action::InputCancel)
    );
    assert_eq!(
        map.resolve_key(form, false, j),
        None,
        "no global keys in a form"
    );
}

#[test]
fn input_layer_keys_are_remappable() {
    let (map, warnings) = keymap(
        "[keys.input]\ninput_clear = \"ctrl-k\"\ninput_accept = [\"ctrl-j\"]\ninput_backspace = \"#\"\n",
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let input = KeyContext::Input;
    assert_eq!(
        map.resolve_key(input, true, key("ctrl-k")),
        Some(Action::InputClear)
    );
    assert_eq!(map.resolve_key(input, true, key("ctrl-u")), None);
    assert_eq!(map.resolve_key(input, true, key("enter")), None);
    assert_eq!(
        map.resolve_key(input, true, key("#")),
        Some(Action::InputBackspace),
        "a printable key bound to a line-editing action is not text"
    );
    assert_eq!(
        map.resolve_key(KeyContext::Silence, true, key("ctrl-j")),
        Some(Action::InputAccept),
        "the silence form edits with the input keys"
    );
    // Through the state: type, clear, type again, accept.
    let mut state = live_state();
    state.press_with(&map, code(KeyCode::Char('/')));
    for c in "ledger".chars() {
        state.press_with(&map, code(KeyCode::Char(c)));
    }
    assert_eq!(state.pods.filter(), "ledger");
    state.press_with(&map, ctrl('k'));
    assert_eq!(state.pods.filter(), "");
    for c in "carx".chars() {
        state.press_with(&map, code(KeyCode::Char(c)));
    }
    state.press_with(&map, code(KeyCode::Char('#')));
    state.press_with(&map, code(KeyCode::Char('t')));
    state.press_with(&map, code(KeyCode::Enter));
    assert_ne!(state.ui.input, Input::None, "Enter no longer accepts");
    state.press_with(&map, ctrl('j'));
    assert_eq!(state.ui.input, Input::None);
    assert_eq!(state.pods.filter(), "cart");
}

#[test]
fn the_old_filter_override_also_moves_the_log_search() {
    let (map, warnings) = keymap("[keys]\nfilter = \"f\"\n");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(map.resolve(PODS, key("f")), Some(Action::Filter));
    assert_eq!(map.resolve(LOGS, key("f")), Some(Action::Search));
    let (map, _) = keymap("[keys]\nfilter = \"f\"\nsearch = \"S\"\n");
    assert_eq!(map.resolve(LOGS, key("S")), Some(Action::Search));
    assert_eq!(map.key_for(LOGS, &Action::Search), Some(key("S")));
}

#[test]
fn ctrl_c_cancels_a_text_field_and_quits_elsewhere() {
    let map = Keymap::default();
    let c = key("ctrl-c");
    assert_eq!(map.resolve_key(PODS, false, c), Some(Action::Quit));
    assert_eq!(
        map.resolve_key(KeyContext::Input, true, c),
        Some(Action::InputCancel)
    );
}
