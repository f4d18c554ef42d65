//! The real kubectl against the simulator's StatefulSets, DaemonSets, ControllerRevisions and
//! metrics.k8s.io: get, scale, `rollout status|history|undo|restart` and `top`, with kube's
//! semantics (ordered rollout, partition, OnDelete, forced rollback, revision reuse on undo).

mod harness;

use std::time::{Duration, Instant};

use harness::{Harness, PATIENCE, wait_until};
use opsdeck_sim::{Scenario, SimConfig};

fn incident() -> Harness {
    Harness::with(SimConfig {
        scenario: Scenario::Incident,
        ..SimConfig::default()
    })
}

fn jsonpath(h: &Harness, ns: &str, what: &str, path: &str) -> String {
    h.ok(&["get", "-n", ns, what, "-o", &format!("jsonpath={path}")])
}

/// (name, revision label, ready, status) of an app's pods that are not terminating.
fn pods(h: &Harness, ns: &str, app: &str) -> Vec<(String, String, bool, String)> {
    h.ok(&["get", "pods", "-n", ns, "-l", &format!("app={app}"), "--no-headers", "-o",
        "custom-columns=N:.metadata.name,R:.metadata.labels.controller-revision-hash,OK:.status.containerStatuses[0].ready,DEL:.metadata.deletionTimestamp"])
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 4 && f[3] == "<none>")
                .then(|| (f[0].to_string(), f[1].to_string(), f[2] == "true", l.to_string()))
        })
        .collect()
}

/// Whether pod `name` exists and is in CrashLoopBackOff (it may be between two incarnations).
fn crash_looping(h: &Harness, ns: &str, name: &str) -> bool {
    h.ok(&["get", "pods", "-n", ns, "--no-headers"])
        .lines()
        .any(|l| l.starts_with(&format!("{name} ")) && l.contains("CrashLoopBackOff"))
}

fn revision_of(h: &Harness, ns: &str, pod: &str) -> String {
    jsonpath(
        h,
        ns,
        &format!("pod/{pod}"),
        "{.metadata.labels.controller-revision-hash}",
    )
}

fn history_revisions(h: &Harness, ns: &str, what: &str) -> Vec<String> {
    h.ok(&["rollout", "history", "-n", ns, what])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .map(str::to_string)
        .collect()
}

fn rollout_status(h: &Harness, ns: &str, what: &str) -> String {
    h.ok(&["rollout", "status", "-n", ns, what, "--timeout=120s"])
}

#[test]
fn get_statefulsets_daemonsets_and_revisions() {
    let h = Harness::new();
    let out = h.ok(&["get", "sts,ds,controllerrevisions", "-A"]);
    assert!(
        out.lines()
            .any(|l| l.contains("statefulset.apps/postgres") && l.contains("3/3")),
        "{out}"
    );
    let ds = out
        .lines()
        .find(|l| l.contains("daemonset.apps/log-shipper"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        ds.split_whitespace().collect::<Vec<_>>()[2..8],
        ["3", "3", "3", "3", "3", "<none>"],
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("controllerrevision.apps/postgres-")
                && l.contains("statefulset.apps/postgres")
                && l.split_whitespace().nth(3) == Some("1")),
        "{out}"
    );
    let wide = h.ok(&["get", "sts", "-n", "payments", "-o", "wide"]);
    assert!(
        wide.contains("IMAGES") && wide.contains("postgres:16.4"),
        "{wide}"
    );
    let all = h.ok(&["get", "all", "-n", "platform"]);
    assert!(all.contains("daemonset.apps/log-shipper"), "{all}");
    let res = h.ok(&["api-resources", "--api-group=apps"]);
    for r in ["statefulsets", "daemonsets", "controllerrevisions"] {
        assert!(res.contains(r), "{res}");
    }
    // Pods carry the revision they run and their identity.
    let pod = h.ok(&[
        "get",
        "pod",
        "-n",
        "payments",
        "postgres-1",
        "-o",
        "jsonpath={.metadata.labels}",
    ]);
    assert!(
        pod.contains("\"controller-revision-hash\":\"postgres-")
            && pod.contains("\"statefulset.kubernetes.io/pod-name\":\"postgres-1\""),
        "{pod}"
    );
}

#[test]
fn statefulset_restart_status_history_and_undo() {
    let h = Harness::new();
    let sts = ["-n", "payments", "sts/postgres"];
    let template = || {
        jsonpath(
            &h,
            "payments",
            "sts/postgres",
            "{.spec.template.metadata.annotations}",
        )
    };
    let first = jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}");
    assert!(
        h.ok(&[&["rollout", "restart"][..], &sts].concat())
            .contains("restarted")
    );
    assert!(template().contains("kubectl.kubernetes.io/restartedAt"));
    let out = rollout_status(&h, "payments", "sts/postgres");
    assert!(
        out.contains("partitioned roll out complete: 3 new pods"),
        "{out}"
    );
    let second = jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}");
    assert_ne!(first, second);
    wait_until("every pod at the new revision", || {
        let p = pods(&h, "payments", "postgres");
        p.len() == 3 && p.iter().all(|(_, rev, ready, _)| *rev == second && *ready)
    });
    assert_eq!(
        jsonpath(&h, "payments", "sts/postgres", "{.status.currentRevision}"),
        second
    );
    assert_eq!(
        history_revisions(&h, "payments", "sts/postgres"),
        ["1", "2"]
    );
    let rev2 = h.ok(&[&["rollout", "history", "--revision=2"][..], &sts].concat());
    assert!(rev2.contains("kubectl.kubernetes.io/restartedAt"), "{rev2}");
    let rev1 = h.ok(&[&["rollout", "history", "--revision=1"][..], &sts].concat());
    assert!(
        !rev1.contains("restartedAt") && rev1.contains("postgres:16.4"),
        "{rev1}"
    );

    assert!(
        h.ok(&[&["rollout", "undo"][..], &sts].concat())
            .contains("rolled back")
    );
    assert!(
        !template().contains("restartedAt"),
        "template must return to revision 1"
    );
    rollout_status(&h, "payments", "sts/postgres");
    // The revision of the old template is reused and renumbered, as kube does.
    assert_eq!(
        jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}"),
        first
    );
    assert_eq!(
        history_revisions(&h, "payments", "sts/postgres"),
        ["2", "3"]
    );
    let skipped = h.ok(&[&["rollout", "undo", "--to-revision=3"][..], &sts].concat());
    assert!(
        skipped.contains("skipped rollback (current template already matches revision 3)"),
        "{skipped}"
    );
    let (status, _, err) = h.run_for(
        &[&["rollout", "undo", "--to-revision=9"][..], &sts].concat(),
        PATIENCE,
    );
    assert!(
        !status.success() && err.contains("unable to find specified revision 9"),
        "{err}"
    );
    let ro = ["--context", "opsdeck-sim-readonly"];
    let (status, _, err) = h.run_for(&[&ro[..], &["rollout", "restart"], &sts].concat(), PATIENCE);
    assert!(!status.success() && err.contains("forbidden"), "{err}");
}

#[test]
fn incident_statefulset_revision_crash_loops_and_undo_recovers_it() {
    let h = incident();
    let sts = ["-n", "shop", "sts/kafka"];
    wait_until("kafka-2 crash-looping at the new revision", || {
        crash_looping(&h, "shop", "kafka-2")
    });
    let (good, bad) = (
        jsonpath(&h, "shop", "sts/kafka", "{.status.currentRevision}"),
        jsonpath(&h, "shop", "sts/kafka", "{.status.updateRevision}"),
    );
    assert_ne!(good, bad);
    assert_eq!(revision_of(&h, "shop", "kafka-2"), bad);
    // The rollout is stalled: the lower ordinals keep the old revision.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(revision_of(&h, "shop", "kafka-1"), good);
    assert_eq!(revision_of(&h, "shop", "kafka-0"), good);
    let (status, out, _) = h.run_for(
        &[&["rollout", "status", "--timeout=2s"][..], &sts].concat(),
        PATIENCE,
    );
    assert!(
        !status.success() && out.contains("Waiting for 1 pods to be ready"),
        "{out}"
    );
    let history = h.ok(&[&["rollout", "history"][..], &sts].concat());
    assert!(
        history
            .lines()
            .any(|l| l.starts_with('2') && l.contains("kubectl set image statefulset/kafka")),
        "{history}"
    );
    let rev2 = h.ok(&[&["rollout", "history", "--revision=2"][..], &sts].concat());
    assert!(rev2.contains("kafka:3.8.1-bad"), "{rev2}");

    assert!(
        h.ok(&[&["rollout", "undo"][..], &sts].concat())
            .contains("rolled back")
    );
    let out = rollout_status(&h, "shop", "sts/kafka");
    assert!(out.contains("complete"), "{out}");
    wait_until(
        "every kafka pod back at the good revision and ready",
        || {
            let p = pods(&h, "shop", "kafka");
            p.len() == 3 && p.iter().all(|(_, rev, ready, _)| *rev == good && *ready)
        },
    );
    assert_eq!(history_revisions(&h, "shop", "sts/kafka"), ["2", "3"]);
}

#[test]
fn ordered_ready_statefulset_needs_a_forced_rollback() {
    let h = Harness::new();
    let sts = ["-n", "payments", "sts/postgres"];
    let good = jsonpath(&h, "payments", "sts/postgres", "{.status.currentRevision}");
    h.ok(&[
        &["set", "image"][..],
        &sts,
        &["postgres=registry.example.com/payments/postgres:17.0-bad"],
    ]
    .concat());
    wait_until("postgres-2 crash-looping", || {
        crash_looping(&h, "payments", "postgres-2")
    });
    assert!(
        h.ok(&[&["rollout", "undo"][..], &sts].concat())
            .contains("rolled back")
    );
    wait_until("the template back at the good revision", || {
        jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}") == good
    });
    // Like kube: OrderedReady waits for the broken pod to become ready, which it never does.
    std::thread::sleep(Duration::from_secs(4));
    assert_ne!(revision_of(&h, "payments", "postgres-2"), good);
    assert_eq!(
        jsonpath(&h, "payments", "sts/postgres", "{.status.readyReplicas}"),
        "2"
    );
    h.ok(&["delete", "pod", "-n", "payments", "postgres-2"]);
    rollout_status(&h, "payments", "sts/postgres");
    wait_until("postgres-2 recreated at the good revision", || {
        pods(&h, "payments", "postgres")
            .iter()
            .any(|(n, rev, ready, _)| n == "postgres-2" && *rev == good && *ready)
    });
}

#[test]
fn statefulset_partition_and_on_delete() {
    let h = Harness::new();
    let sts = ["-n", "payments", "sts/postgres"];
    let old = jsonpath(&h, "payments", "sts/postgres", "{.status.currentRevision}");
    h.ok(&[
        &["patch"][..],
        &sts,
        &[
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}"#,
        ],
    ]
    .concat());
    h.ok(&[&["set", "env"][..], &sts, &["FOO=1"]].concat());
    let out = rollout_status(&h, "payments", "sts/postgres");
    assert!(
        out.contains("partitioned roll out complete: 1 new pods have been updated"),
        "{out}"
    );
    let new = jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}");
    assert_ne!(old, new);
    assert_eq!(revision_of(&h, "payments", "postgres-2"), new);
    assert_eq!(revision_of(&h, "payments", "postgres-1"), old);
    assert_eq!(revision_of(&h, "payments", "postgres-0"), old);
    assert_eq!(
        jsonpath(&h, "payments", "sts/postgres", "{.status.currentRevision}"),
        old
    );

    h.ok(&[
        &["patch"][..],
        &sts,
        &[
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
        ],
    ]
    .concat());
    rollout_status(&h, "payments", "sts/postgres");
    wait_until("the rollout complete past the partition", || {
        jsonpath(&h, "payments", "sts/postgres", "{.status.currentRevision}") == new
    });

    h.ok(&[
        &["patch"][..],
        &sts,
        &[
            "-p",
            r#"{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}"#,
        ],
    ]
    .concat());
    h.ok(&[&["set", "env"][..], &sts, &["FOO=2"]].concat());
    wait_until("the OnDelete revision observed", || {
        jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}") != new
    });
    let on_delete = jsonpath(&h, "payments", "sts/postgres", "{.status.updateRevision}");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        pods(&h, "payments", "postgres")
            .iter()
            .all(|(_, rev, _, _)| *rev == new)
    );
    let (status, _, err) = h.run_for(&[&["rollout", "status"][..], &sts].concat(), PATIENCE);
    assert!(
        !status.success() && err.contains("only available for RollingUpdate"),
        "{err}"
    );
    h.ok(&["delete", "pod", "-n", "payments", "postgres-0"]);
    wait_until("postgres-0 recreated at the new revision", || {
        pods(&h, "payments", "postgres")
            .iter()
            .any(|(n, rev, ready, _)| n == "postgres-0" && *rev == on_delete && *ready)
    });
    assert_eq!(revision_of(&h, "payments", "postgres-1"), new);
}

#[test]
fn scale_statefulset_creates_and_removes_in_order() {
    let h = Harness::new();
    let out = h.ok(&["scale", "-n", "payments", "sts/postgres", "--replicas=5"]);
    assert!(out.contains("scaled"), "{out}");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let p = pods(&h, "payments", "postgres");
        let has = |n: &str| p.iter().find(|x| x.0 == n);
        if let Some(four) = has("postgres-4") {
            // postgres-4 is only created once postgres-3 is running and ready.
            assert!(has("postgres-3").is_some_and(|x| x.2), "{p:?}");
            if four.2 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "never scaled up: {p:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_until("5 ready replicas", || {
        jsonpath(&h, "payments", "sts/postgres", "{.status.readyReplicas}") == "5"
    });
    h.ok(&["scale", "-n", "payments", "sts/postgres", "--replicas=2"]);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let names: Vec<String> = pods(&h, "payments", "postgres")
            .into_iter()
            .map(|p| p.0)
            .collect();
        // The highest ordinal goes first: a lower one never leaves before a higher one.
        for (low, high) in [(2, 3), (3, 4)] {
            let present = |i: i32| names.contains(&format!("postgres-{i}"));
            assert!(present(low) || !present(high), "{names:?}");
        }
        if names.len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "never scaled down: {names:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_until("2 replicas in status", || {
        jsonpath(&h, "payments", "sts/postgres", "{.status.replicas}") == "2"
    });
    let scale = h.ok(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/payments/statefulsets/postgres/scale",
    ]);
    assert!(
        scale.contains("\"kind\":\"Scale\"") && scale.contains("\"replicas\":2"),
        "{scale}"
    );
}

#[test]
fn daemonset_restart_status_history_and_undo() {
    let h = Harness::new();
    let ds = ["-n", "platform", "ds/log-shipper"];
    let pods_hashes = || {
        pods(&h, "platform", "log-shipper")
            .into_iter()
            .map(|p| p.1)
            .collect::<Vec<_>>()
    };
    let first = pods_hashes();
    assert_eq!(first.len(), 3);
    assert!(
        h.ok(&[&["rollout", "restart"][..], &ds].concat())
            .contains("restarted")
    );
    let out = rollout_status(&h, "platform", "ds/log-shipper");
    assert!(out.contains("successfully rolled out"), "{out}");
    wait_until("one new pod per node", || {
        let now = pods_hashes();
        now.len() == 3 && now.iter().all(|h| *h != first[0]) && now.iter().all(|h| *h == now[0])
    });
    let nodes = h.ok(&[
        "get",
        "pods",
        "-n",
        "platform",
        "-l",
        "app=log-shipper",
        "-o",
        "jsonpath={.items[*].spec.nodeName}",
    ]);
    let mut nodes: Vec<&str> = nodes.split_whitespace().collect();
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes, ["worker-000", "worker-001", "worker-002"]);
    assert_eq!(
        history_revisions(&h, "platform", "ds/log-shipper"),
        ["1", "2"]
    );
    let rev2 = h.ok(&[&["rollout", "history", "--revision=2"][..], &ds].concat());
    assert!(rev2.contains("kubectl.kubernetes.io/restartedAt"), "{rev2}");

    assert!(
        h.ok(&[&["rollout", "undo"][..], &ds].concat())
            .contains("rolled back")
    );
    rollout_status(&h, "platform", "ds/log-shipper");
    wait_until("every pod back at the first revision", || {
        let now = pods_hashes();
        now.len() == 3 && now.iter().all(|h| *h == first[0])
    });
    assert_eq!(
        history_revisions(&h, "platform", "ds/log-shipper"),
        ["2", "3"]
    );
    let skipped = h.ok(&[&["rollout", "undo", "--to-revision=3"][..], &ds].concat());
    assert!(skipped.contains("skipped rollback"), "{skipped}");
    assert_eq!(
        jsonpath(
            &h,
            "platform",
            "ds/log-shipper",
            "{.metadata.annotations.deprecated\\.daemonset\\.template\\.generation}"
        ),
        "3"
    );
}

#[test]
fn top_pods_and_nodes() {
    let h = incident();
    let out = h.ok(&["top", "pods", "-n", "payments"]);
    assert!(
        out.starts_with("NAME") && out.contains("MEMORY(bytes)"),
        "{out}"
    );
    // postgres-0 is near its 1Gi memory limit.
    let mem = out
        .lines()
        .find(|l| l.starts_with("postgres-0 "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|m| m.strip_suffix("Mi"))
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(mem >= 922, "{mem}Mi of 1024Mi: {out}");
    let sel = h.ok(&["top", "pods", "-n", "shop", "-l", "app=kafka"]);
    assert!(
        sel.contains("kafka-0") && !sel.contains("checkout"),
        "{sel}"
    );
    let containers = h.ok(&["top", "pod", "-n", "payments", "postgres-1", "--containers"]);
    assert!(
        containers
            .lines()
            .any(|l| l.starts_with("postgres-1") && l.contains(" postgres ")),
        "{containers}"
    );
    let all = h.ok(&["top", "pods", "-A"]);
    assert!(
        all.contains("NAMESPACE") && all.contains("log-shipper-"),
        "{all}"
    );
    let nodes = h.ok(&["top", "nodes"]);
    assert!(
        nodes.contains("CPU(%)") && nodes.contains("worker-002"),
        "{nodes}"
    );
}

#[test]
fn apply_and_delete_a_statefulset_and_a_daemonset() {
    let h = Harness::new();
    let manifest = h.dir.path().join("sets.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: shop}\n\
         spec:\n  replicas: 2\n  serviceName: web\n  selector: {matchLabels: {app: web}}\n  template:\n    \
         metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n\
         ---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\n\
         spec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    \
         metadata: {labels: {app: agent}}\n    spec: {containers: [{name: agent, image: agent:1}]}\n",
    )
    .unwrap();
    let file = manifest.to_str().unwrap();
    let out = h.ok(&["apply", "--validate=false", "-f", file]);
    assert!(
        out.contains("statefulset.apps/web created")
            && out.contains("daemonset.apps/agent created"),
        "{out}"
    );
    rollout_status(&h, "shop", "sts/web");
    rollout_status(&h, "shop", "ds/agent");
    let revs = h.ok(&[
        "get",
        "controllerrevisions",
        "-n",
        "shop",
        "-l",
        "app in (web,agent)",
        "--no-headers",
    ]);
    assert_eq!(revs.lines().count(), 2, "{revs}");
    assert!(h.ok(&["delete", "-f", file]).contains("deleted"));
    wait_until("the pods and revisions to go", || {
        h.ok(&[
            "get",
            "pods,controllerrevisions",
            "-n",
            "shop",
            "-l",
            "app in (web,agent)",
            "-o",
            "name",
        ])
        .is_empty()
    });
}
