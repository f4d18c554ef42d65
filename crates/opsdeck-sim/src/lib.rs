//! The built-in simulated Kubernetes cluster behind `opsdeck demo` and `opsdeck sim`.
//!
//! A faithful subset of the Kubernetes API (discovery, list/watch with selectors and pagination,
//! server-side tables, patches, the Deployment, StatefulSet and DaemonSet controllers with their
//! ReplicaSets and ControllerRevisions, pod logs, `metrics.k8s.io`, access reviews), plus a
//! Prometheus/Alertmanager look-alike and a `/_sim` control API, all on one loopback listener.
//!
//! # Workloads
//! Deployments, StatefulSets and DaemonSets can be created, patched (strategic merge with
//! `$patch: replace`, merge, JSON patch), updated and deleted (cascading to their ReplicaSets or
//! ControllerRevisions and pods); Deployments and StatefulSets have the `scale` subresource.
//! StatefulSets roll from the highest ordinal down to `partition`, one pod at a time, or only on
//! pod deletion with `OnDelete`; `OrderedReady` sets wait for each pod to be ready, so a broken
//! revision needs its pod deleted after an undo, as in kube (`Parallel` sets recover alone).
//! DaemonSets run one pod per node and roll within `maxUnavailable`. Every template gets a
//! ControllerRevision whose `data` kubectl's `rollout history|undo` reads; undo reuses and
//! renumbers the old revision. `metrics.k8s.io/v1beta1` serves PodMetrics and NodeMetrics that
//! follow what pods do (see `metrics.rs`; the pod annotation `sim.opsdeck.io/memory: "0.94"`
//! pins memory use to a fraction of the limit).
//!
//! Every scenario has the StatefulSet `postgres` (3 replicas) and the DaemonSet `log-shipper`
//! (one pod per node) on top of the configured pods; the incident scenario adds the StatefulSet
//! `kafka` rolled to a crash-looping revision and puts `postgres-0` at 94% of its memory limit.
//!
//! # Connecting
//! [`Simulator::kubeconfig_yaml`] has two contexts on the same plain-http server:
//! `opsdeck-sim` (admin, bearer [`ADMIN_TOKEN`]) and `opsdeck-sim-readonly` (bearer
//! [`READONLY_TOKEN`] plus `as: opsdeck-sim-readonly`, because client-go drops bearer tokens on
//! plain http; the `Impersonate-User` header still identifies the user). Requests without
//! credentials are admin. The read-only user may get/list/watch; anything else is a 403 Status,
//! and SelfSubjectAccessReviews answer accordingly (JSON or client-go's protobuf).
//!
//! # Control API (same operations as [`Faults`], [`Control`], [`Simulator::stats`])
//! - `POST /_sim/faults/close-watches` — end every open watch and log follow.
//! - `POST /_sim/faults/errors?status=500&seconds=N` — fail Kubernetes requests (429 adds
//!   `Retry-After`).
//! - `POST /_sim/faults/latency?ms=N` — delay every request (0 clears).
//! - `POST /_sim/faults/restart` — lose watch history: resuming an old watch gets 410 Expired.
//! - `POST /_sim/faults/clear` — clear errors and latency.
//! - `GET /_sim/stats` — request counters and the log follow streams open now.
//! - `POST /_sim/pods/{ns}/{name}/crash|delete`, `…/ready?ready=false`,
//!   `…/phase?phase=Succeeded|Failed|Pending|Running`.
//!
//! # Monitoring
//! Prometheus: `/api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`, `/api/v1/rules`;
//! Alertmanager: `/api/v2/alerts`, `/api/v2/silences` (GET, POST), `/api/v2/silence/{id}` (GET,
//! DELETE). Error and latency series and the HighErrorRate alert (pending 30 s, then firing)
//! follow the scenario's bad rollout and clear once it is undone.
//!
//! # Not implemented
//! Creating objects other than workloads and access reviews, deleting other kinds, server-side
//! apply (415), protobuf bodies other than access reviews, exec/attach/port-forward, Jobs,
//! PersistentVolumeClaims (StatefulSets have no `volumeClaimTemplates`), DaemonSet surge.

#![warn(clippy::unwrap_used)]
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

mod api;
mod collection;
mod controller;
mod daemonset;
mod discovery;
mod faults;
mod kubelet;
mod logs;
mod metrics;
mod objects;
mod prom;
mod protobuf;
mod resources;
mod revisions;
mod scenario;
mod selectors;
mod server;
mod sets;
mod statefulset;
mod store;
mod table;
mod workloads;
mod write;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use faults::{Control, ControlError, Faults, SimStats};
pub use scenario::Scenario;

use server::Ctx;

/// Bearer token of the admin user in the generated kubeconfig.
pub const ADMIN_TOKEN: &str = "opsdeck-sim-admin-token";
/// The read-only user. client-go sends no bearer token over plain http, so the read-only
/// context also impersonates this user (`as:` in the kubeconfig → `Impersonate-User` header).
pub const READONLY_USER: &str = "opsdeck-sim-readonly";
/// Bearer token of the read-only user in the generated kubeconfig.
pub const READONLY_TOKEN: &str = "opsdeck-sim-readonly-token";

/// What the simulated cluster looks like and how busy it is.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The story the cluster tells.
    pub scenario: Scenario,
    /// Total pods across all deployments.
    pub pods: usize,
    /// Number of deployments.
    pub deployments: usize,
    /// Number of application namespaces.
    pub namespaces: usize,
    /// Pod status changes per second applied in the background.
    pub churn_per_sec: f64,
    /// Log lines per second per pod.
    pub log_rate: f64,
    /// Seed for names, logs and churn.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            scenario: Scenario::Steady,
            pods: 60,
            deployments: 12,
            namespaces: 3,
            churn_per_sec: 0.5,
            log_rate: 5.0,
            seed: 42,
        }
    }
}

/// Command-line flags of `opsdeck sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (loopback; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Write a kubeconfig for the simulator to this file (default: a file in the temp dir).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Scenario: steady, crashloop, bad-rollout or incident.
    #[arg(long, value_enum, default_value_t = Scenario::Steady)]
    pub scenario: Scenario,
    /// Total number of pods.
    #[arg(long, default_value_t = 60)]
    pub pods: usize,
    /// Number of deployments the pods are spread over.
    #[arg(long, default_value_t = 12)]
    pub deployments: usize,
    /// Number of application namespaces.
    #[arg(long, default_value_t = 3)]
    pub namespaces: usize,
    /// Background pod status changes per second.
    #[arg(long, value_name = "PER_SEC", default_value_t = 0.5)]
    pub churn: f64,
    /// Log lines per second per pod.
    #[arg(long, value_name = "LINES_PER_SEC", default_value_t = 5.0)]
    pub log_rate: f64,
    /// Seed for deterministic names, logs and churn.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl SimArgs {
    /// The simulator configuration these flags describe.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            scenario: self.scenario,
            pods: self.pods,
            deployments: self.deployments.max(1),
            namespaces: self.namespaces.max(1),
            churn_per_sec: self.churn,
            log_rate: self.log_rate,
            seed: self.seed,
        }
    }
}

/// Runs the simulator until Ctrl-C or SIGTERM, printing its address and kubeconfig path.
pub async fn run(args: SimArgs) -> color_eyre::Result<()> {
    let sim = Simulator::start(args.listen, args.config()).await?;
    let path = args.kubeconfig_out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("opsdeck-sim-{}.kubeconfig", sim.addr().port()))
    });
    sim.write_kubeconfig(&path)?;
    #[allow(clippy::print_stdout)]
    {
        println!("opsdeck sim listening on {}", sim.url());
        println!("kubeconfig: {}", path.display());
        println!("try: kubectl --kubeconfig {} get pods -A", path.display());
    }
    wait_for_signal().await?;
    tracing::info!("simulator shutting down");
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// A running simulated cluster. Dropping it stops the server and its background tasks.
pub struct Simulator {
    ctx: Arc<Ctx>,
    addr: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Simulator {
    /// Populates the cluster for `cfg` and starts serving on `listen` (`127.0.0.1:0` picks a
    /// free port).
    pub async fn start(listen: SocketAddr, cfg: SimConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let ctx = Arc::new(Ctx::new(cfg));
        scenario::populate(&ctx).map_err(std::io::Error::other)?;
        let tasks = server::spawn(ctx.clone(), listener);
        tracing::info!(%addr, "simulator started");
        Ok(Simulator { ctx, addr, tasks })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig with contexts `opsdeck-sim` (admin) and `opsdeck-sim-readonly`.
    pub fn kubeconfig_yaml(&self) -> String {
        let url = self.url();
        format!(
            "apiVersion: v1\nkind: Config\npreferences: {{}}\ncurrent-context: opsdeck-sim\n\
             clusters:\n- name: opsdeck-sim\n  cluster:\n    server: {url}\n\
             users:\n- name: opsdeck-sim-admin\n  user:\n    token: {ADMIN_TOKEN}\n\
             - name: opsdeck-sim-readonly\n  user:\n    token: {READONLY_TOKEN}\n    as: {READONLY_USER}\n\
             contexts:\n- name: opsdeck-sim\n  context:\n    cluster: opsdeck-sim\n    user: opsdeck-sim-admin\n\
             - name: opsdeck-sim-readonly\n  context:\n    cluster: opsdeck-sim\n    user: opsdeck-sim-readonly\n"
        )
    }

    /// Writes [`Simulator::kubeconfig_yaml`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig_yaml())
    }

    /// Fault injection handle.
    pub fn faults(&self) -> Faults {
        Faults::new(self.ctx.clone())
    }

    /// Request counters so far.
    pub fn stats(&self) -> SimStats {
        self.ctx.stats.snapshot()
    }

    /// Handle to poke pods directly (crash, phase, delete).
    pub fn control(&self) -> Control {
        Control::new(self.ctx.clone())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.ctx.shutdown();
        for t in &self.tasks {
            t.abort();
        }
    }
}
