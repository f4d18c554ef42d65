//! End to end: the real binary in tmux rolls back a StatefulSet from the rollouts pane, and
//! the real kubectl sees the result.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tmux::{Tmux, opsdeck_command};
use opsdeck_sim::{Scenario, SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(30);
const KUBECTL: &str = "/usr/bin/kubectl";

/// kubectl on `kubeconfig`, which must succeed; its stdout.
fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(KUBECTL)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("kubectl is required at /usr/bin/kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The revision numbers of `kubectl rollout history`.
fn history_revisions(kubeconfig: &Path, ns: &str) -> Vec<String> {
    kubectl(
        kubeconfig,
        &["rollout", "history", "-n", ns, "statefulset/kafka"],
    )
    .lines()
    .filter_map(|l| l.split_whitespace().next())
    .filter(|w| w.parse::<u64>().is_ok())
    .map(str::to_string)
    .collect()
}

/// Whether a screen line is the kafka row (KIND `sts`, NAME `kafka`) at `revision` (REV).
fn at_revision(line: &str, revision: u32) -> bool {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect();
    let rev = revision.to_string();
    words
        .windows(3)
        .any(|w| w[0] == "sts" && w[1] == "kafka" && w[2] == rev)
}

/// Poll `f` until it holds (blocking: the simulator runs on other threads).
fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The incident's broker, rolled to a crash-looping revision: focus rollouts, find the
/// StatefulSet, undo, confirm; the API and kubectl agree it is back on revision 1's template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_bad_statefulset_from_the_rollouts_pane() {
    let config = SimConfig {
        scenario: Scenario::Incident,
        churn_per_sec: 0.0,
        log_rate: 0.0,
        ..SimConfig::default()
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();

    // Where kafka is and that it is at the bad revision 2 (kubectl blocks: off the runtime).
    let kc = kubeconfig.clone();
    let ns = tokio::task::spawn_blocking(move || {
        let all = kubectl(&kc, &["get", "sts", "-A", "--no-headers"]);
        let ns = all
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some("kafka"))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no kafka StatefulSet: {all}"))
            .to_string();
        wait_until("kafka at revision 2", WAIT, || {
            history_revisions(&kc, &ns) == ["1", "2"]
        });
        ns
    })
    .await
    .unwrap();
    let image_path = "jsonpath={.spec.template.spec.containers[0].image}";
    let bad = kubectl(
        &kubeconfig,
        &["get", "sts", "kafka", "-n", &ns, "-o", image_path],
    );
    assert!(bad.contains("3.8.1-bad"), "{bad}");

    let args = format!("--kubeconfig {} -A", kubeconfig.display());
    let tmux = Tmux::start("sts-undo", 180, 50, &opsdeck_command(dir.path(), &args));
    tmux.wait_for("the dashboard live", WAIT, |s| s.contains("live"));
    tmux.keys(&["2"]);
    // Zoomed, the pane has room for the NAMESPACE and KIND columns.
    tmux.keys(&["z"]);
    tmux.wait_for("the rollouts pane zoomed", WAIT, |s| {
        s.contains("┌ Rollouts")
            && !s.contains("┌ Pods")
            && s.contains("NAMESPACE")
            && s.contains("KIND")
    });
    tmux.keys(&["/"]);
    tmux.type_text("kafka");
    tmux.keys(&["Enter"]);
    // The row: namespace, KIND sts, name kafka, at revision 2.
    let row = |s: &str| s.lines().find(|l| at_revision(l, 2)).map(str::to_string);
    let screen = tmux.wait_for("the kafka StatefulSet row", WAIT, |s| row(s).is_some());
    let line = row(&screen).unwrap();
    assert!(line.contains(&ns), "the row names the namespace: {line}");

    // Its history.
    tmux.keys(&["Enter"]);
    let history = format!("History {ns}/sts/kafka");
    tmux.wait_for("the history view", WAIT, |s| s.contains(&history));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the history closed", WAIT, |s| !s.contains(&history));

    tmux.keys(&["u"]);
    let dialog = tmux.wait_for("the undo dialog with its diff", WAIT, |s| {
        s.contains("kafka")
            && s.contains("revision 1")
            && s.contains("3.8.1-bad")
            && s.contains("3.8.0")
            && s.contains("y confirm")
    });
    assert!(
        dialog.contains("image"),
        "the diff names the image:\n{dialog}"
    );
    tmux.keys(&["y"]);
    tmux.wait_for("rolled back", WAIT, |s| {
        s.contains("rolled back to revision 1")
    });

    // The real kubectl agrees.
    let image = kubectl(
        &kubeconfig,
        &["get", "sts", "kafka", "-n", &ns, "-o", image_path],
    );
    assert!(
        !image.contains("bad") && image.contains("3.8.0"),
        "image still the bad one: {image}"
    );
    let kc = kubeconfig.clone();
    let ns2 = ns.clone();
    tokio::task::spawn_blocking(move || {
        wait_until("revision 1 reused as 3", WAIT, || {
            history_revisions(&kc, &ns2) == ["2", "3"]
        });
    })
    .await
    .unwrap();
    // The pane follows: kafka at revision 3.
    tmux.wait_for("kafka at revision 3 on screen", WAIT, |s| {
        s.lines().any(|l| at_revision(l, 3))
    });

    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
    let status = std::fs::read_to_string(dir.path().join("status")).unwrap();
    assert_eq!(status.trim(), "0", "opsdeck exit status");
    drop(tmux);
    drop(sim);
}
