//! One state for every list on screen: pods, rollouts, alerts, revisions, log lines, form
//! fields and the text of the detail views.
//!
//! A [`ListState`] holds the keys of the rows in display order (the owner keeps the rows
//! themselves, and keeps the keys sorted: a change costs a binary search and one insert or
//! remove, never a re-sort), the cursor, the window on screen and the filter typed for it.
//!
//! - The cursor follows its row by key, so it survives re-sorting and rows coming and going.
//!   How it rests until the user moves it depends on the [`Mode`].
//! - The window height is data from the layout ([`ListState::set_height`]); the first row on
//!   screen is kept up to date whenever the cursor, the rows or the height change. Render only
//!   reads it; paging moves by the height.
//! - The filter is parsed once, when it is set ([`Filter`]).
//!
//! A new list (timeline, SLOs, …): keep the rows in the pane state, keyed by identity, and a
//! `ListState<Sorted<SortBy, Id>>` of the rows shown (`Sorted` orders by `SortBy` and follows
//! the `Id`); on each update call [`ListState::replace`] with the row's old and new key, on a
//! relist or a new filter [`ListState::set_rows`]; let render read [`ListState::first_shown`]
//! and [`ListState::window`]. Then give it a height in `Viewports` (computed by
//! `ui::layout::viewports`) and a line in `AppState::move_cursor` (`state/paging.rs`).

use std::cmp::Reverse;
use std::collections::VecDeque;

use crate::action::Action;

/// A movement asked for by a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

impl Move {
    /// The movement an action asks for, if it is one.
    pub fn from_action(action: &Action) -> Option<Move> {
        Some(match action {
            Action::Up => Move::Up,
            Action::Down => Move::Down,
            Action::PageUp => Move::PageUp,
            Action::PageDown => Move::PageDown,
            Action::Top => Move::Top,
            Action::Bottom => Move::Bottom,
            _ => return None,
        })
    }
}

/// The key of a row: it orders the list and says which row it is.
pub trait ListKey: Ord + Clone {
    /// Whether two keys name the same row. A key that sorts by a changing field (health,
    /// time) compares only the row's identity here, so the cursor finds its row again after
    /// the list was rebuilt.
    fn same_row(&self, other: &Self) -> bool {
        self == other
    }
}

impl ListKey for () {}
impl ListKey for u64 {}
impl<T: ListKey> ListKey for Reverse<T> {}

/// A row's place in a list sorted by `by`, then by `id`: the same row whatever `by` says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sorted<S, I> {
    pub by: S,
    pub id: I,
}

impl<S: Ord + Clone, I: Ord + Clone> ListKey for Sorted<S, I> {
    fn same_row(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// How the cursor and the window of a list behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A highlighted row that stays on the first row until the user moves it, then follows
    /// its row (pods, rollouts: what sorts first stays in view and is what `r`/`u` act on).
    /// Moving back to the first row pins it there again.
    #[default]
    Pinned,
    /// A highlighted row that always follows its row (alerts, revisions, form fields).
    Follow,
    /// A growing list read from the bottom (log lines): the cursor is the bottom row of the
    /// window and follows the newest row until the user scrolls; only [`ListState::follow`]
    /// follows again. The window stays full: the cursor is never above the first page.
    Tail,
    /// Lines of text (detail views): the cursor is the top row of the window, and the last
    /// page is as far as it goes.
    Text,
}

/// A filter as typed, parsed once: a case-insensitive substring; `!text` keeps the rows that
/// do not contain it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    text: String,
    /// Lowercased, without the `!`.
    needle: String,
    negate: bool,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let (negate, needle) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        Filter {
            text: text.to_string(),
            needle: needle.to_lowercase(),
            negate,
        }
    }

    /// The filter as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether a row whose searchable fields are `fields` passes.
    pub fn matches<'a>(&self, fields: impl IntoIterator<Item = &'a str>) -> bool {
        if self.text.is_empty() {
            return true;
        }
        let hit = fields.into_iter().any(|f| contains_folded(f, &self.needle));
        hit != self.negate
    }
}

/// Whether `hay` contains `needle` (already lowercase), ignoring case; without allocating for
/// ASCII text.
fn contains_folded(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
        return needle.is_empty()
            || hay
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle));
    }
    hay.to_lowercase().contains(needle)
}

/// The first row of a window of `height` rows that shows `cursor`, moved from `offset` as
/// little as possible, never past the last page.
fn scroll_into_view(offset: usize, cursor: usize, len: usize, height: usize) -> usize {
    let mut offset = offset;
    if cursor < offset {
        offset = cursor;
    } else if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    offset.min(len.saturating_sub(height))
}

/// Rows (by key), cursor, window and filter of one list. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState<K> {
    mode: Mode,
    /// Keys in display order, sorted.
    rows: VecDeque<K>,
    /// Index of the cursor row; when there are rows, `rows[cursor] == selected`.
    cursor: usize,
    selected: Option<K>,
    /// The user moved the cursor away from where the mode rests it.
    moved: bool,
    /// First row on screen.
    offset: usize,
    /// Rows on screen, as the layout said (0: not told yet).
    height: usize,
    filter: Filter,
}

impl<K: ListKey> Default for ListState<K> {
    fn default() -> Self {
        ListState::new(Mode::default())
    }
}

impl<K: ListKey> ListState<K> {
    pub fn new(mode: Mode) -> Self {
        ListState {
            mode,
            rows: VecDeque::new(),
            cursor: 0,
            selected: None,
            moved: false,
            offset: 0,
            height: 0,
            filter: Filter::default(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Index of the cursor row (for [`Mode::Tail`] the bottom row on screen, for
    /// [`Mode::Text`] the top one).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Key of the row under the cursor.
    pub fn selected(&self) -> Option<&K> {
        self.selected.as_ref()
    }

    /// The user moved the cursor (for [`Mode::Tail`]: not following the newest row).
    pub fn is_moved(&self) -> bool {
        self.moved
    }

    /// First row on screen.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Rows on screen, as the layout said (0 until told).
    pub fn height(&self) -> usize {
        self.height
    }

    /// Rows a page moves by.
    pub fn page(&self) -> usize {
        self.height.max(1)
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    pub fn get(&self, index: usize) -> Option<&K> {
        self.rows.get(index)
    }

    /// Index of a key, by binary search.
    pub fn position(&self, key: &K) -> Option<usize> {
        self.rows.binary_search(key).ok()
    }

    /// Index of the last row ordered at or before `key`.
    pub fn position_at_or_before(&self, key: &K) -> Option<usize> {
        self.rows.partition_point(|k| k <= key).checked_sub(1)
    }

    pub fn iter(&self) -> impl Iterator<Item = &K> {
        self.rows.iter()
    }

    /// Keys of rows `start..start+len`.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = &K> {
        let start = start.min(self.len());
        let end = start.saturating_add(len).min(self.len());
        self.rows.range(start..end)
    }

    /// The first row on screen in a window of `height` rows. When `height` is the height the
    /// layout gave, that is [`offset`](Self::offset); otherwise (a state drawn without being
    /// told its layout) the offset moved just enough to show the cursor. Reads only.
    pub fn first_shown(&self, height: usize) -> usize {
        match self.mode {
            Mode::Text => self.cursor,
            Mode::Tail => (self.cursor + 1).saturating_sub(height),
            Mode::Pinned | Mode::Follow if height == 0 => self.offset,
            Mode::Pinned | Mode::Follow => {
                scroll_into_view(self.offset, self.cursor, self.len(), height)
            }
        }
    }

    // Moving (the user).

    pub fn go(&mut self, m: Move) {
        let page = self.page() as isize;
        match m {
            Move::Up => self.move_by(-1),
            Move::Down => self.move_by(1),
            Move::PageUp => self.move_by(-page),
            Move::PageDown => self.move_by(page),
            Move::Top => self.select(0),
            Move::Bottom if self.mode == Mode::Tail => self.follow(),
            Move::Bottom => self.select(self.len().saturating_sub(1)),
        }
    }

    /// Move the cursor by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        let Some(last) = self.len().checked_sub(1) else {
            return;
        };
        let to = (self.cursor as isize).saturating_add(delta);
        self.select(to.clamp(0, last as isize) as usize);
    }

    /// Put the cursor on row `index` (clamped): an explicit move by the user.
    pub fn select(&mut self, index: usize) {
        let Some(last) = self.len().checked_sub(1) else {
            return;
        };
        self.cursor = index.min(last);
        self.moved = match self.mode {
            Mode::Pinned => self.cursor != 0,
            Mode::Follow | Mode::Tail | Mode::Text => true,
        };
        self.settle();
    }

    /// Rest the cursor where the mode rests it again ([`Mode::Tail`]: follow the newest row).
    pub fn follow(&mut self) {
        self.moved = false;
        self.settle();
    }

    /// Keep the cursor on its row from now on ([`Mode::Tail`]: pause).
    pub fn hold(&mut self) {
        self.moved = true;
        self.settle();
    }

    // Told by the layout and the owner.

    /// Rows on screen, from the layout.
    pub fn set_height(&mut self, height: usize) {
        if self.height != height {
            self.height = height;
            self.settle();
        }
    }

    /// Set the filter; returns whether it changed (the owner then rebuilds the rows).
    pub fn set_filter(&mut self, text: &str) -> bool {
        if self.filter.text == text {
            return false;
        }
        self.filter = Filter::parse(text);
        true
    }

    /// Replace every row (`rows` sorted). The cursor finds its row again by
    /// [`ListKey::same_row`]; if the row is gone it stays at the same index (for
    /// [`Mode::Tail`]: on the last row at or before it).
    pub fn set_rows(&mut self, rows: impl IntoIterator<Item = K>) {
        self.rows = rows.into_iter().collect();
        debug_assert!(self.rows.iter().is_sorted(), "list rows must be sorted");
        if let Some(selected) = &self.selected {
            match self.rows.iter().position(|k| k.same_row(selected)) {
                Some(at) => self.cursor = at,
                None if self.mode == Mode::Tail => {
                    self.cursor = self.position_at_or_before(selected).unwrap_or(0);
                }
                None => {}
            }
        }
        self.settle();
    }

    /// One row changed: `old` (if it was listed) is removed, `new` (if it is to be listed)
    /// inserted in order. If `old` was under the cursor the cursor moves with it to `new`; if
    /// the row is gone the cursor stays at the same index.
    pub fn replace(&mut self, old: Option<&K>, new: Option<K>) {
        let mut lost = None;
        if let Some(at) = old.and_then(|k| self.position(k)) {
            let removed = self.rows.remove(at);
            if at < self.cursor {
                self.cursor -= 1;
            } else if at == self.cursor {
                lost = removed;
            }
        }
        if let Some(new) = new {
            let at = self.rows.partition_point(|k| *k < new);
            match &lost {
                Some(was) if was.same_row(&new) => self.cursor = at,
                Some(_) => {}
                None if at <= self.cursor && !self.rows.is_empty() => self.cursor += 1,
                None => {}
            }
            self.rows.insert(at, new);
        }
        self.settle();
    }

    /// Append a row that sorts after every other one (a new log line).
    pub fn push(&mut self, key: K) {
        debug_assert!(self.rows.back().is_none_or(|last| *last <= key));
        self.rows.push_back(key);
        self.settle();
    }

    /// Drop rows from the front while `evicted` says so (the oldest log lines). A cursor on a
    /// dropped row moves to the first row left.
    pub fn drop_front_while(&mut self, evicted: impl Fn(&K) -> bool) {
        let n = self.rows.iter().take_while(|k| evicted(k)).count();
        if n == 0 {
            return;
        }
        self.rows.drain(..n);
        self.cursor = self.cursor.saturating_sub(n);
        self.settle();
    }

    /// Restore the invariants after any change to the rows, the cursor index or the height:
    /// where the cursor rests, its bounds in the mode, the key under it (cloned only when it
    /// changed) and the window.
    fn settle(&mut self) {
        let len = self.len();
        let Some(last) = len.checked_sub(1) else {
            (self.cursor, self.offset, self.selected) = (0, 0, None);
            return;
        };
        let page = self.page();
        self.cursor = match (self.mode, self.moved) {
            (Mode::Pinned, false) => 0,
            (Mode::Tail, false) => last,
            (Mode::Tail, true) => self.cursor.clamp((page - 1).min(last), last),
            (Mode::Text, _) => self.cursor.min(len.saturating_sub(page)),
            (Mode::Pinned | Mode::Follow, _) => self.cursor.min(last),
        };
        if self.selected.as_ref() != self.rows.get(self.cursor) {
            self.selected = self.rows.get(self.cursor).cloned();
        }
        self.offset = match self.mode {
            Mode::Pinned | Mode::Follow if self.height == 0 => 0,
            _ => self.first_shown(self.height),
        };
    }
}

impl ListState<()> {
    /// A list of `len` rows without identity (lines of text, fields of a form).
    pub fn with_len(mode: Mode, len: usize) -> Self {
        let mut list = ListState::new(mode);
        list.set_len(len);
        list
    }

    /// The number of rows (e.g. the wrapped lines of a text, from the layout).
    pub fn set_len(&mut self, len: usize) {
        if self.len() != len {
            self.rows.resize(len, ());
            self.settle();
        }
    }
}
