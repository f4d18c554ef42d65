//! The simulator's wire protocol over HTTP, and kube-rs's watcher against it.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Config, config::KubeConfigOptions, config::Kubeconfig};
use opsdeck_sim::{SimConfig, Simulator};
use serde_json::Value;

async fn sim() -> Simulator {
    let cfg = SimConfig {
        churn_per_sec: 0.0,
        ..SimConfig::default()
    };
    Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap()
}

/// reqwest and kube are built without a default rustls crypto provider (as in the app, which
/// installs ring in `main`); install the same one here.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `reqwest::get` with the process's rustls provider installed first.
async fn http_get(url: impl reqwest::IntoUrl) -> reqwest::Result<reqwest::Response> {
    install_crypto_provider();
    reqwest::get(url).await
}

async fn get(url: &str) -> (u16, Value) {
    let r = http_get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn patch(url: &str, ctype: &str, body: &str) -> (u16, Value) {
    install_crypto_provider();
    let r = reqwest::Client::new()
        .patch(url)
        .header("content-type", ctype)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn assert_status(v: &Value, code: u16) {
    assert_eq!(v["kind"], "Status", "{v}");
    assert_eq!(v["code"], code, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_and_selectors() {
    let s = sim().await;
    let base = s.url();
    let mut names = std::collections::BTreeSet::new();
    let mut url = format!("{base}/api/v1/pods?limit=7");
    let mut pages = 0;
    loop {
        let (code, page) = get(&url).await;
        assert_eq!(code, 200);
        assert_eq!(page["kind"], "PodList");
        assert!(page["metadata"]["resourceVersion"].as_str().is_some());
        for p in page["items"].as_array().unwrap() {
            names.insert(p["metadata"]["name"].as_str().unwrap().to_string());
        }
        pages += 1;
        match page["metadata"]["continue"].as_str() {
            Some(c) => url = format!("{base}/api/v1/pods?limit=7&continue={c}"),
            None => break,
        }
    }
    // 60 deployment pods, plus postgres (3) and log-shipper (one per node, 3).
    assert_eq!(names.len(), 66);
    assert_eq!(pages, 10);
    let (_, l) = get(&format!(
        "{base}/api/v1/namespaces/shop/pods?labelSelector=app%3Dfrontend"
    ))
    .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 5);
    let (_, l) = get(&format!(
        "{base}/api/v1/pods?labelSelector=app%20in%20(frontend,checkout),tier%21%3Dx"
    ))
    .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 10);
    let (_, l) = get(&format!(
        "{base}/api/v1/pods?fieldSelector=status.phase%3DRunning,metadata.namespace%3Dshop"
    ))
    .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 20);
    let (code, v) = get(&format!(
        "{base}/api/v1/pods?labelSelector=app%20in%20frontend"
    ))
    .await;
    assert_eq!(code, 400);
    assert_status(&v, 400);
    let (code, v) = get(&format!("{base}/api/v1/pods?fieldSelector=spec.bogus%3D1")).await;
    assert_eq!(code, 400);
    assert_status(&v, 400);
    let (code, v) = get(&format!("{base}/api/v1/nope")).await;
    assert_eq!(code, 404);
    assert_eq!(v["reason"], "NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_conflicts_dry_run_and_bad_input() {
    let s = sim().await;
    let url = format!(
        "{}/apis/apps/v1/namespaces/shop/deployments/frontend",
        s.url()
    );
    let (_, d) = get(&url).await;
    let rv = d["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let merge = "application/merge-patch+json";
    let (code, v) = patch(&url, merge, r#"{"spec":{"replicas":6}}"#).await;
    assert_eq!((code, v["spec"]["replicas"].as_i64()), (200, Some(6)));
    assert_eq!(v["metadata"]["generation"], 2);
    let stale = format!(r#"{{"metadata":{{"resourceVersion":"{rv}"}},"spec":{{"replicas":2}}}}"#);
    let (code, v) = patch(&url, merge, &stale).await;
    assert_eq!(code, 409);
    assert_status(&v, 409);
    let (code, v) = patch(
        &format!("{url}?dryRun=All"),
        merge,
        r#"{"spec":{"replicas":9}}"#,
    )
    .await;
    assert_eq!((code, v["spec"]["replicas"].as_i64()), (200, Some(9)));
    assert_eq!(get(&url).await.1["spec"]["replicas"], 6);
    let sm = r#"{"spec":{"template":{"spec":{"containers":[{"name":"frontend","image":"x/frontend:v9"}]}}}}"#;
    let (code, v) = patch(&url, "application/strategic-merge-patch+json", sm).await;
    assert_eq!(code, 200);
    let c = &v["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        (c["image"].as_str(), c["ports"][0]["containerPort"].as_i64()),
        (Some("x/frontend:v9"), Some(8080))
    );
    let jp = r#"[{"op":"add","path":"/spec/paused","value":true}]"#;
    let (code, v) = patch(&url, "application/json-patch+json", jp).await;
    assert_eq!((code, v["spec"]["paused"].as_bool()), (200, Some(true)));
    let (code, v) = patch(&url, "application/apply-patch+yaml", "spec: {}").await;
    assert_eq!(code, 415);
    assert_status(&v, 415);
    let (code, v) = patch(&url, merge, "{not json").await;
    assert_eq!(code, 400);
    assert_status(&v, 400);
    let (code, v) = patch(&url, merge, r#"{"spec":{"replicas":-1}}"#).await;
    assert_eq!(code, 422);
    assert_status(&v, 422);
    let (code, v) = patch(&url, merge, r#"{"spec":{"replicas":"many"}}"#).await;
    assert_eq!(code, 400, "{v}");
    let scale = format!("{url}/scale");
    let (code, v) = patch(&scale, merge, r#"{"spec":{"replicas":3}}"#).await;
    assert_eq!(
        (code, v["kind"].as_str(), v["spec"]["replicas"].as_i64()),
        (200, Some("Scale"), Some(3))
    );
    let (code, v) = get(&format!("{}/version", s.url())).await;
    assert_eq!((code, v["major"].as_str()), (200, Some("1")));
    assert!(s.stats().patches >= 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resume_after_restart_is_gone() {
    let s = sim().await;
    let (_, l) = get(&format!("{}/api/v1/pods?limit=1", s.url())).await;
    let rv = l["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    s.faults().restart();
    let url = format!("{}/api/v1/pods?watch=1&resourceVersion={rv}", s.url());
    let text = http_get(&url).await.unwrap().text().await.unwrap();
    let ev: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(ev["type"], "ERROR");
    assert_eq!(ev["object"]["code"], 410);
    assert_eq!(ev["object"]["reason"], "Expired");
}

type Events = futures::stream::BoxStream<'static, watcher::Result<Event<Pod>>>;

/// The next event; watcher errors (the 410 after a restart) are expected and skipped.
async fn next(stream: &mut Events) -> Event<Pod> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
            Ok(Some(Ok(e))) => return e,
            Ok(Some(Err(e))) => eprintln!("watcher error (expected after restart): {e}"),
            Ok(None) => panic!("watcher ended"),
            Err(_) => panic!("no watcher event within 30 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_watcher_survives_restart() {
    // Both ring (kube) and aws-lc-rs (reqwest) are compiled in, so rustls needs to be told.
    install_crypto_provider();
    let s = sim().await;
    let kc = Kubeconfig::from_yaml(&s.kubeconfig_yaml()).unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    let pods: Api<Pod> = Api::all(Client::try_from(config).unwrap());
    let (ns, name) = s.control().pods(None).remove(0);
    // 20 deployment pods and postgres's 3.
    assert_eq!(s.control().pods(Some(&ns)).len(), 23);
    let mut stream: Events = watcher::watcher(pods, watcher::Config::default()).boxed();
    assert!(matches!(next(&mut stream).await, Event::Init));
    let mut inits = 0;
    loop {
        match next(&mut stream).await {
            Event::InitApply(_) => inits += 1,
            Event::InitDone => break,
            e => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(inits, 66);
    s.control().crash_pod(&ns, &name).unwrap();
    loop {
        if let Event::Apply(p) = next(&mut stream).await
            && p.metadata.name.as_deref() == Some(&name)
        {
            break;
        }
    }
    s.faults().restart();
    loop {
        if matches!(next(&mut stream).await, Event::InitDone) {
            break;
        }
    }
    s.control().set_pod_ready(&ns, &name, false).unwrap();
    loop {
        if let Event::Apply(p) = next(&mut stream).await {
            let cs = p
                .status
                .and_then(|s| s.container_statuses)
                .unwrap_or_default();
            if p.metadata.name.as_deref() == Some(&name) && cs.iter().any(|c| !c.ready) {
                break;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_streaming_list_watcher() {
    install_crypto_provider();
    let s = sim().await;
    let kc = Kubeconfig::from_yaml(&s.kubeconfig_yaml()).unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    let pods: Api<Pod> = Api::namespaced(Client::try_from(config).unwrap(), "shop");
    let cfg = watcher::Config::default().streaming_lists();
    let mut stream: Events = watcher::watcher(pods, cfg).boxed();
    let mut applied = 0;
    loop {
        match next(&mut stream).await {
            Event::Init => {}
            Event::InitApply(_) => applied += 1,
            Event::InitDone => break,
            e => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(applied, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_over_http() {
    let s = sim().await;
    install_crypto_provider();
    let c = reqwest::Client::new();
    let base = s.url();
    let post = |path: &str| c.post(format!("{base}{path}")).send();
    assert_eq!(
        post("/_sim/faults/errors?status=429&seconds=30")
            .await
            .unwrap()
            .status(),
        200
    );
    let r = http_get(format!("{base}/api/v1/pods")).await.unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=31).contains(&retry), "{retry}");
    assert_status(&r.json().await.unwrap(), 429);
    s.faults().clear();
    assert_eq!(get(&format!("{base}/api/v1/pods")).await.0, 200);
    s.faults().errors(500, Duration::from_secs(30));
    assert_eq!(get(&format!("{base}/api/v1/pods")).await.0, 500);
    assert_eq!(post("/_sim/faults/clear").await.unwrap().status(), 200);
    assert_eq!(
        post("/_sim/faults/latency?ms=200").await.unwrap().status(),
        200
    );
    let t = std::time::Instant::now();
    assert_eq!(get(&format!("{base}/version")).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
    s.faults().clear();
    // An open watch ends when watches are closed.
    let url = format!("{base}/api/v1/pods?watch=1&resourceVersion=0");
    let watch = tokio::spawn(async move { http_get(&url).await.unwrap().text().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        post("/_sim/faults/close-watches").await.unwrap().status(),
        200
    );
    let text = tokio::time::timeout(Duration::from_secs(10), watch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text.lines().count(), 66);
    let stats: Value = http_get(format!("{base}/_sim/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        stats["watches"].as_u64() >= Some(1)
            && stats["lists"].as_u64() == Some(1)
            && stats["total"].as_u64() >= Some(5),
        "{stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_apis_follow_the_bad_rollout() {
    let cfg = SimConfig {
        scenario: "bad-rollout".parse().unwrap(),
        churn_per_sec: 0.0,
        ..SimConfig::default()
    };
    let s = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    let base = s.url();
    let (code, v) = get(&format!(
        "{base}/api/v1/query?query=sum(rate(http_errors_total[5m]))"
    ))
    .await;
    assert_eq!((code, v["status"].as_str()), (200, Some("success")));
    let (_, v) = get(&format!(
        "{base}/api/v1/query_range?query=up&start=0&end=600&step=60"
    ))
    .await;
    assert_eq!(
        v["data"]["result"][0]["values"].as_array().unwrap().len(),
        11
    );
    let (_, v) = get(&format!("{base}/api/v1/alerts")).await;
    let alerts = v["data"]["alerts"].as_array().unwrap();
    let high = alerts
        .iter()
        .find(|a| a["labels"]["alertname"] == "HighErrorRate")
        .unwrap();
    assert_eq!(high["state"], "pending");
    assert_eq!(high["labels"]["severity"], "critical");
    let (_, rules) = get(&format!("{base}/api/v1/rules")).await;
    assert_eq!(rules["status"], "success");
    let (_, am) = get(&format!("{base}/api/v2/alerts")).await;
    let am = am.as_array().unwrap();
    assert!(am.iter().any(|a| a["status"]["state"] == "suppressed"
        && !a["status"]["inhibitedBy"].as_array().unwrap().is_empty()));
    assert!(
        am.iter()
            .all(|a| a["fingerprint"].is_string() && a["annotations"]["runbook_url"].is_string())
    );
    let silence = serde_json::json!({"matchers":[{"name":"alertname","value":"Watchdog","isRegex":false,"isEqual":true}],
        "startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"test","comment":"quiet"});
    install_crypto_provider();
    let c = reqwest::Client::new();
    let r: Value = c
        .post(format!("{base}/api/v2/silences"))
        .json(&silence)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["silenceID"].as_str().unwrap().to_string();
    let (_, am) = get(&format!("{base}/api/v2/alerts")).await;
    let wd = am
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == "Watchdog")
        .unwrap()
        .clone();
    assert_eq!(wd["status"]["silencedBy"][0], id.as_str());
    let bad = c
        .post(format!("{base}/api/v2/silences"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        c.delete(format!("{base}/api/v2/silence/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (_, list) = get(&format!("{base}/api/v2/silences")).await;
    assert_eq!(list[0]["status"]["state"], "expired");
    // Undo the rollout: the bad template is gone, so are its alerts.
    let url = format!("{base}/apis/apps/v1/namespaces/shop/deployments/checkout");
    let (_, d) = get(&url).await;
    let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap()
        .replace("v2.0.0-bad", "v1.0.0");
    let p = serde_json::json!({"spec":{"template":{"spec":{"containers":[{"name":"checkout","image":image}]}}}});
    let (code, _) = patch(
        &url,
        "application/strategic-merge-patch+json",
        &p.to_string(),
    )
    .await;
    assert_eq!(code, 200);
    let (_, v) = get(&format!("{base}/api/v1/alerts")).await;
    assert!(
        !v["data"]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["labels"]["alertname"] == "HighErrorRate")
    );
}

async fn text(url: &str) -> (u16, String) {
    let r = http_get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_logs_options() {
    let cfg = SimConfig {
        scenario: "incident".parse().unwrap(),
        churn_per_sec: 0.0,
        ..SimConfig::default()
    };
    let s = Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap();
    let (_, l) = get(&format!(
        "{}/api/v1/namespaces/shop/pods?labelSelector=app%3Dfrontend",
        s.url()
    ))
    .await;
    let name = l["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let log = format!("{}/api/v1/namespaces/shop/pods/{name}/log", s.url());
    let (code, tail) = text(&format!("{log}?tailLines=5&timestamps=true")).await;
    assert_eq!(code, 200);
    assert_eq!(tail.lines().count(), 5);
    assert!(tail.lines().all(|l| l.starts_with("20")), "{tail}");
    let (_, again) = text(&format!("{log}?tailLines=50&timestamps=true")).await;
    assert!(
        tail.lines().all(|l| again.contains(l)),
        "lines are deterministic"
    );
    let (_, recent) = text(&format!("{log}?sinceSeconds=2")).await;
    assert!(
        (5..=60).contains(&recent.lines().count()),
        "{}",
        recent.lines().count()
    );
    let (_, many) = text(&format!("{log}?tailLines=3000")).await;
    assert!(
        many.contains('\x1b'),
        "the incident's noisy logs carry escape sequences"
    );
    assert!(many.contains("\"level\":\"") && many.contains("INFO"));
    assert!(
        many.lines().any(|l| l.len() > 2000),
        "an occasional multi-KB line"
    );
    let (code, v) = get(&format!("{log}?container=nope")).await;
    assert_eq!((code, v["reason"].as_str()), (400, Some("BadRequest")));
    let (code, _) = text(&format!("{log}?previous=true")).await;
    assert_eq!(code, 400);
    s.control().crash_pod("shop", &name).unwrap();
    let (code, prev) = text(&format!("{log}?previous=true")).await;
    assert_eq!(code, 200);
    assert!(
        prev.trim_end().ends_with("exiting"),
        "{}",
        prev.lines().last().unwrap_or_default()
    );
    let (code, _) = text(&format!("{}/api/v1/namespaces/shop/pods/nope/log", s.url())).await;
    assert_eq!(code, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_simulator_stops_it() {
    let s = sim().await;
    let url = format!("{}/version", s.url());
    assert_eq!(get(&url).await.0, 200);
    drop(s);
    tokio::time::sleep(Duration::from_millis(200)).await;
    install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    assert!(client.get(&url).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_readonly_context_is_enforced() {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    install_crypto_provider();
    let s = sim().await;
    let client = |context: &str| {
        let kc = Kubeconfig::from_yaml(&s.kubeconfig_yaml()).unwrap();
        let opts = KubeConfigOptions {
            context: Some(context.into()),
            ..Default::default()
        };
        async move {
            Client::try_from(Config::from_custom_kubeconfig(kc, &opts).await.unwrap()).unwrap()
        }
    };
    let review = |verb: &str| SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                resource: Some("pods".into()),
                namespace: Some("shop".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let allowed = |c: Client, verb: &str| {
        let r = review(verb);
        async move {
            let api: Api<SelfSubjectAccessReview> = Api::all(c);
            let out = api.create(&Default::default(), &r).await.unwrap();
            out.status.unwrap().allowed
        }
    };
    let (admin, ro) = (
        client("opsdeck-sim").await,
        client("opsdeck-sim-readonly").await,
    );
    assert!(allowed(admin.clone(), "delete").await);
    assert!(!allowed(ro.clone(), "delete").await);
    assert!(allowed(ro.clone(), "list").await);
    let pods: Api<Pod> = Api::namespaced(ro, "shop");
    let name = pods.list(&Default::default()).await.unwrap().items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    match pods.delete(&name, &Default::default()).await {
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 403),
        other => panic!("read-only delete must be forbidden, got {other:?}"),
    }
    let pods: Api<Pod> = Api::namespaced(admin, "shop");
    assert!(pods.delete(&name, &Default::default()).await.is_ok());
}
