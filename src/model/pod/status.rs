//! A faithful port of kubectl's `printPod` (k8s.io/kubernetes
//! pkg/printers/internalversion/printers.go): the READY, STATUS and RESTARTS
//! columns of `kubectl get pods`.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodCondition,
};

use crate::model::time::from_k8s_opt;

/// Pod `status.reason` the node controller sets when a node stops reporting.
const NODE_UNREACHABLE_POD_REASON: &str = "NodeLost";
/// PodScheduled condition reason for a pod held back by scheduling gates.
const SCHEDULING_GATED: &str = "SchedulingGated";

/// The kubectl-computed columns of one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Printed {
    pub ready: usize,
    pub total: usize,
    pub reason: String,
    pub restarts: i64,
    pub last_restart: Option<Timestamp>,
}

/// `true` for an init container with `restartPolicy: Always` (a sidecar).
pub(crate) fn is_restartable(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn nonempty(s: Option<&String>) -> Option<&str> {
    s.map(String::as_str).filter(|s| !s.is_empty())
}

fn terminated(cs: &ContainerStatus) -> Option<&ContainerStateTerminated> {
    cs.state.as_ref().and_then(|s| s.terminated.as_ref())
}

fn waiting_reason(cs: &ContainerStatus) -> Option<&str> {
    nonempty(
        cs.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_ref()),
    )
}

fn is_running(cs: &ContainerStatus) -> bool {
    cs.state
        .as_ref()
        .and_then(|s: &ContainerState| s.running.as_ref())
        .is_some()
}

/// `finishedAt` of the last termination, if there was one with a time.
fn last_finished(cs: &ContainerStatus) -> Option<Timestamp> {
    let t = cs.last_state.as_ref()?.terminated.as_ref()?;
    from_k8s_opt(t.finished_at.as_ref())
}

/// Text for a terminated state without a reason: `Signal:N` or `ExitCode:N`.
fn exit_text(t: &ContainerStateTerminated) -> String {
    match t.signal {
        Some(sig) if sig != 0 => format!("Signal:{sig}"),
        _ => format!("ExitCode:{}", t.exit_code),
    }
}

/// Reason of a terminated state, or `Signal:N` / `ExitCode:N` without one.
pub(crate) fn terminated_text(t: &ContainerStateTerminated) -> String {
    nonempty(t.reason.as_ref()).map_or_else(|| exit_text(t), str::to_string)
}

fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn has_pod_ready_condition(conditions: &[PodCondition]) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn is_initialized_condition_true(conditions: &[PodCondition]) -> bool {
    conditions
        .iter()
        .find(|c| c.type_ == "Initialized")
        .is_some_and(|c| c.status == "True")
}

/// Computes READY, STATUS and RESTARTS exactly as `kubectl get pods` does.
pub(crate) fn print(pod: &Pod) -> Printed {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let containers: &[Container] = spec.map_or(&[], |s| s.containers.as_slice());
    let init_specs: &[Container] = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    let conditions: &[PodCondition] = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    let init_statuses: &[ContainerStatus] = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or(&[]);
    let statuses: &[ContainerStatus] = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
    let pod_reason = nonempty(status.and_then(|s| s.reason.as_ref()));

    let mut reason = pod_reason.unwrap_or(phase).to_string();
    if conditions
        .iter()
        .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some(SCHEDULING_GATED))
    {
        reason = SCHEDULING_GATED.to_string();
    }

    let total = containers.len() + init_specs.iter().filter(|c| is_restartable(c)).count();
    let mut ready = 0usize;
    let mut restarts: i64 = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut sidecar_restarts: i64 = 0;
    let mut last_sidecar_restart: Option<Timestamp> = None;

    let mut initializing = false;
    for (i, cs) in init_statuses.iter().enumerate() {
        restarts += i64::from(cs.restart_count);
        last_restart = later(last_restart, last_finished(cs));
        let sidecar = init_specs
            .iter()
            .find(|c| c.name == cs.name)
            .is_some_and(is_restartable);
        if sidecar {
            sidecar_restarts += i64::from(cs.restart_count);
            last_sidecar_restart = later(last_sidecar_restart, last_finished(cs));
        }
        let term = terminated(cs);
        if term.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if sidecar && cs.started == Some(true) {
            if cs.ready {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(t) = term {
            format!("Init:{}", terminated_text(t))
        } else if let Some(w) = waiting_reason(cs).filter(|w| *w != "PodInitializing") {
            format!("Init:{w}")
        } else {
            format!("Init:{i}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || is_initialized_condition_true(conditions) {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for cs in statuses.iter().rev() {
            restarts += i64::from(cs.restart_count);
            last_restart = later(last_restart, last_finished(cs));
            if let Some(w) = waiting_reason(cs) {
                reason = w.to_string();
            } else if let Some(t) = terminated(cs) {
                reason = terminated_text(t);
            } else if cs.ready && is_running(cs) {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last-listed container completed but another still runs.
        if reason == "Completed" && has_running {
            reason = if has_pod_ready_condition(conditions) {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    if pod.metadata.deletion_timestamp.is_some() {
        if pod_reason == Some(NODE_UNREACHABLE_POD_REASON) {
            reason = "Unknown".to_string();
        } else if phase != "Failed" && phase != "Succeeded" {
            reason = "Terminating".to_string();
        }
    }

    Printed {
        ready,
        total,
        reason,
        restarts,
        last_restart,
    }
}
