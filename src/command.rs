//! Side effects the dashboard can perform, fully specified so that the executor needs no state.

use std::fmt;
use std::time::Duration;

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

/// One matcher of an Alertmanager silence (`name="value"`, `name=~"regex"`, `!=`, `!~`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    pub is_equal: bool,
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (true, true) => "=~",
            (false, false) => "!=",
            (false, true) => "!~",
        };
        write!(f, "{}{op}{:?}", self.name, self.value)
    }
}

/// A silence to create, exactly as it will be sent (`startsAt` is the moment it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceSpec {
    /// Base URL of the Alertmanager that receives it.
    pub alertmanager: String,
    pub matchers: Vec<Matcher>,
    pub duration: Duration,
    pub created_by: String,
    pub comment: String,
}

/// A side effect. Mutations are confirmed by the user before they reach the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Delete a pod gracefully (its controller replaces it), as `kubectl delete pod`.
    DeletePod { target: Target },
    /// Read a pod and its recent events for the detail view (no mutation).
    LoadPodDetail { target: Target },
    /// Create an Alertmanager silence (`POST /api/v2/silences`). `target` names the alert:
    /// the kube context, the alert's namespace label and its name.
    CreateSilence {
        target: Target,
        silence: Box<SilenceSpec>,
    },
    /// Expire a silence (`DELETE /api/v2/silence/{id}`).
    ExpireSilence {
        target: Target,
        alertmanager: String,
        silence_id: String,
    },
}

impl Command {
    /// Whether the command changes the cluster (refused under `--readonly`).
    pub fn is_mutation(&self) -> bool {
        matches!(
            self,
            Command::DeletePod { .. }
                | Command::CreateSilence { .. }
                | Command::ExpireSilence { .. }
        )
    }

    /// The verb for the audit log and status line.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::DeletePod { .. } => "delete pod",
            Command::LoadPodDetail { .. } => "get pod",
            Command::CreateSilence { .. } => "create silence",
            Command::ExpireSilence { .. } => "expire silence",
        }
    }

    pub fn target(&self) -> &Target {
        match self {
            Command::DeletePod { target }
            | Command::LoadPodDetail { target }
            | Command::CreateSilence { target, .. }
            | Command::ExpireSilence { target, .. } => target,
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
            Command::CreateSilence { silence, .. } => describe_silence(silence),
            Command::ExpireSilence {
                alertmanager,
                silence_id,
                ..
            } => format!(
                "Expire silence {silence_id} on Alertmanager {alertmanager} (alert {} fires again)",
                t.name
            ),
        }
    }
}

fn describe_silence(s: &SilenceSpec) -> String {
    let matchers: Vec<String> = s.matchers.iter().map(ToString::to_string).collect();
    let duration = jiff::SignedDuration::try_from(s.duration)
        .map(|d| format!("{d:#}"))
        .unwrap_or_else(|_| format!("{:?}", s.duration));
    format!(
        "Silence alerts matching {{{}}} for {duration} from now on Alertmanager {}, created by {:?}, comment {:?}",
        matchers.join(", "),
        s.alertmanager,
        s.created_by,
        s.comment
    )
}

/// A command with the id its [`crate::update::Update::CommandFinished`] refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRequest {
    pub id: u64,
    pub command: Command,
}
