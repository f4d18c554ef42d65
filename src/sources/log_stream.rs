//! One log stream: a container of a pod, followed with `timestamps=true`. When the stream ends
//! (container restarted, connection dropped) it reconnects with `sinceTime` of the last line and
//! skips what it already sent, so nothing is shown twice. Lines are capped, sanitised and
//! redacted here, before they leave the task.

use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncBufRead, AsyncBufReadExt};
use jiff::{RoundMode, Timestamp, TimestampRound, Unit};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use tokio::sync::mpsc::Sender;

use crate::model::log::{LineKind, LogLine, LogSource, detect_level, split_timestamp};
use crate::redact::Redactor;
use crate::sanitize::{sanitize, sanitize_cut};
use crate::sources::link::Links;
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
    /// Secrets to hide (after sanitising: what is shown is what is redacted).
    pub redactor: Arc<Redactor>,
    pub out: Sender<StreamMsg>,
    /// What the watches know of the context's API server, and the context's key there: a
    /// follow stream of a quiet container is silent by nature, so a silent network is noticed
    /// by the watchdogs, and the stream waits for the link instead of hanging on a dead one.
    pub links: Links,
    pub context: String,
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
            if let Some((since, reason)) = self.links.down(&self.context) {
                attempt = attempt.saturating_add(1);
                let health = SourceHealth::Reconnecting {
                    since,
                    attempt,
                    reason,
                };
                if self.out.send(StreamMsg::Health(health)).await.is_err() {
                    return;
                }
                self.links.wait_up(&self.context).await;
            }
            let params = self.params(&resume);
            let opened = tokio::select! {
                opened = self.api.log_stream(&self.source.pod, &params) => opened,
                _ = self.links.wait_down(&self.context) => continue,
            };
            match opened {
                Ok(reader) => {
                    told_waiting = false;
                    let live = StreamMsg::Health(SourceHealth::Live);
                    if self.out.send(live).await.is_err() {
                        return;
                    }
                    let before = resume;
                    let more = tokio::select! {
                        more = self.read(Box::pin(reader), &mut resume) => more,
                        _ = self.links.wait_down(&self.context) => {
                            tracing::info!(pod = %self.source.pod, "log stream: the API server does not answer");
                            continue;
                        }
                    };
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
                    let text = sanitize(status.message.as_bytes(), self.max_line_bytes).text;
                    if !told_waiting && !self.note(text).await {
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
                Ok(ReadLine::Line { dropped }) => dropped,
                // The kubelet ends every line with a newline: a followed stream that ends
                // inside one was cut. The part is dropped; the reconnect (from the last
                // line's second) brings the whole line. A previous log is read once: its
                // last line is what there is.
                Ok(ReadLine::Cut { dropped }) if self.previous => dropped,
                Ok(ReadLine::Cut { .. }) => {
                    tracing::info!(pod = %self.source.pod, "log stream cut mid-line");
                    return true;
                }
                Ok(ReadLine::End) => return true,
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
        let (mut text, mut runs) = (s.text, s.runs);
        self.redactor.redact_line(&mut text, &mut runs);
        let level = detect_level(&text);
        LogLine {
            source: self.source.clone(),
            time,
            text: text.into_boxed_str(),
            runs: runs.into_boxed_slice(),
            level,
            kind: LineKind::Log,
        }
    }
}

/// What [`read_line`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLine {
    /// A whole line; `dropped` bytes past the cap were not kept.
    Line { dropped: usize },
    /// The stream ended inside a line (no newline after it).
    Cut { dropped: usize },
    /// The stream ended after a whole line.
    End,
}

/// Read one line (without its newline) into `buf`, keeping at most `cap` bytes of it.
/// An I/O error inside a line loses the part read so far (the caller reconnects).
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<ReadLine> {
    buf.clear();
    let mut dropped = 0usize;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            let any = !buf.is_empty() || dropped > 0;
            return Ok(if any {
                ReadLine::Cut { dropped }
            } else {
                ReadLine::End
            });
        }
        let newline = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let take = cap.saturating_sub(buf.len()).min(part.len());
        buf.extend_from_slice(&part[..take]);
        dropped += part.len() - take;
        let used = newline.map(|i| i + 1).unwrap_or(chunk.len());
        reader.consume_unpin(used);
        if newline.is_some() {
            return Ok(ReadLine::Line { dropped });
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
        let line = |dropped| ReadLine::Line { dropped };
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), line(0));
        assert_eq!(buf, b"short");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), line(12));
        assert_eq!(buf, b"xxxxxxxx");
        let cut = read_line(&mut r, &mut buf, 8).await.unwrap();
        assert_eq!(cut, ReadLine::Cut { dropped: 0 });
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut r, &mut buf, 8).await.unwrap(), ReadLine::End);
    }

    /// A followed stream cut inside a line: the part is not shown; the reconnect (from the
    /// last whole line's second) brings the whole line, once, and what follows.
    #[tokio::test]
    async fn a_stream_cut_mid_line_loses_nothing_and_shows_no_fragment() {
        use futures::TryStreamExt;
        let cut = "2026-01-01T00:00:01Z first\n2026-01-01T00:00:02Z second li";
        // Cut by the connection (an I/O error) or by a clean end inside the line.
        for by_error in [true, false] {
            let mut chunks = vec![Ok(cut.as_bytes().to_vec())];
            if by_error {
                chunks.push(Err(std::io::Error::other("connection reset")));
            }
            let reader = futures::stream::iter(chunks).into_async_read();
            let texts = read_cut_then_resumed(reader).await;
            assert_eq!(
                texts,
                ["first", "second line", "third"],
                "by_error {by_error}"
            );
        }
    }

    async fn read_cut_then_resumed(cut: impl AsyncBufRead + Unpin) -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let stream = offline_stream(tx);
        let mut resume = Resume::default();
        assert!(stream.read(cut, &mut resume).await);
        let since = resume.since_time().map(|t| t.to_string());
        assert_eq!(since.as_deref(), Some("2026-01-01T00:00:01Z"));
        let again = concat!(
            "2026-01-01T00:00:01Z first\n",
            "2026-01-01T00:00:02Z second line\n",
            "2026-01-01T00:00:03Z third\n",
        );
        assert!(stream.read(again.as_bytes(), &mut resume).await);
        drop(stream);
        let mut texts = Vec::new();
        while let Some(StreamMsg::Line(l)) = rx.recv().await {
            texts.push(l.text.to_string());
        }
        texts
    }

    /// A stream of a pod that never answers (no server): only `read` is exercised.
    fn offline_stream(out: Sender<StreamMsg>) -> LogStream {
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        LogStream {
            api: Api::namespaced(client, "shop"),
            source: Arc::new(LogSource::new("shop", "web-1", "app", None, None, 1)),
            name_container: false,
            previous: false,
            start: Start::default(),
            max_line_bytes: crate::sanitize::LINE_CAP,
            note_gone: true,
            redactor: Arc::new(Redactor::defaults()),
            out,
            links: Links::default(),
            context: String::new(),
        }
    }

    #[tokio::test]
    async fn hostile_and_secret_lines_leave_the_task_sanitised_and_redacted() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let stream = offline_stream(tx);
        let raw = concat!(
            "2026-01-01T00:00:01Z INFO \x1b[31mAuthorization: Bearer abc.def-ghi\x1b[0m ok\n",
            "2026-01-01T00:00:02Z WARN \x1b]0;pwned\x07 db postgres://app:s3cr3t@db/x\n",
            "2026-01-01T00:00:03Z ERROR pass\x1b[1mword=hunter2 key AKIAIOSFODNN7EXAMPLE\n",
        );
        let mut resume = Resume::default();
        assert!(stream.read(raw.as_bytes(), &mut resume).await);
        drop(stream);
        let mut lines = Vec::new();
        while let Some(StreamMsg::Line(l)) = rx.recv().await {
            lines.push(l);
        }
        // These are the lines the tailer hands to the UI task: state stores them as they are.
        let texts: Vec<String> = lines.iter().map(|l| l.text.to_string()).collect();
        assert_eq!(texts.len(), 3);
        for t in &texts {
            assert!(!t.chars().any(char::is_control), "{t:?}");
            for secret in ["abc.def-ghi", "s3cr3t", "hunter2", "AKIAIOSFODNN7EXAMPLE"] {
                assert!(!t.contains(secret), "{secret} leaked: {t}");
            }
        }
        assert_eq!(texts[0], "INFO Authorization: Bearer [REDACTED] ok");
        assert!(
            texts[1].contains("postgres://app:[REDACTED]@db/x"),
            "{}",
            texts[1]
        );
        assert!(
            texts[2].contains("password=[REDACTED] key [REDACTED]"),
            "{}",
            texts[2]
        );
        let level = lines[2].level.map(|(l, _, _)| l);
        assert_eq!(level, Some(crate::model::log::LogLevel::Error));
    }
}
