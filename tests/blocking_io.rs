//! File I/O never runs on the async worker threads: with the audit log or the kubeconfig being
//! a FIFO nobody has opened yet (an extreme slow disk), a single-threaded runtime keeps
//! running other tasks until the file opens. Done in the task itself, the runtime would freeze.

mod common;

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use opsdeck::cluster::ClusterConfig;
use opsdeck::command::{Command, CommandRequest, Target};
use opsdeck::exec::Executor;
use opsdeck::exec::audit::AuditLog;
use opsdeck::update::{Outcome, Update};
use tokio::sync::mpsc;

/// How long the FIFO stays unopened by its other end.
const STALL: Duration = Duration::from_millis(1500);

fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    path
}

fn single_threaded() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A task ticking every 20 ms on the current runtime; the count of its ticks.
fn ticker() -> Arc<AtomicUsize> {
    let ticks = Arc::new(AtomicUsize::new(0));
    let counter = ticks.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    ticks
}

#[test]
fn an_audit_log_that_blocks_does_not_freeze_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let audit = fifo(dir.path(), "audit.log");
    let reader = {
        let audit = audit.clone();
        std::thread::spawn(move || {
            std::thread::sleep(STALL);
            let mut text = String::new();
            std::fs::File::open(&audit)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    let (outcome, ticks_while_stalled) = single_threaded().block_on(async {
        let ticks = ticker();
        let (tx, mut rx) = mpsc::channel(16);
        let (cmd_tx, cmd_rx) = mpsc::channel(4);
        let executor = Executor {
            cluster: ClusterConfig::default(),
            readonly: true,
            audit: Some(AuditLog { path: audit }),
            tx,
            http: None,
            links: Default::default(),
        };
        tokio::spawn(executor.run(cmd_rx));
        let target = Target {
            context: "prod".into(),
            namespace: "shop".into(),
            name: "web-1".into(),
        };
        let command = Command::DeletePod { target };
        cmd_tx
            .send(CommandRequest {
                id: 1,
                command,
                incident: None,
            })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let during = ticks.load(Ordering::SeqCst);
        let outcome = loop {
            if let Some(Update::CommandFinished { outcome, .. }) = rx.recv().await {
                break outcome;
            }
        };
        (outcome, during)
    });
    assert!(
        ticks_while_stalled >= 20,
        "the runtime froze while the audit log was being opened: {ticks_while_stalled} ticks in 1 s"
    );
    assert!(matches!(outcome, Outcome::Refused(_)), "{outcome:?}");
    let written = reader.join().unwrap();
    assert!(written.contains("\"result\":\"refused\""), "{written}");
    assert_eq!(written.lines().count(), 1, "{written}");
}

#[test]
fn a_kubeconfig_that_blocks_does_not_freeze_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let real = common::exec::write_kubeconfig(dir.path(), "http://127.0.0.1:9", "me");
    let text = std::fs::read(&real).unwrap();
    let kubeconfig = fifo(dir.path(), "kubeconfig-fifo");
    let writer = {
        let kubeconfig = kubeconfig.clone();
        std::thread::spawn(move || {
            std::thread::sleep(STALL);
            std::fs::OpenOptions::new()
                .write(true)
                .open(&kubeconfig)
                .unwrap()
                .write_all(&text)
                .unwrap();
        })
    };
    let cluster = ClusterConfig {
        kubeconfig: Some(kubeconfig),
    };
    let (built, ticks_while_stalled) = single_threaded().block_on(async {
        let ticks = ticker();
        let client = tokio::spawn(async move { cluster.client(None).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let during = ticks.load(Ordering::SeqCst);
        (client.await.unwrap(), during)
    });
    writer.join().unwrap();
    assert!(
        ticks_while_stalled >= 20,
        "the runtime froze while the kubeconfig was being read: {ticks_while_stalled} ticks in 1 s"
    );
    assert!(built.is_ok(), "{built:?}");
}
