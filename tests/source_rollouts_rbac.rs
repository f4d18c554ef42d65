//! A user who may watch Deployments and ReplicaSets but not StatefulSets, DaemonSets or
//! ControllerRevisions (a namespace-scoped role written before opsdeck showed them): the
//! rollouts source stays live with the Deployments, and the forbidden kinds are left out,
//! against a small fake API server.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use opsdeck::cluster::ClusterConfig;
use opsdeck::model::rollout::{RolloutChange, WorkloadKind};
use opsdeck::sources::{RolloutWatcher, Watch};
use opsdeck::update::{SourceHealth, SourceId, Update};
use tokio::sync::mpsc;

/// Lists (empty) and watches (held open) of the `allowed` resources; 403 for the others.
async fn list_or_watch(
    State(allowed): State<&'static [&'static str]>,
    Path(resource): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !allowed.contains(&resource.as_str()) {
        let forbidden = serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
            "code": 403,
            "message": format!("{resource}.apps is forbidden: User \"dev\" cannot list resource \"{resource}\" in API group \"apps\" at the cluster scope"),
        });
        return (StatusCode::FORBIDDEN, Json(forbidden)).into_response();
    }
    if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let quiet = futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
        return Body::from_stream(quiet).into_response();
    }
    let kind = if resource == "deployments" {
        "DeploymentList"
    } else {
        "ReplicaSetList"
    };
    Json(serde_json::json!({
        "kind": kind, "apiVersion": "apps/v1", "metadata": {"resourceVersion": "7"}, "items": []
    }))
    .into_response()
}

async fn fake_api(allowed: &'static [&'static str]) -> String {
    let app = axum::Router::new()
        .route("/apis/apps/v1/{resource}", get(list_or_watch))
        .route(
            "/version",
            get(|| async {
                Json(serde_json::json!({"major": "1", "minor": "30", "gitVersion": "v1.30.0"}))
            }),
        );
    let app = app.with_state(allowed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn forbidden_sets_leave_the_deployments_live() {
    let server = fake_api(&["deployments", "replicasets"]).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::exec::write_kubeconfig(dir.path(), &server, "dev");
    let (tx, mut rx) = mpsc::channel(64);
    let watcher = RolloutWatcher {
        watch: Watch {
            cluster: ClusterConfig {
                kubeconfig: Some(kubeconfig),
            },
            context: Some("test".into()),
            namespace: None,
            scope: 1,
            tx,
            links: Default::default(),
        },
    };
    let task = tokio::spawn(watcher.run());
    let next = async |rx: &mut mpsc::Receiver<Update>, within: Duration| {
        tokio::time::timeout(within, rx.recv()).await.ok().flatten()
    };
    let (mut listed, mut live) = (false, false);
    while !(listed && live) {
        match next(&mut rx, Duration::from_secs(10)).await {
            Some(Update::RolloutsChanged {
                change: RolloutChange::Listed(WorkloadKind::Deployment, d),
                ..
            }) => listed = d.is_empty(),
            Some(Update::SourceHealth {
                source: SourceId::Rollouts,
                health,
                ..
            }) => {
                assert!(
                    matches!(health, SourceHealth::Live | SourceHealth::Connecting),
                    "{health:?}"
                );
                live |= health == SourceHealth::Live;
            }
            Some(_) => {}
            None => panic!("no Deployment list and live source within 10 s"),
        }
    }
    // And it stays live, without tearing the watch down and listing again and again: the
    // forbidden kinds are left out once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut relists = 0;
    while tokio::time::Instant::now() < deadline {
        match next(&mut rx, Duration::from_millis(500)).await {
            Some(Update::SourceHealth {
                source: SourceId::Rollouts,
                health,
                ..
            }) => assert_eq!(
                health,
                SourceHealth::Live,
                "the rollouts source went {health:?}"
            ),
            Some(Update::RolloutsChanged {
                change: RolloutChange::Listed(WorkloadKind::Deployment, _),
                ..
            }) => relists += 1,
            _ => {}
        }
    }
    assert_eq!(
        relists, 0,
        "the Deployments were listed again: the watch was torn down"
    );
    task.abort();
}

/// ReplicaSets refused (the rollouts pane cannot do without them): the watch lists the
/// Deployments and fails at once, again and again. It must back off and say so, not relist
/// in a loop while the header says live.
#[tokio::test]
async fn a_watch_that_lists_then_fails_at_once_backs_off_and_goes_stale() {
    let server = fake_api(&[
        "deployments",
        "statefulsets",
        "daemonsets",
        "controllerrevisions",
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::exec::write_kubeconfig(dir.path(), &server, "dev");
    let (tx, mut rx) = mpsc::channel(64);
    let watcher = RolloutWatcher {
        watch: Watch {
            cluster: ClusterConfig {
                kubeconfig: Some(kubeconfig),
            },
            context: Some("test".into()),
            namespace: None,
            scope: 1,
            tx,
            links: Default::default(),
        },
    };
    let task = tokio::spawn(watcher.run());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    let (mut lists, mut stale) = (0, false);
    while let Ok(Some(update)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        match update {
            Update::RolloutsChanged {
                change: RolloutChange::Listed(WorkloadKind::Deployment, _),
                ..
            } => lists += 1,
            Update::SourceHealth {
                source: SourceId::Rollouts,
                health: SourceHealth::Reconnecting { reason, .. },
                ..
            } => {
                assert!(reason.contains("forbidden"), "{reason}");
                stale = true;
            }
            _ => {}
        }
    }
    task.abort();
    assert!(stale, "the header never said the rollouts are stale");
    // Rebuilds at once, then after 2 s, 4 s: a handful of lists in 8 s, not hundreds.
    assert!((1..=4).contains(&lists), "{lists} Deployment lists in 8 s");
}
