//! Routing: the context decides which handler sees an action. A dialog, the input line and the
//! silence form take every key; an overlay takes what means something there; else the focused
//! pane does, and global actions work from every pane.

mod alerts_common;
mod common;
mod keys;

use alerts_common::alert_state;
use common::live_state;
use common::logs::numbered;
use common::rollouts::{commands, rollout_state, select};
use crossterm::event::KeyCode;
use keys::{Press, code, ctrl};
use opsdeck::action::{Action, KeyContext, Pane};
use opsdeck::command::Command;
use opsdeck::config::keymap::Keymap;
use opsdeck::state::ui::{Input, Overlay};
use opsdeck::state::{AppState, Effect};
use opsdeck::ui::layout::viewports;
use opsdeck::ui::theme::Theme;
use opsdeck::update::Update;
use ratatui::layout::Rect;

fn type_keys(state: &mut AppState, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| state.press(code(KeyCode::Char(c))))
        .collect()
}

/// `live_state()` tailing the first pod, with 30 lines, the log pane focused.
fn tailing_state() -> AppState {
    let mut state = live_state();
    let effects = state.handle(Action::TailLogs);
    let Some(Effect::TailLogs(request)) = effects.first() else {
        panic!("{effects:?}")
    };
    state.apply(Update::LogLines {
        tail: request.id,
        lines: numbered(30),
    });
    assert_eq!(state.ui.focus, Pane::Logs);
    state
}

#[test]
fn a_confirmation_dialog_takes_every_action() {
    let mut state = live_state();
    state.handle(Action::Restart);
    assert_eq!(state.key_context(), KeyContext::Dialog);
    let cursor = state.pods.selected_index();
    for action in [Action::Down, Action::FocusNext, Action::Help, Action::Zoom] {
        assert!(state.handle(action).is_empty());
    }
    assert_eq!(state.pods.selected_index(), cursor);
    assert_eq!(state.ui.focus, Pane::Pods);
    assert!(!state.ui.zoomed);
    assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
    assert!(
        type_keys(&mut state, "q").is_empty(),
        "q is no key in a dialog"
    );
    assert_eq!(state.handle(Action::Quit), vec![Effect::Quit], "a signal");
    state.press(code(KeyCode::Esc));
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn the_input_line_takes_keys_as_text_and_editing() {
    let mut state = live_state();
    state.press(code(KeyCode::Char('/')));
    assert_eq!(state.key_context(), KeyContext::Input);
    assert!(state.is_typing());
    let effects = type_keys(&mut state, "2q?j");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        state.pods.filter(),
        "2q?j",
        "keys of other contexts are text"
    );
    assert_eq!(state.ui.focus, Pane::Pods);
    assert_eq!(state.ui.overlay, Overlay::None);
    state.press(code(KeyCode::Backspace));
    assert_eq!(state.pods.filter(), "2q?");
    type_keys(&mut state, " ab");
    state.press(ctrl('w'));
    assert_eq!(state.pods.filter(), "2q? ");
    state.press(ctrl('u'));
    assert_eq!(state.pods.filter(), "");
    type_keys(&mut state, "x");
    state.press(code(KeyCode::Esc));
    assert_eq!(state.ui.input, Input::None);
    assert_eq!(state.pods.filter(), "", "Esc restores the previous filter");
    // The command line runs what it parses through the router.
    state.press(code(KeyCode::Char(':')));
    type_keys(&mut state, "ns payments");
    let effects = state.press(code(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::Rescope]);
}

#[test]
fn the_silence_form_toggles_labels_and_types_into_fields() {
    let mut state = alert_state();
    state.press(code(KeyCode::Char('s')));
    assert_eq!(state.key_context(), KeyContext::Silence);
    let form = |state: &AppState| match &state.ui.overlay {
        Overlay::Silence(f) => (**f).clone(),
        other => panic!("{other:?}"),
    };
    assert!(state.is_typing(), "the cursor starts on the duration");
    type_keys(&mut state, " x");
    assert_eq!(form(&state).duration, "1h x");
    state.press(code(KeyCode::Up));
    assert!(!state.is_typing(), "on a label");
    let on = |state: &AppState| form(state).matchers.iter().filter(|m| m.2).count();
    let before = on(&state);
    state.press(code(KeyCode::Char(' ')));
    assert_eq!(on(&state), before - 1, "space drops the label");
    state.press(code(KeyCode::Char('x')));
    assert_eq!(on(&state), before, "x takes it back");
    assert!(type_keys(&mut state, "q3").is_empty(), "no global keys");
    assert!(matches!(state.ui.overlay, Overlay::Silence(_)));
    assert_eq!(state.ui.focus, Pane::Alerts);
    state.press(code(KeyCode::Esc));
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn the_history_moves_its_revisions_and_acts_on_its_deployment() {
    let mut state = rollout_state();
    select(&mut state, "api");
    let cursor = state.rollouts.selected_index();
    state.handle(Action::Open);
    let Overlay::RolloutHistory(h) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    let name = h.key.name.clone();
    state.handle(Action::FocusPods);
    assert_eq!(
        state.key_context(),
        KeyContext::Pane(Pane::Rollouts),
        "the history keeps the rollout keys"
    );
    state.handle(Action::Down);
    let Overlay::RolloutHistory(h) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert_eq!(h.list.cursor(), 1, "the revision moves");
    assert_eq!(state.rollouts.selected_index(), cursor, "the list does not");
    state.handle(Action::ScaleUp);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert!(
        matches!(&dialog.command, Command::ScaleWorkload { target, .. } if target.name == name)
    );
    state.handle(Action::Cancel);
    state.handle(Action::FocusRollouts);
    state.handle(Action::Open);
    assert!(matches!(state.ui.overlay, Overlay::RolloutHistory(_)));
    state.handle(Action::Back);
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn a_detail_scrolls_acts_on_its_subject_and_esc_closes_it() {
    let mut state = alert_state();
    state.handle(Action::Open);
    let cursor = state.alerts.selected_index();
    // A short screen, so that the detail is longer than its window.
    let (theme, keymap) = (Theme::default_theme(), Keymap::default());
    let v = viewports(&state, &theme, &keymap, Rect::new(0, 0, 80, 12));
    state.set_viewports(v);
    state.handle(Action::Down);
    let Overlay::AlertDetail { scroll, .. } = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert_eq!(scroll.cursor(), 1, "the detail scrolls");
    assert_eq!(state.alerts.selected_index(), cursor, "the list does not");
    state.handle(Action::Silence);
    assert!(matches!(state.ui.overlay, Overlay::Silence(_)));
    state.handle(Action::InputCancel);
    // The pod detail: r restarts the pod shown, l is no detail action, Esc closes.
    let mut state = live_state();
    state.handle(Action::Open);
    assert!(
        commands(&state.handle(Action::TailLogs)).is_empty(),
        "not a detail action"
    );
    assert!(matches!(state.ui.overlay, Overlay::PodDetail { .. }));
    state.handle(Action::Restart);
    assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
    state.handle(Action::Cancel);
    state.handle(Action::Open);
    state.handle(Action::Back);
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn help_takes_global_actions_only() {
    let mut state = live_state();
    state.handle(Action::Help);
    let cursor = state.pods.selected_index();
    assert!(state.handle(Action::Restart).is_empty());
    state.handle(Action::Down);
    assert_eq!(state.ui.overlay, Overlay::Help, "no dialog over the help");
    assert_eq!(state.pods.selected_index(), cursor);
    state.handle(Action::FocusRollouts);
    assert_eq!(state.ui.focus, Pane::Rollouts);
    state.handle(Action::Help);
    assert_eq!(state.ui.overlay, Overlay::None, "? closes it");
    state.handle(Action::Help);
    state.handle(Action::Back);
    assert_eq!(state.ui.overlay, Overlay::None, "Esc closes it");
}

#[test]
fn each_pane_handles_its_own_actions() {
    // p: pause/resume a rollout (confirmed) on rollouts, pause/follow on the log pane.
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Pause);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert!(matches!(dialog.command, Command::SetRolloutPaused { .. }));
    let mut state = tailing_state();
    assert!(state.logs.is_following());
    state.handle(Action::Pause);
    assert!(!state.logs.is_following());
    assert_eq!(state.ui.overlay, Overlay::None, "no dialog on the log pane");
    assert!(state.handle(Action::Restart).is_empty(), "not a log action");
    assert_eq!(state.ui.overlay, Overlay::None);
    // `/` searches the logs and filters the pods: each in its own place.
    state.press(code(KeyCode::Char('/')));
    assert!(matches!(state.ui.input, Input::Search { .. }));
    type_keys(&mut state, "line 2");
    state.press(code(KeyCode::Enter));
    assert_eq!(state.logs.search().map(|p| p.text.as_str()), Some("line 2"));
    assert_eq!(state.pods.filter(), "");
    let mut state = alert_state();
    state.press(code(KeyCode::Char('/')));
    assert!(matches!(state.ui.input, Input::Filter { .. }));
    type_keys(&mut state, "checkout");
    assert_eq!(state.alerts.filter(), "checkout");
    assert_eq!(state.pods.filter(), "");
}

#[test]
fn n_without_a_search_names_the_search_key() {
    let mut state = tailing_state();
    state.handle(Action::NextMatch);
    let status = state.ui.status.clone().unwrap();
    assert_eq!(status.text, "no search");
    let hint = status.hint.expect("a key hint");
    assert_eq!(
        (hint.context, hint.action),
        (KeyContext::Pane(Pane::Logs), Action::Search)
    );
}

#[test]
fn esc_leaves_the_zoom_before_it_clears_the_filter() {
    let mut state = live_state();
    state.pods.set_filter("ledger");
    state.handle(Action::Zoom);
    state.handle(Action::Back);
    assert!(!state.ui.zoomed);
    assert_eq!(state.pods.filter(), "ledger");
    state.handle(Action::Back);
    assert_eq!(state.pods.filter(), "");
}
