//! StatefulSets, DaemonSets and their ControllerRevisions as compact records, the way their
//! controllers and `kubectl rollout` read them.
//!
//! A ControllerRevision's `data` is the strategic merge patch that restores its template,
//! `{"spec":{"template":{"$patch":"replace", …}}}`; the template is read from it.

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{
    CHANGE_CAUSE, ManagedBy, RevisionInfo, RevisionSource, Strategy, TemplateSummary, WorkloadInfo,
    WorkloadKind,
};
use crate::model::time::from_k8s_opt;

impl WorkloadKind {
    /// The workloads of this kind in `namespace`, read and patched as plain JSON.
    pub fn api(self, client: kube::Client, namespace: &str) -> kube::Api<kube::api::DynamicObject> {
        use kube::api::ApiResource;
        let resource = match self {
            WorkloadKind::Deployment => ApiResource::erase::<Deployment>(&()),
            WorkloadKind::StatefulSet => ApiResource::erase::<StatefulSet>(&()),
            WorkloadKind::DaemonSet => ApiResource::erase::<DaemonSet>(&()),
        };
        kube::Api::namespaced_with(client, namespace, &resource)
    }
}

/// Pod label naming the revision a StatefulSet's or DaemonSet's pod runs (the
/// ControllerRevision's name for StatefulSets, its hash for DaemonSets).
pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";
/// A StatefulSet's ControllerRevision's hash label.
const REVISION_HASH: &str = "controller.kubernetes.io/hash";

/// The values a pod's `controller-revision-hash` can take for this ControllerRevision (its
/// name, its hash labels) with its revision number.
pub fn revision_hashes(cr: &ControllerRevision) -> Vec<(String, u64)> {
    let Ok(revision) = u64::try_from(cr.revision) else {
        return vec![];
    };
    let m = &cr.metadata;
    let labels = m.labels.iter().flatten();
    let hashes = labels
        .filter(|(k, _)| *k == REVISION_HASH || *k == CONTROLLER_REVISION_HASH)
        .map(|(_, v)| v.clone());
    m.name
        .clone()
        .into_iter()
        .chain(hashes)
        .map(|h| (h, revision))
        .collect()
}

impl WorkloadInfo {
    pub fn from_statefulset(s: &StatefulSet) -> WorkloadInfo {
        let m = &s.metadata;
        let spec = s.spec.as_ref();
        let status = s.status.as_ref();
        let strategy = spec.and_then(|s| s.update_strategy.as_ref());
        WorkloadInfo {
            kind: WorkloadKind::StatefulSet,
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            total: status.map(|s| s.replicas).unwrap_or(0),
            updated: status.and_then(|s| s.updated_replicas).unwrap_or(0),
            ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            available: status.and_then(|s| s.available_replicas).unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            strategy: Strategy::parse(strategy.and_then(|s| s.type_.as_deref())),
            partition: strategy
                .and_then(|s| s.rolling_update.as_ref())
                .and_then(|r| r.partition)
                .unwrap_or(0),
            update_revision: status.and_then(|s| s.update_revision.clone()),
            current_revision: status.and_then(|s| s.current_revision.clone()),
            template: spec
                .map(|s| TemplateSummary::from_template(&s.template))
                .unwrap_or_default(),
            ..WorkloadInfo::from_meta(WorkloadKind::StatefulSet, m)
        }
    }

    pub fn from_daemonset(d: &DaemonSet) -> WorkloadInfo {
        let m = &d.metadata;
        let spec = d.spec.as_ref();
        let status = d.status.as_ref();
        let strategy = spec.and_then(|s| s.update_strategy.as_ref());
        WorkloadInfo {
            desired: status.map(|s| s.desired_number_scheduled).unwrap_or(0),
            total: status.map(|s| s.current_number_scheduled).unwrap_or(0),
            updated: status.and_then(|s| s.updated_number_scheduled).unwrap_or(0),
            ready: status.map(|s| s.number_ready).unwrap_or(0),
            available: status.and_then(|s| s.number_available).unwrap_or(0),
            observed_generation: status.and_then(|s| s.observed_generation).unwrap_or(0),
            strategy: Strategy::parse(strategy.and_then(|s| s.type_.as_deref())),
            template: spec
                .map(|s| TemplateSummary::from_template(&s.template))
                .unwrap_or_default(),
            ..WorkloadInfo::from_meta(WorkloadKind::DaemonSet, m)
        }
    }

    /// What every kind reads from its metadata; counts and template zero.
    pub(super) fn from_meta(kind: WorkloadKind, m: &ObjectMeta) -> WorkloadInfo {
        WorkloadInfo {
            kind,
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            resource_version: m.resource_version.clone().unwrap_or_default(),
            generation: m.generation.unwrap_or(0),
            observed_generation: 0,
            revision: 0,
            created: from_k8s_opt(m.creation_timestamp.as_ref()),
            desired: 0,
            total: 0,
            updated: 0,
            ready: 0,
            available: 0,
            paused: false,
            stalled: None,
            strategy: Strategy::RollingUpdate,
            partition: 0,
            update_revision: None,
            current_revision: None,
            template: TemplateSummary::default(),
            managed_by: ManagedBy::from_meta(m),
        }
    }
}

/// The pod template a ControllerRevision restores (`data.spec.template` without `$patch`).
pub fn revision_template(cr: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut template = cr.data.as_ref()?.0.get("spec")?.get("template")?.clone();
    if let Some(map) = template.as_object_mut() {
        map.remove("$patch");
    }
    serde_json::from_value(template).ok()
}

impl RevisionInfo {
    /// A ControllerRevision controlled by a StatefulSet or DaemonSet; `None` for any other
    /// (they are not rollout history).
    pub fn from_controller_revision(cr: &ControllerRevision) -> Option<RevisionInfo> {
        let m = &cr.metadata;
        let (owner_kind, owner) = m
            .owner_references
            .iter()
            .flatten()
            .filter(|o| o.controller == Some(true))
            .find_map(|o| {
                let kind = WorkloadKind::from_kind(&o.kind)?;
                (kind != WorkloadKind::Deployment).then(|| (kind, (o.name.clone(), o.uid.clone())))
            })?;
        Some(RevisionInfo {
            source: RevisionSource::ControllerRevision,
            namespace: m.namespace.clone().unwrap_or_default(),
            name: m.name.clone().unwrap_or_default(),
            owner_kind,
            owner: Some(owner),
            revision: u64::try_from(cr.revision).ok(),
            created: from_k8s_opt(m.creation_timestamp.as_ref()),
            replicas: -1,
            ready: -1,
            available: -1,
            change_cause: m
                .annotations
                .as_ref()
                .and_then(|a| a.get(CHANGE_CAUSE))
                .cloned(),
            template: revision_template(cr)
                .map(|t| TemplateSummary::from_template(&t))
                .unwrap_or_default(),
        })
    }
}
