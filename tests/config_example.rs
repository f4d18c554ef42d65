//! The shipped `config.example.toml` documents every option with its default.

use std::path::Path;

use opsdeck::action::Action;
use opsdeck::config::Config;
use opsdeck::config::keymap::{Key, KeyEntry, Keymap};

const EXAMPLE: &str = include_str!("../config.example.toml");

/// The example with every `# key = value` line uncommented.
fn uncommented() -> String {
    EXAMPLE
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if looks_like_setting(rest) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn looks_like_setting(s: &str) -> bool {
    let Some((key, _)) = s.split_once(" = ") else {
        return false;
    };
    !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

#[test]
fn example_as_shipped_equals_the_defaults() {
    let config = Config::parse(EXAMPLE, Path::new("config.example.toml")).unwrap();
    assert_eq!(config, Config::default());
}

#[test]
fn example_with_everything_uncommented_parses() {
    let text = uncommented();
    assert!(
        text.contains("\nnamespace = \"all\""),
        "uncommenting failed"
    );
    let config = Config::parse(&text, Path::new("config.example.toml")).unwrap();
    assert_eq!(config.kubernetes.namespace.as_deref(), Some("all"));
    assert!(config.keys.contains_key("restart"));
}

#[test]
fn example_lists_exactly_the_default_keys() {
    let text = uncommented();
    let config = Config::parse(&text, Path::new("config.example.toml")).unwrap();
    let defaults = Keymap::default();
    let (from_example, warnings) = Keymap::with_overrides(&config.keys);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(from_example.bindings(), defaults.bindings());
    let mut listed = 0;
    for (name, entry) in &config.keys.0 {
        let KeyEntry::Keys(keys) = entry else {
            panic!("the example lists the defaults unscoped: {name}")
        };
        let action: Action =
            serde_json::from_value(serde_json::Value::String(name.clone())).unwrap();
        let keys: Vec<Key> = keys
            .names()
            .iter()
            .map(|k| Key::parse(k).unwrap())
            .collect();
        let bound: Vec<_> = defaults
            .bindings()
            .iter()
            .filter(|b| b.action == action)
            .collect();
        assert!(!bound.is_empty(), "{name} is not bound");
        for b in bound {
            assert_eq!(b.keys, keys, "{name} in {}", b.context.name());
        }
        listed += 1;
    }
    assert_eq!(
        listed,
        defaults.actions().count(),
        "every bound action is listed"
    );
}
