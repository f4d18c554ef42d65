//! Helpers shared by the state and UI tests: rows and states at a fixed time.
#![allow(dead_code)]

pub mod exec;
pub mod logs;
pub mod proxy;
pub mod rollouts;
pub mod tmux;

use jiff::{SignedDuration, Timestamp};
use opsdeck::config::keymap::Keymap;
use opsdeck::model::pod::{Health, PodRow};
use opsdeck::state::AppState;
use opsdeck::ui::theme::Theme;
use opsdeck::update::{SourceHealth, SourceId, Update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub const NOW: &str = "2026-11-23T12:00:00Z";

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

pub fn ago(secs: i64) -> Timestamp {
    now() - SignedDuration::from_secs(secs)
}

/// A pod row with a status, as the model would compute it.
pub fn row(ns: &str, name: &str, status: &str, ready: u16, total: u16, restarts: u32) -> PodRow {
    PodRow {
        namespace: ns.into(),
        name: name.into(),
        ready,
        total,
        status: status.into(),
        health: Health::classify(status, ready, total),
        restarts,
        last_restart: (restarts > 0).then(|| ago(130)),
        last_exit: None,
        resources: Default::default(),
        created: Some(ago(3 * 3600 + 600)),
        node: "node-2".into(),
        ip: "10.0.2.17".into(),
        owner: Some(("ReplicaSet".into(), format!("{name}-rs"))),
        labels_hash: Some("7d9f6b5c4".into()),
        app: Some(name.split('-').next().unwrap_or(name).into()),
        uid: format!("uid-{ns}-{name}"),
    }
}

/// A realistic mixed cluster: mostly healthy, a few failing.
pub fn cluster_rows() -> Vec<PodRow> {
    let mut rows = Vec::new();
    for (ns, apps) in [
        ("checkout", ["cart", "checkout-api", "pricing"]),
        ("payments", ["ledger", "payments-api", "fraud-score"]),
        ("platform", ["api-gateway", "search", "frontend"]),
    ] {
        for app in apps {
            for i in 0..3 {
                rows.push(row(
                    ns,
                    &format!("{app}-7d9f6b5c4-{i}x{i}q"),
                    "Running",
                    1,
                    1,
                    0,
                ));
            }
        }
    }
    rows.push(row(
        "payments",
        "ledger-6c8d7f9b-zt2kq",
        "CrashLoopBackOff",
        0,
        1,
        7,
    ));
    rows.push(row(
        "checkout",
        "pricing-5f7b9c-ab12c",
        "OOMKilled",
        0,
        1,
        3,
    ));
    rows.push(row(
        "platform",
        "search-84f5d-k2j9x",
        "ImagePullBackOff",
        0,
        1,
        0,
    ));
    rows.push(row(
        "platform",
        "frontend-66b7c-mm2p1",
        "ContainerCreating",
        0,
        1,
        0,
    ));
    rows.push(row("checkout", "cart-7d9f6b5c4-new01", "Running", 0, 1, 0));
    rows
}

/// A state with `cluster_rows()` listed and the source live.
pub fn live_state() -> AppState {
    let mut state = AppState::new("prod-eu-1".into(), None, now());
    let scope = state.scope;
    state.apply(Update::PodsListed {
        scope,
        rows: cluster_rows(),
    });
    state.apply(Update::SourceHealth {
        scope,
        source: SourceId::Pods,
        health: SourceHealth::Live,
    });
    state
}

/// Draw the whole screen of `state` on a test terminal of `width` x `height`.
pub fn draw(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    draw_with(state, &Keymap::default(), width, height)
}

/// Draw with a keymap other than the default one.
pub fn draw_with(
    state: &AppState,
    keymap: &Keymap,
    width: u16,
    height: u16,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme::default_theme();
    terminal
        .draw(|f| opsdeck::ui::render(f, state, &theme, keymap))
        .unwrap();
    terminal
}
