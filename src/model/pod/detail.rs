//! Compact pod detail for the detail view (shown on Enter).

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod};

use super::PodRow;
use super::status::{is_restartable, terminated_text};
use crate::model::time::from_k8s_opt;

/// How a container last terminated (`lastState.terminated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastTermination {
    /// Reason, or `Signal:N` / `ExitCode:N` when the runtime gave none.
    pub reason: String,
    /// Exit code of the process.
    pub exit_code: i32,
    /// When it finished, if known.
    pub finished_at: Option<Timestamp>,
}

/// One container (app or init) in the detail view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetail {
    /// Container name.
    pub name: String,
    /// Image from the spec (what was asked for, not the resolved digest).
    pub image: String,
    /// Init container with `restartPolicy: Always` (a sidecar).
    pub sidecar: bool,
    /// Readiness as reported in the container status.
    pub ready: bool,
    /// Restart count from the container status.
    pub restarts: u32,
    /// Compact state: `Running`, `Waiting: CrashLoopBackOff`,
    /// `Terminated: Error (exit 1)`, `Waiting`, or `No status` when the
    /// kubelet has not reported this container yet.
    pub state: String,
    /// The state's message, if any (e.g. the back-off or pull error text).
    pub message: Option<String>,
    /// The previous termination, if any.
    pub last_termination: Option<LastTermination>,
}

/// One pod condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionDetail {
    /// Condition type, e.g. `Ready`, `PodScheduled`.
    pub kind: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason, if any.
    pub reason: Option<String>,
    /// Human-readable message, if any.
    pub message: Option<String>,
}

/// Everything the detail view shows about a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodDetail {
    /// The table row (status, readiness, restarts, node, IP, owner ...).
    pub row: PodRow,
    /// `status.phase` (empty when absent).
    pub phase: String,
    /// `status.message`, e.g. why a pod was evicted.
    pub message: Option<String>,
    /// `status.qosClass` (empty when absent).
    pub qos_class: String,
    /// `status.hostIP` (empty when absent).
    pub host_ip: String,
    /// `status.startTime`.
    pub start_time: Option<Timestamp>,
    /// All labels, sorted by key.
    pub labels: BTreeMap<String, String>,
    /// Init containers in spec order (sidecars flagged).
    pub init_containers: Vec<ContainerDetail>,
    /// App containers in spec order.
    pub containers: Vec<ContainerDetail>,
    /// Pod conditions in the order the API reports them.
    pub conditions: Vec<ConditionDetail>,
}

fn state_of(cs: Option<&ContainerStatus>) -> (String, Option<String>) {
    let Some(state) = cs.and_then(|c| c.state.as_ref()) else {
        return ("No status".to_string(), None);
    };
    if let Some(w) = &state.waiting {
        let text = match w.reason.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => format!("Waiting: {r}"),
            None => "Waiting".to_string(),
        };
        return (text, w.message.clone());
    }
    if let Some(t) = &state.terminated {
        let text = format!("Terminated: {} (exit {})", terminated_text(t), t.exit_code);
        return (text, t.message.clone());
    }
    if state.running.is_some() {
        return ("Running".to_string(), None);
    }
    ("No status".to_string(), None)
}

fn container_detail(
    spec: &Container,
    statuses: &[ContainerStatus],
    sidecar: bool,
) -> ContainerDetail {
    let cs = statuses.iter().find(|s| s.name == spec.name);
    let (state, message) = state_of(cs);
    let last_termination = cs
        .and_then(|c| c.last_state.as_ref())
        .and_then(|s| s.terminated.as_ref())
        .map(|t| LastTermination {
            reason: terminated_text(t),
            exit_code: t.exit_code,
            finished_at: from_k8s_opt(t.finished_at.as_ref()),
        });
    ContainerDetail {
        name: spec.name.clone(),
        image: spec.image.clone().unwrap_or_default(),
        sidecar,
        ready: cs.is_some_and(|c| c.ready),
        restarts: cs.map_or(0, |c| u32::try_from(c.restart_count).unwrap_or(0)),
        state,
        message,
        last_termination,
    }
}

impl PodDetail {
    /// Builds the detail view model from a pod object. Pure: no clock, no I/O.
    pub fn from_pod(pod: &Pod) -> PodDetail {
        let spec = pod.spec.as_ref();
        let status = pod.status.as_ref();
        let init_statuses = status
            .and_then(|s| s.init_container_statuses.as_deref())
            .unwrap_or(&[]);
        let statuses = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]);
        let init_containers = spec
            .and_then(|s| s.init_containers.as_deref())
            .unwrap_or(&[])
            .iter()
            .map(|c| container_detail(c, init_statuses, is_restartable(c)))
            .collect();
        let containers = spec
            .map_or(&[][..], |s| s.containers.as_slice())
            .iter()
            .map(|c| container_detail(c, statuses, false))
            .collect();
        let conditions = status
            .and_then(|s| s.conditions.as_deref())
            .unwrap_or(&[])
            .iter()
            .map(|c| ConditionDetail {
                kind: c.type_.clone(),
                status: c.status.clone(),
                reason: c.reason.clone(),
                message: c.message.clone(),
            })
            .collect();
        PodDetail {
            row: PodRow::from_pod(pod),
            phase: status.and_then(|s| s.phase.clone()).unwrap_or_default(),
            message: status.and_then(|s| s.message.clone()),
            qos_class: status.and_then(|s| s.qos_class.clone()).unwrap_or_default(),
            host_ip: status.and_then(|s| s.host_ip.clone()).unwrap_or_default(),
            start_time: from_k8s_opt(status.and_then(|s| s.start_time.as_ref())),
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            init_containers,
            containers,
            conditions,
        }
    }
}
