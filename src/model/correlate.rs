//! Which Kubernetes object an alert is about, from its labels, the way kube-prometheus and
//! kubernetes-mixin alerts carry them: `namespace` with `deployment`, `statefulset`,
//! `daemonset`, `job_name`, `horizontalpodautoscaler`, `persistentvolumeclaim` or `pod`
//! (+ `container`); `node`; `workload` + `workload_type` (the mixin's recording rules); the
//! `kubernetes_namespace` / `kubernetes_pod_name` of older service-discovery relabelling; and
//! `exported_namespace` / `exported_pod`.
//!
//! The kube-state-metrics pitfall: scraped without `honorLabels`, its series keep the object's
//! namespace and pod as `exported_namespace` / `exported_pod`, while `namespace` and `pod` name
//! kube-state-metrics itself. When an `exported_` label is present, the plain one is ignored.
//!
//! Pure: labels in, object out. Owner chains (pod → ReplicaSet → Deployment) are resolved by
//! the state, from what the watches hold.

use std::collections::BTreeMap;
use std::fmt;

/// A kind an alert can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    ReplicaSet,
    Pod,
    HorizontalPodAutoscaler,
    PersistentVolumeClaim,
    Node,
}

impl Kind {
    /// kubectl's short name: `deploy`, `sts`, `ds`, `job`, `cj`, `rs`, `pod`, `hpa`, `pvc`, `node`.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Deployment => "deploy",
            Kind::StatefulSet => "sts",
            Kind::DaemonSet => "ds",
            Kind::Job => "job",
            Kind::CronJob => "cj",
            Kind::ReplicaSet => "rs",
            Kind::Pod => "pod",
            Kind::HorizontalPodAutoscaler => "hpa",
            Kind::PersistentVolumeClaim => "pvc",
            Kind::Node => "node",
        }
    }

    /// A kind as written in `workload_type` or in the config's `[correlate]` (kind names,
    /// kubectl short names and plurals, any case).
    pub fn parse(text: &str) -> Option<Kind> {
        let kind = match text.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" => Kind::Deployment,
            "statefulset" | "statefulsets" | "sts" => Kind::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => Kind::DaemonSet,
            "job" | "jobs" => Kind::Job,
            "cronjob" | "cronjobs" | "cj" => Kind::CronJob,
            "replicaset" | "replicasets" | "rs" => Kind::ReplicaSet,
            "pod" | "pods" | "po" => Kind::Pod,
            "horizontalpodautoscaler" | "horizontalpodautoscalers" | "hpa" => {
                Kind::HorizontalPodAutoscaler
            }
            "persistentvolumeclaim" | "persistentvolumeclaims" | "pvc" => {
                Kind::PersistentVolumeClaim
            }
            "node" | "nodes" | "no" => Kind::Node,
            _ => return None,
        };
        Some(kind)
    }

    /// Whether objects of the kind live in a namespace.
    pub fn namespaced(self) -> bool {
        self != Kind::Node
    }
}

/// The object an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub kind: Kind,
    /// Empty for cluster-scoped kinds (nodes).
    pub namespace: String,
    pub name: String,
    /// The `container` label of a pod alert.
    pub container: Option<String>,
}

impl fmt::Display for Target {
    /// `shop/deploy/checkout`, `shop/pod/checkout-7d9f-x2k4q`, `node/worker-1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind.short(), self.name)
        } else {
            write!(f, "{}/{}/{}", self.namespace, self.kind.short(), self.name)
        }
    }
}

/// A label that names an object of a kind (`[correlate]` in the config: label → kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub label: String,
    pub kind: Kind,
}

/// Labels that name an object, most specific workload first; a pod comes after the workloads
/// (an alert with both is about the workload), nodes last.
const BUILT_IN: [(&str, Kind); 10] = [
    ("deployment", Kind::Deployment),
    ("statefulset", Kind::StatefulSet),
    ("daemonset", Kind::DaemonSet),
    ("cronjob", Kind::CronJob),
    ("job_name", Kind::Job),
    ("horizontalpodautoscaler", Kind::HorizontalPodAutoscaler),
    ("persistentvolumeclaim", Kind::PersistentVolumeClaim),
    ("replicaset", Kind::ReplicaSet),
    ("pod", Kind::Pod),
    ("node", Kind::Node),
];

/// The namespace an alert is about: `exported_namespace` (kube-state-metrics without
/// honorLabels), else `namespace`, else `kubernetes_namespace`.
pub fn namespace_of(labels: &BTreeMap<String, String>) -> Option<&str> {
    ["exported_namespace", "namespace", "kubernetes_namespace"]
        .iter()
        .find_map(|l| labels.get(*l))
        .map(String::as_str)
        .filter(|ns| !ns.is_empty())
}

/// The value of `label`, honouring its `exported_` twin (which, when present, means the plain
/// one names the scraped exporter).
fn value<'a>(labels: &'a BTreeMap<String, String>, label: &str) -> Option<&'a str> {
    let exported = labels.get(&format!("exported_{label}"));
    exported
        .or_else(|| labels.get(label))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The object `labels` name: the config's mappings first (in their order), then `workload` +
/// `workload_type`, then the built-in labels, then `kubernetes_pod_name`. `None` when the labels
/// name no object (or a namespaced one without a namespace).
pub fn resolve(labels: &BTreeMap<String, String>, extra: &[Mapping]) -> Option<Target> {
    let namespace = namespace_of(labels).unwrap_or_default().to_string();
    let workload = labels
        .get("workload_type")
        .and_then(|t| Kind::parse(t))
        .and_then(|kind| Some((kind, value(labels, "workload")?)));
    let (kind, name) = extra
        .iter()
        .find_map(|m| Some((m.kind, value(labels, &m.label)?)))
        .or(workload)
        .or_else(|| {
            BUILT_IN
                .iter()
                .find_map(|(label, kind)| Some((*kind, value(labels, label)?)))
        })
        .or_else(|| Some((Kind::Pod, value(labels, "kubernetes_pod_name")?)))?;
    if kind.namespaced() && namespace.is_empty() {
        return None;
    }
    let container = (kind == Kind::Pod)
        .then(|| value(labels, "container"))
        .flatten()
        .map(str::to_string);
    Some(Target {
        kind,
        namespace: if kind.namespaced() {
            namespace
        } else {
            String::new()
        },
        name: name.to_string(),
        container,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn shown(pairs: &[(&str, &str)]) -> String {
        resolve(&labels(pairs), &[]).map_or("—".into(), |t| t.to_string())
    }

    #[test]
    fn label_shapes_of_kubernetes_mixin_and_its_variants() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            // KubeDeploymentReplicasMismatch, scraped with honorLabels.
            (
                &[
                    ("alertname", "KubeDeploymentReplicasMismatch"),
                    ("namespace", "shop"),
                    ("deployment", "checkout"),
                ],
                "shop/deploy/checkout",
            ),
            (&[("namespace", "db"), ("statefulset", "pg")], "db/sts/pg"),
            (
                &[("namespace", "kube-system"), ("daemonset", "fluentd")],
                "kube-system/ds/fluentd",
            ),
            (
                &[("namespace", "batch"), ("job_name", "nightly-28")],
                "batch/job/nightly-28",
            ),
            (
                &[("namespace", "shop"), ("horizontalpodautoscaler", "web")],
                "shop/hpa/web",
            ),
            (
                &[("namespace", "db"), ("persistentvolumeclaim", "data-pg-0")],
                "db/pvc/data-pg-0",
            ),
            // KubePodCrashLooping: pod and container.
            (
                &[
                    ("namespace", "shop"),
                    ("pod", "checkout-7d9f-x2k4q"),
                    ("container", "app"),
                ],
                "shop/pod/checkout-7d9f-x2k4q",
            ),
            (
                &[("node", "worker-1"), ("instance", "10.0.0.1:9100")],
                "node/worker-1",
            ),
            // The mixin's namespace_workload_pod recording rules.
            (
                &[
                    ("namespace", "shop"),
                    ("workload", "cart"),
                    ("workload_type", "deployment"),
                ],
                "shop/deploy/cart",
            ),
            (
                &[
                    ("namespace", "db"),
                    ("workload", "pg"),
                    ("workload_type", "statefulset"),
                ],
                "db/sts/pg",
            ),
            // Older kubernetes_sd relabelling.
            (
                &[
                    ("kubernetes_namespace", "shop"),
                    ("kubernetes_pod_name", "cart-1"),
                ],
                "shop/pod/cart-1",
            ),
            // A workload beats the pod label on the same alert.
            (
                &[
                    ("namespace", "shop"),
                    ("deployment", "web"),
                    ("pod", "web-1"),
                ],
                "shop/deploy/web",
            ),
            // Nothing to name, or a namespaced object without a namespace.
            (&[("alertname", "Watchdog")], "—"),
            (&[("deployment", "web")], "—"),
            (&[("namespace", "shop"), ("deployment", "")], "—"),
        ];
        for (pairs, want) in cases {
            assert_eq!(shown(pairs), *want, "{pairs:?}");
        }
    }

    #[test]
    fn kube_state_metrics_without_honor_labels_names_the_exported_object() {
        // namespace/pod name kube-state-metrics itself; the object is in exported_*.
        let ksm = [
            ("namespace", "monitoring"),
            ("pod", "kube-state-metrics-6f5d-abcde"),
            ("job", "kube-state-metrics"),
            ("exported_namespace", "shop"),
            ("exported_pod", "checkout-7d9f-x2k4q"),
            ("container", "app"),
        ];
        let target = resolve(&labels(&ksm), &[]).unwrap();
        assert_eq!(target.to_string(), "shop/pod/checkout-7d9f-x2k4q");
        assert_eq!(target.container.as_deref(), Some("app"));
        assert_eq!(namespace_of(&labels(&ksm)), Some("shop"));
        // A deployment alert through the same scrape: the namespace is the exported one.
        let deploy = [
            ("namespace", "monitoring"),
            ("pod", "kube-state-metrics-6f5d-abcde"),
            ("exported_namespace", "shop"),
            ("deployment", "checkout"),
        ];
        assert_eq!(shown(&deploy), "shop/deploy/checkout");
    }

    #[test]
    fn config_mappings_come_first() {
        let extra = [Mapping {
            label: "app".into(),
            kind: Kind::Deployment,
        }];
        let l = labels(&[("namespace", "shop"), ("app", "checkout"), ("pod", "x-1")]);
        assert_eq!(
            resolve(&l, &extra).unwrap().to_string(),
            "shop/deploy/checkout"
        );
        assert_eq!(resolve(&l, &[]).unwrap().to_string(), "shop/pod/x-1");
    }

    #[test]
    fn kinds_parse_from_names_short_names_and_plurals() {
        for (text, kind) in [
            ("Deployment", Kind::Deployment),
            ("sts", Kind::StatefulSet),
            ("daemonsets", Kind::DaemonSet),
            ("HPA", Kind::HorizontalPodAutoscaler),
            ("pvc", Kind::PersistentVolumeClaim),
        ] {
            assert_eq!(Kind::parse(text), Some(kind), "{text}");
        }
        assert_eq!(Kind::parse("service"), None);
    }
}
