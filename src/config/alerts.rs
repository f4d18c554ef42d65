//! `[alerts]` and `[signals]`: where alerts and golden signals come from, and how often.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration written as text: `"10s"`, `"5m"`, `"1h30m"` (jiff's friendly format) or ISO 8601.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigDuration(pub Duration);

impl ConfigDuration {
    pub const fn secs(s: u64) -> ConfigDuration {
        ConfigDuration(Duration::from_secs(s))
    }

    /// Parse `"10s"`, `"1h 30m"`, `"PT5M"`; negative durations are refused.
    pub fn parse(text: &str) -> Result<ConfigDuration, String> {
        let d: jiff::SignedDuration = text
            .trim()
            .parse()
            .map_err(|_| format!("invalid duration {text:?} (e.g. \"10s\", \"5m\", \"1h30m\")"))?;
        Duration::try_from(d)
            .map(ConfigDuration)
            .map_err(|_| format!("duration {text:?} must not be negative"))
    }
}

impl fmt::Debug for ConfigDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ConfigDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `[alerts]`: the alert feed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Alertmanager base URLs; alerts are merged (HA pairs are de-duplicated by fingerprint).
    pub alertmanager_urls: Vec<String>,
    /// Prometheus base URL: alerts when no Alertmanager is set, rules, golden signals.
    pub prometheus_url: Option<String>,
    /// Poll period.
    pub interval: ConfigDuration,
    /// Timeout of one request (connect + response).
    pub timeout: ConfigDuration,
    /// How long a resolved alert stays (dimmed) in the list.
    pub resolved_fade: ConfigDuration,
    /// Default duration offered in the silence dialog.
    pub silence_duration: ConfigDuration,
    /// `createdBy` of silences; default: the kubeconfig user of the context, else the local
    /// user (password database, then `$USER`).
    pub created_by: Option<String>,
    pub auth: HttpAuthConfig,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            alertmanager_urls: Vec::new(),
            prometheus_url: None,
            interval: ConfigDuration::secs(5),
            timeout: ConfigDuration::secs(4),
            resolved_fade: ConfigDuration::secs(300),
            silence_duration: ConfigDuration::secs(3600),
            created_by: None,
            auth: HttpAuthConfig::default(),
        }
    }
}

/// `[alerts.auth]`: how to reach Prometheus and Alertmanager. Secrets are read from an
/// environment variable or a file, never written in the config itself. Precedence:
/// `bearer_token_file`, then `bearer_token_env`, then basic auth.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpAuthConfig {
    /// Environment variable holding a bearer token.
    pub bearer_token_env: Option<String>,
    /// File holding a bearer token (e.g. a service account token).
    pub bearer_token_file: Option<PathBuf>,
    /// User for basic auth; the password comes from `basic_password_env` or `_file`.
    pub basic_user: Option<String>,
    pub basic_password_env: Option<String>,
    pub basic_password_file: Option<PathBuf>,
    /// Extra headers on every request.
    pub headers: BTreeMap<String, String>,
    /// PEM file of CA certificates to trust in addition to the system ones.
    pub ca_file: Option<PathBuf>,
    /// Accept any TLS certificate. Dangerous; for labs only.
    pub insecure_skip_verify: bool,
}

/// `[signals]`: golden signals from PromQL, drawn as sparklines under the alerts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalsConfig {
    /// How far back the sparklines reach.
    pub window: ConfigDuration,
    /// Poll period.
    pub interval: ConfigDuration,
    pub services: Vec<ServiceConfig>,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        SignalsConfig {
            window: ConfigDuration::secs(1800),
            interval: ConfigDuration::secs(30),
            services: Vec::new(),
        }
    }
}

/// One service and the PromQL of its signals (each optional).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    pub latency: Option<SignalQuery>,
    pub traffic: Option<SignalQuery>,
    pub errors: Option<SignalQuery>,
    pub saturation: Option<SignalQuery>,
}

/// A PromQL expression returning one series, its unit and thresholds (higher is worse).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalQuery {
    pub query: String,
    pub unit: String,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
}

/// Check a base URL: absolute http(s), no query.
/// Messages show the URL without its credentials.
pub fn check_url(url: &str) -> Result<(), String> {
    let shown = crate::redact::url_userinfo(url);
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid URL {shown:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("URL {shown:?} must be http or https"));
    }
    if parsed.query().is_some() {
        return Err(format!("URL {shown:?} must not have a query"));
    }
    Ok(())
}

impl AlertsConfig {
    /// Problems as `(key, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for url in &self.alertmanager_urls {
            if let Err(e) = check_url(url) {
                out.push(("alertmanager_urls", e));
            }
        }
        if let Some(Err(e)) = self.prometheus_url.as_deref().map(check_url) {
            out.push(("prometheus_url", e));
        }
        if self.interval.0 < Duration::from_secs(1) {
            out.push(("interval", "must be at least 1s".to_string()));
        }
        if self.timeout.0 < Duration::from_millis(100) {
            out.push(("timeout", "must be at least 100ms".to_string()));
        }
        if self.silence_duration.0 < Duration::from_secs(60) {
            out.push(("silence_duration", "must be at least 1m".to_string()));
        }
        out
    }
}

impl SignalsConfig {
    /// Problems as `(key, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.interval.0 < Duration::from_secs(1) {
            out.push(("interval", "must be at least 1s".to_string()));
        }
        if self.window.0 < Duration::from_secs(60) {
            out.push(("window", "must be at least 1m".to_string()));
        }
        for s in &self.services {
            if s.name.is_empty() {
                out.push(("services", "every service needs a name".to_string()));
            }
            let queries = [&s.latency, &s.traffic, &s.errors, &s.saturation];
            if queries
                .iter()
                .any(|q| q.as_ref().is_some_and(|q| q.query.is_empty()))
            {
                out.push(("query", format!("service {:?}: empty query", s.name)));
            }
        }
        out
    }
}
