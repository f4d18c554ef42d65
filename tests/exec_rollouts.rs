//! The executor's rollout commands against the simulated Kubernetes API (a real HTTP server on
//! loopback): each command goes through `Executor::run` exactly as the app sends it, and the
//! Deployment is checked afterwards as kubectl would have left it.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client};
use opsdeck::cluster::ClusterConfig;
use opsdeck::command::{Command, CommandRequest, Target, Undo};
use opsdeck::exec::Executor;
use opsdeck::exec::audit::AuditLog;
use opsdeck::model::access::{Access, AccessCheck};
use opsdeck::model::rollout::{RESTARTED_AT, REVISION, UndoPreview, WorkloadKind};
use opsdeck::update::{Outcome, Update};
use opsdeck_sim::{Scenario, SimConfig, Simulator};
use serde_json::json;
use tokio::sync::mpsc;

const ADMIN: &str = "opsdeck-sim";
const READONLY: &str = "opsdeck-sim-readonly";

struct Cluster {
    _sim: Simulator,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    async fn start(scenario: Scenario) -> Cluster {
        let config = SimConfig {
            scenario,
            pods: 12,
            deployments: 4,
            namespaces: 2,
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
        let outcome = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match rx.recv().await.expect("executor stopped") {
                    Update::CommandFinished { id: 7, outcome } => return outcome,
                    other => seen.push(other),
                }
            }
        })
        .await
        .expect("no outcome within 30s");
        task.abort();
        (outcome, seen)
    }

    /// The first Deployment of the cluster (by namespace/name).
    async fn first_deployment(&self) -> Deployment {
        let api: Api<Deployment> = Api::all(self.client().await);
        let mut list = api.list(&ListParams::default()).await.unwrap().items;
        list.sort_by_key(|d| (d.metadata.namespace.clone(), d.metadata.name.clone()));
        list.into_iter()
            .next()
            .expect("the simulator has deployments")
    }

    async fn get(&self, ns: &str, name: &str) -> Deployment {
        let api: Api<Deployment> = Api::namespaced(self.client().await, ns);
        api.get(name).await.unwrap()
    }

    /// Poll until `pred` holds for the Deployment (10 s at most).
    async fn wait_for(&self, ns: &str, name: &str, what: &str, pred: impl Fn(&Deployment) -> bool) {
        for _ in 0..100 {
            if pred(&self.get(ns, name).await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{ns}/{name}: timed out waiting for {what}");
    }

    /// `kubectl set image`: a strategic merge patch of the first container's image.
    async fn set_image(&self, ns: &str, name: &str, image: &str) {
        let d = self.get(ns, name).await;
        let container = first_container(&d).0;
        let api: Api<Deployment> = Api::namespaced(self.client().await, ns);
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": container, "image": image}
        ]}}}});
        api.patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .unwrap();
    }

    async fn replica_sets(&self, ns: &str) -> Vec<ReplicaSet> {
        let api: Api<ReplicaSet> = Api::namespaced(self.client().await, ns);
        api.list(&ListParams::default()).await.unwrap().items
    }
}

fn meta(d: &Deployment) -> (String, String) {
    (
        d.metadata.namespace.clone().unwrap(),
        d.metadata.name.clone().unwrap(),
    )
}

/// `(name, image)` of the first container of the template.
fn first_container(d: &Deployment) -> (String, String) {
    let c = &d
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    (c.name.clone(), c.image.clone().unwrap_or_default())
}

fn revision(d: &Deployment) -> u64 {
    d.metadata.annotations.as_ref().unwrap()[REVISION]
        .parse()
        .unwrap()
}

fn target(context: &str, d: &Deployment) -> Target {
    let (namespace, name) = meta(d);
    Target {
        context: context.into(),
        namespace,
        name,
    }
}

/// The undo the UI would build from what it saw of `d`.
fn undo_from(d: &Deployment, to_revision: u64) -> Undo {
    Undo {
        kind: WorkloadKind::Deployment,
        to_revision,
        from_revision: revision(d),
        resource_version: d.metadata.resource_version.clone().unwrap(),
        generation: d.metadata.generation.unwrap(),
    }
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

/// Revision 2 with a new image; returns the Deployment at revision 2 and the old image.
async fn second_revision(c: &Cluster) -> (Deployment, String) {
    let d = c.first_deployment().await;
    let (ns, name) = meta(&d);
    let old = first_container(&d).1;
    c.set_image(&ns, &name, "registry.example.com/x/app:v9.9.9")
        .await;
    c.wait_for(&ns, &name, "revision 2", |d| revision(d) == 2)
        .await;
    (c.get(&ns, &name).await, old)
}

#[tokio::test]
async fn restart_sets_the_restarted_at_annotation_like_kubectl() {
    let c = Cluster::start(Scenario::Steady).await;
    let d = c.first_deployment().await;
    let (ns, name) = meta(&d);
    let at = "2026-11-23T12:00:00Z";
    let command = Command::RestartRollout {
        kind: WorkloadKind::Deployment,
        target: target(ADMIN, &d),
        restarted_at: at.into(),
    };
    let (outcome, _) = c.run(false, command).await;
    assert!(done(&outcome).contains("restarted"));
    let after = c.get(&ns, &name).await;
    let annotations = after
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .annotations
        .unwrap();
    assert_eq!(annotations[RESTARTED_AT], at);
    c.wait_for(&ns, &name, "a new revision", |d| revision(d) == 2)
        .await;
    let audit = std::fs::read_to_string(c.audit_path()).unwrap();
    assert!(audit.contains("\"action\":\"rollout restart\""), "{audit}");
    assert!(audit.contains("\"result\":\"done\""), "{audit}");
}

#[tokio::test]
async fn undo_dry_run_previews_without_changing_then_undo_switches_back() {
    let c = Cluster::start(Scenario::Steady).await;
    let (d, old_image) = second_revision(&c).await;
    let (ns, name) = meta(&d);
    let undo = undo_from(&d, 1);
    let preview = Command::PreviewUndo {
        target: target(ADMIN, &d),
        undo: undo.clone(),
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
        diff.iter()
            .any(|l| l.field == "image" && l.new.as_deref() == Some(&old_image))
    );
    assert_eq!(
        first_container(&c.get(&ns, &name).await).1,
        "registry.example.com/x/app:v9.9.9"
    );

    let (outcome, _) = c
        .run(
            false,
            Command::UndoRollout {
                target: target(ADMIN, &d),
                undo,
            },
        )
        .await;
    assert!(done(&outcome).contains("rolled back to revision 1"));
    let after = c.get(&ns, &name).await;
    assert_eq!(first_container(&after).1, old_image);
    let labels = after
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .labels
        .unwrap();
    assert!(!labels.contains_key("pod-template-hash"));
    // The controller re-labels revision 1's ReplicaSet as revision 3, as Kubernetes does.
    c.wait_for(&ns, &name, "revision 3", |d| revision(d) == 3)
        .await;
}

#[tokio::test]
async fn undo_works_mid_rollout_while_the_old_replica_set_still_serves() {
    let c = Cluster::start(Scenario::BadRollout).await;
    // Deployment 0 is rolling out a bad image that never becomes ready.
    let api: Api<Deployment> = Api::all(c.client().await);
    let list = api.list(&ListParams::default()).await.unwrap().items;
    let bad = list
        .iter()
        .find(|d| first_container(d).1.ends_with("-bad"))
        .expect("the bad rollout");
    let (ns, name) = meta(bad);
    c.wait_for(&ns, &name, "revision 2", |d| revision(d) == 2)
        .await;
    let d = c.get(&ns, &name).await;
    let old_rs = c
        .replica_sets(&ns)
        .await
        .into_iter()
        .find(|rs| {
            rs.metadata.annotations.as_ref().unwrap()[REVISION] == "1"
                && rs.metadata.labels.as_ref().unwrap()["app"] == name
        })
        .unwrap();
    assert!(
        old_rs.spec.unwrap().replicas.unwrap() > 0,
        "old revision still serving"
    );
    let (outcome, _) = c
        .run(
            false,
            Command::UndoRollout {
                target: target(ADMIN, &d),
                undo: undo_from(&d, 1),
            },
        )
        .await;
    done(&outcome);
    let after = c.get(&ns, &name).await;
    assert!(!first_container(&after).1.ends_with("-bad"));
    c.wait_for(&ns, &name, "revision 3", |d| revision(d) == 3)
        .await;
}

#[tokio::test]
async fn undo_of_a_changed_deployment_is_a_conflict() {
    let c = Cluster::start(Scenario::Steady).await;
    let (d, _) = second_revision(&c).await;
    let (ns, name) = meta(&d);
    let seen = undo_from(&d, 1);
    // Someone else rolls out meanwhile.
    c.set_image(&ns, &name, "registry.example.com/x/app:v10")
        .await;
    let (outcome, _) = c
        .run(
            false,
            Command::UndoRollout {
                target: target(ADMIN, &d),
                undo: seen,
            },
        )
        .await;
    assert!(failed(&outcome).contains("conflict"), "{outcome:?}");
    let after = c.get(&ns, &name).await;
    assert_eq!(first_container(&after).1, "registry.example.com/x/app:v10");
}

#[tokio::test]
async fn the_undo_patch_tests_the_resource_version() {
    let c = Cluster::start(Scenario::Steady).await;
    let (d, _) = second_revision(&c).await;
    let (ns, name) = meta(&d);
    let rs = c
        .replica_sets(&ns)
        .await
        .into_iter()
        .find(|rs| {
            rs.metadata.annotations.as_ref().unwrap()[REVISION] == "1"
                && rs.metadata.labels.as_ref().unwrap()["app"] == name
        })
        .unwrap();
    let template = rs.spec.clone().unwrap().template.unwrap();
    let patch = opsdeck::exec::rollouts::undo_patch(&d, &rs, &template, "1").unwrap();
    let api: Api<Deployment> = Api::namespaced(c.client().await, &ns);
    let err = api
        .patch(&name, &PatchParams::default(), &Patch::Json::<()>(patch))
        .await
        .expect_err("a stale resourceVersion must be refused");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert!([409, 422].contains(&status.code), "{status:?}");
}

#[tokio::test]
async fn undo_to_the_current_template_is_skipped_and_paused_is_refused() {
    let c = Cluster::start(Scenario::Steady).await;
    let d = c.first_deployment().await;
    let (ns, name) = meta(&d);
    let (outcome, _) = c
        .run(
            false,
            Command::UndoRollout {
                target: target(ADMIN, &d),
                undo: undo_from(&d, 1),
            },
        )
        .await;
    assert!(
        done(&outcome).contains("skipped rollback (current template already matches revision 1)"),
        "{outcome:?}"
    );
    let (d, _) = second_revision(&c).await;
    let pause = Command::SetRolloutPaused {
        target: target(ADMIN, &d),
        paused: true,
    };
    done(&c.run(false, pause).await.0);
    let d = c.get(&ns, &name).await;
    assert_eq!(d.spec.as_ref().unwrap().paused, Some(true));
    let (outcome, _) = c
        .run(
            false,
            Command::UndoRollout {
                target: target(ADMIN, &d),
                undo: undo_from(&d, 1),
            },
        )
        .await;
    assert!(failed(&outcome).contains("paused"), "{outcome:?}");
    let resume = Command::SetRolloutPaused {
        target: target(ADMIN, &d),
        paused: false,
    };
    done(&c.run(false, resume).await.0);
    assert_eq!(c.get(&ns, &name).await.spec.unwrap().paused, Some(false));
}

#[tokio::test]
async fn scale_goes_through_the_scale_subresource_with_a_precondition() {
    let c = Cluster::start(Scenario::Steady).await;
    let d = c.first_deployment().await;
    let (ns, name) = meta(&d);
    let from = d.spec.as_ref().unwrap().replicas.unwrap();
    let up = Command::ScaleWorkload {
        kind: WorkloadKind::Deployment,
        target: target(ADMIN, &d),
        from,
        to: from + 1,
    };
    assert!(done(&c.run(false, up).await.0).contains("scaled"));
    assert_eq!(
        c.get(&ns, &name).await.spec.unwrap().replicas,
        Some(from + 1)
    );
    // A scale computed from a stale count is refused.
    let stale = Command::ScaleWorkload {
        kind: WorkloadKind::Deployment,
        target: target(ADMIN, &d),
        from,
        to: from - 1,
    };
    assert!(failed(&c.run(false, stale).await.0).contains("conflict"));
    assert_eq!(
        c.get(&ns, &name).await.spec.unwrap().replicas,
        Some(from + 1)
    );
}

#[tokio::test]
async fn readonly_mode_refuses_in_the_executor_and_audits_it() {
    let c = Cluster::start(Scenario::Steady).await;
    let d = c.first_deployment().await;
    let (ns, name) = meta(&d);
    let replicas = d.spec.as_ref().unwrap().replicas.unwrap();
    let command = Command::ScaleWorkload {
        kind: WorkloadKind::Deployment,
        target: target(ADMIN, &d),
        from: replicas,
        to: replicas + 1,
    };
    let (outcome, _) = c.run(true, command).await;
    let Outcome::Refused(text) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(text.contains("read-only"));
    assert_eq!(
        c.get(&ns, &name).await.spec.unwrap().replicas,
        Some(replicas)
    );
    let audit = std::fs::read_to_string(c.audit_path()).unwrap();
    assert!(audit.contains("\"result\":\"refused\""), "{audit}");
    // Dry runs and access reviews are not mutations: allowed in read-only mode.
    let review = Command::ReviewAccess {
        target: target(ADMIN, &d),
        check: AccessCheck::apps(ADMIN, &ns, "patch", "deployments", ""),
    };
    assert_eq!(c.run(true, review).await.0, Outcome::Quiet);
}

#[tokio::test]
async fn the_readonly_context_is_forbidden_and_access_reviews_say_so() {
    let c = Cluster::start(Scenario::Steady).await;
    let d = c.first_deployment().await;
    let (ns, _) = meta(&d);
    let restart = Command::RestartRollout {
        kind: WorkloadKind::Deployment,
        target: target(READONLY, &d),
        restarted_at: "2026-11-23T12:00:00Z".into(),
    };
    assert!(failed(&c.run(false, restart).await.0).contains("forbidden"));
    for (context, expect_allowed) in [(ADMIN, true), (READONLY, false)] {
        let check = AccessCheck::apps(context, &ns, "patch", "deployments", "scale");
        let review = Command::ReviewAccess {
            target: target(context, &d),
            check: check.clone(),
        };
        let (_, updates) = c.run(false, review).await;
        let [Update::AccessReviewed { check: got, access }] = updates.as_slice() else {
            panic!("{updates:?}")
        };
        assert_eq!(got, &check);
        match access {
            Access::Allowed => assert!(expect_allowed, "{context}"),
            Access::Denied(_) => assert!(!expect_allowed, "{context}"),
            other => panic!("{context}: {other:?}"),
        }
    }
}
