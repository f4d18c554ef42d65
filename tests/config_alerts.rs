//! `[alerts]` and `[signals]`: defaults, validation messages, the documented service examples,
//! and the command-line flags on top.

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use opsdeck::cli::Cli;
use opsdeck::config::Config;
use opsdeck::http::Auth;
use opsdeck::launch::alerts_options;

const EXAMPLE: &str = include_str!("../config.example.toml");

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("/tmp/c.toml")).map_err(|e| e.to_string())
}

#[test]
fn defaults() {
    let c = Config::default();
    assert_eq!(c.alerts.interval.0, Duration::from_secs(5));
    assert_eq!(c.alerts.timeout.0, Duration::from_secs(4));
    assert_eq!(c.alerts.resolved_fade.0, Duration::from_secs(300));
    assert_eq!(c.alerts.silence_duration.0, Duration::from_secs(3600));
    assert_eq!(c.signals.window.0, Duration::from_secs(1800));
    assert!(c.alerts.alertmanager_urls.is_empty() && c.signals.services.is_empty());
}

#[test]
fn durations_parse_in_friendly_and_iso_forms() {
    let c = parse("[alerts]\ninterval = \"1m30s\"\ntimeout = \"PT2S\"\n").unwrap();
    assert_eq!(c.alerts.interval.0, Duration::from_secs(90));
    assert_eq!(c.alerts.timeout.0, Duration::from_secs(2));
}

#[test]
fn bad_values_name_file_line_and_key() {
    let err = parse("[alerts]\n\ninterval = \"soon\"\n").unwrap_err();
    assert!(err.starts_with("/tmp/c.toml:3: alerts.interval: "), "{err}");
    assert!(err.contains("invalid duration"), "{err}");
    let err = parse("[ui]\n[alerts]\nalertmanager_urls = [\"ftp://am:9093\"]\n").unwrap_err();
    assert!(
        err.starts_with("/tmp/c.toml:3: alerts.alertmanager_urls: "),
        "{err}"
    );
    let err = parse("[signals]\ninterval = \"10s\"\n[alerts]\ninterval = \"100ms\"\n").unwrap_err();
    assert!(
        err.starts_with("/tmp/c.toml:4: alerts.interval: must be"),
        "{err}"
    );
    let err = parse("[alerts.auth]\nbearer_token = \"s3cret\"\n").unwrap_err();
    assert!(
        err.contains("bearer_token"),
        "unknown keys are refused: {err}"
    );
}

/// The commented `[[signals.services]]` examples, uncommented.
fn example_services() -> String {
    let mut out = String::from("[signals]\n");
    let mut inside = false;
    for line in EXAMPLE.lines() {
        if line.starts_with("# [[signals.services]]") {
            inside = true;
        } else if !line.starts_with('#') {
            inside = false;
        }
        let text = line.trim_start_matches('#').trim();
        if inside && !text.starts_with('#') {
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

#[test]
fn documented_service_examples_parse() {
    let c = parse(&example_services()).unwrap();
    let names: Vec<&str> = c.signals.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["checkout-api", "ingress"]);
    let checkout = &c.signals.services[0];
    let latency = checkout.latency.as_ref().unwrap();
    assert_eq!(
        (latency.unit.as_str(), latency.warning, latency.critical),
        ("s", Some(0.3), Some(1.0))
    );
    assert!(checkout.saturation.is_some());
    assert!(c.signals.services[1].saturation.is_none());
}

#[test]
fn flags_override_the_file_and_secrets_are_read_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let text = format!(
        "[alerts]\nalertmanager_urls = [\"http://am-0:9093\", \"http://am-1:9093\"]\n\
         created_by = \"oncall\"\n[alerts.auth]\nbearer_token_file = \"{}\"\n\
         headers = {{ \"X-Scope-OrgID\" = \"tenant-1\" }}\n",
        token.display()
    );
    let config = parse(&text).unwrap();
    let cli = Cli::parse_from(["opsdeck"]);
    let opts = alerts_options(&cli.common, &config).unwrap();
    assert_eq!(
        opts.alertmanager_urls,
        ["http://am-0:9093", "http://am-1:9093"]
    );
    assert_eq!(opts.created_by, "oncall");
    assert!(matches!(&opts.http.auth, Auth::Bearer(t) if t.0 == "s3cret-token"));
    assert_eq!(
        opts.http.headers,
        [("X-Scope-OrgID".to_string(), "tenant-1".to_string())]
    );
    assert!(
        !format!("{opts:?}").contains("s3cret"),
        "Debug never shows the token"
    );

    let cli = Cli::parse_from([
        "opsdeck",
        "--alertmanager-url",
        "http://127.0.0.1:9093",
        "--prometheus-url",
        "http://127.0.0.1:9090",
    ]);
    let opts = alerts_options(&cli.common, &config).unwrap();
    assert_eq!(opts.alertmanager_urls, ["http://127.0.0.1:9093"]);
    assert_eq!(
        opts.prometheus_url.as_deref(),
        Some("http://127.0.0.1:9090")
    );

    let cli = Cli::parse_from(["opsdeck", "--prometheus-url", "not a url"]);
    assert!(alerts_options(&cli.common, &Config::default()).is_err());
}

#[test]
fn missing_secret_file_is_an_error_naming_the_file() {
    let config = parse("[alerts.auth]\nbearer_token_file = \"/nonexistent/token\"\n").unwrap();
    let cli = Cli::parse_from(["opsdeck"]);
    let err = format!("{:#}", alerts_options(&cli.common, &config).unwrap_err());
    assert!(err.contains("/nonexistent/token"), "{err}");
}

#[test]
fn correlate_mappings_parse_and_an_unknown_kind_names_its_line() {
    let c = parse("[correlate]\napp = \"deployment\"\nsts_name = \"sts\"\n").unwrap();
    let labels: Vec<(String, &str)> = c
        .correlate_mappings()
        .into_iter()
        .map(|m| (m.label, m.kind.short()))
        .collect();
    assert_eq!(
        labels,
        [
            ("app".to_string(), "deploy"),
            ("sts_name".to_string(), "sts")
        ]
    );
    let err = parse("[ui]\n[correlate]\napp = \"deployment\"\nsvc = \"service\"\n").unwrap_err();
    assert!(
        err.starts_with("/tmp/c.toml:4: correlate.svc: unknown kind \"service\""),
        "{err}"
    );
}
