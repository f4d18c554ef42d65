//! End to end: the real binary in tmux against the simulator, driven by keys.

mod common;

use std::time::Duration;

use common::tmux::{Tmux, opsdeck_command};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use opsdeck_sim::{SimConfig, Simulator};

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
    start_scenario(SimConfig::default()).await
}

async fn start_scenario(config: SimConfig) -> (Simulator, tempfile::TempDir, std::path::PathBuf) {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    (sim, dir, kubeconfig)
}

/// Arguments for opsdeck on `kubeconfig`, all namespaces, with a config file whose audit log
/// is in `dir`; returns the audit log's path too.
fn audited_args(
    dir: &std::path::Path,
    kubeconfig: &std::path::Path,
) -> (std::path::PathBuf, String) {
    let audit = dir.join("audit.log");
    let config_file = dir.join("config.toml");
    let config = format!("[safety]\naudit_log = \"{}\"\n", audit.display());
    std::fs::write(&config_file, config).unwrap();
    let args = format!(
        "--kubeconfig {} -A --config {}",
        kubeconfig.display(),
        config_file.display()
    );
    (audit, args)
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
    tmux.signal("TERM");
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
        scenario: opsdeck_sim::Scenario::Incident,
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

/// The incident commander's main move: focus rollouts, undo the bad rollout, confirm, and see
/// the Deployment become complete again on the previous revision's template.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_bad_rollout_from_the_rollouts_pane_completes_it() {
    use k8s_openapi::api::apps::v1::Deployment;
    let config = SimConfig {
        scenario: opsdeck_sim::Scenario::BadRollout,
        ..SimConfig::default()
    };
    let (sim, dir, kubeconfig) = start_scenario(config).await;
    let (audit, args) = audited_args(dir.path(), &kubeconfig);
    let tmux = Tmux::start("undo", 160, 45, &opsdeck_command(dir.path(), &args));
    // The bad revision is the most recent change, so it is the first row of the pane.
    tmux.wait_for("bad rollout shown", WAIT, |s| {
        s.lines()
            .any(|l| l.contains("checkout") && l.contains(" 2 ") && l.contains("Progressing"))
    });
    tmux.keys(&["2"]);
    std::thread::sleep(Duration::from_millis(500));
    tmux.keys(&["u"]);
    let dialog = tmux.wait_for("undo dialog", WAIT, |s| {
        s.contains("opsdeck-sim") && s.contains("checkout") && s.contains("revision 1")
    });
    assert!(
        dialog.contains("shop"),
        "the dialog names the namespace:\n{dialog}"
    );
    tmux.keys(&["y"]);
    tmux.wait_for("rolled back", WAIT, |s| {
        s.contains("rolled back to revision 1")
    });
    tmux.wait_for("complete again", Duration::from_secs(60), |s| {
        s.lines()
            .any(|l| l.contains("checkout") && l.contains(" 3 ") && l.contains("Complete"))
    });
    // The cluster agrees: the template is revision 1's image again.
    let api: Api<Deployment> = Api::namespaced(client(&kubeconfig).await, "shop");
    let d = api.get("checkout").await.unwrap();
    let image = d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap();
    assert!(!image.contains("bad"), "image still the bad one: {image}");
    // And so does the real kubectl: revision 1's template came back as revision 3.
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["-n", "shop", "rollout", "history", "deploy/checkout"])
        .output()
        .expect("kubectl is required (scripts/test checks it)");
    let history = String::from_utf8_lossy(&out.stdout);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(revisions, ["2", "3"], "kubectl rollout history:\n{history}");
    let record = std::fs::read_to_string(&audit).unwrap();
    assert!(record.contains("\"action\":\"rollout undo\""), "{record}");
    assert!(record.contains("\"result\":\"done\""), "{record}");
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
    assert_restored(&tmux, dir.path());
    drop(sim);
}

/// A dropped SSH session (SIGHUP): an open dialog is dropped with nothing run; a command
/// already sent finishes, its effect reaches the cluster and its outcome is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_drops_an_open_dialog_but_lets_a_sent_command_finish() {
    let (sim, dir, kubeconfig) = start_sim().await;
    let (audit, args) = audited_args(dir.path(), &kubeconfig);
    // 1. A confirmation dialog is open when the session drops.
    let tmux = Tmux::start("hup1", 120, 40, &opsdeck_command(dir.path(), &args));
    tmux.wait_for("pods", WAIT, |s| {
        s.contains(" running") && s.contains("live")
    });
    tmux.keys(&["r"]);
    tmux.wait_for("dialog", WAIT, |s| s.contains("y confirm"));
    tmux.signal("HUP");
    tmux.wait_exit(Duration::from_secs(10));
    assert_restored(&tmux, dir.path());
    assert!(
        !audit.exists(),
        "nothing may run or be audited from an unanswered dialog"
    );
    drop(tmux);

    // 2. The delete was confirmed and is in flight (the API answers slowly) when it drops.
    let tmux = Tmux::start("hup2", 120, 40, &opsdeck_command(dir.path(), &args));
    tmux.wait_for("pods", WAIT, |s| {
        s.contains(" running") && s.contains("live")
    });
    tmux.keys(&["r"]);
    let dialog = tmux.wait_for("dialog", WAIT, |s| s.contains("y confirm"));
    let line = dialog
        .lines()
        .find(|l| l.contains("object"))
        .expect("the dialog names the object");
    let victim = line
        .split_whitespace()
        .skip_while(|w| *w != "object")
        .nth(1)
        .unwrap()
        .to_string();
    sim.faults().latency(Duration::from_secs(3));
    tmux.keys(&["y"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.signal("HUP");
    tmux.wait_exit(Duration::from_secs(30));
    sim.faults().clear();
    assert_restored(&tmux, dir.path());
    let record = std::fs::read_to_string(&audit).expect("the outcome is audited");
    assert!(record.contains("\"action\":\"delete pod\""), "{record}");
    assert!(record.contains(&victim), "{record}");
    assert!(record.contains("\"result\":\"done\""), "{record}");
    assert!(
        record.contains("\"user\":\"opsdeck-sim-admin\""),
        "{record}"
    );
    let pods: Api<Pod> = Api::all(client(&kubeconfig).await);
    let gone_or_terminating = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|p| p.metadata.name.as_deref() == Some(victim.as_str()))
        .all(|p| p.metadata.deletion_timestamp.is_some());
    assert!(gone_or_terminating, "{victim} was not deleted");
}
