//! Scale benchmark of the simulator: `cargo bench --bench sim_scale`. Prints numbers.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use opsdeck_sim::{SimConfig, Simulator};
use rand::{RngExt, SeedableRng};

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(serde::Deserialize)]
struct Meta {
    #[serde(rename = "continue")]
    cont: Option<String>,
}

/// A page with its items skipped over (server + transfer cost, no client-side object tree).
#[derive(serde::Deserialize)]
struct Page {
    metadata: Meta,
    items: Vec<serde::de::IgnoredAny>,
}

/// Pages through all pods with limit=500; `tree` also parses each page into a JSON tree.
async fn full_list(client: &reqwest::Client, base: &str, tree: bool) -> (usize, usize, usize) {
    let (mut items, mut pages, mut bytes) = (0, 0, 0);
    let mut cont = String::new();
    loop {
        let url = format!("{base}/api/v1/pods?limit=500&continue={cont}");
        let body = client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        bytes += body.len();
        if tree {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert!(v["items"].is_array());
        }
        let page: Page = serde_json::from_slice(&body).unwrap();
        items += page.items.len();
        pages += 1;
        match page.metadata.cont {
            Some(c) => cont = c,
            None => return (items, pages, bytes),
        }
    }
}

/// Watches pods; returns when each MODIFIED event arrived.
async fn watcher(base: String, rv: String, stop: Instant) -> Vec<Instant> {
    let url = format!("{base}/api/v1/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=true");
    let mut resp = reqwest::get(&url).await.unwrap();
    let (mut buf, mut events) = (Vec::new(), Vec::new());
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(stop.into(), resp.chunk()).await {
        buf.extend_from_slice(&chunk);
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            if line.starts_with(b"{\"type\":\"MODIFIED\"") {
                events.push(Instant::now());
            }
        }
    }
    events
}

async fn fan_out(sim: &Simulator, client: &reqwest::Client) {
    let base = sim.url();
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/pods?limit=2000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let pods: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["metadata"]["namespace"].as_str().unwrap().into(),
                p["metadata"]["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let secs = 10;
    let stop = Instant::now() + Duration::from_secs(secs + 2);
    let watchers: Vec<_> = (0..4)
        .map(|_| tokio::spawn(watcher(base.clone(), rv.clone(), stop)))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let control = sim.control();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut sent = Vec::new();
    let mut ready = vec![true; pods.len()];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        let i = rng.random_range(0..pods.len());
        ready[i] = !ready[i];
        control
            .set_pod_ready(&pods[i].0, &pods[i].1, ready[i])
            .unwrap();
        sent.push(Instant::now());
    }
    let got: Vec<Vec<Instant>> = futures::future::join_all(watchers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let counts: Vec<usize> = got.iter().map(Vec::len).collect();
    // Every change is one MODIFIED event, in order: the i-th arrival belongs to the i-th change.
    let mut lags: Vec<f64> = got
        .iter()
        .flat_map(|recv| {
            recv.iter()
                .zip(&sent)
                .map(|(r, s)| (*r - *s).as_secs_f64() * 1e3)
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lags.get(((lags.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "fan-out: {} pod changes in {secs} s (20/s) to 4 watchers; MODIFIED received per watcher: {counts:?}; \
         delivery latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sent.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg = SimConfig {
            pods: 50_000,
            deployments: 500,
            namespaces: 20,
            churn_per_sec: 0.0,
            ..SimConfig::default()
        };
        let rss0 = rss_mb();
        let t = Instant::now();
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
            .await
            .unwrap();
        println!(
            "startup: 50,000 pods / 500 deployments / 20 namespaces in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        println!(
            "rss after startup: {:.0} MB (process baseline {:.0} MB)",
            rss_mb(),
            rss0
        );
        let client = reqwest::Client::new();
        for (run, tree) in [(1, false), (2, false), (3, false), (4, true)] {
            let t = Instant::now();
            let (items, pages, bytes) = full_list(&client, &sim.url(), tree).await;
            let how = if tree { "client parses a JSON tree" } else { "client skips items" };
            println!(
                "full LIST run {run}: {items} pods, {pages} pages of 500, {:.1} MB, {:.3} s ({how})",
                bytes as f64 / 1e6,
                t.elapsed().as_secs_f64()
            );
        }
        println!("rss after lists: {:.0} MB", rss_mb());
        fan_out(&sim, &client).await;
        println!(
            "rss at end: {:.0} MB; requests: {:?}",
            rss_mb(),
            sim.stats()
        );
    });
}
