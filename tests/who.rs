//! Silences and audit records name the person, not "opsdeck", also when `$USER` is unset:
//! the configured name, else the kubeconfig user of the context, else the local user from the
//! password database.

mod common;

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use common::tmux::Tmux;
use opsdeck::cli::Cli;
use opsdeck::launch::options;

/// `id -un`: the password database's name for the user running the tests.
fn login_name() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn created_by(dir: &Path, kubeconfig: &Path, config: &str) -> String {
    let config_file = dir.join("config.toml");
    std::fs::write(&config_file, config).unwrap();
    let cli = Cli::parse_from([
        "opsdeck",
        "--kubeconfig",
        &kubeconfig.display().to_string(),
        "--config",
        &config_file.display().to_string(),
    ]);
    options(&cli.common).unwrap().alerts.created_by
}

#[test]
fn silences_are_created_by_the_configured_name_else_the_kubeconfig_user_else_the_local_user() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = common::exec::write_kubeconfig(dir.path(), "http://127.0.0.1:9", "alice@corp");
    assert_eq!(created_by(dir.path(), &kubeconfig, ""), "alice@corp");
    let named = "[alerts]\ncreated_by = \"oncall-bob\"\n";
    assert_eq!(created_by(dir.path(), &kubeconfig, named), "oncall-bob");
    let nowhere = dir.path().join("no-kubeconfig");
    assert_eq!(created_by(dir.path(), &nowhere, ""), login_name());
}

#[test]
fn without_user_in_the_environment_the_silence_form_and_the_audit_log_name_the_local_user() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let audit = dir.path().join("audit.log");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[safety]\naudit_log = \"{}\"\n", audit.display()),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_opsdeck");
    let cmd = format!(
        "env -u USER -u LOGNAME HOME={home} XDG_STATE_HOME={home} TERM=xterm-256color \
         {bin} --log-file {log} --config {config} --readonly demo --pods 30",
        home = home.display(),
        log = dir.path().join("opsdeck.log").display(),
        config = config.display(),
    );
    let tmux = Tmux::start("who", 160, 45, &cmd);
    let wait = Duration::from_secs(40);
    tmux.wait_for("firing alerts", wait, |s| {
        s.contains("firing") && s.contains("k8s live")
    });
    let me = login_name();
    // The silence form is filled in with the person's name.
    tmux.keys(&["3"]);
    tmux.keys(&["s"]);
    tmux.wait_for("the silence form", wait, |s| s.contains("created by"));
    let screen = tmux.screen();
    let line = screen
        .lines()
        .find(|l| l.contains("created by"))
        .unwrap_or_default();
    assert!(line.contains(&format!("created by {me}")), "{line}");
    assert!(!line.contains("opsdeck"), "{line}");
    tmux.keys(&["Escape"]);
    // A refused restart (read-only) is audited with the local user.
    tmux.keys(&["1"]);
    tmux.keys(&["r"]);
    tmux.wait_for("the confirm dialog", wait, |s| s.contains("y confirm"));
    tmux.keys(&["y"]);
    tmux.wait_for("the refusal", wait, |s| {
        s.contains("read-only mode: refused")
    });
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(15));
    let record = std::fs::read_to_string(&audit).unwrap();
    let record: serde_json::Value = serde_json::from_str(record.lines().next().unwrap()).unwrap();
    assert_eq!(record["local_user"], me.as_str(), "{record}");
    assert_eq!(record["result"], "refused", "{record}");
}
