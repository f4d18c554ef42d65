//! Rollout rows, revision history and template diffs from realistic Deployment + ReplicaSet
//! fixtures (`kubectl get deploy,rs -o json` lists) at a fixed "now".

use std::path::Path;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use opsdeck::model::rollout::{
    DiffKind, EnvValue, ManagedBy, RevisionInfo, RolloutRow, RolloutState, WorkloadInfo, history,
    previous_revision, template_diff,
};

const NOW: &str = "2026-11-23T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// The Deployment (the first one in the list) and every ReplicaSet of a fixture.
fn load(name: &str) -> (Deployment, Vec<ReplicaSet>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rollouts")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    let items = list["items"].as_array().unwrap();
    let d = items.iter().find(|i| i["kind"] == "Deployment").unwrap();
    let d = serde_json::from_value(d.clone()).unwrap();
    let rss = items
        .iter()
        .filter(|i| i["kind"] == "ReplicaSet")
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    (d, rss)
}

fn infos(name: &str) -> (WorkloadInfo, Vec<RevisionInfo>) {
    let (d, rss) = load(name);
    (
        WorkloadInfo::from_deployment(&d),
        rss.iter().map(RevisionInfo::from_replica_set).collect(),
    )
}

fn row(name: &str) -> RolloutRow {
    let (d, rss) = load(name);
    RolloutRow::from_objects(&d, &rss)
}

#[test]
fn complete_rollout_row() {
    let r = row("complete");
    assert_eq!((r.namespace.as_str(), r.name.as_str()), ("shop", "api"));
    assert_eq!(r.revision, 3);
    assert_eq!(r.state, RolloutState::Complete);
    assert_eq!((r.desired, r.updated, r.ready, r.available), (3, 3, 3, 3));
    // The newest ReplicaSet was created 45 minutes ago; the canary's RS is not ours.
    assert_eq!(r.age_text(now()), "45m");
    assert_eq!(
        r.summary,
        "api: image app:1.4.2 → app:1.5.0, limits.cpu 500m → 1, readiness probe changed, \
         env ~LOG_LEVEL +FEATURE_X +API_TOKEN"
    );
}

#[test]
fn states_as_kubectl_rollout_status_judges_them() {
    let cases = [
        ("complete", RolloutState::Complete),
        ("progressing", RolloutState::Progressing),
        ("stalled", RolloutState::Stalled),
        ("paused", RolloutState::Paused),
        ("scaled-to-zero", RolloutState::ScaledToZero),
        ("restarted", RolloutState::Complete),
    ];
    for (fixture, state) in cases {
        assert_eq!(row(fixture).state, state, "{fixture}");
    }
}

#[test]
fn mid_rollout_row_counts_and_summary() {
    let r = row("progressing");
    assert_eq!((r.desired, r.updated, r.ready, r.available), (4, 2, 3, 3));
    assert_eq!(r.revision, 7);
    assert_eq!(r.age_text(now()), "90s");
    assert_eq!(r.summary, "web: args changed");
}

#[test]
fn restart_and_initial_revision_summaries() {
    assert_eq!(row("restarted").summary, "rollout restart");
    assert_eq!(row("scaled-to-zero").summary, "initial revision");
    assert_eq!(
        row("stalled").summary,
        "payments: image payments:2.0.3 → payments:2.1.0-rc1"
    );
}

#[test]
fn history_is_newest_first_with_change_cause_and_current_mark() {
    let (d, rss) = infos("complete");
    let refs: Vec<&RevisionInfo> = rss.iter().collect();
    let h = history(&d, &refs);
    let revs: Vec<u64> = h.iter().map(|r| r.revision).collect();
    assert_eq!(
        revs,
        [3, 2, 1],
        "the canary's ReplicaSet (revision 5) is not ours"
    );
    assert!(h[0].current && !h[1].current);
    assert_eq!(h[0].replica_set, "api-7f6d5c4b3");
    assert_eq!(h[0].images, ["registry.example.com/shop/app:1.5.0"]);
    assert_eq!(h[0].age_text(now()), "45m");
    assert_eq!(h[0].replicas, 3);
    assert_eq!(
        h[1].change_cause.as_deref(),
        Some("kubectl set image deployment/api api=app:1.4.2")
    );
    assert_eq!(h[0].change_cause, None);
    assert_eq!(previous_revision(&d, &refs), Some(2));
}

#[test]
fn template_diff_covers_images_env_resources_probes() {
    let (d, rss) = infos("complete");
    let rev2 = rss.iter().find(|r| r.revision == Some(2)).unwrap();
    // Undo to revision 2: from the current template to revision 2's.
    let lines: Vec<String> = template_diff(&d.template, &rev2.template)
        .iter()
        .map(|l| l.text())
        .collect();
    assert_eq!(
        lines,
        [
            "~ api image: registry.example.com/shop/app:1.5.0 → registry.example.com/shop/app:1.4.2",
            "~ api env LOG_LEVEL: \"debug\" → \"info\"",
            "- api env FEATURE_X: \"on\"",
            "- api env API_TOKEN: •••",
            "~ api limits.cpu: 1 → 500m",
            "~ api readiness probe: http-get :8080/ready delay=5s timeout=1s period=10s #failure=3 → \
             http-get :8080/healthz delay=5s timeout=1s period=10s #failure=3",
        ]
    );
}

#[test]
fn secrets_never_show_their_values() {
    let (d, _) = infos("complete");
    let env = &d.template.containers[0].env;
    let get = |n: &str| env.iter().find(|(k, _)| k == n).unwrap().1.clone();
    assert_eq!(
        get("DB_PASSWORD"),
        EnvValue::From("secret shop-db/password".into())
    );
    assert_eq!(get("DB_PASSWORD").text(), "<from secret shop-db/password>");
    // A literal value under a credential-looking name is masked too.
    assert_eq!(get("API_TOKEN"), EnvValue::Masked);
    assert_eq!(get("LOG_LEVEL"), EnvValue::Literal("debug".into()));
    let all = format!("{:?}", d.template);
    assert!(!all.contains("s3cr3t"), "{all}");
}

#[test]
fn template_diff_ignores_the_pod_template_hash() {
    let (d, rss) = infos("complete");
    let rev3 = rss.iter().find(|r| r.revision == Some(3)).unwrap();
    assert!(template_diff(&d.template, &rev3.template).is_empty());
    assert_eq!(d.template.fingerprint, rev3.template.fingerprint);
    let rev2 = rss.iter().find(|r| r.revision == Some(2)).unwrap();
    assert_ne!(d.template.fingerprint, rev2.template.fingerprint);
}

#[test]
fn restart_diff_is_the_restarted_at_annotation() {
    let (d, rss) = infos("restarted");
    let rev1 = rss.iter().find(|r| r.revision == Some(1)).unwrap();
    let diff = template_diff(&d.template, &rev1.template);
    assert_eq!(diff.len(), 1);
    assert_eq!(diff[0].kind(), DiffKind::Removed);
    assert_eq!(diff[0].text(), "- pod restartedAt: 2026-11-23T11:30:00Z");
}

#[test]
fn gitops_and_apply_markers() {
    let managed = |f: &str| infos(f).0.managed_by;
    assert_eq!(
        managed("stalled"),
        Some(ManagedBy::ArgoCd("payments-prod".into()))
    );
    assert_eq!(managed("paused"), Some(ManagedBy::Flux("jobs".into())));
    assert_eq!(managed("complete"), Some(ManagedBy::KubectlApply));
    assert_eq!(managed("progressing"), None);
    assert!(ManagedBy::ArgoCd("x".into()).warning().contains("Argo CD"));
}

#[test]
fn stalled_keeps_the_condition_message() {
    let (d, _) = infos("stalled");
    assert_eq!(
        d.stalled.as_deref(),
        Some("ReplicaSet \"payments-5f9c8d7b6\" has timed out progressing.")
    );
    assert_eq!((d.resource_version.as_str(), d.generation), ("48213", 4));
}

#[test]
fn after_a_rollback_the_row_shows_the_rollback_and_keeps_the_newest_change_time() {
    // `kubectl rollout undo --to-revision=1`: revision 1's ReplicaSet becomes revision 4.
    let (mut d, mut rss) = infos("complete");
    let rev1 = rss.iter_mut().find(|r| r.revision == Some(1)).unwrap();
    rev1.revision = Some(4);
    d.template = rev1.template.clone();
    d.revision = 4;
    let refs: Vec<&RevisionInfo> = rss.iter().collect();
    let r = RolloutRow::build(&d, &refs);
    assert_eq!(r.revision, 4);
    assert_eq!(
        r.age_text(now()),
        "45m",
        "the newest ReplicaSet, not revision 4's"
    );
    assert!(
        r.summary.starts_with("api: image app:1.5.0 → app:1.4.1"),
        "{}",
        r.summary
    );
    assert_eq!(history(&d, &refs)[0].revision, 4);
    assert_eq!(previous_revision(&d, &refs), Some(3));
}
