//! The executor against a test server (a fake API, a silent listener) on 127.0.0.1.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use opsdeck::cluster::ClusterConfig;
use opsdeck::command::CommandRequest;
use opsdeck::exec::Executor;
use opsdeck::update::Update;
use tokio::sync::mpsc;

/// Write `dir/kubeconfig` with one context, `test`, for `server` (e.g. `http://127.0.0.1:PORT`)
/// and the user `user` (a static token).
pub fn write_kubeconfig(dir: &Path, server: &str, user: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n\
         clusters:\n- name: test\n  cluster:\n    server: {server}\n\
         users:\n- name: {user}\n  user:\n    token: abc\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: {user}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// An executor (no audit log, no HTTP client) on `kubeconfig`: where to send commands, and the
/// updates it sends back.
pub fn start_executor(kubeconfig: &Path) -> (mpsc::Sender<CommandRequest>, mpsc::Receiver<Update>) {
    let (tx, rx) = mpsc::channel(16);
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let executor = Executor {
        cluster: ClusterConfig {
            kubeconfig: Some(kubeconfig.to_path_buf()),
        },
        readonly: false,
        audit: None,
        tx,
        http: None,
        links: Default::default(),
    };
    tokio::spawn(executor.run(cmd_rx));
    (cmd_tx, rx)
}
