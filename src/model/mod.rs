//! Pure model layer: compact, display-ready rows computed from Kubernetes
//! objects. Nothing here does I/O or reads the clock; "now" is always a
//! parameter so every output is reproducible in tests.

pub mod access;
pub mod alert;
pub mod correlate;
pub mod event;
pub mod log;
pub mod log_json;
pub mod pod;
pub mod rollout;
pub mod signal;
pub mod slo;
pub mod time;
pub mod timeline;
pub mod usage;
