//! Append-only audit log: one line per mutation and its outcome. Never holds secrets.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::command::Command;
use crate::update::Outcome;

#[derive(Debug, Clone)]
pub struct AuditLog {
    pub path: PathBuf,
}

impl AuditLog {
    /// Append one record: time, who (the kubeconfig user of the context, if known, and the
    /// local user), context, verb, object, the change, outcome (JSON lines).
    pub fn append(
        &self,
        command: &Command,
        outcome: &Outcome,
        identity: Option<&str>,
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
        let record = serde_json::json!({
            "time": jiff::Timestamp::now().to_string(),
            "user": identity,
            "local_user": std::env::var("USER").unwrap_or_default(),
            "context": t.context,
            "namespace": t.namespace,
            "name": t.name,
            "action": command.verb(),
            "change": command.describe(),
            "result": result,
            "message": message,
        });
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        writeln!(f, "{record}")
    }
}
