//! The log pane's state: ring buffer, follow/pause, new-lines marker, scrolling, search, filter,
//! toggles (readable JSON), pod events while there are no logs, and the keys that start a tail.

mod common;

use common::logs::{event, line_of, numbered, pod_request, pod_source};
use common::{live_state, now};
use opsdeck::action::{Action, Pane};
use opsdeck::model::event::PodEvents;
use opsdeck::model::log::{LogLine, LogTarget};
use opsdeck::state::logs::LogsState;
use opsdeck::state::{AppState, Effect};
use opsdeck::update::Update;

fn texts(logs: &LogsState) -> Vec<String> {
    (0..logs.view_len())
        .filter_map(|i| logs.view_seq(i).and_then(|s| logs.line(s)))
        .map(|l| l.text.to_string())
        .collect()
}

fn bottom_text(logs: &LogsState) -> String {
    let seq = logs.view_seq(logs.bottom().unwrap()).unwrap();
    logs.line(seq).unwrap().text.to_string()
}

fn tailing(capacity: usize) -> LogsState {
    let mut logs = LogsState::with_capacity(capacity);
    logs.start(pod_request(1));
    logs.set_height(10);
    logs
}

#[test]
fn ring_buffer_keeps_the_newest_lines() {
    let mut logs = tailing(100);
    assert!(logs.apply_lines(1, numbered(250)));
    assert_eq!(logs.len(), 100);
    assert_eq!(texts(&logs)[0], "INFO line 150");
    assert_eq!(bottom_text(&logs), "INFO line 249");
}

#[test]
fn lines_of_another_tail_are_dropped() {
    let mut logs = tailing(100);
    assert!(!logs.apply_lines(7, numbered(3)));
    assert!(logs.is_empty());
}

#[test]
fn pause_keeps_the_screen_and_counts_new_lines_until_g() {
    let mut logs = tailing(1000);
    logs.apply_lines(1, numbered(20));
    assert!(logs.is_following());
    logs.toggle_pause();
    assert!(!logs.is_following());
    logs.apply_lines(1, numbered(5));
    assert_eq!(bottom_text(&logs), "INFO line 19");
    assert_eq!(logs.new_lines(), 5);
    logs.follow();
    assert!(logs.is_following());
    assert_eq!(logs.new_lines(), 0);
    assert_eq!(bottom_text(&logs), "INFO line 4");
}

#[test]
fn scrolling_up_anchors_and_eviction_keeps_the_anchor_valid() {
    let mut logs = tailing(50);
    logs.apply_lines(1, numbered(50));
    logs.scroll(-5);
    assert_eq!(bottom_text(&logs), "INFO line 44");
    assert_eq!(logs.new_lines(), 5);
    logs.scroll(-100);
    assert_eq!(
        bottom_text(&logs),
        "INFO line 9",
        "stops a page from the top"
    );
    logs.apply_lines(1, numbered(45));
    // The anchored line was evicted: the view holds on to the oldest line left.
    assert_eq!(logs.len(), 50);
    assert!(!logs.is_following());
    logs.top();
    // Oldest left: lines 45..49 of the first batch, then 0..44: a page down is "line 4".
    assert_eq!(bottom_text(&logs), "INFO line 4");
}

#[test]
fn search_moves_between_matches_with_n_and_shift_n() {
    let mut logs = tailing(1000);
    logs.apply_lines(1, numbered(100));
    logs.set_search("line 1[0-9]$");
    assert!(logs.next_match(true));
    let seq = logs.current_match.unwrap();
    assert_eq!(&*logs.line(seq).unwrap().text, "INFO line 19");
    assert!(logs.next_match(true));
    assert_eq!(
        &*logs.line(logs.current_match.unwrap()).unwrap().text,
        "INFO line 18"
    );
    assert!(logs.next_match(false));
    assert_eq!(
        &*logs.line(logs.current_match.unwrap()).unwrap().text,
        "INFO line 19"
    );
    assert!(!logs.next_match(false), "no newer match");
    // The match is on screen.
    let bottom = logs.bottom().unwrap();
    let pos = (0..logs.view_len())
        .find(|i| logs.view_seq(*i) == Some(seq))
        .unwrap();
    assert!(pos <= bottom && bottom - pos < logs.page());
}

#[test]
fn search_is_smart_case_and_literal_when_not_a_regex() {
    let mut logs = tailing(100);
    logs.apply_lines(1, numbered(3));
    logs.set_search("info LINE(");
    assert!(logs.search().is_some());
    logs.set_search("info line 2");
    assert!(logs.next_match(true));
    logs.set_search("Info");
    assert!(!logs.next_match(true), "capital letter: case-sensitive");
}

#[test]
fn filter_keeps_only_matching_lines_and_excludes_with_bang() {
    let mut logs = tailing(1000);
    logs.apply_lines(1, numbered(30));
    logs.set_filter("line [12]$");
    assert_eq!(texts(&logs), ["INFO line 1", "INFO line 2"]);
    logs.apply_lines(1, numbered(3));
    assert_eq!(logs.view_len(), 4, "new lines are filtered as they arrive");
    logs.set_filter("!line 1");
    assert_eq!(logs.view_len(), 33 - 11 - 1);
    logs.set_filter("");
    assert_eq!(logs.view_len(), 33);
}

#[test]
fn keys_tail_pods_and_rollouts_and_toggle_the_pane() {
    let mut state: AppState = live_state();
    state.ui.focus = Pane::Pods;
    let effects = state.handle(Action::TailLogs);
    let [Effect::TailLogs(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(matches!(req.target, LogTarget::Pod { .. }));
    assert!(!req.previous);
    assert_eq!(state.ui.focus, Pane::Logs);
    let id = req.id;
    state.apply(Update::LogLines {
        tail: id,
        lines: numbered(3),
    });
    assert_eq!(state.logs.len(), 3);
    state.handle(Action::Pause);
    assert!(!state.logs.is_following());
    state.handle(Action::Bottom);
    assert!(state.logs.is_following());
    state.handle(Action::Wrap);
    state.handle(Action::Timestamps);
    assert!(state.logs.wrap && state.logs.timestamps);
    let effects = state.handle(Action::Previous);
    let [Effect::TailLogs(prev)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(prev.previous && prev.id > id);
    assert!(state.logs.is_empty(), "a new tail starts empty");
    assert!(state.logs.wrap, "toggles stay");
    let _ = now();
}

#[test]
fn rollouts_pane_pause_is_still_rollout_pause() {
    let mut state = live_state();
    state.ui.focus = Pane::Rollouts;
    // No deployments listed: nothing to pause, and above all no log effect.
    let effects = state.handle(Action::Pause);
    assert!(!effects.iter().any(|e| matches!(e, Effect::TailLogs(_))));
    assert!(state.logs.is_following());
}

#[test]
fn readable_json_is_a_view_toggle_that_keeps_the_raw_line() {
    let mut state = live_state();
    state.ui.focus = Pane::Logs;
    state.logs.start(pod_request(1));
    let src = pod_source("checkout-7d9f-abcde");
    let raw = r#"{"level":"error","msg":"boom","password":"hunter2"}"#;
    state.apply(Update::LogLines {
        tail: 1,
        lines: vec![line_of(&src, 1, raw)],
    });
    assert!(!state.logs.readable_json);
    assert!(state.handle(Action::ReadableJson).is_empty());
    assert!(state.logs.readable_json);
    let stored = state.logs.line(0).unwrap().text.to_string();
    assert_eq!(stored, raw, "the buffer keeps the line as it came");
    state.logs.start(pod_request(2));
    assert!(
        state.logs.readable_json,
        "the toggle stays for the next tail"
    );
    state.handle(Action::ReadableJson);
    assert!(!state.logs.readable_json);
}

fn events_of(pod: &str, reasons: &[&str]) -> PodEvents {
    PodEvents {
        pod: pod.into(),
        events: reasons
            .iter()
            .map(|r| event("Warning", r, &format!("{r} happened"), 0, 1))
            .collect(),
    }
}

#[test]
fn events_show_until_the_first_container_line() {
    let mut logs = tailing(100);
    assert!(!logs.shows_events());
    assert!(
        !logs.apply_events(9, vec![events_of("p", &["Failed"])]),
        "another tail"
    );
    assert!(!logs.apply_events(1, vec![events_of("p", &[])]));
    assert!(!logs.shows_events(), "no events: nothing to show instead");
    assert!(logs.apply_events(1, vec![events_of("p", &["Failed"])]));
    assert!(
        !logs.apply_events(1, vec![events_of("p", &["Failed"])]),
        "unchanged"
    );
    assert!(logs.shows_events());
    let src = pod_source("checkout-7d9f-abcde");
    let note = LogLine::note(src, None, "container is waiting to start".into());
    logs.apply_lines(1, vec![note]);
    assert!(logs.shows_events(), "a note is not a log line");
    logs.apply_lines(1, numbered(1));
    assert!(!logs.shows_events(), "logs flow: the pane shows them");
    logs.start(pod_request(2));
    assert!(logs.events.is_empty(), "a new tail forgets the events");
}

/// The tail started by `l` on the pods pane (the selected pod).
fn tail_selected_pod(state: &mut AppState) -> u64 {
    state.ui.focus = Pane::Pods;
    let effects = state.handle(Action::TailLogs);
    let [Effect::TailLogs(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    req.id
}

#[test]
fn lines_of_a_tail_stopped_by_a_rescope_never_reach_the_next_tail() {
    let mut state = live_state();
    let old = tail_selected_pod(&mut state);
    let effects = state.handle(Action::SetNamespace(None));
    assert_eq!(effects, vec![Effect::Rescope]);
    assert_eq!(state.logs.tail_id(), None, "the rescope forgot the tail");
    let scope = state.scope;
    state.apply(Update::PodsListed {
        scope,
        rows: common::cluster_rows(),
    });
    let new = tail_selected_pod(&mut state);
    assert_ne!(new, old, "tail ids never repeat, not even after a rescope");
    // A batch the stopped tailer had already queued arrives after the new tail started.
    assert!(!state.apply(Update::LogLines {
        tail: old,
        lines: numbered(3),
    }));
    assert!(state.logs.is_empty(), "stale lines were dropped");
    assert!(state.apply(Update::LogLines {
        tail: new,
        lines: numbered(2),
    }));
    assert_eq!(state.logs.len(), 2);
}
