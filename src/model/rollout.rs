//! Rollouts: compact Deployment and ReplicaSet records (converted at the source), the row of the
//! rollouts table, the revision history and what changed between revisions.

mod diff;
mod template;

pub use diff::{DiffKind, DiffLine, change_summary, short_image, template_diff};
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

/// A Deployment reduced to what the rollouts pane and its actions need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    pub generation: i64,
    pub observed_generation: i64,
    /// `deployment.kubernetes.io/revision` (0 when absent).
    pub revision: u64,
    pub created: Option<Timestamp>,
    /// `spec.replicas` (default 1).
    pub desired: i32,
    /// `status.replicas`: pods of every revision.
    pub total: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub paused: bool,
    /// The Progressing condition's message when the deadline was exceeded.
    pub stalled: Option<String>,
    pub template: TemplateSummary,
    pub managed_by: Option<ManagedBy>,
}

fn revision_of(meta: &ObjectMeta) -> Option<u64> {
    meta.annotations.as_ref()?.get(REVISION)?.parse().ok()
}

impl DeploymentInfo {
    pub fn from_deployment(d: &Deployment) -> DeploymentInfo {
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
        DeploymentInfo {
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            resource_version: m.resource_version.clone().unwrap_or_default(),
            generation: m.generation.unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            revision: revision_of(m).unwrap_or(0),
            created: from_k8s_opt(m.creation_timestamp.as_ref()),
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            total: count(|s| s.replicas),
            updated: count(|s| s.updated_replicas),
            ready: count(|s| s.ready_replicas),
            available: count(|s| s.available_replicas),
            paused: spec.and_then(|s| s.paused).unwrap_or(false),
            stalled,
            template: spec
                .map(|s| TemplateSummary::from_template(&s.template))
                .unwrap_or_default(),
            managed_by: ManagedBy::from_meta(m),
        }
    }

    /// Paused, scaled to zero, stalled, complete or progressing (in that order of precedence).
    pub fn state(&self) -> RolloutState {
        if self.paused {
            RolloutState::Paused
        } else if self.desired == 0 {
            RolloutState::ScaledToZero
        } else if self.stalled.is_some() {
            RolloutState::Stalled
        } else if self.observed_generation >= self.generation
            && self.updated >= self.desired
            && self.total == self.updated
            && self.available >= self.updated
        {
            RolloutState::Complete
        } else {
            RolloutState::Progressing
        }
    }

    /// Whether a ReplicaSet belongs to this Deployment (controller owner reference).
    pub fn owns(&self, rs: &ReplicaSetInfo) -> bool {
        rs.namespace == self.namespace
            && rs.owner.as_ref().is_some_and(|(name, uid)| {
                name == &self.name && (uid.is_empty() || self.uid.is_empty() || uid == &self.uid)
            })
    }
}

/// A ReplicaSet of a Deployment: one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetInfo {
    pub namespace: String,
    pub name: String,
    /// `(name, uid)` of the controlling Deployment.
    pub owner: Option<(String, String)>,
    pub revision: Option<u64>,
    pub created: Option<Timestamp>,
    /// `spec.replicas`.
    pub replicas: i32,
    pub ready: i32,
    pub available: i32,
    pub change_cause: Option<String>,
    pub template: TemplateSummary,
}

impl ReplicaSetInfo {
    pub fn from_replica_set(rs: &ReplicaSet) -> ReplicaSetInfo {
        let m = &rs.metadata;
        let owner = m
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true) && o.kind == "Deployment")
            .map(|o| (o.name.clone(), o.uid.clone()));
        let status = rs.status.as_ref();
        let spec = rs.spec.as_ref();
        ReplicaSetInfo {
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone().unwrap_or_default(),
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
    /// What the latest revision changed against the previous one.
    pub summary: String,
}

impl RolloutRow {
    /// Build the row from a Deployment and (any superset of) its ReplicaSets.
    pub fn build(d: &DeploymentInfo, replica_sets: &[&ReplicaSetInfo]) -> RolloutRow {
        let mut owned: Vec<&ReplicaSetInfo> = replica_sets
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
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            revision: d.revision,
            // The newest ReplicaSet, not the highest revision: after a rollback the current
            // revision's ReplicaSet is an old one.
            changed_at: owned.iter().filter_map(|rs| rs.created).max().or(d.created),
            desired: d.desired,
            updated: d.updated,
            ready: d.ready,
            available: d.available,
            state: d.state(),
            summary,
        }
    }

    /// Convenience for whole API objects (tests, tools): convert, then [`RolloutRow::build`].
    pub fn from_objects(d: &Deployment, replica_sets: &[ReplicaSet]) -> RolloutRow {
        let infos: Vec<ReplicaSetInfo> = replica_sets
            .iter()
            .map(ReplicaSetInfo::from_replica_set)
            .collect();
        let refs: Vec<&ReplicaSetInfo> = infos.iter().collect();
        RolloutRow::build(&DeploymentInfo::from_deployment(d), &refs)
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

/// The revisions of a Deployment, newest first (ReplicaSets without a revision are skipped).
pub fn history(d: &DeploymentInfo, replica_sets: &[&ReplicaSetInfo]) -> Vec<RevisionRow> {
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
                current: rs.revision == Some(d.revision),
            })
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.revision));
    rows
}

/// The target of an undo without `--to-revision`: the second newest revision, as kubectl picks.
pub fn previous_revision(d: &DeploymentInfo, replica_sets: &[&ReplicaSetInfo]) -> Option<u64> {
    history(d, replica_sets).get(1).map(|r| r.revision)
}

/// A change to the Deployments and ReplicaSets in scope, as the rollout watcher reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutChange {
    /// Full snapshot of the Deployments (after a list or relist).
    DeploymentsListed(Vec<DeploymentInfo>),
    DeploymentApplied(Box<DeploymentInfo>),
    DeploymentDeleted {
        namespace: String,
        name: String,
    },
    /// Full snapshot of the ReplicaSets owned by Deployments.
    ReplicaSetsListed(Vec<ReplicaSetInfo>),
    ReplicaSetApplied(Box<ReplicaSetInfo>),
    ReplicaSetDeleted {
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
