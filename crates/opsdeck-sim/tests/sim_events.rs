//! Events over the wire: list with the field selectors `kubectl describe` uses, watch from a
//! resourceVersion with bookmarks, repeats as MODIFIED (count + 1) instead of new objects, and
//! kube-rs reading them as `k8s_openapi` Events.

use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use kube::api::ListParams;
use kube::{Api, Client, Config};
use opsdeck_sim::{SimConfig, Simulator};
use serde_json::Value;

async fn start() -> Simulator {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cfg = SimConfig {
        churn_per_sec: 0.0,
        ..SimConfig::default()
    };
    Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap()
}

async fn fetch(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The pods of an app, by name.
async fn pods_of(base: &str, ns: &str, app: &str) -> Vec<String> {
    let list = fetch(&format!(
        "{base}/api/v1/namespaces/{ns}/pods?labelSelector=app%3D{app}"
    ))
    .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Reads watch lines until `done` says so (or 20 s pass).
async fn read_watch(
    resp: &mut reqwest::Response,
    mut done: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let mut lines: Vec<Value> = Vec::new();
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(&lines) {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("watch timed out; got {lines:#?}"))
            .unwrap()
            .expect("watch ended");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(i) = buf.find('\n') {
            let line: String = buf.drain(..=i).collect();
            lines.push(serde_json::from_str(&line).unwrap());
        }
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_selectors_list_and_watch_with_counted_repeats() {
    let sim = start().await;
    let base = sim.url();
    let pod = pods_of(&base, "shop", "frontend").await.remove(0);
    let selector = format!("involvedObject.name={pod},involvedObject.namespace=shop");
    let list_url = format!("{base}/api/v1/namespaces/shop/events?fieldSelector={selector}");
    let before = fetch(&list_url).await;
    assert_eq!(before["kind"], "EventList");
    let rv = before["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let watch_url = format!(
        "{base}/api/v1/namespaces/shop/events?watch=1&allowWatchBookmarks=true&resourceVersion={rv}&fieldSelector={selector}"
    );
    let mut resp = reqwest::get(&watch_url).await.unwrap();
    sim.control().crash_pod("shop", &pod).unwrap();
    let is_backoff = |e: &Value| e["object"]["reason"] == "BackOff";
    let lines = read_watch(&mut resp, |ls| ls.iter().any(is_backoff)).await;
    let added = lines.iter().find(|e| is_backoff(e)).unwrap();
    assert_eq!(added["type"], "ADDED");
    let obj = &added["object"];
    assert_eq!(obj["count"], 1);
    assert_eq!(obj["type"], "Warning");
    assert_eq!(obj["involvedObject"]["kind"], "Pod");
    assert_eq!(obj["involvedObject"]["name"], pod.as_str());
    assert_eq!(
        obj["involvedObject"]["fieldPath"],
        "spec.containers{frontend}"
    );
    assert_eq!(obj["source"]["component"], "kubelet");
    assert_eq!(obj["firstTimestamp"], obj["lastTimestamp"]);
    let name = obj["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with(&format!("{pod}.")), "{name}");
    // Every event in the stream is about the selected pod.
    assert!(
        lines
            .iter()
            .all(|e| e["object"]["involvedObject"]["name"] == pod.as_str())
    );
    // A second crash: the same object, count 2 — a MODIFIED, not another ADDED.
    sim.control().crash_pod("shop", &pod).unwrap();
    let lines = read_watch(&mut resp, |ls| {
        ls.iter().any(|e| is_backoff(e) && e["type"] == "MODIFIED")
    })
    .await;
    let modified = lines
        .iter()
        .find(|e| is_backoff(e) && e["type"] == "MODIFIED")
        .unwrap();
    assert_eq!(modified["object"]["metadata"]["name"], name.as_str());
    assert_eq!(modified["object"]["count"], 2);
    assert!(!lines.iter().any(|e| is_backoff(e) && e["type"] == "ADDED"));
    // Bookmarks carry the current resourceVersion.
    let lines = read_watch(&mut resp, |ls| ls.iter().any(|e| e["type"] == "BOOKMARK")).await;
    let bookmark = lines.iter().find(|e| e["type"] == "BOOKMARK").unwrap();
    let at: u64 = bookmark["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(at > rv.parse::<u64>().unwrap());
    // A list now holds one BackOff for the pod, counted twice.
    let after = fetch(&format!("{list_url},reason=BackOff")).await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{after}");
    assert_eq!(items[0]["count"], 2);
    // An unsupported field is a 400, as on the API server.
    let r = reqwest::get(format!(
        "{base}/api/v1/events?fieldSelector=spec.nodeName%3Dx"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_reads_both_event_shapes() {
    let sim = start().await;
    let base = sim.url();
    let pod = pods_of(&base, "shop", "inventory").await.remove(0);
    sim.control().delete_pod("shop", &pod).unwrap();
    let mut config = Config::new(base.parse().unwrap());
    config.default_namespace = "shop".into();
    let events: Api<Event> = Api::namespaced(Client::try_from(config).unwrap(), "shop");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let list = events
            .list(&ListParams::default().fields("reason=Scheduled"))
            .await
            .unwrap();
        // The scheduler writes events.k8s.io-style events: eventTime, action, no count.
        let scheduled = list.items.iter().find(|e| {
            e.message
                .as_deref()
                .is_some_and(|m| m.starts_with("Successfully assigned shop/inventory-"))
        });
        if let Some(e) = scheduled {
            assert!(e.event_time.is_some() && e.last_timestamp.is_none());
            assert_eq!(e.action.as_deref(), Some("Binding"));
            assert_eq!(e.reporting_component.as_deref(), Some("default-scheduler"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no Scheduled event");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let killing = events
        .list(&ListParams::default().fields(&format!(
            "reason=Killing,involvedObject.name={pod},type=Normal"
        )))
        .await
        .unwrap();
    let e = &killing.items[0];
    assert_eq!(e.count, Some(1));
    assert_eq!(e.message.as_deref(), Some("Stopping container inventory"));
    assert_eq!(
        e.source.as_ref().and_then(|s| s.component.as_deref()),
        Some("kubelet")
    );
}
