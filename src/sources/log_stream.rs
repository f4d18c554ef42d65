//! One log stream: a container of a pod, followed with `timestamps=true`. When the stream ends
//! (container restarted, connection dropped) it reconnects with `sinceTime` of the last line and
//! skips what it already sent, so nothing is shown twice. Lines are capped and sanitised here,
//! before they leave the task.

use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncBufRead, AsyncBufReadExt};
use jiff::{RoundMode, Timestamp, TimestampRound, Unit};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use tokio::sync::mpsc::Sender;

use crate::model::log::{LineKind, LogLine, LogSource, detect_level, split_timestamp};
use crate::sanitize::sanitize_cut;
use crate::update::SourceHealth;

/// Longest wait between two attempts to open a stream.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Room for the kubelet's timestamp in front of a capped line.
const TIMESTAMP_ROOM: usize = 48;

/// What a stream task reports to its tailer.
#[derive(Debug)]
pub enum StreamMsg {
    Line(LogLine),
    Health(SourceHealth),
}

/// Where a stream starts the first time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Start {
    pub tail_lines: Option<i64>,
    pub since_seconds: Option<i64>,
}

/// One container's log, until the pod is gone (or, for `previous`, until read once).
pub struct LogStream {
    pub api: Api<Pod>,
    pub source: Arc<LogSource>,
    /// Pass the container name (pods with several containers need it).
    pub name_container: bool,
    pub previous: bool,
    pub start: Start,
    pub max_line_bytes: usize,
    /// Say "pod X gone" when the pod disappears (a deployment tail's watcher says it instead).
    pub note_gone: bool,
    pub out: Sender<StreamMsg>,
}

/// The last timestamp sent and how many lines carried it (to skip them after a reconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resume {
    pub last: Option<(Timestamp, usize)>,
}

impl Resume {
    /// `sinceTime` to reconnect with: the last second, rounded down (the API has second
    /// precision; rounding up would lose lines).
    pub fn since_time(&self) -> Option<Timestamp> {
        let round = TimestampRound::new()
            .smallest(Unit::Second)
            .mode(RoundMode::Trunc);
        self.last.and_then(|(t, _)| t.round(round).ok())
    }

    /// A new connection: returns a filter that drops what was already sent.
    pub fn reconnected(&self) -> Skip {
        Skip {
            after: self.last.map(|(t, _)| t),
            equal: self.last.map(|(_, n)| n).unwrap_or(0),
        }
    }

    /// A line with timestamp `t` was sent.
    pub fn sent(&mut self, t: Timestamp) {
        self.last = match self.last {
            Some((last, n)) if last == t => Some((t, n + 1)),
            _ => Some((t, 1)),
        };
    }
}

/// Drops lines of a resumed stream that were already sent.
#[derive(Debug, Clone, Copy)]
pub struct Skip {
    after: Option<Timestamp>,
    equal: usize,
}

impl Skip {
    /// Whether a line stamped `t` was already sent.
    pub fn seen(&mut self, t: Option<Timestamp>) -> bool {
        let (Some(after), Some(t)) = (self.after, t) else {
            return false;
        };
        if t < after {
            return true;
        }
        if t == after && self.equal > 0 {
            self.equal -= 1;
            return true;
        }
        self.after = None;
        false
    }
}

fn backoff(attempt: u32) -> Duration {
    let ms = 250u64.saturating_mul(1 << attempt.min(8));
    Duration::from_millis(ms).min(MAX_BACKOFF)
}

impl LogStream {
    async fn note(&self, text: String) -> bool {
        let line = LogLine::note(self.source.clone(), Some(Timestamp::now()), text);
        self.out.send(StreamMsg::Line(line)).await.is_ok()
    }

    fn params(&self, resume: &Resume) -> LogParams {
        let first = resume.last.is_none();
        LogParams {
            container: self.name_container.then(|| self.source.container.clone()),
            follow: !self.previous,
            previous: self.previous,
            timestamps: true,
            tail_lines: self.start.tail_lines.filter(|_| first),
            since_seconds: self.start.since_seconds.filter(|_| first),
            // kube uses the jiff of k8s-openapi: whole seconds carry over exactly.
            since_time: resume
                .since_time()
                .and_then(|t| k8s_openapi::jiff::Timestamp::from_second(t.as_second()).ok()),
            ..LogParams::default()
        }
    }

    /// Run until the pod is gone, the tailer drops the receiver, or the task is aborted.
    pub async fn run(self) {
        let mut resume = Resume::default();
        let mut attempt = 0u32;
        let mut told_waiting = false;
        loop {
            let params = self.params(&resume);
            match self.api.log_stream(&self.source.pod, &params).await {
                Ok(reader) => {
                    told_waiting = false;
                    let live = StreamMsg::Health(SourceHealth::Live);
                    if self.out.send(live).await.is_err() {
                        return;
                    }
                    let before = resume;
                    let more = self.read(Box::pin(reader), &mut resume).await;
                    if !more || self.previous {
                        return;
                    }
                    // A stream that brought nothing new (container stopped) backs off.
                    if resume != before {
                        attempt = 0;
                    }
                }
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    if self.note_gone {
                        self.note(format!("pod {} gone", self.source.pod)).await;
                    }
                    return;
                }
                Err(kube::Error::Api(status)) if status.code == 400 => {
                    // Not started yet (Pending, ImagePullBackOff), or no previous instance.
                    if !told_waiting && !self.note(status.message.clone()).await {
                        return;
                    }
                    told_waiting = true;
                    if self.previous {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(pod = %self.source.pod, error = %e, attempt, "log stream failed");
                    let health = SourceHealth::Reconnecting {
                        since: Timestamp::now(),
                        attempt: attempt + 1,
                        reason: e.to_string(),
                    };
                    if self.out.send(StreamMsg::Health(health)).await.is_err() {
                        return;
                    }
                }
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt = attempt.saturating_add(1);
        }
    }

    /// Read lines until the stream ends. Returns false when the tailer is gone.
    async fn read<R: AsyncBufRead + Unpin>(&self, mut reader: R, resume: &mut Resume) -> bool {
        let mut skip = resume.reconnected();
        let mut buf = Vec::with_capacity(256);
        let cap = self.max_line_bytes + TIMESTAMP_ROOM;
        loop {
            let extra = match read_line(&mut reader, &mut buf, cap).await {
                Ok(Some(extra)) => extra,
                Ok(None) => return true,
                Err(e) => {
                    tracing::info!(pod = %self.source.pod, error = %e, "log stream ended");
                    return true;
                }
            };
            let (time, body) = split_timestamp(&buf);
            if skip.seen(time) {
                continue;
            }
            if let Some(t) = time {
                resume.sent(t);
            }
            let line = self.line(time, body, extra);
            if self.out.send(StreamMsg::Line(line)).await.is_err() {
                return false;
            }
        }
    }

    fn line(&self, time: Option<Timestamp>, body: &[u8], extra: usize) -> LogLine {
        let s = sanitize_cut(body, self.max_line_bytes, extra);
        let level = detect_level(&s.text);
        LogLine {
            source: self.source.clone(),
            time,
            text: s.text.into_boxed_str(),
            runs: s.runs.into_boxed_slice(),
            level,
            kind: LineKind::Log,
        }
    }
}

/// Read one line (without its newline) into `buf`, keeping at most `cap` bytes of it.
/// Returns how many bytes were dropped, or `None` at the end of the stream.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<usize>> {
    buf.clear();
    let mut dropped = 0usize;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            let any = !buf.is_empty() || dropped > 0;
            return Ok(any.then_some(dropped));
        }
        let newline = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let take = cap.saturating_sub(buf.len()).min(part.len());
        buf.extend_from_slice(&part[..take]);
        dropped += part.len() - take;
        let used = newline.map(|i| i + 1).unwrap_or(chunk.len());
        reader.consume_unpin(used);
        if newline.is_some() {
            return Ok(Some(dropped));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_skips_what_was_sent() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let mut r = Resume::default();
        r.sent(t("2026-01-01T00:00:01.5Z"));
        r.sent(t("2026-01-01T00:00:02.25Z"));
        r.sent(t("2026-01-01T00:00:02.25Z"));
        assert_eq!(r.since_time(), Some(t("2026-01-01T00:00:02Z")));
        let mut skip = r.reconnected();
        assert!(skip.seen(Some(t("2026-01-01T00:00:02.1Z"))));
        assert!(skip.seen(Some(t("2026-01-01T00:00:02.25Z"))));
        assert!(skip.seen(Some(t("2026-01-01T00:00:02.25Z"))));
        assert!(
            !skip.seen(Some(t("2026-01-01T00:00:02.25Z"))),
            "a third line is new"
        );
        assert!(
            !skip.seen(Some(t("2026-01-01T00:00:01Z"))),
            "skipping ends at the first new"
        );
    }

    #[tokio::test]
    async fn lines_are_capped_while_read() {
        let data = b"short\nxxxxxxxxxxxxxxxxxxxx\nlast".to_vec();
        let mut r = futures::io::BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(0));
        assert_eq!(buf, b"short");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(12));
        assert_eq!(buf, b"xxxxxxxx");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), Some(0));
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), None);
    }
}
