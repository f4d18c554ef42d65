//! StatefulSets and DaemonSets in the rollouts pane: rows (kind, revision from the
//! ControllerRevisions, strategy, partition, state), their history and diff, and the actions
//! each kind allows with the exact command built.

mod common;

use common::rollouts::{actions, mixed_state, set_infos};
use opsdeck::action::Action;
use opsdeck::command::{Command, Target, Undo};
use opsdeck::model::rollout::{
    RevisionSource, RolloutChange, RolloutRow, RolloutState, Strategy, WorkloadKind,
};
use opsdeck::state::AppState;
use opsdeck::state::rollouts::RolloutKey;
use opsdeck::state::ui::{Level, Overlay};
use opsdeck::update::Update;

fn row<'a>(state: &'a AppState, kind: WorkloadKind, name: &str) -> &'a RolloutRow {
    state
        .rollouts
        .window(0, usize::MAX)
        .find(|r| r.kind == kind && r.name == name)
        .unwrap_or_else(|| panic!("no {kind:?} {name}"))
}

/// Put the cursor on a workload's row.
fn select(state: &mut AppState, kind: WorkloadKind, ns: &str, name: &str) {
    assert!(
        state.rollouts.select_key(&RolloutKey::new(kind, ns, name)),
        "{name} not listed"
    );
}

#[test]
fn statefulsets_and_daemonsets_are_rows_with_their_revision_strategy_and_state() {
    let state = mixed_state();
    let counts = state.rollouts.counts();
    assert_eq!(
        [
            counts.of_kind(WorkloadKind::Deployment),
            counts.of_kind(WorkloadKind::StatefulSet),
            counts.of_kind(WorkloadKind::DaemonSet)
        ],
        [6, 2, 1]
    );

    // kafka: rolled to revision 2 (updateRevision), one of three pods updated and it does not
    // become ready: still progressing.
    let kafka = row(&state, WorkloadKind::StatefulSet, "kafka");
    assert_eq!(kafka.revision, 2);
    assert_eq!((kafka.ready, kafka.desired, kafka.updated), (2, 3, 1));
    assert_eq!(kafka.strategy, Strategy::RollingUpdate);
    assert_eq!(kafka.state, RolloutState::Progressing);
    assert!(kafka.summary.contains("3.8.1-bad"), "{}", kafka.summary);

    // postgres: OnDelete, revision 2 written but no pod replaced yet.
    let postgres = row(&state, WorkloadKind::StatefulSet, "postgres");
    assert_eq!(postgres.revision, 2);
    assert_eq!(postgres.strategy, Strategy::OnDelete);
    assert_eq!((postgres.ready, postgres.updated), (3, 0));
    assert_eq!(postgres.state, RolloutState::Progressing);

    // log-shipper: every node runs revision 2.
    let ds = row(&state, WorkloadKind::DaemonSet, "log-shipper");
    assert_eq!(ds.revision, 2);
    assert_eq!((ds.ready, ds.desired, ds.updated), (3, 3, 3));
    assert_eq!(ds.state, RolloutState::Complete);
    assert!(ds.summary.contains("3.2.0"), "{}", ds.summary);

    // Ordered by their newest revision, as Deployments by their newest ReplicaSet.
    let at = |kind, name| row(&state, kind, name).changed_at.unwrap().to_string();
    assert_eq!(
        at(WorkloadKind::StatefulSet, "kafka"),
        "2026-11-23T11:40:00Z"
    );
    assert_eq!(
        at(WorkloadKind::DaemonSet, "log-shipper"),
        "2026-11-23T11:50:00Z"
    );
    let order: Vec<&str> = state
        .rollouts
        .window(0, usize::MAX)
        .map(|r| r.name.as_str())
        .collect();
    let pos = |n| order.iter().position(|o| *o == n).unwrap();
    assert!(pos("log-shipper") < pos("kafka"), "{order:?}");
}

#[test]
fn a_partition_keeps_a_statefulset_complete_once_the_ordinals_above_it_are_updated() {
    let (sts, _, crs) = set_infos();
    let mut kafka = sts.into_iter().find(|s| s.name == "kafka").unwrap();
    kafka.partition = 2;
    kafka.ready = 3;
    kafka.updated = 1;
    let revisions: Vec<_> = crs.iter().collect();
    let row = RolloutRow::build(&kafka, &revisions);
    assert_eq!(row.state, RolloutState::Complete);
    assert_eq!(row.partition, 2);
    kafka.updated = 0;
    let row = RolloutRow::build(&kafka, &revisions);
    assert_eq!(row.state, RolloutState::Progressing);
}

#[test]
fn filter_by_kind_keeps_only_that_kind() {
    let mut state = mixed_state();
    state.rollouts.set_filter("sts");
    let names: Vec<&str> = state
        .rollouts
        .window(0, usize::MAX)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"kafka") && names.contains(&"postgres"));
}

#[test]
fn history_of_a_statefulset_lists_its_controller_revisions_with_the_diff() {
    let state = mixed_state();
    let key = RolloutKey::new(WorkloadKind::StatefulSet, "shop", "kafka");
    let history = state.rollouts.history(&key);
    let revisions: Vec<(u64, bool)> = history.iter().map(|r| (r.revision, r.current)).collect();
    assert_eq!(revisions, [(2, true), (1, false)]);
    let images: Vec<String> = history[1].images.clone();
    assert!(images.iter().any(|i| i.contains("kafka")), "{images:?}");
    assert!(
        !images.iter().any(|i| i.contains("bad")),
        "revision 1 is the good image: {images:?}"
    );
}

#[test]
fn undo_of_a_statefulset_confirms_the_controller_revision_and_builds_its_command() {
    let mut state = mixed_state();
    select(&mut state, WorkloadKind::StatefulSet, "shop", "kafka");
    state.handle(Action::UndoRollout);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?} {:?}", state.ui.overlay, state.ui.status)
    };
    let kafka = state
        .rollouts
        .workload(&RolloutKey::new(WorkloadKind::StatefulSet, "shop", "kafka"))
        .unwrap();
    let expected = Command::UndoRollout {
        target: Target {
            context: "prod-eu-1".into(),
            namespace: "shop".into(),
            name: "kafka".into(),
        },
        undo: Undo {
            kind: WorkloadKind::StatefulSet,
            to_revision: 1,
            from_revision: 2,
            resource_version: kafka.resource_version.clone(),
            generation: kafka.generation,
        },
    };
    assert_eq!(dialog.command, expected);
    let diff: Vec<String> = dialog
        .detail
        .diff
        .iter()
        .map(|l| format!("{} {} {:?} -> {:?}", l.scope, l.field, l.old, l.new))
        .collect();
    assert!(
        diff.iter()
            .any(|l| l.contains("image") && l.contains("3.8.1-bad")),
        "the diff names the image undone: {diff:?}"
    );
    assert!(
        dialog.command.describe().contains("statefulset"),
        "{}",
        dialog.command.describe()
    );
}

#[test]
fn restart_and_scale_carry_the_kind_daemonsets_do_not_scale_and_sets_do_not_pause() {
    let mut state = mixed_state();
    select(
        &mut state,
        WorkloadKind::StatefulSet,
        "payments",
        "postgres",
    );
    state.handle(Action::ScaleUp);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert!(
        matches!(
            &dialog.command,
            Command::ScaleWorkload {
                kind: WorkloadKind::StatefulSet,
                from: 3,
                to: 4,
                ..
            }
        ),
        "{:?}",
        dialog.command
    );
    state.handle(Action::Back);
    state.handle(Action::Restart);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!("{:?}", state.ui.overlay)
    };
    assert!(matches!(
        &dialog.command,
        Command::RestartRollout {
            kind: WorkloadKind::StatefulSet,
            ..
        }
    ));
    assert_eq!(dialog.title, "Rollout restart statefulset/postgres ?");
    state.handle(Action::Back);

    let effects = state.handle(Action::Pause);
    assert!(actions(&effects).is_empty());
    assert!(matches!(state.ui.overlay, Overlay::None));
    let status = state.ui.status.as_ref().unwrap();
    assert!(
        status.text.contains("only deployments pause"),
        "{}",
        status.text
    );

    select(
        &mut state,
        WorkloadKind::DaemonSet,
        "platform",
        "log-shipper",
    );
    let effects = state.handle(Action::ScaleDown);
    assert!(actions(&effects).is_empty());
    assert!(matches!(state.ui.overlay, Overlay::None));
    let status = state.ui.status.as_ref().unwrap();
    assert_eq!(status.level, Level::Info);
    assert!(status.text.contains("one pod per node"), "{}", status.text);
}

#[test]
fn access_is_asked_for_the_kind_of_the_selection() {
    let mut state = mixed_state();
    select(
        &mut state,
        WorkloadKind::DaemonSet,
        "platform",
        "log-shipper",
    );
    let mut effects = state.handle(Action::Down);
    effects.extend(state.handle(Action::Up));
    assert_eq!(state.rollouts.selected_row().unwrap().name, "log-shipper");
    let checks: Vec<String> = common::rollouts::commands(&effects)
        .iter()
        .filter_map(|c| match c {
            Command::ReviewAccess { check, .. } => Some(check.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        checks.contains(&"patch daemonsets in platform".to_string()),
        "{checks:?}"
    );
    assert!(
        !checks.iter().any(|c| c.contains("daemonsets/scale")),
        "a DaemonSet has no scale to ask about: {checks:?}"
    );
}

#[test]
fn a_deleted_controller_revision_leaves_the_history_and_a_relist_replaces_them() {
    let mut state = mixed_state();
    let scope = state.scope;
    let key = RolloutKey::new(WorkloadKind::StatefulSet, "shop", "kafka");
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionDeleted {
            source: RevisionSource::ControllerRevision,
            namespace: "shop".into(),
            name: "kafka-grpwqjckf7".into(),
        },
    });
    assert_eq!(state.rollouts.history(&key).len(), 1);
    // A ReplicaSet relist does not touch ControllerRevisions.
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionsListed(RevisionSource::ReplicaSet, vec![]),
    });
    assert_eq!(state.rollouts.history(&key).len(), 1);
    assert_eq!(
        state
            .rollouts
            .history(&RolloutKey::deployment("shop", "api"))
            .len(),
        0
    );
}
