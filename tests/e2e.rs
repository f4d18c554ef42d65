//! End to end: the real binary in tmux against the simulator, driven by keys.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, opsdeck_command};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use opsdeck::sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(30);

async fn client(path: &std::path::Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(path).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

/// A simulator with its kubeconfig written to a fresh temporary directory.
async fn start_sim() -> (Simulator, tempfile::TempDir, std::path::PathBuf) {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    (sim, dir, kubeconfig)
}

/// The terminal is back to normal: not in the alternate screen, cooked mode, echo on.
fn assert_restored(tmux: &Tmux, dir: &std::path::Path) {
    assert_eq!(
        tmux.var("alternate_on"),
        "0",
        "still in the alternate screen"
    );
    let stty = std::fs::read_to_string(dir.join("stty-after")).unwrap();
    assert!(
        stty.contains(" icanon") && stty.contains(" echo "),
        "raw mode not left: {stty}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_appear_a_deleted_pod_is_replaced_and_q_restores_the_terminal() {
    let (sim, dir, kubeconfig) = start_sim().await;
    let pods: Api<Pod> = Api::all(client(&kubeconfig).await);
    let listed = pods.list(&ListParams::default()).await.unwrap();
    let victim = listed
        .items
        .iter()
        .find(|p| {
            p.metadata.deletion_timestamp.is_none()
                && p.metadata
                    .owner_references
                    .as_ref()
                    .is_some_and(|o| !o.is_empty())
        })
        .expect("a pod owned by a ReplicaSet");
    let name = victim.metadata.name.clone().unwrap();
    let ns = victim.metadata.namespace.clone().unwrap();
    // Pods of one ReplicaSet share the name up to the last dash.
    let prefix = name[..name.rfind('-').unwrap()].to_string();

    let cmd = opsdeck_command(
        dir.path(),
        &format!("--kubeconfig {} -A", kubeconfig.display()),
    );
    let tmux = Tmux::start("pods", 120, 40, &cmd);
    tmux.wait_for("pods on screen", WAIT, |s| {
        s.contains(" running") && s.contains("live")
    });
    // Narrow the list to the victim's ReplicaSet with the filter.
    tmux.keys(&["/"]);
    tmux.type_text(&prefix);
    tmux.keys(&["Enter"]);
    let before = tmux.wait_for("victim on screen", WAIT, |s| s.contains(&name));

    let ns_api: Api<Pod> = Api::namespaced(client(&kubeconfig).await, &ns);
    ns_api
        .delete(&name, &DeleteParams::default())
        .await
        .unwrap();
    let old_names: Vec<String> = before
        .split_whitespace()
        .filter(|w| w.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    tmux.wait_for("replacement pod", WAIT, |s| {
        s.split_whitespace()
            .any(|w| w.starts_with(&prefix) && !old_names.iter().any(|o| o == w))
    });
    tmux.wait_for("victim gone", WAIT, |s| !s.contains(&name));

    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
    let status = std::fs::read_to_string(dir.path().join("status")).unwrap();
    assert_eq!(status.trim(), "0", "opsdeck exit status");
    assert_restored(&tmux, dir.path());
    assert!(
        !tmux.screen().contains(" running"),
        "dashboard left on screen"
    );
    drop(sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_cluster_at_start_shows_connecting_and_sigterm_restores() {
    // A port with nothing listening: opsdeck must open anyway and keep trying.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{port}\n\
             contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\ncurrent-context: gone\n\
             users:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    let cmd = opsdeck_command(
        dir.path(),
        &format!("--kubeconfig {}", kubeconfig.display()),
    );
    let tmux = Tmux::start("gone", 100, 30, &cmd);
    tmux.wait_for("connecting", WAIT, |s| s.contains("connecting to gone"));
    tmux.wait_for("stale", WAIT, |s| s.contains("stale since"));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        tmux.var("pane_dead"),
        "0",
        "opsdeck exited on an unreachable cluster"
    );
    // The program is the shell's child: find it and send SIGTERM.
    let shell = tmux.var("pane_pid");
    let out = std::process::Command::new("pgrep")
        .args(["-P", &shell])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!pid.is_empty(), "no opsdeck process under the shell");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    tmux.wait_exit(Duration::from_secs(10));
    assert_restored(&tmux, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_outage_shows_stale_then_live_and_a_lost_history_relists() {
    let (sim, dir, kubeconfig) = start_sim().await;
    let cmd = opsdeck_command(
        dir.path(),
        &format!("--kubeconfig {} -A", kubeconfig.display()),
    );
    let tmux = Tmux::start("outage", 120, 40, &cmd);
    tmux.wait_for("live", WAIT, |s| {
        s.contains("k8s live") && s.contains(" running")
    });

    // The API server fails every request for a while and drops the open watches.
    sim.faults().errors(500, Duration::from_secs(6));
    sim.faults().close_watches();
    let stale = tmux.wait_for("stale", WAIT, |s| s.contains("stale since"));
    assert!(
        stale.contains(" running"),
        "data must stay on screen while stale"
    );
    tmux.wait_for("live again", WAIT, |s| s.contains("k8s live"));

    // A restart that loses the watch history: the client must relist (410 Gone) and
    // keep following changes.
    sim.faults().restart();
    let pods: Api<Pod> = Api::all(client(&kubeconfig).await);
    let victim = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_some_and(|ph| ph == "Running")
        })
        .expect("a running pod");
    let restarts: i32 = victim
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).sum())
        .unwrap_or(0);
    let name = victim.metadata.name.unwrap();
    let ns = victim.metadata.namespace.unwrap();
    tmux.keys(&["/"]);
    tmux.type_text(&name);
    tmux.keys(&["Enter"]);
    tmux.wait_for("victim shown", WAIT, |s| s.contains(&name));
    sim.control().crash_pod(&ns, &name).unwrap();
    // The crash shows as a failing status or (once the container restarted) a higher count.
    let counted = format!(" {} (", restarts + 1);
    tmux.wait_for("crash shown", WAIT, |s| {
        s.lines().any(|l| {
            l.contains(&name)
                && (l.contains("CrashLoopBackOff") || l.contains("Error") || l.contains(&counted))
        })
    });
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
    assert_restored(&tmux, dir.path());
}

/// `l` on a pod shows its log lines; a line carrying an OSC title sequence is shown escaped and
/// does not retitle the terminal; `p` pauses; `q` restores the terminal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_tails_a_pod_escapes_hostile_lines_p_pauses_and_q_restores() {
    let cfg = SimConfig {
        scenario: opsdeck::sim::Scenario::Incident,
        churn_per_sec: 0.0,
        log_rate: 20.0,
        ..SimConfig::default()
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let pods: Api<Pod> = Api::all(client(&kubeconfig).await);
    let listed = pods.list(&ListParams::default()).await.unwrap();
    let running = listed
        .items
        .iter()
        .find(|p| {
            let statuses = p
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref());
            statuses.is_some_and(|cs| cs.iter().all(|c| c.ready))
                && p.metadata.deletion_timestamp.is_none()
        })
        .expect("a ready pod");
    let name = running.metadata.name.clone().unwrap();

    let cmd = opsdeck_command(
        dir.path(),
        &format!("--kubeconfig {} -A", kubeconfig.display()),
    );
    let tmux = Tmux::start("logs", 140, 40, &cmd);
    let title_before = tmux.var("pane_title");
    tmux.wait_for("pods on screen", WAIT, |s| s.contains(" running"));
    tmux.keys(&["/"]);
    tmux.type_text(&name);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the pod selected", WAIT, |s| s.contains(&name));
    tmux.keys(&["l"]);
    tmux.wait_for("log lines", WAIT, |s| {
        s.contains(&format!("Logs pod/{name}")) && s.contains("[following]") && s.contains("GET /")
    });
    // The noisy scenario writes `ESC ]0;pwned BEL` now and then: shown escaped, never obeyed.
    tmux.wait_for("an escaped OSC title", WAIT, |s| s.contains("␛]0;pwned␇"));
    assert_eq!(
        tmux.var("pane_title"),
        title_before,
        "the log retitled the terminal"
    );
    tmux.keys(&["p"]);
    tmux.wait_for("paused", WAIT, |s| s.contains("[PAUSED]"));
    tmux.wait_for("new lines marker", WAIT, |s| s.contains("new lines"));
    tmux.keys(&["G"]);
    tmux.wait_for("following again", WAIT, |s| s.contains("[following]"));

    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
    let status = std::fs::read_to_string(dir.path().join("status")).unwrap();
    assert_eq!(status.trim(), "0", "opsdeck exit status");
    assert_restored(&tmux, dir.path());
    drop(sim);
}
