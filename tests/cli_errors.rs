//! Mistakes of the user's are one clear line, not a developer report: the real binary with a
//! bad config, a bad flag, a malformed kubeconfig; exit status 2; no colour when stderr is a
//! pipe. Other failures are one line too (status 1), the details in the log file.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

struct Run {
    status: i32,
    stderr: String,
}

/// Run opsdeck with `args` and a private HOME, without a controlling terminal (so that it can
/// never take over the terminal running the tests).
fn opsdeck(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args([
        "--log-file",
        &home.join("opsdeck.log").display().to_string(),
    ])
    .args(args)
    .env("HOME", home)
    .env("XDG_CONFIG_HOME", home.join(".config"))
    .env("XDG_STATE_HOME", home.join(".state"))
    .env_remove("KUBECONFIG")
    .env_remove("NO_COLOR")
    .envs(env.iter().copied())
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; it only detaches the child from our terminal.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.output().expect("run opsdeck");
    Run {
        status: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exactly one line, `opsdeck: ` first, no escape sequences, none of the developer report.
fn assert_one_line(run: &Run, starts: &str) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "not one line:\n{}", run.stderr);
    assert!(
        lines[0].starts_with(starts),
        "expected {starts:?}…, got {:?}",
        lines[0]
    );
    assert!(
        !run.stderr.contains('\x1b'),
        "colour on a pipe: {:?}",
        run.stderr
    );
    for report in ["Location:", "Backtrace", "RUST_BACKTRACE", "src/"] {
        assert!(!run.stderr.contains(report), "{report} in {:?}", run.stderr);
    }
}

#[test]
fn a_bad_config_file_is_one_line_naming_file_line_and_key_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("bad.toml");
    std::fs::write(&config, "[ui]\ntheme = \"default\"\nmax_fps = \"fast\"\n").unwrap();
    let run = opsdeck(
        home.path(),
        &["--config", &config.display().to_string()],
        &[("RUST_BACKTRACE", "1")],
    );
    assert_one_line(
        &run,
        &format!("opsdeck: {}:3: ui.max_fps: ", config.display()),
    );
    assert_eq!(run.status, 2);
}

#[test]
fn an_unknown_flag_is_one_line_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let run = opsdeck(home.path(), &["--colour-me-pink"], &[]);
    assert_one_line(&run, "opsdeck: unexpected argument '--colour-me-pink'");
    assert_eq!(run.status, 2);
}

#[test]
fn a_bad_url_flag_and_a_missing_secret_are_one_line_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let run = opsdeck(home.path(), &["--prometheus-url", "not a url"], &[]);
    assert_one_line(&run, "opsdeck: --prometheus-url: invalid URL");
    assert_eq!(run.status, 2);

    let config = home.path().join("auth.toml");
    std::fs::write(
        &config,
        "[alerts]\nprometheus_url = \"http://127.0.0.1:9\"\n\n[alerts.auth]\nbearer_token_env = \"OPSDECK_TEST_UNSET_TOKEN\"\n",
    )
    .unwrap();
    let run = opsdeck(
        home.path(),
        &["--config", &config.display().to_string()],
        &[],
    );
    assert_one_line(
        &run,
        &format!(
            "opsdeck: {}:5: alerts.auth.bearer_token_env: environment variable OPSDECK_TEST_UNSET_TOKEN is not set",
            config.display()
        ),
    );
    assert_eq!(run.status, 2);
}

#[test]
fn a_malformed_kubeconfig_is_named_not_taken_for_not_in_a_cluster() {
    let home = tempfile::tempdir().unwrap();
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).unwrap();
    let config = kube.join("config");
    std::fs::write(&config, "apiVersion: v1\nclusters: [\n  - name: x\n").unwrap();
    // Found through ~/.kube/config.
    let run = opsdeck(home.path(), &[], &[]);
    assert_one_line(
        &run,
        &format!("opsdeck: {}: not a valid kubeconfig: ", config.display()),
    );
    assert!(!run.stderr.contains("not in a cluster"), "{}", run.stderr);
    assert_eq!(run.status, 2);
    // Through $KUBECONFIG.
    let other = home.path().join("other-config");
    std::fs::write(&other, "apiVersion: v1\nclusters: [\n").unwrap();
    let run = opsdeck(
        home.path(),
        &[],
        &[("KUBECONFIG", &other.display().to_string())],
    );
    assert_one_line(
        &run,
        &format!("opsdeck: {}: not a valid kubeconfig: ", other.display()),
    );
    assert_eq!(run.status, 2);
    // --kubeconfig naming a file that does not exist.
    let missing = home.path().join("missing");
    let run = opsdeck(
        home.path(),
        &["--kubeconfig", &missing.display().to_string()],
        &[],
    );
    assert_one_line(
        &run,
        &format!("opsdeck: {}: cannot read: ", missing.display()),
    );
    assert_eq!(run.status, 2);
}

#[test]
fn other_failures_are_one_line_with_the_details_in_the_log_file_and_exit_1() {
    // No kubeconfig at all, and no terminal to draw on.
    let home = tempfile::tempdir().unwrap();
    let run = opsdeck(home.path(), &[], &[("RUST_BACKTRACE", "1")]);
    let log = home.path().join("opsdeck.log");
    assert_one_line(&run, "opsdeck: cannot set up the terminal: ");
    assert!(
        run.stderr
            .trim_end()
            .ends_with(&format!("(details in {})", log.display())),
        "{}",
        run.stderr
    );
    assert_eq!(run.status, 1);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("cannot set up the terminal"), "{logged}");
    assert!(!logged.contains('\x1b'), "colour in the log file");
}
