//! Side effects the dashboard can perform, fully specified so that the executor needs no state.

use std::fmt;
use std::time::Duration;

use crate::model::access::AccessCheck;
use crate::model::rollout::WorkloadKind;

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
    /// `kubectl rollout restart deployment|statefulset|daemonset`: a strategic merge patch
    /// setting the pod template annotation `kubectl.kubernetes.io/restartedAt` to
    /// `restarted_at` (RFC 3339).
    RestartRollout {
        target: Target,
        kind: WorkloadKind,
        restarted_at: String,
    },
    /// `kubectl rollout undo KIND [--to-revision]`, guarded by a precondition.
    UndoRollout { target: Target, undo: Undo },
    /// The same undo as a server-side dry run (`dryRun=All`) for the confirm dialog; its
    /// result comes back as [`crate::update::Update::UndoPreviewed`]. No mutation.
    PreviewUndo { target: Target, undo: Undo },
    /// Set `spec.replicas` of a Deployment or StatefulSet through the scale subresource, if it
    /// is still `from`.
    ScaleWorkload {
        target: Target,
        kind: WorkloadKind,
        from: i32,
        to: i32,
    },
    /// `kubectl rollout pause` / `resume` of a Deployment: a merge patch of `spec.paused`.
    SetRolloutPaused { target: Target, paused: bool },
    /// Ask the API (SelfSubjectAccessReview) whether an action is allowed. No mutation.
    ReviewAccess { target: Target, check: AccessCheck },
    /// Range queries behind an SLO's sparklines (`target.name` is the SLO's id); the answer
    /// comes back as [`crate::update::Update::SloHistoryLoaded`]. No mutation.
    LoadSloHistory {
        target: Target,
        prometheus: String,
        /// `(error ratio, budget left)` PromQL.
        queries: (String, String),
    },
    /// A line for the audit log only (arming, disarming, a refusal, the incident window):
    /// nothing is sent anywhere. `target` names the context (and the incident, if any).
    Note { target: Target, note: Note },
}

/// Something the audit log records that is not a call to an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The context name was typed: destructive actions are allowed for `minutes`.
    Armed {
        minutes: u32,
    },
    /// Arming ended: `:disarm`, or it expired.
    Disarmed {
        expired: bool,
    },
    /// A wrong context name was typed: `action` (`rollout restart shop/checkout`) not sent.
    ArmRefused {
        action: String,
    },
    IncidentStarted {
        auto: bool,
    },
    /// `duration` as `HH:MM:SS`.
    IncidentEnded {
        duration: String,
    },
}

impl Note {
    /// How the audit log records it: refused or done, and what happened.
    pub fn outcome(&self) -> crate::update::Outcome {
        use crate::update::Outcome;
        match self {
            Note::ArmRefused { action } => Outcome::Refused(format!(
                "the typed name is not the context; {action} not sent"
            )),
            Note::Armed { minutes } => Outcome::Done(format!("armed for {minutes} min")),
            Note::Disarmed { expired: true } => Outcome::Done("arming expired".into()),
            Note::Disarmed { expired: false } => Outcome::Done("disarmed".into()),
            Note::IncidentStarted { auto: true } => {
                Outcome::Done("started by a critical alert".into())
            }
            Note::IncidentStarted { auto: false } => Outcome::Done("started".into()),
            Note::IncidentEnded { duration } => Outcome::Done(format!("ended after {duration}")),
        }
    }
}

/// What an undo rolls back to, and the workload it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo {
    pub kind: WorkloadKind,
    /// The revision whose ReplicaSet (or ControllerRevision) template is restored.
    pub to_revision: u64,
    /// The revision the Deployment was at when the user looked.
    pub from_revision: u64,
    /// `metadata.resourceVersion` when the user looked.
    pub resource_version: String,
    /// `metadata.generation` when the user looked: a Deployment whose spec changed since
    /// (another rollout, a scale) is a conflict; status-only changes are not.
    pub generation: i64,
}

impl Command {
    /// Whether the command changes the cluster (refused under `--readonly`).
    pub fn is_mutation(&self) -> bool {
        matches!(
            self,
            Command::DeletePod { .. }
                | Command::RestartRollout { .. }
                | Command::UndoRollout { .. }
                | Command::ScaleWorkload { .. }
                | Command::SetRolloutPaused { .. }
                | Command::CreateSilence { .. }
                | Command::ExpireSilence { .. }
        )
    }

    /// Whether the command destroys or replaces something running: needs arming on a
    /// protected context (silences and reads do not).
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Command::DeletePod { .. }
                | Command::RestartRollout { .. }
                | Command::UndoRollout { .. }
                | Command::ScaleWorkload { .. }
                | Command::SetRolloutPaused { .. }
        )
    }

    /// The verb for the audit log and status line.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::DeletePod { .. } => "delete pod",
            Command::LoadPodDetail { .. } => "get pod",
            Command::RestartRollout { .. } => "rollout restart",
            Command::UndoRollout { .. } => "rollout undo",
            Command::PreviewUndo { .. } => "rollout undo (dry run)",
            Command::ScaleWorkload { .. } => "scale",
            Command::SetRolloutPaused { paused: true, .. } => "rollout pause",
            Command::SetRolloutPaused { paused: false, .. } => "rollout resume",
            Command::ReviewAccess { .. } => "access review",
            Command::LoadSloHistory { .. } => "query SLO history",
            Command::CreateSilence { .. } => "create silence",
            Command::ExpireSilence { .. } => "expire silence",
            Command::Note { note, .. } => match note {
                Note::Armed { .. } | Note::ArmRefused { .. } => "arm",
                Note::Disarmed { .. } => "disarm",
                Note::IncidentStarted { .. } => "incident start",
                Note::IncidentEnded { .. } => "incident end",
            },
        }
    }

    pub fn target(&self) -> &Target {
        match self {
            Command::DeletePod { target }
            | Command::LoadPodDetail { target }
            | Command::RestartRollout { target, .. }
            | Command::UndoRollout { target, .. }
            | Command::PreviewUndo { target, .. }
            | Command::ScaleWorkload { target, .. }
            | Command::SetRolloutPaused { target, .. }
            | Command::ReviewAccess { target, .. }
            | Command::LoadSloHistory { target, .. }
            | Command::Note { target, .. } => target,
            Command::CreateSilence { target, .. } | Command::ExpireSilence { target, .. } => target,
        }
    }

    /// The object as the timeline names it: `pod/NAME`, `deploy/NAME`, `alert/NAME`.
    pub fn object(&self) -> String {
        let name = &self.target().name;
        match self {
            Command::DeletePod { .. } | Command::LoadPodDetail { .. } => format!("pod/{name}"),
            Command::CreateSilence { .. } | Command::ExpireSilence { .. } => {
                format!("alert/{name}")
            }
            Command::ReviewAccess { .. } => name.clone(),
            Command::LoadSloHistory { .. } => format!("slo/{name}"),
            Command::Note { .. } => format!("incident/{name}"),
            _ => format!("{}/{name}", self.workload_kind().short()),
        }
    }

    /// The kind a rollout command acts on (Deployments for the others).
    pub fn workload_kind(&self) -> WorkloadKind {
        match self {
            Command::RestartRollout { kind, .. } | Command::ScaleWorkload { kind, .. } => *kind,
            Command::UndoRollout { undo, .. } | Command::PreviewUndo { undo, .. } => undo.kind,
            _ => WorkloadKind::Deployment,
        }
    }

    /// One line describing exactly what will happen, for the confirmation dialog.
    pub fn describe(&self) -> String {
        let t = self.target();
        let kind = self.workload_kind().noun();
        match self {
            Command::DeletePod { .. } => format!(
                "Delete pod {} in namespace {} (its controller creates a replacement)",
                t.name, t.namespace
            ),
            Command::LoadPodDetail { .. } => format!("Read pod {}/{}", t.namespace, t.name),
            Command::RestartRollout { restarted_at, .. } => format!(
                "Rollout restart {kind} {}: set pod template annotation \
                 kubectl.kubernetes.io/restartedAt={restarted_at} (pods are replaced \
                 following the rollout strategy)",
                t.name
            ),
            Command::UndoRollout { undo, .. } | Command::PreviewUndo { undo, .. } => format!(
                "Roll back {kind} {} from revision {} to the pod template of revision {} \
                 (refused if the {kind} changed since resourceVersion {})",
                t.name, undo.from_revision, undo.to_revision, undo.resource_version
            ),
            Command::ScaleWorkload { from, to, .. } => format!(
                "Scale {kind} {} from {from} to {to} replicas (scale subresource)",
                t.name
            ),
            Command::SetRolloutPaused { paused: true, .. } => format!(
                "Pause the rollout of deployment {} (spec.paused=true): template changes \
                 stop rolling out until resumed",
                t.name
            ),
            Command::SetRolloutPaused { paused: false, .. } => format!(
                "Resume the rollout of deployment {} (spec.paused=false)",
                t.name
            ),
            Command::ReviewAccess { check, .. } => format!("May I {check}?"),
            Command::LoadSloHistory { prometheus, .. } => {
                format!("Read the history of SLO {} from {prometheus}", t.name)
            }
            Command::CreateSilence { silence, .. } => describe_silence(silence),
            Command::Note { note, .. } => match note {
                Note::Armed { minutes } => format!(
                    "Arm context {} for {minutes} min: destructive actions allowed",
                    t.context
                ),
                Note::ArmRefused { action } => format!(
                    "Refuse to arm context {}: the typed name did not match ({action})",
                    t.context
                ),
                Note::Disarmed { expired } => format!(
                    "Disarm context {}{}",
                    t.context,
                    if *expired { " (expired)" } else { "" }
                ),
                Note::IncidentStarted { .. } => format!("Start incident {:?}", t.name),
                Note::IncidentEnded { duration } => {
                    format!("End incident {:?} after {duration}", t.name)
                }
            },
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
    /// The incident open when it was sent (`:incident start`), for the audit log.
    pub incident: Option<String>,
}
