//! Turn the command line and the config file into validated [`Options`], then run.
//! Everything that can be wrong with the input is reported here, before the TUI starts.

use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr};

use opsdeck_sim::{SimConfig, Simulator};

use crate::app::{AlertsOptions, Options};
use crate::cli::{CommonArgs, DemoArgs};
use crate::cluster::ClusterConfig;
use crate::config::Config;
use crate::config::alerts::HttpAuthConfig;
use crate::config::keymap::Keymap;
use crate::error::UsageError;
use crate::http::{Auth, HttpOptions, Secret, UrlCredentials};
use crate::ui::theme::Theme;

/// Built-in defaults < config file < command-line flags. Mistakes are [`UsageError`]s.
pub fn options(common: &CommonArgs) -> Result<Options> {
    let (config, path) =
        Config::discover(common.config.as_deref()).map_err(UsageError::from_error)?;
    let cluster = ClusterConfig {
        kubeconfig: common
            .kubeconfig
            .clone()
            .or(config.kubernetes.kubeconfig.clone()),
    };
    let context = common.context.clone().or(config.kubernetes.context.clone());
    let namespace = if common.all_namespaces {
        None
    } else {
        match common
            .namespace
            .clone()
            .or(config.kubernetes.namespace.clone())
        {
            Some(ns) if ns == "all" => None,
            Some(ns) => Some(ns),
            None => Some(
                cluster
                    .context_namespace(context.as_deref())
                    .unwrap_or_else(|| "default".to_string()),
            ),
        }
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_dir = crate::config::project_dirs().map(|d| d.config_dir().join("themes"));
    let theme_name = common.theme.clone().unwrap_or(config.ui.theme.clone());
    let theme =
        Theme::load(&theme_name, theme_dir.as_deref(), no_color).map_err(UsageError::from_error)?;
    let (keymap, warnings) = Keymap::with_overrides(&config.keys);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let mut alerts = alerts_options(common, &config).map_err(|e| in_config(e, path.as_deref()))?;
    // Silences are signed by the person: the configured name, else the kubeconfig user of the
    // context, else the local user.
    if config.alerts.created_by.is_none()
        && let Some(user) = cluster.user_of(context.as_deref().unwrap_or(""))
    {
        alerts.created_by = user;
    }
    let audit_log = Some(
        config
            .safety
            .audit_log
            .clone()
            .unwrap_or_else(|| crate::config::data_dir().join("audit.log")),
    );
    Ok(Options {
        cluster,
        context,
        namespace,
        readonly: common.readonly || config.safety.readonly,
        theme,
        theme_dir,
        no_color,
        keymap,
        warnings,
        max_fps: config.ui.max_fps,
        data_fps: config.ui.data_fps,
        audit_log,
        alerts,
        logs: config.logs.clone(),
        usage_interval: config.metrics.interval.0,
        timeline_entries: config.timeline.max_entries,
        present: common.present,
        presentation_redact: config.presentation.redact.clone(),
        protected_contexts: config.safety.protected_contexts.clone(),
        arm_minutes: config.safety.arm_minutes,
        auto_incident: config.incident.auto_start,
    })
}

/// `[alerts]` and `[signals]` with `--alertmanager-url` / `--prometheus-url` applied and the
/// secrets read (from their environment variable or file).
pub fn alerts_options(common: &CommonArgs, config: &Config) -> Result<AlertsOptions> {
    let a = &config.alerts;
    let alertmanager_urls = match &common.alertmanager_url {
        Some(url) => vec![url.clone()],
        None => a.alertmanager_urls.clone(),
    };
    let prometheus_url = common.prometheus_url.clone().or(a.prometheus_url.clone());
    let flags = [
        ("--alertmanager-url", &common.alertmanager_url),
        ("--prometheus-url", &common.prometheus_url),
    ];
    for (flag, url) in flags {
        if let Some(url) = url {
            crate::config::alerts::check_url(url)
                .map_err(|e| UsageError(format!("{flag}: {e}")))?;
        }
    }
    // The kubeconfig user, when known, replaces the local one: see `options`.
    // Credentials in the URLs go to the HTTP client; the URLs shown, logged and audited have
    // none.
    let mut url_credentials = Vec::new();
    let mut without_credentials = |url: String| {
        let (base, credentials) = UrlCredentials::split(&url);
        url_credentials.extend(credentials);
        base
    };
    let alertmanager_urls: Vec<String> = alertmanager_urls
        .into_iter()
        .map(&mut without_credentials)
        .collect();
    let prometheus_url = prometheus_url.map(&mut without_credentials);
    let created_by = a
        .created_by
        .clone()
        .unwrap_or_else(|| crate::identity::local_user().to_string());
    let http = HttpOptions {
        timeout: a.timeout.0,
        connect_timeout: a.timeout.0.min(std::time::Duration::from_secs(3)),
        auth: resolve_auth(&a.auth)?,
        headers: a.auth.headers.clone().into_iter().collect(),
        ca_file: a.auth.ca_file.clone(),
        insecure_skip_verify: a.auth.insecure_skip_verify,
        url_credentials,
        ..HttpOptions::default()
    };
    Ok(AlertsOptions {
        alertmanager_urls,
        prometheus_url,
        interval: a.interval.0,
        resolved_fade: a.resolved_fade.0,
        silence_duration: a.silence_duration.0,
        created_by,
        correlate: config.correlate_mappings(),
        http,
        signals: config.signals.clone(),
        slos: config.slo.clone(),
    })
}

/// A secret of `[alerts.auth]` that cannot be read: the key, and why (never the value).
#[derive(Debug, thiserror::Error)]
#[error("alerts.auth.{key}: {message}")]
pub struct AuthError {
    pub key: &'static str,
    pub message: String,
}

/// An [`AuthError`] as a usage mistake at its line of the config file `path`.
fn in_config(e: color_eyre::Report, path: Option<&std::path::Path>) -> color_eyre::Report {
    match (e.downcast_ref::<AuthError>(), path) {
        (Some(auth), Some(path)) => {
            let at = crate::config::locate(path, "alerts.auth", auth.key);
            UsageError(format!("{at}: {auth}")).into()
        }
        (Some(auth), None) => UsageError(auth.to_string()).into(),
        _ => e,
    }
}

/// Read the token or password. Errors name the variable or file, never the value.
fn resolve_auth(auth: &HttpAuthConfig) -> Result<Auth> {
    let from_env = |key: &'static str, var: &str| {
        std::env::var(var)
            .map(|v| Secret(v.trim().to_string()))
            .map_err(|_| AuthError {
                key,
                message: format!("environment variable {var} is not set"),
            })
    };
    let from_file = |key: &'static str, path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map(|v| Secret(v.trim().to_string()))
            .map_err(|e| AuthError {
                key,
                message: format!("cannot read {}: {e}", path.display()),
            })
    };
    if let Some(path) = &auth.bearer_token_file {
        return Ok(Auth::Bearer(from_file("bearer_token_file", path)?));
    }
    if let Some(var) = &auth.bearer_token_env {
        return Ok(Auth::Bearer(from_env("bearer_token_env", var)?));
    }
    let Some(user) = &auth.basic_user else {
        return Ok(Auth::None);
    };
    let password = match (&auth.basic_password_file, &auth.basic_password_env) {
        (Some(path), _) => from_file("basic_password_file", path)?,
        (None, Some(var)) => from_env("basic_password_env", var)?,
        (None, None) => Secret::default(),
    };
    Ok(Auth::Basic {
        user: user.clone(),
        password,
    })
}

/// `opsdeck`: the dashboard against the kubeconfig's cluster.
pub async fn run_dashboard(common: &CommonArgs) -> Result<()> {
    let opts = options(common)?;
    // A kubeconfig that exists but cannot be read is the user's to fix, not "not in a cluster".
    opts.cluster.check().map_err(UsageError::from_error)?;
    crate::app::run(opts).await
}

/// `opsdeck demo`: the simulator in-process on loopback, and the dashboard against it.
pub async fn run_demo(common: &CommonArgs, demo: &DemoArgs) -> Result<()> {
    let config = SimConfig {
        scenario: demo.scenario,
        pods: demo.pods,
        ..SimConfig::default()
    };
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), config)
        .await
        .wrap_err("cannot start the simulated cluster")?;
    let dir = crate::config::state_dir();
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let kubeconfig: PathBuf = dir.join(format!("demo-kubeconfig-{}.yaml", std::process::id()));
    sim.write_kubeconfig(&kubeconfig)
        .wrap_err_with(|| format!("cannot write {}", kubeconfig.display()))?;
    let mut opts = options(common)?;
    opts.cluster = ClusterConfig {
        kubeconfig: Some(kubeconfig.clone()),
    };
    if common.context.is_none() {
        opts.context = None;
    }
    if common.namespace.is_none() {
        opts.namespace = None;
    }
    demo_sources(&mut opts, common, &sim.url());
    let result = crate::app::run(opts).await;
    let _ = std::fs::remove_file(&kubeconfig);
    drop(sim);
    result
}

/// In the demo the simulator also answers as Alertmanager and Prometheus (synthetic data),
/// unless the user pointed opsdeck at real ones; golden signals get demo services too.
fn demo_sources(opts: &mut crate::app::Options, common: &CommonArgs, url: &str) {
    let alerts = &mut opts.alerts;
    if common.alertmanager_url.is_none() && alerts.alertmanager_urls.is_empty() {
        alerts.alertmanager_urls = vec![url.to_string()];
    }
    if common.prometheus_url.is_none() && alerts.prometheus_url.is_none() {
        alerts.prometheus_url = Some(url.to_string());
    }
    if alerts.signals.services.is_empty() {
        alerts.signals.services = ["checkout", "payments-api"]
            .iter()
            .map(|svc| demo_service(svc))
            .collect();
    }
}

fn demo_service(name: &str) -> crate::config::alerts::ServiceConfig {
    use crate::config::alerts::{ServiceConfig, SignalQuery};
    let q = |query: String, unit: &str, warning: Option<f64>, critical: Option<f64>| {
        Some(SignalQuery {
            query,
            unit: unit.to_string(),
            warning,
            critical,
        })
    };
    let sel = format!("service=\"{name}\"");
    ServiceConfig {
        name: name.to_string(),
        latency: q(
            format!(
                "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m])))"
            ),
            "s",
            Some(0.3),
            Some(1.0),
        ),
        traffic: q(
            format!("sum(rate(http_requests_total{{{sel}}}[5m]))"),
            "req/s",
            None,
            None,
        ),
        errors: q(
            format!(
                "sum(rate(http_requests_total{{{sel},code=~\"5..\"}}[5m])) / sum(rate(http_requests_total{{{sel}}}[5m]))"
            ),
            "",
            Some(0.01),
            Some(0.05),
        ),
        saturation: q(
            format!(
                "sum(rate(container_cpu_usage_seconds_total{{pod=~\"{name}-.*\"}}[5m])) / sum(kube_pod_container_resource_limits{{pod=~\"{name}-.*\",resource=\"cpu\"}})"
            ),
            "",
            Some(0.8),
            Some(0.95),
        ),
    }
}
