//! Configuration: built-in defaults < config file < command-line flags.
//!
//! Every option is documented in `config.example.toml` at the repository root; a test parses
//! that file and checks that its values are the defaults in code.

pub mod alerts;
pub mod key;
pub mod key_overrides;
pub mod keymap;
pub mod logs;
pub mod slo;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use alerts::{AlertsConfig, ConfigDuration, SignalsConfig};
pub use logs::LogsConfig;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub kubernetes: KubernetesConfig,
    pub ui: UiConfig,
    pub safety: SafetyConfig,
    pub alerts: AlertsConfig,
    pub signals: SignalsConfig,
    pub logs: LogsConfig,
    pub timeline: TimelineConfig,
    pub metrics: MetricsConfig,
    /// SLOs declared for teams without Sloth or Pyrra (`[[slo]]`).
    pub slo: Vec<slo::DeclaredSlo>,
    /// Presentation mode (`M`, `--present`): what else is hidden on a shared screen.
    pub presentation: PresentationConfig,
    /// The incident window (`:incident start|end`).
    pub incident: IncidentConfig,
    /// Extra alert labels that name an object: label → kind (`app = "deployment"`).
    pub correlate: std::collections::BTreeMap<String, String>,
    /// Key overrides by action name, e.g. `undo_rollout = ["u", "ctrl-z"]`, in every context;
    /// `[keys.logs] pause = "space"` in one context.
    pub keys: keymap::KeyOverrides,
}

/// The incident timeline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimelineConfig {
    /// Entries kept (the oldest go first).
    pub max_entries: usize,
}

impl Default for TimelineConfig {
    fn default() -> Self {
        TimelineConfig {
            max_entries: crate::state::timeline::MAX_ENTRIES,
        }
    }
}

/// CPU and memory of pods from `metrics.k8s.io`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// How often the scope's PodMetrics are listed while the CPU/MEM columns are on screen
    /// (metrics-server's own resolution is 15 s).
    pub interval: ConfigDuration,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            interval: ConfigDuration(crate::sources::usage::INTERVAL),
        }
    }
}

/// Which cluster and namespace to show.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesConfig {
    /// Kubeconfig file; default: `$KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// Context; default: the kubeconfig's current-context.
    pub context: Option<String>,
    /// Namespace scope: a name, or "all"; default: the context's namespace.
    pub namespace: Option<String>,
}

/// Appearance and rendering.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Theme name: a file `themes/NAME.toml` built in or in the config dir.
    pub theme: String,
    /// Frame cap (frames per second) when the screen changes quickly.
    pub max_fps: u32,
    /// Frame cap for redraws caused by data alone (watch events, polls, the clock); keys are
    /// drawn at `max_fps`.
    pub data_fps: u32,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: "default".to_string(),
            max_fps: 30,
            data_fps: 3,
        }
    }
}

/// Mutations and their record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafetyConfig {
    /// Refuse every mutation (same as `--readonly`).
    pub readonly: bool,
    /// Append-only audit log of every action; default: `audit.log` in the state dir.
    pub audit_log: Option<PathBuf>,
    /// Contexts (globs, `*` and `?`, case-insensitive) on which destructive actions need
    /// arming: typing the context name first.
    pub protected_contexts: Vec<String>,
    /// How long arming lasts, in minutes.
    pub arm_minutes: u32,
}

impl Default for SafetyConfig {
    fn default() -> Self {
        SafetyConfig {
            readonly: false,
            audit_log: None,
            protected_contexts: vec!["*prod*".to_string(), "*prd*".to_string()],
            arm_minutes: 10,
        }
    }
}

/// `[presentation]`: presentation mode.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PresentationConfig {
    /// Regexes hidden on screen (and in `:export`) while presenting, shown as `‹secret›`
    /// (the whole match, or its `secret` group), on top of the built-in ones.
    pub redact: Vec<String>,
}

/// `[incident]`: the incident window.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentConfig {
    /// Start an incident by itself when a critical alert starts firing and none is open.
    pub auto_start: bool,
}

/// A config file that could not be used. The message names the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

impl Config {
    /// Parse a config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |line: usize, key: String, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key,
            message,
        };
        let de = toml::de::Deserializer::parse(text)
            .map_err(|e| invalid(line_of(text, e.span()), "(syntax)".into(), first_line(&e)))?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let key = if key == "." {
                "(top level)".into()
            } else {
                key
            };
            invalid(line_of(text, inner.span()), key, first_line(&inner))
        })?;
        config.validate(text, path)?;
        Ok(config)
    }

    /// Read and parse a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// The config to use: `--config` if given (must exist), else the platform config file if it
    /// exists, else the defaults. Returns the path that was read, if any.
    pub fn discover(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        if let Some(path) = explicit {
            return Ok((Config::load(path)?, Some(path.to_path_buf())));
        }
        match default_config_path() {
            Some(path) if path.exists() => Ok((Config::load(&path)?, Some(path))),
            _ => Ok((Config::default(), None)),
        }
    }

    fn validate(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        for (key, fps) in [("max_fps", self.ui.max_fps), ("data_fps", self.ui.data_fps)] {
            if !(1..=120).contains(&fps) {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line: line_of_key(text, key),
                    key: format!("ui.{key}"),
                    message: format!("must be between 1 and 120, not {fps}"),
                });
            }
        }
        let sections = [
            ("alerts", self.alerts.problems()),
            ("signals", self.signals.problems()),
            ("logs", self.logs.problems()),
            ("correlate", self.correlate_problems()),
            ("timeline", self.timeline_problems()),
            ("presentation", self.presentation_problems()),
            ("safety", self.safety_problems()),
        ];
        for (n, declared) in self.slo.iter().enumerate() {
            if let Some((key, message)) = declared.problems().into_iter().next() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line: line_of_table_key(text, ("slo", n), key),
                    key: format!("slo[{n}].{key}"),
                    message,
                });
            }
        }
        for (section, problems) in sections {
            if let Some((key, message)) = problems.into_iter().next() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line: line_of_section_key(text, section, key),
                    key: format!("{section}.{key}"),
                    message,
                });
            }
        }
        Ok(())
    }
}

impl Config {
    /// The `[correlate]` mappings, in label order.
    pub fn correlate_mappings(&self) -> Vec<crate::model::correlate::Mapping> {
        self.correlate
            .iter()
            .filter_map(|(label, kind)| {
                Some(crate::model::correlate::Mapping {
                    label: label.clone(),
                    kind: crate::model::correlate::Kind::parse(kind)?,
                })
            })
            .collect()
    }

    fn presentation_problems(&self) -> Vec<(&str, String)> {
        match crate::redact::Redactor::new(&self.presentation.redact) {
            Err(e) => vec![("redact", e.to_string())],
            Ok(_) => Vec::new(),
        }
    }

    fn safety_problems(&self) -> Vec<(&str, String)> {
        match self.safety.arm_minutes {
            1..=1440 => Vec::new(),
            n => vec![(
                "arm_minutes",
                format!("must be between 1 and 1440, not {n}"),
            )],
        }
    }

    fn timeline_problems(&self) -> Vec<(&str, String)> {
        match self.timeline.max_entries {
            0 => vec![("max_entries", "must be at least 1".to_string())],
            _ => Vec::new(),
        }
    }

    fn correlate_problems(&self) -> Vec<(&str, String)> {
        self.correlate
            .iter()
            .filter(|(_, kind)| crate::model::correlate::Kind::parse(kind).is_none())
            .map(|(label, kind)| {
                let message = format!(
                    "unknown kind {kind:?} (one of deployment, statefulset, daemonset, job, \
                     cronjob, replicaset, pod, horizontalpodautoscaler, persistentvolumeclaim, node)"
                );
                (label.as_str(), message)
            })
            .collect()
    }
}

/// `$XDG_CONFIG_HOME/opsdeck/config.toml` or the platform's equivalent.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Where the log file and audit log go by default.
pub fn state_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.state_dir().unwrap_or_else(|| d.cache_dir()).to_path_buf())
        .unwrap_or_else(std::env::temp_dir)
}

/// Where the audit log goes by default (`~/.local/share/opsdeck` on Linux).
pub fn data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(std::env::temp_dir)
}

pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "opsdeck")
}

/// `PATH:LINE` of `key` in `[section]` of the config file at `path` (for messages about a
/// value that parsed but cannot be used, e.g. a secret file that cannot be read).
pub fn locate(path: &Path, section: &str, key: &str) -> String {
    let line = std::fs::read_to_string(path)
        .map(|text| line_of_section_key(&text, section, key))
        .unwrap_or(1);
    format!("{}:{line}", path.display())
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> usize {
    let offset = span.map(|s| s.start).unwrap_or(0).min(text.len());
    text[..offset].matches('\n').count() + 1
}

fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// The line of `key` after the `[section]` header (else anywhere).
fn line_of_section_key(text: &str, section: &str, key: &str) -> usize {
    let header = format!("[{section}]");
    let start = text.lines().position(|l| l.trim() == header).unwrap_or(0);
    text.lines()
        .enumerate()
        .skip(start)
        .find(|(_, l)| l.trim_start().starts_with(key))
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| line_of_key(text, key))
}

/// The line of `key` in the `n`-th `[[table]]` (0-based), else of the table's header.
fn line_of_table_key(text: &str, (table, n): (&str, usize), key: &str) -> usize {
    let header = format!("[[{table}]]");
    let Some(start) = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == header)
        .nth(n)
        .map(|(i, _)| i)
    else {
        return line_of_key(text, key);
    };
    text.lines()
        .enumerate()
        .skip(start + 1)
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| l.trim_start().starts_with(key))
        .map_or(start + 1, |(i, _)| i + 1)
}

fn first_line(e: &toml::de::Error) -> String {
    e.message().lines().next().unwrap_or("invalid").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/tmp/c.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse("[ui]\ntheme = \"light\"\nthem = \"x\"\n").unwrap_err();
        assert!(err.starts_with("/tmp/c.toml:3: "), "{err}");
        assert!(err.contains("them"), "{err}");
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let err = parse("[ui]\n\nmax_fps = \"fast\"\n").unwrap_err();
        assert!(err.starts_with("/tmp/c.toml:3: ui.max_fps: "), "{err}");
    }

    #[test]
    fn syntax_error_names_line() {
        let err = parse("[ui]\ntheme = \n").unwrap_err();
        assert!(err.starts_with("/tmp/c.toml:2: "), "{err}");
    }

    #[test]
    fn out_of_range_value_is_refused() {
        let err = parse("[ui]\nmax_fps = 0\n").unwrap_err();
        assert!(
            err.contains("/tmp/c.toml:2: ui.max_fps: must be between"),
            "{err}"
        );
        let err = parse("[ui]\ntheme = \"light\"\ndata_fps = 500\n").unwrap_err();
        assert!(
            err.contains("/tmp/c.toml:3: ui.data_fps: must be between 1 and 120, not 500"),
            "{err}"
        );
    }

    #[test]
    fn invalid_redact_regex_names_file_line_and_key() {
        let err = parse("[logs]\nbatch_ms = 50\nredact = ['AKIA[0-9A-Z]{16}', 'pass(word']\n")
            .unwrap_err();
        assert!(
            err.starts_with("/tmp/c.toml:3: logs.redact: entry 2"),
            "{err}"
        );
        assert!(err.contains("pass(word"), "{err}");
        let off = parse("[logs]\nredact = []\n").unwrap();
        assert!(!off.logs.redactor().is_enabled());
    }
}
