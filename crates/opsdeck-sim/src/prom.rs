//! Prometheus (`/api/v1/query`, `query_range`, `alerts`, `rules`) and Alertmanager
//! (`/api/v2/alerts`, `/api/v2/silences`) look-alikes for the demo. Queries about the SLO series
//! (`slo.rs`) are evaluated exactly (PromQL subset, `promql.rs`); any other query gets one
//! deterministic series per query string, whose error and latency values rise while the
//! scenario's bad rollout is live. Alerts come from the rules of `alerts.rs`.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::http::Method;
use axum::response::Response;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::alerts::{self, Alert};
use super::api::{Params, bytes_response, json_response};
use super::objects;
use super::promql::{self, Query};
use super::server::Ctx;
use super::slo::{self, Slos};
use super::story::{self, Story};

/// Mutable monitoring state: the scenario's story and the silences.
pub struct PromState {
    pub story: Story,
    silences: Vec<Value>,
}

/// Holder in the shared context.
pub type Shared = Mutex<PromState>;

impl PromState {
    /// Monitoring state for a simulator starting now.
    pub fn new() -> Shared {
        Mutex::new(PromState {
            story: Story::new(now()),
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
    let kind = if code == 422 { "execution" } else { "bad_data" };
    json_response(
        code,
        &json!({"status":"error","errorType":kind,"error":msg}),
    )
}

/// The evaluation times of a query: `time` (instant), or `start..=end` by `step` (range).
fn times(p: &Params, range: bool) -> Result<Vec<i64>, String> {
    if !range {
        return Ok(vec![param_time(p, "time", now())?]);
    }
    let start = param_time(p, "start", now() - 3600)?;
    let end = param_time(p, "end", now())?;
    let step = p
        .get("step")
        .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
        .unwrap_or(15.0)
        .max(1.0) as i64;
    if end < start || (end - start) / step > 11_000 {
        return Err("exceeded maximum resolution of 11,000 points per timeseries".into());
    }
    Ok((0..=(end - start) / step)
        .map(|i| start + i * step)
        .collect())
}

fn query(ctx: &Ctx, p: &Params, range: bool) -> Response {
    let Some(q) = p.get("query").filter(|q| !q.trim().is_empty()) else {
        return prom_error(400, "invalid parameter \"query\": empty query".into());
    };
    let times = match times(p, range) {
        Ok(t) => t,
        Err(e) => return prom_error(400, e),
    };
    let snap = story::observe(ctx, now());
    let slos = Slos::build(ctx, &snap);
    let series_at = |t: i64| slos.series(t);
    let last = times.last().copied().unwrap_or_else(now);
    match Query::parse(q) {
        // Queries about the SLO series are answered exactly, like Prometheus would.
        Ok(parsed) if parsed.selects(&series_at(last)) => {
            match promql::answer(&parsed, &times, range, &series_at) {
                Ok(data) => json_response(200, &json!({"status":"success","data":data})),
                Err(e) => prom_error(422, e),
            }
        }
        Err(e) if slo::mentions_slo_metric(q) => {
            prom_error(400, format!("invalid parameter \"query\": {e}"))
        }
        _ => {
            // A query about another SLO service (by name) stays calm while checkout burns.
            let bad = snap.bad_rollout().map(|c| c.deployment.as_str());
            let named = |svc: &str| q.contains(svc);
            let affected = bad.is_some_and(named) || !slos.sloth.iter().any(|s| named(&s.service));
            let trouble = |t: i64| {
                if affected {
                    snap.rollout_trouble(t)
                } else {
                    0.0
                }
            };
            synthetic(q, &times, range, &trouble)
        }
    }
}

/// Anything else gets one deterministic, plausible series per query string, troubled as
/// `trouble(t)` says (0 to 1).
fn synthetic(q: &str, times: &[i64], range: bool, trouble: &dyn Fn(i64) -> f64) -> Response {
    let metric = json!({"__name__": "opsdeck_sim", "query": q});
    let point = |t: i64| json!([t, format!("{:.6}", value(q, t, trouble(t)))]);
    let data = if range {
        let values: Vec<Value> = times.iter().map(|t| point(*t)).collect();
        json!({"resultType":"matrix","result":[{"metric":metric,"values":values}]})
    } else {
        let t = times.first().copied().unwrap_or_else(now);
        json!({"resultType":"vector","result":[{"metric":metric,"value":point(t)}]})
    };
    json_response(200, &json!({"status":"success","data":data}))
}

fn alerts(ctx: &Ctx) -> Vec<Alert> {
    let now = now();
    let snap = story::observe(ctx, now);
    let slos = Slos::build(ctx, &snap);
    alerts::evaluate(ctx, &snap, &slos, now)
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
        .filter(|a| a.firing(t))
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
            keep.then(|| json!({"labels":a.labels,"annotations":a.annotations,"startsAt":ts(a.fired_at()),
                "endsAt":ts(t + 300),"updatedAt":ts(t),"fingerprint":fingerprint(&a.labels),
                "generatorURL":"http://127.0.0.1/graph","receivers":[{"name":"default"}],
                "status":{"state":if suppressed {"suppressed"} else {"active"},"silencedBy":silenced,"inhibitedBy":inhibited}}))
        })
        .collect();
    json_response(200, &Value::Array(list))
}

fn prom_alerts(ctx: &Ctx, rules: bool) -> Response {
    let t = now();
    let all = alerts(ctx);
    let list: Vec<Value> = all
        .iter()
        .map(|a| json!({"labels":a.labels,"annotations":a.annotations,"state":if a.firing(t) {"firing"} else {"pending"},
            "activeAt":ts(a.active_at),"value":"1e+00"}))
        .collect();
    if !rules {
        return json_response(200, &json!({"status":"success","data":{"alerts":list}}));
    }
    let rules: Vec<Value> = list
        .iter()
        .zip(&all)
        .map(|(a, rule)| json!({"type":"alerting","name":a["labels"]["alertname"],"query":"vector(1)","duration":rule.for_secs,
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
