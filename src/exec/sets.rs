//! StatefulSet and DaemonSet rollbacks as kubectl performs them (`statefulSetRollbacker`,
//! `daemonSetRollbacker` in `pkg/polymorphichelpers/rollback.go`): the ControllerRevision's
//! `data` is the strategic merge patch that restores its template, sent as it is — with the
//! same two guards as a Deployment's undo (generation, then resourceVersion).

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};

use crate::command::{Target, Undo};
use crate::model::rollout::{TemplateSummary, UndoPreview, template_diff};

/// A workload's pod template (`spec.template`), normalised through the typed struct so that
/// two templates compare equal when the API would store the same.
pub(super) fn template_of(obj: &Value) -> PodTemplateSpec {
    serde_json::from_value(obj["spec"]["template"].clone()).unwrap_or_default()
}

/// kubectl's rollback of a StatefulSet or DaemonSet to `undo.to_revision`.
pub(super) async fn run_undo(
    client: Client,
    t: &Target,
    undo: &Undo,
    dry_run: bool,
) -> Result<UndoPreview, String> {
    let api = undo.kind.api(client.clone(), &t.namespace);
    let obj = api.get(&t.name).await.map_err(|e| {
        format!(
            "failed to retrieve {} {}: {}",
            undo.kind.kind(),
            t.name,
            super::api_message(&e)
        )
    })?;
    let resource_version = obj.metadata.resource_version.clone().unwrap_or_default();
    if obj.metadata.generation.unwrap_or(0) != undo.generation {
        return Ok(UndoPreview::Refused(super::rollouts::changed_meanwhile(
            undo,
            &resource_version,
        )));
    }
    let uid = obj.metadata.uid.clone().unwrap_or_default();
    let cr = controller_revision(client, t, undo, &uid).await?;
    let current = template_of(&obj.data);
    let restored = crate::model::rollout::revision_template(&cr).unwrap_or_default();
    if serde_json::to_value(&current).ok() == serde_json::to_value(&restored).ok() {
        return Ok(UndoPreview::Skipped(format!(
            "skipped rollback (current template already matches revision {})",
            undo.to_revision
        )));
    }
    let mut patch = cr.data.map(|d| d.0).unwrap_or_else(|| json!({}));
    patch["metadata"] = json!({ "resourceVersion": resource_version });
    let params = PatchParams {
        dry_run,
        ..PatchParams::default()
    };
    match api.patch(&t.name, &params, &Patch::Strategic(patch)).await {
        Ok(patched) => Ok(UndoPreview::Accepted(template_diff(
            &TemplateSummary::from_template(&current),
            &TemplateSummary::from_template(&template_of(&patched.data)),
        ))),
        Err(e) if super::rollouts::is_conflict(&e) => Ok(UndoPreview::Refused(
            super::rollouts::changed_meanwhile(undo, ""),
        )),
        Err(e) => Ok(UndoPreview::Refused(format!(
            "failed restoring revision {}: {}",
            undo.to_revision,
            super::api_message(&e)
        ))),
    }
}

/// The ControllerRevision controlled by the workload (`uid`) whose revision is the one asked.
async fn controller_revision(
    client: Client,
    t: &Target,
    undo: &Undo,
    uid: &str,
) -> Result<ControllerRevision, String> {
    let api: Api<ControllerRevision> = Api::namespaced(client, &t.namespace);
    let list = api.list(&ListParams::default()).await.map_err(|e| {
        format!(
            "failed to retrieve controller revisions of {} {}: {}",
            undo.kind.noun(),
            t.name,
            super::api_message(&e)
        )
    })?;
    list.items
        .into_iter()
        .filter(|cr| {
            cr.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && o.uid == uid)
        })
        .find(|cr| u64::try_from(cr.revision).ok() == Some(undo.to_revision))
        .ok_or_else(|| {
            format!(
                "unable to find specified revision {} in history",
                undo.to_revision
            )
        })
}
