//! Log lines and log states for the state and pane tests.
#![allow(dead_code)]

use std::sync::Arc;

use opsdeck::model::event::EventRow;
use opsdeck::model::log::{LineKind, LogLine, LogRequest, LogSource, LogTarget, detect_level};
use opsdeck::sanitize::{LINE_CAP, sanitize};

use super::ago;

/// A line of `pod` (container `app`), as the tailer would send it.
pub fn line_of(source: &Arc<LogSource>, i: i64, raw: &str) -> LogLine {
    let s = sanitize(raw.as_bytes(), LINE_CAP);
    LogLine {
        source: source.clone(),
        time: Some(ago(600 - i)),
        level: detect_level(&s.text),
        text: s.text.into_boxed_str(),
        runs: s.runs.into_boxed_slice(),
        kind: LineKind::Log,
    }
}

pub fn pod_source(pod: &str) -> Arc<LogSource> {
    Arc::new(LogSource::new("shop", pod, "app", None, None, 1))
}

pub fn deploy_source(pod: &str, hash: &str) -> Arc<LogSource> {
    Arc::new(LogSource::new(
        "shop",
        pod,
        "app",
        Some(hash.into()),
        Some("checkout"),
        1,
    ))
}

pub fn pod_request(id: u64) -> LogRequest {
    LogRequest {
        id,
        context: "prod-eu-1".into(),
        namespace: "shop".into(),
        target: LogTarget::Pod {
            name: "checkout-7d9f-abcde".into(),
            container: None,
        },
        previous: false,
    }
}

pub fn deploy_request(id: u64) -> LogRequest {
    LogRequest {
        target: LogTarget::deployment("checkout"),
        ..pod_request(id)
    }
}

/// `n` numbered lines `line 0`..`line n-1` of one pod.
pub fn numbered(n: usize) -> Vec<LogLine> {
    let src = pod_source("checkout-7d9f-abcde");
    (0..n)
        .map(|i| line_of(&src, i as i64, &format!("INFO line {i}")))
        .collect()
}

/// An event of a pod, last seen `secs` ago.
pub fn event(kind: &str, reason: &str, message: &str, secs: i64, count: u32) -> EventRow {
    EventRow {
        kind: kind.into(),
        reason: reason.into(),
        message: message.into(),
        count,
        last_seen: Some(ago(secs)),
    }
}
