//! Alerts tied to workloads, end to end: Debian's real Prometheus evaluates rules whose labels
//! name a Deployment and a pod of the simulator (the pod the way kube-state-metrics reports it
//! without honorLabels), sends them to the real Alertmanager, and the real binary in tmux shows
//! the badges on the rows, the object on the alert rows, and `o` jumps both ways; then a
//! rollout made with the real kubectl and a crash land in the timeline `T` opens for the row.

mod common;
mod promstack;

use std::time::Duration;

use common::tmux::{Tmux, opsdeck_command};
use opsdeck_sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(60);

fn rules(ns: &str, deploy: &str, pod: &str) -> String {
    format!(
        r#"groups:
- name: correlate
  interval: 1s
  rules:
  - alert: ReplicasMismatch
    expr: vector(1)
    labels: {{severity: critical, namespace: "{ns}", deployment: "{deploy}"}}
    annotations: {{summary: "{deploy} has not matched the expected replicas"}}
  - alert: PodCrashLooping
    expr: vector(1)
    labels: {{severity: warning, namespace: monitoring, pod: kube-state-metrics-0,
      exported_namespace: "{ns}", exported_pod: "{pod}", container: kube-state-metrics}}
    annotations: {{summary: "{pod} is crash looping"}}
  - alert: GhostDown
    expr: vector(1)
    labels: {{severity: warning, namespace: elsewhere, deployment: ghost}}
"#
    )
}

/// The line of the screen that contains `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_alerts_mark_their_rows_and_o_jumps_both_ways() {
    let config = SimConfig {
        pods: 12,
        deployments: 3,
        namespaces: 1,
        churn_per_sec: 0.0,
        log_rate: 1.0,
        ..SimConfig::default()
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let (ns, pod) = sim
        .control()
        .pods(None)
        .into_iter()
        .find(|(ns, name)| ns != "kube-system" && name.matches('-').count() >= 2)
        .expect("a pod of a deployment");
    // Pods of a Deployment: DEPLOY-HASH-SUFFIX.
    let mut parts: Vec<&str> = pod.rsplitn(3, '-').collect();
    let deploy = parts.pop().unwrap().to_string();
    let mut stack = promstack::Stack::start_with_rules(true, &rules(&ns, &deploy, &pod)).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let config_file = dir.path().join("config.toml");
    let audit = dir.path().join("audit.log");
    std::fs::write(
        &config_file,
        format!("[safety]\naudit_log = \"{}\"\n", audit.display()),
    )
    .unwrap();
    let args = format!(
        "--kubeconfig {} -A --config {} --alertmanager-url http://127.0.0.1:{}",
        kubeconfig.display(),
        config_file.display(),
        stack.alertmanager().port
    );
    // Run in the temporary directory: `:export` writes its report there.
    let command = format!(
        "cd {} && {}",
        dir.path().display(),
        opsdeck_command(dir.path(), &args)
    );
    let tmux = Tmux::start("correlate", 200, 50, &command);

    // Badges: the Deployment's critical, the pod's warning (the exported pod, not ksm's).
    let screen = tmux.wait_for("badges on the rows", WAIT, |s| {
        line_with(s, &format!("{deploy} ")).is_some_and(|l| l.contains("▲crit"))
            && line_with(s, &pod).is_some_and(|l| l.contains("▲warn"))
    });
    // The ghost Deployment is not in the cluster: counted outside the scope.
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("1 alert outside scope"),
        "{screen}"
    );

    // The alerts pane shows what each alert is about (zoomed: whole names).
    tmux.keys(&["3", "z"]);
    let screen = tmux.wait_for("the OBJECT column", WAIT, |s| {
        s.contains(&format!("{ns}/deploy/{deploy}")) && s.contains(&format!("{ns}/pod/{pod}"))
    });
    let ghost = line_with(&screen, "GhostDown").unwrap();
    assert!(ghost.contains("elsewhere/deploy/ghost"), "{ghost}");

    // o on the critical (first) alert: the rollouts pane, on its Deployment (Enter opens the
    // history of the selected row, which names it).
    tmux.keys(&["z", "g", "o", "Enter"]);
    tmux.wait_for("the history of the alert's Deployment", WAIT, |s| {
        s.contains(&format!("History {ns}/deploy/{deploy}"))
    });
    // Esc closes the history, Esc goes back to the alerts (two separate presses: two ESC
    // bytes at once read as Alt-Esc).
    tmux.keys(&["Escape"]);
    tmux.wait_for("the history closed", WAIT, |s| !s.contains("History "));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the alerts pane again", WAIT, |s| {
        !s.contains("History ") && s.contains("o workload")
    });

    // o on the Deployment's row: the alerts pane lists only its alerts (its own and its pod's).
    tmux.keys(&["2", "o"]);
    let screen = tmux.wait_for("its alerts only", WAIT, |s| {
        s.contains(&format!("about {ns}/deploy/{deploy}: 2 shown"))
    });
    assert!(!screen.contains("GhostDown"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("all alerts again", WAIT, |s| s.contains("GhostDown"));

    // A crash of one of the pods, and a new revision with the real kubectl.
    sim.control().crash_pod(&ns, &pod).unwrap();
    let rolled = std::process::Command::new("kubectl")
        .args(["--kubeconfig", &kubeconfig.display().to_string(), "-n", &ns])
        .args([
            "set",
            "image",
            &format!("deployment/{deploy}"),
            "*=registry.example/app:v2",
        ])
        .output()
        .expect("kubectl is installed (scripts/test checks)");
    assert!(
        rolled.status.success(),
        "{}",
        String::from_utf8_lossy(&rolled.stderr)
    );
    // T on the Deployment's row (selected since the jump): its timeline.
    tmux.keys(&["2", "T"]);
    let screen = tmux.wait_for("the Deployment's timeline", WAIT, |s| {
        s.contains(&format!("Timeline {ns}/deploy/{deploy}"))
            && s.contains("r1→r2")
            && s.contains(&format!("{ns}/pod/{pod}"))
            && line_with(s, "ReplicasMismatch (critical)").is_some()
    });
    let restart = line_with(&screen, &format!("{ns}/pod/{pod}")).unwrap();
    assert!(
        restart.contains("restart") || restart.contains("warning"),
        "{restart}"
    );
    assert!(
        !screen.contains("GhostDown (warning)"),
        "another workload's alert in its timeline:\n{screen}"
    );

    // :export writes the incident report into the working directory, atomically.
    tmux.keys(&[":"]);
    tmux.type_text("export");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the export written", WAIT, |s| s.contains("export: wrote"));
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("opsdeck-incident-") && n.ends_with(".md"))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}\n{screen}");
    assert!(
        screen.contains(&written[0]),
        "the path in the status line:\n{screen}"
    );
    let report = std::fs::read_to_string(dir.path().join(&written[0])).unwrap();
    assert!(report.contains("## Firing alerts (3)"), "{report}");
    let alert = line_with(&report, "| ReplicasMismatch |").expect(&report);
    assert!(
        alert.contains(&format!("`{ns}/deploy/{deploy}`")),
        "{alert}"
    );
    assert!(
        report.contains("1 of them is about an object outside this scope"),
        "{report}"
    );
    assert!(
        report.contains(&format!("`{ns}/deploy/{deploy}` r1→r2")),
        "{report}"
    );
    assert!(
        report.contains("~ app image:") || report.contains("image:"),
        "{report}"
    );
    assert!(report.contains("## Timeline, newest first"), "{report}");
    assert!(
        line_with(&report, &format!("`{ns}/pod/{pod}`")).is_some(),
        "{report}"
    );

    // An unwritable path: the reason in the status line, nothing written.
    tmux.keys(&[":"]);
    tmux.type_text("export /proc/opsdeck-nope/report.md");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the export refused", WAIT, |s| {
        line_with(s, "export: /proc/opsdeck-nope/report.md:").is_some()
    });
    assert!(!std::path::Path::new("/proc/opsdeck-nope/report.md").exists());
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
}
