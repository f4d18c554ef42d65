//! `[logs]`: the log tail.

use serde::Deserialize;

use crate::config::ConfigDuration;

/// How the log pane tails and how much it keeps.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    /// Lines of history each stream starts with (`tailLines`), unless `since` is set.
    pub tail_lines: u32,
    /// Start each stream this far back instead of `tail_lines` (`sinceSeconds`).
    pub since: Option<ConfigDuration>,
    /// Lines kept by the log pane (a ring buffer: the oldest go first).
    pub buffer_lines: usize,
    /// Longest line kept, in bytes; the rest is cut with a visible marker.
    pub max_line_bytes: usize,
    /// Log streams open at once on a deployment tail; further pods wait for a free slot.
    pub max_streams: usize,
    /// Lines are sent to the screen in batches at most this often (milliseconds).
    pub batch_ms: u64,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            tail_lines: 200,
            since: None,
            buffer_lines: 10_000,
            max_line_bytes: crate::sanitize::LINE_CAP,
            max_streams: 50,
            batch_ms: 50,
        }
    }
}

impl LogsConfig {
    /// `(key, message)` of the first invalid value.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if !(100..=1_000_000).contains(&self.buffer_lines) {
            p.push(("buffer_lines", "must be between 100 and 1000000".into()));
        }
        if !(256..=1024 * 1024).contains(&self.max_line_bytes) {
            p.push(("max_line_bytes", "must be between 256 and 1048576".into()));
        }
        if !(1..=1000).contains(&self.max_streams) {
            p.push(("max_streams", "must be between 1 and 1000".into()));
        }
        if !(10..=1000).contains(&self.batch_ms) {
            p.push(("batch_ms", "must be between 10 and 1000".into()));
        }
        p
    }
}
