//! Long-lived tasks that emit [`crate::update::Update`]s. Each owns its client, never exits on
//! error: it reports its health, backs off and retries.

pub mod alerts;
pub mod client_loop;
pub mod events;
pub mod link;
pub mod log_events;
pub mod log_pods;
pub mod log_stream;
pub mod logs;
pub mod metrics;
pub mod pods;
pub mod rollouts;
pub mod slo;
pub mod usage;

pub use alerts::AlertPoller;
pub use client_loop::Watch;
pub use events::EventWatcher;
pub use logs::LogTailer;
pub use metrics::MetricsPoller;
pub use pods::PodWatcher;
pub use rollouts::RolloutWatcher;
pub use slo::SloPoller;
pub use usage::UsagePoller;
