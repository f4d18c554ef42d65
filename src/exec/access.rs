//! SelfSubjectAccessReview: may the current user do this? The answer goes to the state as an
//! update, so forbidden actions show as such before they are tried.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};
use tokio::sync::mpsc::Sender;

use crate::command::Command;
use crate::model::access::{Access, AccessCheck};
use crate::update::{Outcome, Update};

/// Ask, and send the answer (or why there is none) as [`Update::AccessReviewed`].
pub(super) async fn review_access(
    client: Client,
    check: &AccessCheck,
    tx: &Sender<Update>,
) -> Outcome {
    let access = match review(client, check).await {
        Ok(access) => access,
        Err(e) => Access::Unknown(super::api_message(&e)),
    };
    let update = Update::AccessReviewed {
        check: check.clone(),
        access,
    };
    let _ = tx.send(update).await;
    Outcome::Quiet
}

/// An access review that failed before the API answered (no client, timeout) still gets an
/// answer, `Unknown`, so the state asks again later instead of waiting forever. It is not an
/// action of the user's: the status line stays quiet, the log says why.
pub(super) async fn settle_review(
    command: &Command,
    outcome: Outcome,
    tx: &Sender<Update>,
) -> Outcome {
    let (Command::ReviewAccess { check, .. }, Outcome::Failed(reason)) = (command, &outcome) else {
        return outcome;
    };
    tracing::warn!(check = %check, error = %reason, "access review failed; asked again later");
    let update = Update::AccessReviewed {
        check: check.clone(),
        access: Access::Unknown(reason.clone()),
    };
    let _ = tx.send(update).await;
    Outcome::Quiet
}

/// Ask the API whether the current user may do `check`.
async fn review(client: Client, check: &AccessCheck) -> Result<Access, kube::Error> {
    let api: Api<SelfSubjectAccessReview> = Api::all(client);
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: opt(&check.namespace),
                verb: opt(&check.verb),
                group: Some(check.group.clone()),
                resource: opt(&check.resource),
                subresource: opt(&check.subresource),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let answer = api.create(&PostParams::default(), &review).await?;
    let status = answer.status.unwrap_or_default();
    Ok(if status.allowed {
        Access::Allowed
    } else {
        Access::Denied(status.reason.unwrap_or_default())
    })
}
