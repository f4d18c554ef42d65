//! Snapshots of the whole screen, drawn from states built by helpers at a fixed time (UTC).

mod common;
mod keys;

use common::draw;
use keys::Press;

use common::{live_state, now};
use opsdeck::action::Action;
use opsdeck::state::AppState;
use opsdeck::update::{SourceHealth, SourceId, Update};

#[test]
fn layout_200x50_shows_all_four_panes() {
    let t = draw(&live_state(), 200, 50);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn layout_160x45_is_the_smallest_grid() {
    let t = draw(&live_state(), 160, 45);
    let text = t.backend().to_string();
    for title in ["Pods", "Rollouts", "Alerts", "Logs"] {
        assert!(text.contains(&format!(" {title} ")), "{title} missing");
    }
}

#[test]
fn layout_120x40_is_tabbed() {
    let t = draw(&live_state(), 120, 40);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn layout_80x24_is_tabbed_and_drops_columns() {
    let t = draw(&live_state(), 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn every_small_size_renders_without_panicking() {
    let state = live_state();
    for w in 1..=40 {
        for h in 1..=12 {
            draw(&state, w, h);
        }
    }
    insta::assert_snapshot!(draw(&state, 20, 5).backend());
}

#[test]
fn help_overlay_lists_the_pane_keys() {
    let mut state = live_state();
    state.handle(Action::Help);
    insta::assert_snapshot!(draw(&state, 80, 30).backend());
}

#[test]
fn stale_source_keeps_data_and_says_since_when() {
    let mut state = live_state();
    let scope = state.scope;
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Pods,
        health: SourceHealth::Reconnecting {
            since: common::ago(75),
            attempt: 3,
            reason: "connection refused".into(),
        },
    });
    let t = draw(&state, 120, 20);
    let text = t.backend().to_string();
    assert!(text.contains("stale since 11:58:45"), "{text}");
    assert!(text.contains("ledger-6c8d7f9b-zt2kq"), "data kept");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn connecting_before_the_first_list() {
    let state = AppState::new("prod-eu-1".into(), Some("payments".into()), now());
    let t = draw(&state, 80, 12);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn confirm_dialog_names_context_namespace_and_object() {
    let mut state = live_state();
    state.readonly = true;
    state.handle(Action::Top);
    state.handle(Action::Restart);
    let t = draw(&state, 100, 30);
    let text = t.backend().to_string();
    for needle in [
        "prod-eu-1",
        "checkout",
        "pricing-5f7b9c-ab12c",
        "read-only",
        "confirm",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn zoom_and_filter_line() {
    let mut state = live_state();
    state.handle(Action::FocusLogs);
    state.handle(Action::FocusPods);
    state.handle(Action::Zoom);
    state.handle(Action::Filter);
    for c in "payments".chars() {
        state.press(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        ));
    }
    insta::assert_snapshot!(draw(&state, 100, 16).backend());
}

#[test]
fn colours_follow_health_roles() {
    use ratatui::style::Color;
    let t = draw(&live_state(), 120, 20);
    let buf = t.backend().buffer();
    let find = |needle: &str| {
        let text = t.backend().to_string();
        let line = text.lines().position(|l| l.contains(needle)).unwrap();
        let col = text.lines().nth(line).unwrap().find(needle).unwrap();
        // `find` is a byte offset; the rows before the name are ASCII.
        buf[(col as u16, line as u16)].fg
    };
    assert_eq!(find("ImagePullBackOff"), Color::LightRed);
    assert_eq!(find("ContainerCreating"), Color::LightBlue);
}
