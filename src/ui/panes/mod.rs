//! One widget per pane, built from borrowed state.

pub mod alerts;
pub mod placeholder;
pub mod pods;

pub use alerts::AlertsPane;
pub use placeholder::PlaceholderPane;
pub use pods::PodsPane;
