//! Snapshots of the log pane: single pod, multi-pod prefixes with revisions, paused marker,
//! search highlights, wrap, and a hostile line rendered harmlessly.

mod common;

use common::live_state;
use common::logs::{deploy_request, deploy_source, line_of, numbered, pod_request, pod_source};
use opsdeck::action::Pane;
use opsdeck::config::keymap::Keymap;
use opsdeck::state::AppState;
use opsdeck::ui::theme::Theme;
use opsdeck::update::Update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme::default_theme();
    let keymap = Keymap::default();
    terminal
        .draw(|f| opsdeck::ui::render(f, state, &theme, &keymap))
        .unwrap();
    terminal
}

fn pod_tail() -> AppState {
    let mut state = live_state();
    state.ui.focus = Pane::Logs;
    state.logs.start(pod_request(1));
    let src = pod_source("checkout-7d9f-abcde");
    let mut lines = numbered(40);
    lines.push(line_of(&src, 41, "ERROR payment declined: card expired"));
    lines.push(line_of(
        &src,
        42,
        r#"{"level":"warn","msg":"slow upstream","latency_ms":1234}"#,
    ));
    state.apply(Update::LogLines { tail: 1, lines });
    state
}

fn deployment_tail() -> AppState {
    let mut state = live_state();
    state.ui.focus = Pane::Logs;
    state.logs.start(deploy_request(1));
    let old = deploy_source("checkout-6c8d7f9b-zt2kq", "6c8d7f9b");
    let new = deploy_source("checkout-7d9f6b5c4-x2x9q", "7d9f6b5c4");
    let mut lines = Vec::new();
    for i in 0..30 {
        let (src, text) = if i % 3 == 0 {
            (&new, format!("ERROR [checkout] GET /api/v1/cart 500 {i}ms"))
        } else {
            (&old, format!("INFO  [checkout] GET /api/v1/cart 200 {i}ms"))
        };
        lines.push(line_of(src, i, &text));
    }
    state.apply(Update::LogLines { tail: 1, lines });
    state.apply(Update::LogRevisions {
        tail: 1,
        revisions: vec![("6c8d7f9b".into(), 7), ("7d9f6b5c4".into(), 8)],
    });
    state.apply(Update::LogStreams {
        tail: 1,
        active: 2,
        waiting: 0,
    });
    state
}

#[test]
fn pod_tail_80x24() {
    insta::assert_snapshot!(draw(&pod_tail(), 80, 24).backend());
}

#[test]
fn deployment_tail_160x45_shows_revision_and_pod_tags() {
    let mut state = deployment_tail();
    state.ui.zoomed = false;
    let t = draw(&state, 160, 45);
    let text = t.backend().to_string();
    assert!(text.contains("r8 x2x9q ERROR"), "{text}");
    assert!(text.contains("r7 zt2kq INFO"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn paused_with_new_lines_and_timestamps() {
    let mut state = pod_tail();
    state.logs.timestamps = true;
    state.logs.toggle_pause();
    state.apply(Update::LogLines {
        tail: 1,
        lines: numbered(7),
    });
    let t = draw(&state, 80, 24);
    let text = t.backend().to_string();
    assert!(
        text.contains("PAUSED") && text.contains("7 new lines"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn search_highlights_are_styled() {
    let mut state = pod_tail();
    state.logs.set_search("declined");
    state.logs.next_match(true);
    let t = draw(&state, 80, 24);
    // Colours matter here: the buffer with styles.
    insta::assert_debug_snapshot!(t.backend().buffer().clone());
}

#[test]
fn wrap_splits_long_lines_into_rows() {
    let mut state = pod_tail();
    state.logs.wrap = true;
    let src = pod_source("checkout-7d9f-abcde");
    let long = format!("INFO payload {}", "0123456789".repeat(20));
    state.apply(Update::LogLines {
        tail: 1,
        lines: vec![line_of(&src, 50, &long)],
    });
    insta::assert_snapshot!(draw(&state, 80, 24).backend());
}

#[test]
fn hostile_line_is_rendered_harmlessly() {
    let mut state = pod_tail();
    let src = pod_source("checkout-7d9f-abcde");
    let hostile = "ERROR \x1b]0;pwned\x07title \x1b]52;c;c2VjcmV0\x07clip \x1b[2J\x1b[10;10Hcursor \x1bP1$q\x1b\\ bell\x07 \u{9b}31m c1";
    state.apply(Update::LogLines {
        tail: 1,
        lines: vec![line_of(&src, 60, hostile)],
    });
    let t = draw(&state, 160, 45);
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character in a cell: {:?}",
            cell.symbol()
        );
    }
    let text = t.backend().to_string();
    assert!(text.contains("␛]0;pwned␇title"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn empty_and_tiny_sizes_do_not_panic() {
    let mut state = live_state();
    state.ui.focus = Pane::Logs;
    insta::assert_snapshot!(draw(&state, 80, 24).backend());
    let state = deployment_tail();
    for w in 1..=40 {
        for h in 1..=12 {
            draw(&state, w, h);
        }
    }
}
