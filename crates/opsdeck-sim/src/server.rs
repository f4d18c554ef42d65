//! Shared simulator context and the HTTP server wiring.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use parking_lot::Mutex;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::watch;

use super::SimConfig;
use super::faults::{FaultState, Stats};
use super::kubelet::Kubelet;
use super::store::Store;

/// Watch events kept for resumption.
const HISTORY: usize = 10_000;

/// Everything the handlers and background tasks share.
pub struct Ctx {
    pub store: Store,
    pub cfg: SimConfig,
    pub stats: Stats,
    pub faults: FaultState,
    pub kubelet: Kubelet,
    pub rng: Mutex<StdRng>,
    pub nodes: Mutex<Vec<String>>,
    pub prom: super::prom::Shared,
    ip: AtomicU64,
    /// Bumped to end every open stream (close-watches fault, restart, shutdown).
    pub streams: watch::Sender<u64>,
    /// Set once on shutdown.
    pub stopped: watch::Sender<bool>,
}

impl Ctx {
    /// A context with an empty store.
    pub fn new(cfg: SimConfig) -> Ctx {
        let seed = cfg.seed;
        let bad_rollout = cfg.scenario.spec().bad_rollout.is_some();
        Ctx {
            store: Store::new(HISTORY),
            cfg,
            stats: Stats::default(),
            faults: FaultState::default(),
            kubelet: Kubelet::default(),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            nodes: Mutex::new(Vec::new()),
            prom: super::prom::PromState::new(bad_rollout),
            ip: AtomicU64::new(0),
            streams: watch::channel(0).0,
            stopped: watch::channel(false).0,
        }
    }

    /// A fresh pod IP.
    pub fn next_ip(&self) -> String {
        let n = self.ip.fetch_add(1, Ordering::Relaxed) + 10;
        format!("10.244.{}.{}", (n / 250) % 250, n % 250 + 2)
    }

    /// A node for a new pod.
    pub fn pick_node(&self, n: usize) -> String {
        let nodes = self.nodes.lock();
        nodes
            .get(n % nodes.len().max(1))
            .cloned()
            .unwrap_or_else(|| "worker-000".into())
    }

    /// Ends every open watch and log stream.
    pub fn close_streams(&self) {
        self.streams.send_modify(|n| *n += 1);
    }

    /// Stops streams and background work.
    pub fn shutdown(&self) {
        self.stopped.send_replace(true);
        self.close_streams();
    }
}

/// Starts the HTTP server and the background tasks; returns their handles.
pub fn spawn(ctx: Arc<Ctx>, listener: tokio::net::TcpListener) -> Vec<tokio::task::JoinHandle<()>> {
    let app = Router::new().fallback(entry).with_state(ctx.clone());
    let mut stopped = ctx.stopped.subscribe();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            // Ends when the flag flips or the sender is gone.
            let _ = stopped.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "simulator server failed");
        }
    });
    vec![
        server,
        tokio::spawn(super::controller::run(ctx.clone())),
        tokio::spawn(super::workloads::run(ctx.clone())),
        tokio::spawn(super::kubelet::run(ctx.clone())),
        tokio::spawn(super::kubelet::churn(ctx)),
    ]
}

async fn entry(State(ctx): State<Arc<Ctx>>, req: Request) -> Response {
    super::api::handle(ctx, req).await
}
