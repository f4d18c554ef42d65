//! StatefulSet and DaemonSet commands through the executor, checked for parity with the real
//! kubectl: two simulators started alike (twins) get the same changes, then twin A is rolled
//! back by `kubectl rollout undo` and twin B by opsdeck's `Command::UndoRollout`; both must
//! end with the same pod template, the same ControllerRevision history and the same
//! `kubectl rollout history`. Plus the guards around it: skip, conflict, dry run, read-only.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};
use opsdeck::cluster::ClusterConfig;
use opsdeck::command::{Command, CommandRequest, Target, Undo};
use opsdeck::exec::Executor;
use opsdeck::exec::audit::AuditLog;
use opsdeck::model::rollout::{RESTARTED_AT, UndoPreview, WorkloadKind};
use opsdeck::update::{Outcome, Update};
use opsdeck_sim::{Scenario, SimConfig, Simulator};
use serde_json::Value;
use tokio::sync::mpsc;

const ADMIN: &str = "opsdeck-sim";
const KUBECTL: &str = "/usr/bin/kubectl";
/// Deadline for anything the simulator's controllers do in the background.
const PATIENCE: Duration = Duration::from_secs(30);

const STS: WorkloadKind = WorkloadKind::StatefulSet;
const DS: WorkloadKind = WorkloadKind::DaemonSet;

/// The workload of each kind every scenario has.
fn name_of(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::StatefulSet => "postgres",
        WorkloadKind::DaemonSet => "log-shipper",
        WorkloadKind::Deployment => unreachable!("not a set"),
    }
}

fn resource(kind: WorkloadKind) -> ApiResource {
    match kind {
        WorkloadKind::StatefulSet => ApiResource::erase::<StatefulSet>(&()),
        WorkloadKind::DaemonSet => ApiResource::erase::<DaemonSet>(&()),
        WorkloadKind::Deployment => unreachable!("not a set"),
    }
}

/// `statefulset/postgres`, as kubectl takes it.
fn kubectl_ref(kind: WorkloadKind) -> String {
    format!("{}/{}", kind.noun(), name_of(kind))
}

struct Cluster {
    _sim: Simulator,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    async fn start() -> Cluster {
        let config = SimConfig {
            scenario: Scenario::Steady,
            pods: 12,
            deployments: 4,
            namespaces: 3,
            churn_per_sec: 0.0,
            log_rate: 0.0,
            ..SimConfig::default()
        };
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config)
            .await
            .expect("the simulator must start");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        sim.write_kubeconfig(&kubeconfig).unwrap();
        Cluster {
            _sim: sim,
            dir,
            kubeconfig,
        }
    }

    /// Two simulators with the same configuration.
    async fn twins() -> (Cluster, Cluster) {
        (Cluster::start().await, Cluster::start().await)
    }

    fn config(&self) -> ClusterConfig {
        ClusterConfig {
            kubeconfig: Some(self.kubeconfig.clone()),
        }
    }

    async fn client(&self) -> Client {
        self.config().client(Some(ADMIN)).await.unwrap()
    }

    fn audit_path(&self) -> PathBuf {
        self.dir.path().join("audit.log")
    }

    fn audit(&self) -> String {
        std::fs::read_to_string(self.audit_path()).unwrap_or_default()
    }

    /// Run one command through the executor; the updates it sent, outcome last.
    async fn run(&self, readonly: bool, command: Command) -> (Outcome, Vec<Update>) {
        let (tx, mut rx) = mpsc::channel(64);
        let (cmd_tx, cmd_rx) = mpsc::channel(4);
        let executor = Executor {
            cluster: self.config(),
            readonly,
            audit: Some(AuditLog {
                path: self.audit_path(),
            }),
            tx,
            http: None,
            links: Default::default(),
        };
        let task = tokio::spawn(executor.run(cmd_rx));
        cmd_tx
            .send(CommandRequest {
                id: 7,
                command,
                incident: None,
            })
            .await
            .unwrap();
        let mut seen = Vec::new();
        let outcome = tokio::time::timeout(PATIENCE, async {
            loop {
                match rx.recv().await.expect("executor stopped") {
                    Update::CommandFinished { id: 7, outcome } => return outcome,
                    other => seen.push(other),
                }
            }
        })
        .await
        .expect("no outcome in time");
        task.abort();
        (outcome, seen)
    }

    /// The real kubectl on this simulator: (success, stdout, stderr).
    async fn kubectl_run(&self, args: &[&str]) -> (bool, String, String) {
        let mut command = tokio::process::Command::new(KUBECTL);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let out = tokio::time::timeout(PATIENCE, command.output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .expect("kubectl is required at /usr/bin/kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// kubectl, which must succeed; its stdout.
    async fn kubectl(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.kubectl_run(args).await;
        assert!(ok, "kubectl {args:?} failed: {err}\n{out}");
        out
    }

    /// The namespace of the kind's workload, as the API lists it.
    async fn namespace(&self, kind: WorkloadKind) -> String {
        let api: Api<DynamicObject> = Api::all_with(self.client().await, &resource(kind));
        let list = api.list(&ListParams::default()).await.unwrap().items;
        list.iter()
            .find(|o| o.metadata.name.as_deref() == Some(name_of(kind)))
            .and_then(|o| o.metadata.namespace.clone())
            .unwrap_or_else(|| panic!("no {} in the simulator", kubectl_ref(kind)))
    }

    async fn get(&self, kind: WorkloadKind, ns: &str) -> DynamicObject {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client().await, ns, &resource(kind));
        api.get(name_of(kind)).await.unwrap()
    }

    /// `(name, revision)` of the ControllerRevisions the workload controls, by revision.
    async fn history(&self, kind: WorkloadKind, ns: &str) -> Vec<(String, i64)> {
        let api: Api<ControllerRevision> = Api::namespaced(self.client().await, ns);
        let mut list: Vec<(String, i64)> = api
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|cr| {
                cr.metadata.owner_references.iter().flatten().any(|o| {
                    o.controller == Some(true) && o.kind == kind.kind() && o.name == name_of(kind)
                })
            })
            .map(|cr| (cr.metadata.name.unwrap_or_default(), cr.revision))
            .collect();
        list.sort_by_key(|(name, revision)| (*revision, name.clone()));
        list
    }

    async fn latest_revision(&self, kind: WorkloadKind, ns: &str) -> i64 {
        self.history(kind, ns)
            .await
            .iter()
            .map(|(_, r)| *r)
            .max()
            .unwrap_or(0)
    }

    /// Poll until the newest ControllerRevision of the workload is `revision`.
    async fn wait_revision(&self, kind: WorkloadKind, ns: &str, revision: i64) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let history = self.history(kind, ns).await;
            if history.iter().map(|(_, r)| *r).max() == Some(revision) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no revision {revision} in time; history {history:?}",
                kubectl_ref(kind)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `kubectl set image KIND/NAME CONTAINER=IMAGE` on the first container.
    async fn set_image(&self, kind: WorkloadKind, ns: &str, image: &str) {
        let container = first_container(&self.get(kind, ns).await).0;
        let out = self
            .kubectl(&[
                "set",
                "image",
                "-n",
                ns,
                &kubectl_ref(kind),
                &format!("{container}={image}"),
            ])
            .await;
        assert!(out.contains("image updated"), "{out}");
    }

    /// `kubectl set image` and wait for its ControllerRevision.
    async fn roll_to(&self, kind: WorkloadKind, ns: &str, image: &str) {
        let next = self.latest_revision(kind, ns).await + 1;
        self.set_image(kind, ns, image).await;
        self.wait_revision(kind, ns, next).await;
    }

    /// `kubectl rollout status` until the rollout is complete: from then on the controller
    /// leaves the object alone, so its resourceVersion only moves if someone writes it.
    async fn settle(&self, kind: WorkloadKind, ns: &str) {
        let out = self
            .kubectl(&[
                "rollout",
                "status",
                "--timeout=60s",
                "-n",
                ns,
                &kubectl_ref(kind),
            ])
            .await;
        assert!(
            out.contains("complete") || out.contains("successfully rolled out"),
            "{out}"
        );
    }

    /// `kubectl rollout history` of the workload.
    async fn rollout_history(&self, kind: WorkloadKind, ns: &str) -> String {
        self.kubectl(&["rollout", "history", "-n", ns, &kubectl_ref(kind)])
            .await
    }

    /// The undo the UI would build from what the API says now.
    async fn undo_seen(&self, kind: WorkloadKind, ns: &str, to_revision: u64) -> Undo {
        let obj = self.get(kind, ns).await;
        let from = self.latest_revision(kind, ns).await;
        Undo {
            kind,
            to_revision,
            from_revision: u64::try_from(from).unwrap(),
            resource_version: obj.metadata.resource_version.clone().unwrap(),
            generation: obj.metadata.generation.unwrap(),
        }
    }
}

fn target(kind: WorkloadKind, ns: &str) -> Target {
    Target {
        context: ADMIN.into(),
        namespace: ns.into(),
        name: name_of(kind).into(),
    }
}

fn template(obj: &DynamicObject) -> Value {
    obj.data["spec"]["template"].clone()
}

/// `(name, image)` of the template's first container.
fn first_container(obj: &DynamicObject) -> (String, String) {
    let c = &obj.data["spec"]["template"]["spec"]["containers"][0];
    (
        c["name"].as_str().unwrap_or_default().to_string(),
        c["image"].as_str().unwrap_or_default().to_string(),
    )
}

fn resource_version(obj: &DynamicObject) -> String {
    obj.metadata.resource_version.clone().unwrap_or_default()
}

/// The revision numbers of `kubectl rollout history` output.
fn revisions(history: &str) -> Vec<String> {
    history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u64>().is_ok())
        .map(str::to_string)
        .collect()
}

fn done(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Done(text) => text,
        other => panic!("expected success, got {other:?}"),
    }
}

fn failed(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Failed(text) => text,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn image(kind: WorkloadKind, tag: &str) -> String {
    format!("registry.example.com/test/{}:{tag}", name_of(kind))
}

/// Three revisions on both twins (two `kubectl set image`), then `kubectl rollout undo` on A
/// and opsdeck's undo on B, to `to` (kubectl's default, the previous revision, when `None`).
async fn undo_parity(kind: WorkloadKind, to: Option<u64>) {
    let (a, b) = Cluster::twins().await;
    let ns = a.namespace(kind).await;
    assert_eq!(b.namespace(kind).await, ns, "twins differ");
    let original = first_container(&a.get(kind, &ns).await).1;
    for twin in [&a, &b] {
        twin.roll_to(kind, &ns, &image(kind, "v2")).await;
        twin.roll_to(kind, &ns, &image(kind, "v3")).await;
    }
    assert_eq!(
        a.history(kind, &ns).await,
        b.history(kind, &ns).await,
        "twins differ before the undo"
    );
    assert_eq!(
        template(&a.get(kind, &ns).await),
        template(&b.get(kind, &ns).await),
        "twins differ before the undo"
    );

    // A: the real kubectl.
    let mut args = vec!["rollout", "undo", "-n", ns.as_str()];
    let reference = kubectl_ref(kind);
    args.push(&reference);
    let flag = to.map(|r| format!("--to-revision={r}"));
    if let Some(flag) = &flag {
        args.push(flag);
    }
    let out = a.kubectl(&args).await;
    assert!(out.contains("rolled back"), "kubectl: {out}");

    // B: opsdeck, from what the API says (kubectl's default is the previous revision, 2).
    let to_revision = to.unwrap_or(2);
    let undo = b.undo_seen(kind, &ns, to_revision).await;
    assert_eq!(undo.from_revision, 3);
    let command = Command::UndoRollout {
        target: target(kind, &ns),
        undo,
    };
    let (outcome, _) = b.run(false, command).await;
    assert_eq!(
        done(&outcome),
        format!(
            "{} {ns}/{} rolled back to revision {to_revision} on {ADMIN}",
            kind.noun(),
            name_of(kind)
        )
    );

    // The same template on both, the one of the revision asked.
    let (after_a, after_b) = (a.get(kind, &ns).await, b.get(kind, &ns).await);
    assert_eq!(
        template(&after_a),
        template(&after_b),
        "kubectl (left) and opsdeck (right) restored different templates"
    );
    let expected = if to_revision == 1 {
        original
    } else {
        image(kind, "v2")
    };
    assert_eq!(first_container(&after_b).1, expected);

    // The old revision is reused and renumbered 4 on both.
    a.wait_revision(kind, &ns, 4).await;
    b.wait_revision(kind, &ns, 4).await;
    let history = b.history(kind, &ns).await;
    assert_eq!(a.history(kind, &ns).await, history);
    let numbers: Vec<i64> = history.iter().map(|(_, r)| *r).collect();
    let kept = if to_revision == 1 { 2 } else { 1 };
    assert_eq!(numbers, [kept, 3, 4], "{history:?}");
    let (ha, hb) = (
        a.rollout_history(kind, &ns).await,
        b.rollout_history(kind, &ns).await,
    );
    assert_eq!(ha, hb, "kubectl rollout history differs");
    let expected: Vec<String> = numbers.iter().map(ToString::to_string).collect();
    assert_eq!(revisions(&hb), expected, "{hb}");

    // The audit log names the workload and its kind.
    let audit = b.audit();
    assert!(audit.contains("\"action\":\"rollout undo\""), "{audit}");
    assert!(audit.contains("\"result\":\"done\""), "{audit}");
    assert!(
        audit.contains(&format!("\"name\":\"{}\"", name_of(kind)))
            && audit.contains(&format!("Roll back {} {}", kind.noun(), name_of(kind))),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_undo_to_the_previous_revision_matches_kubectl() {
    undo_parity(STS, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_undo_to_revision_1_matches_kubectl() {
    undo_parity(STS, Some(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_undo_to_the_previous_revision_matches_kubectl() {
    undo_parity(DS, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_undo_to_revision_1_matches_kubectl() {
    undo_parity(DS, Some(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_to_the_current_revision_is_skipped_and_changes_nothing() {
    let c = Cluster::start().await;
    for kind in [STS, DS] {
        let ns = c.namespace(kind).await;
        c.roll_to(kind, &ns, &image(kind, "v2")).await;
        c.settle(kind, &ns).await;
        let before = c.get(kind, &ns).await;
        let history = c.history(kind, &ns).await;
        let command = Command::UndoRollout {
            target: target(kind, &ns),
            undo: c.undo_seen(kind, &ns, 2).await,
        };
        let (outcome, _) = c.run(false, command).await;
        let text = done(&outcome);
        let skipped = "skipped rollback (current template already matches revision 2)";
        assert!(text.contains(skipped), "{text}");
        let after = c.get(kind, &ns).await;
        assert_eq!(resource_version(&after), resource_version(&before));
        assert_eq!(template(&after), template(&before));
        assert_eq!(c.history(kind, &ns).await, history);
        // kubectl says the same.
        let out = c
            .kubectl(&[
                "rollout",
                "undo",
                "--to-revision=2",
                "-n",
                &ns,
                &kubectl_ref(kind),
            ])
            .await;
        assert!(out.contains(skipped), "kubectl: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_set_changed_since_seen_is_a_conflict() {
    let c = Cluster::start().await;
    for kind in [STS, DS] {
        let ns = c.namespace(kind).await;
        c.roll_to(kind, &ns, &image(kind, "v2")).await;
        let seen = c.undo_seen(kind, &ns, 1).await;
        // Someone else rolls out meanwhile: the generation moves on.
        c.roll_to(kind, &ns, &image(kind, "v3")).await;
        c.settle(kind, &ns).await;
        let before = c.get(kind, &ns).await;
        assert_ne!(before.metadata.generation, Some(seen.generation));
        let command = Command::UndoRollout {
            target: target(kind, &ns),
            undo: seen,
        };
        let (outcome, _) = c.run(false, command).await;
        assert!(failed(&outcome).contains("conflict"), "{outcome:?}");
        let after = c.get(kind, &ns).await;
        assert_eq!(first_container(&after).1, image(kind, "v3"));
        assert_eq!(template(&after), template(&before));
        assert_eq!(resource_version(&after), resource_version(&before));
    }
    let audit = c.audit();
    assert!(audit.contains("\"result\":\"failed\""), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_dry_run_previews_the_image_and_changes_nothing() {
    let c = Cluster::start().await;
    for kind in [STS, DS] {
        let ns = c.namespace(kind).await;
        let old = first_container(&c.get(kind, &ns).await).1;
        c.roll_to(kind, &ns, &image(kind, "v2")).await;
        c.settle(kind, &ns).await;
        let before = c.get(kind, &ns).await;
        let preview = Command::PreviewUndo {
            target: target(kind, &ns),
            undo: c.undo_seen(kind, &ns, 1).await,
        };
        let (outcome, updates) = c.run(false, preview).await;
        assert_eq!(outcome, Outcome::Quiet);
        let [Update::UndoPreviewed { preview, .. }] = updates.as_slice() else {
            panic!("{updates:?}")
        };
        let UndoPreview::Accepted(diff) = preview else {
            panic!("{preview:?}")
        };
        assert!(
            diff.iter().any(|l| l.field == "image"
                && l.old.as_deref() == Some(image(kind, "v2").as_str())
                && l.new.as_deref() == Some(old.as_str())),
            "{diff:?}"
        );
        let after = c.get(kind, &ns).await;
        assert_eq!(resource_version(&after), resource_version(&before));
        assert_eq!(template(&after), template(&before));
        assert_eq!(c.latest_revision(kind, &ns).await, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_of_a_statefulset_sets_restarted_at_and_rolls_it() {
    let c = Cluster::start().await;
    let ns = c.namespace(STS).await;
    assert_eq!(c.latest_revision(STS, &ns).await, 1);
    let at = "2026-11-23T12:00:00Z";
    let command = Command::RestartRollout {
        target: target(STS, &ns),
        kind: STS,
        restarted_at: at.into(),
    };
    let (outcome, _) = c.run(false, command).await;
    assert_eq!(
        done(&outcome),
        format!("statefulset {ns}/postgres restarted on {ADMIN}")
    );
    let after = c.get(STS, &ns).await;
    assert_eq!(
        template(&after)["metadata"]["annotations"][RESTARTED_AT],
        at,
        "{}",
        template(&after)
    );
    c.wait_revision(STS, &ns, 2).await;
    let rev2 = c
        .kubectl(&[
            "rollout",
            "history",
            "--revision=2",
            "-n",
            &ns,
            "statefulset/postgres",
        ])
        .await;
    assert!(rev2.contains(RESTARTED_AT) && rev2.contains(at), "{rev2}");
    let audit = c.audit();
    assert!(audit.contains("\"action\":\"rollout restart\""), "{audit}");
    assert!(
        audit.contains("Rollout restart statefulset postgres"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_of_a_statefulset_with_a_precondition() {
    let c = Cluster::start().await;
    let ns = c.namespace(STS).await;
    let replicas = || async {
        c.kubectl(&[
            "get",
            "-n",
            &ns,
            "sts/postgres",
            "-o",
            "jsonpath={.spec.replicas}",
        ])
        .await
    };
    assert_eq!(replicas().await, "3");
    let up = Command::ScaleWorkload {
        target: target(STS, &ns),
        kind: STS,
        from: 3,
        to: 4,
    };
    let (outcome, _) = c.run(false, up).await;
    assert_eq!(
        done(&outcome),
        format!("statefulset {ns}/postgres scaled from 3 to 4 on {ADMIN}")
    );
    // `kubectl get sts`: READY is ready/desired.
    let line = c
        .kubectl(&["get", "sts", "-n", &ns, "postgres", "--no-headers"])
        .await;
    let ready = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(ready.ends_with("/4"), "{line}");
    // A scale computed from a stale count is refused.
    let stale = Command::ScaleWorkload {
        target: target(STS, &ns),
        kind: STS,
        from: 3,
        to: 2,
    };
    let (outcome, _) = c.run(false, stale).await;
    assert!(failed(&outcome).contains("conflict"), "{outcome:?}");
    assert_eq!(replicas().await, "4");
    // The controller follows: four ready pods.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let ready = c
            .kubectl(&[
                "get",
                "-n",
                &ns,
                "sts/postgres",
                "-o",
                "jsonpath={.status.readyReplicas}",
            ])
            .await;
        if ready == "4" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "4 ready replicas never came: {ready}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_executor_refuses_a_statefulset_undo() {
    let c = Cluster::start().await;
    let ns = c.namespace(STS).await;
    c.roll_to(STS, &ns, &image(STS, "v2")).await;
    c.settle(STS, &ns).await;
    let before = c.get(STS, &ns).await;
    let command = Command::UndoRollout {
        target: target(STS, &ns),
        undo: c.undo_seen(STS, &ns, 1).await,
    };
    let (outcome, _) = c.run(true, command).await;
    let Outcome::Refused(text) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(text.contains("read-only"), "{text}");
    let after = c.get(STS, &ns).await;
    assert_eq!(resource_version(&after), resource_version(&before));
    assert_eq!(first_container(&after).1, image(STS, "v2"));
    assert_eq!(c.latest_revision(STS, &ns).await, 2);
    let audit = c.audit();
    assert!(audit.contains("\"result\":\"refused\""), "{audit}");
    assert!(audit.contains("Roll back statefulset postgres"), "{audit}");
}
