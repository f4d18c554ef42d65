//! An access review always gets an answer from the executor, even when it never reached the
//! API: no client can be built, or the server does not answer within the command timeout.
//! Then the answer is `Unknown` (the state retries it later) and the status line stays quiet.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use opsdeck::command::{Command, CommandRequest, Target};
use opsdeck::exec::COMMAND_TIMEOUT;
use opsdeck::model::access::{Access, AccessCheck};
use opsdeck::update::{Outcome, Update};

fn review() -> Command {
    let check = AccessCheck::core("silent", "shop", "delete", "pods");
    let target = Target {
        context: String::new(),
        namespace: "shop".into(),
        name: String::new(),
    };
    Command::ReviewAccess { target, check }
}

/// Run one review; the access it reported and the outcome.
async fn run_review(kubeconfig: &Path) -> (Option<Access>, Outcome) {
    let (cmd_tx, mut rx) = common::exec::start_executor(kubeconfig);
    let request = CommandRequest {
        id: 3,
        command: review(),
        incident: None,
    };
    cmd_tx.send(request).await.unwrap();
    let mut access = None;
    let patience = COMMAND_TIMEOUT + Duration::from_secs(10);
    let outcome = tokio::time::timeout(patience, async {
        loop {
            match rx.recv().await.expect("executor stopped") {
                Update::AccessReviewed { access: a, .. } => access = Some(a),
                Update::CommandFinished { id: 3, outcome } => return outcome,
                _ => {}
            }
        }
    })
    .await
    .expect("no outcome");
    (access, outcome)
}

#[tokio::test]
async fn a_review_without_a_client_answers_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-kubeconfig");
    let (access, outcome) = run_review(&missing).await;
    match access {
        Some(Access::Unknown(reason)) => {
            assert!(reason.contains("no-such-kubeconfig"), "{reason}")
        }
        other => panic!("no Unknown answer: {other:?}"),
    }
    assert_eq!(outcome, Outcome::Quiet, "status line left alone");
}

#[tokio::test]
async fn a_review_the_server_never_answers_answers_unknown_after_the_timeout() {
    // Accepts connections and never says a word.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let server = format!("http://127.0.0.1:{port}");
    let kubeconfig = common::exec::write_kubeconfig(dir.path(), &server, "me");
    let (access, outcome) = run_review(&kubeconfig).await;
    assert!(
        matches!(access, Some(Access::Unknown(_))),
        "no Unknown answer: {access:?}"
    );
    assert_eq!(outcome, Outcome::Quiet);
}
