//! Log flood: tail a deployment of 50 pods logging 1,000 lines/s each from the simulator, apply
//! every batch to the state and draw the whole screen (200x50, log pane zoomed) at up to 30 fps.
//! Prints lines/s ingested, frames/s, draw time (p50/p99, a proxy for keypress-to-frame), bytes
//! of screen diff per second, CPU of the tailer+state+render threads (separately from the
//! simulator's threads), and RSS.
//!
//! `cargo bench --bench logs_flood` (env: FLOOD_PODS, FLOOD_RATE, FLOOD_SECS).

use std::time::{Duration, Instant};

use opsdeck::action::{Action, Pane};
use opsdeck::cluster::ClusterConfig;
use opsdeck::config::LogsConfig;
use opsdeck::config::keymap::Keymap;
use opsdeck::model::log::{LogRequest, LogTarget};
use opsdeck::sources::LogTailer;
use opsdeck::state::AppState;
use opsdeck::ui::theme::Theme;
use opsdeck::update::Update;
use opsdeck_sim::{SimConfig, Simulator};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds of this process's threads whose name starts with `prefix` (all with "").
fn cpu_of(prefix: &str) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for t in tasks.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if !prefix.is_empty() && !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ut: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let st: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        total += (ut + st) / tick;
    }
    total
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let pods: usize = env("FLOOD_PODS", 50);
    let rate: f64 = env("FLOOD_RATE", 1000.0);
    let secs: u64 = env("FLOOD_SECS", 10);
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sim")
        .enable_all()
        .build()
        .expect("sim runtime");
    let cfg = SimConfig {
        pods,
        deployments: 1,
        namespaces: 1,
        churn_per_sec: 0.0,
        log_rate: rate,
        ..SimConfig::default()
    };
    let sim = sim_rt
        .block_on(Simulator::start("127.0.0.1:0".parse().expect("addr"), cfg))
        .expect("start the simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("tail")
        .enable_all()
        .build()
        .expect("tail runtime");
    rt.block_on(flood(kubeconfig, pods, rate, secs));
    drop(sim);
}

async fn flood(kubeconfig: std::path::PathBuf, pods: usize, rate: f64, secs: u64) {
    let cluster = ClusterConfig {
        kubeconfig: Some(kubeconfig),
    };
    let client = cluster.client(None).await.expect("client");
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::all(client);
    let list = deployments.list(&Default::default()).await.expect("list");
    let d = &list.items[0];
    let (ns, name) = (
        d.metadata.namespace.clone().unwrap_or_default(),
        d.metadata.name.clone().unwrap_or_default(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let mut state = AppState::new("opsdeck-sim".into(), None, jiff::Timestamp::now());
    state.ui.focus = Pane::Logs;
    state.ui.zoomed = true;
    let request = LogRequest {
        id: 1,
        context: "opsdeck-sim".into(),
        namespace: ns,
        target: LogTarget::deployment(name),
        previous: false,
    };
    state.logs.start(request.clone());
    let settings = LogsConfig::default();
    let tailer = LogTailer {
        cluster,
        request,
        settings,
        scope: state.scope,
        tx,
        links: Default::default(),
    };
    let task = tokio::spawn(tailer.run());
    let theme = Theme::default_theme();
    let keymap = Keymap::default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let frame = Duration::from_millis(33);
    let warmup = Duration::from_secs(2);
    let start = Instant::now();
    let (mut lines, mut frames, mut diff_cells) = (0usize, 0usize, 0usize);
    let mut draws = Vec::new();
    let mut measuring = false;
    let (mut cpu0, mut cpu_sim0, mut t0) = (0.0, 0.0, Instant::now());
    let mut last_draw = Instant::now();
    let mut previous = terminal.backend().buffer().clone();
    while start.elapsed() < warmup + Duration::from_secs(secs) {
        if !measuring && start.elapsed() >= warmup {
            measuring = true;
            (cpu0, cpu_sim0, t0) = (cpu_of(""), cpu_of("sim"), Instant::now());
            (lines, frames, diff_cells) = (0, 0, 0);
        }
        let deadline = last_draw + frame;
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Some(update)) => {
                if let Update::LogLines { lines: l, .. } = &update {
                    lines += l.len();
                }
                state.apply(update);
                while let Ok(update) = rx.try_recv() {
                    if let Update::LogLines { lines: l, .. } = &update {
                        lines += l.len();
                    }
                    state.apply(update);
                }
            }
            Ok(None) => break,
            Err(_) => {}
        }
        if last_draw.elapsed() >= frame {
            // A key every frame (pause/follow), then the frame: what a keypress costs.
            let t = Instant::now();
            state.handle(Action::Pause);
            terminal
                .draw(|f| opsdeck::ui::render(f, &state, &theme, &keymap))
                .expect("draw");
            draws.push(t.elapsed());
            let now = terminal.backend().buffer().clone();
            diff_cells += previous.diff(&now).len();
            previous = now;
            frames += 1;
            last_draw = Instant::now();
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu_sim = cpu_of("sim") - cpu_sim0;
    // Everything but the simulator's threads: tailer, kube client, state, render.
    let cpu = cpu_of("") - cpu0 - cpu_sim;
    task.abort();
    draws.sort();
    println!("log flood: {pods} pods x {rate} lines/s, {secs} s window (after {warmup:?} warm-up)");
    println!("  lines ingested     {:>10.0} /s", lines as f64 / elapsed);
    println!("  buffer             {:>10} lines (cap)", state.logs.len());
    println!("  frames drawn       {:>10.1} /s", frames as f64 / elapsed);
    println!(
        "  key+draw p50/p99   {:>7.2} ms / {:.2} ms",
        percentile(&draws, 0.5).as_secs_f64() * 1000.0,
        percentile(&draws, 0.99).as_secs_f64() * 1000.0
    );
    println!(
        "  changed cells      {:>10.0} /s (200x50)",
        diff_cells as f64 / elapsed
    );
    println!(
        "  CPU tailer+state   {:>10.1} % of one core",
        100.0 * cpu / elapsed
    );
    println!(
        "  CPU simulator      {:>10.1} % of one core",
        100.0 * cpu_sim / elapsed
    );
    println!("  RSS (with the sim) {:>10.1} MB", rss_mb());
}
