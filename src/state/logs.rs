//! The log pane: a capped ring buffer of sanitised lines, follow/pause, scrolling, search with
//! `n`/`N`, a filter that keeps only matching lines, wrap and timestamp toggles.
//!
//! Lines are addressed by an absolute sequence number (`seq`), so positions survive eviction of
//! the oldest lines. The "view" is every line, or the lines passing the filter. Rendering walks
//! up from the view's bottom line and formats only what fits.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};

use regex::Regex;

use crate::model::log::{LogLine, LogRequest};

/// Bytes of line text kept at most, whatever `buffer_lines` says (bounded memory even when every
/// line is at the length cap).
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// A search or filter pattern: a regex (smart case: case-insensitive unless it has a capital),
/// a literal when it is not a valid regex; `!` in front of a filter excludes.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub regex: Regex,
    pub exclude: bool,
}

impl Pattern {
    /// `None` for an empty pattern.
    pub fn parse(text: &str, allow_exclude: bool) -> Option<Pattern> {
        let (exclude, body) = match text.strip_prefix('!') {
            Some(rest) if allow_exclude => (true, rest),
            _ => (false, text),
        };
        if body.is_empty() {
            return None;
        }
        let insensitive = !body.chars().any(char::is_uppercase);
        let build = |src: &str| {
            regex::RegexBuilder::new(src)
                .case_insensitive(insensitive)
                .size_limit(1 << 20)
                .build()
        };
        let regex = build(body).or_else(|_| build(&regex::escape(body))).ok()?;
        Some(Pattern {
            text: text.to_string(),
            regex,
            exclude,
        })
    }

    /// Whether a line passes (for a filter) or matches (for a search).
    pub fn keeps(&self, line: &LogLine) -> bool {
        self.regex.is_match(&line.text) != self.exclude
    }
}

/// State of the log pane.
#[derive(Debug)]
pub struct LogsState {
    /// The tail on screen (`None`: nothing tailed yet).
    pub request: Option<LogRequest>,
    lines: VecDeque<LogLine>,
    bytes: usize,
    /// Seq of `lines[0]`.
    first: u64,
    /// `None`: following the newest line; else the seq of the bottom line on screen.
    anchor: Option<u64>,
    /// Seqs of the lines that pass the filter (only while a filter is set).
    kept: Option<VecDeque<u64>>,
    filter: Option<Pattern>,
    search: Option<Pattern>,
    /// The search match the view was moved to by `n`/`N`.
    pub current_match: Option<u64>,
    pub wrap: bool,
    pub timestamps: bool,
    /// ReplicaSet revision by pod-template-hash (deployment tails).
    pub revisions: HashMap<String, u64>,
    /// Streams open and waiting for the stream limit.
    pub streams: (usize, usize),
    capacity: usize,
    /// Rows of the last render (page size); touched by rendering only.
    pub viewport: Cell<usize>,
}

impl Default for LogsState {
    fn default() -> Self {
        LogsState::with_capacity(10_000)
    }
}

impl LogsState {
    /// An empty pane keeping at most `capacity` lines.
    pub fn with_capacity(capacity: usize) -> LogsState {
        LogsState {
            request: None,
            lines: VecDeque::new(),
            bytes: 0,
            first: 0,
            anchor: None,
            kept: None,
            filter: None,
            search: None,
            current_match: None,
            wrap: false,
            timestamps: false,
            revisions: HashMap::new(),
            streams: (0, 0),
            capacity: capacity.max(1),
            viewport: Cell::new(0),
        }
    }

    /// Start showing a new tail: the buffer is emptied, toggles and patterns stay.
    pub fn start(&mut self, request: LogRequest) {
        let capacity = self.capacity;
        let keep = (
            self.wrap,
            self.timestamps,
            self.filter.take(),
            self.search.take(),
        );
        *self = LogsState::with_capacity(capacity);
        (self.wrap, self.timestamps) = (keep.0, keep.1);
        self.search = keep.3;
        self.set_filter_pattern(keep.2);
        self.request = Some(request);
    }

    /// Forget the tail (scope changed).
    pub fn clear(&mut self) {
        *self = LogsState::with_capacity(self.capacity);
    }

    /// The id of the tail on screen.
    pub fn tail_id(&self) -> Option<u64> {
        self.request.as_ref().map(|r| r.id)
    }

    /// Append a batch, evicting the oldest lines over the caps. Returns whether it was taken.
    pub fn apply_lines(&mut self, tail: u64, lines: Vec<LogLine>) -> bool {
        if self.tail_id() != Some(tail) {
            return false;
        }
        for line in lines {
            let seq = self.end();
            if let (Some(kept), Some(f)) = (&mut self.kept, &self.filter)
                && f.keeps(&line)
            {
                kept.push_back(seq);
            }
            self.bytes += line.text.len();
            self.lines.push_back(line);
        }
        while self.lines.len() > self.capacity || (self.bytes > MAX_BYTES && self.lines.len() > 1) {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.text.len();
            }
            self.first += 1;
        }
        if let Some(kept) = &mut self.kept {
            while kept.front().is_some_and(|s| *s < self.first) {
                kept.pop_front();
            }
        }
        if let Some(a) = self.anchor
            && a < self.first
        {
            self.anchor = self.view_seq(0);
        }
        true
    }

    /// Seq after the newest line.
    fn end(&self) -> u64 {
        self.first + self.lines.len() as u64
    }

    /// Lines in the buffer (before the filter).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The line with sequence number `seq`, if still buffered.
    pub fn line(&self, seq: u64) -> Option<&LogLine> {
        let i = seq.checked_sub(self.first)?;
        self.lines.get(usize::try_from(i).ok()?)
    }

    /// Lines in the view (passing the filter).
    pub fn view_len(&self) -> usize {
        match &self.kept {
            Some(k) => k.len(),
            None => self.lines.len(),
        }
    }

    /// Seq of the `i`th line of the view.
    pub fn view_seq(&self, i: usize) -> Option<u64> {
        match &self.kept {
            Some(k) => k.get(i).copied(),
            None => (i < self.lines.len()).then(|| self.first + i as u64),
        }
    }

    /// Position in the view of the last line at or before `seq`.
    fn view_pos(&self, seq: u64) -> Option<usize> {
        match &self.kept {
            Some(k) => match k.binary_search(&seq) {
                Ok(i) => Some(i),
                Err(0) => None,
                Err(i) => Some(i - 1),
            },
            None => {
                let last = self.lines.len().checked_sub(1)?;
                Some((seq.saturating_sub(self.first) as usize).min(last))
            }
        }
    }

    /// Position in the view of the bottom line on screen (`None`: empty view).
    pub fn bottom(&self) -> Option<usize> {
        let last = self.view_len().checked_sub(1)?;
        match self.anchor {
            None => Some(last),
            Some(seq) => Some(self.view_pos(seq).unwrap_or(0)),
        }
    }

    /// Following the newest line (not paused, not scrolled up).
    pub fn is_following(&self) -> bool {
        self.anchor.is_none()
    }

    /// Lines of the view below the screen (arrived while paused or scrolled up).
    pub fn new_lines(&self) -> usize {
        match (self.anchor, self.bottom()) {
            (Some(_), Some(b)) => self.view_len() - 1 - b,
            _ => 0,
        }
    }

    /// `p`: pause (keep the screen still while lines keep arriving) or follow again.
    pub fn toggle_pause(&mut self) {
        self.anchor = match self.anchor {
            Some(_) => None,
            None => self.bottom().and_then(|b| self.view_seq(b)),
        };
    }

    /// `G`: follow the newest line again.
    pub fn follow(&mut self) {
        self.anchor = None;
        self.current_match = None;
    }

    /// Scroll by `delta` lines of the view (negative: up, towards older lines). Reaching the
    /// newest line does not resume following; `G` does.
    pub fn scroll(&mut self, delta: isize) {
        let Some(bottom) = self.bottom() else { return };
        let page = self.page().min(self.view_len());
        let min = page.saturating_sub(1) as isize;
        let last = self.view_len() as isize - 1;
        let to = (bottom as isize + delta).clamp(min.min(last), last) as usize;
        self.anchor = self.view_seq(to);
    }

    /// `g`: the oldest lines.
    pub fn top(&mut self) {
        let page = self.page().min(self.view_len());
        self.anchor = self.view_seq(page.saturating_sub(1));
    }

    /// Rows per page, as last rendered.
    pub fn page(&self) -> usize {
        self.viewport.get().max(1)
    }

    pub fn search(&self) -> Option<&Pattern> {
        self.search.as_ref()
    }

    pub fn filter(&self) -> Option<&Pattern> {
        self.filter.as_ref()
    }

    /// `/` typed: the search pattern (highlighted; `n`/`N` move between matches).
    pub fn set_search(&mut self, text: &str) {
        if self.search.as_ref().map(|p| p.text.as_str()).unwrap_or("") == text {
            return;
        }
        self.search = Pattern::parse(text, false);
        self.current_match = None;
    }

    /// `&` typed: keep only lines matching (or, with `!`, not matching).
    pub fn set_filter(&mut self, text: &str) {
        if self.filter.as_ref().map(|p| p.text.as_str()).unwrap_or("") == text {
            return;
        }
        self.set_filter_pattern(Pattern::parse(text, true));
    }

    fn set_filter_pattern(&mut self, filter: Option<Pattern>) {
        let anchor = self.anchor;
        self.kept = filter.as_ref().map(|f| {
            (self.first..)
                .zip(&self.lines)
                .filter(|(_, l)| f.keeps(l))
                .map(|(s, _)| s)
                .collect()
        });
        self.filter = filter;
        // Keep the screen near where it was: the last kept line at or before the anchor.
        self.anchor = anchor.and_then(|a| self.view_pos(a).and_then(|p| self.view_seq(p)));
    }

    /// `n` (`older = true`: towards older lines) / `N`: move to the next search match.
    pub fn next_match(&mut self, older: bool) -> bool {
        let Some(search) = &self.search else {
            return false;
        };
        let Some(bottom) = self.bottom() else {
            return false;
        };
        let from = match self.current_match.and_then(|s| self.view_pos(s)) {
            Some(p) => p,
            None if older => bottom + 1,
            None => bottom.saturating_sub(self.page()),
        };
        let hit = if older {
            (0..from).rev().find(|&i| {
                self.view_line(i)
                    .is_some_and(|l| search.regex.is_match(&l.text))
            })
        } else {
            (from + 1..self.view_len()).find(|&i| {
                self.view_line(i)
                    .is_some_and(|l| search.regex.is_match(&l.text))
            })
        };
        let Some(pos) = hit else { return false };
        self.current_match = self.view_seq(pos);
        // Show the match in the middle of the screen when there is room below it.
        let below = (self.page() / 2).min(self.view_len() - 1 - pos);
        self.anchor = self.view_seq(pos + below);
        true
    }

    fn view_line(&self, i: usize) -> Option<&LogLine> {
        self.view_seq(i).and_then(|s| self.line(s))
    }
}
