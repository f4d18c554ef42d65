//! Credentials written into an alert source URL (`http://user:pass@host/`) authenticate the
//! requests, and appear nowhere else: not on screen (alert source labels, status line, silence
//! form), not in the log file, not in the audit log, not in a config error. The real binary
//! (`demo`) against a small fake Alertmanager that insists on basic auth, plus a dead one.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use common::tmux::Tmux;

const SECRETS: [&str; 4] = ["s3cr3t-pw", "hunter2-pw", "alice:", "bob:"];
/// `Basic base64("alice:s3cr3t-pw")`.
const ALICE: &str = "Basic YWxpY2U6czNjcjN0LXB3";

#[derive(Default)]
struct Seen {
    authorized: AtomicUsize,
    refused: AtomicUsize,
    silences: AtomicUsize,
}

fn authorized(seen: &Seen, headers: &HeaderMap) -> bool {
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(ALICE);
    let counter = if ok { &seen.authorized } else { &seen.refused };
    counter.fetch_add(1, Ordering::SeqCst);
    ok
}

/// An Alertmanager answering only to alice: the alerts of the fixture, silences created.
async fn fake_alertmanager(seen: Arc<Seen>) -> u16 {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/alerts/alertmanager-v2.json");
    let alerts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let app = axum::Router::new()
        .route(
            "/api/v2/alerts",
            get(
                move |State(seen): State<Arc<Seen>>, headers: HeaderMap| async move {
                    if !authorized(&seen, &headers) {
                        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({})));
                    }
                    (StatusCode::OK, Json(alerts))
                },
            ),
        )
        .route(
            "/api/v2/silences",
            post(
                |State(seen): State<Arc<Seen>>, headers: HeaderMap| async move {
                    if !authorized(&seen, &headers) {
                        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({})));
                    }
                    seen.silences.fetch_add(1, Ordering::SeqCst);
                    (
                        StatusCode::OK,
                        Json(serde_json::json!({"silenceID": "sil-42"})),
                    )
                },
            ),
        )
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret:?}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_credentials_authenticate_and_are_never_shown_or_stored() {
    let seen = Arc::new(Seen::default());
    let port = fake_alertmanager(seen.clone()).await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let log = dir.path().join("opsdeck.log");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\nalertmanager_urls = [\"http://alice:s3cr3t-pw@127.0.0.1:{port}/\", \
             \"http://bob:hunter2-pw@127.0.0.1:{dead_port}\"]\n\
             [safety]\naudit_log = \"{}\"\n",
            audit.display()
        ),
    )
    .unwrap();
    let cmd = format!(
        "HOME={home} XDG_STATE_HOME={home} TERM=xterm-256color {bin} --log-file {log} \
         --config {config} demo --pods 20",
        home = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_opsdeck"),
        log = log.display(),
        config = config.display(),
    );
    let tmux = Tmux::start("urlcreds", 160, 45, &cmd);
    let wait = Duration::from_secs(40);
    let screen = tmux.wait_for("the fake Alertmanager's alert", wait, |s| {
        s.contains("CheckoutDown")
    });
    assert_no_secret("the screen", &screen);
    assert!(seen.authorized.load(Ordering::SeqCst) > 0);
    assert_eq!(
        seen.refused.load(Ordering::SeqCst),
        0,
        "requests without alice's credentials"
    );
    // Let the dead one fail a few times (status, header, log).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_no_secret("the screen", &tmux.screen());

    // Silence the alert: the form names the Alertmanager, the status line the outcome.
    tmux.keys(&["3"]);
    tmux.keys(&["s"]);
    let form = tmux.wait_for("the silence form", wait, |s| s.contains("Silence "));
    assert!(
        form.contains(&format!("on http://127.0.0.1:{port}/")),
        "{form}"
    );
    assert_no_secret("the silence form", &form);
    tmux.keys(&["Down"]);
    tmux.type_text("deploying a fix");
    tmux.keys(&["Enter"]);
    let confirm = tmux.wait_for("the confirmation", wait, |s| s.contains("y confirm"));
    assert_no_secret("the confirmation", &confirm);
    tmux.keys(&["y"]);
    let done = tmux.wait_for("the outcome", wait, |s| s.contains("sil-42"));
    assert_no_secret("the status line", &done);
    assert_eq!(seen.silences.load(Ordering::SeqCst), 1);
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(15));

    let audited = std::fs::read_to_string(&audit).unwrap();
    assert!(audited.contains("sil-42"), "{audited}");
    assert_no_secret("the audit log", &audited);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains(&dead_port.to_string()),
        "the dead source is logged:\n{logged}"
    );
    assert_no_secret("the log file", &logged);
}

/// Run opsdeck with `args` (its config dir in `dir`); its output.
fn run_opsdeck(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--log-file", &dir.join("log").display().to_string()])
        .args(args)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_bad_url_in_the_config_is_reported_without_its_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[alerts]\nalertmanager_urls = [\"htp://alice:s3cr3t-pw@am.example/\"]\n",
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let url_arg = ["--alertmanager-url", "http://bob:hunter2-pw@bad host/"];
    let out = run_opsdeck(
        dir.path(),
        &[&["--config", &config_arg][..], &url_arg].concat(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("***@am.example"), "{stderr}");
    assert_no_secret("the config error", &stderr);
    // The flag too.
    let out = run_opsdeck(dir.path(), &url_arg);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--alertmanager-url"), "{stderr}");
    assert_no_secret("the flag error", &stderr);
}
