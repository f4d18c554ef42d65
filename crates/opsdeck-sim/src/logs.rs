//! Synthetic container logs, generated lazily and deterministically from (seed, pod, container,
//! restart, line index): nothing is stored, so 50,000 pods cost nothing until someone reads.

use std::convert::Infallible;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use super::api::{ApiError, ApiResult, Params, Target, is_true};
use super::objects;
use super::server::Ctx;
use super::store::Kind;

/// Lines returned at most without `tailLines`/`sinceSeconds`.
const MAX_BACKLOG: u64 = 5_000;

/// Where one container instance's log lives in time.
struct Source {
    seed: u64,
    app: String,
    start: f64,
    end: Option<f64>,
    rate: f64,
    noisy: bool,
    crashed: Option<String>,
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn secs(v: &Value) -> Option<f64> {
    v.as_str()
        .and_then(objects::parse_ts)
        .map(|t| t.as_millisecond() as f64 / 1000.0)
}

fn now_secs() -> f64 {
    jiff::Timestamp::now().as_millisecond() as f64 / 1000.0
}

impl Source {
    fn line_time(&self, i: u64) -> f64 {
        self.start + i as f64 / self.rate
    }

    /// Lines written so far (all of them for a finished instance).
    fn count(&self) -> u64 {
        let until = self.end.unwrap_or_else(now_secs);
        ((until - self.start) * self.rate).max(0.0) as u64
    }

    fn line(&self, i: u64, timestamps: bool) -> String {
        let t = self.line_time(i);
        let ts = jiff::Timestamp::from_millisecond((t * 1000.0) as i64)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let is_last = self.end.is_some() && i + 1 == self.count();
        let body = match (&self.crashed, is_last) {
            (Some(reason), true) => {
                format!("FATAL {reason}: giving up after unrecoverable error, exiting")
            }
            _ => self.message(i, &ts),
        };
        if timestamps {
            format!("{ts} {body}\n")
        } else {
            format!("{body}\n")
        }
    }

    fn message(&self, i: u64, ts: &str) -> String {
        let h = mix(self.seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let bad = self.crashed.is_some();
        let level = match h % 100 {
            n if n < 8 || (bad && n < 30) => "ERROR",
            n if n < 20 => "WARN",
            _ => "INFO",
        };
        let paths = [
            "/api/v1/orders",
            "/api/v1/cart",
            "/healthz",
            "/api/v1/items",
            "/metrics",
        ];
        let path = paths[((h >> 8) % paths.len() as u64) as usize];
        let status = match level {
            "ERROR" => 500,
            "WARN" => 429,
            _ => 200,
        };
        let ms = (h >> 16) % 250 + 1;
        let trace = (h >> 3) & 0xffff_ffff_ffff;
        if (h >> 40).is_multiple_of(500) {
            let blob = "x".repeat(2048 + ((h >> 20) % 4096) as usize);
            return format!(
                "{level} {} dumping request payload: {{\"payload\":\"{blob}\"}}",
                self.app
            );
        }
        if self.noisy && (h >> 44).is_multiple_of(20) {
            return match (h >> 50) % 3 {
                0 => format!(
                    "\x1b[31m{level}\x1b[0m {} upstream timeout after {ms}ms",
                    self.app
                ),
                1 => format!(
                    "{level} {} \x1b]0;pwned\x07window title changed\x1b[2J",
                    self.app
                ),
                _ => format!("{level} {} bell\x07 and cursor \x1b[10;10Hmove", self.app),
            };
        }
        if (h >> 32).is_multiple_of(3) {
            format!(
                "{{\"level\":\"{}\",\"ts\":\"{ts}\",\"logger\":\"{}\",\"msg\":\"request completed\",\"method\":\"GET\",\"path\":\"{path}\",\"status\":{status},\"latency_ms\":{ms},\"trace_id\":\"{trace:012x}\"}}",
                level.to_lowercase(),
                self.app
            )
        } else {
            format!(
                "{level:<5} [{}] GET {path} {status} {ms}ms trace={trace:012x}",
                self.app
            )
        }
    }
}

fn bad(msg: String) -> ApiError {
    ApiError::new(400, msg)
}

fn source(ctx: &Ctx, pod: &Value, p: &Params) -> Result<Source, ApiError> {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let containers: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    let cname = match p.get("container") {
        Some(c) if containers.contains(&c.as_str()) => c.clone(),
        Some(c) => return Err(bad(format!("container {c} is not valid for pod {name}"))),
        None if containers.len() == 1 => containers[0].to_string(),
        None => {
            return Err(bad(format!(
                "a container name must be specified for pod {name}, choose one of: {containers:?}"
            )));
        }
    };
    let statuses = pod["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let st = statuses
        .iter()
        .find(|s| s["name"] == cname.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    let restarts = st["restartCount"].as_u64().unwrap_or(0);
    let previous = is_true(p.get("previous"));
    let mut h = DefaultHasher::new();
    (ctx.cfg.seed, name, &cname, restarts, previous).hash(&mut h);
    let noisy = ctx.cfg.scenario.spec().noisy_logs;
    let rate = (ctx.cfg.log_rate * if noisy { 4.0 } else { 1.0 }).max(0.01);
    let app = pod["metadata"]["labels"]["app"]
        .as_str()
        .unwrap_or(&cname)
        .to_string();
    if previous {
        let term = &st["lastState"]["terminated"];
        let (Some(start), Some(end)) = (secs(&term["startedAt"]), secs(&term["finishedAt"])) else {
            return Err(bad(format!(
                "previous terminated container \"{cname}\" in pod \"{name}\" not found"
            )));
        };
        let reason = term["reason"].as_str().unwrap_or("Error").to_string();
        let start = start.min(end - 30.0);
        return Ok(Source {
            seed: h.finish(),
            app,
            start,
            end: Some(end),
            rate,
            noisy,
            crashed: Some(reason),
        });
    }
    let start = secs(&st["state"]["running"]["startedAt"])
        .or_else(|| secs(&st["state"]["terminated"]["startedAt"]))
        .or_else(|| secs(&st["lastState"]["terminated"]["startedAt"]));
    let Some(start) = start else {
        let why = st["state"]["waiting"]["reason"]
            .as_str()
            .unwrap_or("ContainerCreating");
        return Err(bad(format!(
            "container \"{cname}\" in pod \"{name}\" is waiting to start: {why}"
        )));
    };
    let end = secs(&st["state"]["terminated"]["finishedAt"]).or_else(|| {
        (!st["state"]["running"].is_object())
            .then(|| secs(&st["lastState"]["terminated"]["finishedAt"]))
            .flatten()
    });
    let crashed =
        (objects::behavior_of(pod) != objects::Behavior::Healthy).then(|| "panic".to_string());
    Ok(Source {
        seed: h.finish(),
        app,
        start,
        end,
        rate,
        noisy,
        crashed,
    })
}

fn first_line(src: &Source, p: &Params, count: u64) -> Result<u64, ApiError> {
    let mut first = count.saturating_sub(MAX_BACKLOG);
    if let Some(n) = p.get("tailLines") {
        let n: i64 = n
            .parse()
            .map_err(|_| bad("tailLines must be an integer".into()))?;
        if n >= 0 {
            first = count.saturating_sub(n as u64);
        }
    }
    let since = match (p.get("sinceSeconds"), p.get("sinceTime")) {
        (Some(s), _) => Some(
            now_secs()
                - s.parse::<f64>()
                    .map_err(|_| bad("sinceSeconds must be an integer".into()))?,
        ),
        (None, Some(t)) => Some(
            secs(&Value::String(t.clone()))
                .ok_or_else(|| bad("sinceTime must be RFC 3339".into()))?,
        ),
        _ => None,
    };
    if let Some(since) = since {
        let i = ((since - src.start) * src.rate).ceil().max(0.0) as u64;
        first = first.max(i);
    }
    Ok(first.min(count))
}

/// GET `pods/{name}/log`.
pub async fn serve(ctx: Arc<Ctx>, t: &Target, p: &Params) -> ApiResult {
    let ns = t.ns.clone().unwrap_or_default();
    let name = t.name.clone().unwrap_or_default();
    let obj = ctx
        .store
        .get(Kind::Pod, &ns, &name)
        .ok_or_else(|| ApiError::not_found(Kind::Pod, &name))?;
    let pod = obj.value();
    let src = source(&ctx, &pod, p)?;
    let count = src.count();
    let first = first_line(&src, p, count)?;
    let ts = is_true(p.get("timestamps"));
    let backlog: String = (first..count).map(|i| src.line(i, ts)).collect();
    let follow = is_true(p.get("follow")) && src.end.is_none();
    let head = futures::stream::iter([Bytes::from(backlog)]);
    let body = if follow {
        let uid = pod["metadata"]["uid"].clone();
        let tail = follow_stream(ctx, ns, name, uid, src, count, ts);
        Body::from_stream(futures::StreamExt::map(
            futures::StreamExt::chain(head, tail),
            Ok::<_, Infallible>,
        ))
    } else {
        Body::from_stream(futures::StreamExt::map(head, Ok::<_, Infallible>))
    };
    let mut r = Response::new(body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    Ok(r)
}

struct Follow {
    ctx: Arc<Ctx>,
    ns: String,
    name: String,
    uid: Value,
    src: Source,
    next: u64,
    ts: bool,
    streams: tokio::sync::watch::Receiver<u64>,
    _open: OpenFollow,
}

/// Counts a follow stream as open in the stats until the response body is dropped (client gone,
/// pod gone, streams closed).
struct OpenFollow(Arc<Ctx>);

impl OpenFollow {
    fn new(ctx: Arc<Ctx>) -> OpenFollow {
        ctx.stats.log_follows.fetch_add(1, Ordering::Relaxed);
        OpenFollow(ctx)
    }
}

impl Drop for OpenFollow {
    fn drop(&mut self) {
        self.0.stats.log_follows.fetch_sub(1, Ordering::Relaxed);
    }
}

fn follow_stream(
    ctx: Arc<Ctx>,
    ns: String,
    name: String,
    uid: Value,
    src: Source,
    next: u64,
    ts: bool,
) -> impl futures::Stream<Item = Bytes> + Send {
    let streams = ctx.streams.subscribe();
    let f = Follow {
        _open: OpenFollow::new(ctx.clone()),
        ctx,
        ns,
        name,
        uid,
        src,
        next,
        ts,
        streams,
    };
    futures::stream::unfold(f, |mut f| async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = f.streams.changed() => return None,
            }
            let alive = f
                .ctx
                .store
                .get(Kind::Pod, &f.ns, &f.name)
                .is_some_and(|o| !o.terminating && o.value()["metadata"]["uid"] == f.uid);
            if !alive {
                return None;
            }
            let count = f.src.count();
            if count > f.next {
                let chunk: String = (f.next..count).map(|i| f.src.line(i, f.ts)).collect();
                f.next = count;
                return Some((Bytes::from(chunk), f));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Source {
        Source {
            seed: 7,
            app: "web".into(),
            start: 1_000.0,
            end: Some(1_100.0),
            rate: 5.0,
            noisy: true,
            crashed: None,
        }
    }

    #[test]
    fn lines_are_deterministic_and_bounded() {
        let s = src();
        assert_eq!(s.count(), 500);
        assert_eq!(s.line(3, true), s.line(3, true));
        assert!(s.line(3, true).starts_with("1970-01-01T00:16:40.6"));
        let p: Params = [("tailLines".to_string(), "5".to_string())].into();
        assert_eq!(first_line(&s, &p, 500).unwrap(), 495);
    }
}
