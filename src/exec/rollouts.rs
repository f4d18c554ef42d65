//! Rollout commands, as kubectl performs them: restart (restartedAt annotation), undo
//! (`pkg/polymorphichelpers/rollback.go`, plus a precondition), scale through the scale
//! subresource, pause/resume.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};
use tokio::sync::mpsc::Sender;

use crate::command::{Target, Undo};
use crate::model::rollout::{
    LAST_APPLIED, POD_TEMPLATE_HASH, RESTARTED_AT, REVISION, TemplateSummary, UndoPreview,
    WorkloadKind, template_diff,
};
use crate::update::{Outcome, Update};

/// Deployment annotations an undo keeps from the Deployment rather than taking from the
/// ReplicaSet (kubectl's `annotationsToSkip`).
const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    LAST_APPLIED,
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// `kubectl rollout undo`: the outcome names the revision rolled back to.
pub(super) async fn undo(client: Client, target: &Target, undo: &Undo) -> Outcome {
    match run_undo(client, target, undo, false).await {
        Ok(UndoPreview::Accepted(_)) => Outcome::Done(format!(
            "{} {}/{} rolled back to revision {} on {}",
            undo.kind.noun(),
            target.namespace,
            target.name,
            undo.to_revision,
            target.context
        )),
        Ok(UndoPreview::Skipped(text)) => Outcome::Done(format!(
            "{} {}/{}: {text}",
            undo.kind.noun(),
            target.namespace,
            target.name
        )),
        Ok(UndoPreview::Refused(text)) | Err(text) => Outcome::Failed(format!(
            "rollout undo {}/{}: {text}",
            target.namespace, target.name
        )),
    }
}

/// The same undo as a server-side dry run; the answer goes to the dialog as an update.
pub(super) async fn preview_undo(
    client: Client,
    target: &Target,
    undo: &Undo,
    tx: &Sender<Update>,
) -> Outcome {
    let preview = run_undo(client, target, undo, true)
        .await
        .unwrap_or_else(UndoPreview::Refused);
    let update = Update::UndoPreviewed {
        target: target.clone(),
        undo: undo.clone(),
        preview,
    };
    let _ = tx.send(update).await;
    Outcome::Quiet
}

fn deployments(client: Client, t: &Target) -> Api<Deployment> {
    Api::namespaced(client, &t.namespace)
}

/// `kubectl rollout restart`: refused on a paused Deployment, like kubectl.
pub(super) async fn restart(
    client: Client,
    t: &Target,
    kind: WorkloadKind,
    at: &str,
) -> Result<String, String> {
    let api = kind.api(client, &t.namespace);
    let fail = |e: kube::Error| format!("rollout restart {t}: {}", super::api_message(&e));
    let d = api.get(&t.name).await.map_err(fail)?;
    if d.data["spec"]["paused"] == Value::Bool(true) {
        return Err(format!(
            "rollout restart {t}: can't restart paused deployment (run rollout resume first)"
        ));
    }
    api.patch(
        &t.name,
        &PatchParams::default(),
        &Patch::Strategic(restart_patch(at)),
    )
    .await
    .map_err(fail)?;
    Ok(format!(
        "{} {}/{} restarted on {}",
        kind.noun(),
        t.namespace,
        t.name,
        t.context
    ))
}

/// The strategic merge patch of `kubectl rollout restart`.
pub fn restart_patch(at: &str) -> Value {
    json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}})
}

/// kubectl's rollback, with two guards: the Deployment's spec must not have changed since the
/// user looked (`generation`), and the patch carries a `test` of the `resourceVersion` just
/// read, so a write in between is a conflict rather than a lost update.
async fn run_undo(
    client: Client,
    t: &Target,
    undo: &Undo,
    dry_run: bool,
) -> Result<UndoPreview, String> {
    if undo.kind != WorkloadKind::Deployment {
        return super::sets::run_undo(client, t, undo, dry_run).await;
    }
    let api = deployments(client.clone(), t);
    let d = api.get(&t.name).await.map_err(|e| {
        format!(
            "failed to retrieve Deployment {}: {}",
            t.name,
            super::api_message(&e)
        )
    })?;
    let generation = d.metadata.generation.unwrap_or(0);
    let resource_version = d.metadata.resource_version.clone().unwrap_or_default();
    if generation != undo.generation {
        return Ok(UndoPreview::Refused(changed_meanwhile(
            undo,
            &resource_version,
        )));
    }
    let rs = revision_replica_set(client, &d, undo.to_revision).await?;
    if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
        return Ok(UndoPreview::Refused(format!(
            "you cannot rollback a paused deployment; resume it first with \
             'kubectl rollout resume deployment/{}' and try again",
            t.name
        )));
    }
    let current = d
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let mut template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    strip_hash(&mut template);
    if equal_ignore_hash(&template, &current) {
        return Ok(UndoPreview::Skipped(format!(
            "skipped rollback (current template already matches revision {})",
            undo.to_revision
        )));
    }
    let patch = undo_patch(&d, &rs, &template, &resource_version)?;
    let params = PatchParams {
        dry_run,
        ..PatchParams::default()
    };
    match api.patch(&t.name, &params, &Patch::Json::<()>(patch)).await {
        Ok(patched) => {
            let after = patched.spec.map(|s| s.template).unwrap_or_default();
            let diff = template_diff(
                &TemplateSummary::from_template(&current),
                &TemplateSummary::from_template(&after),
            );
            Ok(UndoPreview::Accepted(diff))
        }
        Err(e) if is_conflict(&e) => Ok(UndoPreview::Refused(changed_meanwhile(undo, ""))),
        Err(e) => Ok(UndoPreview::Refused(format!(
            "failed restoring revision {}: {}",
            undo.to_revision,
            super::api_message(&e)
        ))),
    }
}

pub(super) fn changed_meanwhile(undo: &Undo, now: &str) -> String {
    let now = if now.is_empty() {
        String::new()
    } else {
        format!(" → {now}")
    };
    format!(
        "conflict: the {} changed since you looked (resourceVersion {}{now}); \
         nothing was changed, review it and try again",
        undo.kind.noun(),
        undo.resource_version
    )
}

/// 409, or a failed JSON patch `test` (422/400 mentioning the test).
pub(super) fn is_conflict(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => {
            s.code == 409 || ((s.code == 422 || s.code == 400) && s.message.contains("test"))
        }
        _ => false,
    }
}

/// The ReplicaSet controlled by `d` whose revision is `revision`.
async fn revision_replica_set(
    client: Client,
    d: &Deployment,
    revision: u64,
) -> Result<ReplicaSet, String> {
    let ns = d.metadata.namespace.clone().unwrap_or_default();
    let uid = d.metadata.uid.clone().unwrap_or_default();
    let name = d.metadata.name.clone().unwrap_or_default();
    let api: Api<ReplicaSet> = Api::namespaced(client, &ns);
    let list = api.list(&ListParams::default()).await.map_err(|e| {
        format!(
            "failed to retrieve replica sets from deployment {name}: {}",
            super::api_message(&e)
        )
    })?;
    list.items
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && o.uid == uid)
        })
        .find(|rs| {
            rs.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(REVISION))
                .and_then(|r| r.parse::<u64>().ok())
                == Some(revision)
        })
        .ok_or_else(|| format!("unable to find specified revision {revision} in history"))
}

fn strip_hash(t: &mut PodTemplateSpec) {
    if let Some(m) = t.metadata.as_mut()
        && let Some(labels) = m.labels.as_mut()
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            m.labels = None;
        }
    }
}

/// kubectl's `equalIgnoreHash`.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let (mut a, mut b) = (a.clone(), b.clone());
    strip_hash(&mut a);
    strip_hash(&mut b);
    serde_json::to_value(&a).ok() == serde_json::to_value(&b).ok()
}

/// The JSON patch of kubectl's rollback (`replace /spec/template`, annotations from the
/// ReplicaSet except the skipped ones) preceded by a `test` of the resourceVersion.
pub fn undo_patch<P: serde::de::DeserializeOwned>(
    d: &Deployment,
    rs: &ReplicaSet,
    template: &PodTemplateSpec,
    resource_version: &str,
) -> Result<P, String> {
    let mut annotations = serde_json::Map::new();
    let keep = d.metadata.annotations.iter().flatten();
    for (k, v) in keep.filter(|(k, _)| ANNOTATIONS_TO_SKIP.contains(&k.as_str())) {
        annotations.insert(k.clone(), Value::String(v.clone()));
    }
    let take = rs.metadata.annotations.iter().flatten();
    for (k, v) in take.filter(|(k, _)| !ANNOTATIONS_TO_SKIP.contains(&k.as_str())) {
        annotations.insert(k.clone(), Value::String(v.clone()));
    }
    let ops = json!([
        {"op": "test", "path": "/metadata/resourceVersion", "value": resource_version},
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "add", "path": "/metadata/annotations", "value": annotations},
    ]);
    serde_json::from_value(ops).map_err(|e| format!("cannot build the patch: {e}"))
}

/// Scale through the scale subresource, only if `spec.replicas` is still `from`; the
/// replace carries the scale's resourceVersion (409 if it moved in between).
pub(super) async fn scale(
    client: Client,
    t: &Target,
    kind: WorkloadKind,
    (from, to): (i32, i32),
) -> Result<String, String> {
    let api = kind.api(client, &t.namespace);
    let fail = |e: kube::Error| format!("scale {t}: {}", super::api_message(&e));
    let mut s = api.get_scale(&t.name).await.map_err(fail)?;
    let current = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
    if current != from {
        return Err(format!(
            "scale {t}: conflict: replicas changed from {from} to {current} since you looked; \
             nothing was changed"
        ));
    }
    s.spec.get_or_insert_with(Default::default).replicas = Some(to);
    s.status = None;
    api.replace_scale(&t.name, &PostParams::default(), &s)
        .await
        .map_err(fail)?;
    Ok(format!(
        "{} {}/{} scaled from {from} to {to} on {}",
        kind.noun(),
        t.namespace,
        t.name,
        t.context
    ))
}

/// `kubectl rollout pause` / `resume`.
pub(super) async fn set_paused(client: Client, t: &Target, paused: bool) -> Result<String, String> {
    let api = deployments(client, t);
    let patch = json!({"spec": {"paused": paused}});
    api.patch(&t.name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(|e| {
            format!(
                "rollout {} {t}: {}",
                if paused { "pause" } else { "resume" },
                super::api_message(&e)
            )
        })?;
    let done = if paused { "paused" } else { "resumed" };
    Ok(format!(
        "deployment {}/{} {done} on {}",
        t.namespace, t.name, t.context
    ))
}
