//! Snapshots of the rollouts pane, the revision history and the undo dialog, drawn from the
//! rollout fixtures at a fixed time (UTC).

mod common;

use common::{draw, draw_with};

use common::rollouts::{rollout_state, select};
use opsdeck::action::Action;
use opsdeck::command::Target;
use opsdeck::config::keymap::Keymap;
use opsdeck::model::access::{Access, AccessCheck};
use opsdeck::model::rollout::UndoPreview;
use opsdeck::state::ui::Overlay;
use opsdeck::update::Update;

#[test]
fn rollouts_pane_120x20() {
    let t = draw(&rollout_state(), 120, 20);
    let text = t.backend().to_string();
    for needle in ["web", "args changed", "Stalled", "Paused", "ScaledToZero"] {
        assert!(text.contains(needle), "{needle} missing");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn rollouts_pane_80x24_drops_columns() {
    insta::assert_snapshot!(draw(&rollout_state(), 80, 24).backend());
}

#[test]
fn rollouts_pane_in_the_160x45_grid() {
    let mut state = rollout_state();
    state.handle(Action::FocusPods);
    insta::assert_snapshot!(draw(&state, 160, 45).backend());
}

#[test]
fn rollouts_pane_small_sizes_do_not_panic() {
    let state = rollout_state();
    for w in 1..=50 {
        for h in 1..=12 {
            draw(&state, w, h);
        }
    }
    insta::assert_snapshot!(draw(&state, 30, 8).backend());
}

#[test]
fn history_overlay_shows_revisions_and_the_diff() {
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Open);
    state.handle(Action::Down);
    let t = draw(&state, 120, 30);
    let text = t.backend().to_string();
    assert!(text.contains("kubectl set image deployment/api"), "{text}");
    insta::assert_snapshot!(t.backend());
}

/// The hints follow a remapped key: undo is `U` on the rollouts pane only, Esc is `h` everywhere.
#[test]
fn history_hints_show_remapped_keys() {
    let config = opsdeck::config::Config::parse(
        "[keys]\nback = \"h\"\n\n[keys.rollouts]\nundo_rollout = \"U\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    let (keymap, warnings) = Keymap::with_overrides(&config.keys);
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::Open);
    let t = draw_with(&state, &keymap, 120, 30);
    let text = t.backend().to_string();
    assert!(text.contains("(U undo to selected · h closes)"), "{text}");
    assert!(text.contains(" U undo rollout "), "the footer too: {text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn undo_dialog_shows_diff_warning_and_dry_run() {
    let mut state = rollout_state();
    select(&mut state, "api");
    state.handle(Action::UndoRollout);
    let Overlay::Confirm(dialog) = &state.ui.overlay else {
        panic!()
    };
    let opsdeck::command::Command::UndoRollout { undo, .. } = dialog.command.clone() else {
        panic!()
    };
    insta::assert_snapshot!("undo_dialog_waiting", draw(&state, 110, 30).backend());
    state.apply(Update::UndoPreviewed {
        target: Target {
            context: "prod-eu-1".into(),
            namespace: "shop".into(),
            name: "api".into(),
        },
        undo,
        preview: UndoPreview::Accepted(dialog.detail.diff.clone()),
    });
    let t = draw(&state, 110, 30);
    let text = t.backend().to_string();
    for needle in [
        "prod-eu-1",
        "revision 2",
        "kubectl apply",
        "accepted",
        "app:1.4.2",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    insta::assert_snapshot!("undo_dialog_previewed", t.backend());
}

#[test]
fn forbidden_actions_are_marked_in_footer_and_help() {
    use ratatui::style::Modifier;
    let mut state = rollout_state();
    state.apply(Update::AccessReviewed {
        check: AccessCheck::apps("prod-eu-1", "shop", "patch", "deployments", "scale"),
        access: Access::Denied(String::new()),
    });
    let t = draw(&state, 120, 20);
    let buf = t.backend().buffer();
    let last = t.backend().to_string().lines().last().unwrap().to_string();
    let col = last.find(" scale up").expect("scale up in the footer") as u16;
    assert!(buf[(col + 1, 19)].modifier.contains(Modifier::CROSSED_OUT));
    let restart = last.find(" rollout restart").unwrap() as u16;
    assert!(
        !buf[(restart + 1, 19)]
            .modifier
            .contains(Modifier::CROSSED_OUT)
    );
    state.handle(Action::Help);
    let help = draw(&state, 80, 30).backend().to_string();
    assert!(help.contains("scale up (forbidden)"), "{help}");
    assert!(!help.contains("rollout restart (forbidden)"));
}

#[test]
fn statefulsets_and_daemonsets_show_their_kind_strategy_and_history() {
    let mut state = common::rollouts::mixed_state();
    let t = draw(&state, 140, 20);
    let text = t.backend().to_string();
    assert!(
        text.contains("9 workloads (6 deploy, 2 sts, 1 ds)"),
        "{text}"
    );
    let kafka = text.lines().find(|l| l.contains("kafka")).unwrap();
    assert!(
        kafka.contains(" sts ") && kafka.contains("rolling"),
        "{kafka}"
    );
    let postgres = text.lines().find(|l| l.contains("postgres")).unwrap();
    assert!(postgres.contains("manual"), "{postgres}");
    insta::assert_snapshot!(t.backend());

    // At 60 columns KIND gives way and the kind moves into the name.
    let narrow = draw(&state, 60, 20).backend().to_string();
    let kafka = narrow.lines().find(|l| l.contains("kafka")).unwrap();
    assert!(kafka.contains("sts/kafka"), "{narrow}");

    // The StatefulSet's history: ControllerRevisions, no pod counts, the diff of revision 1.
    assert!(
        state
            .rollouts
            .select_key(&opsdeck::state::rollouts::RolloutKey::new(
                opsdeck::model::rollout::WorkloadKind::StatefulSet,
                "shop",
                "kafka"
            ))
    );
    state.handle(Action::Open);
    state.handle(Action::Down);
    let t = draw(&state, 120, 24);
    let text = t.backend().to_string();
    assert!(text.contains("History shop/sts/kafka"), "{text}");
    assert!(text.contains("3.8.1-bad"), "{text}");
    insta::assert_snapshot!("statefulset_history", t.backend());
}

#[test]
fn rollout_rows_sum_what_their_pods_use_and_the_frame_asks_for_usage_only_with_room() {
    use opsdeck::model::usage::Usage;
    let mut state = common::rollouts::mixed_state();
    let scope = state.scope;
    let owned = |name: &str, kind: &str, owner: &str| {
        let mut r = common::row("shop", name, "Running", 1, 1, 0);
        r.owner = Some((kind.to_string(), owner.to_string()));
        r
    };
    let rows = vec![
        owned("web-84c6d9f7b-a", "ReplicaSet", "web-84c6d9f7b"),
        owned("web-6b5d4c3a2-b", "ReplicaSet", "web-6b5d4c3a2"),
        owned("kafka-0", "StatefulSet", "kafka"),
    ];
    state.apply(Update::PodsListed { scope, rows });
    let key = |n: &str| ("shop".to_string(), n.to_string());
    let used = |cpu_m, mem_b| Usage { cpu_m, mem_b };
    let usage = vec![
        (key("web-84c6d9f7b-a"), used(120, 100 << 20)),
        (key("web-6b5d4c3a2-b"), used(30, 28 << 20)),
        (key("kafka-0"), used(900, 3 << 30)),
    ];
    state.apply(Update::UsageFetched {
        scope,
        usage: Some(usage),
    });
    // web: both revisions' pods (150m, 128Mi); kafka: its StatefulSet's pod.
    let text = draw(&state, 160, 20).backend().to_string();
    let line = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}: {text}"))
            .to_string()
    };
    assert!(text.contains("CPU") && text.contains("MEM"), "{text}");
    assert!(
        line("web").contains("150m") && line("web").contains("128Mi"),
        "{}",
        line("web")
    );
    assert!(
        line("kafka").contains("900m") && line("kafka").contains("3.0Gi"),
        "{}",
        line("kafka")
    );

    // What the frame reports: room on a wide screen; none when zoomed on the logs.
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45)).unwrap();
    let theme = opsdeck::ui::theme::Theme::default_theme();
    let keymap = Keymap::default();
    let room = |terminal: &mut ratatui::Terminal<_>, state: &opsdeck::state::AppState| {
        let mut drawn = opsdeck::ui::Drawn::default();
        terminal
            .draw(|f| drawn = opsdeck::ui::draw(f, state, &theme, &keymap))
            .unwrap();
        drawn.usage_room
    };
    assert!(room(&mut terminal, &state));
    state.handle(Action::FocusLogs);
    state.handle(Action::Zoom);
    assert!(
        !room(&mut terminal, &state),
        "zoomed on the logs: no CPU/MEM on screen"
    );
    let mut narrow = ratatui::Terminal::new(ratatui::backend::TestBackend::new(40, 20)).unwrap();
    state.handle(Action::Zoom);
    state.handle(Action::FocusPods);
    assert!(!room(&mut narrow, &state), "40 columns: no room");
}

#[test]
fn the_pod_detail_names_the_owner_chain_and_the_revision_a_pod_runs() {
    use opsdeck::model::event::DescribedPod;
    use opsdeck::model::pod::PodDetail;
    let mut state = common::rollouts::mixed_state();
    let detail_of = |name: &str, owner: (&str, &str), labels: serde_json::Value| {
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop", "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner.0, "name": owner.1,
                    "uid": "u", "controller": true}]},
            "spec": {"containers": [{"name": "app", "image": "app:1"}]},
            "status": {"phase": "Running"}
        }))
        .unwrap();
        DescribedPod {
            pod: PodDetail::from_pod(&pod),
            events: vec![],
            events_error: None,
        }
    };
    let show = |state: &mut opsdeck::state::AppState, detail: DescribedPod| {
        state.ui.overlay = Overlay::PodDetail {
            target: Target {
                context: "prod-eu-1".into(),
                namespace: "shop".into(),
                name: detail.pod.row.name.clone(),
            },
            detail: None,
            scroll: Default::default(),
        };
        state.apply(Update::PodDetailLoaded(Box::new(detail)));
        draw(state, 140, 40).backend().to_string()
    };
    let kafka = detail_of(
        "kafka-2",
        ("StatefulSet", "kafka"),
        serde_json::json!({"app": "kafka", "controller-revision-hash": "kafka-cl4rpz67nc"}),
    );
    let screen = show(&mut state, kafka);
    assert!(
        screen.contains("by StatefulSet/kafka, revision 2 (kafka-cl4rpz67nc)"),
        "{screen}"
    );
    let api = detail_of(
        "api-5c8f7b9d4-x1",
        ("ReplicaSet", "api-5c8f7b9d4"),
        serde_json::json!({"app": "api", "pod-template-hash": "5c8f7b9d4"}),
    );
    let screen = show(&mut state, api);
    assert!(
        screen.contains("by ReplicaSet/api-5c8f7b9d4 (revision 1) of Deployment/api"),
        "{screen}"
    );
}
