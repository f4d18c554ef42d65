//! Alerts pane transitions: merging, resolving, fading, "new" until seen, movement, filter,
//! the silence dialog and its confirmation. Pure: no server, no clock.

mod alerts_common;
mod keys;

use alerts_common::{AM, AM2, alert, alert_state, incident, now};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::SignedDuration;
use keys::Press;
use opsdeck::action::Action;
use opsdeck::command::Command;
use opsdeck::model::alert::AlertState;
use opsdeck::state::ui::Overlay;
use opsdeck::state::{AppState, Effect};
use opsdeck::update::Update;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        state.press(key(KeyCode::Char(c)));
    }
}

fn names(state: &AppState) -> Vec<String> {
    state
        .alerts
        .window(0, usize::MAX)
        .map(|v| v.row.name.clone())
        .collect()
}

fn fetch(state: &mut AppState, source: &str, alerts: Vec<opsdeck::model::alert::AlertRow>) -> bool {
    let scope = state.scope;
    state.apply(Update::AlertsFetched {
        scope,
        source: source.into(),
        alerts,
    })
}

#[test]
fn alerts_are_ordered_and_counted() {
    let state = alert_state();
    assert_eq!(
        names(&state),
        [
            "CheckoutDown",
            "KubePodCrashLooping",
            "HighLatency",
            "KubeContainerOOMKilled",
            "CertExpiresSoon"
        ]
    );
    let c = state.alerts.firing_counts();
    assert_eq!(
        (c.critical, c.warning, c.other),
        (1, 1, 1),
        "silenced and inhibited do not count"
    );
}

#[test]
fn ha_pair_shows_each_alert_once() {
    let mut state = alert_state();
    fetch(&mut state, AM2, incident());
    assert_eq!(state.alerts.visible_len(), 5);
}

#[test]
fn movement_keys_move_the_alert_cursor_not_the_pods() {
    let mut state = alert_state();
    state.handle(Action::Down);
    state.handle(Action::Down);
    assert_eq!(state.alerts.selected().unwrap().row.name, "HighLatency");
    state.handle(Action::Bottom);
    assert_eq!(state.alerts.selected().unwrap().row.name, "CertExpiresSoon");
    state.handle(Action::Up);
    assert_eq!(state.alerts.selected_index(), 3);
    state.handle(Action::Top);
    assert_eq!(state.alerts.selected_index(), 0);
    assert_eq!(state.pods.selected_index(), 0);
}

#[test]
fn selection_follows_the_alert_when_rows_move() {
    let mut state = alert_state();
    state.handle(Action::Bottom);
    let mut rows = incident();
    rows.push(alert("NodeDown", "critical", AlertState::Firing, &[], 5));
    fetch(&mut state, AM, rows);
    assert_eq!(state.alerts.selected().unwrap().row.name, "CertExpiresSoon");
}

#[test]
fn new_firing_alert_is_highlighted_until_seen() {
    let mut state = alert_state();
    state.handle(Action::FocusPods);
    let mut rows = incident();
    rows.push(alert("NodeDown", "critical", AlertState::Firing, &[], 5));
    fetch(&mut state, AM, rows.clone());
    let new: Vec<String> = state
        .alerts
        .window(0, 9)
        .filter(|v| v.new)
        .map(|v| v.row.name.clone())
        .collect();
    assert_eq!(
        new,
        ["NodeDown"],
        "the first answer is the baseline; later ones are new"
    );
    assert_eq!(state.alerts.unseen(), 1);
    // Still new after another poll while the pane is not focused.
    fetch(&mut state, AM, rows);
    assert_eq!(state.alerts.unseen(), 1);
    state.handle(Action::FocusAlerts);
    assert_eq!(state.alerts.unseen(), 0, "focusing the pane shows it");
}

#[test]
fn selecting_an_alert_marks_it_seen() {
    let mut state = alert_state();
    state.handle(Action::FocusPods);
    let mut rows = incident();
    rows.push(alert("NodeDown", "critical", AlertState::Firing, &[], 5));
    fetch(&mut state, AM, rows);
    state.alerts.select(0);
    assert_eq!(state.alerts.unseen(), 0);
}

#[test]
fn resolved_alert_fades_out_and_stays_for_the_detail() {
    let mut state = alert_state();
    state.alerts.settings.resolved_fade = SignedDuration::from_mins(5);
    let fp = state
        .alerts
        .window(0, 1)
        .next()
        .unwrap()
        .row
        .fingerprint
        .clone();
    state.handle(Action::Open);
    let rows: Vec<_> = incident().into_iter().skip(1).collect();
    fetch(&mut state, AM, rows);
    let last = state.alerts.window(0, 9).last().unwrap();
    assert_eq!(last.row.name, "CheckoutDown");
    assert_eq!(last.resolved_at, Some(now()));
    assert_eq!(state.alerts.firing_counts().critical, 0);
    state.tick(now() + SignedDuration::from_mins(4));
    assert_eq!(state.alerts.visible_len(), 5);
    state.tick(now() + SignedDuration::from_mins(6));
    assert_eq!(state.alerts.visible_len(), 4, "faded out of the list");
    assert!(
        state.alerts.find(&fp).is_some(),
        "still known to the open detail"
    );
    assert!(matches!(state.ui.overlay, Overlay::AlertDetail { .. }));
}

#[test]
fn resolved_alerts_are_bounded() {
    let mut state = alert_state();
    for i in 0..400 {
        let row = alert(&format!("Flappy{i}"), "warning", AlertState::Firing, &[], 5);
        fetch(&mut state, AM, vec![row]);
    }
    fetch(&mut state, AM, vec![]);
    assert!(state.alerts.visible_len() <= opsdeck::state::alerts::RESOLVED_CAP);
}

#[test]
fn refiring_alert_leaves_the_resolved_list() {
    let mut state = alert_state();
    fetch(&mut state, AM, vec![]);
    assert_eq!(state.alerts.visible_len(), 5);
    assert!(state.alerts.window(0, 9).all(|v| v.resolved_at.is_some()));
    fetch(&mut state, AM, incident());
    assert_eq!(state.alerts.visible_len(), 5);
    assert!(state.alerts.window(0, 9).all(|v| v.resolved_at.is_none()));
}

#[test]
fn filter_applies_to_the_focused_alerts_pane() {
    let mut state = alert_state();
    state.handle(Action::Filter);
    type_text(&mut state, "payments");
    assert_eq!(names(&state), ["KubePodCrashLooping", "HighLatency"]);
    assert_eq!(state.pods.filter(), "", "pods untouched");
    state.press(key(KeyCode::Enter));
    state.handle(Action::Back);
    assert_eq!(state.alerts.visible_len(), 5, "Esc clears the filter");
    state.alerts.set_filter("!warning", now());
    assert_eq!(names(&state), ["CheckoutDown", "CertExpiresSoon"]);
}

#[test]
fn namespace_scope_keeps_cluster_wide_alerts() {
    let mut state = alert_state();
    let effects = state.handle(Action::SetNamespace(Some("checkout".into())));
    assert_eq!(effects, vec![Effect::Rescope]);
    assert_eq!(
        names(&state),
        ["CheckoutDown", "KubeContainerOOMKilled", "CertExpiresSoon"]
    );
    assert_eq!(state.alerts.out_of_scope(), 2, "said in the summary line");
}

#[test]
fn alerts_of_an_old_scope_are_dropped() {
    let mut state = alert_state();
    let old = state.scope;
    state.handle(Action::SetNamespace(None));
    let changed = state.apply(Update::AlertsFetched {
        scope: old,
        source: AM.into(),
        alerts: vec![],
    });
    assert!(!changed);
    assert_eq!(state.alerts.visible_len(), 5);
}

#[test]
fn enter_opens_the_alert_detail_and_keys_scroll_it() {
    let mut state = alert_state();
    state.handle(Action::Open);
    let Overlay::AlertDetail {
        fingerprint,
        scroll,
    } = &state.ui.overlay
    else {
        panic!()
    };
    assert_eq!(scroll.cursor(), 0);
    assert_eq!(
        state.alerts.find(fingerprint).unwrap().row.name,
        "CheckoutDown"
    );
    // A short screen, so that the detail is longer than its window.
    let theme = opsdeck::ui::theme::Theme::default_theme();
    let size = ratatui::layout::Rect::new(0, 0, 80, 12);
    let keymap = opsdeck::config::keymap::Keymap::default();
    state.set_viewports(opsdeck::ui::layout::viewports(
        &state, &theme, &keymap, size,
    ));
    state.handle(Action::Down);
    let Overlay::AlertDetail { scroll, .. } = &state.ui.overlay else {
        panic!()
    };
    assert_eq!(scroll.cursor(), 1);
    assert_eq!(
        state.alerts.selected_index(),
        0,
        "the list does not move under the detail"
    );
    state.handle(Action::Back);
    assert_eq!(state.ui.overlay, Overlay::None);
}

fn open_silence(state: &mut AppState) {
    state.handle(Action::Silence);
    assert!(
        matches!(state.ui.overlay, Overlay::Silence(_)),
        "{:?}",
        state.ui.overlay
    );
    assert!(state.is_typing(), "keys go to the dialog");
}

#[test]
fn silence_dialog_builds_exactly_the_confirmed_command() {
    let mut state = alert_state();
    open_silence(&mut state);
    // Cursor starts on the duration: replace 1h by 2h30m.
    for _ in 0..2 {
        state.press(key(KeyCode::Backspace));
    }
    type_text(&mut state, "2h30m");
    // Up to the labels (alertname, namespace, service, severity): drop severity and service.
    state.press(key(KeyCode::Up));
    state.press(key(KeyCode::Char(' ')));
    state.press(key(KeyCode::Up));
    state.press(key(KeyCode::Char(' ')));
    for _ in 0..3 {
        state.press(key(KeyCode::Down));
    }
    type_text(&mut state, "rolling back checkout");
    assert!(state.press(key(KeyCode::Enter)).is_empty());
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    let Command::CreateSilence { target, silence } = &dialog.command else {
        panic!()
    };
    assert_eq!(
        (target.namespace.as_str(), target.name.as_str()),
        ("checkout", "CheckoutDown")
    );
    let matchers: Vec<String> = silence.matchers.iter().map(|m| m.to_string()).collect();
    assert_eq!(
        matchers,
        ["alertname=\"CheckoutDown\"", "namespace=\"checkout\""]
    );
    assert_eq!(silence.duration.as_secs(), 9000);
    assert_eq!(silence.alertmanager, AM);
    assert_eq!(silence.created_by, "alice");
    let describe = dialog.command.describe();
    assert!(
        describe.contains(AM) && describe.contains("2h 30m"),
        "{describe}"
    );
    let expected = dialog.command.clone();
    let effects = state.handle(Action::Confirm);
    let [Effect::Run(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(req.command, expected);
    assert!(
        req.command.is_mutation(),
        "refused under --readonly by the executor"
    );
}

#[test]
fn silence_dialog_refuses_no_matchers_bad_duration_and_no_comment() {
    let mut state = alert_state();
    open_silence(&mut state);
    let error = |state: &AppState| match &state.ui.overlay {
        Overlay::Silence(f) => f.error.clone().unwrap_or_default(),
        other => panic!("{other:?}"),
    };
    state.press(key(KeyCode::Enter));
    assert!(error(&state).contains("comment"), "{}", error(&state));
    state.press(key(KeyCode::Down));
    type_text(&mut state, "x");
    state.press(key(KeyCode::Up));
    state.press(key(KeyCode::Char('u')));
    type_text(&mut state, "zz");
    state.press(key(KeyCode::Enter));
    assert!(
        error(&state).contains("invalid duration"),
        "{}",
        error(&state)
    );
    state.press(key(KeyCode::Esc));
    assert_eq!(state.ui.overlay, Overlay::None);
    assert!(!state.is_typing());
}

#[test]
fn silencing_a_prometheus_alert_explains_why_not() {
    let mut state = alert_state();
    state.alerts.settings.alertmanagers.clear();
    assert!(state.handle(Action::Silence).is_empty());
    assert_eq!(state.ui.overlay, Overlay::None);
    assert!(
        state
            .ui
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("Alertmanager")
    );
}

#[test]
fn s_on_a_silenced_alert_offers_to_expire_its_silence() {
    let mut state = alert_state();
    state.handle(Action::Down);
    state.handle(Action::Down);
    state.handle(Action::Silence);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    let Command::ExpireSilence {
        silence_id,
        alertmanager,
        ..
    } = &dialog.command
    else {
        panic!()
    };
    assert_eq!(silence_id, "6c4cf71f-85bc-4f13-997e-7c013d81121d");
    assert_eq!(alertmanager, AM);
    state.handle(Action::Cancel);
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn s_does_nothing_on_other_panes() {
    let mut state = alert_state();
    state.handle(Action::FocusPods);
    assert!(state.handle(Action::Silence).is_empty());
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn an_unchanged_poll_is_not_a_redraw() {
    let mut state = alert_state();
    assert!(
        !fetch(&mut state, AM, incident()),
        "same answer, nothing visible changed"
    );
    let mut rows = incident();
    rows.pop();
    assert!(fetch(&mut state, AM, rows));
}
