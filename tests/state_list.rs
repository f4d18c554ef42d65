//! The one list state: cursor by key, window and paging, filter, and the four modes.

use opsdeck::state::list::{Filter, ListState, Mode, Move, Sorted};

/// A row sorted by a rank (health), then its name.
type Place = Sorted<u8, &'static str>;

fn place(rank: u8, name: &'static str) -> Place {
    Sorted { by: rank, id: name }
}

/// `n` rows of rank 1 named `r00`, `r01`, …
fn rows(n: usize) -> Vec<Place> {
    let names: Vec<&'static str> = (0..n)
        .map(|i| &*Box::leak(format!("r{i:02}").into_boxed_str()))
        .collect();
    names.into_iter().map(|name| place(1, name)).collect()
}

fn list(mode: Mode, n: usize, height: usize) -> ListState<Place> {
    let mut list = ListState::new(mode);
    list.set_rows(rows(n));
    list.set_height(height);
    list
}

fn selected(list: &ListState<Place>) -> &'static str {
    list.selected().unwrap().id
}

#[test]
fn pinned_cursor_stays_on_the_first_row_until_moved() {
    let mut list = list(Mode::Pinned, 10, 5);
    assert_eq!(selected(&list), "r00");
    // A row sorting first arrives: the cursor stays on top, on the new row.
    list.replace(None, Some(place(0, "broken")));
    assert_eq!((list.cursor(), selected(&list)), (0, "broken"));
    // Once moved, the cursor follows its row as rows arrive above it.
    list.go(Move::Down);
    assert_eq!(selected(&list), "r00");
    list.replace(None, Some(place(0, "also-broken")));
    assert_eq!((list.cursor(), selected(&list)), (2, "r00"));
    // Moving back to the first row pins it there again.
    list.go(Move::Top);
    list.replace(None, Some(place(0, "aaa")));
    assert_eq!((list.cursor(), selected(&list)), (0, "aaa"));
}

#[test]
fn selection_follows_its_row_when_it_is_re_sorted() {
    let mut list = list(Mode::Pinned, 10, 5);
    list.select(6);
    assert_eq!(selected(&list), "r06");
    // r06 turns unhealthy: it sorts first now, and the cursor goes with it.
    list.replace(Some(&place(1, "r06")), Some(place(0, "r06")));
    assert_eq!((list.cursor(), selected(&list)), (0, "r06"));
    assert_eq!(list.offset(), 0, "the window follows the cursor");
    // Another row moving to the end does not take the cursor along.
    list.replace(Some(&place(1, "r02")), Some(place(9, "r02")));
    assert_eq!((list.cursor(), selected(&list)), (0, "r06"));
    assert_eq!(list.get(9), Some(&place(9, "r02")));
    // And back down: followed again, window scrolled to show it.
    list.replace(Some(&place(0, "r06")), Some(place(5, "r06")));
    assert_eq!((list.cursor(), selected(&list)), (8, "r06"));
    assert_eq!(list.offset(), 4);
}

#[test]
fn a_deleted_row_leaves_the_cursor_at_the_same_index() {
    let mut list = list(Mode::Pinned, 10, 5);
    list.select(4);
    list.replace(Some(&place(1, "r04")), None);
    assert_eq!((list.cursor(), selected(&list)), (4, "r05"));
    list.select(8);
    assert_eq!(selected(&list), "r09");
    list.replace(Some(&place(1, "r09")), None);
    assert_eq!((list.cursor(), selected(&list)), (7, "r08"), "the last row");
}

#[test]
fn rebuilt_rows_keep_the_cursor_on_the_same_row_by_identity() {
    let mut list = list(Mode::Pinned, 10, 5);
    list.select(3);
    // Rebuilt wholesale (a relist): r03 changed rank meanwhile; found by identity.
    let mut fresh: Vec<Place> = rows(10);
    fresh[3] = place(0, "r03");
    fresh.sort();
    list.set_rows(fresh);
    assert_eq!((list.cursor(), selected(&list)), (0, "r03"));
    // Filtered out: same index.
    list.select(5);
    let kept: Vec<Place> = rows(10).into_iter().filter(|p| p.id != "r05").collect();
    list.set_rows(kept);
    assert_eq!((list.cursor(), selected(&list)), (5, "r06"));
}

#[test]
fn paging_moves_by_the_height_and_keeps_the_window_on_the_cursor() {
    let mut list = list(Mode::Pinned, 20, 5);
    list.go(Move::PageDown);
    assert_eq!((list.cursor(), list.offset()), (5, 1));
    list.go(Move::PageDown);
    assert_eq!((list.cursor(), list.offset()), (10, 6));
    list.go(Move::PageUp);
    assert_eq!((list.cursor(), list.offset()), (5, 5));
    list.go(Move::Down);
    assert_eq!(
        (list.cursor(), list.offset()),
        (6, 5),
        "window moves only when needed"
    );
    list.go(Move::Bottom);
    assert_eq!((list.cursor(), list.offset()), (19, 15));
    list.go(Move::PageDown);
    assert_eq!(list.cursor(), 19, "clamped at the last row");
    list.go(Move::Top);
    assert_eq!((list.cursor(), list.offset()), (0, 0));
    list.go(Move::PageUp);
    assert_eq!(list.cursor(), 0, "clamped at the first row");
}

#[test]
fn the_window_follows_a_new_height() {
    let mut list = list(Mode::Pinned, 20, 5);
    list.go(Move::Bottom);
    assert_eq!(list.offset(), 15);
    list.set_height(10);
    assert_eq!((list.cursor(), list.offset()), (19, 10));
    list.go(Move::PageUp);
    assert_eq!(
        (list.cursor(), list.offset()),
        (9, 9),
        "a page is the new height"
    );
    list.set_height(30);
    assert_eq!(list.offset(), 0, "everything fits");
    list.set_height(4);
    assert_eq!(list.offset(), 6, "cursor on the last row of the window");
}

#[test]
fn render_without_a_height_scrolls_just_enough_and_writes_nothing() {
    let mut list = ListState::new(Mode::Pinned);
    list.set_rows(rows(20));
    list.select(12);
    assert_eq!(list.offset(), 0);
    assert_eq!(list.first_shown(5), 8);
    assert_eq!(list.first_shown(30), 0);
    assert_eq!(list.offset(), 0);
    // Told its height, the kept offset is what is shown.
    list.set_height(5);
    assert_eq!((list.offset(), list.first_shown(5)), (8, 8));
}

#[test]
fn follow_mode_stays_on_its_row_from_the_start() {
    let mut list = list(Mode::Follow, 5, 5);
    assert_eq!(selected(&list), "r00");
    list.replace(None, Some(place(0, "new")));
    assert_eq!((list.cursor(), selected(&list)), (1, "r00"));
}

#[test]
fn a_tail_follows_the_newest_row_until_scrolled() {
    let mut tail: ListState<u64> = ListState::new(Mode::Tail);
    tail.set_height(10);
    tail.set_rows(0..50);
    assert_eq!((tail.cursor(), tail.is_moved()), (49, false));
    tail.push(50);
    assert_eq!(tail.cursor(), 50, "following");
    tail.go(Move::PageUp);
    assert_eq!((tail.cursor(), tail.is_moved()), (40, true));
    tail.push(51);
    assert_eq!(tail.selected(), Some(&40), "paused: the screen stays");
    tail.go(Move::Top);
    assert_eq!(tail.cursor(), 9, "a full page from the top");
    tail.go(Move::PageDown);
    tail.go(Move::PageDown);
    tail.go(Move::PageDown);
    tail.go(Move::PageDown);
    tail.go(Move::PageDown);
    assert_eq!(
        (tail.cursor(), tail.is_moved()),
        (51, true),
        "scrolling onto the newest row does not follow again"
    );
    // The oldest rows are evicted under a paused cursor: it holds on to the oldest left.
    tail.go(Move::Top);
    tail.drop_front_while(|s| *s < 20);
    assert_eq!((tail.selected(), tail.cursor()), (Some(&29), 9));
    tail.go(Move::Bottom);
    assert_eq!((tail.cursor(), tail.is_moved()), (31, false));
    assert_eq!(tail.offset(), 22);
}

#[test]
fn a_tail_rebuilt_keeps_the_last_row_at_or_before_its_place() {
    let mut tail: ListState<u64> = ListState::new(Mode::Tail);
    tail.set_height(3);
    tail.set_rows(0..30);
    tail.select(15);
    tail.set_rows((0..30).filter(|s| s % 4 == 0));
    assert_eq!(tail.selected(), Some(&12));
}

#[test]
fn text_scrolls_by_lines_and_pages_and_stops_at_the_last_page() {
    let mut text = ListState::with_len(Mode::Text, 25);
    text.set_height(10);
    text.go(Move::Down);
    assert_eq!(text.cursor(), 1);
    text.go(Move::PageDown);
    assert_eq!(text.cursor(), 11);
    text.go(Move::PageDown);
    assert_eq!(text.cursor(), 15, "the last page");
    assert_eq!(text.first_shown(10), 15);
    text.go(Move::PageUp);
    assert_eq!(text.cursor(), 5);
    // The text grows shorter (the window wider): still within the last page.
    text.set_len(12);
    assert_eq!(text.cursor(), 2);
    text.go(Move::Top);
    assert_eq!(text.cursor(), 0);
}

#[test]
fn moves_on_an_empty_list_do_nothing() {
    let mut list: ListState<Place> = ListState::new(Mode::Pinned);
    list.set_height(5);
    for m in [
        Move::Up,
        Move::Down,
        Move::PageUp,
        Move::PageDown,
        Move::Top,
        Move::Bottom,
    ] {
        list.go(m);
    }
    assert_eq!(
        (list.cursor(), list.selected(), list.offset()),
        (0, None, 0)
    );
    list.replace(None, Some(place(1, "first")));
    assert_eq!(selected(&list), "first");
}

#[test]
fn filter_is_parsed_once_case_insensitive_and_negated_with_bang() {
    let f = Filter::parse("CrashLoop");
    assert!(f.matches(["ledger", "CrashLoopBackOff"]));
    assert!(!f.matches(["ledger", "Running"]));
    let not = Filter::parse("!running");
    assert_eq!(not.text(), "!running");
    assert!(!not.matches(["api-1", "Running"]));
    assert!(not.matches(["api-1", "Pending"]));
    assert!(Filter::parse("").matches(["anything"]));
    assert!(Filter::parse("").is_empty());
    // Not ASCII: compared lowercased all the same.
    assert!(Filter::parse("ÜBER").matches(["dienst-über-alles"]));
    assert!(Filter::parse("!ÜBER").matches(["dienst"]));
    // `!` alone hides everything, as it always did.
    assert!(!Filter::parse("!").matches(["x"]));
}

#[test]
fn set_filter_says_whether_it_changed() {
    let mut list: ListState<Place> = ListState::default();
    assert!(list.set_filter("!api"));
    assert!(!list.set_filter("!api"));
    assert_eq!(list.filter().text(), "!api");
    assert!(!list.filter().matches(["api-1"]));
}

#[test]
fn keys_map_to_moves() {
    use opsdeck::action::Action;
    assert_eq!(Move::from_action(&Action::PageDown), Some(Move::PageDown));
    assert_eq!(Move::from_action(&Action::Top), Some(Move::Top));
    assert_eq!(Move::from_action(&Action::Restart), None);
}
