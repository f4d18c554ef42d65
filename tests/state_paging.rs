//! Paging in every list, with the page size the layout gives (not the last frame): pods,
//! rollouts, alerts, the revision history, the log pane and the detail views. The window the
//! state keeps is the one drawn; the cursor follows its row through re-sorts; a new viewport
//! (zoom, resize) moves the window.

mod alerts_common;
mod common;

use common::logs::{event, numbered, pod_request};
use common::rollouts::{infos, rollout_state, select};
use common::{ago, draw, live_state, row};
use k8s_openapi::api::core::v1::Pod;
use opsdeck::action::Action;
use opsdeck::config::keymap::Keymap;
use opsdeck::model::alert::AlertState;
use opsdeck::model::event::DescribedPod;
use opsdeck::model::pod::PodDetail;
use opsdeck::model::rollout::{RolloutChange, WorkloadKind};
use opsdeck::state::AppState;
use opsdeck::state::rollouts::RolloutCounts;
use opsdeck::state::ui::Overlay;
use opsdeck::ui::layout::viewports;
use opsdeck::ui::theme::Theme;
use opsdeck::update::Update;
use ratatui::layout::Rect;

/// Tell the state the layout of a `width` x `height` screen, as the app does.
fn lay_out(state: &mut AppState, width: u16, height: u16) {
    let theme = Theme::default_theme();
    let keymap = Keymap::default();
    let v = viewports(state, &theme, &keymap, Rect::new(0, 0, width, height));
    state.set_viewports(v);
}

/// The screen as lines of text.
fn screen(state: &AppState, width: u16, height: u16) -> Vec<String> {
    let terminal = draw(state, width, height);
    let buf = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// The `rows` lines under the first line containing `header` (a table's header row).
fn table(screen: &[String], header: &str, rows: usize) -> Vec<String> {
    let at = screen
        .iter()
        .position(|l| l.contains(header))
        .unwrap_or_else(|| panic!("no {header:?} on\n{}", screen.join("\n")));
    screen[at + 1..at + 1 + rows].to_vec()
}

/// The pods table on an 80x24 screen shows the rows of the pods list's window, the cursor
/// row among them.
fn assert_pods_window_drawn(state: &AppState) {
    let list = state.pods.list();
    let shown = table(&screen(state, 80, 24), "READY", list.height());
    let names: Vec<String> = state
        .pods
        .window(list.offset(), list.height())
        .map(|r| r.name.clone())
        .collect();
    for (line, name) in shown.iter().zip(&names) {
        assert!(line.contains(name.as_str()), "{name:?} not on {line:?}");
    }
    let cursor = state.pods.selected_index() - list.offset();
    let selected = &state.pods.selected_row().unwrap().name;
    assert!(shown[cursor].contains(selected.as_str()));
}

#[test]
fn pods_page_by_the_rows_on_screen() {
    let mut state = live_state();
    lay_out(&mut state, 80, 24);
    // 24 rows: header, tabs, border, summary, table header … border, status, footer.
    let page = state.pods.list().height();
    assert_eq!(page, 16);
    assert_eq!(state.pods.visible_len(), 32);
    state.handle(Action::PageDown);
    assert_eq!(state.pods.selected_index(), 16);
    assert_eq!(state.pods.list().offset(), 1);
    assert_pods_window_drawn(&state);
    state.handle(Action::PageDown);
    assert_eq!(state.pods.selected_index(), 31, "clamped at the last pod");
    assert_eq!(state.pods.list().offset(), 16);
    assert_pods_window_drawn(&state);
    state.handle(Action::PageUp);
    assert_eq!(state.pods.selected_index(), 15);
    assert_eq!(state.pods.list().offset(), 15);
    assert_pods_window_drawn(&state);
    state.handle(Action::PageUp);
    assert_eq!(state.pods.selected_index(), 0);
    assert_pods_window_drawn(&state);
}

#[test]
fn a_new_viewport_moves_the_window_and_the_page() {
    let mut state = live_state();
    lay_out(&mut state, 80, 24);
    state.handle(Action::Bottom);
    assert_eq!(state.pods.list().offset(), 16);
    // Zoomed: no tab bar, one more row; the page grows with it.
    state.handle(Action::Zoom);
    lay_out(&mut state, 80, 24);
    assert_eq!(state.pods.list().height(), 17);
    assert_eq!(state.pods.list().offset(), 15);
    state.handle(Action::PageUp);
    assert_eq!(state.pods.selected_index(), 14);
    assert_pods_window_drawn(&state);
    // A large screen: everything fits, the window starts at the top.
    state.handle(Action::Zoom);
    lay_out(&mut state, 200, 80);
    assert!(state.pods.list().height() >= 32);
    assert_eq!(state.pods.list().offset(), 0);
    // A tiny one: one row, the cursor row.
    lay_out(&mut state, 40, 8);
    let list = state.pods.list();
    assert_eq!((list.height(), list.offset()), (1, 14));
}

#[test]
fn the_pod_cursor_follows_its_pod_when_its_health_moves_it() {
    let mut state = live_state();
    lay_out(&mut state, 80, 24);
    state.handle(Action::Bottom);
    let chosen = state.pods.selected_row().unwrap().clone();
    assert_eq!(state.pods.selected_index(), 31);
    // It starts crash-looping: it sorts among the failing pods at the top now.
    let scope = state.scope;
    let broken = row(&chosen.namespace, &chosen.name, "CrashLoopBackOff", 0, 1, 4);
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(broken),
    });
    let selected = state.pods.selected_row().unwrap();
    assert_eq!(selected.name, chosen.name);
    assert_eq!(selected.status, "CrashLoopBackOff");
    assert!(state.pods.selected_index() < 4, "among the failing pods");
    assert_eq!(state.pods.list().offset(), state.pods.selected_index());
    assert_pods_window_drawn(&state);
    // Untouched by the user, the cursor stays on the first row instead.
    let mut state = live_state();
    let last = state.pods.window(31, 1).next().unwrap().clone();
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(row(&last.namespace, &last.name, "Error", 0, 1, 0)),
    });
    assert_eq!(state.pods.selected_index(), 0);
}

#[test]
fn the_pod_filter_with_bang_excludes_and_keeps_paging() {
    let mut state = live_state();
    state.pods.set_filter("!Running");
    let names: Vec<String> = state
        .pods
        .window(0, usize::MAX)
        .map(|r| r.status.clone())
        .collect();
    assert_eq!(
        names,
        [
            "OOMKilled",
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ContainerCreating"
        ]
    );
    lay_out(&mut state, 80, 24);
    state.handle(Action::PageDown);
    assert_eq!(state.pods.selected_index(), 3);
}

/// `rollout_state()` plus `n` Deployments changed 1..n minutes ago (`svc-01` newest).
fn many_rollouts(n: usize) -> AppState {
    let mut state = rollout_state();
    let (deployments, _) = infos();
    let scope = state.scope;
    for i in 1..=n {
        let mut d = deployments[0].clone();
        d.name = format!("svc-{i:02}");
        d.uid = format!("uid-svc-{i:02}");
        d.created = Some(ago(60 * i as i64));
        state.apply(Update::RolloutsChanged {
            scope,
            change: RolloutChange::Applied(Box::new(d)),
        });
    }
    state
}

/// Move the cursor down from the top until it is on `name`.
fn select_rollout(state: &mut AppState, name: &str) {
    state.handle(Action::Top);
    for _ in 0..state.rollouts.len() {
        if state.rollouts.selected_row().unwrap().name == name {
            return;
        }
        state.handle(Action::Down);
    }
    panic!("{name} not found");
}

/// The rollouts table on an 80x24 screen shows the rows of the list's window.
fn assert_rollouts_window_drawn(state: &AppState) {
    let list = state.rollouts.list();
    let shown = table(&screen(state, 80, 24), "STATE", list.height());
    let rows = state.rollouts.window(list.offset(), list.height());
    for (line, r) in shown.iter().zip(rows) {
        assert!(
            line.contains(r.name.as_str()),
            "{:?} not on {line:?}",
            r.name
        );
    }
    let cursor = state.rollouts.selected_index() - list.offset();
    let selected = &state.rollouts.selected_row().unwrap().name;
    assert!(shown[cursor].contains(selected.as_str()));
}

#[test]
fn rollouts_page_by_the_rows_on_screen_and_follow_a_re_sorted_rollout() {
    let mut state = many_rollouts(30);
    lay_out(&mut state, 80, 24);
    let page = state.rollouts.list().height();
    assert_eq!(page, 16);
    state.handle(Action::PageDown);
    assert_eq!(state.rollouts.selected_index(), 16);
    assert_rollouts_window_drawn(&state);
    state.handle(Action::PageDown);
    state.handle(Action::PageDown);
    let last = state.rollouts.len() - 1;
    assert_eq!(state.rollouts.selected_index(), last);
    assert_rollouts_window_drawn(&state);
    state.handle(Action::PageUp);
    assert_eq!(state.rollouts.selected_index(), last - page);
    // svc-20 is the selection; it rolls out again: newest change, first row, still selected.
    select_rollout(&mut state, "svc-20");
    assert!(state.rollouts.selected_index() > 0);
    let mut d = infos().0[0].clone();
    d.name = "svc-20".into();
    d.uid = "uid-svc-20".into();
    d.created = Some(common::now());
    let scope = state.scope;
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::Applied(Box::new(d)),
    });
    assert_eq!(state.rollouts.selected_row().unwrap().name, "svc-20");
    assert_eq!(state.rollouts.selected_index(), 0);
    assert_eq!(state.rollouts.list().offset(), 0);
    assert_rollouts_window_drawn(&state);
}

fn total(c: &RolloutCounts) -> usize {
    c.progressing + c.complete + c.stalled + c.paused + c.scaled_to_zero
}

#[test]
fn rollout_counts_follow_changes() {
    let mut state = many_rollouts(3);
    let n = state.rollouts.len();
    assert_eq!(total(&state.rollouts.counts()), n);
    let scope = state.scope;
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::Deleted {
            kind: WorkloadKind::Deployment,
            namespace: infos().0[0].namespace.clone(),
            name: "svc-02".into(),
        },
    });
    assert_eq!(state.rollouts.len(), n - 1);
    assert_eq!(total(&state.rollouts.counts()), n - 1);
}

#[test]
fn history_pages_by_its_rows_and_follows_its_revision() {
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Open);
    lay_out(&mut state, 120, 30);
    let Overlay::RolloutHistory(h) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    let revisions = h.list.len();
    assert_eq!(revisions, 3);
    assert!(h.list.height() >= revisions, "every revision fits");
    // A page, not one row.
    state.handle(Action::PageDown);
    let Overlay::RolloutHistory(h) = &state.ui.overlay else {
        panic!()
    };
    assert_eq!(h.list.cursor(), 2);
    let oldest = h.selected();
    state.handle(Action::PageUp);
    state.handle(Action::Bottom);
    let Overlay::RolloutHistory(h) = &state.ui.overlay else {
        panic!()
    };
    assert_eq!(h.selected(), oldest);
    let text = screen(&state, 120, 30).join("\n");
    let marked = text
        .lines()
        .find(|l| l.contains('▶'))
        .expect("a marked revision");
    assert!(
        marked.contains(&format!("▶{}", oldest.unwrap())),
        "{marked}"
    );
}

#[test]
fn alerts_page_by_the_rows_on_screen() {
    let mut state = alerts_common::alert_state();
    let mut rows = alerts_common::incident();
    for i in 0..40 {
        rows.push(alerts_common::alert(
            &format!("Extra{i:02}"),
            "info",
            AlertState::Firing,
            &[],
            600 + i,
        ));
    }
    let scope = state.scope;
    state.apply(Update::AlertsFetched {
        scope,
        source: alerts_common::AM.into(),
        alerts: rows,
    });
    lay_out(&mut state, 80, 24);
    let page = state.alerts.list().height();
    assert_eq!(page, 16);
    state.handle(Action::PageDown);
    assert_eq!(state.alerts.selected_index(), 16);
    let selected = state.alerts.selected().unwrap().row.name.clone();
    let shown = table(&screen(&state, 80, 24), "SEVERITY", page);
    assert!(
        shown[15].contains(&selected),
        "{selected} not last: {shown:?}"
    );
    state.handle(Action::PageDown);
    state.handle(Action::PageDown);
    assert_eq!(state.alerts.selected_index(), 44);
    state.handle(Action::PageUp);
    assert_eq!(state.alerts.selected_index(), 44 - 16);
    // The filter with `!` excludes.
    state.alerts.set_filter("!extra", common::now());
    assert_eq!(state.alerts.visible_len(), 5);
}

/// A pod tail of `n` numbered lines, the log pane focused.
fn tail(n: usize) -> AppState {
    let mut state = live_state();
    state.logs.start(pod_request(1));
    state.apply(Update::LogLines {
        tail: 1,
        lines: numbered(n),
    });
    state.handle(Action::FocusLogs);
    state
}

/// The text of the bottom log line on an 80x24 screen (above the marker, if any).
fn bottom_line(state: &AppState) -> String {
    let s = screen(state, 80, 24);
    let marker = usize::from(state.logs.new_lines() > 0);
    // Header at row 0, tabs at 1, the pane from 2 (border) to 21 (border): lines end at 20.
    s[20 - marker]
        .trim_end()
        .trim_end_matches('│')
        .trim_end()
        .to_string()
}

#[test]
fn logs_page_by_the_rows_on_screen() {
    let mut state = tail(100);
    lay_out(&mut state, 80, 24);
    assert_eq!(state.logs.page(), 18);
    state.handle(Action::PageUp);
    assert!(!state.logs.is_following());
    assert_eq!(state.logs.bottom(), Some(81));
    // Paused with lines below: the marker takes a row, the page shrinks with it.
    lay_out(&mut state, 80, 24);
    assert_eq!(state.logs.page(), 17);
    assert!(
        bottom_line(&state).ends_with("INFO line 81"),
        "{}",
        bottom_line(&state)
    );
    state.handle(Action::PageUp);
    assert_eq!(state.logs.bottom(), Some(64));
    assert!(bottom_line(&state).ends_with("INFO line 64"));
    state.handle(Action::Top);
    assert_eq!(state.logs.bottom(), Some(16), "a full page from the top");
    state.handle(Action::PageDown);
    assert_eq!(state.logs.bottom(), Some(33));
    state.handle(Action::Bottom);
    assert!(state.logs.is_following());
    lay_out(&mut state, 80, 24);
    assert!(bottom_line(&state).ends_with("INFO line 99"));
}

/// A pod detail with `events` events, loaded for the selected pod.
fn pod_detail(state: &mut AppState, events: usize) {
    state.handle(Action::Open);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pods/crashloop.json"
    );
    let pod: Pod = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut pod = PodDetail::from_pod(&pod);
    let Overlay::PodDetail { target, .. } = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    pod.row.namespace = target.namespace.clone();
    pod.row.name = target.name.clone();
    let events = (0..events)
        .map(|i| event("Warning", "BackOff", &format!("event number {i}"), 60, 1))
        .collect();
    state.apply(Update::PodDetailLoaded(Box::new(DescribedPod {
        pod,
        events,
        events_error: None,
    })));
}

fn text_scroll(state: &AppState) -> (usize, usize, usize) {
    match &state.ui.overlay {
        Overlay::PodDetail { scroll, .. } | Overlay::AlertDetail { scroll, .. } => {
            (scroll.cursor(), scroll.height(), scroll.len())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pod_detail_pages_by_its_height_and_stops_at_the_last_page() {
    let mut state = live_state();
    pod_detail(&mut state, 40);
    lay_out(&mut state, 80, 24);
    let (at, height, len) = text_scroll(&state);
    assert_eq!(at, 0);
    assert_eq!(height, 19, "the body less the overlay's border");
    assert!(len > 40, "{len}");
    state.handle(Action::PageDown);
    assert_eq!(text_scroll(&state).0, height);
    state.handle(Action::Bottom);
    assert_eq!(text_scroll(&state).0, len - height);
    let text = screen(&state, 80, 24).join("\n");
    assert!(text.contains("event number 39"), "the last line on screen");
    assert!(!text.contains("event number 19"));
    state.handle(Action::PageUp);
    assert_eq!(text_scroll(&state).0, len - 2 * height);
    state.handle(Action::Top);
    assert_eq!(text_scroll(&state).0, 0);
    state.handle(Action::Up);
    assert_eq!(text_scroll(&state).0, 0);
}

#[test]
fn alert_detail_pages_by_its_height() {
    let mut state = alerts_common::alert_state();
    state.handle(Action::Open);
    lay_out(&mut state, 80, 12);
    let (_, height, len) = text_scroll(&state);
    assert_eq!(height, 7);
    assert!(len > 2 * height, "{len}");
    state.handle(Action::PageDown);
    assert_eq!(text_scroll(&state).0, height);
    state.handle(Action::PageDown);
    state.handle(Action::PageDown);
    assert_eq!(text_scroll(&state).0, len - height, "the last page");
    state.handle(Action::PageUp);
    assert_eq!(text_scroll(&state).0, len - 2 * height);
    assert_eq!(state.alerts.selected_index(), 0, "the list did not move");
}
