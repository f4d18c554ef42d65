//! Prometheus (`/api/v1/query`, `query_range`, `alerts`, `rules`) and Alertmanager
//! (`/api/v2/alerts`, `/api/v2/silences`) look-alikes for the demo. Series are deterministic per
//! query string; error and latency series rise while the scenario's bad rollout is live.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::http::Method;
use axum::response::Response;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::api::{Params, bytes_response, json_response};
use super::objects::{self, Behavior};
use super::scenario;
use super::server::Ctx;
use super::store::Kind;

/// Seconds an alert stays pending before it fires.
const PENDING_FOR: i64 = 30;

/// Mutable monitoring state: trouble windows and silences.
#[derive(Default)]
pub struct PromState {
    /// `(start, end)` unix seconds of periods when the bad rollout was live.
    windows: Vec<(i64, Option<i64>)>,
    silences: Vec<Value>,
}

/// Holder in the shared context.
pub type Shared = Mutex<PromState>;

impl PromState {
    /// Monitoring state for a scenario; a bad rollout is live from the start.
    pub fn new(bad_rollout: bool) -> Shared {
        let windows = if bad_rollout {
            vec![(now(), None)]
        } else {
            Vec::new()
        };
        Mutex::new(PromState {
            windows,
            silences: Vec::new(),
        })
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn ts(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(objects::ts)
        .unwrap_or_default()
}

fn hash(s: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The deployment of the scenario's bad rollout, if the bad template is still live.
fn bad_rollout(ctx: &Ctx) -> Option<(String, String)> {
    let i = ctx.cfg.scenario.spec().bad_rollout?;
    let (ns, name) = scenario::deployment_key(ctx, i);
    let d = ctx.store.get(Kind::Deployment, &ns, &name)?.value();
    (objects::behavior_of(&d["spec"]["template"]) != Behavior::Healthy).then_some((ns, name))
}

/// Updates the trouble windows; returns the live window's start, if any.
fn trouble(ctx: &Ctx) -> Option<i64> {
    let live = bad_rollout(ctx).is_some();
    let mut st = ctx.prom.lock();
    let open = st.windows.last().filter(|w| w.1.is_none()).map(|w| w.0);
    match (live, open) {
        (true, Some(start)) => Some(start),
        (true, None) => {
            st.windows.push((now(), None));
            Some(now())
        }
        (false, Some(_)) => {
            if let Some(w) = st.windows.last_mut() {
                w.1 = Some(now());
            }
            None
        }
        (false, None) => None,
    }
}

fn in_trouble(windows: &[(i64, Option<i64>)], t: i64) -> f64 {
    windows
        .iter()
        .map(|(s, e)| {
            let end = e.unwrap_or(i64::MAX);
            if t < *s || t > end.saturating_add(60) {
                0.0
            } else if t > end {
                1.0 - (t - end) as f64 / 60.0
            } else {
                ((t - s) as f64 / 60.0).clamp(0.2, 1.0)
            }
        })
        .fold(0.0, f64::max)
}

/// A plausible value of `query` at unix time `t`.
fn value(query: &str, t: i64, trouble: f64) -> f64 {
    let q = query.to_lowercase();
    let seed = hash(&q);
    let phase = (seed % 1000) as f64 / 159.0;
    let wave = ((t as f64) / 300.0 + phase).sin() * 0.1 + ((t as f64) / 37.0 + phase).sin() * 0.03;
    let noise = (hash(&(seed, t / 15)) % 1000) as f64 / 1000.0 * 0.06 - 0.03;
    let k = 1.0 + wave + noise;
    if q.contains("error") || q.contains("5..") || q.contains("5xx") || q.contains("fail") {
        0.002 * k + 0.09 * trouble
    } else if q.contains("latency") || q.contains("duration") || q.contains("quantile") {
        0.12 * k + 1.1 * trouble
    } else if q.contains("cpu") || q.contains("memory") || q.contains("saturation") {
        (0.45 * k + 0.3 * trouble).min(1.0)
    } else {
        250.0 * k * (1.0 - 0.1 * trouble)
    }
}

fn param_time(p: &Params, key: &str, default: i64) -> Result<i64, String> {
    match p.get(key) {
        None => Ok(default),
        Some(s) => s
            .parse::<f64>()
            .map(|f| f as i64)
            .or_else(|_| s.parse::<jiff::Timestamp>().map(|t| t.as_second()))
            .map_err(|_| {
                format!("invalid parameter \"{key}\": cannot parse {s:?} to a valid timestamp")
            }),
    }
}

fn prom_error(code: u16, msg: String) -> Response {
    json_response(
        code,
        &json!({"status":"error","errorType":"bad_data","error":msg}),
    )
}

fn query(ctx: &Ctx, p: &Params, range: bool) -> Response {
    let Some(q) = p.get("query").filter(|q| !q.trim().is_empty()) else {
        return prom_error(400, "invalid parameter \"query\": empty query".into());
    };
    trouble(ctx);
    let windows = ctx.prom.lock().windows.clone();
    let metric = json!({"__name__": "opsdeck_sim", "query": q});
    if !range {
        let t = match param_time(p, "time", now()) {
            Ok(t) => t,
            Err(e) => return prom_error(400, e),
        };
        let v = value(q, t, in_trouble(&windows, t));
        return json_response(
            200,
            &json!({"status":"success","data":{"resultType":"vector",
            "result":[{"metric":metric,"value":[t, format!("{v:.6}")]}]}}),
        );
    }
    let (start, end) = match (
        param_time(p, "start", now() - 3600),
        param_time(p, "end", now()),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return prom_error(400, e),
    };
    let step = p
        .get("step")
        .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
        .unwrap_or(15.0)
        .max(1.0) as i64;
    if end < start || (end - start) / step > 11_000 {
        return prom_error(
            400,
            "exceeded maximum resolution of 11,000 points per timeseries".into(),
        );
    }
    let values: Vec<Value> = (0..=(end - start) / step)
        .map(|i| start + i * step)
        .map(|t| json!([t, format!("{:.6}", value(q, t, in_trouble(&windows, t)))]))
        .collect();
    json_response(
        200,
        &json!({"status":"success","data":{"resultType":"matrix",
        "result":[{"metric":metric,"values":values}]}}),
    )
}

/// One alert: labels, annotations, state and since when it is active.
struct Alert {
    labels: Value,
    annotations: Value,
    firing: bool,
    active_at: i64,
}

fn alert(name: &str, severity: &str, ns: &str, extra: Value, summary: String, since: i64) -> Alert {
    let mut labels =
        json!({"alertname":name,"severity":severity,"namespace":ns,"cluster":"opsdeck-sim"});
    if let (Some(l), Some(e)) = (labels.as_object_mut(), extra.as_object()) {
        l.extend(e.clone());
    }
    Alert {
        labels,
        annotations: json!({"summary":summary,
            "description":format!("{summary}. Check the recent rollout and the pod logs."),
            "runbook_url":format!("https://runbooks.example.com/alerts/{name}")}),
        firing: now() - since >= PENDING_FOR,
        active_at: since,
    }
}

fn alerts(ctx: &Ctx) -> Vec<Alert> {
    let start = now() - 3 * 3600;
    let mut out = vec![
        Alert { firing: true, ..alert("Watchdog", "none", "monitoring", json!({}), "An alert that should always be firing to certify that Alertmanager is working properly".into(), start) },
        Alert { firing: true, ..alert("CPUThrottlingHigh", "info", "platform", json!({"container":"api-gateway"}), "Processes experience elevated CPU throttling".into(), start) },
    ];
    if let (Some(since), Some((ns, d))) = (trouble(ctx), bad_rollout(ctx)) {
        let svc = json!({"service": d, "deployment": d});
        out.push(alert(
            "HighErrorRate",
            "critical",
            &ns,
            svc.clone(),
            format!("5xx error rate of {d} above 5%"),
            since,
        ));
        out.push(alert(
            "HighLatencyP99",
            "warning",
            &ns,
            svc.clone(),
            format!("p99 latency of {d} above 1s"),
            since + 10,
        ));
        out.push(alert(
            "KubePodCrashLooping",
            "warning",
            &ns,
            svc,
            format!("Pods of {d} are crash looping"),
            since,
        ));
    }
    let spec = ctx.cfg.scenario.spec();
    for &i in spec.crashloop.iter().chain(spec.oom) {
        if i < ctx.cfg.deployments {
            let (ns, d) = scenario::deployment_key(ctx, i);
            let summary = format!("Pods of {d} are crash looping");
            out.push(alert(
                "KubePodCrashLooping",
                "warning",
                &ns,
                json!({"deployment": d}),
                summary,
                start,
            ));
        }
    }
    out
}

fn fingerprint(labels: &Value) -> String {
    format!("{:016x}", hash(&labels.to_string()))
}

fn matcher_ok(m: &Value, labels: &Value) -> bool {
    let name = m["name"].as_str().unwrap_or_default();
    let want = m["value"].as_str().unwrap_or_default();
    let have = labels[name].as_str().unwrap_or_default();
    let hit = if m["isRegex"] == true {
        want.split('|').any(|alt| match alt.split_once(".*") {
            Some((pre, suf)) => have.starts_with(pre) && have.ends_with(suf),
            None => alt == have,
        })
    } else {
        want == have
    };
    hit == (m["isEqual"] != false)
}

fn silence_active(s: &Value, t: i64) -> bool {
    let at = |k: &str| {
        s[k].as_str()
            .and_then(objects::parse_ts)
            .map(|t| t.as_second())
    };
    at("startsAt").is_some_and(|a| a <= t) && at("endsAt").is_some_and(|e| e > t)
}

fn am_alerts(ctx: &Ctx, p: &Params) -> Response {
    let all = alerts(ctx);
    let silences = ctx.prom.lock().silences.clone();
    let watchdog_fp = all
        .first()
        .map(|a| fingerprint(&a.labels))
        .unwrap_or_default();
    let t = now();
    let want = |k: &str| p.get(k).is_none_or(|v| v != "false");
    let list: Vec<Value> = all
        .iter()
        .filter(|a| a.firing)
        .filter_map(|a| {
            let silenced: Vec<&Value> = silences
                .iter()
                .filter(|s| silence_active(s, t))
                .filter(|s| s["matchers"].as_array().is_some_and(|ms| !ms.is_empty() && ms.iter().all(|m| matcher_ok(m, &a.labels))))
                .map(|s| &s["id"])
                .collect();
            let inhibited: Vec<String> = if a.labels["severity"] == "info" { vec![watchdog_fp.clone()] } else { Vec::new() };
            let suppressed = !silenced.is_empty() || !inhibited.is_empty();
            let keep = if suppressed { (silenced.is_empty() || want("silenced")) && (inhibited.is_empty() || want("inhibited")) } else { want("active") };
            keep.then(|| json!({"labels":a.labels,"annotations":a.annotations,"startsAt":ts(a.active_at),
                "endsAt":ts(t + 300),"updatedAt":ts(t),"fingerprint":fingerprint(&a.labels),
                "generatorURL":"http://127.0.0.1/graph","receivers":[{"name":"default"}],
                "status":{"state":if suppressed {"suppressed"} else {"active"},"silencedBy":silenced,"inhibitedBy":inhibited}}))
        })
        .collect();
    json_response(200, &Value::Array(list))
}

fn prom_alerts(ctx: &Ctx, rules: bool) -> Response {
    let list: Vec<Value> = alerts(ctx)
        .iter()
        .map(|a| json!({"labels":a.labels,"annotations":a.annotations,"state":if a.firing {"firing"} else {"pending"},
            "activeAt":ts(a.active_at),"value":"1e+00"}))
        .collect();
    if !rules {
        return json_response(200, &json!({"status":"success","data":{"alerts":list}}));
    }
    let rules: Vec<Value> = list
        .iter()
        .map(|a| json!({"type":"alerting","name":a["labels"]["alertname"],"query":"vector(1)","duration":PENDING_FOR,
            "labels":{"severity":a["labels"]["severity"]},"annotations":a["annotations"],"alerts":[a],
            "health":"ok","state":a["state"]}))
        .collect();
    json_response(
        200,
        &json!({"status":"success","data":{"groups":[{"name":"opsdeck-sim","file":"/etc/prometheus/sim.rules",
        "rules":rules,"interval":30}]}}),
    )
}

fn silence_state(s: &Value) -> &'static str {
    let t = now();
    let at = |k: &str| {
        s[k].as_str()
            .and_then(objects::parse_ts)
            .map(|t| t.as_second())
            .unwrap_or(0)
    };
    if at("endsAt") <= t {
        "expired"
    } else if at("startsAt") > t {
        "pending"
    } else {
        "active"
    }
}

fn silences(ctx: &Ctx) -> Response {
    let list: Vec<Value> = ctx
        .prom
        .lock()
        .silences
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s["status"] = json!({"state": silence_state(&s)});
            s
        })
        .collect();
    json_response(200, &Value::Array(list))
}

fn text(code: u16, msg: &str) -> Response {
    bytes_response(code, "text/plain", bytes::Bytes::from(msg.to_string()))
}

fn create_silence(ctx: &Ctx, body: &[u8]) -> Response {
    let Ok(mut s) = serde_json::from_slice::<Value>(body) else {
        return text(400, "invalid silence: malformed JSON");
    };
    let ok_matchers = s["matchers"].as_array().is_some_and(|m| {
        !m.is_empty()
            && m.iter()
                .all(|m| m["name"].is_string() && m["value"].is_string())
    });
    let parse = |k: &str| s[k].as_str().and_then(objects::parse_ts);
    let (Some(start), Some(end)) = (parse("startsAt"), parse("endsAt")) else {
        return text(400, "invalid silence: startsAt and endsAt are required");
    };
    if !ok_matchers || end <= start {
        return text(
            400,
            "invalid silence: at least one matcher is required and endsAt must be after startsAt",
        );
    }
    let id = objects::uid(&mut *ctx.rng.lock());
    s["id"] = json!(id);
    s["updatedAt"] = json!(ts(now()));
    ctx.prom.lock().silences.push(s);
    json_response(200, &json!({"silenceID": id}))
}

fn expire_silence(ctx: &Ctx, id: &str) -> Response {
    let mut st = ctx.prom.lock();
    match st.silences.iter_mut().find(|s| s["id"] == id) {
        Some(s) => {
            s["endsAt"] = json!(ts(now()));
            s["updatedAt"] = json!(ts(now()));
            json_response(200, &json!({}))
        }
        None => text(404, &format!("silence {id} not found")),
    }
}

/// Serves Prometheus/Alertmanager paths; `None` for anything else.
pub fn handle(ctx: &Ctx, method: &Method, path: &str, p: &Params, body: &[u8]) -> Option<Response> {
    let r = match (method.as_str(), path.trim_end_matches('/')) {
        ("GET" | "POST", "/api/v1/query") => query(ctx, p, false),
        ("GET" | "POST", "/api/v1/query_range") => query(ctx, p, true),
        ("GET", "/api/v1/alerts") => prom_alerts(ctx, false),
        ("GET", "/api/v1/rules") => prom_alerts(ctx, true),
        ("GET", "/api/v1/status/buildinfo") => json_response(
            200,
            &json!({"status":"success","data":{"version":"2.53.0-opsdeck-sim"}}),
        ),
        ("GET", "/-/healthy" | "/-/ready") => text(200, "OK"),
        ("GET", "/api/v2/alerts") => am_alerts(ctx, p),
        ("GET", "/api/v2/silences") => silences(ctx),
        ("POST", "/api/v2/silences") => create_silence(ctx, body),
        ("GET", "/api/v2/status") => json_response(
            200,
            &json!({"cluster":{"status":"ready","peers":[]},
            "versionInfo":{"version":"0.27.0-opsdeck-sim"},"uptime":ts(now()),"config":{"original":""}}),
        ),
        ("DELETE", p) if p.starts_with("/api/v2/silence/") => {
            expire_silence(ctx, p.trim_start_matches("/api/v2/silence/"))
        }
        ("GET", p) if p.starts_with("/api/v2/silence/") => {
            let id = p.trim_start_matches("/api/v2/silence/");
            let found = ctx
                .prom
                .lock()
                .silences
                .iter()
                .find(|s| s["id"] == id)
                .cloned();
            match found {
                Some(mut s) => {
                    s["status"] = json!({"state": silence_state(&s)});
                    json_response(200, &s)
                }
                None => text(404, &format!("silence {id} not found")),
            }
        }
        _ => return None,
    };
    Some(r)
}

/// Whether `path` belongs to the monitoring APIs (so the body must be read first).
pub fn owns(path: &str) -> bool {
    path.starts_with("/api/v2/")
        || path.starts_with("/-/")
        || matches!(
            path.trim_end_matches('/'),
            "/api/v1/query"
                | "/api/v1/query_range"
                | "/api/v1/alerts"
                | "/api/v1/rules"
                | "/api/v1/status/buildinfo"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_rise_in_trouble() {
        let calm = value(
            "sum(rate(http_requests_total{code=~\"5..\"}[5m]))",
            1000,
            0.0,
        );
        let bad = value(
            "sum(rate(http_requests_total{code=~\"5..\"}[5m]))",
            1000,
            1.0,
        );
        assert!(bad > calm * 10.0);
        assert_eq!(value("up", 5, 0.0), value("up", 5, 0.0));
        assert!((in_trouble(&[(100, Some(200))], 150) - 50.0 / 60.0).abs() < 1e-9);
        assert_eq!(in_trouble(&[(100, Some(200))], 400), 0.0);
    }

    #[test]
    fn matchers() {
        let l = json!({"alertname":"HighErrorRate","severity":"critical"});
        assert!(matcher_ok(
            &json!({"name":"alertname","value":"HighErrorRate","isRegex":false}),
            &l
        ));
        assert!(matcher_ok(
            &json!({"name":"severity","value":"warn.*|critical","isRegex":true}),
            &l
        ));
        assert!(!matcher_ok(
            &json!({"name":"severity","value":"critical","isEqual":false}),
            &l
        ));
    }
}
