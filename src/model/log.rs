//! Log lines as the log pane keeps them: sanitised text (see [`crate::sanitize`]), optional SGR
//! style runs, the time the kubelet stamped, the level when one is recognised, and the stream
//! (pod/container) it came from. Also what a tail asks for ([`LogRequest`]).

use std::sync::Arc;

use jiff::Timestamp;

use crate::model::rollout::WorkloadKind;

/// Colours a stream tag can take: a theme-independent palette index (the pane maps it to one of
/// a few 16-colour-safe styles, or to nothing under a monochrome theme).
pub const TAG_COLOURS: u8 = 10;

/// One log stream: a container of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The pod's `pod-template-hash` label (its revision is looked up from the ReplicaSets).
    pub hash: Option<String>,
    /// Short tag shown before each line (empty for a single-container pod tail).
    pub tag: String,
    /// Palette index, stable per pod (`0..TAG_COLOURS`).
    pub colour: u8,
}

impl LogSource {
    /// A source with its tag: `pod-suffix/container` on a deployment tail, `container` on a
    /// multi-container pod tail, nothing on a single-container pod tail.
    pub fn new(
        namespace: &str,
        pod: &str,
        container: &str,
        hash: Option<String>,
        deployment: Option<&str>,
        containers: usize,
    ) -> LogSource {
        let short = match deployment {
            Some(d) => short_pod(pod, d, hash.as_deref()),
            None => String::new(),
        };
        let tag = match (short.is_empty(), containers > 1) {
            (true, true) => container.to_string(),
            (true, false) => String::new(),
            (false, true) => format!("{short}/{container}"),
            (false, false) => short,
        };
        LogSource {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: container.to_string(),
            hash,
            tag,
            colour: colour_of(pod),
        }
    }
}

/// The part of a pod name after `deployment-hash-` (the random suffix), else the whole name.
fn short_pod(pod: &str, deployment: &str, hash: Option<&str>) -> String {
    let rest = pod
        .strip_prefix(deployment)
        .and_then(|r| r.strip_prefix('-'));
    let rest = match (rest, hash) {
        (Some(r), Some(h)) => r
            .strip_prefix(h)
            .and_then(|r| r.strip_prefix('-'))
            .unwrap_or(r),
        (Some(r), None) => r,
        (None, _) => pod,
    };
    if rest.is_empty() { pod } else { rest }.to_string()
}

/// FNV-1a of the pod name: the same pod always gets the same colour, on every machine.
pub fn colour_of(pod: &str) -> u8 {
    let mut h: u32 = 0x811c_9dc5;
    for b in pod.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % u32::from(TAG_COLOURS)) as u8
}

/// Severity recognised in a line (plain `ERROR`, JSON `level`/`severity`, logfmt `level=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl LogLevel {
    /// The level a word names (`warn`, `WARNING`, `err`, `crit`…), if any.
    pub fn from_word(word: &str) -> Option<LogLevel> {
        Some(match word.to_ascii_lowercase().as_str() {
            "trace" => LogLevel::Trace,
            "debug" | "dbug" => LogLevel::Debug,
            "info" | "information" | "notice" => LogLevel::Info,
            "warn" | "warning" => LogLevel::Warn,
            "error" | "err" | "eror" => LogLevel::Error,
            "fatal" | "panic" | "critical" | "crit" | "emerg" | "alert" => LogLevel::Fatal,
            _ => return None,
        })
    }

    /// The level as shown by the readable JSON view.
    pub fn label(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
        }
    }
}

/// The level of a line and where its token is (byte range, to highlight it).
pub fn detect_level(text: &str) -> Option<(LogLevel, u32, u32)> {
    // JSON and logfmt fields first: `"level":"error"`, `"severity":"WARNING"`, `level=warn`.
    for key in [
        "\"level\":",
        "\"severity\":",
        "\"lvl\":",
        "level=",
        "severity=",
    ] {
        if let Some(at) = text.find(key) {
            let start = at + key.len();
            let rest = &text[start..];
            let quoted = rest.starts_with('"');
            let value_start = start + usize::from(quoted);
            let value: &str = text[value_start..]
                .split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or("");
            if let Some(level) = LogLevel::from_word(value) {
                let end = value_start + value.len();
                return Some((level, value_start as u32, end as u32));
            }
        }
    }
    // A plain level word near the start: `ERROR something`, `[WARN] …`, `2024-… INFO …`.
    let head_end = text
        .char_indices()
        .nth(48)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let head = &text[..head_end];
    let mut offset = 0;
    for word in head.split(|c: char| !c.is_ascii_alphabetic()) {
        let start = offset;
        offset += word.len() + 1;
        let upper = word.len() >= 3 && word.bytes().all(|b| b.is_ascii_uppercase());
        if upper && let Some(level) = LogLevel::from_word(word) {
            return Some((level, start as u32, (start + word.len()) as u32));
        }
    }
    None
}

/// How a run of a line's text is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStyle {
    /// An SGR style the line itself asked for (colours may be dropped by a monochrome theme).
    Sgr(anstyle::Style),
    /// A control sequence shown escaped (e.g. `␛]0;title␇`), drawn muted.
    Escaped,
}

/// A styled byte range of a line's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleRun {
    pub start: u32,
    pub end: u32,
    pub style: RunStyle,
}

/// What a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A line the container wrote.
    Log,
    /// A note from the dashboard ("pod x gone", "stream limit reached").
    Note,
}

/// One line of the log pane. Text is sanitised: no control character survives.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub source: Arc<LogSource>,
    /// The kubelet's timestamp (requested with `timestamps=true`, stripped from the text).
    pub time: Option<Timestamp>,
    pub text: Box<str>,
    pub runs: Box<[StyleRun]>,
    /// The recognised level and the byte range of its token.
    pub level: Option<(LogLevel, u32, u32)>,
    pub kind: LineKind,
}

impl LogLine {
    /// A dashboard note attached to a stream.
    pub fn note(source: Arc<LogSource>, time: Option<Timestamp>, text: String) -> LogLine {
        LogLine {
            source,
            time,
            text: text.into_boxed_str(),
            runs: Box::new([]),
            level: None,
            kind: LineKind::Note,
        }
    }
}

/// Split the kubelet's `timestamps=true` prefix (`2024-05-01T12:00:00.123456789Z `) off a line.
pub fn split_timestamp(raw: &[u8]) -> (Option<Timestamp>, &[u8]) {
    let Some(space) = raw.iter().take(40).position(|b| *b == b' ') else {
        return (None, raw);
    };
    let parsed = std::str::from_utf8(&raw[..space])
        .ok()
        .and_then(|s| s.parse::<Timestamp>().ok());
    match parsed {
        Some(t) => (Some(t), &raw[space + 1..]),
        None => (None, raw),
    }
}

/// What a tail follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// One pod: every container (or only `container`).
    Pod {
        name: String,
        container: Option<String>,
    },
    /// Every pod of a Deployment, StatefulSet or DaemonSet, joining and leaving as they come
    /// and go, tagged with the revision each runs.
    Workload { kind: WorkloadKind, name: String },
}

impl LogTarget {
    /// Every pod of Deployment `name`.
    pub fn deployment(name: impl Into<String>) -> LogTarget {
        LogTarget::Workload {
            kind: WorkloadKind::Deployment,
            name: name.into(),
        }
    }
}

/// A tail to start: everything the tailer needs, without state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// Identifies this tail; lines of an older one are dropped.
    pub id: u64,
    pub context: String,
    pub namespace: String,
    pub target: LogTarget,
    /// The previous (terminated) container instance instead of the running one.
    pub previous: bool,
}

impl LogRequest {
    /// `pod/NAME` or `deploy/NAME`, with `(previous)`.
    pub fn title(&self) -> String {
        let what = match &self.target {
            LogTarget::Pod {
                name,
                container: Some(c),
            } => format!("pod/{name}/{c}"),
            LogTarget::Pod { name, .. } => format!("pod/{name}"),
            LogTarget::Workload { kind, name } => format!("{}/{name}", kind.short()),
        };
        if self.previous {
            format!("{what} (previous)")
        } else {
            what
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_short_and_colours_stable() {
        let s = LogSource::new(
            "ns",
            "web-7d9f-abcde",
            "app",
            Some("7d9f".into()),
            Some("web"),
            1,
        );
        assert_eq!(s.tag, "abcde");
        let s = LogSource::new("ns", "web-7d9f-abcde", "app", None, None, 2);
        assert_eq!(s.tag, "app");
        assert_eq!(LogSource::new("ns", "p", "c", None, None, 1).tag, "");
        assert_eq!(colour_of("web-1"), colour_of("web-1"));
        assert!(colour_of("x") < TAG_COLOURS);
    }

    #[test]
    fn levels_are_recognised() {
        fn l(s: &str) -> Option<(LogLevel, &str)> {
            detect_level(s).map(|(l, a, b)| (l, &s[a as usize..b as usize]))
        }
        assert_eq!(l("ERROR boom"), Some((LogLevel::Error, "ERROR")));
        assert_eq!(l("[WARN] slow"), Some((LogLevel::Warn, "WARN")));
        assert_eq!(
            l("{\"level\":\"info\",\"msg\":\"x\"}"),
            Some((LogLevel::Info, "info"))
        );
        assert_eq!(
            l("ts=1 level=error msg=x"),
            Some((LogLevel::Error, "error"))
        );
        assert_eq!(
            l("{\"severity\":\"WARNING\"}"),
            Some((LogLevel::Warn, "WARNING"))
        );
        assert_eq!(l("an error happened"), None);
    }

    #[test]
    fn timestamps_are_split() {
        let (t, rest) = split_timestamp(b"2024-05-01T12:00:00.123456789Z hello world");
        assert!(t.is_some());
        assert_eq!(rest, b"hello world");
        let (t, rest) = split_timestamp(b"hello world");
        assert!(t.is_none());
        assert_eq!(rest, b"hello world");
    }
}
