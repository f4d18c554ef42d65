//! Rollouts: compact Deployment and ReplicaSet records (converted at the source), the row of the
//! rollouts table, the revision history and what changed between revisions.

mod diff;
mod sets;
mod template;

pub use diff::{DiffKind, DiffLine, change_summary, short_image, template_diff};
pub use sets::{CONTROLLER_REVISION_HASH, revision_hashes, revision_template};
pub use template::{ContainerSummary, EnvValue, POD_TEMPLATE_HASH, RESTARTED_AT, TemplateSummary};

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::model::time::{age_opt, from_k8s_opt};

/// Annotation holding the revision of a Deployment and of its ReplicaSets.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// Annotation `kubectl rollout history` shows as CHANGE-CAUSE.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// Annotation `kubectl apply` leaves behind.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Who else writes this Deployment and may revert a manual change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedBy {
    /// Argo CD application name (from the tracking id or instance label).
    ArgoCd(String),
    /// Flux kustomization or helm release name.
    Flux(String),
    /// `kubectl apply` (last-applied-configuration annotation).
    KubectlApply,
}

impl ManagedBy {
    /// Read the GitOps / apply markers from an object's metadata.
    pub fn from_meta(meta: &ObjectMeta) -> Option<ManagedBy> {
        let label = |k: &str| meta.labels.as_ref().and_then(|l| l.get(k)).cloned();
        let annotations = meta.annotations.as_ref();
        let annotation = |k: &str| annotations.and_then(|a| a.get(k)).cloned();
        if let Some(id) = annotation("argocd.argoproj.io/tracking-id") {
            let app = id.split(':').next().unwrap_or(&id).to_string();
            return Some(ManagedBy::ArgoCd(app));
        }
        let argo_marked = label("argocd.argoproj.io/instance").is_some()
            || annotations.is_some_and(|a| a.keys().any(|k| k.starts_with("argocd.argoproj.io/")));
        if let Some(app) = label("argocd.argoproj.io/instance") {
            return Some(ManagedBy::ArgoCd(app));
        }
        if let Some(app) = label("app.kubernetes.io/instance").filter(|_| argo_marked) {
            return Some(ManagedBy::ArgoCd(app));
        }
        let flux = label("kustomize.toolkit.fluxcd.io/name")
            .or_else(|| label("helm.toolkit.fluxcd.io/name"));
        if let Some(name) = flux {
            return Some(ManagedBy::Flux(name));
        }
        annotation(LAST_APPLIED).map(|_| ManagedBy::KubectlApply)
    }

    /// One line for the undo dialog.
    pub fn warning(&self) -> String {
        match self {
            ManagedBy::ArgoCd(app) => format!(
                "managed by Argo CD (application {app}): a sync may revert this change; \
                 roll back in Git or disable auto-sync"
            ),
            ManagedBy::Flux(name) => format!(
                "managed by Flux ({name}): the next reconcile may revert this change; \
                 roll back in Git or suspend it"
            ),
            ManagedBy::KubectlApply => {
                "applied with kubectl apply: the next apply of the manifest reverts this change"
                    .to_string()
            }
        }
    }
}

/// The state of a rollout, as `kubectl rollout status` would judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RolloutState {
    /// New pods are being rolled out (or old ones scaled down).
    Progressing,
    /// Every replica is updated and available; no old replicas left.
    Complete,
    /// `Progressing=False, reason ProgressDeadlineExceeded`.
    Stalled,
    /// `spec.paused`.
    Paused,
    /// `spec.replicas: 0`.
    ScaledToZero,
}

impl RolloutState {
    pub fn label(self) -> &'static str {
        match self {
            RolloutState::Progressing => "Progressing",
            RolloutState::Complete => "Complete",
            RolloutState::Stalled => "Stalled",
            RolloutState::Paused => "Paused",
            RolloutState::ScaledToZero => "ScaledToZero",
        }
    }
}

/// The kinds of the rollouts pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    /// The API kind, `Deployment`.
    pub fn kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }

    /// kubectl's resource name in messages, `deployment`.
    pub fn noun(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
        }
    }

    /// The plural resource of RBAC checks, `deployments`.
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::StatefulSet => "statefulsets",
            WorkloadKind::DaemonSet => "daemonsets",
        }
    }

    /// kubectl's short name, `deploy`, `sts`, `ds`.
    pub fn short(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deploy",
            WorkloadKind::StatefulSet => "sts",
            WorkloadKind::DaemonSet => "ds",
        }
    }

    /// From an owner reference's kind.
    pub fn from_kind(kind: &str) -> Option<WorkloadKind> {
        match kind {
            "Deployment" => Some(WorkloadKind::Deployment),
            "StatefulSet" => Some(WorkloadKind::StatefulSet),
            "DaemonSet" => Some(WorkloadKind::DaemonSet),
            _ => None,
        }
    }

    /// Whether the kind has a `replicas` to scale.
    pub fn scalable(self) -> bool {
        self != WorkloadKind::DaemonSet
    }

    /// Whether `kubectl rollout pause` applies (Deployments only).
    pub fn pausable(self) -> bool {
        self == WorkloadKind::Deployment
    }
}

/// How a workload replaces its pods when the template changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    #[default]
    RollingUpdate,
    /// Deployments: every old pod goes before new ones start.
    Recreate,
    /// StatefulSets and DaemonSets: pods are replaced only when someone deletes them.
    OnDelete,
}

impl Strategy {
    fn parse(text: Option<&str>) -> Strategy {
        match text {
            Some("Recreate") => Strategy::Recreate,
            Some("OnDelete") => Strategy::OnDelete,
            _ => Strategy::RollingUpdate,
        }
    }
}

/// A Deployment, StatefulSet or DaemonSet reduced to what the rollouts pane and its actions
/// need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadInfo {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    pub generation: i64,
    pub observed_generation: i64,
    /// `deployment.kubernetes.io/revision` (0 when absent). StatefulSets and DaemonSets carry
    /// none: their revision is their newest ControllerRevision's (see [`current_revision`]).
    pub revision: u64,
    pub created: Option<Timestamp>,
    /// `spec.replicas` (default 1); a DaemonSet's `desiredNumberScheduled`.
    pub desired: i32,
    /// `status.replicas`: pods of every revision (a DaemonSet's `currentNumberScheduled`).
    pub total: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub paused: bool,
    /// The Progressing condition's message when the deadline was exceeded.
    pub stalled: Option<String>,
    pub strategy: Strategy,
    /// A StatefulSet's `rollingUpdate.partition`: ordinals below it keep the old revision.
    pub partition: i32,
    /// A StatefulSet's `status.updateRevision` and `currentRevision` (ControllerRevision names).
    pub update_revision: Option<String>,
    pub current_revision: Option<String>,
    pub template: TemplateSummary,
    pub managed_by: Option<ManagedBy>,
}

fn revision_of(meta: &ObjectMeta) -> Option<u64> {
    meta.annotations.as_ref()?.get(REVISION)?.parse().ok()
}

impl WorkloadInfo {
    pub fn from_deployment(d: &Deployment) -> WorkloadInfo {
        let m = &d.metadata;
        let spec = d.spec.as_ref();
        let status = d.status.as_ref();
        let count = |f: fn(&k8s_openapi::api::apps::v1::DeploymentStatus) -> Option<i32>| {
            status.and_then(f).unwrap_or(0)
        };
        let stalled = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Progressing"))
            .filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
            .map(|c| c.message.clone().unwrap_or_default());
        WorkloadInfo {
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            revision: revision_of(m).unwrap_or(0),
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            total: count(|s| s.replicas),
            updated: count(|s| s.updated_replicas),
            ready: count(|s| s.ready_replicas),
            available: count(|s| s.available_replicas),
            paused: spec.and_then(|s| s.paused).unwrap_or(false),
            stalled,
            strategy: Strategy::parse(
                spec.and_then(|s| s.strategy.as_ref())
                    .and_then(|s| s.type_.as_deref()),
            ),
            template: spec
                .map(|s| TemplateSummary::from_template(&s.template))
                .unwrap_or_default(),
            ..WorkloadInfo::from_meta(WorkloadKind::Deployment, m)
        }
    }

    /// Paused, scaled to zero, stalled, complete or progressing (in that order of precedence),
    /// judged per kind as `kubectl rollout status` judges it.
    pub fn state(&self) -> RolloutState {
        if self.paused {
            RolloutState::Paused
        } else if self.desired == 0 && self.kind != WorkloadKind::DaemonSet {
            RolloutState::ScaledToZero
        } else if self.stalled.is_some() {
            RolloutState::Stalled
        } else if self.observed_generation >= self.generation && self.rolled_out() {
            RolloutState::Complete
        } else {
            RolloutState::Progressing
        }
    }

    /// kubectl's status viewers: every replica updated and available (Deployments, with no
    /// old replica left; DaemonSets per scheduled node); a StatefulSet's replicas ready and
    /// updated above the partition, its update revision current when not partitioned.
    fn rolled_out(&self) -> bool {
        match self.kind {
            WorkloadKind::Deployment => {
                self.updated >= self.desired
                    && self.total == self.updated
                    && self.available >= self.updated
            }
            WorkloadKind::DaemonSet => {
                self.updated >= self.desired && self.available >= self.desired
            }
            WorkloadKind::StatefulSet if self.partition > 0 => {
                self.ready >= self.desired && self.updated >= self.desired - self.partition
            }
            WorkloadKind::StatefulSet => {
                self.ready >= self.desired
                    && (self.update_revision == self.current_revision
                        || self.updated >= self.desired)
            }
        }
    }

    /// `kind/name` as kubectl names it in messages, `statefulset/postgres`.
    pub fn object(&self) -> String {
        format!("{}/{}", self.kind.noun(), self.name)
    }

    /// Whether a revision (ReplicaSet or ControllerRevision) belongs to this workload
    /// (controller owner reference of this kind).
    pub fn owns(&self, rs: &RevisionInfo) -> bool {
        rs.namespace == self.namespace
            && rs.owner_kind == self.kind
            && rs.owner.as_ref().is_some_and(|(name, uid)| {
                name == &self.name && (uid.is_empty() || self.uid.is_empty() || uid == &self.uid)
            })
    }
}

/// Where a revision is kept: a Deployment's ReplicaSet, or a StatefulSet's or DaemonSet's
/// ControllerRevision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RevisionSource {
    #[default]
    ReplicaSet,
    ControllerRevision,
}

/// One revision of a workload: a ReplicaSet of a Deployment, or a ControllerRevision of a
/// StatefulSet or DaemonSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo {
    pub source: RevisionSource,
    pub namespace: String,
    pub name: String,
    /// The kind of the controlling owner.
    pub owner_kind: WorkloadKind,
    /// `(name, uid)` of the controlling owner.
    pub owner: Option<(String, String)>,
    pub revision: Option<u64>,
    pub created: Option<Timestamp>,
    /// `spec.replicas` (ControllerRevisions: none, `-1`).
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub change_cause: Option<String>,
    pub template: TemplateSummary,
}

impl RevisionInfo {
    pub fn from_replica_set(rs: &ReplicaSet) -> RevisionInfo {
        let m = &rs.metadata;
        let owner = m
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true) && o.kind == "Deployment")
            .map(|o| (o.name.clone(), o.uid.clone()));
        let status = rs.status.as_ref();
        let spec = rs.spec.as_ref();
        RevisionInfo {
            source: RevisionSource::ReplicaSet,
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone().unwrap_or_default(),
            owner_kind: WorkloadKind::Deployment,
            owner,
            revision: revision_of(m),
            created: from_k8s_opt(m.creation_timestamp.as_ref()),
            replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
            ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            available: status.and_then(|s| s.available_replicas).unwrap_or(0),
            change_cause: m
                .annotations
                .as_ref()
                .and_then(|a| a.get(CHANGE_CAUSE))
                .cloned(),
            template: spec
                .and_then(|s| s.template.as_ref())
                .map(TemplateSummary::from_template)
                .unwrap_or_default(),
        }
    }
}

/// One line of the rollouts table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutRow {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub revision: u64,
    /// Creation of the newest ReplicaSet (else of the Deployment): when it last changed.
    /// A rollback reuses an old ReplicaSet and leaves no timestamp of its own.
    pub changed_at: Option<Timestamp>,
    pub desired: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub state: RolloutState,
    pub strategy: Strategy,
    /// A StatefulSet's partition (0: none).
    pub partition: i32,
    /// What the latest revision changed against the previous one.
    pub summary: String,
}

impl RolloutRow {
    /// Build the row from a Deployment and (any superset of) its ReplicaSets.
    pub fn build(d: &WorkloadInfo, replica_sets: &[&RevisionInfo]) -> RolloutRow {
        let mut owned: Vec<&RevisionInfo> = replica_sets
            .iter()
            .copied()
            .filter(|rs| d.owns(rs))
            .collect();
        owned.sort_by_key(|rs| std::cmp::Reverse(rs.revision.unwrap_or(0)));
        let latest = owned.first();
        let summary = match (latest, owned.get(1)) {
            (Some(latest), Some(previous)) => change_summary(&previous.template, &latest.template),
            (Some(_), None) => "initial revision".to_string(),
            (None, None) | (None, Some(_)) => String::new(),
        };
        RolloutRow {
            kind: d.kind,
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            revision: current_revision(d, &owned),
            // The newest ReplicaSet, not the highest revision: after a rollback the current
            // revision's ReplicaSet is an old one.
            changed_at: owned.iter().filter_map(|rs| rs.created).max().or(d.created),
            desired: d.desired,
            updated: d.updated,
            ready: d.ready,
            available: d.available,
            state: d.state(),
            strategy: d.strategy,
            partition: d.partition,
            summary,
        }
    }

    /// Convenience for whole API objects (tests, tools): convert, then [`RolloutRow::build`].
    pub fn from_objects(d: &Deployment, replica_sets: &[ReplicaSet]) -> RolloutRow {
        let infos: Vec<RevisionInfo> = replica_sets
            .iter()
            .map(RevisionInfo::from_replica_set)
            .collect();
        let refs: Vec<&RevisionInfo> = infos.iter().collect();
        RolloutRow::build(&WorkloadInfo::from_deployment(d), &refs)
    }

    /// AGE of the latest revision.
    pub fn age_text(&self, now: Timestamp) -> String {
        age_opt(self.changed_at, now)
    }
}

/// One line of `kubectl rollout history`, with what our history view adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRow {
    pub revision: u64,
    pub created: Option<Timestamp>,
    pub change_cause: Option<String>,
    pub images: Vec<String>,
    pub replicas: i32,
    pub ready: i32,
    pub replica_set: String,
    /// The revision the Deployment is at.
    pub current: bool,
}

impl RevisionRow {
    pub fn age_text(&self, now: Timestamp) -> String {
        age_opt(self.created, now)
    }
}

/// The revision a workload is at: a Deployment's annotation; for a StatefulSet the
/// ControllerRevision its `updateRevision` names, else (and for DaemonSets) the newest one —
/// their controllers renumber the revision they go back to, so the newest is the current one.
pub fn current_revision(d: &WorkloadInfo, revisions: &[&RevisionInfo]) -> u64 {
    if d.kind == WorkloadKind::Deployment {
        return d.revision;
    }
    let owned = || revisions.iter().filter(|r| d.owns(r));
    d.update_revision
        .as_ref()
        .and_then(|name| owned().find(|r| &r.name == name))
        .and_then(|r| r.revision)
        .or_else(|| owned().filter_map(|r| r.revision).max())
        .unwrap_or(0)
}

/// The revisions of a workload, newest first (ReplicaSets without a revision are skipped).
pub fn history(d: &WorkloadInfo, replica_sets: &[&RevisionInfo]) -> Vec<RevisionRow> {
    let current = current_revision(d, replica_sets);
    let mut rows: Vec<RevisionRow> = replica_sets
        .iter()
        .filter(|rs| d.owns(rs))
        .filter_map(|rs| {
            Some(RevisionRow {
                revision: rs.revision?,
                created: rs.created,
                change_cause: rs.change_cause.clone(),
                images: rs.template.images(),
                replicas: rs.replicas,
                ready: rs.ready,
                replica_set: rs.name.clone(),
                current: rs.revision == Some(current),
            })
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.revision));
    rows
}

/// The target of an undo without `--to-revision`: the second newest revision, as kubectl picks.
pub fn previous_revision(d: &WorkloadInfo, replica_sets: &[&RevisionInfo]) -> Option<u64> {
    history(d, replica_sets).get(1).map(|r| r.revision)
}

/// A change to the workloads and revisions in scope, as the rollout watcher reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutChange {
    /// Full snapshot of the workloads of one kind (after a list or relist).
    Listed(WorkloadKind, Vec<WorkloadInfo>),
    Applied(Box<WorkloadInfo>),
    Deleted {
        kind: WorkloadKind,
        namespace: String,
        name: String,
    },
    /// Full snapshot of the revisions kept in one source (ReplicaSets owned by Deployments,
    /// ControllerRevisions owned by StatefulSets or DaemonSets).
    RevisionsListed(RevisionSource, Vec<RevisionInfo>),
    RevisionApplied(Box<RevisionInfo>),
    RevisionDeleted {
        source: RevisionSource,
        namespace: String,
        name: String,
    },
}

/// What the server said to a dry run of an undo (shown in the undo dialog before `y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoPreview {
    /// The server accepted the patch; the differences between the current template and the
    /// template the server would store.
    Accepted(Vec<DiffLine>),
    /// kubectl's "skipped rollback (current template already matches revision N)".
    Skipped(String),
    /// The server (or a precondition) refused it, with the reason.
    Refused(String),
}
