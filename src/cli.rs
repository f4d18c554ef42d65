//! Command-line interface (clap): the dashboard, `demo` and `sim`, and the common flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A terminal ops-center for Kubernetes: pods, rollouts, alerts and logs on one screen.
#[derive(Debug, Parser)]
#[command(name = "opsdeck", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Start the built-in simulated cluster in-process and show the dashboard against it.
    Demo(DemoArgs),
    /// Run the simulated cluster alone (for tests, benchmarks, kubectl).
    Sim(opsdeck_sim::SimArgs),
}

/// Flags of `opsdeck demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scenario to play: steady, crashloop, bad-rollout, incident.
    #[arg(long, default_value = "incident")]
    pub scenario: opsdeck_sim::Scenario,
    /// Number of pods in the simulated cluster.
    #[arg(long, default_value_t = 60)]
    pub pods: usize,
}

/// Flags shared by every mode.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace to show (default: the context's namespace, else "default").
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Show every namespace.
    #[arg(short = 'A', long, global = true, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Refuse every mutation (enforced where actions are executed).
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Start in presentation mode (high contrast, banner, redaction; `M` toggles it).
    #[arg(long, global = true)]
    pub present: bool,
    /// Prometheus base URL (alerts when no Alertmanager is set; golden signals).
    #[arg(long, global = true, value_name = "URL")]
    pub prometheus_url: Option<String>,
    /// Alertmanager base URL (alert feed and silences).
    #[arg(long, global = true, value_name = "URL")]
    pub alertmanager_url: Option<String>,
    /// Config file (default: the platform config dir, e.g. ~/.config/opsdeck/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Theme: default, light, high-contrast, monochrome, or a file in the config dir's themes/.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Log file (default: opsdeck.log in the state dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Log level or tracing filter (OPSDECK_LOG overrides).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
}
