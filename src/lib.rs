//! opsdeck: a terminal ops-center for Kubernetes operators.
