//! StatefulSets, DaemonSets, ControllerRevisions and metrics.k8s.io as the dashboard's sources
//! read them: kube-rs's typed API and watcher, and plain HTTP for the metrics API.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use kube::api::{ListParams, Patch, PatchParams};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, Config, config::KubeConfigOptions, config::Kubeconfig};
use opsdeck_sim::{Scenario, SimConfig, Simulator};
use serde_json::{Value, json};

async fn incident() -> Simulator {
    let cfg = SimConfig {
        scenario: Scenario::Incident,
        churn_per_sec: 0.0,
        ..SimConfig::default()
    };
    Simulator::start("127.0.0.1:0".parse().unwrap(), cfg)
        .await
        .unwrap()
}

async fn client(s: &Simulator) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = Kubeconfig::from_yaml(&s.kubeconfig_yaml()).unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

async fn get(url: &str) -> (u16, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_sets_revisions_scale_and_watch() {
    let s = incident().await;
    let c = client(&s).await;
    let sets: Api<StatefulSet> = Api::all(c.clone());
    let names: Vec<String> = sets
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|s| s.metadata.name)
        .collect();
    assert_eq!(names, ["postgres", "kafka"]);
    let daemons: Api<DaemonSet> = Api::namespaced(c.clone(), "platform");
    let ds = daemons.get("log-shipper").await.unwrap();
    let st = ds.status.unwrap();
    assert_eq!(
        (st.desired_number_scheduled, st.number_ready),
        (3, 3),
        "{st:?}"
    );

    // The incident's rollout: a second revision, its data a template patch, the first pod
    // replaced seen through a watch.
    let kafka: Api<StatefulSet> = Api::namespaced(c.clone(), "shop");
    let cfg = watcher::Config::default().fields("metadata.name=kafka");
    let mut events = watcher::watcher(kafka.clone(), cfg).boxed();
    let updated = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let ev = events.next().await.unwrap().unwrap();
            if let Event::Apply(set) | Event::InitApply(set) = ev {
                let st = set.status.unwrap_or_default();
                if st.updated_replicas == Some(1) && st.update_revision != st.current_revision {
                    return st;
                }
            }
        }
    })
    .await
    .expect("kafka's rollout never started");
    let revs: Api<ControllerRevision> = Api::namespaced(c.clone(), "shop");
    let mut listed = revs
        .list(&ListParams::default().labels("app=kafka"))
        .await
        .unwrap()
        .items;
    listed.sort_by_key(|r| r.revision);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].revision, 2);
    assert_eq!(listed[1].metadata.name, updated.update_revision);
    assert_eq!(listed[0].metadata.name, updated.current_revision);
    let data = &listed[1].data.as_ref().unwrap().0;
    assert_eq!(data["spec"]["template"]["$patch"], "replace");
    assert!(
        data["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .ends_with(":3.8.1-bad")
    );
    let owner = &listed[1].metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("StatefulSet", "kafka", Some(true))
    );

    let postgres: Api<StatefulSet> = Api::namespaced(c, "payments");
    let scale = postgres
        .patch_scale(
            "postgres",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec":{"replicas":4}})),
        )
        .await
        .unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(4));
    assert_eq!(
        postgres.get("postgres").await.unwrap().metadata.generation,
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_and_node_metrics() {
    let s = incident().await;
    let base = format!("{}/apis/metrics.k8s.io/v1beta1", s.url());
    let (code, groups) = get(&format!("{}/apis", s.url())).await;
    assert_eq!(code, 200);
    let metrics = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "metrics.k8s.io")
        .unwrap_or_else(|| panic!("{groups}"));
    assert_eq!(metrics["preferredVersion"]["version"], "v1beta1");

    let (code, list) = get(&format!("{base}/namespaces/payments/pods")).await;
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "PodMetricsList");
    let items = list["items"].as_array().unwrap();
    assert!(items.len() >= 20, "{list}");
    for m in items {
        assert_eq!(m["window"], "15s");
        let usage = &m["containers"][0]["usage"];
        assert!(usage["cpu"].as_str().unwrap().ends_with('n'), "{m}");
        assert!(usage["memory"].as_str().unwrap().ends_with("Ki"), "{m}");
    }
    let hot = items
        .iter()
        .find(|m| m["metadata"]["name"] == "postgres-0")
        .unwrap();
    let ki: f64 = hot["containers"][0]["usage"]["memory"]
        .as_str()
        .unwrap()
        .trim_end_matches("Ki")
        .parse()
        .unwrap();
    assert!(ki >= 0.9 * 1024.0 * 1024.0, "{hot}");

    let (_, selected) = get(&format!(
        "{base}/namespaces/payments/pods?labelSelector=app%3Dpostgres"
    ))
    .await;
    assert_eq!(selected["items"].as_array().unwrap().len(), 3);
    let (code, one) = get(&format!("{base}/namespaces/payments/pods/postgres-1")).await;
    assert_eq!((code, one["kind"].as_str()), (200, Some("PodMetrics")));
    assert_eq!(one["metadata"]["labels"]["app"], "postgres");
    let (code, missing) = get(&format!("{base}/namespaces/payments/pods/nope")).await;
    assert_eq!((code, missing["kind"].as_str()), (404, Some("Status")));
    let (code, nodes) = get(&format!("{base}/nodes")).await;
    assert_eq!(code, 200);
    assert_eq!(nodes["items"].as_array().unwrap().len(), 3);
    let r = reqwest::Client::new()
        .delete(format!("{base}/namespaces/payments/pods/postgres-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
}
