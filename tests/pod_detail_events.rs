//! The pod detail says when its events could not be listed, instead of showing "<none>": the
//! executor against a small fake API that serves the pod and refuses its events, then the
//! detail drawn from what came back.

mod common;

use std::path::Path;
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::routing::get;
use opsdeck::command::{Command, CommandRequest, Target};
use opsdeck::model::event::DescribedPod;
use opsdeck::state::ui::Overlay;
use opsdeck::update::Update;

const NAMESPACE: &str = "default";
const POD: &str = "web-7d4b9c8f6d-x2x9q";

/// A Kubernetes API that serves one pod and answers 403 to listing events.
async fn fake_api() -> String {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pods/running-ready.json");
    let pod: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let forbidden = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
        "code": 403,
        "message": "events is forbidden: User \"dev\" cannot list resource \"events\" in namespace \"default\"",
    });
    let app = axum::Router::new()
        .route(
            &format!("/api/v1/namespaces/{NAMESPACE}/pods/{POD}"),
            get(move || async move { Json(pod) }),
        )
        .route(
            &format!("/api/v1/namespaces/{NAMESPACE}/events"),
            get(move || async move { (StatusCode::FORBIDDEN, Json(forbidden)) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn load_detail(kubeconfig: &Path, target: Target) -> DescribedPod {
    let (cmd_tx, mut rx) = common::exec::start_executor(kubeconfig);
    let command = Command::LoadPodDetail { target };
    cmd_tx
        .send(CommandRequest {
            id: 1,
            command,
            incident: None,
        })
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await.expect("executor stopped") {
                Update::PodDetailLoaded(detail) => return *detail,
                Update::CommandFinished { outcome, .. } => panic!("no detail: {outcome:?}"),
                _ => {}
            }
        }
    })
    .await
    .expect("no detail within 20 s")
}

#[tokio::test]
async fn events_that_cannot_be_listed_are_said_in_the_pod_detail() {
    let server = fake_api().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::exec::write_kubeconfig(dir.path(), &server, "dev");
    let target = Target {
        context: "test".into(),
        namespace: NAMESPACE.into(),
        name: POD.into(),
    };
    let detail = load_detail(&kubeconfig, target.clone()).await;
    let why = detail.events_error.clone().expect("the events error");
    assert!(why.contains("events is forbidden"), "{why}");
    assert!(detail.events.is_empty());

    let mut state = common::live_state();
    state.ui.overlay = Overlay::PodDetail {
        target,
        detail: None,
        scroll: Default::default(),
    };
    assert!(state.apply(Update::PodDetailLoaded(Box::new(detail))));
    let screen = format!("{:?}", common::draw(&state, 160, 45).backend());
    assert!(
        screen.contains("cannot list events: events is forbidden"),
        "{screen}"
    );
    assert!(!screen.contains("<none>"), "{screen}");
}
