//! State transitions: given a state and an update or action, the new state and the effects.

mod common;
mod keys;

use common::{live_state, now, row};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keys::Press;
use opsdeck::action::{Action, Pane};
use opsdeck::command::{Command, Target};
use opsdeck::model::pod::Health;
use opsdeck::state::ui::{Input, Level, Overlay};
use opsdeck::state::{AppState, Effect};
use opsdeck::update::{Outcome, SourceHealth, SourceId, Update};

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        state.press(key(c));
    }
}

fn names(state: &AppState) -> Vec<String> {
    state
        .pods
        .window(0, usize::MAX)
        .map(|r| r.name.clone())
        .collect()
}

#[test]
fn unhealthy_pods_sort_first_and_are_counted() {
    let state = live_state();
    let first: Vec<Health> = state.pods.window(0, 4).map(|r| r.health).collect();
    assert_eq!(
        first,
        [
            Health::Failed,
            Health::Failed,
            Health::Failed,
            Health::Warning
        ]
    );
    let c = state.pods.counts();
    assert_eq!((c.running, c.pending, c.failing, c.warning), (27, 1, 3, 1));
    assert_eq!(state.unhealthy_pods(), 4);
}

#[test]
fn applied_and_deleted_pods_update_rows_counts_and_order() {
    let mut state = live_state();
    let scope = state.scope;
    let fixed = row("payments", "ledger-6c8d7f9b-zt2kq", "Running", 1, 1, 7);
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(fixed),
    });
    assert_eq!(state.pods.counts().failing, 2);
    assert_eq!(
        state
            .pods
            .get("payments", "ledger-6c8d7f9b-zt2kq")
            .unwrap()
            .health,
        Health::Ok
    );
    state.apply(Update::PodDeleted {
        scope,
        namespace: "platform".into(),
        name: "search-84f5d-k2j9x".into(),
    });
    assert_eq!(state.pods.counts().failing, 1);
    assert_eq!(state.pods.total_len(), 31);
    let listed = names(&state);
    assert!(!listed.contains(&"search-84f5d-k2j9x".to_string()));
    assert_eq!(listed[0], "pricing-5f7b9c-ab12c");
}

#[test]
fn selection_follows_the_pod_when_rows_move() {
    let mut state = live_state();
    state.handle(Action::Bottom);
    let chosen = state.pods.selected_row().unwrap().name.clone();
    let scope = state.scope;
    // A pod sorted before it appears; the cursor stays on the same pod.
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(row("aaa", "broken-1", "Error", 0, 1, 1)),
    });
    assert_eq!(state.pods.selected_row().unwrap().name, chosen);
}

#[test]
fn updates_from_an_old_scope_are_dropped() {
    let mut state = live_state();
    let old = state.scope;
    let effects = state.handle(Action::SetNamespace(Some("payments".into())));
    assert_eq!(effects, vec![Effect::Rescope]);
    assert_eq!(state.namespace.as_deref(), Some("payments"));
    assert!(!state.pods.listed);
    let changed = state.apply(Update::PodApplied {
        scope: old,
        row: Box::new(row("checkout", "late", "Running", 1, 1, 0)),
    });
    assert!(!changed);
    assert_eq!(state.pods.total_len(), 0);
}

#[test]
fn focus_cycles_and_number_keys_jump() {
    let mut state = live_state();
    state.handle(Action::FocusPrev);
    assert_eq!(state.ui.focus, Pane::Logs);
    state.handle(Action::FocusNext);
    assert_eq!(state.ui.focus, Pane::Pods);
    state.handle(Action::FocusAlerts);
    assert_eq!(state.ui.focus, Pane::Alerts);
    state.handle(Action::Zoom);
    assert!(state.ui.zoomed);
    state.handle(Action::Back);
    assert!(!state.ui.zoomed);
}

#[test]
fn filter_applies_as_typed_and_esc_restores() {
    let mut state = live_state();
    state.handle(Action::Filter);
    type_text(&mut state, "ledger");
    assert_eq!(state.pods.visible_len(), 4);
    state.press(code(KeyCode::Enter));
    assert_eq!(state.ui.input, Input::None);
    assert_eq!(state.pods.filter(), "ledger");
    // Edit again and cancel: the accepted filter comes back.
    state.handle(Action::Filter);
    type_text(&mut state, "xyz");
    assert_eq!(state.pods.visible_len(), 0);
    state.press(code(KeyCode::Esc));
    assert_eq!(state.pods.filter(), "ledger");
    // Negation and status matching.
    state.pods.set_filter("!running");
    assert!(names(&state).iter().all(|n| !n.contains("7d9f6b5c4-0")));
    state.pods.set_filter("crashloop");
    assert_eq!(names(&state), ["ledger-6c8d7f9b-zt2kq"]);
}

#[test]
fn restart_asks_for_confirmation_and_runs_exactly_the_shown_command() {
    let mut state = live_state();
    state.handle(Action::Top);
    let effects = state.handle(Action::Restart);
    assert!(effects.is_empty(), "nothing runs before confirmation");
    let expected = Command::DeletePod {
        target: Target {
            context: "prod-eu-1".into(),
            namespace: "checkout".into(),
            name: "pricing-5f7b9c-ab12c".into(),
        },
    };
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("no dialog: {:?}", state.ui.overlay)
    };
    assert_eq!(dialog.command, expected);
    // Keys other than y/n do nothing while the dialog is open.
    assert!(state.handle(Action::Down).is_empty());
    let effects = state.handle(Action::Confirm);
    let [Effect::Run(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(req.command, expected);
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn cancel_drops_the_command() {
    let mut state = live_state();
    state.handle(Action::Restart);
    assert!(state.handle(Action::Cancel).is_empty());
    assert_eq!(state.ui.overlay, Overlay::None);
    assert_eq!(state.ui.status.as_ref().unwrap().text, "cancelled");
}

#[test]
fn command_outcome_shows_in_the_status_line() {
    let mut state = live_state();
    state.apply(Update::CommandFinished {
        id: 1,
        outcome: Outcome::Refused("read-only mode: refused".into()),
    });
    let status = state.ui.status.clone().unwrap();
    assert_eq!(status.level, Level::Error);
    assert!(status.text.contains("read-only"));
}

#[test]
fn command_line_changes_namespace_and_reports_errors() {
    let mut state = live_state();
    state.handle(Action::CommandLine);
    type_text(&mut state, "ns all");
    let effects = state.press(code(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::Rescope]);
    assert_eq!(state.namespace, None);
    state.handle(Action::CommandLine);
    type_text(&mut state, "bogus");
    assert!(state.press(code(KeyCode::Enter)).is_empty());
    assert!(
        state
            .ui
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command")
    );
}

#[test]
fn unknown_context_is_refused_with_the_known_ones() {
    let mut state = live_state();
    state.contexts = vec!["prod-eu-1".into(), "staging".into()];
    let effects = state.handle(Action::SetContext("prdo".into()));
    assert!(!effects.contains(&Effect::Rescope), "{effects:?}");
    assert!(state.ui.status.as_ref().unwrap().text.contains("staging"));
    assert_eq!(
        state.handle(Action::SetContext("staging".into())),
        vec![Effect::Rescope]
    );
    assert_eq!(state.context, "staging");
}

#[test]
fn open_requests_the_detail_and_accepts_only_the_matching_pod() {
    let mut state = live_state();
    let effects = state.handle(Action::Open);
    let loads = effects.iter().filter(
        |e| matches!(e, Effect::Run(req) if matches!(req.command, Command::LoadPodDetail { .. })),
    );
    assert_eq!(loads.count(), 1, "{effects:?}");
    assert!(matches!(
        state.ui.overlay,
        Overlay::PodDetail { detail: None, .. }
    ));
    state.handle(Action::Back);
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn source_health_changes_are_visible_once() {
    let mut state = live_state();
    let scope = state.scope;
    let down = SourceHealth::Reconnecting {
        since: now(),
        attempt: 1,
        reason: "connection refused".into(),
    };
    let update = Update::SourceHealth {
        scope,
        source: SourceId::Pods,
        health: down,
    };
    assert!(state.apply(update.clone()));
    assert!(!state.apply(update), "same health again is not a change");
    assert_eq!(state.pods.total_len(), 32, "data kept while stale");
}

/// Incremental updates must leave exactly the state a fresh sort of the same rows gives.
#[test]
fn incremental_view_and_counts_match_a_full_recount() {
    let statuses = [
        ("Running", 1),
        ("Running", 0),
        ("CrashLoopBackOff", 0),
        ("Pending", 0),
        ("Terminating", 1),
        ("Completed", 0),
        ("ImagePullBackOff", 0),
    ];
    let mut state = live_state();
    let scope = state.scope;
    let mut seed: u64 = 7;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for step in 0..5000 {
        let ns = ["a", "b", "payments"][next() % 3];
        let name = format!("pod-{}", next() % 40);
        if next() % 5 == 0 {
            state.apply(Update::PodDeleted {
                scope,
                namespace: ns.into(),
                name,
            });
        } else {
            let (status, ready) = statuses[next() % statuses.len()];
            state.apply(Update::PodApplied {
                scope,
                row: Box::new(row(ns, &name, status, ready, 1, 0)),
            });
        }
        if step % 97 == 0 {
            state.pods.set_filter(["", "pod-1", "!running"][next() % 3]);
        }
    }
    state.pods.set_filter("");
    let shown: Vec<(Health, String, String)> = state
        .pods
        .window(0, usize::MAX)
        .map(|r| (r.health, r.namespace.clone(), r.name.clone()))
        .collect();
    let mut expected = shown.clone();
    expected.sort();
    assert_eq!(shown, expected, "view out of order");
    assert_eq!(shown.len(), state.pods.total_len(), "view and rows differ");
    let failing = shown.iter().filter(|(h, ..)| *h == Health::Failed).count();
    assert_eq!(state.pods.counts().failing, failing);
    assert_eq!(state.pods.counts().total(), shown.len());
}

#[test]
fn cursor_at_the_top_stays_there_while_rows_move() {
    let mut state = live_state();
    let top = state.pods.selected_row().unwrap().name.clone();
    let scope = state.scope;
    // The first pod recovers and sorts down; the cursor stays on the (new) first row.
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(row("checkout", &top, "Running", 1, 1, 3)),
    });
    assert_eq!(state.pods.selected_index(), 0);
    assert_ne!(state.pods.selected_row().unwrap().name, top);
    // Once the user moved, the cursor follows its pod instead.
    state.handle(Action::Down);
    let chosen = state.pods.selected_row().unwrap().name.clone();
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(row("aaa", "new-failure", "Error", 0, 1, 1)),
    });
    assert_eq!(state.pods.selected_row().unwrap().name, chosen);
}

#[test]
fn pod_restart_is_refused_up_front_when_rbac_says_no() {
    use opsdeck::model::access::{Access, AccessCheck};
    let mut state = live_state();
    // Any key on the pods pane asks the API once whether pods may be deleted there.
    let effects = state.handle(Action::Top);
    let [Effect::Run(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let Command::ReviewAccess { check, .. } = &req.command else {
        panic!("{req:?}")
    };
    assert_eq!(
        check,
        &AccessCheck::core("prod-eu-1", "checkout", "delete", "pods")
    );
    // Asked once per context and namespace.
    assert!(state.handle(Action::Top).is_empty());
    state.apply(Update::AccessReviewed {
        check: check.clone(),
        access: Access::Denied("read-only user".into()),
    });
    assert!(state.is_denied(&Action::Restart));
    assert!(state.handle(Action::Restart).is_empty());
    assert_eq!(
        state.ui.overlay,
        Overlay::None,
        "no dialog for a forbidden action"
    );
    let status = state.ui.status.clone().unwrap();
    assert!(
        status
            .text
            .contains("forbidden: you may not delete pods in checkout"),
        "{status:?}"
    );
}
