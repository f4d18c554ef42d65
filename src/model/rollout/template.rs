//! A compact summary of a pod template: what a rollout diff talks about (images, env, args,
//! resources, probes), plus a fingerprint of everything else. Never holds secret values.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use k8s_openapi::api::core::v1::{Container, EnvVar, PodTemplateSpec, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The label the deployment controller adds to every ReplicaSet's template; ignored in diffs.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The value of an environment variable, as far as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EnvValue {
    /// A literal `value` (masked when the name looks like a credential).
    Literal(String),
    /// A literal value hidden because its name looks like a credential.
    Masked,
    /// `valueFrom`: only where it comes from (`secret db/password`), never the value.
    From(String),
}

impl EnvValue {
    /// Display text (`"1.5"`, `•••`, `<from secret db/password>`).
    pub fn text(&self) -> String {
        match self {
            EnvValue::Literal(v) => format!("{v:?}"),
            EnvValue::Masked => "•••".to_string(),
            EnvValue::From(src) => format!("<from {src}>"),
        }
    }
}

/// What a diff compares of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ContainerSummary {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// `(name, value)` in declaration order.
    pub env: Vec<(String, EnvValue)>,
    /// `envFrom` sources (`configmap app-config`, `secret db`).
    pub env_from: Vec<String>,
    /// `requests.cpu` → `100m`, `limits.memory` → `256Mi`.
    pub resources: BTreeMap<String, String>,
    /// `liveness` / `readiness` / `startup` → a one-line description.
    pub probes: BTreeMap<String, String>,
}

/// A pod template reduced to what rollouts show and compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateSummary {
    pub init_containers: Vec<ContainerSummary>,
    pub containers: Vec<ContainerSummary>,
    /// `kubectl.kubernetes.io/restartedAt`, if set.
    pub restarted_at: Option<String>,
    /// Hash of the whole template without the `pod-template-hash` label: equal fingerprints
    /// mean equal templates (kubectl's `equalIgnoreHash`), within one process.
    pub fingerprint: u64,
}

impl TemplateSummary {
    /// Summarise a pod template (from a Deployment or a ReplicaSet).
    pub fn from_template(t: &PodTemplateSpec) -> TemplateSummary {
        let spec = t.spec.as_ref();
        let list = |cs: Option<&Vec<Container>>| {
            cs.map(|cs| cs.iter().map(ContainerSummary::from_container).collect())
                .unwrap_or_default()
        };
        let restarted_at = t
            .metadata
            .as_ref()
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get(RESTARTED_AT))
            .cloned();
        TemplateSummary {
            init_containers: list(spec.and_then(|s| s.init_containers.as_ref())),
            containers: list(spec.map(|s| &s.containers)),
            restarted_at,
            fingerprint: fingerprint(t),
        }
    }

    /// Images of the app containers, `app:1.4.2, sidecar:2`.
    pub fn images(&self) -> Vec<String> {
        self.containers.iter().map(|c| c.image.clone()).collect()
    }
}

/// Hash of the template's JSON without the `pod-template-hash` label.
fn fingerprint(t: &PodTemplateSpec) -> u64 {
    let mut t = t.clone();
    if let Some(m) = t.metadata.as_mut()
        && let Some(labels) = m.labels.as_mut()
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            m.labels = None;
        }
    }
    let mut h = DefaultHasher::new();
    serde_json::to_string(&t).unwrap_or_default().hash(&mut h);
    h.finish()
}

impl ContainerSummary {
    fn from_container(c: &Container) -> ContainerSummary {
        let mut resources = BTreeMap::new();
        if let Some(r) = &c.resources {
            for (kind, map) in [("requests", &r.requests), ("limits", &r.limits)] {
                for (k, v) in map.iter().flatten() {
                    resources.insert(format!("{kind}.{k}"), v.0.clone());
                }
            }
        }
        let mut probes = BTreeMap::new();
        for (kind, p) in [
            ("liveness", &c.liveness_probe),
            ("readiness", &c.readiness_probe),
            ("startup", &c.startup_probe),
        ] {
            if let Some(p) = p {
                probes.insert(kind.to_string(), probe_text(p));
            }
        }
        let env_from = c
            .env_from
            .iter()
            .flatten()
            .map(|e| {
                let prefix = e.prefix.as_deref().unwrap_or("");
                let src = match (&e.config_map_ref, &e.secret_ref) {
                    (Some(cm), _) => format!("configmap {}", cm.name),
                    (_, Some(s)) => format!("secret {}", s.name),
                    _ => "unknown source".to_string(),
                };
                if prefix.is_empty() {
                    src
                } else {
                    format!("{src} (prefix {prefix})")
                }
            })
            .collect();
        ContainerSummary {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            command: c.command.clone().unwrap_or_default(),
            args: c.args.clone().unwrap_or_default(),
            env: c.env.iter().flatten().map(env_entry).collect(),
            env_from,
            resources,
            probes,
        }
    }
}

/// Names that suggest a credential: their literal values are masked too.
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

fn env_entry(e: &EnvVar) -> (String, EnvValue) {
    let value = match (&e.value, &e.value_from) {
        (_, Some(from)) => {
            let src = if let Some(s) = &from.secret_key_ref {
                format!("secret {}/{}", s.name, s.key)
            } else if let Some(cm) = &from.config_map_key_ref {
                format!("configmap {}/{}", cm.name, cm.key)
            } else if let Some(f) = &from.field_ref {
                format!("field {}", f.field_path)
            } else if let Some(r) = &from.resource_field_ref {
                format!("resource {}", r.resource)
            } else {
                "elsewhere".to_string()
            };
            EnvValue::From(src)
        }
        (Some(_), None) if looks_secret(&e.name) => EnvValue::Masked,
        (Some(v), None) => EnvValue::Literal(v.clone()),
        (None, None) => EnvValue::Literal(String::new()),
    };
    (e.name.clone(), value)
}

fn port_text(p: &IntOrString) -> String {
    match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// `http-get :8080/healthz delay=5s period=10s`, like `kubectl describe`.
fn probe_text(p: &Probe) -> String {
    let handler = if let Some(h) = &p.http_get {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_lowercase();
        format!(
            "{scheme}-get :{}{}",
            port_text(&h.port),
            h.path.as_deref().unwrap_or("")
        )
    } else if let Some(t) = &p.tcp_socket {
        format!("tcp-socket :{}", port_text(&t.port))
    } else if let Some(g) = &p.grpc {
        format!("grpc :{}", g.port)
    } else if let Some(e) = &p.exec {
        format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "))
    } else {
        "unknown".to_string()
    };
    let mut out = handler;
    for (k, v) in [
        ("delay", p.initial_delay_seconds),
        ("timeout", p.timeout_seconds),
        ("period", p.period_seconds),
    ] {
        if let Some(v) = v {
            out.push_str(&format!(" {k}={v}s"));
        }
    }
    if let Some(f) = p.failure_threshold {
        out.push_str(&format!(" #failure={f}"));
    }
    out
}
