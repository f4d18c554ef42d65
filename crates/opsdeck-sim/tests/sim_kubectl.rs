//! The real kubectl against the simulator. kubectl must be on PATH: a missing kubectl fails
//! these tests, it never skips them.

mod harness;

use harness::{Harness, PATIENCE, read, wait_until};

#[test]
fn get_pods_all_namespaces_and_deployments() {
    let h = Harness::new();
    let out = h.ok(&["get", "pods", "-A"]);
    assert!(out.starts_with("NAMESPACE"), "{out}");
    assert!(out.contains("RESTARTS"), "{out}");
    assert!(
        out.lines().filter(|l| l.contains("Running")).count() >= 50,
        "{out}"
    );
    let out = h.ok(&["get", "deploy", "-A"]);
    assert!(
        out.contains("UP-TO-DATE") && out.contains("checkout"),
        "{out}"
    );
    let out = h.ok(&["get", "rs,ns,nodes", "-A"]);
    assert!(
        out.contains("DESIRED") && out.contains("Active") && out.contains("worker-000"),
        "{out}"
    );
}

#[test]
fn get_pods_watch_sees_a_crash() {
    let h = Harness::new();
    let pod = h.first_pod("shop", "frontend");
    let (_child, out) = h.spawn(&["get", "pods", "-n", "shop", "-w"]);
    wait_until("initial listing", || read(&out).contains(&pod));
    h.sim.control().crash_pod("shop", &pod).unwrap();
    wait_until("the crash in the watch output", || {
        read(&out)
            .lines()
            .any(|l| l.contains(&pod) && l.contains("CrashLoopBackOff"))
    });
}

#[test]
fn describe_pod_shows_events() {
    let h = Harness::new();
    let pod = h.first_pod("shop", "checkout");
    let out = h.ok(&["describe", "pod", "-n", "shop", &pod]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("Name:") && l.ends_with(&pod)),
        "{out}"
    );
    assert!(out.contains("Events:"), "{out}");
    assert!(out.contains("Scheduled"), "{out}");
}

#[test]
fn logs_follow_tail() {
    let h = Harness::new();
    let pod = h.first_pod("payments", "payments-api");
    let (_child, out) = h.spawn(&["logs", "-f", "--tail=5", "-n", "payments", &pod]);
    wait_until("5 tail lines and then followed lines", || {
        read(&out).lines().count() >= 8
    });
    let (status, text, _) = h.run_for(&["logs", "--tail=5", "-n", "payments", &pod], PATIENCE);
    assert!(status.success());
    assert_eq!(text.lines().count(), 5, "{text}");
}

#[test]
fn delete_pod_is_replaced() {
    let h = Harness::new();
    let pod = h.first_pod("shop", "inventory");
    let out = h.ok(&["delete", "pod", "-n", "shop", &pod]);
    assert!(out.contains("deleted"), "{out}");
    wait_until("a replacement pod", || {
        let names = h.ok(&[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            "app=inventory",
            "-o",
            "name",
        ]);
        !names.contains(&pod) && names.lines().count() == 5
    });
}

#[test]
fn rollout_restart_history_undo_status() {
    let h = Harness::new();
    let d = ["-n", "shop", "deploy/frontend"];
    let template = || {
        h.ok(&[
            "get",
            "-n",
            "shop",
            "deploy/frontend",
            "-o",
            "jsonpath={.spec.template.metadata.annotations}",
        ])
    };
    assert!(!template().contains("restartedAt"));
    assert!(
        h.ok(&[&["rollout", "restart"][..], &d].concat())
            .contains("restarted")
    );
    assert!(template().contains("kubectl.kubernetes.io/restartedAt"));
    let out = h.ok(&[&["rollout", "status", "--timeout=60s"][..], &d].concat());
    assert!(out.contains("successfully rolled out"), "{out}");
    let out = h.ok(&[&["rollout", "history"][..], &d].concat());
    assert!(
        out.contains("REVISION") && out.lines().any(|l| l.starts_with('2')),
        "{out}"
    );
    assert!(
        h.ok(&[&["rollout", "undo"][..], &d].concat())
            .contains("rolled back")
    );
    assert!(
        !template().contains("restartedAt"),
        "template must return to revision 1"
    );
    let out = h.ok(&[&["rollout", "status", "--timeout=60s"][..], &d].concat());
    assert!(out.contains("successfully rolled out"), "{out}");
    let rev = h.ok(&[
        "get",
        "-n",
        "shop",
        "deploy/frontend",
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    ]);
    assert_eq!(rev, "3");
    let out = h.ok(&[&["rollout", "history"][..], &d].concat());
    assert!(
        out.lines().any(|l| l.starts_with('3')) && !out.lines().any(|l| l.starts_with('1')),
        "{out}"
    );
}

#[test]
fn scale_reaches_replicas() {
    let h = Harness::new();
    assert!(
        h.ok(&[
            "scale",
            "-n",
            "platform",
            "deploy/api-gateway",
            "--replicas=8"
        ])
        .contains("scaled")
    );
    wait_until("8 ready replicas", || {
        h.ok(&[
            "get",
            "-n",
            "platform",
            "deploy/api-gateway",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ]) == "8"
    });
    h.ok(&[
        "scale",
        "-n",
        "platform",
        "deploy/api-gateway",
        "--replicas=2",
    ]);
    wait_until("2 replicas", || {
        h.ok(&[
            "get",
            "-n",
            "platform",
            "deploy/api-gateway",
            "-o",
            "jsonpath={.status.replicas}",
        ]) == "2"
    });
}

#[test]
fn auth_can_i_and_readonly_enforced() {
    let h = Harness::new();
    let (status, out, _) = h.run_for(&["auth", "can-i", "delete", "pods"], PATIENCE);
    assert!(status.success() && out.trim() == "yes", "{out}");
    let ro = ["--context", "opsdeck-sim-readonly"];
    let (status, out, _) = h.run_for(
        &[&ro[..], &["auth", "can-i", "delete", "pods"]].concat(),
        PATIENCE,
    );
    assert!(!status.success() && out.trim().starts_with("no"), "{out}");
    let (status, out, _) = h.run_for(
        &[&ro[..], &["auth", "can-i", "list", "pods"]].concat(),
        PATIENCE,
    );
    assert!(status.success() && out.trim() == "yes", "{out}");
    let pod = h.first_pod("shop", "checkout");
    let (status, _, err) = h.run_for(
        &[&ro[..], &["delete", "pod", "-n", "shop", &pod]].concat(),
        PATIENCE,
    );
    assert!(!status.success() && err.contains("Forbidden"), "{err}");
    assert!(
        h.ok(&[&ro[..], &["get", "pods", "-n", "shop"]].concat())
            .contains(&pod)
    );
}

#[test]
fn apply_and_delete_a_deployment() {
    let h = Harness::new();
    let manifest = h.dir.path().join("web.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n\
         spec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    \
         metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n",
    )
    .unwrap();
    let file = manifest.to_str().unwrap();
    assert!(
        h.ok(&["apply", "--validate=false", "-f", file])
            .contains("created")
    );
    let out = h.ok(&[
        "rollout",
        "status",
        "-n",
        "shop",
        "deploy/web",
        "--timeout=60s",
    ]);
    assert!(out.contains("successfully rolled out"), "{out}");
    assert!(h.ok(&["delete", "-f", file]).contains("deleted"));
    wait_until("the pods to go", || {
        h.ok(&["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"])
            .is_empty()
    });
}
