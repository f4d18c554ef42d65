//! One widget per pane, built from borrowed state.

pub mod alerts;
pub mod logs;
pub mod placeholder;
pub mod pods;
pub mod rollouts;

pub use alerts::AlertsPane;
pub use logs::LogsPane;
pub use placeholder::PlaceholderPane;
pub use pods::PodsPane;
pub use rollouts::RolloutsPane;
