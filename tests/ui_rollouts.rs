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
