//! The one scheduling decision the simulator models: whether a pod's resource requests (and
//! node selector) fit the simulated nodes. A pod that fits nowhere stays Pending with
//! `PodScheduled=False (Unschedulable)` and a FailedScheduling event repeated while it waits,
//! worded like kube-scheduler's.

use serde_json::{Value, json};

use super::metrics::quantity;

/// Allocatable CPU of every simulated node, in millicores (see `objects::node`).
const NODE_CPU_MILLI: f64 = 15_890.0;
/// Allocatable memory of every simulated node, in bytes (64691344Ki).
const NODE_MEMORY: f64 = 64_691_344.0 * 1024.0;

fn requests(pod: &Value, resource: &str) -> f64 {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["resources"]["requests"][resource].as_str())
        .filter_map(quantity)
        .sum()
}

/// Why the pod fits no node, as the FailedScheduling message; `None` when it fits.
pub fn unschedulable(pod: &Value, nodes: &[(String, Value)]) -> Option<String> {
    let cpu = requests(pod, "cpu") * 1000.0 > NODE_CPU_MILLI;
    let memory = requests(pod, "memory") > NODE_MEMORY;
    let selector = pod["spec"]["nodeSelector"].as_object();
    let mismatched = |labels: &Value| {
        selector.is_some_and(|sel| sel.iter().any(|(k, v)| labels[k.as_str()] != *v))
    };
    let n = nodes.len();
    let mut reasons: Vec<(usize, &str)> = Vec::new();
    let unmatched = nodes.iter().filter(|(_, l)| mismatched(l)).count();
    if unmatched > 0 {
        reasons.push((
            unmatched,
            "node(s) didn't match Pod's node affinity/selector",
        ));
    }
    let left = n - unmatched;
    if left > 0 && cpu {
        reasons.push((left, "Insufficient cpu"));
    }
    if left > 0 && memory {
        reasons.push((left, "Insufficient memory"));
    }
    if reasons.is_empty() && n > 0 {
        return None;
    }
    let list = reasons
        .iter()
        .map(|(k, r)| format!("{k} {r}"))
        .collect::<Vec<_>>()
        .join(", ");
    let preemption = if unmatched == n {
        format!("0/{n} nodes are available: {n} Preemption is not helpful for scheduling.")
    } else {
        format!("0/{n} nodes are available: {n} No preemption victims found for incoming pod.")
    };
    Some(format!(
        "0/{n} nodes are available: {list}. preemption: {preemption}"
    ))
}

/// Rewrites a pod as waiting for a node: no `nodeName`, Pending, `PodScheduled=False`.
pub fn hold(pod: &mut Value, message: &str, now: &str) {
    if let Some(spec) = pod["spec"].as_object_mut() {
        spec.remove("nodeName");
    }
    pod["status"] = json!({"phase":"Pending","qosClass":"Burstable",
        "conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable",
            "message":message,"lastProbeTime":null,"lastTransitionTime":now}]});
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<(String, Value)> {
        (0..3)
            .map(|i| {
                (
                    format!("worker-{i:03}"),
                    json!({"topology.kubernetes.io/zone":"eu-west-1a"}),
                )
            })
            .collect()
    }

    fn pod(cpu: &str, memory: &str) -> Value {
        json!({"spec":{"containers":[{"resources":{"requests":{"cpu":cpu,"memory":memory}}}]}})
    }

    #[test]
    fn too_big_pods_do_not_fit() {
        assert_eq!(unschedulable(&pod("100m", "128Mi"), &nodes()), None);
        assert_eq!(
            unschedulable(&pod("32", "128Mi"), &nodes()).unwrap(),
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: \
             3 No preemption victims found for incoming pod."
        );
        let both = unschedulable(&pod("32", "100Gi"), &nodes()).unwrap();
        assert!(both.contains("3 Insufficient cpu, 3 Insufficient memory."));
        let mut p = pod("1", "1Gi");
        p["spec"]["nodeSelector"] = json!({"topology.kubernetes.io/zone":"us-east-1a"});
        let msg = unschedulable(&p, &nodes()).unwrap();
        assert!(msg.starts_with(
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
        ));
    }
}
