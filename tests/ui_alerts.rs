//! Snapshots of the alerts pane, its detail and the silence dialog at a fixed time (UTC).

mod alerts_common;
mod keys;

mod common;

use common::draw;
use keys::Press;

use alerts_common::{alert_state, signals};
use opsdeck::action::Action;
use opsdeck::state::AppState;
use opsdeck::ui::theme::Theme;
use opsdeck::update::{SourceHealth, SourceId, Update};

fn with_signals() -> AppState {
    let mut state = alert_state();
    let scope = state.scope;
    state.apply(Update::SignalsFetched {
        scope,
        services: signals(),
    });
    state
}

#[test]
fn alerts_80x24() {
    let t = draw(&alert_state(), 80, 24);
    let text = t.backend().to_string();
    for needle in ["CheckoutDown", "critical", "silenced", "7m", "1 crit"] {
        assert!(text.contains(needle), "{needle} missing");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn alerts_160x45_grid_with_signals() {
    let t = draw(&with_signals(), 160, 45);
    let text = t.backend().to_string();
    assert!(text.contains("checkout-api"), "signals shown");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn alerts_zoomed_120x40_with_signals() {
    let mut state = with_signals();
    state.handle(Action::Zoom);
    insta::assert_snapshot!(draw(&state, 120, 40).backend());
}

#[test]
fn alert_detail_shows_labels_annotations_and_runbook() {
    let mut state = alert_state();
    state.handle(Action::Open);
    let t = draw(&state, 100, 30);
    let text = t.backend().to_string();
    for needle in [
        "https://runbooks.example.com/CheckoutDown",
        "Second line",
        "service",
        "s silences it",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn silence_dialog_then_confirmation() {
    let mut state = alert_state();
    state.handle(Action::Silence);
    insta::assert_snapshot!("silence_dialog", draw(&state, 100, 30).backend());
    state.press(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Down,
        crossterm::event::KeyModifiers::NONE,
    ));
    for c in "rolling back".chars() {
        state.press(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        ));
    }
    state.press(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    ));
    let t = draw(&state, 100, 30);
    let text = t.backend().to_string();
    assert!(
        text.contains("http://alertmanager.monitoring:9093"),
        "{text}"
    );
    insta::assert_snapshot!("silence_confirm", t.backend());
}

#[test]
fn stale_alert_source_keeps_alerts_and_says_since_when() {
    let mut state = alert_state();
    let scope = state.scope;
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Alertmanager,
        health: SourceHealth::Reconnecting {
            since: alerts_common::ago(75),
            attempt: 3,
            reason: "connection refused".into(),
        },
    });
    let t = draw(&state, 100, 16);
    let text = t.backend().to_string();
    assert!(text.contains("stale since 11:58:45"), "{text}");
    assert!(text.contains("CheckoutDown"), "data kept");
}

#[test]
fn unconfigured_and_connecting_panes_say_so() {
    let mut state = AppState::new("prod-eu-1".into(), None, alerts_common::now());
    state.handle(Action::FocusAlerts);
    let text = draw(&state, 80, 12).backend().to_string();
    assert!(text.contains("no alert source"), "{text}");
    assert!(!text.contains("crit"), "no alert counts without a source");
    state.alerts.settings.enabled = true;
    let text = draw(&state, 80, 12).backend().to_string();
    assert!(text.contains("connecting"), "{text}");
}

#[test]
fn tiny_sizes_do_not_panic() {
    let state = with_signals();
    for w in 1..=40 {
        for h in 1..=12 {
            draw(&state, w, h);
        }
    }
}

#[test]
fn severity_colours_come_from_theme_roles() {
    let state = alert_state();
    let t = draw(&state, 120, 20);
    let theme = Theme::default_theme();
    let text = t.backend().to_string();
    let find = |needle: &str| {
        let line = text.lines().position(|l| l.contains(needle)).unwrap();
        let col = text.lines().nth(line).unwrap().find(needle).unwrap();
        t.backend().buffer()[(col as u16, line as u16)].fg
    };
    use opsdeck::ui::theme::Role;
    assert_eq!(
        Some(find("KubePodCrashLooping")),
        theme.style(Role::Warning).fg
    );
    assert_eq!(Some(find("CertExpiresSoon")), theme.style(Role::Info).fg);
    assert_eq!(Some(find("HighLatency")), theme.style(Role::Muted).fg);
}
