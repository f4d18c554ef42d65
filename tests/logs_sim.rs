//! The log tailer against the simulator's pods/log streams: pod tail (tail + follow),
//! deployment tail (every pod, a replacement joins, a deleted pod is marked), reconnect
//! without duplicates or gaps, previous container, and the events of a pod that cannot start
//! until its logs flow; retargeting a tail (and a rescope, and quitting) under the supervisor
//! ends every stream the old tail opened.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use opsdeck::app::AlertsOptions;
use opsdeck::cluster::ClusterConfig;
use opsdeck::config::LogsConfig;
use opsdeck::model::log::{LineKind, LogLine, LogRequest, LogTarget};
use opsdeck::sources::LogTailer;
use opsdeck::state::logs::LogsState;
use opsdeck::supervisor::{Scope, Settings, Supervisor};
use opsdeck::update::Update;
use opsdeck_sim::{Scenario, SimConfig, SimStats, Simulator};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);
const RATE: f64 = 20.0;

struct Setup {
    sim: Simulator,
    _dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
    client: Client,
}

async fn setup() -> Setup {
    setup_with(SimConfig {
        pods: 12,
        deployments: 3,
        namespaces: 1,
        churn_per_sec: 0.0,
        log_rate: RATE,
        ..SimConfig::default()
    })
    .await
}

async fn setup_with(cfg: SimConfig) -> Setup {
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .expect("start the simulator");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let kc = Kubeconfig::read_from(&kubeconfig).unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();
    Setup {
        sim,
        _dir: dir,
        kubeconfig,
        client,
    }
}

/// Start a tailer; returns the receiver of its updates.
fn tail(s: &Setup, ns: &str, target: LogTarget, previous: bool) -> mpsc::Receiver<Update> {
    let (tx, rx) = mpsc::channel(1024);
    let tailer = LogTailer {
        cluster: ClusterConfig {
            kubeconfig: Some(s.kubeconfig.clone()),
        },
        request: LogRequest {
            id: 1,
            context: "opsdeck-sim".into(),
            namespace: ns.into(),
            target,
            previous,
        },
        settings: LogsConfig::default(),
        scope: 1,
        tx,
        links: Default::default(),
    };
    tokio::spawn(tailer.run());
    rx
}

/// Collect lines until `done(lines)` holds; panics after `WAIT`.
async fn collect(
    rx: &mut mpsc::Receiver<Update>,
    lines: &mut Vec<LogLine>,
    what: &str,
    done: impl Fn(&[LogLine]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(lines) {
        let next = tokio::time::timeout_at(deadline, rx.recv()).await;
        match next {
            Ok(Some(Update::LogLines { lines: batch, .. })) => lines.extend(batch),
            Ok(Some(_)) => {}
            Ok(None) => panic!("tailer stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}; {} lines", lines.len()),
        }
    }
}

async fn first_deployment(client: &Client) -> (String, String, Vec<String>) {
    let deployments: Api<Deployment> = Api::all(client.clone());
    let d = deployments
        .list(&ListParams::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    let ns = d.metadata.namespace.clone().unwrap();
    let name = d.metadata.name.clone().unwrap();
    let labels = d.spec.unwrap().selector.match_labels.unwrap();
    let selector: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let lp = ListParams::default().labels(&selector.join(","));
    let names = pods
        .list(&lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter_map(|p| p.metadata.name)
        .collect();
    (ns, name, names)
}

fn pods_of(lines: &[LogLine]) -> HashSet<String> {
    lines
        .iter()
        .filter(|l| l.kind == LineKind::Log)
        .map(|l| l.source.pod.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_tail_starts_from_tail_lines_then_follows() {
    let s = setup().await;
    let (ns, _, pods) = first_deployment(&s.client).await;
    let pod = pods[0].clone();
    let target = LogTarget::Pod {
        name: pod.clone(),
        container: None,
    };
    let mut rx = tail(&s, &ns, target, false);
    let mut lines = Vec::new();
    collect(&mut rx, &mut lines, "the backlog", |l| l.len() >= 200).await;
    let backlog_end = lines[199].time.unwrap();
    collect(&mut rx, &mut lines, "followed lines", |l| l.len() >= 230).await;
    assert!(lines[229].time.unwrap() > backlog_end);
    assert!(lines.iter().all(|l| l.source.pod == pod));
    assert!(
        lines.iter().all(|l| l.source.tag.is_empty()),
        "single container: no tag"
    );
    drop(s.sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_tail_reads_every_pod_and_a_replacement_joins() {
    let s = setup().await;
    let (ns, name, pods) = first_deployment(&s.client).await;
    assert!(pods.len() >= 2, "{pods:?}");
    let mut rx = tail(&s, &ns, LogTarget::deployment(name), false);
    let mut lines = Vec::new();
    let want: HashSet<String> = pods.iter().cloned().collect();
    collect(&mut rx, &mut lines, "lines of every pod", |l| {
        want.is_subset(&pods_of(l))
    })
    .await;
    assert!(
        lines.iter().all(|l| !l.source.tag.is_empty()),
        "tagged by pod"
    );

    let victim = pods[0].clone();
    s.sim.control().delete_pod(&ns, &victim).unwrap();
    let gone = format!("pod {victim} gone");
    collect(&mut rx, &mut lines, "the gone note and a new pod", |l| {
        let noted = l
            .iter()
            .any(|x| x.kind == LineKind::Note && *x.text == gone);
        noted && !pods_of(l).is_subset(&want)
    })
    .await;
    drop(s.sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_shows_nothing_twice_and_loses_nothing() {
    let s = setup().await;
    let (ns, _, pods) = first_deployment(&s.client).await;
    let target = LogTarget::Pod {
        name: pods[0].clone(),
        container: None,
    };
    let mut rx = tail(&s, &ns, target, false);
    let mut lines = Vec::new();
    collect(&mut rx, &mut lines, "backlog", |l| l.len() >= 220).await;
    for _ in 0..3 {
        // Ends every log stream: the tailer reconnects with sinceTime.
        s.sim.faults().close_watches();
        let n = lines.len();
        collect(&mut rx, &mut lines, "lines after the reconnect", |l| {
            l.len() >= n + 20
        })
        .await;
    }
    let mut seen = HashMap::new();
    for l in &lines {
        let key = (l.time.unwrap(), l.text.to_string());
        assert!(seen.insert(key, ()).is_none(), "duplicate: {}", l.text);
    }
    let step = jiff::SignedDuration::from_secs_f64(1.0 / RATE);
    for w in lines.windows(2) {
        let gap = w[1].time.unwrap().duration_since(w[0].time.unwrap());
        assert!(gap > jiff::SignedDuration::ZERO, "out of order");
        assert!(gap <= step * 2, "lines lost: gap of {gap:?}");
    }
    drop(s.sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_container_logs_after_a_crash() {
    let s = setup().await;
    let (ns, _, pods) = first_deployment(&s.client).await;
    let pod = pods[0].clone();
    s.sim.control().crash_pod(&ns, &pod).unwrap();
    let target = LogTarget::Pod {
        name: pod.clone(),
        container: None,
    };
    let mut rx = tail(&s, &ns, target, true);
    let mut lines = Vec::new();
    collect(
        &mut rx,
        &mut lines,
        "the previous instance's last words",
        |l| l.iter().any(|x| x.text.starts_with("FATAL")),
    )
    .await;
    drop(s.sim);
}

/// Apply the tailer's updates to a log pane state until `done(state)`; panics after `WAIT`.
async fn feed_until(
    rx: &mut mpsc::Receiver<Update>,
    state: &mut LogsState,
    what: &str,
    done: impl Fn(&LogsState) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(state) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Update::LogLines { tail, lines })) => {
                state.apply_lines(tail, lines);
            }
            Ok(Some(Update::LogEvents { tail, pods })) => {
                state.apply_events(tail, pods);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("tailer stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// `(namespace, name)` of a pod whose image cannot be pulled, once the kubelet says so.
async fn image_pull_pod(client: &Client) -> (String, String) {
    let pods: Api<Pod> = Api::all(client.clone());
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        let list = pods.list(&ListParams::default()).await.unwrap();
        let found = list.items.into_iter().find(|p| {
            let statuses = p
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref());
            statuses.into_iter().flatten().any(|c| {
                let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
                waiting.and_then(|w| w.reason.as_deref()) == Some("ImagePullBackOff")
            })
        });
        if let Some(p) = found {
            return (p.metadata.namespace.unwrap(), p.metadata.name.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no ImagePullBackOff pod in the incident scenario");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_that_cannot_start_shows_its_events_until_logs_flow() {
    let s = setup_with(SimConfig {
        scenario: Scenario::Incident,
        pods: 12,
        deployments: 6,
        namespaces: 5,
        churn_per_sec: 0.0,
        log_rate: RATE,
        ..SimConfig::default()
    })
    .await;
    let (ns, pod) = image_pull_pod(&s.client).await;
    let target = LogTarget::Pod {
        name: pod.clone(),
        container: None,
    };
    let mut rx = tail(&s, &ns, target, false);
    let mut state = LogsState::with_capacity(1000);
    state.start(LogRequest {
        id: 1,
        context: "opsdeck-sim".into(),
        namespace: ns.clone(),
        target: LogTarget::Pod {
            name: pod.clone(),
            container: None,
        },
        previous: false,
    });
    // The pane shows the events (the kubelet's back-off) instead of an empty box.
    feed_until(&mut rx, &mut state, "the events", |s| s.shows_events()).await;
    let events = &state.events[0];
    assert_eq!(events.pod, pod);
    assert!(
        events
            .events
            .iter()
            .any(|e| e.is_warning() && e.message.contains("Back-off pulling image")),
        "{events:?}"
    );
    let note = state.line(0).map(|l| (l.kind, l.text.to_string()));
    let Some((LineKind::Note, text)) = note else {
        panic!("{note:?}")
    };
    assert!(text.contains("is waiting to start"), "{text}");

    // The image arrives: the container starts, lines flow and the pane switches to them.
    s.sim.control().set_pod_phase(&ns, &pod, "Running").unwrap();
    feed_until(&mut rx, &mut state, "logs after the start", |s| {
        !s.shows_events()
    })
    .await;
    assert!(
        (0..state.len() as u64).any(|i| state.line(i).is_some_and(|l| l.kind == LineKind::Log))
    );
    drop(s.sim);
}

/// A supervisor of the simulator's cluster (no alert sources), with its updates drained.
fn supervise(s: &Setup) -> Supervisor {
    let settings = Settings {
        cluster: ClusterConfig {
            kubeconfig: Some(s.kubeconfig.clone()),
        },
        readonly: true,
        audit_log: None,
        alerts: AlertsOptions::default(),
        http: None,
        logs: LogsConfig::default(),
        usage_interval: std::time::Duration::from_secs(15),
    };
    let scope = Scope {
        context: "opsdeck-sim".into(),
        namespace: None,
        tag: 1,
    };
    let (supervisor, mut rx) = Supervisor::start(settings, scope);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    supervisor
}

/// Wait until the simulator's stats satisfy `done`; panics after `WAIT` with the last ones.
async fn wait_for_stats(s: &Setup, what: &str, done: impl Fn(&SimStats) -> bool) -> SimStats {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let stats = s.sim.stats();
        if done(&stats) {
            return stats;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Retargeting a tail (and a rescope) ends every stream the old tail opened, also the follow
/// streams of quiet containers, which a detached task would keep open until they print.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retargeting_a_deployment_tail_ends_every_stream_of_the_old_one() {
    let s = setup_with(SimConfig {
        pods: 12,
        deployments: 3,
        namespaces: 1,
        churn_per_sec: 0.0,
        // Quiet: one line per container every 100 s.
        log_rate: 0.0,
        ..SimConfig::default()
    })
    .await;
    let (ns, name, pods) = first_deployment(&s.client).await;
    let api: Api<Pod> = Api::namespaced(s.client.clone(), &ns);
    let mut containers = 0;
    for pod in &pods {
        containers += api.get(pod).await.unwrap().spec.unwrap().containers.len() as u64;
    }
    assert!(containers >= 2, "{pods:?}");
    let mut supervisor = supervise(&s);
    for id in 1..=5 {
        let before = s.sim.stats().gets;
        supervisor.tail(LogRequest {
            id,
            context: "opsdeck-sim".into(),
            namespace: ns.clone(),
            target: LogTarget::deployment(name.clone()),
            previous: false,
        });
        // The deployment's GET, then one follow stream per container.
        wait_for_stats(&s, "the tail's streams to be opened", |st| {
            st.gets > before + containers
        })
        .await;
        wait_for_stats(&s, "exactly the new tail's streams open", |st| {
            st.log_follows_open == containers
        })
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.sim.stats().log_follows_open, containers, "nothing leaked");

    supervisor.rescope(Scope {
        context: "opsdeck-sim".into(),
        namespace: Some(ns.clone()),
        tag: 2,
    });
    wait_for_stats(&s, "a rescope to end the tail", |st| {
        st.log_follows_open == 0
    })
    .await;
    supervisor.tail(LogRequest {
        id: 6,
        context: "opsdeck-sim".into(),
        namespace: ns.clone(),
        target: LogTarget::deployment(name),
        previous: false,
    });
    wait_for_stats(&s, "the next tail's streams", |st| {
        st.log_follows_open == containers
    })
    .await;
    tokio::time::timeout(WAIT, supervisor.shutdown())
        .await
        .expect("nothing in flight: shutdown is immediate");
    wait_for_stats(&s, "shutdown to end the tail", |st| {
        st.log_follows_open == 0
    })
    .await;
    drop(s.sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_tail_reads_every_pod_tagged_with_its_controller_revision() {
    use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
    use opsdeck::model::rollout::WorkloadKind;
    let s = setup().await;
    let sets: Api<StatefulSet> = Api::all(s.client.clone());
    let postgres = sets
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|s| s.metadata.name.as_deref() == Some("postgres"))
        .expect("the simulator has the postgres StatefulSet");
    let ns = postgres.metadata.namespace.clone().unwrap();
    let revisions: Api<ControllerRevision> = Api::namespaced(s.client.clone(), &ns);
    let current = revisions
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|r| {
            r.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("postgres-"))
        })
        .expect("postgres has a ControllerRevision");
    let cr_name = current.metadata.name.clone().unwrap();
    let target = LogTarget::Workload {
        kind: WorkloadKind::StatefulSet,
        name: "postgres".into(),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let tailer = LogTailer {
        cluster: ClusterConfig {
            kubeconfig: Some(s.kubeconfig.clone()),
        },
        request: LogRequest {
            id: 1,
            context: "opsdeck-sim".into(),
            namespace: ns.clone(),
            target,
            previous: false,
        },
        settings: LogsConfig::default(),
        scope: 1,
        tx,
        links: Default::default(),
    };
    tokio::spawn(tailer.run());
    let want: HashSet<String> = (0..3).map(|i| format!("postgres-{i}")).collect();
    let mut lines = Vec::new();
    let mut revisions_seen: Vec<(String, u64)> = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !want.is_subset(&pods_of(&lines)) || revisions_seen.is_empty() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Update::LogLines { lines: batch, .. })) => lines.extend(batch),
            Ok(Some(Update::LogRevisions { revisions, .. })) => revisions_seen = revisions,
            Ok(Some(_)) => {}
            other => panic!("waiting for every postgres pod and the revisions: {other:?}"),
        }
    }
    // Each line's pod runs the ControllerRevision its controller-revision-hash names, and the
    // tail knows that revision's number.
    let logs: Vec<&LogLine> = lines.iter().filter(|l| l.kind == LineKind::Log).collect();
    assert!(
        logs.iter()
            .all(|l| l.source.hash.as_deref() == Some(cr_name.as_str())),
        "{:?}",
        logs.iter().map(|l| &l.source.hash).collect::<HashSet<_>>()
    );
    assert!(
        revisions_seen.contains(&(cr_name.clone(), current.revision as u64)),
        "{revisions_seen:?}"
    );
    let tags: HashSet<&str> = logs.iter().map(|l| l.source.tag.as_str()).collect();
    assert_eq!(
        tags,
        ["0", "1", "2"].into_iter().collect(),
        "tagged by ordinal"
    );
    drop(s.sim);
}
