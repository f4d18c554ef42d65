//! Diagnostics go through `tracing` to a file, never to the screen.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Default log file: `opsdeck.log` in the state dir.
pub fn default_log_file() -> PathBuf {
    crate::config::state_dir().join("opsdeck.log")
}

/// Start logging to `path` at `level` (an env-filter directive; `OPSDECK_LOG` wins).
/// Keep the guard alive until exit so buffered lines are written.
pub fn init(path: &Path, level: &str) -> std::io::Result<WorkerGuard> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("OPSDECK_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},hyper=warn,kube=warn,tower=warn")));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(guard)
}
