//! The executor: runs [`Command`]s, enforces `--readonly`, writes the audit log and reports
//! every outcome as [`Update::CommandFinished`]. Each command runs in its own task with a
//! timeout so the UI (and other commands) never wait on it.

pub mod audit;
pub mod rollouts;
pub mod silence;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Client};
use tokio::sync::Mutex;
use tokio::sync::mpsc::{Receiver, Sender};

use crate::cluster::ClusterConfig;
use crate::command::{Command, CommandRequest, Target};
use crate::http::HttpClient;
use crate::model::access::Access;
use crate::model::event;
use crate::model::event::DescribedPod;
use crate::model::pod::PodDetail;
use crate::update::{Outcome, Update};
use audit::AuditLog;

/// Upper bound for one command, API calls included.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Executor {
    pub cluster: ClusterConfig,
    pub readonly: bool,
    pub audit: Option<AuditLog>,
    pub tx: Sender<Update>,
    /// For Alertmanager silences; `None` when no alert source is configured.
    pub http: Option<HttpClient>,
}

impl Executor {
    /// Receive commands until the channel closes, then let the commands in flight finish (or
    /// time out) so that a quit, or an SSH session that drops, never leaves an action half
    /// done and unrecorded.
    pub async fn run(self, mut rx: Receiver<CommandRequest>) {
        let mut in_flight = tokio::task::JoinSet::new();
        let shared = Arc::new(Shared {
            cluster: self.cluster,
            clients: Mutex::new(HashMap::new()),
            http: self.http,
        });
        let audit = self.audit.map(Arc::new);
        while let Some(req) = rx.recv().await {
            let tx = self.tx.clone();
            if req.command.is_mutation() && self.readonly {
                let outcome = Outcome::Refused(format!(
                    "read-only mode: refused to {} {}",
                    req.command.verb(),
                    req.command.target()
                ));
                audit::record(&shared.cluster, audit.clone(), &req.command, &outcome).await;
                let _ = tx
                    .send(Update::CommandFinished {
                        id: req.id,
                        outcome,
                    })
                    .await;
                continue;
            }
            let shared = shared.clone();
            let audit = audit.clone();
            in_flight.spawn(async move {
                let outcome =
                    match tokio::time::timeout(COMMAND_TIMEOUT, shared.execute(&req.command, &tx))
                        .await
                    {
                        Ok(outcome) => outcome,
                        Err(_) => Outcome::Failed(format!(
                            "{} {}: timed out after {}s",
                            req.command.verb(),
                            req.command.target(),
                            COMMAND_TIMEOUT.as_secs()
                        )),
                    };
                let outcome = settle_review(&req.command, outcome, &tx).await;
                if req.command.is_mutation() {
                    audit::record(&shared.cluster, audit, &req.command, &outcome).await;
                }
                let _ = tx
                    .send(Update::CommandFinished {
                        id: req.id,
                        outcome,
                    })
                    .await;
            });
            // Reap finished commands so the set stays small.
            while in_flight.try_join_next().is_some() {}
        }
        while in_flight.join_next().await.is_some() {}
    }
}

/// An access review that failed before the API answered (no client, timeout) still gets an
/// answer, `Unknown`, so the state asks again later instead of waiting forever. It is not an
/// action of the user's: the status line stays quiet, the log says why.
async fn settle_review(command: &Command, outcome: Outcome, tx: &Sender<Update>) -> Outcome {
    let (Command::ReviewAccess { check, .. }, Outcome::Failed(reason)) = (command, &outcome) else {
        return outcome;
    };
    tracing::warn!(check = %check, error = %reason, "access review failed; asked again later");
    let update = Update::AccessReviewed {
        check: check.clone(),
        access: Access::Unknown(reason.clone()),
    };
    let _ = tx.send(update).await;
    Outcome::Done(String::new())
}

struct Shared {
    cluster: ClusterConfig,
    clients: Mutex<HashMap<String, Client>>,
    http: Option<HttpClient>,
}

impl Shared {
    async fn client(&self, context: &str) -> Result<Client, String> {
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(context) {
            return Ok(c.clone());
        }
        let client = self
            .cluster
            .client(Some(context).filter(|c| !c.is_empty()))
            .await
            .map_err(|e| e.to_string())?;
        clients.insert(context.to_string(), client.clone());
        Ok(client)
    }

    async fn execute(&self, command: &Command, tx: &Sender<Update>) -> Outcome {
        if let Some(outcome) = silence::execute(command, self.http.as_ref()).await {
            return outcome;
        }
        let target = command.target();
        let client = match self.client(&target.context).await {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("{}: {e}", target.context)),
        };
        let result = match command {
            Command::DeletePod { target } => delete_pod(client, target).await,
            Command::LoadPodDetail { target } => match load_pod_detail(client, target).await {
                Ok(detail) => {
                    let _ = tx.send(Update::PodDetailLoaded(Box::new(detail))).await;
                    return Outcome::Done(String::new());
                }
                Err(e) => Err(e),
            },
            Command::CreateSilence { .. } | Command::ExpireSilence { .. } => {
                return Outcome::Failed("silence commands go to Alertmanager".to_string());
            }
            other => {
                return rollouts::execute(client, other, tx)
                    .await
                    .unwrap_or_else(|| Outcome::Failed(format!("{} not supported", other.verb())));
            }
        };
        match result {
            Ok(text) => Outcome::Done(text),
            Err(e) => Outcome::Failed(format!(
                "{} {}: {}",
                command.verb(),
                target,
                api_message(&e)
            )),
        }
    }
}

/// The API's own message (e.g. "pods \"x\" is forbidden: …"), not the transport wrapper.
fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

async fn delete_pod(client: Client, t: &Target) -> Result<String, kube::Error> {
    let api: Api<Pod> = Api::namespaced(client, &t.namespace);
    api.delete(&t.name, &DeleteParams::default()).await?;
    Ok(format!(
        "pod {}/{} deleted on {}",
        t.namespace, t.name, t.context
    ))
}

async fn load_pod_detail(client: Client, t: &Target) -> Result<DescribedPod, kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), &t.namespace);
    let pod = pods.get(&t.name).await?;
    let events: Api<Event> = Api::namespaced(client, &t.namespace);
    let selector = format!(
        "involvedObject.name={},involvedObject.namespace={}",
        t.name, t.namespace
    );
    let (events, events_error) = match events.list(&ListParams::default().fields(&selector)).await {
        Ok(list) => (list.items, None),
        Err(e) => {
            // Server text: shown on screen, so neutralised like cluster log text.
            let why = crate::sanitize::sanitize(api_message(&e).as_bytes(), 512).text;
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
