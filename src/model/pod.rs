//! Pod rows for the pod table, with READY / STATUS / RESTARTS computed
//! exactly as `kubectl get pods` prints them, and a compact [`PodDetail`]
//! for the detail view.

mod detail;
mod status;

pub use detail::{ConditionDetail, ContainerDetail, LastTermination, PodDetail};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;

use crate::model::time::{age_opt, from_k8s_opt, since};

/// Coarse health of a pod, used for colour and for sorting.
///
/// The declaration order is the sort order: the most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// Broken: crash loops, image pull errors, failed or evicted pods,
    /// init container failures, lost nodes, non-zero exits.
    Failed,
    /// Running but not every container is ready (includes `NotReady`).
    Warning,
    /// Not started yet: unscheduled, gated, creating containers, initializing.
    Pending,
    /// Being deleted.
    Terminating,
    /// Running with every container ready.
    Ok,
    /// Finished successfully.
    Completed,
}

impl Health {
    /// Classifies a kubectl STATUS text together with the READY counts.
    ///
    /// Unrecognised statuses (new waiting or termination reasons) count as
    /// [`Health::Failed`] so that they surface at the top of the table.
    pub fn classify(status: &str, ready: u16, total: u16) -> Health {
        match status {
            "Running" if ready >= total => Health::Ok,
            "Running" | "NotReady" => Health::Warning,
            "Completed" | "Succeeded" => Health::Completed,
            "Terminating" => Health::Terminating,
            "Pending"
            | "ContainerCreating"
            | "PodInitializing"
            | "SchedulingGated"
            | "Init:ContainerCreating" => Health::Pending,
            s if is_init_progress(s) => Health::Pending,
            _ => Health::Failed,
        }
    }

    /// Short lowercase name, handy for styling keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Failed => "failed",
            Health::Warning => "warning",
            Health::Pending => "pending",
            Health::Terminating => "terminating",
            Health::Ok => "ok",
            Health::Completed => "completed",
        }
    }
}

/// `Init:N/M` (init containers still progressing normally).
fn is_init_progress(s: &str) -> bool {
    s.strip_prefix("Init:")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(n, m)| {
            !n.is_empty()
                && !m.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && m.bytes().all(|b| b.is_ascii_digit())
        })
}

/// One line of the pod table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRow {
    /// `metadata.namespace` (empty when absent).
    pub namespace: String,
    /// `metadata.name` (empty when absent).
    pub name: String,
    /// Ready containers, the left side of READY (sidecars included).
    pub ready: u16,
    /// Containers counted by READY: app containers plus sidecars
    /// (init containers with `restartPolicy: Always`).
    pub total: u16,
    /// kubectl's STATUS text, e.g. `Running`, `CrashLoopBackOff`, `Init:0/2`.
    pub status: String,
    /// Coarse classification of `status`.
    pub health: Health,
    /// The number in the RESTARTS column.
    pub restarts: u32,
    /// Latest `lastState.terminated.finishedAt` among the counted containers.
    pub last_restart: Option<Timestamp>,
    /// How that container last ended: `OOMKilled (exit 137)`, `Error (exit 1)`.
    pub last_exit: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
    /// `spec.nodeName`; empty when not scheduled (kubectl prints `<none>`).
    pub node: String,
    /// First pod IP; empty when none (kubectl prints `<none>`).
    pub ip: String,
    /// `(kind, name)` of the controller owner reference, e.g. a ReplicaSet.
    pub owner: Option<(String, String)>,
    /// The `pod-template-hash` label.
    pub labels_hash: Option<String>,
    /// `app.kubernetes.io/name` label, else the `app` label.
    pub app: Option<String>,
    /// `metadata.uid` (empty when absent).
    pub uid: String,
    /// CPU and memory requested and limited, summed over the app containers.
    pub resources: crate::model::usage::Resources,
}

fn clamp_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The reason and exit code of the most recent container termination (`lastState`).
fn last_exit(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    let containers = status.container_statuses.iter().flatten();
    let inits = status.init_container_statuses.iter().flatten();
    containers
        .chain(inits)
        .filter_map(|c| c.last_state.as_ref()?.terminated.as_ref())
        .max_by_key(|t| t.finished_at.as_ref().map(|f| f.0))
        .map(|t| {
            let reason = t.reason.as_deref().unwrap_or("terminated");
            format!("{reason} (exit {})", t.exit_code)
        })
}

impl PodRow {
    /// Builds the row from a pod object. Pure: no clock, no I/O.
    pub fn from_pod(pod: &Pod) -> PodRow {
        let meta = &pod.metadata;
        let printed = status::print(pod);
        let ready = clamp_u16(printed.ready);
        let total = clamp_u16(printed.total);
        let health = Health::classify(&printed.reason, ready, total);
        let labels = meta.labels.as_ref();
        let label = |k: &str| labels.and_then(|l| l.get(k)).cloned();
        let pod_status = pod.status.as_ref();
        let ip = pod_status
            .and_then(|s| s.pod_ips.as_ref())
            .and_then(|ips| ips.first())
            .map(|ip| ip.ip.clone())
            .or_else(|| pod_status.and_then(|s| s.pod_ip.clone()))
            .unwrap_or_default();
        let owner = meta
            .owner_references
            .as_ref()
            .and_then(|refs| refs.iter().find(|r| r.controller == Some(true)))
            .map(|r| (r.kind.clone(), r.name.clone()));
        PodRow {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            ready,
            total,
            status: printed.reason,
            health,
            restarts: u32::try_from(printed.restarts.max(0)).unwrap_or(u32::MAX),
            last_restart: printed.last_restart,
            last_exit: last_exit(pod),
            created: from_k8s_opt(meta.creation_timestamp.as_ref()),
            node: pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default(),
            ip,
            owner,
            labels_hash: label("pod-template-hash"),
            app: label("app.kubernetes.io/name").or_else(|| label("app")),
            uid: meta.uid.clone().unwrap_or_default(),
            resources: crate::model::usage::Resources::from_pod(pod),
        }
    }

    /// READY as kubectl prints it: `"1/2"`.
    pub fn ready_text(&self) -> String {
        format!("{}/{}", self.ready, self.total)
    }

    /// RESTARTS as kubectl prints it: `"0"`, `"3"`, or `"3 (2m ago)"` when
    /// there were restarts and a last termination time is known.
    pub fn restarts_text(&self, now: Timestamp) -> String {
        match self.last_restart {
            Some(t) if self.restarts != 0 => format!("{} ({} ago)", self.restarts, since(t, now)),
            _ => self.restarts.to_string(),
        }
    }

    /// AGE as kubectl prints it; `<unknown>` without a creation timestamp.
    pub fn age_text(&self, now: Timestamp) -> String {
        age_opt(self.created, now)
    }

    /// `true` for running-and-ready or successfully completed pods.
    pub fn is_healthy(&self) -> bool {
        matches!(self.health, Health::Ok | Health::Completed)
    }

    /// Sort key: unhealthy first (Failed, Warning, Pending, Terminating, Ok,
    /// Completed), then namespace, then name. Use with `sort_by(|a, b|
    /// a.sort_key().cmp(&b.sort_key()))`.
    pub fn sort_key(&self) -> (Health, &str, &str) {
        (self.health, self.namespace.as_str(), self.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_running_depends_on_readiness() {
        assert_eq!(Health::classify("Running", 2, 2), Health::Ok);
        assert_eq!(Health::classify("Running", 1, 2), Health::Warning);
        assert_eq!(Health::classify("NotReady", 1, 2), Health::Warning);
    }

    #[test]
    fn classify_pending_family() {
        for s in [
            "Pending",
            "ContainerCreating",
            "PodInitializing",
            "SchedulingGated",
        ] {
            assert_eq!(Health::classify(s, 0, 1), Health::Pending, "{s}");
        }
        assert_eq!(Health::classify("Init:0/2", 0, 1), Health::Pending);
        assert_eq!(Health::classify("Init:12/13", 0, 1), Health::Pending);
    }

    #[test]
    fn classify_failures() {
        for s in [
            "CrashLoopBackOff",
            "Error",
            "OOMKilled",
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
            "Init:Error",
            "Init:CrashLoopBackOff",
            "Init:ExitCode:2",
            "Init:x/y",
            "Init:/",
            "Failed",
            "Unknown",
            "Evicted",
            "ExitCode:137",
            "Signal:9",
            "SomethingNew",
        ] {
            assert_eq!(Health::classify(s, 0, 1), Health::Failed, "{s}");
        }
    }

    #[test]
    fn classify_terminal_and_terminating() {
        assert_eq!(Health::classify("Completed", 0, 1), Health::Completed);
        assert_eq!(Health::classify("Terminating", 1, 1), Health::Terminating);
    }

    fn row(ns: &str, name: &str, health: Health) -> PodRow {
        PodRow {
            namespace: ns.into(),
            name: name.into(),
            ready: 0,
            total: 1,
            status: String::new(),
            health,
            restarts: 0,
            last_restart: None,
            last_exit: None,
            created: None,
            node: String::new(),
            ip: String::new(),
            owner: None,
            labels_hash: None,
            app: None,
            uid: String::new(),
            resources: Default::default(),
        }
    }

    #[test]
    fn sort_key_orders_unhealthy_first_then_namespace_then_name() {
        let mut rows = [
            row("a", "done", Health::Completed),
            row("a", "ok", Health::Ok),
            row("b", "crash", Health::Failed),
            row("a", "crash", Health::Failed),
            row("a", "bye", Health::Terminating),
            row("a", "wait", Health::Pending),
            row("a", "half", Health::Warning),
        ];
        rows.sort_by(|x, y| x.sort_key().cmp(&y.sort_key()));
        let names: Vec<_> = rows
            .iter()
            .map(|r| format!("{}/{}", r.namespace, r.name))
            .collect();
        assert_eq!(
            names,
            [
                "a/crash", "b/crash", "a/half", "a/wait", "a/bye", "a/ok", "a/done"
            ]
        );
    }

    #[test]
    fn restarts_text_needs_both_count_and_time() {
        let now: Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
        let mut r = row("a", "x", Health::Ok);
        assert_eq!(r.restarts_text(now), "0");
        r.last_restart = Some("2025-06-01T11:58:00Z".parse().unwrap());
        assert_eq!(r.restarts_text(now), "0");
        r.restarts = 5;
        assert_eq!(r.restarts_text(now), "5 (2m ago)");
        r.last_restart = None;
        assert_eq!(r.restarts_text(now), "5");
        assert!(r.is_healthy());
        assert_eq!(r.age_text(now), "<unknown>");
    }
}
