//! The monitoring look-alikes in the incident scenario: alert label shapes (workload labels, the
//! kube-state-metrics `exported_*` pitfall, an alert outside the cluster), alert times that
//! follow their causes, and the Sloth/Pyrra SLO series through the PromQL subset.

use std::collections::BTreeMap;
use std::time::Duration;

use opsdeck_sim::{Scenario, SimConfig, Simulator};
use serde_json::Value;

async fn incident() -> Simulator {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cfg = SimConfig {
        scenario: Scenario::Incident,
        churn_per_sec: 0.0,
        ..SimConfig::default()
    };
    Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap()
}

async fn json(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// An instant query's result.
async fn instant(base: &str, q: &str) -> Vec<Value> {
    let url = format!("{base}/api/v1/query?query={}", urlencode(q));
    let (code, v) = json(&url).await;
    assert_eq!(
        (code, v["status"].as_str()),
        (200, Some("success")),
        "{q}: {v}"
    );
    v["data"]["result"].as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn value(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

fn unix(ts: &Value) -> i64 {
    ts.as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_alerts_carry_real_label_shapes_and_follow_their_causes() {
    let sim = incident().await;
    let base = sim.url();
    let started = now();
    let (_, am) = json(&format!("{base}/api/v2/alerts")).await;
    let am = am.as_array().unwrap();
    let named = |n: &str| -> Vec<&Value> {
        am.iter()
            .filter(|a| a["labels"]["alertname"] == n)
            .collect()
    };
    // OOM-killed api-gateway pods, reported through kube-state-metrics scraped without
    // honorLabels: namespace/pod/container name kube-state-metrics itself.
    let crash = named("KubePodCrashLooping");
    assert!(!crash.is_empty(), "{am:#?}");
    for a in &crash {
        let l = &a["labels"];
        assert_eq!(l["namespace"], "monitoring");
        assert!(
            l["pod"]
                .as_str()
                .unwrap()
                .starts_with("kube-state-metrics-")
        );
        assert_eq!(l["container"], "kube-state-metrics");
        assert_eq!(l["exported_namespace"], "platform");
        assert!(
            l["exported_pod"]
                .as_str()
                .unwrap()
                .starts_with("api-gateway-")
        );
        assert_eq!(l["exported_container"], "api-gateway");
        assert_eq!(a["status"]["state"], "active");
    }
    // The Sloth page alert of the burning SLO, since the OOM kills had gone on for about an hour.
    let burn = named("ApiGatewayErrorBudgetBurn");
    assert_eq!(burn.len(), 1);
    let l = &burn[0]["labels"];
    assert_eq!(
        (l["sloth_severity"].as_str(), l["severity"].as_str()),
        (Some("page"), Some("critical"))
    );
    assert_eq!(l["sloth_service"], "api-gateway");
    let into = unix(&burn[0]["startsAt"]) - (started - 3 * 3_600);
    assert!((3_000..4_000).contains(&into), "{into}");
    // One alert about a workload the simulator does not have.
    assert!(
        named("KubeDeploymentReplicasMismatch")
            .iter()
            .any(|a| a["labels"]["namespace"] == "analytics"
                && a["labels"]["deployment"] == "report-builder")
    );
    // The bad rollout of shop/checkout at start: its pods' crash loops become active within
    // seconds (pending, firing after 60 s), with the plain workload shape.
    let checkout = wait_for_alerts(&base, "KubePodCrashLooping", "shop").await;
    // kafka, a StatefulSet rolled to a crash-looping revision at start: the statefulset shape.
    let kafka = wait_for_alerts(&base, "KubeStatefulSetUpdateNotRolledOut", "shop").await;
    assert_eq!(kafka[0]["labels"]["statefulset"], "kafka");
    assert!(unix(&kafka[0]["activeAt"]) >= started - 1);
    for a in &checkout {
        let l = &a["labels"];
        let pod = l["pod"].as_str().unwrap();
        assert!(
            pod.starts_with("checkout-") || pod.starts_with("kafka-"),
            "{l}"
        );
        assert!(l["container"] == "checkout" || l["container"] == "kafka");
        assert!(l.get("exported_namespace").is_none());
        assert_eq!(a["state"], "pending");
        let active = unix(&a["activeAt"]);
        assert!(active >= started - 1 && active <= now(), "{a}");
    }
}

/// The active (pending or firing) alerts named `name` in namespace `ns`, waited for.
async fn wait_for_alerts(base: &str, name: &str, ns: &str) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = json(&format!("{base}/api/v1/alerts")).await;
        let found: Vec<Value> = v["data"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["labels"]["alertname"] == name && a["labels"]["namespace"] == ns)
            .cloned()
            .collect();
        if !found.is_empty() {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "no {name} in {ns}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The incident's third rollout asks for 24 CPUs: its pods wait for a node, the scheduler says
/// why (FailedScheduling), and KubePodNotReady names them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_pods_no_node_can_hold_are_pending_with_failed_scheduling() {
    let sim = incident().await;
    let base = sim.url();
    let not_ready = wait_for_alerts(&base, "KubePodNotReady", "shop").await;
    let pod = not_ready[0]["labels"]["pod"].as_str().unwrap().to_string();
    assert!(pod.starts_with("inventory-"), "{pod}");
    let (_, p) = json(&format!("{base}/api/v1/namespaces/shop/pods/{pod}")).await;
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(p["status"]["conditions"][0]["reason"], "Unschedulable");
    assert!(p["spec"]["nodeName"].is_null());
    let (_, events) = json(&format!(
        "{base}/api/v1/namespaces/shop/events?fieldSelector=involvedObject.name={pod},reason=FailedScheduling"
    ))
    .await;
    let e = &events["items"][0];
    assert_eq!(e["type"], "Warning");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("0/3 nodes are available: 3 Insufficient cpu."),
        "{e}"
    );
    let (_, d) = json(&format!(
        "{base}/apis/apps/v1/namespaces/shop/deployments/inventory"
    ))
    .await;
    assert_eq!(
        d["metadata"]["annotations"]["kubernetes.io/change-cause"],
        "kubectl set resources deployment/inventory --requests=cpu=24"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sloth_and_pyrra_series_answer_the_queries_the_app_sends() {
    let sim = incident().await;
    let base = sim.url();
    let info = instant(&base, "sloth_slo_info").await;
    let mut ids: Vec<&str> = info
        .iter()
        .map(|s| s["metric"]["sloth_id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "api-gateway-requests-availability",
            "checkout-requests-availability",
            "payments-api-requests-availability"
        ]
    );
    assert!(
        info.iter()
            .all(|s| s["metric"]["sloth_objective"].is_string()
                && s["metric"]["sloth_service"].is_string()
                && value(s) == 1.0)
    );

    // One batched query for every ratio and the budgets; burn computed here must agree with
    // the recorded burn rate.
    let q = r#"{__name__=~"slo:sli_error:ratio_rate(5m|30m|1h|2h|6h|1d|3d)|slo:objective:ratio|slo:error_budget:ratio|slo:period_error_budget_remaining:ratio|slo:current_burn_rate:ratio", sloth_id!=""}"#;
    let all = instant(&base, q).await;
    assert_eq!(all.len(), 3 * 11, "{all:#?}");
    let get = |id: &str, name: &str| -> f64 {
        let s = all
            .iter()
            .find(|s| s["metric"]["sloth_id"] == id && s["metric"]["__name__"] == name)
            .unwrap_or_else(|| panic!("{name} of {id}"));
        value(s)
    };
    for s in &info {
        let id = s["metric"]["sloth_id"].as_str().unwrap();
        let objective = get(id, "slo:objective:ratio");
        let objective_pct: f64 = s["metric"]["sloth_objective"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((objective * 100.0 - objective_pct).abs() < 1e-9);
        let budget = get(id, "slo:error_budget:ratio");
        assert!((budget - (1.0 - objective)).abs() < 1e-12);
        let burn = get(id, "slo:sli_error:ratio_rate5m") / budget;
        let recorded = get(id, "slo:current_burn_rate:ratio");
        assert!((burn - recorded).abs() < 1e-6 * recorded.max(1.0), "{id}");
    }
    let gw = "api-gateway-requests-availability";
    for w in ["5m", "1h"] {
        let burn =
            get(gw, &format!("slo:sli_error:ratio_rate{w}")) / get(gw, "slo:error_budget:ratio");
        assert!(burn > 14.4 && burn < 20.0, "{w}: {burn}");
    }
    let left = get(gw, "slo:period_error_budget_remaining:ratio");
    assert!((left - 0.38).abs() < 0.03, "{left}");
    let pay = "payments-api-requests-availability";
    assert!(get(pay, "slo:current_burn_rate:ratio") < 1.0);

    // Grouped and joined the way PromQL does it.
    let grouped = instant(
        &base,
        "max by (sloth_service) (slo:sli_error:ratio_rate1h / on(sloth_id) group_left slo:error_budget:ratio)",
    )
    .await;
    let by_service: BTreeMap<&str, f64> = grouped
        .iter()
        .map(|s| (s["metric"]["sloth_service"].as_str().unwrap(), value(s)))
        .collect();
    assert_eq!(by_service.len(), 3);
    assert!(by_service["api-gateway"] > 14.4);
    assert!(
        grouped
            .iter()
            .all(|s| s["metric"].get("__name__").is_none())
    );

    // A range query: the burning SLO's budget over the last hour, one point a minute, falling.
    let end = now();
    let url = format!(
        "{base}/api/v1/query_range?query={}&start={}&end={end}&step=60",
        urlencode(r#"slo:period_error_budget_remaining:ratio{sloth_service="api-gateway"}"#),
        end - 3_600
    );
    let (_, v) = json(&url).await;
    assert_eq!(v["data"]["resultType"], "matrix");
    let points = v["data"]["result"][0]["values"].as_array().unwrap();
    assert_eq!(points.len(), 61);
    let first: f64 = points[0][1].as_str().unwrap().parse().unwrap();
    let last: f64 = points[60][1].as_str().unwrap().parse().unwrap();
    assert!(first > last && first - last < 0.05, "{first} -> {last}");

    // Pyrra: one latency objective, its burn-rate recording rules and generic series.
    let pyrra = instant(&base, r#"{__name__=~".+:burnrate.+", slo!=""}"#).await;
    assert_eq!(pyrra.len(), 7);
    assert!(
        pyrra
            .iter()
            .all(|s| s["metric"]["slo"] == "payments-api-latency"
                && s["metric"]["job"] == "payments-api")
    );
    let objective = instant(&base, "pyrra_objective").await;
    assert_eq!(value(&objective[0]), 0.99);
    let window = instant(&base, r#"pyrra_window{slo="payments-api-latency"}"#).await;
    assert_eq!(value(&window[0]), 2_419_200.0);

    // A selector that matches nothing is an empty answer, not synthetic data; a query about
    // the SLO series the subset cannot evaluate is an error; other queries stay synthetic.
    assert!(
        instant(&base, r#"slo:objective:ratio{sloth_id="nope"}"#)
            .await
            .is_empty()
    );
    let (code, v) = json(&format!(
        "{base}/api/v1/query?query={}",
        urlencode("rate(slo:sli_error:ratio_rate5m[5m])")
    ))
    .await;
    assert_eq!(
        (code, v["errorType"].as_str()),
        (400, Some("bad_data")),
        "{v}"
    );
    let up = instant(&base, "up").await;
    assert_eq!(up[0]["metric"]["__name__"], "opsdeck_sim");
    // Synthetic error series rise for the service of the bad rollout only.
    let errors = |svc: &str| {
        format!(
            r#"sum(rate(http_requests_total{{service="{svc}",code=~"5.."}}[5m])) / sum(rate(http_requests_total{{service="{svc}"}}[5m]))"#
        )
    };
    let checkout = value(&instant(&base, &errors("checkout")).await[0]);
    let payments = value(&instant(&base, &errors("payments-api")).await[0]);
    assert!(
        checkout > 0.015 && payments < 0.005,
        "{checkout} {payments}"
    );
}
