//! opsdeck: a terminal ops-center for Kubernetes operators.

pub mod sim;
