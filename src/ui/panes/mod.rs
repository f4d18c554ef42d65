//! One widget per pane, built from borrowed state.

pub mod placeholder;
pub mod pods;
pub mod rollouts;

pub use placeholder::PlaceholderPane;
pub use pods::PodsPane;
pub use rollouts::RolloutsPane;
