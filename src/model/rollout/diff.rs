//! What changed between two pod templates: a line per difference for the history view and the
//! undo dialog, and a one-line summary for the rollouts table.

use std::collections::BTreeSet;

use super::template::{ContainerSummary, TemplateSummary};

/// One difference between two templates, from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// Container name, or `pod` for template-wide changes.
    pub scope: String,
    /// `image`, `env FOO`, `args`, `requests.cpu`, `readiness probe`, `container`…
    pub field: String,
    /// `None`: added.
    pub old: Option<String>,
    /// `None`: removed.
    pub new: Option<String>,
}

/// Whether a [`DiffLine`] adds, removes or changes something (for colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffKind {
    Added,
    Removed,
    Changed,
}

impl DiffLine {
    fn new(
        scope: &str,
        field: impl Into<String>,
        old: Option<String>,
        new: Option<String>,
    ) -> Self {
        DiffLine {
            scope: scope.to_string(),
            field: field.into(),
            old,
            new,
        }
    }

    pub fn kind(&self) -> DiffKind {
        match (&self.old, &self.new) {
            (None, _) => DiffKind::Added,
            (_, None) => DiffKind::Removed,
            _ => DiffKind::Changed,
        }
    }

    /// `api image: app:1.5.0 → app:1.4.2`, `+ api env FOO="1"`, `- api env BAR`.
    pub fn text(&self) -> String {
        match (&self.old, &self.new) {
            (Some(o), Some(n)) => format!("~ {} {}: {o} → {n}", self.scope, self.field),
            (None, Some(n)) => format!("+ {} {}: {n}", self.scope, self.field),
            (Some(o), None) => format!("- {} {}: {o}", self.scope, self.field),
            (None, None) => format!("  {} {}", self.scope, self.field),
        }
    }
}

/// Every difference (images, command, args, env, envFrom, resources, probes, containers)
/// going from template `a` to template `b`. The `pod-template-hash` label is ignored; other
/// template fields show as one `pod template` line when nothing listed here differs.
pub fn template_diff(a: &TemplateSummary, b: &TemplateSummary) -> Vec<DiffLine> {
    let mut out = Vec::new();
    diff_containers(&a.init_containers, &b.init_containers, "init ", &mut out);
    diff_containers(&a.containers, &b.containers, "", &mut out);
    if a.restarted_at != b.restarted_at {
        out.push(DiffLine::new(
            "pod",
            "restartedAt",
            a.restarted_at.clone(),
            b.restarted_at.clone(),
        ));
    }
    if out.is_empty() && a.fingerprint != b.fingerprint {
        out.push(DiffLine::new(
            "pod",
            "template",
            Some("(other fields)".into()),
            Some("(changed)".into()),
        ));
    }
    out
}

fn diff_containers(
    a: &[ContainerSummary],
    b: &[ContainerSummary],
    kind: &str,
    out: &mut Vec<DiffLine>,
) {
    for old in a {
        match b.iter().find(|c| c.name == old.name) {
            Some(new) => diff_container(old, new, out),
            None => out.push(DiffLine::new(
                &old.name,
                format!("{kind}container"),
                Some(old.image.clone()),
                None,
            )),
        }
    }
    for new in b.iter().filter(|n| a.iter().all(|o| o.name != n.name)) {
        out.push(DiffLine::new(
            &new.name,
            format!("{kind}container"),
            None,
            Some(new.image.clone()),
        ));
    }
}

fn diff_container(a: &ContainerSummary, b: &ContainerSummary, out: &mut Vec<DiffLine>) {
    let scope = a.name.as_str();
    let changed = |field: &str, o: String, n: String, out: &mut Vec<DiffLine>| {
        if o != n {
            out.push(DiffLine::new(scope, field, Some(o), Some(n)));
        }
    };
    changed("image", a.image.clone(), b.image.clone(), out);
    changed("command", words(&a.command), words(&b.command), out);
    changed("args", words(&a.args), words(&b.args), out);
    for (name, old) in &a.env {
        let new = b.env.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        match new {
            Some(new) if new != old => out.push(DiffLine::new(
                scope,
                format!("env {name}"),
                Some(old.text()),
                Some(new.text()),
            )),
            Some(_) => {}
            None => out.push(DiffLine::new(
                scope,
                format!("env {name}"),
                Some(old.text()),
                None,
            )),
        }
    }
    for (name, new) in b
        .env
        .iter()
        .filter(|(n, _)| a.env.iter().all(|(o, _)| o != n))
    {
        out.push(DiffLine::new(
            scope,
            format!("env {name}"),
            None,
            Some(new.text()),
        ));
    }
    if a.env_from != b.env_from {
        out.push(DiffLine::new(
            scope,
            "envFrom",
            Some(a.env_from.join(", ")),
            Some(b.env_from.join(", ")),
        ));
    }
    map_diff(scope, "", &a.resources, &b.resources, out);
    map_diff(scope, " probe", &a.probes, &b.probes, out);
}

fn map_diff(
    scope: &str,
    suffix: &str,
    a: &std::collections::BTreeMap<String, String>,
    b: &std::collections::BTreeMap<String, String>,
    out: &mut Vec<DiffLine>,
) {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        let (o, n) = (a.get(k), b.get(k));
        if o != n {
            out.push(DiffLine::new(
                scope,
                format!("{k}{suffix}"),
                o.cloned(),
                n.cloned(),
            ));
        }
    }
}

fn words(v: &[String]) -> String {
    if v.is_empty() {
        "[]".to_string()
    } else {
        format!("[{}]", v.join(" "))
    }
}

/// The last path segment of an image (`registry.io/team/app:1.5.0` → `app:1.5.0`).
pub fn short_image(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

/// One line for the rollouts table: what the latest revision changed against the previous one,
/// e.g. `api: image app:1.4.2 → app:1.5.0; env +FEATURE_X ~LOG_LEVEL`.
pub fn change_summary(previous: &TemplateSummary, latest: &TemplateSummary) -> String {
    let diff = template_diff(previous, latest);
    if diff.is_empty() {
        return "no template change".to_string();
    }
    let mut parts: Vec<(String, Vec<String>)> = Vec::new();
    let mut push = |scope: &str, item: String| match parts.iter_mut().find(|(s, _)| s == scope) {
        Some((_, items)) => items.push(item),
        None => parts.push((scope.to_string(), vec![item])),
    };
    let mut env: Vec<(String, String)> = Vec::new();
    for d in &diff {
        let item = match d.field.as_str() {
            "image" => format!(
                "image {} → {}",
                short_image(d.old.as_deref().unwrap_or("")),
                short_image(d.new.as_deref().unwrap_or(""))
            ),
            "restartedAt" => "rollout restart".to_string(),
            f if f.starts_with("env ") => {
                let sign = match d.kind() {
                    super::DiffKind::Added => "+",
                    super::DiffKind::Removed => "-",
                    super::DiffKind::Changed => "~",
                };
                env.push((d.scope.clone(), format!("{sign}{}", &f[4..])));
                continue;
            }
            f if f.starts_with("requests.") || f.starts_with("limits.") => match (&d.old, &d.new) {
                (Some(o), Some(n)) => format!("{f} {o} → {n}"),
                (None, Some(n)) => format!("{f} {n}"),
                _ => format!("{f} removed"),
            },
            f if d.kind() == super::DiffKind::Added && f.ends_with("container") => {
                format!("added {f}")
            }
            f if d.kind() == super::DiffKind::Removed && f.ends_with("container") => {
                format!("removed {f}")
            }
            f => format!("{f} changed"),
        };
        push(&d.scope, item);
    }
    for (scope, item) in env {
        match parts.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, items)) => match items.iter_mut().find(|i| i.starts_with("env ")) {
                Some(e) => {
                    e.push(' ');
                    e.push_str(&item);
                }
                None => items.push(format!("env {item}")),
            },
            None => parts.push((scope, vec![format!("env {item}")])),
        }
    }
    parts
        .into_iter()
        .map(|(scope, items)| match scope.as_str() {
            "pod" => items.join(", "),
            _ => format!("{scope}: {}", items.join(", ")),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
