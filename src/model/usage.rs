//! What a pod consumes (`metrics.k8s.io` PodMetrics, as `kubectl top pods`) against what its
//! containers request and are limited to. Pure: JSON and pod specs in, numbers and text out.

use k8s_openapi::api::core::v1::{Container, Pod};
use serde_json::Value;

/// CPU in millicores and memory in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_m: u64,
    pub mem_b: u64,
}

/// Requests and limits summed over the app containers; `None` when any container has none
/// (then the pod has no bound of that kind, as `kubectl describe node` counts it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_request_m: Option<u64>,
    pub cpu_limit_m: Option<u64>,
    pub mem_request_b: Option<u64>,
    pub mem_limit_b: Option<u64>,
}

impl Resources {
    pub fn from_pod(pod: &Pod) -> Resources {
        let containers: &[Container] = pod.spec.as_ref().map_or(&[], |s| &s.containers);
        let sum = |list: &str, name: &str, parse: fn(&str) -> Option<u64>| {
            if containers.is_empty() {
                return None;
            }
            containers.iter().try_fold(0u64, |acc, c| {
                let r = c.resources.as_ref()?;
                let map = if list == "requests" {
                    r.requests.as_ref()
                } else {
                    r.limits.as_ref()
                }?;
                Some(acc + parse(&map.get(name)?.0)?)
            })
        };
        Resources {
            cpu_request_m: sum("requests", "cpu", parse_cpu),
            cpu_limit_m: sum("limits", "cpu", parse_cpu),
            mem_request_b: sum("requests", "memory", parse_memory),
            mem_limit_b: sum("limits", "memory", parse_memory),
        }
    }
}

/// `(namespace, name)` and the usage summed over its containers, for each item of a
/// `PodMetricsList`; items that cannot be read are skipped.
pub fn from_pod_metrics_list(list: &Value) -> Vec<((String, String), Usage)> {
    let items = list["items"].as_array().map_or(&[][..], Vec::as_slice);
    items
        .iter()
        .filter_map(|item| {
            let meta = &item["metadata"];
            let key = (
                meta["namespace"].as_str()?.to_string(),
                meta["name"].as_str()?.to_string(),
            );
            let mut usage = Usage::default();
            for c in item["containers"].as_array()? {
                usage.cpu_m += parse_cpu(c["usage"]["cpu"].as_str()?)?;
                usage.mem_b += parse_memory(c["usage"]["memory"].as_str()?)?;
            }
            Some((key, usage))
        })
        .collect()
}

/// A quantity (`100m`, `0.5`, `2`, `12345678n`, `1e3`, `128Mi`, `1G`) as a number of base units
/// times `scale` (1000 for CPU millicores, 1 for bytes), rounded up.
fn parse_quantity(text: &str, scale: f64) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let value = number * factor * scale;
    (value.is_finite() && value >= 0.0).then(|| value.ceil() as u64)
}

/// CPU in millicores.
pub fn parse_cpu(text: &str) -> Option<u64> {
    parse_quantity(text, 1000.0)
}

/// Memory in bytes.
pub fn parse_memory(text: &str) -> Option<u64> {
    parse_quantity(text, 1.0)
}

/// `120m`, `2.5` (cores from 10 up).
pub fn cpu_text(m: u64) -> String {
    if m >= 10_000 {
        format!("{:.1}", m as f64 / 1000.0)
    } else {
        format!("{m}m")
    }
}

/// `412Mi`, `1.5Gi`, `900Ki`, as kubectl top prints them (binary units).
pub fn memory_text(b: u64) -> String {
    const KI: f64 = 1024.0;
    let b = b as f64;
    if b >= KI * KI * KI {
        format!("{:.1}Gi", b / (KI * KI * KI))
    } else if b >= KI * KI {
        format!("{:.0}Mi", b / (KI * KI))
    } else {
        format!("{:.0}Ki", b / KI)
    }
}

/// Use as a percentage of `of` (`None` without a bound or with a zero one).
pub fn percent(used: u64, of: Option<u64>) -> Option<u64> {
    let of = of.filter(|n| *n > 0)?;
    Some((used as f64 * 100.0 / of as f64).round() as u64)
}

/// The CELL text: the value and its share of the limit (`91%L`), else of the request
/// (`60%R`), else the value alone.
pub fn cell_text(value: String, used: u64, request: Option<u64>, limit: Option<u64>) -> String {
    match (percent(used, limit), percent(used, request)) {
        (Some(p), _) => format!("{value} {p}%L"),
        (None, Some(p)) => format!("{value} {p}%R"),
        (None, None) => value,
    }
}

/// Memory at or above this share of the limit is highlighted: the next allocation may be
/// the OOM kill.
pub const OOM_RISK_PERCENT: u64 = 90;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_as_kubernetes_writes_them() {
        assert_eq!(parse_cpu("100m"), Some(100));
        assert_eq!(parse_cpu("0.5"), Some(500));
        assert_eq!(parse_cpu("2"), Some(2000));
        assert_eq!(parse_cpu("12345678n"), Some(13));
        assert_eq!(parse_cpu("250u"), Some(1));
        assert_eq!(parse_memory("128Mi"), Some(128 * 1024 * 1024));
        assert_eq!(parse_memory("1G"), Some(1_000_000_000));
        assert_eq!(parse_memory("1e3"), Some(1000));
        assert_eq!(parse_memory("4096Ki"), Some(4 * 1024 * 1024));
        assert_eq!(parse_memory("134217728"), Some(134_217_728));
        assert_eq!(parse_memory("12Xi"), None);
        assert_eq!(parse_memory("-1Mi"), None);
        assert_eq!(parse_memory(""), None);
    }

    #[test]
    fn requests_and_limits_sum_over_containers_and_a_missing_one_means_unbounded() {
        let pod: Pod = serde_json::from_value(json!({"spec": {"containers": [
            {"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                          "limits": {"memory": "256Mi"}}},
            {"name": "sidecar", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                              "limits": {"memory": "64Mi", "cpu": "1"}}}
        ]}}))
        .unwrap();
        let r = Resources::from_pod(&pod);
        assert_eq!(r.cpu_request_m, Some(150));
        assert_eq!(r.cpu_limit_m, None, "the app container has no CPU limit");
        assert_eq!(r.mem_request_b, Some(192 * 1024 * 1024));
        assert_eq!(r.mem_limit_b, Some(320 * 1024 * 1024));
    }

    #[test]
    fn pod_metrics_sum_their_containers() {
        let list = json!({"kind": "PodMetricsList", "items": [
            {"metadata": {"namespace": "shop", "name": "checkout-1"}, "containers": [
                {"name": "app", "usage": {"cpu": "12345678n", "memory": "100Mi"}},
                {"name": "sidecar", "usage": {"cpu": "2m", "memory": "20Mi"}}]},
            {"metadata": {"namespace": "shop"}, "containers": []},
            {"metadata": {"namespace": "shop", "name": "bad"}, "containers": [
                {"name": "app", "usage": {"cpu": "lots"}}]}
        ]});
        let usage = from_pod_metrics_list(&list);
        assert_eq!(
            usage,
            [(
                ("shop".to_string(), "checkout-1".to_string()),
                Usage {
                    cpu_m: 15,
                    mem_b: 120 * 1024 * 1024
                }
            )]
        );
    }

    #[test]
    fn cells_name_the_share_of_the_limit_else_the_request() {
        let mi = 1024 * 1024;
        let text = |used, req, lim| cell_text(memory_text(used), used, req, lim);
        assert_eq!(text(233 * mi, Some(128 * mi), Some(256 * mi)), "233Mi 91%L");
        assert_eq!(text(64 * mi, Some(128 * mi), None), "64Mi 50%R");
        assert_eq!(text(64 * mi, None, None), "64Mi");
        assert_eq!(cpu_text(120), "120m");
        assert_eq!(cpu_text(12_500), "12.5");
        assert_eq!(memory_text(3 * 1024 * mi / 2), "1.5Gi");
    }
}
