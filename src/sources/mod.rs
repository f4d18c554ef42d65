//! Long-lived tasks that emit [`crate::update::Update`]s. Each owns its client, never exits on
//! error: it reports its health, backs off and retries.

pub mod pods;
pub mod rollouts;

pub use pods::PodWatcher;
pub use rollouts::RolloutWatcher;
