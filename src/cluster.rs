//! Where the Kubernetes clients come from: the kubeconfig (honouring `--kubeconfig`,
//! `$KUBECONFIG`, `~/.kube/config`) or the in-cluster service account.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
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
    /// The kubeconfig: `--kubeconfig` (must be readable), else the files of `$KUBECONFIG`, else
    /// `~/.kube/config` — files that do not exist are skipped, like kubectl does; `None`: there
    /// is none (then in-cluster). A file that exists but cannot be read or parsed is an error
    /// naming it. Blocking file I/O: call from a blocking context.
    fn read(&self) -> Result<Option<Kubeconfig>, ClusterError> {
        if let Some(path) = &self.kubeconfig {
            return read_file(path).map(Some);
        }
        let paths: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
            Some(list) => std::env::split_paths(&list)
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
            None => std::env::home_dir()
                .map(|home| home.join(".kube").join("config"))
                .into_iter()
                .collect(),
        };
        let mut merged: Option<Kubeconfig> = None;
        for path in paths.iter().filter(|p| p.exists()) {
            let next = read_file(path)?;
            merged = Some(match merged {
                None => next,
                Some(m) => m
                    .merge(next)
                    .map_err(|e| ClusterError(format!("{}: {e}", path.display())))?,
            });
        }
        Ok(merged)
    }

    /// Whether the kubeconfig can be used: `Err` names the file that cannot be read or parsed.
    pub fn check(&self) -> Result<(), ClusterError> {
        self.read().map(|_| ())
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

    /// The API server URL of every cluster in the kubeconfig (hidden in presentation mode).
    pub fn servers(&self) -> Vec<String> {
        match self.read() {
            Ok(Some(k)) => k
                .clusters
                .iter()
                .filter_map(|c| c.cluster.as_ref()?.server.clone())
                .collect(),
            _ => Vec::new(),
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
    /// Requests answered 429/503/504 are retried after the server's `Retry-After`.
    pub async fn client(&self, context: Option<&str>) -> Result<Client, ClusterError> {
        self.build(context, true).await
    }

    /// A client for the watches: no retries of its own, because the watch's
    /// [`crate::sources::link::Watchdog`] paces every retry (and honours `Retry-After`)
    /// while saying stale on screen, which a retry hidden in the client would not.
    pub async fn watch_client(&self, context: Option<&str>) -> Result<Client, ClusterError> {
        self.build(context, false).await
    }

    async fn build(&self, context: Option<&str>, retry: bool) -> Result<Client, ClusterError> {
        let options = KubeConfigOptions {
            context: context.map(str::to_string),
            ..KubeConfigOptions::default()
        };
        let this = self.clone();
        let kubeconfig = tokio::task::spawn_blocking(move || this.read())
            .await
            .map_err(|e| ClusterError(format!("reading the kubeconfig: {e}")))??;
        let mut config = match kubeconfig {
            Some(kubeconfig) => Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| ClusterError(e.to_string()))?,
            None => Config::incluster().map_err(|e| {
                ClusterError(format!(
                    "no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not in a cluster: {e}"
                ))
            })?,
        };
        config.default_retry = retry;
        Client::try_from(config).map_err(|e| ClusterError(e.to_string()))
    }
}

/// One kubeconfig file, errors naming it.
fn read_file(path: &Path) -> Result<Kubeconfig, ClusterError> {
    Kubeconfig::read_from(path).map_err(|e| {
        let why = match e {
            KubeconfigError::ReadConfig(io, _) => format!("cannot read: {io}"),
            // The YAML error's first line ("error: line 3 column 3: …"), not its snippet.
            KubeconfigError::Parse(e) => {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("invalid YAML");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                format!("not a valid kubeconfig: {first}")
            }
            other => other.to_string(),
        };
        ClusterError(format!("{}: {why}", path.display()))
    })
}
