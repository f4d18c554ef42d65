//! The usage poller against the simulator's metrics.k8s.io: it lists PodMetrics only while
//! the screen has room for the CPU/MEM columns, and at once when they get room.

use std::time::Duration;

use opsdeck::cluster::ClusterConfig;
use opsdeck::sources::{UsagePoller, Watch};
use opsdeck::update::Update;
use opsdeck_sim::{SimConfig, Simulator};
use tokio::sync::{mpsc, watch};

#[tokio::test]
async fn pod_metrics_are_listed_only_while_the_columns_have_room() {
    let config = SimConfig {
        pods: 8,
        deployments: 4,
        namespaces: 2,
        churn_per_sec: 0.0,
        log_rate: 0.0,
        ..SimConfig::default()
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("the simulator must start");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let wanted = watch::Sender::new(false);
    let poller = UsagePoller {
        watch: Watch {
            cluster: ClusterConfig {
                kubeconfig: Some(path),
            },
            context: Some("opsdeck-sim".into()),
            namespace: None,
            scope: 5,
            tx,
            links: Default::default(),
        },
        interval: Duration::from_millis(300),
        wanted: wanted.subscribe(),
    };
    let task = tokio::spawn(poller.run());
    let fetched = async |rx: &mut mpsc::Receiver<Update>, within: Duration| {
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Some(update)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let Update::UsageFetched { usage, .. } = update {
                return Some(usage);
            }
        }
        None
    };
    let polls_before = sim.stats().metrics;

    // No room: nothing is asked for, however long.
    assert!(fetched(&mut rx, Duration::from_secs(2)).await.is_none());
    assert_eq!(
        sim.stats().metrics,
        polls_before,
        "no PodMetrics LIST while not wanted"
    );

    // Room: the PodMetrics of every pod, at once and then every interval.
    wanted.send_replace(true);
    let usage = fetched(&mut rx, Duration::from_secs(5))
        .await
        .expect("a poll once the columns have room")
        .expect("the simulator serves metrics.k8s.io");
    assert!(usage.len() >= 8, "{} pods", usage.len());
    assert!(usage.iter().all(|(_, u)| u.mem_b > 0));
    assert!(fetched(&mut rx, Duration::from_secs(3)).await.is_some());

    // No room again: the polls stop (one in flight may still land).
    wanted.send_replace(false);
    let _ = fetched(&mut rx, Duration::from_millis(500)).await;
    let polls = sim.stats().metrics;
    assert!(polls > polls_before);
    assert!(fetched(&mut rx, Duration::from_secs(2)).await.is_none());
    assert_eq!(sim.stats().metrics, polls, "polls stopped");
    task.abort();
}
