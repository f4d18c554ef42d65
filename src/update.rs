//! Facts that happened, sent by sources and the executor to the UI task.

use jiff::Timestamp;

use crate::command::{Target, Undo};
use crate::model::access::{Access, AccessCheck};
use crate::model::alert::{AlertRow, PrometheusRule};
use crate::model::event::{DescribedPod, PodEvents};
use crate::model::log::LogLine;
use crate::model::pod::PodRow;
use crate::model::rollout::{RolloutChange, UndoPreview};
use crate::model::signal::ServiceSignals;
use crate::model::slo::{Slo, SloHistory};

/// Which long-lived source an [`Update::SourceHealth`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceId {
    /// The pod watch (Kubernetes API).
    Pods,
    /// The Kubernetes API (Deployment and ReplicaSet watches).
    Rollouts,
    /// Alertmanager's alert API (every configured instance).
    Alertmanager,
    /// Prometheus's alert API (when no Alertmanager is configured).
    Prometheus,
    /// Prometheus range queries for the golden signals.
    Metrics,
    /// The Kubernetes events watch (the incident timeline).
    Events,
    /// `metrics.k8s.io` PodMetrics (CPU and memory of every pod).
    Usage,
    /// Prometheus instant queries for the SLOs (Sloth, Pyrra, declared).
    Slo,
    /// The log tail (pods/log streams).
    Logs,
}

impl SourceId {
    pub fn label(self) -> &'static str {
        match self {
            SourceId::Pods => "k8s",
            SourceId::Rollouts => "deploy",
            SourceId::Alertmanager => "am",
            SourceId::Prometheus => "prom",
            SourceId::Metrics => "metrics",
            SourceId::Events => "events",
            SourceId::Usage => "usage",
            SourceId::Slo => "slo",
            SourceId::Logs => "logs",
        }
    }
}

/// Connection state of a source, shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceHealth {
    /// Started, no answer yet.
    Connecting,
    /// Data is current.
    Live,
    /// The last attempt failed; retrying with backoff. Data is stale since `since`.
    Reconnecting {
        since: Timestamp,
        attempt: u32,
        reason: String,
    },
    /// Cannot work until something changes (e.g. no kubeconfig). Still retried.
    Failed { since: Timestamp, reason: String },
}

impl SourceHealth {
    /// When the data of this source became stale, if it is.
    pub fn stale_since(&self) -> Option<Timestamp> {
        match self {
            SourceHealth::Reconnecting { since, .. } | SourceHealth::Failed { since, .. } => {
                Some(*since)
            }
            _ => None,
        }
    }
}

/// Outcome of a [`crate::command::Command`], shown in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the message says what happened.
    Done(String),
    /// Done, and nothing to say: the result came back as its own update (a pod detail, an
    /// access review, an undo dry run).
    Quiet,
    Refused(String),
    Failed(String),
}

/// A fact for the UI task. `scope` tags data from a watch so that updates from a
/// previous namespace/context (still queued after `:ns`) are dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A full snapshot of the pods in scope (after a list or a relist).
    PodsListed { scope: u64, rows: Vec<PodRow> },
    /// A pod was added or changed.
    PodApplied { scope: u64, row: Box<PodRow> },
    /// A pod is gone.
    PodDeleted {
        scope: u64,
        namespace: String,
        name: String,
    },
    /// The detail of a pod (for the detail view) was fetched.
    PodDetailLoaded(Box<DescribedPod>),
    /// Health of a source changed.
    SourceHealth {
        scope: u64,
        source: SourceId,
        health: SourceHealth,
    },
    /// Deployments or ReplicaSets in scope changed.
    RolloutsChanged { scope: u64, change: RolloutChange },
    /// The server's dry run of an undo (for the confirm dialog).
    UndoPreviewed {
        target: Target,
        undo: Undo,
        preview: UndoPreview,
    },
    /// The answer to an RBAC question.
    AccessReviewed { check: AccessCheck, access: Access },
    /// The current alerts of one alert source (`source` is its base URL), replacing its previous
    /// ones; alerts no longer listed are resolved.
    AlertsFetched {
        scope: u64,
        source: String,
        alerts: Vec<AlertRow>,
    },
    /// Prometheus's alerting rules (for the expression in the alert detail).
    AlertRulesFetched {
        scope: u64,
        rules: Vec<PrometheusRule>,
    },
    /// Golden-signal series of every configured service, over the configured window.
    SignalsFetched {
        scope: u64,
        services: Vec<ServiceSignals>,
    },
    /// Every SLO of every source (Sloth, Pyrra, declared), as of one poll.
    SlosFetched { scope: u64, slos: Vec<Slo> },
    /// The sparklines of one SLO (its error ratio and budget left over the last hours).
    SloHistoryLoaded {
        id: String,
        history: Box<SloHistory>,
    },
    /// A batch of lines of the log tail `tail` (sanitised).
    LogLines { tail: u64, lines: Vec<LogLine> },
    /// Revisions by `pod-template-hash` of the ReplicaSets of the tailed deployment.
    LogRevisions {
        tail: u64,
        revisions: Vec<(String, u64)>,
    },
    /// Recent events of the tailed pods while none of them has logs to show (sanitised and
    /// redacted), replacing the previous ones.
    LogEvents { tail: u64, pods: Vec<PodEvents> },
    /// Streams of the tail: open, and waiting for the stream limit.
    LogStreams {
        tail: u64,
        active: usize,
        waiting: usize,
    },
    /// The executor finished a command.
    CommandFinished { id: u64, outcome: Outcome },
    /// CPU and memory of the scope's pods (`None`: the cluster does not serve
    /// `metrics.k8s.io`).
    UsageFetched {
        scope: u64,
        usage: Option<Vec<(crate::state::pods::PodKey, crate::model::usage::Usage)>>,
    },
    /// The incident report of `:export` was written (or why not).
    ExportWritten {
        path: std::path::PathBuf,
        result: Result<(), String>,
    },
    /// Something for the incident timeline (a Kubernetes event).
    TimelineEntry {
        scope: u64,
        entry: Box<crate::model::timeline::Entry>,
    },
}

impl Update {
    /// Whether this is the end of a watch's initial list (pods, rollouts, events): the
    /// transient memory of a big list has just been freed.
    pub fn ends_a_list(&self) -> bool {
        match self {
            Update::PodsListed { .. } => true,
            Update::RolloutsChanged { change, .. } => matches!(
                change,
                RolloutChange::Listed(..) | RolloutChange::RevisionsListed(..)
            ),
            Update::SourceHealth { source, health, .. } => {
                *source == SourceId::Events && *health == SourceHealth::Live
            }
            _ => false,
        }
    }
}
