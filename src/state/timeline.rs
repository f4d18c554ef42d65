//! The incident timeline: one time-ordered list, newest first, of what changed — revisions,
//! scaling, restarts, Warning events, alerts starting and resolving, this session's actions.
//! Bounded (the oldest entries go first), repeats collapsed into one entry with a count, and
//! kept for as long as opsdeck runs (the API server forgets events after about an hour).

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};

use crate::model::timeline::{Entry, EntryKind};
use crate::state::list::{Filter, ListState, Mode, Sorted};

/// Newest first; among entries of the same time, the one added last first (the id names
/// the entry).
pub type TimelinePlace = Sorted<Reverse<Timestamp>, Reverse<u64>>;

/// Default of `[timeline] max_entries`.
pub const MAX_ENTRIES: usize = 5_000;

/// How far before the first alert the answer line looks for changes.
const LOOK_BACK: SignedDuration = SignedDuration::from_mins(30);

/// What the timeline is narrowed to (opened from a row): a workload and what belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    /// `shop/deploy/checkout`, for the title.
    pub label: String,
    pub namespace: String,
    /// The workload's name (or the pod's, for a pod of no controller).
    pub name: String,
}

impl Focus {
    /// An entry of the workload: by the workload resolved when it arrived, else by name (the
    /// workload itself, and ReplicaSets and pods named after it — when the pod is gone).
    fn covers(&self, e: &Entry) -> bool {
        if e.namespace != self.namespace {
            return false;
        }
        if let Some(workload) = &e.workload {
            return *workload == self.name;
        }
        let Some((kind, name)) = e.object.split_once('/') else {
            return false;
        };
        // The workload itself by name; its ReplicaSets and pods by their name prefix.
        match kind {
            "rs" | "pod" => name.starts_with(&format!("{}-", self.name)),
            _ => name == self.name,
        }
    }
}

/// State of the timeline pane.
#[derive(Debug)]
pub struct TimelineState {
    entries: HashMap<u64, Entry>,
    by_key: HashMap<String, u64>,
    /// `(time, id)` of every entry: the oldest goes first when the bound is reached.
    order: BTreeSet<(Timestamp, u64)>,
    next: u64,
    max: usize,
    /// The entries shown (focus and filter), newest first; cursor and window.
    pub(super) list: ListState<TimelinePlace>,
    focus: Option<Focus>,
    /// Shown in place of the logs pane.
    pub shown: bool,
}

impl Default for TimelineState {
    fn default() -> Self {
        TimelineState::with_max(MAX_ENTRIES)
    }
}

fn place(id: u64, e: &Entry) -> TimelinePlace {
    Sorted {
        by: Reverse(e.at),
        id: Reverse(id),
    }
}

impl TimelineState {
    pub fn with_max(max: usize) -> TimelineState {
        TimelineState {
            entries: HashMap::new(),
            by_key: HashMap::new(),
            order: BTreeSet::new(),
            next: 0,
            max: max.max(1),
            list: ListState::new(Mode::Pinned),
            focus: None,
            shown: false,
        }
    }

    /// Add an entry; one with the same key is replaced (newest time and text) and counts the
    /// repeat unless the entry brings its own count (events do). Returns whether the list
    /// changed. The list is updated in place (a few comparisons), never rebuilt: events keep
    /// coming while the pane is hidden.
    pub fn add(&mut self, mut entry: Entry) -> bool {
        let id = match self.by_key.get(&entry.key).copied() {
            Some(id) => {
                let Some(old) = self.entries.get(&id) else {
                    return false;
                };
                if *old == entry {
                    return false;
                }
                if entry.count <= 1 && old.at != entry.at {
                    entry.count = old.count + 1;
                }
                entry.at = entry.at.max(old.at);
                let old_place = self.shows(old).then(|| place(id, old));
                self.order.remove(&(old.at, id));
                let new_place = self.shows(&entry).then(|| place(id, &entry));
                self.list.replace(old_place.as_ref(), new_place);
                id
            }
            None => {
                let id = self.next;
                self.next += 1;
                self.by_key.insert(entry.key.clone(), id);
                let new_place = self.shows(&entry).then(|| place(id, &entry));
                self.list.replace(None, new_place);
                id
            }
        };
        self.order.insert((entry.at, id));
        self.entries.insert(id, entry);
        self.evict();
        true
    }

    /// Drop the oldest entries beyond the bound.
    fn evict(&mut self) {
        while self.entries.len() > self.max {
            let Some((_, id)) = self.order.pop_first() else {
                return;
            };
            if let Some(e) = self.entries.remove(&id) {
                self.by_key.remove(&e.key);
                let gone = self.shows(&e).then(|| place(id, &e));
                self.list.replace(gone.as_ref(), None);
            }
        }
    }

    fn shows(&self, e: &Entry) -> bool {
        self.focus.as_ref().is_none_or(|f| f.covers(e)) && matches(e, self.list.filter())
    }

    fn rebuild(&mut self) {
        let mut rows: Vec<TimelinePlace> = self
            .entries
            .iter()
            .filter(|(_, e)| self.shows(e))
            .map(|(id, e)| place(*id, e))
            .collect();
        rows.sort();
        self.list.set_rows(rows);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn visible_len(&self) -> usize {
        self.list.len()
    }

    pub fn list(&self) -> &ListState<TimelinePlace> {
        &self.list
    }

    /// The visible entries `start..start + len`, newest first.
    pub fn window(&self, start: usize, len: usize) -> impl Iterator<Item = &Entry> {
        self.list
            .window(start, len)
            .filter_map(|p| self.entries.get(&p.id.0))
    }

    /// Every entry, newest first, whatever the narrowing and the filter.
    pub fn all(&self) -> impl Iterator<Item = &Entry> {
        let mut ids: Vec<(&u64, &Entry)> = self.entries.iter().collect();
        ids.sort_by_key(|(id, e)| place(**id, e));
        ids.into_iter().map(|(_, e)| e)
    }

    /// The oldest entry kept.
    pub fn oldest(&self) -> Option<&Entry> {
        let (_, id) = self.order.first()?;
        self.entries.get(id)
    }

    pub fn set_filter(&mut self, text: &str) {
        if self.list.set_filter(text) {
            self.rebuild();
        }
    }

    pub fn filter(&self) -> &str {
        self.list.filter().text()
    }

    /// Narrow to a workload (`None`: the whole namespace scope).
    pub fn set_focus(&mut self, focus: Option<Focus>) {
        if self.focus != focus {
            self.focus = focus;
            self.rebuild();
        }
    }

    pub fn focus(&self) -> Option<&Focus> {
        self.focus.as_ref()
    }

    /// Forget everything (scope changed).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_key.clear();
        self.order.clear();
        self.focus = None;
        self.rebuild();
    }

    /// The answer line: the first alert in view and the changes in the 30 minutes before it —
    /// revisions first, then this session's actions, then scaling; newest first within each.
    /// `None` without an alert in view.
    pub fn answer(&self) -> Option<(&Entry, Vec<&Entry>)> {
        let shown: Vec<&Entry> = self.window(0, usize::MAX).collect();
        let first = shown
            .iter()
            .rev()
            .find(|e| e.kind == EntryKind::AlertFiring)?;
        let since = first.at - LOOK_BACK;
        let changes = shown
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EntryKind::Revision | EntryKind::Scaling | EntryKind::Action
                ) && e.at <= first.at
                    && e.at >= since
            })
            .copied();
        let rank = |e: &&Entry| match e.kind {
            EntryKind::Revision => 0,
            EntryKind::Action => 1,
            _ => 2,
        };
        let mut changes: Vec<&Entry> = changes.collect();
        changes.sort_by_key(rank);
        Some((first, changes))
    }
}

fn matches(e: &Entry, filter: &Filter) -> bool {
    let object = e.object_path();
    filter.matches([e.kind.label(), object.as_str(), e.text.as_str()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn entry(kind: EntryKind, object: &str, text: &str, secs: i64, key: &str) -> Entry {
        Entry {
            at: at(secs),
            kind,
            namespace: "shop".into(),
            object: object.into(),
            text: text.into(),
            count: 1,
            key: key.into(),
            workload: None,
        }
    }

    fn texts(t: &TimelineState) -> Vec<String> {
        t.window(0, usize::MAX)
            .map(Entry::text_with_count)
            .collect()
    }

    #[test]
    fn newest_first_whatever_the_arrival_order() {
        let mut t = TimelineState::default();
        t.add(entry(EntryKind::Revision, "deploy/checkout", "r2", 10, "a"));
        t.add(entry(
            EntryKind::AlertFiring,
            "deploy/checkout",
            "down",
            30,
            "b",
        ));
        t.add(entry(
            EntryKind::Warning,
            "pod/checkout-1",
            "BackOff",
            20,
            "c",
        ));
        assert_eq!(texts(&t), ["down", "BackOff", "r2"]);
    }

    #[test]
    fn repeats_collapse_into_one_entry_with_a_count() {
        let mut t = TimelineState::default();
        for s in 0..3 {
            t.add(entry(
                EntryKind::Restart,
                "pod/checkout-1",
                "OOMKilled",
                s,
                "restart:p",
            ));
        }
        assert_eq!(texts(&t), ["OOMKilled ×3"]);
        // An event brings its own count.
        let mut e = entry(
            EntryKind::Warning,
            "pod/checkout-1",
            "BackOff",
            5,
            "event:u",
        );
        e.count = 14;
        t.add(e.clone());
        assert_eq!(texts(&t), ["BackOff ×14", "OOMKilled ×3"]);
        // The same answer twice changes nothing.
        assert!(!t.add(e));
    }

    #[test]
    fn bounded_the_oldest_go_first() {
        let mut t = TimelineState::with_max(3);
        for s in [5, 1, 4, 2, 3] {
            t.add(entry(
                EntryKind::Warning,
                "pod/x",
                &format!("e{s}"),
                s,
                &format!("k{s}"),
            ));
        }
        assert_eq!(texts(&t), ["e5", "e4", "e3"]);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn the_list_kept_in_place_matches_a_rebuild_under_filter_repeats_and_eviction() {
        let mut t = TimelineState::with_max(20);
        t.set_filter("!odd");
        for i in 0..200_i64 {
            // Arrival out of time order, repeats of a few keys, half of them filtered out.
            let parity = if i % 2 == 0 { "even" } else { "odd" };
            let key = format!("k{}", i % 37);
            let at = (i * 7919) % 500;
            t.add(entry(EntryKind::Warning, "pod/x", parity, at, &key));
            let shown: Vec<&Entry> = t.window(0, usize::MAX).collect();
            let expected: Vec<&Entry> = t.all().filter(|e| e.text == "even").collect();
            assert_eq!(shown, expected, "after entry {i}");
            assert!(t.len() <= 20);
        }
        assert_eq!(t.oldest().map(|e| e.at), t.all().map(|e| e.at).min());
    }

    #[test]
    fn focus_and_filter_narrow_and_the_answer_names_the_changes_before_the_alert() {
        let mut t = TimelineState::default();
        t.add(entry(
            EntryKind::Revision,
            "deploy/checkout",
            "revision 8: image app:1.4",
            0,
            "r",
        ));
        t.add(entry(EntryKind::Scaling, "deploy/cart", "scaled", 60, "s"));
        t.add(entry(
            EntryKind::Warning,
            "pod/checkout-7d9f-a",
            "BackOff",
            120,
            "w",
        ));
        t.add(entry(
            EntryKind::AlertFiring,
            "deploy/checkout",
            "CheckoutDown",
            180,
            "f",
        ));
        t.add(entry(
            EntryKind::Revision,
            "deploy/checkout-old",
            "other",
            30,
            "o",
        ));
        t.set_focus(Some(Focus {
            label: "shop/deploy/checkout".into(),
            namespace: "shop".into(),
            name: "checkout".into(),
        }));
        // Not cart, not the other Deployment whose name starts the same.
        assert_eq!(
            texts(&t),
            ["CheckoutDown", "BackOff", "revision 8: image app:1.4"]
        );
        let (first, changes) = t.answer().unwrap();
        assert_eq!(first.text, "CheckoutDown");
        let changes: Vec<&str> = changes.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(changes, ["revision 8: image app:1.4"]);
        t.set_filter("!backoff");
        assert_eq!(t.visible_len(), 2);
        t.set_focus(None);
        t.set_filter("");
        assert_eq!(t.visible_len(), 5);
    }
}
