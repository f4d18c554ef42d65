//! Rollouts pane transitions: ordering, movement, history, and the confirm flow of every
//! action with the exact command it builds; RBAC answers refusing actions up front.

mod common;

use common::rollouts::{actions, commands, rollout_state, select};
use opsdeck::action::{Action, Pane};
use opsdeck::command::{Command, Target, Undo};
use opsdeck::model::access::{Access, AccessCheck};
use opsdeck::model::rollout::{RevisionSource, RolloutChange, UndoPreview, WorkloadKind};
use opsdeck::state::ui::{Level, Overlay, Preview};
use opsdeck::state::{AppState, Effect};
use opsdeck::update::Update;

fn names(state: &AppState) -> Vec<String> {
    state
        .rollouts
        .window(0, usize::MAX)
        .map(|r| r.name.clone())
        .collect()
}

fn target(ns: &str, name: &str) -> Target {
    Target {
        context: "prod-eu-1".into(),
        namespace: ns.into(),
        name: name.into(),
    }
}

fn dialog_command(state: &AppState) -> Command {
    match &state.ui.overlay {
        Overlay::Confirm(d) => d.command.clone(),
        other => panic!("no dialog: {other:?}"),
    }
}

fn status(state: &AppState) -> (String, Level) {
    let s = state.ui.status.clone().expect("a status");
    (s.text, s.level)
}

/// `y` runs exactly the command the dialog shows.
fn confirm_runs(state: &mut AppState, expected: &Command) {
    assert_eq!(&dialog_command(state), expected);
    let effects = state.handle(Action::Confirm);
    assert_eq!(commands(&effects), std::slice::from_ref(expected));
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn rows_are_ordered_by_most_recent_change() {
    let state = rollout_state();
    assert_eq!(
        names(&state),
        ["web", "payments", "cart", "api", "worker", "batch"]
    );
}

#[test]
fn movement_keys_move_the_rollouts_selection_not_the_pods() {
    let mut state = rollout_state();
    let pod = state.pods.selected_index();
    state.handle(Action::Down);
    state.handle(Action::Down);
    assert_eq!(state.rollouts.selected_row().unwrap().name, "cart");
    state.handle(Action::Bottom);
    assert_eq!(state.rollouts.selected_row().unwrap().name, "batch");
    state.handle(Action::Up);
    assert_eq!(state.rollouts.selected_row().unwrap().name, "worker");
    state.handle(Action::Top);
    assert_eq!(state.rollouts.selected_index(), 0);
    assert_eq!(state.pods.selected_index(), pod);
}

#[test]
fn selection_follows_the_deployment_when_rows_reorder() {
    let mut state = rollout_state();
    select(&mut state, "api");
    let scope = state.scope;
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::Deleted {
            kind: WorkloadKind::Deployment,
            namespace: "shop".into(),
            name: "web".into(),
        },
    });
    assert_eq!(
        names(&state),
        ["payments", "cart", "api", "worker", "batch"]
    );
    assert_eq!(state.rollouts.selected_row().unwrap().name, "api");
}

#[test]
fn access_is_reviewed_once_per_namespace() {
    let mut state = AppState::new("prod-eu-1".into(), None, common::now());
    let scope = state.scope;
    let (deployments, replica_sets) = common::rollouts::infos();
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionsListed(RevisionSource::ReplicaSet, replica_sets),
    });
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::Listed(WorkloadKind::Deployment, deployments),
    });
    let effects = state.handle(Action::FocusRollouts);
    let checks: Vec<String> = commands(&effects)
        .iter()
        .map(|c| match c {
            Command::ReviewAccess { check, .. } => check.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        checks,
        [
            "patch deployments in shop",
            "patch deployments/scale in shop"
        ]
    );
    // web (shop) → payments (pay): a new namespace; → cart (shop): cached.
    assert_eq!(commands(&state.handle(Action::Down)).len(), 2);
    assert!(commands(&state.handle(Action::Down)).is_empty(), "cached");
    assert!(commands(&state.handle(Action::Top)).is_empty(), "cached");
}

#[test]
fn enter_opens_the_history_and_keys_choose_a_revision() {
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Open);
    let Overlay::RolloutHistory(view) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert_eq!((view.key.name.as_str(), view.list.cursor()), ("api", 0));
    state.handle(Action::Down);
    state.handle(Action::Down);
    state.handle(Action::Down);
    let Overlay::RolloutHistory(view) = &state.ui.overlay else {
        panic!()
    };
    assert_eq!(view.list.cursor(), 2, "clamped at the oldest revision");
    assert_eq!(state.rollouts.selected_row().unwrap().name, "api");
    state.handle(Action::Back);
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn restart_is_a_rollout_restart_with_the_time_shown() {
    let mut state = rollout_state();
    select(&mut state, "api");
    let effects = state.handle(Action::Restart);
    assert!(actions(&effects).is_empty(), "nothing runs before y");
    let expected = Command::RestartRollout {
        kind: WorkloadKind::Deployment,
        target: target("shop", "api"),
        restarted_at: "2026-11-23T12:00:00Z".into(),
    };
    confirm_runs(&mut state, &expected);
}

#[test]
fn undo_goes_to_the_previous_revision_with_preview_diff_and_warning() {
    let mut state = rollout_state();
    select(&mut state, "api");
    let effects = state.handle(Action::UndoRollout);
    let undo = Undo {
        kind: WorkloadKind::Deployment,
        to_revision: 2,
        from_revision: 3,
        resource_version: "48213".into(),
        generation: 4,
    };
    let expected = Command::UndoRollout {
        target: target("shop", "api"),
        undo: undo.clone(),
    };
    // The dry run goes out at once; the undo itself waits for y.
    assert_eq!(
        actions(&effects),
        [Command::PreviewUndo {
            target: target("shop", "api"),
            undo: undo.clone(),
        }]
    );
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!()
    };
    assert_eq!(dialog.detail.diff.len(), 6);
    assert!(
        dialog
            .detail
            .warning
            .as_ref()
            .unwrap()
            .contains("kubectl apply")
    );
    assert_eq!(dialog.detail.preview, Preview::Pending);
    // A preview for another undo is ignored; the matching one is shown.
    let mut other = undo.clone();
    other.to_revision = 1;
    let stale = Update::UndoPreviewed {
        target: target("shop", "api"),
        undo: other,
        preview: UndoPreview::Accepted(vec![]),
    };
    assert!(!state.apply(stale));
    assert!(state.apply(Update::UndoPreviewed {
        target: target("shop", "api"),
        undo,
        preview: UndoPreview::Accepted(vec![]),
    }));
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!()
    };
    assert_eq!(
        dialog.detail.preview,
        Preview::Done(UndoPreview::Accepted(vec![]))
    );
    confirm_runs(&mut state, &expected);
}

#[test]
fn undo_in_the_history_goes_to_the_chosen_revision() {
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Open);
    state.handle(Action::Bottom);
    state.handle(Action::UndoRollout);
    match dialog_command(&state) {
        Command::UndoRollout { undo, .. } => assert_eq!(undo.to_revision, 1),
        other => panic!("{other:?}"),
    }
    assert!(state.handle(Action::Cancel).is_empty());
    assert_eq!(state.ui.overlay, Overlay::None);
}

#[test]
fn undo_to_the_current_template_is_skipped_like_kubectl() {
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Open);
    let effects = state.handle(Action::UndoRollout);
    assert!(actions(&effects).is_empty());
    assert_eq!(
        status(&state),
        (
            "deployment/api: skipped rollback (current template already matches revision 3)".into(),
            Level::Ok
        )
    );
}

#[test]
fn undo_of_a_paused_deployment_offers_resume() {
    let mut state = rollout_state();
    select(&mut state, "worker");
    let effects = state.handle(Action::UndoRollout);
    assert!(actions(&effects).is_empty());
    assert!(
        status(&state)
            .0
            .contains("cannot roll back a paused deployment")
    );
    let expected = Command::SetRolloutPaused {
        target: target("jobs", "worker"),
        paused: false,
    };
    confirm_runs(&mut state, &expected);
}

#[test]
fn restart_of_a_paused_deployment_offers_resume() {
    let mut state = rollout_state();
    select(&mut state, "worker");
    assert!(actions(&state.handle(Action::Restart)).is_empty());
    assert!(
        status(&state)
            .0
            .contains("can't restart paused deployment worker")
    );
    let expected = Command::SetRolloutPaused {
        target: target("jobs", "worker"),
        paused: false,
    };
    confirm_runs(&mut state, &expected);
}

#[test]
fn undo_mid_rollout_targets_the_old_revision_that_still_has_replicas() {
    let mut state = rollout_state();
    select(&mut state, "web");
    state.handle(Action::UndoRollout);
    match dialog_command(&state) {
        Command::UndoRollout { undo, .. } => {
            assert_eq!((undo.from_revision, undo.to_revision), (7, 6));
            assert_eq!(
                (undo.resource_version.as_str(), undo.generation),
                ("51007", 9)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn scale_pause_and_resume_build_exact_commands() {
    let mut state = rollout_state();
    select(&mut state, "web");
    state.handle(Action::ScaleUp);
    let up = Command::ScaleWorkload {
        kind: WorkloadKind::Deployment,
        target: target("shop", "web"),
        from: 4,
        to: 5,
    };
    confirm_runs(&mut state, &up);
    state.handle(Action::ScaleDown);
    let down = Command::ScaleWorkload {
        kind: WorkloadKind::Deployment,
        target: target("shop", "web"),
        from: 4,
        to: 3,
    };
    confirm_runs(&mut state, &down);
    state.handle(Action::Pause);
    let pause = Command::SetRolloutPaused {
        target: target("shop", "web"),
        paused: true,
    };
    confirm_runs(&mut state, &pause);
    select(&mut state, "batch");
    assert!(actions(&state.handle(Action::ScaleDown)).is_empty());
    assert_eq!(state.ui.overlay, Overlay::None);
    assert!(status(&state).0.contains("already scaled to 0"));
}

#[test]
fn forbidden_actions_are_refused_before_the_dialog() {
    let mut state = rollout_state();
    select(&mut state, "web");
    let check = AccessCheck::apps("prod-eu-1", "shop", "patch", "deployments", "scale");
    assert!(state.apply(Update::AccessReviewed {
        check: check.clone(),
        access: Access::Denied("no RBAC policy matched".into()),
    }));
    assert!(state.is_denied(&Action::ScaleUp));
    assert!(!state.is_denied(&Action::Restart));
    assert!(state.handle(Action::ScaleUp).is_empty());
    assert_eq!(state.ui.overlay, Overlay::None);
    let (text, level) = status(&state);
    assert_eq!(level, Level::Error);
    assert_eq!(
        text,
        "forbidden: you may not patch deployments/scale in shop on prod-eu-1 \
         (no RBAC policy matched)"
    );
    // Another namespace is not affected; restart is still offered.
    state.handle(Action::Restart);
    assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
}

#[test]
fn empty_outcomes_of_reads_leave_the_status_alone() {
    let mut state = rollout_state();
    select(&mut state, "web");
    state.handle(Action::Restart);
    state.handle(Action::Confirm);
    let before = state.ui.status.clone();
    let changed = state.apply(Update::CommandFinished {
        id: 99,
        outcome: opsdeck::update::Outcome::Quiet,
    });
    assert!(!changed);
    assert_eq!(state.ui.status, before);
}

#[test]
fn rescope_forgets_rollouts_and_drops_late_updates() {
    let mut state = rollout_state();
    let old = state.scope;
    assert_eq!(
        state.handle(Action::SetNamespace(Some("shop".into()))),
        vec![Effect::Rescope]
    );
    assert!(!state.rollouts.listed);
    let (deployments, _) = common::rollouts::infos();
    assert!(!state.apply(Update::RolloutsChanged {
        scope: old,
        change: RolloutChange::Listed(WorkloadKind::Deployment, deployments),
    }));
    assert!(state.rollouts.is_empty());
    assert_eq!(state.ui.focus, Pane::Rollouts);
}
