//! Every key hint on screen comes from the keymap: with every hinted action remapped, no
//! screen shows a default key any more.

mod alerts_common;
mod common;

use std::path::Path;

use alerts_common::alert_state;
use common::logs::numbered;
use common::{draw_with, live_state};
use opsdeck::action::Action;
use opsdeck::config::Config;
use opsdeck::config::keymap::Keymap;
use opsdeck::state::AppState;
use opsdeck::state::list::{ListState, Mode};
use opsdeck::state::ui::Overlay;
use opsdeck::update::Update;

const REMAPPED: &str = r#"
[keys]
back = "h"
confirm = "Y"
cancel = ["N", "esc"]
silence = "S"
bottom = "E"
filter_lines = "F"
command_line = ";"
search = "ctrl-s"
input_accept = "ctrl-j"
input_cancel = "ctrl-g"
field_prev = "ctrl-p"
field_next = "ctrl-n"
toggle_label = "t"

[keys.pods]
tail_logs = "L"
"#;

fn remapped() -> Keymap {
    let config = Config::parse(REMAPPED, Path::new("remapped.toml")).unwrap();
    let (keymap, warnings) = Keymap::with_overrides(&config.keys);
    assert!(warnings.is_empty(), "{warnings:?}");
    keymap
}

fn screen(state: &AppState, width: u16, height: u16) -> String {
    draw_with(state, &remapped(), width, height)
        .backend()
        .to_string()
}

#[track_caller]
fn shows(text: &str, wanted: &[&str], unwanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "{w:?} missing:\n{text}");
    }
    for u in unwanted {
        assert!(!text.contains(u), "{u:?} still shown:\n{text}");
    }
}

#[test]
fn overlays_and_dialogs_name_the_remapped_keys() {
    let mut state = live_state();
    state.handle(Action::Help);
    shows(&screen(&state, 120, 40), &["(h closes)"], &["Esc closes"]);
    state.handle(Action::Back);
    state.handle(Action::Open);
    shows(&screen(&state, 120, 30), &["(h closes)"], &["Esc closes"]);
    state.handle(Action::Back);
    state.handle(Action::Restart);
    shows(
        &screen(&state, 120, 30),
        &[" Y confirm   N cancel"],
        &[" y confirm", "n cancel"],
    );
}

#[test]
fn the_alert_detail_and_the_silence_form_name_the_remapped_keys() {
    let mut state = alert_state();
    state.handle(Action::Open);
    shows(
        &screen(&state, 120, 40),
        &["(h closes)", "none (S silences it)"],
        &["Esc closes", "(s silences"],
    );
    let silenced = state
        .alerts
        .window(0, usize::MAX)
        .find(|v| v.row.name == "HighLatency")
        .map(|v| v.row.fingerprint.clone())
        .unwrap();
    state.ui.overlay = Overlay::AlertDetail {
        fingerprint: silenced,
        scroll: ListState::new(Mode::Text),
    };
    shows(
        &screen(&state, 120, 40),
        &["(S expires it)"],
        &["(s expires"],
    );
    state.handle(Action::Back);
    state.handle(Action::Silence);
    shows(
        &screen(&state, 120, 40),
        &[
            "(t toggles;",
            " Ctrl-p/Ctrl-n move  t toggle  Ctrl-j review  Ctrl-g cancel",
            " Ctrl-j accept  Ctrl-g cancel ",
        ],
        &["Space toggle", "Enter", "Esc"],
    );
}

#[test]
fn the_panes_name_the_remapped_keys() {
    let mut state = live_state();
    state.handle(Action::FocusLogs);
    shows(
        &screen(&state, 100, 20),
        &["press L on a pod or l on a rollout to tail its logs"],
        &["press l on a pod"],
    );
    state.handle(Action::NextMatch);
    shows(
        &screen(&state, 100, 20),
        &["no search: press Ctrl-s to search"],
        &["press / to search"],
    );
    state.handle(Action::FocusPods);
    let effects = state.handle(Action::TailLogs);
    let Some(opsdeck::state::Effect::TailLogs(request)) = effects.first() else {
        panic!("{effects:?}")
    };
    let tail = request.id;
    state.apply(Update::LogLines {
        tail,
        lines: numbered(40),
    });
    state.handle(Action::Pause);
    state.apply(Update::LogLines {
        tail,
        lines: numbered(3),
    });
    shows(
        &screen(&state, 100, 20),
        &["3 new lines · E to follow"],
        &["G to follow"],
    );
    state.logs.set_filter("nothing matches this");
    shows(
        &screen(&state, 100, 20),
        &["no lines match the filter (F to change)"],
        &["(& to change)"],
    );
    let mut state = alert_state();
    state
        .alerts
        .set_namespace(Some("checkout".into()), state.now);
    shows(
        &screen(&state, 120, 30),
        &["in other namespaces (;ns all)"],
        &["(:ns all)"],
    );
}
