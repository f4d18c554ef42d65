//! Append-only audit log: one line per mutation and its outcome. Never holds secrets. Written
//! off the async worker threads (`spawn_blocking`): a slow disk, a full NFS mount or a FIFO
//! never stalls the executor or the UI.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cluster::ClusterConfig;
use crate::command::Command;
use crate::update::Outcome;

#[derive(Debug, Clone)]
pub struct AuditLog {
    pub path: PathBuf,
}

impl AuditLog {
    /// Append one record: time, who (the kubeconfig user of the context, if known, and the
    /// local user from the password database), context, verb, object, the change, outcome
    /// (JSON lines). Blocking file I/O: see [`record`].
    pub fn append(
        &self,
        command: &Command,
        outcome: &Outcome,
        identity: Option<&str>,
    ) -> std::io::Result<()> {
        self.append_in(command, outcome, identity, None)
    }

    /// [`Self::append`] of a command sent while an incident was open: the record names it
    /// (`"incident": "checkout-latency"`).
    pub fn append_in(
        &self,
        command: &Command,
        outcome: &Outcome,
        identity: Option<&str>,
        incident: Option<&str>,
    ) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let t = command.target();
        let (result, message) = match outcome {
            Outcome::Done(m) => ("done", m.as_str()),
            Outcome::Quiet => ("done", ""),
            Outcome::Refused(m) => ("refused", m.as_str()),
            Outcome::Failed(m) => ("failed", m.as_str()),
        };
        let mut record = serde_json::json!({
            "time": jiff::Timestamp::now().to_string(),
            "user": identity,
            "local_user": crate::identity::local_user(),
            "context": t.context,
            "namespace": t.namespace,
            "name": t.name,
            "action": command.verb(),
            "change": command.describe(),
            "result": result,
            "message": message,
        });
        if let (Some(name), Some(fields)) = (incident, record.as_object_mut()) {
            fields.insert("incident".into(), name.into());
        }
        let mut line = record.to_string();
        line.push('\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        // One write: records of commands finishing together do not interleave.
        f.write_all(line.as_bytes())
    }
}

/// Log a finished command and append it to the audit log, in a blocking task (the kubeconfig
/// user lookup reads the kubeconfig too). Returns once written, so that commands in flight at
/// exit are recorded before the process ends.
pub(super) async fn record(
    cluster: &ClusterConfig,
    audit: Option<Arc<AuditLog>>,
    command: &Command,
    outcome: &Outcome,
    incident: Option<&str>,
) {
    tracing::info!(command = ?command, outcome = ?outcome, "command finished");
    let Some(audit) = audit else {
        return;
    };
    let (cluster, command, outcome) = (cluster.clone(), command.clone(), outcome.clone());
    let incident = incident.map(str::to_string);
    let written = tokio::task::spawn_blocking(move || {
        let identity = cluster.user_of(&command.target().context);
        audit.append_in(&command, &outcome, identity.as_deref(), incident.as_deref())
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "cannot write the audit log"),
        Err(e) => tracing::error!(error = %e, "the audit log writer failed"),
    }
}
