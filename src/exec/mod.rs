//! The executor: runs [`Command`]s, enforces `--readonly`, writes the audit log and reports
//! every outcome as [`Update::CommandFinished`]. Each command runs in its own task with a
//! timeout so the UI (and other commands) never wait on it.

mod access;
pub mod audit;
mod pods;
pub mod rollouts;
mod sets;
pub mod silence;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use tokio::sync::Mutex;
use tokio::sync::mpsc::{Receiver, Sender};

use crate::cluster::ClusterConfig;
use crate::command::{Command, CommandRequest, Target};
use crate::http::HttpClient;
use crate::sources::link::Links;
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
    /// What the watches know of each API server: an action for one that does not answer
    /// fails at once instead of after [`COMMAND_TIMEOUT`].
    pub links: Links,
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
            links: self.links,
        });
        let audit = self.audit.map(Arc::new);
        while let Some(req) = rx.recv().await {
            let tx = self.tx.clone();
            // A line for the audit log only (arming, the incident window): written also under
            // --readonly, nothing is sent.
            if let Command::Note { note, .. } = &req.command {
                audit::record(
                    &shared.cluster,
                    audit.clone(),
                    &req.command,
                    &note.outcome(),
                    req.incident.as_deref(),
                )
                .await;
                continue;
            }
            if req.command.is_mutation() && self.readonly {
                let outcome = Outcome::Refused(format!(
                    "read-only mode: refused to {} {}",
                    req.command.verb(),
                    req.command.target()
                ));
                let incident = req.incident.as_deref();
                audit::record(
                    &shared.cluster,
                    audit.clone(),
                    &req.command,
                    &outcome,
                    incident,
                )
                .await;
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
                let outcome = access::settle_review(&req.command, outcome, &tx).await;
                if req.command.is_mutation() {
                    let incident = req.incident.as_deref();
                    audit::record(&shared.cluster, audit, &req.command, &outcome, incident).await;
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

struct Shared {
    cluster: ClusterConfig,
    clients: Mutex<HashMap<String, Client>>,
    http: Option<HttpClient>,
    links: Links,
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

    /// The client of the target's context, or the failure to report: at once, without
    /// sending anything, when the watches know that its API server does not answer.
    async fn kube(&self, target: &Target) -> Result<Client, Outcome> {
        if let Some((since, reason)) = self.links.down(&target.context) {
            let since = crate::ui::widgets::header::clock(since, &jiff::tz::TimeZone::system());
            return Err(Outcome::Failed(format!(
                "{target}: {reason} since {since}; not sent"
            )));
        }
        self.client(&target.context)
            .await
            .map_err(|e| Outcome::Failed(format!("{}: {e}", target.context)))
    }

    /// Run one command: each kind by its module, a kube client built only for kube commands.
    async fn execute(&self, command: &Command, tx: &Sender<Update>) -> Outcome {
        let http = self.http.as_ref();
        let verb = command.verb();
        let run = async {
            Ok(match command {
                Command::CreateSilence { silence, .. } => {
                    silence::create_silence(http, silence, verb).await
                }
                Command::ExpireSilence {
                    alertmanager,
                    silence_id,
                    ..
                } => silence::expire_silence(http, (alertmanager, silence_id), verb).await,
                Command::DeletePod { target } => {
                    pods::delete(self.kube(target).await?, target, verb).await
                }
                Command::LoadPodDetail { target } => {
                    pods::load_detail(self.kube(target).await?, target, verb, tx).await
                }
                Command::RestartRollout {
                    target,
                    kind,
                    restarted_at,
                } => done(
                    rollouts::restart(self.kube(target).await?, target, *kind, restarted_at).await,
                ),
                Command::UndoRollout { target, undo } => {
                    rollouts::undo(self.kube(target).await?, target, undo).await
                }
                Command::PreviewUndo { target, undo } => {
                    rollouts::preview_undo(self.kube(target).await?, target, undo, tx).await
                }
                Command::ScaleWorkload {
                    target,
                    kind,
                    from,
                    to,
                } => done(
                    rollouts::scale(self.kube(target).await?, target, *kind, (*from, *to)).await,
                ),
                Command::SetRolloutPaused { target, paused } => {
                    done(rollouts::set_paused(self.kube(target).await?, target, *paused).await)
                }
                Command::ReviewAccess { target, check } => {
                    access::review_access(self.kube(target).await?, check, tx).await
                }
                Command::LoadSloHistory {
                    target,
                    prometheus,
                    queries,
                } => slo_history(http, (prometheus, &target.name), queries, tx).await,
                Command::Note { .. } => Outcome::Quiet,
            })
        };
        run.await.unwrap_or_else(|failed: Outcome| failed)
    }
}

/// The last hours of an SLO's error ratio and budget, sent as an update.
async fn slo_history(
    http: Option<&crate::http::HttpClient>,
    (prometheus, id): (&str, &str),
    (ratio, budget): &(String, String),
    tx: &Sender<Update>,
) -> Outcome {
    let Some(http) = http else {
        return Outcome::Failed("no HTTP client for Prometheus".into());
    };
    let end = jiff::Timestamp::now().as_second();
    let (span, step) = (SLO_HISTORY.as_secs() as i64, 180);
    let range = |q: &str| {
        let url = crate::http::join(prometheus, "api/v1/query_range");
        let params = [
            ("query", q.to_string()),
            ("start", (end - span).to_string()),
            ("end", end.to_string()),
            ("step", step.to_string()),
        ];
        async move {
            let url = reqwest::Url::parse_with_params(&url, params).map_err(|e| e.to_string())?;
            let body = http.get(url.as_str()).await.map_err(|e| e.to_string())?;
            crate::model::signal::parse_query_range(&body).map_err(|e| e.to_string())
        }
    };
    let (r, b) = tokio::join!(range(ratio), range(budget));
    let error = r.as_ref().err().or(b.as_ref().err()).cloned();
    let history = crate::model::slo::SloHistory {
        ratio: r.unwrap_or_default(),
        budget: b.unwrap_or_default(),
        error,
    };
    let update = Update::SloHistoryLoaded {
        id: id.to_string(),
        history: Box::new(history),
    };
    let _ = tx.send(update).await;
    Outcome::Quiet
}

/// How far back an SLO's sparklines go.
const SLO_HISTORY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

fn done(result: Result<String, String>) -> Outcome {
    match result {
        Ok(text) => Outcome::Done(text),
        Err(text) => Outcome::Failed(text),
    }
}

/// The API's own message (e.g. "pods \"x\" is forbidden: …"), not the transport wrapper.
pub(crate) fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}
