//! Faults as a user meets them: the real binary in tmux against the simulator, real Prometheus
//! and Alertmanager, and small fake servers, with a fault proxy on the path (pass, blackhole,
//! reset, delay). Each test checks that opsdeck never exits, says stale within the bound,
//! recovers by itself and shows what changed meanwhile.
//!
//! With `OPSDECK_RELIABILITY_OUT=FILE` every test appends one JSON line with what it measured;
//! `scripts/reliability` turns them into the Reliability table of BENCHMARKS.md.

mod common;
mod promstack;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use common::proxy::{FaultProxy, Mode};
use common::tmux::{Tmux, opsdeck_command};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use opsdeck_sim::{SimConfig, Simulator};

const WAIT: Duration = Duration::from_secs(40);
/// The issue's bounds: stale shown within 15 s of the fault, live within 10 s of the fix.
const STALE_BOUND: Duration = Duration::from_secs(15);
const LIVE_BOUND: Duration = Duration::from_secs(10);

/// What one fault test measured, for the Reliability table.
struct Measured {
    fault: String,
    to_stale: Option<Duration>,
    to_live: Option<Duration>,
    exit: i32,
    data_correct: bool,
    /// What else was seen (requests during a storm).
    note: String,
}

impl Measured {
    fn record(&self) {
        let Ok(path) = std::env::var("OPSDECK_RELIABILITY_OUT") else {
            return;
        };
        let secs = |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 10.0).round() / 10.0);
        let line = serde_json::json!({
            "fault": self.fault,
            "time_to_stale_s": secs(self.to_stale),
            "time_to_live_s": secs(self.to_live),
            "exit": self.exit,
            "data_correct": self.data_correct,
            "note": self.note,
            "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        });
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open OPSDECK_RELIABILITY_OUT");
        writeln!(f, "{line}").unwrap();
    }

    /// Record, then hold it to the bounds: stale within 15 s, live within 10 s, the data
    /// correct after, exit status 0. `screen` is shown when the data is wrong.
    fn check(self, screen: &str) {
        self.record();
        let fault = &self.fault;
        if let Some(d) = self.to_stale {
            assert!(d <= STALE_BOUND, "{fault}: stale after {d:?}");
        }
        if let Some(d) = self.to_live {
            assert!(d <= LIVE_BOUND, "{fault}: live after {d:?}");
        }
        assert!(
            self.data_correct,
            "{fault}: wrong after ({}):\n{screen}",
            self.note
        );
        assert_eq!(self.exit, 0, "{fault}: exit status");
    }
}

/// A small quiet cluster (no churn: every change on screen is one the test made).
fn quiet() -> SimConfig {
    SimConfig {
        pods: 16,
        deployments: 4,
        namespaces: 2,
        churn_per_sec: 0.0,
        log_rate: 1.0,
        ..SimConfig::default()
    }
}

/// The simulator behind a fault proxy; opsdeck's kubeconfig goes through the proxy, the
/// test's own client straight to the simulator.
struct Rig {
    sim: Simulator,
    proxy: FaultProxy,
    dir: tempfile::TempDir,
    direct: PathBuf,
    config: PathBuf,
}

impl Rig {
    async fn start() -> Rig {
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), quiet())
            .await
            .unwrap();
        let proxy = FaultProxy::start(sim.addr()).await;
        let dir = tempfile::tempdir().unwrap();
        let direct = dir.path().join("direct");
        sim.write_kubeconfig(&direct).unwrap();
        let proxied = dir.path().join("kubeconfig");
        std::fs::write(
            &proxied,
            sim.kubeconfig_yaml().replace(&sim.url(), &proxy.url()),
        )
        .unwrap();
        let config = dir.path().join("config.toml");
        let audit = dir.path().join("audit.log");
        std::fs::write(
            &config,
            format!("[safety]\naudit_log = \"{}\"\n", audit.display()),
        )
        .unwrap();
        Rig {
            sim,
            proxy,
            dir,
            direct,
            config,
        }
    }

    /// opsdeck in tmux on every namespace, with `extra` arguments.
    fn opsdeck(&self, name: &str, extra: &str) -> Tmux {
        let args = format!(
            "--kubeconfig {} -A --config {} {extra}",
            self.dir.path().join("kubeconfig").display(),
            self.config.display()
        );
        Tmux::start(name, 160, 45, &opsdeck_command(self.dir.path(), &args))
    }

    async fn client(&self) -> Client {
        client(&self.direct).await
    }
}

async fn client(path: &Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(path).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

/// The header line.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

fn is_live(screen: &str, source: &str) -> bool {
    header(screen).contains(&format!("{source} live"))
}

fn is_stale(screen: &str, source: &str) -> bool {
    header(screen).contains(&format!("{source} stale since"))
}

/// Waits until `pred` holds; returns the time it took and the screen.
fn timed(tmux: &Tmux, what: &str, pred: impl Fn(&str) -> bool) -> (Duration, String) {
    let start = Instant::now();
    let screen = tmux.wait_for(what, WAIT, pred);
    (start.elapsed(), screen)
}

/// `q`, then the exit status opsdeck returned.
fn quit(tmux: &Tmux, dir: &Path) -> i32 {
    tmux.keys(&["q"]);
    tmux.wait_exit(Duration::from_secs(10));
    let status = std::fs::read_to_string(dir.join("status")).unwrap();
    status.trim().parse().unwrap_or(-1)
}

/// A pod owned by a ReplicaSet and its ReplicaSet's name prefix (pods of one ReplicaSet share
/// the name up to the last dash).
fn replica(sim: &Simulator) -> (String, String, String) {
    let (ns, name) = sim
        .control()
        .pods(None)
        .into_iter()
        .find(|(ns, name)| ns != "kube-system" && name.matches('-').count() >= 2)
        .expect("a pod of a deployment");
    let prefix = name[..name.rfind('-').unwrap()].to_string();
    (ns, name, prefix)
}

/// Narrow the pods pane to names containing `text` (`/`, the text, Enter); returns the
/// screen once `victim` is on it.
fn filter_pods(tmux: &Tmux, text: &str, victim: &str) -> String {
    tmux.keys(&["/"]);
    tmux.type_text(text);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the pod on screen", WAIT, |s| shows(s, victim))
}

/// `name` is a word on screen (a pod row's name, not a part of a message).
fn shows(screen: &str, name: &str) -> bool {
    screen
        .split_whitespace()
        .any(|w| w.trim_matches('│') == name)
}

/// The names on screen that start with `prefix`.
fn names_with(screen: &str, prefix: &str) -> Vec<String> {
    screen
        .split_whitespace()
        .filter(|w| w.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// A pod named `prefix…` is on screen that is not one of `old`: a replacement.
fn replaced(screen: &str, prefix: &str, old: &[String]) -> bool {
    names_with(screen, prefix).iter().any(|n| !old.contains(n))
}

/// A new image for deployment `name` in `ns`: a new revision.
async fn roll(client: &Client, ns: &str, name: &str) {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let d = api.get(name).await.unwrap();
    let container = d.spec.unwrap().template.spec.unwrap().containers[0]
        .name
        .clone();
    let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [
        {"name": container, "image": "registry.example/fault-test:v2"}
    ]}}}});
    api.patch(name, &PatchParams::default(), &Patch::Strategic(patch))
        .await
        .unwrap();
}

/// The deployment of a ReplicaSet prefix (`web-7c9f8d` → `web`).
fn deployment_of(prefix: &str) -> String {
    prefix[..prefix.rfind('-').unwrap()].to_string()
}

/// The rollouts pane row of `deploy` shows revision `rev`.
fn shows_revision(screen: &str, deploy: &str, rev: u32) -> bool {
    let rev = format!(" {rev} ");
    screen.lines().any(|l| {
        let named = l
            .split_whitespace()
            .map(|w| w.trim_matches('│'))
            .any(|w| w == deploy || w.ends_with(&format!("/{deploy}")));
        named && l.contains(&rev)
    })
}

/// A path that silently drops traffic (no RST, connections stay open): the header says stale
/// within 15 s; an action sent then fails at once with "no answer from the API server"; once
/// the path is back, live within 10 s, with the pod deleted meanwhile gone, its replacement
/// shown and the deployment rolled meanwhile on its new revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_api_blackholed_goes_stale_refuses_actions_and_recovers() {
    let rig = Rig::start().await;
    let (ns, victim, prefix) = replica(&rig.sim);
    let deploy = deployment_of(&prefix);
    // The deployment's pods, old and (after the roll) new: its name and a dash.
    let pods_of = format!("{deploy}-");
    let tmux = rig.opsdeck("blackhole", "");
    tmux.wait_for("live", WAIT, |s| is_live(s, "k8s") && is_live(s, "deploy"));
    let before = filter_pods(&tmux, &pods_of, &victim);
    let old_names = names_with(&before, &pods_of);
    assert!(shows_revision(&before, &deploy, 1), "{before}");

    rig.proxy.set(Mode::Blackhole);
    let (to_stale, stale) = timed(&tmux, "stale", |s| {
        is_stale(s, "k8s") && is_stale(s, "deploy")
    });
    assert!(
        shows(&stale, &victim),
        "data must stay on screen while stale:\n{stale}"
    );

    // The probe knows the link is down: a restart is refused at once, not after 20 s.
    let deletes = rig.sim.stats().deletes;
    tmux.keys(&["r"]);
    tmux.wait_for("dialog", WAIT, |s| s.contains("y confirm"));
    tmux.keys(&["y"]);
    let (refused_in, _) = timed(&tmux, "refusal", |s| {
        s.contains("no answer from the API server") && s.contains("not sent")
    });
    assert!(
        refused_in < Duration::from_secs(5),
        "refused after {refused_in:?}"
    );

    // Meanwhile the cluster changes behind the dead path.
    rig.sim.control().delete_pod(&ns, &victim).unwrap();
    roll(&rig.client().await, &ns, &deploy).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        rig.sim.stats().deletes,
        deletes,
        "the refused delete reached the cluster"
    );

    rig.proxy.set(Mode::Pass);
    let (to_live, _) = timed(&tmux, "live again", |s| {
        is_live(s, "k8s") && is_live(s, "deploy")
    });
    let after = tmux.wait_for("the changes on screen", Duration::from_secs(5), |s| {
        !shows(s, &victim) && shows_revision(s, &deploy, 2)
    });
    let replaced = replaced(&after, &pods_of, &old_names);
    let exit = quit(&tmux, rig.dir.path());
    Measured {
        fault: "Kubernetes API blackholed (silent, no RST)".into(),
        to_stale: Some(to_stale),
        to_live: Some(to_live),
        exit,
        data_correct: replaced,
        note: String::new(),
    }
    .check(&after);
}

/// A log tail through a path that goes silent: the tail's follow streams say nothing either
/// way, so the logs source goes stale with the watches; once the path is back it follows
/// again and the lines written meanwhile arrive (resumed from the last line's time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_tail_through_a_blackhole_goes_stale_and_resumes() {
    let rig = Rig::start().await;
    let (_, victim, _) = replica(&rig.sim);
    let tmux = rig.opsdeck("logs", "");
    tmux.wait_for("live", WAIT, |s| is_live(s, "k8s"));
    filter_pods(&tmux, &victim, &victim);
    tmux.keys(&["l"]);
    tmux.wait_for("following", WAIT, |s| {
        is_live(s, "logs") && s.contains("[following]")
    });

    rig.proxy.set(Mode::Blackhole);
    let (to_stale, _) = timed(&tmux, "logs stale", |s| is_stale(s, "logs"));
    // Lines written during the outage carry their time: the newest on screen must pass it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = jiff::Timestamp::now();
    rig.proxy.set(Mode::Pass);
    let (to_live, _) = timed(&tmux, "logs live", |s| is_live(s, "logs"));
    tmux.keys(&["t"]);
    let stamp = during.strftime("%H:%M:%S").to_string();
    let caught_up = tmux.wait_for("lines after the outage", WAIT, |s| {
        log_times(s).iter().any(|t| t.as_str() >= stamp.as_str())
    });
    let exit = quit(&tmux, rig.dir.path());
    Measured {
        fault: "Log tail through a blackholed path".into(),
        to_stale: Some(to_stale),
        to_live: Some(to_live),
        exit,
        data_correct: !log_times(&caught_up).is_empty(),
        note: String::new(),
    }
    .check(&caught_up);
}

/// `HH:MM:SS` times at the start of the log pane's lines (timestamps on, UTC or local alike).
fn log_times(screen: &str) -> Vec<String> {
    let logs = screen.lines().skip_while(|l| !l.contains("Logs pod/"));
    logs.filter_map(|l| {
        let l = l.rsplit('│').nth(1).unwrap_or(l).trim_start();
        let t = l.get(..8)?;
        let ok = t.len() == 8
            && t.chars().enumerate().all(|(i, c)| {
                if i == 2 || i == 5 {
                    c == ':'
                } else {
                    c.is_ascii_digit()
                }
            });
        ok.then(|| t.to_string())
    })
    .collect()
}

/// The API server refuses connections for 60 s (every connection reset, new ones too), while
/// a pod is deleted; then it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_api_down_for_a_minute_recovers_with_what_changed() {
    let rig = Rig::start().await;
    let (ns, victim, prefix) = replica(&rig.sim);
    let tmux = rig.opsdeck("down60", "");
    tmux.wait_for("live", WAIT, |s| is_live(s, "k8s"));
    let before = filter_pods(&tmux, &prefix, &victim);
    let old = names_with(&before, &prefix);

    let down = Instant::now();
    rig.proxy.set(Mode::Reset);
    let (to_stale, _) = timed(&tmux, "stale", |s| {
        is_stale(s, "k8s") && is_stale(s, "deploy")
    });
    rig.sim.control().delete_pod(&ns, &victim).unwrap();
    tokio::time::sleep(Duration::from_secs(60).saturating_sub(down.elapsed())).await;
    assert_eq!(
        tmux.var("pane_dead"),
        "0",
        "opsdeck exited while the API was down"
    );

    rig.proxy.set(Mode::Pass);
    let (to_live, _) = timed(&tmux, "live again", |s| {
        is_live(s, "k8s") && is_live(s, "deploy")
    });
    let after = tmux.wait_for("victim replaced", Duration::from_secs(5), |s| {
        !shows(s, &victim) && replaced(s, &prefix, &old)
    });
    let gone = replaced(&after, &prefix, &old);
    let exit = quit(&tmux, rig.dir.path());
    Measured {
        fault: "Kubernetes API down 60 s (connections reset)".into(),
        to_stale: Some(to_stale),
        to_live: Some(to_live),
        exit,
        data_correct: gone,
        note: String::new(),
    }
    .check(&after);
}

/// A restart that loses the watch history: resuming gives 410 Gone, the watches list afresh
/// (a routine event: no stale shown for it) and follow what changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_api_restart_with_lost_history_relists() {
    let rig = Rig::start().await;
    let (ns, victim, prefix) = replica(&rig.sim);
    let tmux = rig.opsdeck("restart", "");
    tmux.wait_for("live", WAIT, |s| is_live(s, "k8s"));
    let before = filter_pods(&tmux, &prefix, &victim);
    let old = names_with(&before, &prefix);
    let lists = rig.sim.stats().lists;
    let start = Instant::now();
    rig.sim.faults().restart();
    rig.sim.control().delete_pod(&ns, &victim).unwrap();
    let (_, screen) = timed(&tmux, "victim replaced", |s| {
        !shows(s, &victim) && replaced(s, &prefix, &old) && is_live(s, "k8s")
    });
    let to_live = start.elapsed();
    let relisted = rig.sim.stats().lists > lists;
    let exit = quit(&tmux, rig.dir.path());
    Measured {
        fault: "Kubernetes API restarted, watch history lost (410 → relist)".into(),
        to_stale: None,
        to_live: Some(to_live),
        exit,
        data_correct: relisted && replaced(&screen, &prefix, &old),
        note: String::new(),
    }
    .check(&screen);
}

/// 500 and 429 storms with the watches dropped: stale is said, the server is asked at a
/// bounded rate (429's Retry-After honoured: about one probe per watch for the whole storm),
/// and everything comes back after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_api_error_storms_are_paced_and_survived() {
    let rig = Rig::start().await;
    let tmux = rig.opsdeck("storms", "");
    tmux.wait_for("live", WAIT, |s| is_live(s, "k8s") && is_live(s, "deploy"));
    for (status, fault) in [
        (500, "Kubernetes API 500 storm (12 s)"),
        (429, "Kubernetes API 429 storm with Retry-After (12 s)"),
    ] {
        let storm = Duration::from_secs(12);
        let before = rig.sim.stats().total;
        let start = Instant::now();
        rig.sim.faults().errors(status, storm);
        rig.sim.faults().close_watches();
        let (to_stale, _) = timed(&tmux, "stale", |s| is_stale(s, "k8s"));
        tokio::time::sleep(storm.saturating_sub(start.elapsed())).await;
        let during = rig.sim.stats().total - before;
        let (to_live, _) = timed(&tmux, "live again", |s| {
            is_live(s, "k8s") && is_live(s, "deploy")
        });
        // 500: a probe every 2 s per watch; 429: the server's Retry-After (the storm's rest).
        let bound = if status == 429 { 12 } else { 30 };
        Measured {
            fault: fault.into(),
            to_stale: Some(to_stale),
            to_live: Some(to_live),
            exit: 0,
            data_correct: during <= bound,
            note: format!("{during} API requests during the storm"),
        }
        .check("");
    }
    assert_eq!(quit(&tmux, rig.dir.path()), 0);
}

/// Every answer 5 s late (a slow link, not a dead one): never stale, and changes still arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_kubernetes_api_is_slow_not_stale() {
    let rig = Rig::start().await;
    let (ns, victim, prefix) = replica(&rig.sim);
    let tmux = rig.opsdeck("slow", "");
    tmux.wait_for("live", WAIT, |s| is_live(s, "k8s"));
    filter_pods(&tmux, &prefix, &victim);
    rig.sim.faults().latency(Duration::from_secs(5));
    let start = Instant::now();
    let mut went_stale = false;
    while start.elapsed() < Duration::from_secs(25) {
        went_stale |= is_stale(&tmux.screen(), "k8s");
        std::thread::sleep(Duration::from_millis(250));
    }
    rig.sim.control().delete_pod(&ns, &victim).unwrap();
    let (took, _) = timed(&tmux, "victim gone", |s| !shows(s, &victim));
    rig.sim.faults().clear();
    let exit = quit(&tmux, rig.dir.path());
    Measured {
        fault: "Kubernetes API answering 5 s late".into(),
        to_stale: None,
        to_live: Some(took),
        exit,
        data_correct: !went_stale,
        note: String::new(),
    }
    .check("a slow API server was called stale");
}

/// Real Prometheus and Alertmanager behind fault proxies, each the alert source of its own
/// opsdeck: killed (connections refused), then its path blackholed. Each time that source goes
/// stale within 15 s while the Kubernetes sources stay live, and it is live again within 10 s
/// of coming back, with its alerts on screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_and_alertmanager_killed_and_blackholed() {
    let mut stack = promstack::Stack::start(true).await;
    let rig = Rig::start().await;
    let am_addr = format!("127.0.0.1:{}", stack.alertmanager().port);
    let am = FaultProxy::start(am_addr.parse().unwrap()).await;
    let am_only = format!("--alertmanager-url {}", am.url());
    let tmux = rig.opsdeck("am", &am_only);
    alert_source_faults(&tmux, &mut stack, &am, AlertSource::Alertmanager).await;
    assert_eq!(quit(&tmux, rig.dir.path()), 0);
    drop(tmux);

    let prom_addr = format!("127.0.0.1:{}", stack.prometheus.port);
    let prom = FaultProxy::start(prom_addr.parse().unwrap()).await;
    let prom_only = format!("--prometheus-url {}", prom.url());
    let tmux = rig.opsdeck("prom", &prom_only);
    alert_source_faults(&tmux, &mut stack, &prom, AlertSource::Prometheus).await;
    assert_eq!(quit(&tmux, rig.dir.path()), 0);
}

#[derive(Clone, Copy)]
enum AlertSource {
    Alertmanager,
    Prometheus,
}

impl AlertSource {
    fn label(self) -> &'static str {
        match self {
            AlertSource::Alertmanager => "am",
            AlertSource::Prometheus => "prom",
        }
    }

    fn name(self) -> &'static str {
        match self {
            AlertSource::Alertmanager => "Alertmanager",
            AlertSource::Prometheus => "Prometheus",
        }
    }

    fn server(self, stack: &mut promstack::Stack) -> &mut promstack::Server {
        match self {
            AlertSource::Alertmanager => stack.alertmanager(),
            AlertSource::Prometheus => &mut stack.prometheus,
        }
    }
}

/// What is done to an alert source.
enum Fault {
    Killed,
    Slow,
    Blackhole,
}

/// Kill `source`'s server, then slow its path down, then blackhole it; each time measure
/// stale and live and check that only this source was affected.
async fn alert_source_faults(
    tmux: &Tmux,
    stack: &mut promstack::Stack,
    proxy: &FaultProxy,
    source: AlertSource,
) {
    let label = source.label();
    let live = |s: &str| is_live(s, label) && is_live(s, "k8s") && s.contains("CheckoutDown");
    tmux.wait_for("alerts", Duration::from_secs(60), live);
    for fault in [Fault::Killed, Fault::Slow, Fault::Blackhole] {
        let fault_name = match fault {
            Fault::Killed => format!("{} killed (connection refused)", source.name()),
            Fault::Slow => format!("{} answering 6 s late (timeout 4 s)", source.name()),
            Fault::Blackhole => format!("{} blackholed (silent, no RST)", source.name()),
        };
        match fault {
            Fault::Killed => source.server(stack).stop(),
            Fault::Slow => proxy.set(Mode::Delay(Duration::from_secs(6))),
            Fault::Blackhole => proxy.set(Mode::Blackhole),
        }
        let (to_stale, stale) = timed(tmux, "stale", |s| is_stale(s, label));
        let others_live = is_live(&stale, "k8s") && is_live(&stale, "deploy");
        let kept = stale.contains("CheckoutDown");
        if let Fault::Killed = fault {
            source.server(stack).start();
            source.server(stack).wait_ready().await;
        } else {
            proxy.set(Mode::Pass);
        }
        let (to_live, screen) = timed(tmux, "live with alerts", live);
        Measured {
            fault: fault_name,
            to_stale: Some(to_stale),
            to_live: Some(to_live),
            exit: 0,
            data_correct: others_live && kept,
            note: format!("others live: {others_live}, last alerts kept: {kept}"),
        }
        .check(&format!("{stale}\n{screen}"));
    }
}

/// An "Alertmanager" that answers garbage: an HTML login page, truncated JSON, a 100 MB body.
/// The alerts pane says which; the Kubernetes sources stay live; good answers bring it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_alertmanager_is_named_in_its_pane() {
    let mode = Arc::new(AtomicU8::new(0));
    let server = garbage_server(mode.clone()).await;
    let rig = Rig::start().await;
    let extra = format!("--alertmanager-url http://{}", server.0);
    let tmux = rig.opsdeck("garbage", &extra);
    tmux.wait_for("am live", WAIT, |s| is_live(s, "am") && is_live(s, "k8s"));
    for (m, why, fault) in [
        (
            1,
            "not JSON but an HTML page (Sign in)",
            "Alertmanager answers an HTML page",
        ),
        (2, "truncated", "Alertmanager answers truncated JSON"),
        (3, "larger than", "Alertmanager answers a 100 MB body"),
    ] {
        mode.store(m, Ordering::SeqCst);
        let (to_stale, screen) = timed(&tmux, why, |s| is_stale(s, "am") && s.contains(why));
        let others_live = is_live(&screen, "k8s") && is_live(&screen, "deploy");
        mode.store(0, Ordering::SeqCst);
        let (to_live, _) = timed(&tmux, "am live", |s| is_live(s, "am"));
        Measured {
            fault: fault.into(),
            to_stale: Some(to_stale),
            to_live: Some(to_live),
            exit: 0,
            data_correct: others_live,
            note: String::new(),
        }
        .check(&screen);
    }
    assert_eq!(quit(&tmux, rig.dir.path()), 0);
}

/// The address of a fake Alertmanager whose answer `mode` picks: 0 no alerts, 1 an HTML login
/// page, 2 JSON cut short, 3 a 100 MB body (streamed, no length). Aborted on drop.
struct Garbage(std::net::SocketAddr, tokio::task::JoinHandle<()>);

impl Drop for Garbage {
    fn drop(&mut self) {
        self.1.abort();
    }
}

async fn garbage_server(mode: Arc<AtomicU8>) -> Garbage {
    use axum::body::Body;
    use axum::response::Response;
    let app = axum::Router::new().fallback(move || {
        let mode = mode.load(Ordering::SeqCst);
        async move {
            let body = match mode {
                1 => Body::from("<!doctype html><html><head><title>Sign in</title></head></html>"),
                2 => Body::from(r#"[{"fingerprint":"abc","labels":{"alertname":"Cut"#),
                3 => {
                    let chunks = (0..100).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1 << 20]));
                    Body::from_stream(futures::stream::iter(chunks))
                }
                _ => Body::from("[]"),
            };
            Response::builder()
                .header("content-type", "application/json")
                .body(body)
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Garbage(addr, task)
}
