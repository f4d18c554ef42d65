//! The log pane: a capped ring buffer of sanitised lines, follow/pause, scrolling, search with
//! `n`/`N`, a filter that keeps only matching lines, wrap and timestamp toggles.
//!
//! Lines are addressed by an absolute sequence number (`seq`), so positions survive eviction of
//! the oldest lines. The "view" is the list of the seqs of every line, or of the lines passing
//! the filter: a [`ListState`] in [`Mode::Tail`], whose cursor is the bottom line on screen.
//! Rendering walks up from the view's bottom line and formats only what fits.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::model::event::PodEvents;
use crate::model::log::{LineKind, LogLine, LogRequest};
use crate::redact::Redactor;
use crate::state::list::{ListState, Mode, Move};

/// The default redaction, compiled once.
static DEFAULT_REDACTOR: LazyLock<Arc<Redactor>> = LazyLock::new(|| Arc::new(Redactor::defaults()));

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
    /// Seqs of the lines that pass the filter (every line without one); the cursor is the
    /// bottom line on screen, following the newest line until the user scrolls or pauses.
    view: ListState<u64>,
    filter: Option<Pattern>,
    search: Option<Pattern>,
    /// The search match the view was moved to by `n`/`N`.
    pub current_match: Option<u64>,
    pub wrap: bool,
    pub timestamps: bool,
    /// Show JSON lines readably (level, time, message, then `key=value`); render-time only.
    pub readable_json: bool,
    /// Redaction of what the pane derives from lines (the readable JSON view decodes escapes).
    pub redactor: Arc<Redactor>,
    /// Whether any container line arrived (else the pods' events are shown, if any).
    has_logs: bool,
    /// Recent events of the tailed pods, while none has logs to show.
    pub events: Vec<PodEvents>,
    /// ReplicaSet revision by pod-template-hash (deployment tails).
    pub revisions: HashMap<String, u64>,
    /// Streams open and waiting for the stream limit.
    pub streams: (usize, usize),
    capacity: usize,
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
            view: ListState::new(Mode::Tail),
            filter: None,
            search: None,
            current_match: None,
            wrap: false,
            timestamps: false,
            readable_json: false,
            redactor: DEFAULT_REDACTOR.clone(),
            has_logs: false,
            events: Vec::new(),
            revisions: HashMap::new(),
            streams: (0, 0),
            capacity: capacity.max(1),
        }
    }

    /// Start showing a new tail: the buffer is emptied, toggles and patterns stay.
    pub fn start(&mut self, request: LogRequest) {
        let keep = (self.wrap, self.timestamps, self.readable_json);
        let (filter, search) = (self.filter.take(), self.search.take());
        self.clear();
        (self.wrap, self.timestamps, self.readable_json) = keep;
        self.search = search;
        self.set_filter_pattern(filter);
        self.request = Some(request);
    }

    /// Forget the tail (scope changed); the window height stays.
    pub fn clear(&mut self) {
        let (redactor, height) = (self.redactor.clone(), self.view.height());
        *self = LogsState::with_capacity(self.capacity);
        self.redactor = redactor;
        self.view.set_height(height);
    }

    /// Events of the tailed pods arrived (they replace the previous ones).
    pub fn apply_events(&mut self, tail: u64, events: Vec<PodEvents>) -> bool {
        if self.tail_id() != Some(tail) || self.events == events {
            return false;
        }
        let before = self.shows_events();
        self.events = events;
        before || self.shows_events()
    }

    /// No container line yet, but events to show instead of an empty pane.
    pub fn shows_events(&self) -> bool {
        !self.has_logs && self.events.iter().any(|p| !p.events.is_empty())
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
            self.has_logs |= line.kind == LineKind::Log;
            let seq = self.end();
            if self.filter.as_ref().is_none_or(|f| f.keeps(&line)) {
                self.view.push(seq);
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
        let first = self.first;
        // An anchored line that was evicted: the view holds on to the oldest line left.
        self.view.drop_front_while(|s| *s < first);
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
        self.view.len()
    }

    /// Seq of the `i`th line of the view.
    pub fn view_seq(&self, i: usize) -> Option<u64> {
        self.view.get(i).copied()
    }

    /// Position in the view of the last line at or before `seq`.
    fn view_pos(&self, seq: u64) -> Option<usize> {
        self.view.position_at_or_before(&seq)
    }

    /// The view: every line (or those passing the filter), the bottom line on screen, paging.
    pub fn list(&self) -> &ListState<u64> {
        &self.view
    }

    /// Position in the view of the bottom line on screen (`None`: empty view).
    pub fn bottom(&self) -> Option<usize> {
        (!self.view.is_empty()).then(|| self.view.cursor())
    }

    /// Following the newest line (not paused, not scrolled up).
    pub fn is_following(&self) -> bool {
        !self.view.is_moved()
    }

    /// Lines of the view below the screen (arrived while paused or scrolled up).
    pub fn new_lines(&self) -> usize {
        match self.bottom() {
            Some(b) if !self.is_following() => self.view_len() - 1 - b,
            _ => 0,
        }
    }

    /// `p`: pause (keep the screen still while lines keep arriving) or follow again.
    pub fn toggle_pause(&mut self) {
        if !self.is_following() {
            self.view.follow();
        } else if !self.view.is_empty() {
            self.view.hold();
        }
    }

    /// `G`: follow the newest line again.
    pub fn follow(&mut self) {
        self.view.follow();
        self.current_match = None;
    }

    /// Move the view (`G` follows again). Scrolling never resumes following, even onto the
    /// newest line; the screen stays full (the bottom line is never above the first page).
    pub fn go(&mut self, m: Move) {
        match m {
            Move::Bottom => self.follow(),
            m => self.view.go(m),
        }
    }

    /// Scroll by `delta` lines of the view (negative: up, towards older lines).
    pub fn scroll(&mut self, delta: isize) {
        self.view.move_by(delta);
    }

    /// `g`: the oldest lines.
    pub fn top(&mut self) {
        self.view.go(Move::Top);
    }

    /// Rows per page (the height the layout gave the pane).
    pub fn page(&self) -> usize {
        self.view.page()
    }

    /// Rows on screen, from the layout.
    pub fn set_height(&mut self, rows: usize) {
        self.view.set_height(rows);
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
        let kept = (self.first..)
            .zip(&self.lines)
            .filter(|(_, l)| filter.as_ref().is_none_or(|f| f.keeps(l)))
            .map(|(s, _)| s);
        // The screen stays near where it was: the last kept line at or before the bottom one.
        self.view.set_rows(kept);
        self.filter = filter;
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
        self.view.select(pos + below);
        true
    }

    fn view_line(&self, i: usize) -> Option<&LogLine> {
        self.view_seq(i).and_then(|s| self.line(s))
    }
}
