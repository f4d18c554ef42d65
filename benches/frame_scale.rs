//! Work per frame against cluster size: the whole dashboard drawn at 200x50 with 1,000, 10,000
//! and 100,000 pods (one deployment per 10 pods), the clock advancing a second per frame (so
//! every relative time is recomputed), and one pod changing between frames (so the list moves).
//! The design rule is that a frame costs what is on screen: the 100,000-pod frame must stay
//! within 2x of the 1,000-pod frame (issue 14). Prints one line per size and the ratio.
//!
//! `cargo bench --bench frame_scale` (release profile).

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::Deployment;
use opsdeck::config::keymap::Keymap;
use opsdeck::model::pod::{Health, PodRow};
use opsdeck::model::rollout::{RolloutChange, WorkloadInfo, WorkloadKind};
use opsdeck::state::AppState;
use opsdeck::ui::theme::Theme;
use opsdeck::update::{SourceHealth, SourceId, Update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FRAMES: usize = 300;
const NAMESPACES: usize = 20;

fn pod(ns: usize, deploy: usize, i: usize, now: Timestamp, status: &str) -> PodRow {
    let name = format!("app-{deploy:05}-7d9f6b5c4-{i:05}");
    PodRow {
        namespace: format!("team-{ns:02}"),
        name: name.clone(),
        ready: u16::from(status == "Running"),
        total: 1,
        status: status.into(),
        health: Health::classify(status, u16::from(status == "Running"), 1),
        restarts: (i % 7) as u32,
        last_restart: (!i.is_multiple_of(7))
            .then(|| now - SignedDuration::from_secs(130 + i as i64)),
        last_exit: None,
        resources: Default::default(),
        created: Some(now - SignedDuration::from_secs(3600 + i as i64 * 37)),
        node: format!("node-{:03}", i % 100),
        ip: "10.0.2.17".into(),
        owner: Some(("ReplicaSet".into(), format!("app-{deploy:05}-7d9f6b5c4"))),
        labels_hash: Some("7d9f6b5c4".into()),
        app: Some(format!("app-{deploy:05}")),
        uid: format!("uid-{ns}-{name}"),
    }
}

fn deployment(ns: usize, d: usize, now: Timestamp) -> WorkloadInfo {
    let created = (now - SignedDuration::from_secs(86_400 + d as i64 * 61)).to_string();
    let value = serde_json::json!({
        "metadata": {
            "name": format!("app-{d:05}"), "namespace": format!("team-{ns:02}"),
            "uid": format!("uid-d-{d}"), "resourceVersion": "1", "generation": 2,
            "creationTimestamp": created,
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": 10,
            "selector": {"matchLabels": {"app": format!("app-{d:05}")}},
            "template": {
                "metadata": {"labels": {"app": format!("app-{d:05}")}},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:v2"}]},
            },
        },
        "status": {"observedGeneration": 2, "replicas": 10, "updatedReplicas": 10,
                   "readyReplicas": 10, "availableReplicas": 10},
    });
    let d: Deployment = serde_json::from_value(value).expect("a Deployment");
    WorkloadInfo::from_deployment(&d)
}

fn state(pods: usize, now: Timestamp) -> AppState {
    let mut state = AppState::new("bench".into(), None, now);
    let scope = state.scope;
    let deployments = pods / 10;
    let rows = (0..pods)
        .map(|i| {
            let status = if i.is_multiple_of(97) {
                "CrashLoopBackOff"
            } else {
                "Running"
            };
            pod(i % NAMESPACES, i / 10, i, now, status)
        })
        .collect();
    state.apply(Update::PodsListed { scope, rows });
    let infos = (0..deployments).map(|d| deployment(d % NAMESPACES, d, now));
    let change = RolloutChange::Listed(WorkloadKind::Deployment, infos.collect());
    state.apply(Update::RolloutsChanged { scope, change });
    for source in [SourceId::Pods, SourceId::Rollouts] {
        let health = SourceHealth::Live;
        state.apply(Update::SourceHealth {
            scope,
            source,
            health,
        });
    }
    state
}

/// Mean time of one frame (a pod change applied, the clock ticked, the screen drawn).
fn frame_time(pods: usize) -> Duration {
    let start: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    let mut state = state(pods, start);
    let scope = state.scope;
    let theme = Theme::default_theme();
    let keymap = Keymap::default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut draw = |state: &AppState| {
        terminal
            .draw(|f| opsdeck::ui::render(f, state, &theme, &keymap))
            .unwrap();
    };
    draw(&state); // warm-up
    let t0 = Instant::now();
    for n in 0..FRAMES {
        let now = start + SignedDuration::from_secs(n as i64 + 1);
        // A pod flips between Running and crashing: it moves between health groups.
        let i = (n * 7919) % pods;
        let status = if n.is_multiple_of(2) {
            "CrashLoopBackOff"
        } else {
            "Running"
        };
        let row = pod(i % NAMESPACES, i / 10, i, start, status);
        state.apply(Update::PodApplied {
            scope,
            row: Box::new(row),
        });
        state.tick(now);
        draw(&state);
    }
    t0.elapsed() / FRAMES as u32
}

fn main() {
    let mut base = None;
    for pods in [1_000, 10_000, 100_000] {
        let t = frame_time(pods);
        let base = *base.get_or_insert(t);
        println!(
            "frame_scale: {pods:>7} pods, {:>6} deployments: {:>8.1} µs per frame ({:.2}x the 1,000-pod frame)",
            pods / 10,
            t.as_secs_f64() * 1e6,
            t.as_secs_f64() / base.as_secs_f64()
        );
    }
}
