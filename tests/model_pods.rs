//! Table test: each fixture under tests/fixtures/pods is a realistic Pod
//! object; the expected READY / STATUS / RESTARTS / AGE are what
//! `kubectl get pods` prints for it at a fixed "now" (derived by hand from
//! kubectl's printPod rules), plus our health classification.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use opsdeck::model::pod::{Health, PodDetail, PodRow};

const NOW: &str = "2025-06-01T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pods")
}

fn load(name: &str) -> Pod {
    let path = fixtures_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

struct Case {
    fixture: &'static str,
    status: &'static str,
    ready: &'static str,
    restarts: &'static str,
    age: &'static str,
    health: Health,
}

const fn case(
    fixture: &'static str,
    status: &'static str,
    ready: &'static str,
    restarts: &'static str,
    age: &'static str,
    health: Health,
) -> Case {
    Case {
        fixture,
        status,
        ready,
        restarts,
        age,
        health,
    }
}

use Health::*;

#[rustfmt::skip]
const CASES: &[Case] = &[
    case("running-ready",                       "Running",                    "1/1", "0",             "2d",   Ok),
    case("running-not-ready",                   "Running",                    "0/1", "0",             "5m",   Warning),
    case("not-ready",                           "NotReady",                   "1/2", "0",             "5m",   Warning),
    case("completed-container-ready-condition", "Running",                    "1/2", "0",             "5m",   Warning),
    case("crashloop",                           "CrashLoopBackOff",           "0/1", "5 (2m ago)",    "30m",  Failed),
    case("oomkilled",                           "OOMKilled",                  "0/1", "2 (3m40s ago)", "5m",   Failed),
    case("image-pull-backoff",                  "ImagePullBackOff",           "0/1", "0",             "5m",   Failed),
    case("err-image-pull",                      "ErrImagePull",               "0/1", "0",             "5m",   Failed),
    case("create-container-config-error",       "CreateContainerConfigError", "0/1", "0",             "5m",   Failed),
    case("pending-unscheduled",                 "Pending",                    "0/1", "0",             "5m",   Pending),
    case("scheduling-gated",                    "SchedulingGated",            "0/1", "0",             "5m",   Pending),
    case("container-creating",                  "ContainerCreating",          "0/1", "0",             "5m",   Pending),
    case("init-0-of-2",                         "Init:0/2",                   "0/1", "0",             "5m",   Pending),
    case("init-crashloop",                      "Init:CrashLoopBackOff",      "0/1", "3 (45s ago)",   "5m",   Failed),
    case("init-error",                          "Init:Error",                 "0/1", "0",             "5m",   Failed),
    case("init-exit-code",                      "Init:ExitCode:2",            "0/1", "0",             "5m",   Failed),
    case("sidecar-running",                     "Running",                    "2/2", "1 (10m ago)",   "5m",   Ok),
    case("sidecar-starting",                    "Init:0/1",                   "0/2", "0",             "5m",   Pending),
    case("completed",                           "Completed",                  "0/1", "0",             "9h",   Completed),
    case("completed-deleted",                   "Completed",                  "0/1", "0",             "33h",  Completed),
    case("error",                               "Error",                      "0/1", "0",             "3h",   Failed),
    case("terminating",                         "Terminating",                "1/1", "0",             "16h",  Terminating),
    case("evicted",                             "Evicted",                    "0/1", "0",             "7d4h", Failed),
    case("evicted-container-status-unknown",    "ContainerStatusUnknown",     "0/1", "0",             "7d4h", Failed),
    case("node-lost",                           "Unknown",                    "0/1", "0",             "24h",  Failed),
    case("exit-code-137",                       "ExitCode:137",               "0/1", "0",             "5m",   Failed),
    case("signal-9",                            "Signal:9",                   "0/1", "0",             "5m",   Failed),
];

#[test]
fn kubectl_columns_for_every_fixture() {
    let now = now();
    let mut failures = Vec::new();
    for c in CASES {
        let row = PodRow::from_pod(&load(c.fixture));
        let got = (
            row.status.as_str(),
            row.ready_text(),
            row.restarts_text(now),
            row.age_text(now),
            row.health,
        );
        let want = (
            c.status,
            c.ready.to_string(),
            c.restarts.to_string(),
            c.age.to_string(),
            c.health,
        );
        if got != want {
            failures.push(format!("{}: got {got:?}, want {want:?}", c.fixture));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_fixture_has_a_case() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let cased: BTreeSet<String> = CASES.iter().map(|c| c.fixture.to_string()).collect();
    assert_eq!(on_disk, cased);
}

#[test]
fn row_metadata_fields() {
    let row = PodRow::from_pod(&load("running-ready"));
    assert_eq!(row.namespace, "default");
    assert_eq!(row.name, "web-7d4b9c8f6d-x2x9q");
    assert_eq!(row.node, "worker-1");
    assert_eq!(row.ip, "10.244.1.17");
    assert_eq!(
        row.owner,
        Some(("ReplicaSet".to_string(), "web-7d4b9c8f6d".to_string()))
    );
    assert_eq!(row.labels_hash.as_deref(), Some("7d4b9c8f6d"));
    assert_eq!(row.app.as_deref(), Some("web"));
    assert!(row.uid.starts_with("0b6f3c1e-"));
    assert!(row.is_healthy());
    assert_eq!(row.created, Some("2025-05-30T12:00:00Z".parse().unwrap()));

    // Falls back to the legacy `app` label.
    let row = PodRow::from_pod(&load("running-not-ready"));
    assert_eq!(row.app.as_deref(), Some("api"));
    assert!(!row.is_healthy());

    // Unscheduled: no node, no IP, no owner hash beyond the label.
    let row = PodRow::from_pod(&load("pending-unscheduled"));
    assert_eq!(row.node, "");
    assert_eq!(row.ip, "");

    // No owner at all.
    let row = PodRow::from_pod(&load("signal-9"));
    assert_eq!(row.owner, None);
    assert_eq!(row.labels_hash, None);
}

#[test]
fn restart_counts_and_times() {
    let row = PodRow::from_pod(&load("crashloop"));
    assert_eq!(row.restarts, 5);
    assert_eq!(
        row.last_restart,
        Some("2025-06-01T11:58:00Z".parse().unwrap())
    );
    // The text follows the clock passed in.
    let later: Timestamp = "2025-06-01T15:00:00Z".parse().unwrap();
    assert_eq!(row.restarts_text(later), "5 (3h2m ago)");
}

#[test]
fn empty_pod_does_not_panic() {
    let row = PodRow::from_pod(&Pod::default());
    assert_eq!(row.status, "");
    assert_eq!(row.ready_text(), "0/0");
    assert_eq!(row.restarts_text(now()), "0");
    assert_eq!(row.age_text(now()), "<unknown>");
    let detail = PodDetail::from_pod(&Pod::default());
    assert!(detail.containers.is_empty());
}

#[test]
fn sorting_fixtures_puts_unhealthy_first() {
    let mut rows: Vec<PodRow> = CASES
        .iter()
        .map(|c| PodRow::from_pod(&load(c.fixture)))
        .collect();
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let healths: Vec<Health> = rows.iter().map(|r| r.health).collect();
    let mut sorted = healths.clone();
    sorted.sort();
    assert_eq!(healths, sorted);
    assert_eq!(rows.first().map(|r| r.health), Some(Failed));
    assert_eq!(rows.last().map(|r| r.health), Some(Completed));
}

#[test]
fn detail_of_crashlooping_pod() {
    let d = PodDetail::from_pod(&load("crashloop"));
    assert_eq!(d.row.status, "CrashLoopBackOff");
    assert_eq!(d.phase, "Running");
    assert_eq!(d.qos_class, "BestEffort");
    assert_eq!(d.host_ip, "172.18.0.3");
    assert_eq!(d.start_time, Some("2025-06-01T11:55:00Z".parse().unwrap()));
    assert_eq!(
        d.labels.get("app.kubernetes.io/name").map(String::as_str),
        Some("worker")
    );
    assert_eq!(d.containers.len(), 1);
    let c = &d.containers[0];
    assert_eq!(c.name, "worker");
    assert_eq!(c.image, "ghcr.io/acme/worker:1.0.3");
    assert!(!c.ready);
    assert_eq!(c.restarts, 5);
    assert_eq!(c.state, "Waiting: CrashLoopBackOff");
    assert!(
        c.message
            .as_deref()
            .unwrap_or("")
            .starts_with("back-off 2m40s")
    );
    let last = c.last_termination.as_ref().unwrap();
    assert_eq!(last.reason, "Error");
    assert_eq!(last.exit_code, 1);
    assert_eq!(
        last.finished_at,
        Some("2025-06-01T11:58:00Z".parse().unwrap())
    );
    let kinds: Vec<(&str, &str)> = d
        .conditions
        .iter()
        .map(|c| (c.kind.as_str(), c.status.as_str()))
        .collect();
    assert!(kinds.contains(&("Ready", "False")));
    assert!(kinds.contains(&("PodScheduled", "True")));
    let ready = d.conditions.iter().find(|c| c.kind == "Ready").unwrap();
    assert_eq!(ready.reason.as_deref(), Some("ContainersNotReady"));
}

#[test]
fn detail_of_pod_with_sidecar_and_init() {
    let d = PodDetail::from_pod(&load("sidecar-running"));
    let inits: Vec<(&str, bool, &str)> = d
        .init_containers
        .iter()
        .map(|c| (c.name.as_str(), c.sidecar, c.state.as_str()))
        .collect();
    assert_eq!(
        inits,
        [
            ("migrate", false, "Terminated: Completed (exit 0)"),
            ("log-shipper", true, "Running"),
        ]
    );
    assert_eq!(d.init_containers[1].restarts, 1);
    assert!(d.init_containers[1].ready);
    assert_eq!(d.containers[0].state, "Running");
    assert_eq!(d.qos_class, "Burstable");
}

#[test]
fn detail_of_terminations_without_reason_and_missing_status() {
    let d = PodDetail::from_pod(&load("signal-9"));
    assert_eq!(d.containers[0].state, "Terminated: Signal:9 (exit 137)");
    let d = PodDetail::from_pod(&load("exit-code-137"));
    assert_eq!(d.containers[0].state, "Terminated: ExitCode:137 (exit 137)");
    let d = PodDetail::from_pod(&load("evicted"));
    assert_eq!(d.containers[0].state, "No status");
    assert!(
        d.message
            .as_deref()
            .unwrap_or("")
            .contains("low on resource: memory")
    );
    let d = PodDetail::from_pod(&load("pending-unscheduled"));
    let sched = &d.conditions[0];
    assert_eq!(
        (
            sched.kind.as_str(),
            sched.status.as_str(),
            sched.reason.as_deref()
        ),
        ("PodScheduled", "False", Some("Unschedulable"))
    );
}
