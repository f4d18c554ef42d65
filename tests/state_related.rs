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
use opsdeck::model::rollout::{
    RevisionInfo, RevisionSource, RolloutChange, WorkloadInfo, WorkloadKind,
};
use opsdeck::state::rollouts::RolloutKey;
use opsdeck::state::{AppState, Effect};
use opsdeck::update::Update;
use serde_json::json;

fn deployment(ns: &str, name: &str) -> WorkloadInfo {
    let d: Deployment = serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": name, "uid": format!("uid-{name}"),
            "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"replicas": 2, "selector": {}, "template": {}},
        "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
    }))
    .unwrap();
    WorkloadInfo::from_deployment(&d)
}

fn replica_set(ns: &str, deploy: &str, hash: &str) -> RevisionInfo {
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"namespace": ns, "name": format!("{deploy}-{hash}"),
            "annotations": {"deployment.kubernetes.io/revision": "2"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy,
                "uid": format!("uid-{deploy}"), "controller": true}]},
        "spec": {"replicas": 2, "selector": {}}
    }))
    .unwrap();
    RevisionInfo::from_replica_set(&rs)
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
        RolloutChange::RevisionsListed(
            RevisionSource::ReplicaSet,
            vec![
                replica_set("shop", "checkout", "7d9f"),
                replica_set("shop", "cart", "5c4b"),
            ],
        ),
        RolloutChange::Listed(
            WorkloadKind::Deployment,
            vec![deployment("shop", "checkout"), deployment("shop", "cart")],
        ),
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
        r.rollout_badge(&RolloutKey::deployment("shop", "checkout")),
        Some(&Severity::Critical)
    );
    assert_eq!(
        r.rollout_badge(&RolloutKey::deployment("shop", "cart")),
        None
    );
    // ghost is not watched; payments/ledger is not either (all namespaces, but no such
    // Deployment); Watchdog names nothing and is not counted.
    assert_eq!(r.outside_scope, 2);

    // A pod alert alone marks its Deployment with its own severity.
    fetch(&mut state, vec![incident().remove(0)]);
    assert_eq!(
        state
            .related
            .rollout_badge(&RolloutKey::deployment("shop", "checkout")),
        Some(&Severity::Warning)
    );
    // Resolved: the badges go.
    fetch(&mut state, vec![]);
    assert_eq!(
        state
            .related
            .rollout_badge(&RolloutKey::deployment("shop", "checkout")),
        None
    );
    assert_eq!(state.related.pod_badge("shop", "checkout-7d9f-b"), None);
}

#[test]
fn a_namespace_scope_counts_other_namespaces_outside_it() {
    let mut state = cluster(Some("shop"));
    fetch(&mut state, incident());
    // ghost (not watched) and payments/ledger (other namespace).
    assert_eq!(state.related.outside_scope, 2);
    assert_eq!(
        state
            .related
            .rollout_badge(&RolloutKey::deployment("shop", "checkout")),
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
    assert_eq!(
        state
            .related
            .rollout_badge(&RolloutKey::deployment("shop", "cart")),
        None
    );
    assert_eq!(state.related.outside_scope, 1);
    let scope = state.scope;
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(pod("shop", "cart-5c4b-new", "cart-5c4b")),
    });
    assert_eq!(
        state
            .related
            .rollout_badge(&RolloutKey::deployment("shop", "cart")),
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

// The incident timeline, fed by the same updates.

/// Delete the first pod of the pods pane through its confirm dialog, and let the executor
/// answer `outcome`; returns the pod's name.
fn delete_selected_pod(state: &mut AppState, outcome: &str) -> String {
    state.handle(Action::FocusPods);
    state.handle(Action::Top);
    let victim = state.pods.selected_row().unwrap().name.clone();
    state.handle(Action::Restart);
    let effects = state.handle(Action::Confirm);
    let [Effect::Run(req)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    state.apply(Update::CommandFinished {
        id: req.id,
        outcome: opsdeck::update::Outcome::Done(outcome.into()),
    });
    victim
}

fn timeline_texts(state: &AppState) -> Vec<String> {
    state
        .timeline
        .window(0, usize::MAX)
        .map(|e| {
            format!(
                "{} {} {}",
                e.kind.label(),
                e.object_path(),
                e.text_with_count()
            )
        })
        .collect()
}

#[test]
fn a_rollout_a_crash_an_alert_and_an_action_land_in_the_timeline_newest_first() {
    let mut state = cluster(None);
    let scope = state.scope;
    // A new revision of checkout: a ReplicaSet not seen before, revision 3.
    let mut rs = replica_set("shop", "checkout", "9abc");
    rs.revision = Some(3);
    rs.created = Some(now() - jiff::SignedDuration::from_mins(10));
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionApplied(Box::new(rs.clone())),
    });
    // The same ReplicaSet again (a status change) is no new revision.
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionApplied(Box::new(rs)),
    });
    // A pod of it crashes twice: one entry, counted.
    for restarts in 1..=2 {
        let mut row = pod("shop", "checkout-7d9f-a", "checkout-7d9f");
        row.restarts = restarts;
        row.last_restart = Some(now() - jiff::SignedDuration::from_mins(5 - i64::from(restarts)));
        row.last_exit = Some("OOMKilled (exit 137)".into());
        state.apply(Update::PodApplied {
            scope,
            row: Box::new(row),
        });
    }
    fetch(&mut state, vec![incident().remove(1)]);
    // An action of this session (delete a pod): its outcome is an entry; a read is not.
    let victim = delete_selected_pod(&mut state, "deleted");
    state.apply(Update::CommandFinished {
        id: 999,
        outcome: opsdeck::update::Outcome::Done("dry run accepted".into()),
    });
    assert_eq!(
        timeline_texts(&state),
        [
            &format!("action shop/pod/{victim} deleted"),
            "alert shop/deploy/checkout CheckoutErrors (critical): CheckoutErrors summary",
            "restart shop/pod/checkout-7d9f-a restarted: OOMKilled (exit 137) ×2",
            "rollout shop/deploy/checkout r2→r3 (checkout-9abc): no template change",
        ]
    );
    // The alert resolves.
    fetch(&mut state, vec![]);
    assert!(
        timeline_texts(&state)[0].starts_with("resolved shop/deploy/checkout CheckoutErrors"),
        "{:?}",
        timeline_texts(&state)
    );
}

#[test]
fn t_narrows_the_timeline_to_the_selected_workload_and_answers_what_changed_before_the_alert() {
    let mut state = cluster(None);
    let scope = state.scope;
    let mut rs = replica_set("shop", "checkout", "9abc");
    rs.revision = Some(3);
    rs.created = Some(now() - jiff::SignedDuration::from_mins(20));
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionApplied(Box::new(rs)),
    });
    let mut cart = replica_set("shop", "cart", "1111");
    cart.revision = Some(2);
    cart.created = Some(now() - jiff::SignedDuration::from_mins(15));
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionApplied(Box::new(cart)),
    });
    // CheckoutErrors started 60 s before now (the fixture's age).
    fetch(&mut state, vec![incident().remove(1)]);

    state.handle(Action::FocusRollouts);
    state.handle(Action::Top);
    while state.rollouts.selected_row().unwrap().name != "checkout" {
        state.handle(Action::Down);
    }
    state.handle(Action::ToggleTimeline);
    assert!(state.timeline.shown);
    assert_eq!(state.ui.focus, Pane::Timeline);
    assert_eq!(
        state.timeline.focus().unwrap().label,
        "shop/deploy/checkout"
    );
    let texts = timeline_texts(&state);
    assert_eq!(
        texts.len(),
        2,
        "cart's revision is not checkout's: {texts:?}"
    );
    let (first, changes) = state.timeline.answer().unwrap();
    assert_eq!(first.kind, opsdeck::model::timeline::EntryKind::AlertFiring);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].text.starts_with("r2→r3"), "{}", changes[0].text);

    // Esc: the whole scope; T again: the logs back.
    state.handle(Action::Back);
    assert_eq!(state.timeline.visible_len(), 3);
    state.handle(Action::ToggleTimeline);
    assert!(!state.timeline.shown);
    assert_eq!(state.ui.focus, Pane::Logs);
    // `:timeline` focuses it again.
    assert_eq!(
        Action::from_command_line("timeline"),
        Ok(Action::FocusTimeline)
    );
}

// `:export`: the incident report for the incident doc.

/// A ReplicaSet of checkout at `revision` whose template runs `image` with `env`.
fn checkout_revision(
    hash: &str,
    revision: u64,
    mins_ago: i64,
    image: &str,
    env: &str,
) -> RevisionInfo {
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"namespace": "shop", "name": format!("checkout-{hash}"),
            "creationTimestamp": (now() - jiff::SignedDuration::from_mins(mins_ago)).to_string(),
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string()},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout",
                "uid": "uid-checkout", "controller": true}]},
        "spec": {"replicas": 2, "selector": {}, "template": {"spec": {"containers": [
            {"name": "app", "image": image,
             "env": [{"name": "DB_PASSWORD", "value": env}, {"name": "LOG_LEVEL", "value": env}]}
        ]}}}
    }))
    .unwrap();
    RevisionInfo::from_replica_set(&rs)
}

#[test]
fn the_incident_report_holds_alerts_pods_rollouts_timeline_and_actions_without_secrets() {
    let mut state = cluster(Some("shop"));
    let scope = state.scope;
    let change = RolloutChange::RevisionsListed(
        RevisionSource::ReplicaSet,
        vec![
            checkout_revision("1111", 1, 600, "shop/checkout:1.4.2", "info"),
            checkout_revision("2222", 2, 12, "shop/checkout:1.5.0", "debug"),
            replica_set("shop", "cart", "5c4b"),
        ],
    );
    state.apply(Update::RolloutsChanged { scope, change });
    let mut crashed = pod("shop", "checkout-7d9f-b", "checkout-7d9f");
    crashed.status = "CrashLoopBackOff".into();
    crashed.health = opsdeck::model::pod::Health::Failed;
    crashed.ready = 0;
    crashed.total = 1;
    crashed.restarts = 4;
    crashed.last_exit = Some("OOMKilled (exit 137)".into());
    crashed.last_restart = Some(now() - jiff::SignedDuration::from_mins(2));
    crashed.node = "worker-2".into();
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(crashed),
    });
    // An event whose text carries a secret (redacted like the logs), with a pipe.
    state.apply(Update::TimelineEntry {
        scope,
        entry: Box::new(opsdeck::model::timeline::Entry {
            at: now() - jiff::SignedDuration::from_mins(3),
            kind: opsdeck::model::timeline::EntryKind::Warning,
            namespace: "shop".into(),
            object: "pod/checkout-7d9f-b".into(),
            text: "Unhealthy: probe failed | GET /health?token=s3cr3t".into(),
            count: 14,
            key: "event:uid-1".into(),
            workload: None,
        }),
    });
    let mut alerts = vec![incident().remove(1)];
    alerts.push(firing(
        "GhostDown",
        "warning",
        &[("namespace", "shop"), ("deployment", "ghost")],
    ));
    fetch(&mut state, alerts);
    let victim = delete_selected_pod(&mut state, "pod deleted");
    assert_eq!(victim, "checkout-7d9f-b", "the failed pod sorts first");

    let report = state.incident_report();
    assert!(!report.contains("s3cr3t"), "{report}");
    // A credential-looking variable's value is masked (its change does not show either).
    let password = report.lines().filter(|l| l.contains("DB_PASSWORD"));
    assert!(
        password
            .clone()
            .all(|l| !l.contains("info") && !l.contains("debug")),
        "{report}"
    );
    let level = report
        .lines()
        .find(|l| l.contains("LOG_LEVEL"))
        .expect(&report);
    assert!(level.contains("info") && level.contains("debug"), "{level}");
    insta::assert_snapshot!(report);
    assert_eq!(
        state.export_file_name(),
        "opsdeck-incident-prod-eu-1-20261123T120000Z.md"
    );
    // `:export` hands the same report to the supervisor, to the default file name.
    let effects = state.handle(Action::Export(None));
    let [Effect::Export { path, contents }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        path.to_str(),
        Some("opsdeck-incident-prod-eu-1-20261123T120000Z.md")
    );
    assert_eq!(contents, &report);
    assert_eq!(
        Action::from_command_line("export /tmp/x.md"),
        Ok(Action::Export(Some("/tmp/x.md".into())))
    );
    // The written file's path (or the reason it was not) goes to the status line.
    state.apply(Update::ExportWritten {
        path: "/nope/x.md".into(),
        result: Err("No such file or directory (os error 2)".into()),
    });
    let status = state.ui.status.clone().unwrap();
    assert_eq!(
        status.text,
        "export: /nope/x.md: No such file or directory (os error 2)"
    );
}

#[test]
fn slash_on_the_rollouts_pane_filters_the_rollouts_not_the_pods() {
    let mut state = cluster(None);
    state.handle(Action::FocusRollouts);
    state.handle(Action::Filter);
    for c in "cart".chars() {
        state.handle(Action::InsertChar(c));
    }
    state.handle(Action::InputAccept);
    assert_eq!(state.rollouts.filter(), "cart");
    assert_eq!(state.rollouts.visible_len(), 1);
    assert_eq!(
        state.rollouts.len(),
        2,
        "the summary still counts every deployment"
    );
    assert_eq!(state.rollouts.selected_row().unwrap().name, "cart");
    assert_eq!(state.pods.filter(), "", "the pods pane is untouched");
    assert_eq!(state.pods.visible_len(), 3);
    // `!` excludes; Esc clears.
    state.handle(Action::Filter);
    state.handle(Action::InputClear);
    for c in "!cart".chars() {
        state.handle(Action::InsertChar(c));
    }
    state.handle(Action::InputAccept);
    assert_eq!(state.rollouts.selected_row().unwrap().name, "checkout");
    state.handle(Action::Back);
    assert_eq!(state.rollouts.visible_len(), 2);
}

#[test]
fn a_workload_s_timeline_leaves_out_a_workload_whose_name_starts_with_it() {
    let mut state = cluster(None);
    let scope = state.scope;
    // checkout-canary: another Deployment whose pods start with "checkout-".
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::RevisionApplied(Box::new(replica_set(
            "shop",
            "checkout-canary",
            "aaaa",
        ))),
    });
    state.apply(Update::RolloutsChanged {
        scope,
        change: RolloutChange::Applied(Box::new(deployment("shop", "checkout-canary"))),
    });
    for (name, rs) in [
        ("checkout-canary-aaaa-x", "checkout-canary-aaaa"),
        ("checkout-7d9f-a", "checkout-7d9f"),
    ] {
        state.apply(Update::PodApplied {
            scope,
            row: Box::new(pod("shop", name, rs)),
        });
        let mut crashed = pod("shop", name, rs);
        crashed.restarts = 1;
        crashed.last_restart = Some(now());
        state.apply(Update::PodApplied {
            scope,
            row: Box::new(crashed),
        });
    }
    state.handle(Action::FocusRollouts);
    state.handle(Action::Top);
    while state.rollouts.selected_row().unwrap().name != "checkout" {
        state.handle(Action::Down);
    }
    state.handle(Action::ToggleTimeline);
    assert_eq!(
        timeline_texts(&state),
        ["restart shop/pod/checkout-7d9f-a restarted: Running"]
    );
}

// CPU and memory from metrics.k8s.io.

#[test]
fn usage_polls_fill_the_pods_and_an_oom_killed_pod_keeps_its_last_figures() {
    use opsdeck::model::usage::Usage;
    let mut state = cluster(None);
    let scope = state.scope;
    let key = |n: &str| ("shop".to_string(), n.to_string());
    let used = |cpu_m, mem_b| Usage { cpu_m, mem_b };
    assert!(!state.pods.usage_served);
    let first = vec![
        (key("checkout-7d9f-a"), used(120, 200 << 20)),
        (key("cart-5c4b-a"), used(10, 50 << 20)),
    ];
    assert!(state.apply(Update::UsageFetched {
        scope,
        usage: Some(first)
    }));
    assert!(state.pods.usage_served);
    assert_eq!(
        state.pods.usage("shop", "checkout-7d9f-a"),
        Some((used(120, 200 << 20), false))
    );
    // checkout-7d9f-a is OOM-killed: metrics-server leaves it out; cart is simply gone from it.
    let mut killed = pod("shop", "checkout-7d9f-a", "checkout-7d9f");
    killed.last_exit = Some("OOMKilled (exit 137)".into());
    state.apply(Update::PodApplied {
        scope,
        row: Box::new(killed),
    });
    assert!(state.apply(Update::UsageFetched {
        scope,
        usage: Some(vec![])
    }));
    assert_eq!(
        state.pods.usage("shop", "checkout-7d9f-a"),
        Some((used(120, 200 << 20), true))
    );
    assert_eq!(state.pods.usage("shop", "cart-5c4b-a"), None);
    // The same answer again changes nothing; an API that is not served clears the columns.
    assert!(!state.apply(Update::UsageFetched {
        scope,
        usage: Some(vec![])
    }));
    assert!(state.apply(Update::UsageFetched { scope, usage: None }));
    assert!(!state.pods.usage_served);
    assert_eq!(state.pods.usage("shop", "checkout-7d9f-a"), None);
}
