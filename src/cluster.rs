//! Where the Kubernetes clients come from: the kubeconfig (honouring `--kubeconfig`,
//! `$KUBECONFIG`, `~/.kube/config`) or the in-cluster service account.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Shared by every source and the executor; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    /// Explicit kubeconfig file (`--kubeconfig`); otherwise the usual discovery.
    pub kubeconfig: Option<PathBuf>,
}

/// A client could not be built (no kubeconfig, unknown context, bad credentials file…).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClusterError(pub String);

impl ClusterConfig {
    fn read(&self) -> Result<Option<Kubeconfig>, ClusterError> {
        match &self.kubeconfig {
            Some(path) => Kubeconfig::read_from(path)
                .map(Some)
                .map_err(|e| ClusterError(format!("{}: {e}", path.display()))),
            None => match Kubeconfig::read() {
                Ok(k) => Ok(Some(k)),
                Err(_) => Ok(None),
            },
        }
    }

    /// The current context and every context name of the kubeconfig.
    pub fn contexts(&self) -> (Option<String>, Vec<String>) {
        match self.read() {
            Ok(Some(k)) => (
                k.current_context.clone(),
                k.contexts.iter().map(|c| c.name.clone()).collect(),
            ),
            _ => (None, Vec::new()),
        }
    }

    /// The default namespace of a context (kubectl's behaviour when `-n` is not given).
    pub fn context_namespace(&self, context: Option<&str>) -> Option<String> {
        let k = self.read().ok().flatten()?;
        let name = context.map(str::to_string).or(k.current_context.clone())?;
        k.contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.namespace.clone())
    }

    /// The kubeconfig user (AuthInfo name) of a context (`""`: the current one), for the
    /// audit log. Never a credential.
    pub fn user_of(&self, context: &str) -> Option<String> {
        let k = self.read().ok().flatten()?;
        let name = Some(context.to_string())
            .filter(|c| !c.is_empty())
            .or(k.current_context.clone())?;
        k.contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.user.clone())
    }

    /// Build a client for a context (`None`: the current one; in-cluster if no kubeconfig).
    pub async fn client(&self, context: Option<&str>) -> Result<Client, ClusterError> {
        let options = KubeConfigOptions {
            context: context.map(str::to_string),
            ..KubeConfigOptions::default()
        };
        let config = match self.read()? {
            Some(kubeconfig) => Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| ClusterError(e.to_string()))?,
            None => Config::incluster().map_err(|e| {
                ClusterError(format!("no kubeconfig found and not in a cluster: {e}"))
            })?,
        };
        Client::try_from(config).map_err(|e| ClusterError(e.to_string()))
    }
}
