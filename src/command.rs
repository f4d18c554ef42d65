//! Side effects the dashboard can perform, fully specified so that the executor needs no state.

use std::fmt;

/// The object a command acts on, with the cluster it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub context: String,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} on {}", self.namespace, self.name, self.context)
    }
}

/// A side effect. Mutations are confirmed by the user before they reach the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Delete a pod gracefully (its controller replaces it), as `kubectl delete pod`.
    DeletePod { target: Target },
    /// Read a pod and its recent events for the detail view (no mutation).
    LoadPodDetail { target: Target },
}

impl Command {
    /// Whether the command changes the cluster (refused under `--readonly`).
    pub fn is_mutation(&self) -> bool {
        matches!(self, Command::DeletePod { .. })
    }

    /// The verb for the audit log and status line.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::DeletePod { .. } => "delete pod",
            Command::LoadPodDetail { .. } => "get pod",
        }
    }

    pub fn target(&self) -> &Target {
        match self {
            Command::DeletePod { target } | Command::LoadPodDetail { target } => target,
        }
    }

    /// One line describing exactly what will happen, for the confirmation dialog.
    pub fn describe(&self) -> String {
        let t = self.target();
        match self {
            Command::DeletePod { .. } => format!(
                "Delete pod {} in namespace {} (its controller creates a replacement)",
                t.name, t.namespace
            ),
            Command::LoadPodDetail { .. } => format!("Read pod {}/{}", t.namespace, t.name),
        }
    }
}

/// A command with the id its [`crate::update::Update::CommandFinished`] refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRequest {
    pub id: u64,
    pub command: Command,
}
