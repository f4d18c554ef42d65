//! GET, LIST (pagination, selectors) and WATCH (resume, bookmarks, 410 Gone, tables).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::api::{ApiError, ApiResult, Params, Target, bytes_response, is_true, json_response};
use super::selectors::Selector;
use super::server::Ctx;
use super::store::{Event, Key, Kind, Obj};
use super::table::{self, Include};

fn check_scope(t: &Target) -> Result<(), ApiError> {
    if t.ns.is_some() && !t.kind.namespaced() {
        return Err(ApiError::new(
            404,
            "the server could not find the requested resource",
        ));
    }
    Ok(())
}

fn selector(t: &Target, p: &Params) -> Result<Selector, ApiError> {
    let l = p.get("labelSelector").map_or("", String::as_str);
    let f = p.get("fieldSelector").map_or("", String::as_str);
    Selector::parse(t.kind, l, f).map_err(|e| ApiError::new(400, e.0))
}

fn encode_continue(rv: u64, key: &Key) -> String {
    format!("{rv}\n{}\n{}", key.0, key.1)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Option<(u64, Key)> {
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let mut parts = text.splitn(3, '\n');
    let rv = parts.next()?.parse().ok()?;
    Some((rv, (parts.next()?.to_string(), parts.next()?.to_string())))
}

/// LIST, as JSON or Table.
pub fn list(ctx: &Ctx, t: &Target, p: &Params, headers: &HeaderMap) -> ApiResult {
    check_scope(t)?;
    let sel = selector(t, p)?;
    let limit = match p.get("limit").map(|l| l.parse::<usize>()) {
        None => usize::MAX,
        Some(Ok(0)) => usize::MAX,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(ApiError::new(400, "limit must be a non-negative integer")),
    };
    let cont = match p.get("continue").filter(|c| !c.is_empty()) {
        Some(c) => Some(
            decode_continue(c).ok_or_else(|| ApiError::new(400, "continue key is not valid"))?,
        ),
        None => None,
    };
    let ns = t.ns.as_deref();
    let after = cont.as_ref().map(|(_, k)| k);
    let (objs, now_rv, more) = ctx
        .store
        .list(t.kind, ns, after, limit, &|o| sel.matches(o));
    let rv = cont.as_ref().map_or(now_rv, |(rv, _)| *rv);
    let next = more
        .then(|| {
            objs.last()
                .map(|o| encode_continue(rv, &(o.ns.clone(), o.name.clone())))
        })
        .flatten();
    if let Some(include) = table::requested(headers, p.get("includeObject")) {
        let tbl = table::table_bytes(t.kind, &objs, rv, next.as_deref(), include);
        return Ok(bytes_response(200, "application/json", tbl.into()));
    }
    Ok(bytes_response(
        200,
        "application/json",
        list_body(t.kind, &objs, rv, next.as_deref()),
    ))
}

fn list_body(kind: Kind, objs: &[Arc<Obj>], rv: u64, next: Option<&str>) -> Bytes {
    let size: usize = objs.iter().map(|o| o.json.len() + 1).sum();
    let mut out = Vec::with_capacity(size + 256);
    let meta = match next {
        Some(c) => json!({"resourceVersion": rv.to_string(), "continue": c}),
        None => json!({"resourceVersion": rv.to_string()}),
    };
    out.extend_from_slice(
        format!(
            "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{meta},\"items\":[",
            kind.name(),
            kind.api_version()
        )
        .as_bytes(),
    );
    for (i, o) in objs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&o.json);
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

/// GET of one object, as JSON or a one-row Table.
pub fn get(ctx: &Ctx, t: &Target, p: &Params, headers: &HeaderMap) -> ApiResult {
    check_scope(t)?;
    let name = t.name.as_deref().unwrap_or_default();
    if t.sub.is_some() || (t.kind.namespaced() && t.ns.is_none()) {
        return Err(ApiError::new(
            404,
            "the server could not find the requested resource",
        ));
    }
    let obj = ctx
        .store
        .get(t.kind, t.ns.as_deref().unwrap_or_default(), name)
        .ok_or_else(|| ApiError::not_found(t.kind, name))?;
    if let Some(include) = table::requested(headers, p.get("includeObject")) {
        let tbl = table::table(t.kind, &[obj.value()], obj.rv, None, include);
        return Ok(json_response(200, &tbl));
    }
    Ok(bytes_response(200, "application/json", obj.json.clone()))
}

struct Watch {
    kind: Kind,
    ns: Option<String>,
    sel: Selector,
    backlog: VecDeque<Arc<Event>>,
    rx: broadcast::Receiver<Arc<Event>>,
    last_rv: u64,
    deadline: Instant,
    bookmarks: Option<tokio::time::Interval>,
    table: Option<Include>,
    streams: tokio::sync::watch::Receiver<u64>,
    done: bool,
    /// `sendInitialEvents=true`: end the initial ADDED burst with the marker bookmark.
    initial_end: bool,
}

/// WATCH: a chunked stream of newline-delimited events.
pub fn watch(ctx: Arc<Ctx>, t: &Target, p: &Params, headers: &HeaderMap) -> ApiResult {
    check_scope(t)?;
    let sel = selector(t, p)?;
    let from = match p.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::new(400, "invalid resourceVersion"))?,
        ),
    };
    let ns = t.ns.clone();
    let in_scope = |o: &Obj| ns.as_deref().is_none_or(|n| o.ns == n) && sel.matches(o);
    let sub = match ctx.store.subscribe(t.kind, from, &in_scope) {
        Ok(s) => s,
        Err(_) => {
            let status = ApiError::new(
                410,
                format!(
                    "too old resource version: {} ({})",
                    from.unwrap_or(0),
                    ctx.store.compacted()
                ),
            );
            let line = format!("{}\n", json!({"type":"ERROR","object":status.status()}));
            return Ok(stream_response(futures::stream::iter([Bytes::from(line)])));
        }
    };
    let timeout = p
        .get("timeoutSeconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1800u64);
    let bookmarks = is_true(p.get("allowWatchBookmarks")).then(|| {
        let period = Duration::from_secs(5);
        tokio::time::interval_at(Instant::now() + period, period)
    });
    let w = Watch {
        kind: t.kind,
        ns: t.ns.clone(),
        sel,
        backlog: sub.backlog.into(),
        rx: sub.rx,
        last_rv: sub.rv,
        deadline: Instant::now() + Duration::from_secs(timeout),
        bookmarks,
        table: table::requested(headers, p.get("includeObject")),
        streams: ctx.streams.subscribe(),
        done: false,
        initial_end: is_true(p.get("sendInitialEvents")),
    };
    let stream = futures::stream::unfold(w, |mut w| async move {
        let item = w.next().await?;
        Some((item, w))
    });
    Ok(stream_response(stream))
}

fn stream_response(s: impl futures::Stream<Item = Bytes> + Send + 'static) -> Response {
    use futures::StreamExt;
    let mut r = Response::new(Body::from_stream(s.map(Ok::<_, Infallible>)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

impl Watch {
    async fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        if let Some(ev) = self.backlog.pop_front() {
            return Some(self.render(&ev));
        }
        if std::mem::take(&mut self.initial_end) {
            return Some(self.bookmark_with(json!({"k8s.io/initial-events-end": "true"})));
        }
        loop {
            let bookmark = async {
                match self.bookmarks.as_mut() {
                    Some(i) => i.tick().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = self.rx.recv() => match r {
                    Ok(ev) => {
                        self.last_rv = self.last_rv.max(ev.obj.rv);
                        if ev.kind == self.kind && self.matches(&ev.obj) {
                            return Some(self.render(&ev));
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "watcher fell behind; closing with 410");
                        self.done = true;
                        let st = ApiError::new(410, "watch fell behind").status();
                        return Some(Bytes::from(format!("{}\n", json!({"type":"ERROR","object":st}))));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = bookmark => return Some(self.bookmark()),
                _ = tokio::time::sleep_until(self.deadline) => return None,
                _ = self.streams.changed() => return None,
            }
        }
    }

    fn matches(&self, o: &Obj) -> bool {
        self.ns.as_deref().is_none_or(|n| o.ns == n) && self.sel.matches(o)
    }

    fn bookmark(&self) -> Bytes {
        self.bookmark_with(json!({}))
    }

    fn bookmark_with(&self, annotations: serde_json::Value) -> Bytes {
        let obj = json!({"kind":self.kind.name(),"apiVersion":self.kind.api_version(),
            "metadata":{"resourceVersion":self.last_rv.to_string(),"annotations":annotations}});
        Bytes::from(format!("{}\n", json!({"type":"BOOKMARK","object":obj})))
    }

    fn render(&self, ev: &Event) -> Bytes {
        match self.table {
            None => ev.line(),
            Some(include) => {
                let mut t = table::table(self.kind, &[ev.obj.value()], ev.obj.rv, None, include);
                t["metadata"] = json!({"resourceVersion": ev.obj.rv.to_string()});
                let line = json!({"type": ev.etype.as_str(), "object": t});
                Bytes::from(format!("{line}\n"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let k = ("ns".to_string(), "pod-1".to_string());
        let tok = encode_continue(42, &k);
        assert_eq!(decode_continue(&tok), Some((42, k)));
        assert_eq!(decode_continue("zz"), None);
        assert_eq!(decode_continue("abc"), None);
    }
}
