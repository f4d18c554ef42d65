//! RBAC checks never stay pending: a question without an answer is given up after
//! `ANSWER_WITHIN` and asked again with backoff, failed ones back off (5 s, 10 s, 20 s…), and
//! answers expire after `ANSWER_TTL` (the old answer shows until the new one arrives).

mod common;

use common::live_state;
use common::rollouts::commands;
use jiff::{SignedDuration, Timestamp};
use opsdeck::action::Action;
use opsdeck::command::Command;
use opsdeck::model::access::{ANSWER_TTL, ANSWER_WITHIN, Access, AccessCheck};
use opsdeck::state::AppState;
use opsdeck::update::Update;

fn check() -> AccessCheck {
    AccessCheck::core("prod-eu-1", "checkout", "delete", "pods")
}

/// Move the clock to `t0 + secs` and press a key on the pods pane: the reviews it asks for.
fn key_at(state: &mut AppState, t0: Timestamp, secs: i64) -> usize {
    state.tick(t0 + SignedDuration::from_secs(secs));
    commands(&state.handle(Action::Top))
        .iter()
        .filter(|c| matches!(c, Command::ReviewAccess { check: c, .. } if *c == check()))
        .count()
}

fn answer(state: &mut AppState, access: Access) -> bool {
    state.apply(Update::AccessReviewed {
        check: check(),
        access,
    })
}

#[test]
fn a_question_that_is_never_answered_expires_and_is_asked_again() {
    let mut state = live_state();
    let t0 = state.now;
    assert_eq!(key_at(&mut state, t0, 0), 1, "asked on the first key");
    assert_eq!(state.access.get(&check()), Some(&Access::Pending));
    assert_eq!(key_at(&mut state, t0, 1), 0, "in flight");
    let within = ANSWER_WITHIN.as_secs();
    assert_eq!(key_at(&mut state, t0, within - 1), 0, "still in flight");
    // No answer by the deadline (e.g. the request never reached the executor): no longer
    // pending, asked again after a backoff.
    assert_eq!(key_at(&mut state, t0, within + 1), 0, "backing off");
    assert!(
        matches!(state.access.get(&check()), Some(Access::Unknown(_))),
        "{:?}",
        state.access.get(&check())
    );
    assert_eq!(key_at(&mut state, t0, within + 6), 1, "asked again");
}

#[test]
fn failed_reviews_are_retried_with_a_growing_backoff() {
    let mut state = live_state();
    let t0 = state.now;
    assert_eq!(key_at(&mut state, t0, 0), 1);
    answer(&mut state, Access::Unknown("no kubeconfig".into()));
    assert_eq!(key_at(&mut state, t0, 4), 0);
    assert_eq!(key_at(&mut state, t0, 5), 1, "retried after 5 s");
    answer(&mut state, Access::Unknown("timed out".into()));
    assert_eq!(key_at(&mut state, t0, 14), 0);
    assert_eq!(key_at(&mut state, t0, 15), 1, "then after 10 s");
    answer(&mut state, Access::Unknown("timed out".into()));
    assert_eq!(key_at(&mut state, t0, 34), 0);
    assert_eq!(key_at(&mut state, t0, 35), 1, "then after 20 s");
    assert!(answer(&mut state, Access::Denied("read-only".into())));
    assert!(state.is_denied(&Action::Restart));
}

#[test]
fn answers_expire_and_a_refresh_keeps_the_last_answer_until_it_is_replaced() {
    let mut state = live_state();
    let t0 = state.now;
    assert_eq!(key_at(&mut state, t0, 0), 1);
    answer(&mut state, Access::Denied("read-only".into()));
    let ttl = ANSWER_TTL.as_secs();
    assert_eq!(key_at(&mut state, t0, ttl - 1), 0, "cached");
    assert_eq!(key_at(&mut state, t0, ttl), 1, "expired: asked again");
    assert!(state.is_denied(&Action::Restart), "old answer while asking");
    // A refresh that fails keeps the last real answer.
    assert!(!answer(&mut state, Access::Unknown("timed out".into())));
    assert!(state.is_denied(&Action::Restart));
    assert!(answer(&mut state, Access::Allowed));
    assert!(!state.is_denied(&Action::Restart));
}
