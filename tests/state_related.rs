//! Alerts tied to workloads: badges on the pod and rollout rows (a pod alert also marks its
//! Deployment, through its ReplicaSet), `o` from an alert to its row and from a row to its
//! alerts, Esc back, and the count of firing alerts about nothing in scope. Pure: no server.

mod alerts_common;

use alerts_common::{AM, alert, now};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use opsdeck::action::{Action, Pane};
use opsdeck::model::alert::{AlertRow, AlertState, Severity};
use opsdeck::model::pod::PodRow;
use opsdeck::model::rollout::{DeploymentInfo, ReplicaSetInfo, RolloutChange};
use opsdeck::state::AppState;
use opsdeck::update::Update;
use serde_json::json;

fn deployment(ns: &str, name: &str) -> DeploymentInfo {
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": name, "uid": format!("uid-{name}"),
            "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"replicas": 2, "selector": {}, "template": {}},
        "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
    }))
    .unwrap();
    DeploymentInfo::from_deployment(&d)
}

fn replica_set(ns: &str, deploy: &str, hash: &str) -> ReplicaSetInfo {
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": format!("{deploy}-{hash}"),
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy,
                "uid": format!("uid-{deploy}"), "controller": true}]},
        "spec": {"replicas": 2, "selector": {}}
    }))
    .unwrap();
    ReplicaSetInfo::from_replica_set(&rs)
}

fn pod(ns: &str, name: &str, rs: &str) -> PodRow {
    let p: Pod = serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": name, "uid": format!("uid-{name}"),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                "uid": format!("uid-{rs}"), "controller": true}]},
        "status": {"phase": "Running"}
    }))
    .unwrap();
    PodRow::from_pod(&p)
}

/// shop/checkout (pods checkout-7d9f-a, -b), shop/cart (cart-5c4b-a); all namespaces.
fn cluster(namespace: Option<&str>) -> AppState {
    let mut state = AppState::new("prod-eu-1".into(), namespace.map(String::from), now());
    state.alerts.settings.enabled = true;
    state.alerts.settings.alertmanagers = vec![AM.into()];
    let scope = state.scope;
    let rollouts = [
        RolloutChange::ReplicaSetsListed(vec![
            replica_set("shop", "checkout", "7d9f"),
            replica_set("shop", "cart", "5c4b"),
        ]),
        RolloutChange::DeploymentsListed(vec![
            deployment("shop", "checkout"),
            deployment("shop", "cart"),
        ]),
    ];
    for change in rollouts {
        state.apply(Update::RolloutsChanged { scope, change });
    }
    let rows = vec![
        pod("shop", "checkout-7d9f-a", "checkout-7d9f"),
        pod("shop", "checkout-7d9f-b", "checkout-7d9f"),
        pod("shop", "cart-5c4b-a", "cart-5c4b"),
    ];
    state.apply(Update::PodsListed { scope, rows });
    state
}

fn fetch(state: &mut AppState, alerts: Vec<AlertRow>) {
    let scope = state.scope;
    state.apply(Update::AlertsFetched {
        scope,
        source: AM.into(),
        alerts,
    });
}

fn firing(name: &str, severity: &str, labels: &[(&str, &str)]) -> AlertRow {
    alert(name, severity, AlertState::Firing, labels, 60)
}

/// A crash-looping pod as kube-state-metrics reports it without honorLabels, a deployment
/// alert, an alert about a deployment that does not exist, one about another namespace, and
/// one about no object at all.
fn incident() -> Vec<AlertRow> {
    vec![
        firing(
            "KubePodCrashLooping",
            "warning",
            &[
                ("namespace", "monitoring"),
                ("pod", "kube-state-metrics-0"),
                ("exported_namespace", "shop"),
                ("exported_pod", "checkout-7d9f-b"),
            ],
        ),
        firing(
            "CheckoutErrors",
            "critical",
            &[("namespace", "shop"), ("deployment", "checkout")],
        ),
        firing(
            "GhostReplicasMismatch",
            "warning",
            &[("namespace", "shop"), ("deployment", "ghost")],
        ),
        firing(
            "LedgerDown",
            "critical",
            &[("namespace", "payments"), ("deployment", "ledger")],
        ),
        firing("Watchdog", "none", &[]),
    ]
}

#[test]
fn rows_carry_the_worst_badge_of_their_alerts_through_the_owner_chain() {
    let mut state = cluster(None);
    fetch(&mut state, incident());
    let r = &state.related;
    // The pod of the exported labels, not kube-state-metrics' own pod.
    assert_eq!(
        r.pod_badge("shop", "checkout-7d9f-b"),
        Some(&Severity::Warning)
    );
    assert_eq!(r.pod_badge("monitoring", "kube-state-metrics-0"), None);
    assert_eq!(r.pod_badge("shop", "checkout-7d9f-a"), None);
    // The Deployment: its own critical beats its pod's warning.
    assert_eq!(
        r.rollout_badge("shop", "checkout"),
        Some(&Severity::Critical)
    );
    assert_eq!(r.rollout_badge("shop", "cart"), None);
    // ghost is not watched; payments/ledger is not either (all namespaces, but no such
    // Deployment); Watchdog names nothing and is not counted.
    assert_eq!(r.outside_scope, 2);

    // A pod alert alone marks its Deployment with its own severity.
    fetch(&mut state, vec![incident().remove(0)]);
    assert_eq!(
        state.related.rollout_badge("shop", "checkout"),
        Some(&Severity::Warning)
    );
    // Resolved: the badges go.
    fetch(&mut state, vec![]);
    assert_eq!(state.related.rollout_badge("shop", "checkout"), None);
    assert_eq!(state.related.pod_badge("shop", "checkout-7d9f-b"), None);
}

#[test]
fn a_namespace_scope_counts_other_namespaces_outside_it() {
    let mut state = cluster(Some("shop"));
    fetch(&mut state, incident());
    // ghost (not watched) and payments/ledger (other namespace).
    assert_eq!(state.related.outside_scope, 2);
    assert_eq!(
        state.related.rollout_badge("shop", "checkout"),
        Some(&Severity::Critical)
    );
}

#[test]
fn badges_follow_pods_that_arrive_after_the_alert() {
    let mut state = cluster(None);
    let late = firing(
        "KubePodNotReady",
        "warning",
        &[("namespace", "shop"), ("pod", "cart-5c4b-new")],
    );
    fetch(&mut state, vec![late]);
    assert_eq!(state.related.rollout_badge("shop", "cart"), None);
    assert_eq!(state.related.outside_scope, 1);
    let scope = state.scope;
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(pod("shop", "cart-5c4b-new", "cart-5c4b")),
    });
    assert_eq!(
        state.related.rollout_badge("shop", "cart"),
        Some(&Severity::Warning)
    );
    assert_eq!(state.related.outside_scope, 0);
}

fn select_alert(state: &mut AppState, name: &str) {
    state.handle(Action::FocusAlerts);
    state.handle(Action::Top);
    for _ in 0..10 {
        if state.alerts.selected().unwrap().row.name == name {
            return;
        }
        state.handle(Action::Down);
    }
    panic!("{name} not listed");
}

#[test]
fn o_on_an_alert_focuses_its_workload_and_esc_comes_back() {
    let mut state = cluster(None);
    fetch(&mut state, incident());

    // A pod alert jumps to the rollout row of the pod's Deployment.
    select_alert(&mut state, "KubePodCrashLooping");
    state.handle(Action::OpenRelated);
    assert_eq!(state.ui.focus, Pane::Rollouts);
    assert_eq!(state.rollouts.selected_row().unwrap().name, "checkout");
    state.handle(Action::Back);
    assert_eq!(state.ui.focus, Pane::Alerts);
    assert_eq!(
        state.alerts.selected().unwrap().row.name,
        "KubePodCrashLooping"
    );

    // An alert about nothing on screen says so and stays.
    select_alert(&mut state, "GhostReplicasMismatch");
    state.handle(Action::OpenRelated);
    assert_eq!(state.ui.focus, Pane::Alerts);
    let status = state.ui.status.clone().unwrap().text;
    assert!(
        status.contains("shop/deploy/ghost is not on screen"),
        "{status}"
    );
}

#[test]
fn o_on_a_pod_or_rollout_lists_only_its_alerts_and_esc_lists_all_again() {
    let mut state = cluster(None);
    fetch(&mut state, incident());
    let all = state.alerts.visible_len();

    state.handle(Action::FocusRollouts);
    state.handle(Action::Top);
    while state.rollouts.selected_row().unwrap().name != "checkout" {
        state.handle(Action::Down);
    }
    state.handle(Action::OpenRelated);
    assert_eq!(state.ui.focus, Pane::Alerts);
    assert_eq!(state.alerts.only(), Some("shop/deploy/checkout"));
    let mut names: Vec<String> = state
        .alerts
        .window(0, usize::MAX)
        .map(|v| v.row.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["CheckoutErrors", "KubePodCrashLooping"]);

    // A new alert about one of its pods joins the narrowed list.
    let mut more = incident();
    more.push(firing(
        "KubePodNotReady",
        "warning",
        &[("namespace", "shop"), ("pod", "checkout-7d9f-a")],
    ));
    fetch(&mut state, more);
    assert_eq!(state.alerts.visible_len(), 3);

    state.handle(Action::Back);
    assert_eq!(state.ui.focus, Pane::Rollouts);
    assert_eq!(state.alerts.only(), None);
    assert_eq!(state.alerts.visible_len(), all + 1);

    // A pod with no alerts: a status line, no jump.
    state.handle(Action::FocusPods);
    state.handle(Action::Top);
    while state.pods.selected_row().unwrap().name != "cart-5c4b-a" {
        state.handle(Action::Down);
    }
    state.handle(Action::OpenRelated);
    assert_eq!(state.ui.focus, Pane::Pods);
    let status = state.ui.status.clone().unwrap().text;
    assert_eq!(status, "no firing alerts about shop/pod/cart-5c4b-a");
}
