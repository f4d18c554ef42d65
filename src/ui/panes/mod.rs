//! One widget per pane, built from borrowed state.

pub mod placeholder;
pub mod pods;

pub use placeholder::PlaceholderPane;
pub use pods::PodsPane;
