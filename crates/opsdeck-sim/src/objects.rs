//! Builders for realistic Kubernetes objects and the pod status renderer.

use std::hash::{DefaultHasher, Hash, Hasher};

use rand::{Rng, RngExt};
use serde_json::{Value, json};

/// Label kubectl and the deployment controller use to tie pods to a ReplicaSet.
pub const HASH_LABEL: &str = "pod-template-hash";
/// Revision annotation on deployments and ReplicaSets.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// Template annotation that selects a simulated pod behaviour.
pub const BEHAVIOR: &str = "sim.opsdeck.io/behavior";

const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// RFC 3339 with second precision, as metav1.Time.
pub fn ts(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now, formatted.
pub fn now() -> String {
    ts(jiff::Timestamp::now())
}

/// Parses a metav1.Time.
pub fn parse_ts(s: &str) -> Option<jiff::Timestamp> {
    s.parse().ok()
}

/// A random UUID-shaped uid.
pub fn uid(rng: &mut impl Rng) -> String {
    let a: u128 = rng.random();
    let h = format!("{a:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// A random name suffix from the API server's safe alphabet.
pub fn suffix(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(SAFE[rng.random_range(0..SAFE.len())]))
        .collect()
}

/// Removes nulls, empty maps and empty lists, and the pod-template-hash label: the canonical
/// form templates are compared and hashed in.
pub fn canonical_template(t: &Value) -> Value {
    let mut t = strip_empty(t).unwrap_or(Value::Null);
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
    }
    strip_empty(&t).unwrap_or(Value::Null)
}

fn strip_empty(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) => {
            let m: serde_json::Map<String, Value> = m
                .iter()
                .filter_map(|(k, v)| strip_empty(v).map(|v| (k.clone(), v)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        Value::Array(a) => {
            let a: Vec<Value> = a.iter().filter_map(strip_empty).collect();
            (!a.is_empty()).then_some(Value::Array(a))
        }
        other => Some(other.clone()),
    }
}

fn hash_value(v: &Value, h: &mut DefaultHasher) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                k.hash(h);
                hash_value(&m[k.as_str()], h);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| hash_value(v, h)),
        other => other.to_string().hash(h),
    }
}

/// The pod-template-hash of a template (stable, order-insensitive).
pub fn template_hash(template: &Value) -> String {
    let mut h = DefaultHasher::new();
    hash_value(&canonical_template(template), &mut h);
    let mut n = h.finish();
    (0..10)
        .map(|_| {
            let c = SAFE[(n % SAFE.len() as u64) as usize];
            n /= SAFE.len() as u64;
            char::from(c)
        })
        .collect()
}

/// A namespace.
pub fn namespace(name: &str, uid: &str, created: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Namespace",
        "metadata":{"name":name,"uid":uid,"creationTimestamp":created,
            "labels":{"kubernetes.io/metadata.name":name}},
        "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})
}

/// A ready worker node.
pub fn node(name: &str, uid: &str, created: &str, zone: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Node",
        "metadata":{"name":name,"uid":uid,"creationTimestamp":created,
            "labels":{"kubernetes.io/hostname":name,"kubernetes.io/os":"linux",
                "node-role.kubernetes.io/worker":"","topology.kubernetes.io/zone":zone}},
        "spec":{"podCIDR":"10.244.0.0/24"},
        "status":{"capacity":{"cpu":"16","memory":"65842320Ki","pods":"110"},
            "allocatable":{"cpu":"15890m","memory":"64691344Ki","pods":"110"},
            "conditions":[{"type":"Ready","status":"True","reason":"KubeletReady",
                "message":"kubelet is posting ready status","lastHeartbeatTime":created,
                "lastTransitionTime":created}],
            "nodeInfo":{"kubeletVersion":"v1.33.1","containerRuntimeVersion":"containerd://1.7.27",
                "osImage":"Ubuntu 24.04 LTS","kernelVersion":"6.8.0-1021-aws","operatingSystem":"linux",
                "architecture":"amd64","kubeProxyVersion":"v1.33.1","machineID":"","systemUUID":"",
                "bootID":""}}})
}

/// The pod template of a deployment.
pub fn pod_template(app: &str, image: &str, behavior: Option<&str>) -> Value {
    let mut t = json!({"metadata":{"labels":{"app":app}},
        "spec":{"containers":[{"name":app,"image":image,"imagePullPolicy":"IfNotPresent",
            "ports":[{"containerPort":8080,"name":"http","protocol":"TCP"}],
            "env":[{"name":"LOG_LEVEL","value":"info"},{"name":"SERVICE_NAME","value":app}],
            "resources":{"requests":{"cpu":"100m","memory":"128Mi"},
                "limits":{"cpu":"500m","memory":"256Mi"}},
            "readinessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},
                "periodSeconds":5,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
            "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
            "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
            "schedulerName":"default-scheduler","securityContext":{}}});
    if let Some(b) = behavior {
        t["metadata"]["annotations"] = json!({ BEHAVIOR: b });
    }
    t
}

/// A deployment (status filled in by the controller).
pub fn deployment(
    ns: &str,
    name: &str,
    uid: &str,
    replicas: i64,
    template: Value,
    created: &str,
) -> Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":name,"namespace":ns,"uid":uid,"generation":1,"creationTimestamp":created,
            "labels":{"app":name},"annotations":{}},
        "spec":{"replicas":replicas,"selector":{"matchLabels":{"app":name}},"template":template,
            "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
            "revisionHistoryLimit":10,"progressDeadlineSeconds":30},
        "status":{}})
}

/// A ReplicaSet owned by `deploy` for `template` (whose labels get the hash).
pub fn replicaset(
    deploy: &Value,
    hash: &str,
    revision: u64,
    replicas: i64,
    uid: &str,
    created: &str,
) -> Value {
    let meta = &deploy["metadata"];
    let dname = meta["name"].as_str().unwrap_or_default();
    let mut template = deploy["spec"]["template"].clone();
    template["metadata"]["labels"][HASH_LABEL] = json!(hash);
    let mut labels = template["metadata"]["labels"].clone();
    if !labels.is_object() {
        labels = json!({});
    }
    let mut selector = deploy["spec"]["selector"].clone();
    selector["matchLabels"][HASH_LABEL] = json!(hash);
    let mut annotations = json!({ REVISION: revision.to_string(),
        "deployment.kubernetes.io/desired-replicas": deploy["spec"]["replicas"].to_string(),
        "deployment.kubernetes.io/max-replicas": deploy["spec"]["replicas"].to_string() });
    if let Some(cause) = meta["annotations"]["kubernetes.io/change-cause"].as_str() {
        annotations["kubernetes.io/change-cause"] = json!(cause);
    }
    json!({"apiVersion":"apps/v1","kind":"ReplicaSet",
        "metadata":{"name":format!("{dname}-{hash}"),"namespace":meta["namespace"],"uid":uid,
            "generation":1,"creationTimestamp":created,"labels":labels,"annotations":annotations,
            "ownerReferences":[owner("apps/v1","Deployment",dname,meta["uid"].as_str().unwrap_or_default())]},
        "spec":{"replicas":replicas,"minReadySeconds":0,"selector":selector,"template":template},
        "status":{"replicas":0,"observedGeneration":1}})
}

/// A controller owner reference.
pub fn owner(api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
    json!({"apiVersion":api_version,"kind":kind,"name":name,"uid":uid,
        "controller":true,"blockOwnerDeletion":true})
}

/// A new pod of a ReplicaSet, Pending and scheduled to `node`.
pub fn pod(rs: &Value, name: &str, node: &str, uid: &str, created: &str) -> Value {
    owned_pod(rs, &rs["spec"]["template"], name, node, (uid, created))
}

/// A new pod from `template` controlled by `ctl` (a ReplicaSet, StatefulSet or DaemonSet),
/// Pending and scheduled to `node`; `id` is the pod's uid and creation time.
pub fn owned_pod(ctl: &Value, template: &Value, name: &str, node: &str, id: (&str, &str)) -> Value {
    let (uid, created) = id;
    let meta = &ctl["metadata"];
    let ctl_name = meta["name"].as_str().unwrap_or_default();
    let mut spec = template["spec"].clone();
    spec["nodeName"] = json!(node);
    spec["serviceAccountName"] = json!("default");
    let owner_ref = owner(
        ctl["apiVersion"].as_str().unwrap_or("apps/v1"),
        ctl["kind"].as_str().unwrap_or("ReplicaSet"),
        ctl_name,
        meta["uid"].as_str().unwrap_or_default(),
    );
    let mut p = json!({"apiVersion":"v1","kind":"Pod",
        "metadata":{"name":name,"generateName":format!("{ctl_name}-"),"namespace":meta["namespace"],
            "uid":uid,"creationTimestamp":created,"labels":template["metadata"]["labels"],
            "ownerReferences":[owner_ref]},
        "spec":spec,"status":{"phase":"Pending","qosClass":"Burstable"}});
    if let Some(a) = template["metadata"]["annotations"].as_object() {
        p["metadata"]["annotations"] = Value::Object(a.clone());
    }
    p
}

/// What a pod's containers do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Behavior {
    Healthy,
    CrashLoop,
    Oom,
    ImagePull,
}

/// The behaviour a pod (or template) asks for: images containing "bad" crash-loop.
pub fn behavior_of(obj: &Value) -> Behavior {
    let images = obj["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["image"].as_str());
    behavior(obj["metadata"]["annotations"][BEHAVIOR].as_str(), images)
}

/// The behaviour the [`BEHAVIOR`] annotation asks for, else the images' ("bad" crash-loops).
pub fn behavior<'a>(
    annotation: Option<&str>,
    mut images: impl Iterator<Item = &'a str>,
) -> Behavior {
    match annotation.unwrap_or_default() {
        "crashloop" => Behavior::CrashLoop,
        "oom" => Behavior::Oom,
        "imagepull" => Behavior::ImagePull,
        _ if images.any(|i| i.contains("bad")) => Behavior::CrashLoop,
        _ => Behavior::Healthy,
    }
}

/// The observable state of a pod's containers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PodState {
    /// Scheduled, containers being created.
    Pending,
    /// Running, readiness not yet passing.
    Starting,
    /// Running and ready.
    Ready,
    /// Just crashed with (reason, exit code); now backing off.
    Crashed(&'static str, i64),
    /// Image cannot be pulled.
    ImagePull,
    /// Completed or failed phase set by a test.
    Phase(&'static str),
}

/// Rewrites `status` for `state`, keeping restart counts and last states. `crashed` bumps the
/// restart count.
pub fn set_pod_status(pod: &mut Value, state: PodState, ip: &str, now: &str) {
    let old = pod["status"]["containerStatuses"].clone();
    let started = pod["status"]["startTime"]
        .as_str()
        .unwrap_or(now)
        .to_string();
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ready = state == PodState::Ready;
    let statuses: Vec<Value> = containers
        .iter()
        .enumerate()
        .map(|(i, c)| container_status(c, &old[i], state, now))
        .collect();
    let phase = match state {
        PodState::Pending | PodState::ImagePull => "Pending",
        PodState::Phase(p) => p,
        _ => "Running",
    };
    let cond = |t: &str, ok: bool| {
        let mut c = json!({"type":t,"status":if ok {"True"} else {"False"},"lastProbeTime":null,
            "lastTransitionTime":now});
        if !ok && (t == "Ready" || t == "ContainersReady") {
            c["reason"] = json!("ContainersNotReady");
        }
        c
    };
    let mut status = json!({"phase":phase,"hostIP":"10.0.0.10","startTime":started,"qosClass":"Burstable",
        "conditions":[cond("PodReadyToStartContainers", state != PodState::Pending),
            cond("Initialized", true), cond("Ready", ready), cond("ContainersReady", ready),
            cond("PodScheduled", true)],
        "containerStatuses":statuses});
    if state != PodState::Pending {
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{ "ip": ip }]);
    }
    pod["status"] = status;
}

fn container_status(c: &Value, old: &Value, state: PodState, now: &str) -> Value {
    let mut restarts = old["restartCount"].as_i64().unwrap_or(0);
    let mut last = old["lastState"].clone();
    let running = json!({"running":{"startedAt":now}});
    let (st, ready, started) = match state {
        PodState::Pending => (
            json!({"waiting":{"reason":"ContainerCreating"}}),
            false,
            false,
        ),
        PodState::ImagePull => (
            json!({"waiting":{"reason":"ImagePullBackOff",
                "message":format!("Back-off pulling image {:?}", c["image"].as_str().unwrap_or_default())}}),
            false,
            false,
        ),
        PodState::Starting => (keep_running(old, running), false, true),
        PodState::Ready => (keep_running(old, running), true, true),
        PodState::Crashed(reason, code) => {
            restarts += 1;
            last = json!({"terminated":{"exitCode":code,"reason":reason,
                "startedAt":old["state"]["running"]["startedAt"].as_str().unwrap_or(now),"finishedAt":now,
                "containerID":format!("containerd://{:016x}", restarts)}});
            let backoff = (10 * (1i64 << restarts.min(5))).min(300);
            let msg = format!(
                "back-off {backoff}s restarting failed container={} pod=",
                c["name"].as_str().unwrap_or_default()
            );
            (
                json!({"waiting":{"reason":"CrashLoopBackOff","message":msg}}),
                false,
                false,
            )
        }
        PodState::Phase(p) => {
            let code = if p == "Succeeded" { 0 } else { 1 };
            let reason = if code == 0 { "Completed" } else { "Error" };
            (
                json!({"terminated":{"exitCode":code,"reason":reason,"startedAt":now,"finishedAt":now}}),
                false,
                false,
            )
        }
    };
    let image = c["image"].as_str().unwrap_or_default();
    json!({"name":c["name"],"image":image,"imageID":format!("{image}@sha256:{:064x}", image.len()),
        "containerID":format!("containerd://{:064x}", restarts + 1),"ready":ready,"started":started,
        "restartCount":restarts,"state":st,"lastState":if last.is_null() {json!({})} else {last}})
}

fn keep_running(old: &Value, fresh: Value) -> Value {
    if old["state"]["running"].is_object() {
        old["state"].clone()
    } else {
        fresh
    }
}

/// A core/v1 Event about an object.
#[allow(clippy::too_many_arguments)]
pub fn event(
    ns: &str,
    name: &str,
    involved: &Value,
    etype: &str,
    reason: &str,
    message: &str,
    component: &str,
    now: &str,
) -> Value {
    let meta = &involved["metadata"];
    json!({"apiVersion":"v1","kind":"Event",
        "metadata":{"name":name,"namespace":ns,"creationTimestamp":now},
        "involvedObject":{"kind":involved["kind"],"namespace":ns,"name":meta["name"],"uid":meta["uid"],
            "apiVersion":involved["apiVersion"],"resourceVersion":meta["resourceVersion"]},
        "reason":reason,"message":message,"source":{"component":component},
        "firstTimestamp":now,"lastTimestamp":now,"count":1,"type":etype,
        "reportingComponent":component,"reportingInstance":""})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_hash_ignores_hash_label_and_nulls() {
        let t = pod_template("web", "img:1", None);
        let mut t2 = t.clone();
        t2["metadata"]["labels"][HASH_LABEL] = json!("abc");
        t2["metadata"]["creationTimestamp"] = Value::Null;
        assert_eq!(template_hash(&t), template_hash(&t2));
        assert_eq!(canonical_template(&t), canonical_template(&t2));
        let t3 = pod_template("web", "img:2", None);
        assert_ne!(template_hash(&t), template_hash(&t3));
    }

    #[test]
    fn crash_bumps_restarts() {
        let mut rng = rand::rng();
        let d = deployment(
            "ns",
            "web",
            &uid(&mut rng),
            1,
            pod_template("web", "i", None),
            &now(),
        );
        let rs = replicaset(&d, "abc", 1, 1, "u", &now());
        let mut p = pod(&rs, "web-abc-x", "n1", "u2", &now());
        set_pod_status(&mut p, PodState::Ready, "10.0.0.1", &now());
        set_pod_status(
            &mut p,
            PodState::Crashed("OOMKilled", 137),
            "10.0.0.1",
            &now(),
        );
        let cs = &p["status"]["containerStatuses"][0];
        assert_eq!(cs["restartCount"], 1);
        assert_eq!(cs["lastState"]["terminated"]["reason"], "OOMKilled");
        assert_eq!(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
    }
}
