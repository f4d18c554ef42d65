//! Pod commands: delete (as `kubectl delete pod`) and read a pod with its recent events for the
//! detail view.

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Client};
use tokio::sync::mpsc::Sender;

use crate::command::Target;
use crate::model::event;
use crate::model::event::DescribedPod;
use crate::model::pod::PodDetail;
use crate::update::{Outcome, Update};

/// Delete the pod gracefully; its controller replaces it. `verb` names the command in a failure.
pub(super) async fn delete(client: Client, t: &Target, verb: &str) -> Outcome {
    let api: Api<Pod> = Api::namespaced(client, &t.namespace);
    match api.delete(&t.name, &DeleteParams::default()).await {
        Ok(_) => Outcome::Done(format!(
            "pod {}/{} deleted on {}",
            t.namespace, t.name, t.context
        )),
        Err(e) => Outcome::Failed(format!("{verb} {t}: {}", super::api_message(&e))),
    }
}

/// Read the pod and its events; the detail goes to the state as an update.
pub(super) async fn load_detail(
    client: Client,
    t: &Target,
    verb: &str,
    tx: &Sender<Update>,
) -> Outcome {
    match described(client, t).await {
        Ok(detail) => {
            let _ = tx.send(Update::PodDetailLoaded(Box::new(detail))).await;
            Outcome::Quiet
        }
        Err(e) => Outcome::Failed(format!("{verb} {t}: {}", super::api_message(&e))),
    }
}

async fn described(client: Client, t: &Target) -> Result<DescribedPod, kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), &t.namespace);
    let pod = pods.get(&t.name).await?;
    let events: Api<Event> = Api::namespaced(client, &t.namespace);
    let selector = format!(
        "involvedObject.name={},involvedObject.namespace={}",
        t.name, t.namespace
    );
    let listed = events.list(&ListParams::default().fields(&selector)).await;
    let (events, events_error) = match listed {
        Ok(list) => (list.items, None),
        Err(e) => {
            // Server text: shown on screen, so neutralised like cluster log text.
            let why = crate::sanitize::sanitize(super::api_message(&e).as_bytes(), 512).text;
            tracing::warn!(pod = %t, error = %why, "cannot list the pod's events");
            (Vec::new(), Some(why))
        }
    };
    Ok(DescribedPod {
        pod: PodDetail::from_pod(&pod),
        events: event::recent(&events, 20),
        events_error,
    })
}
