//! RBAC questions the dashboard asks before offering an action (SelfSubjectAccessReview),
//! and their answers. Shared by the executor (asks) and the state (caches, shows).

use std::collections::HashMap;
use std::fmt;

use jiff::{SignedDuration, Timestamp};

/// "May I `verb` `resource`/`subresource` in `namespace` on `context`?"
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessCheck {
    pub context: String,
    pub namespace: String,
    pub verb: String,
    /// API group, `apps` for deployments.
    pub group: String,
    pub resource: String,
    /// `scale` for the scale subresource, else empty.
    pub subresource: String,
}

impl AccessCheck {
    /// A check on an `apps` resource.
    pub fn apps(context: &str, namespace: &str, verb: &str, resource: &str, sub: &str) -> Self {
        AccessCheck {
            context: context.to_string(),
            namespace: namespace.to_string(),
            verb: verb.to_string(),
            group: "apps".to_string(),
            resource: resource.to_string(),
            subresource: sub.to_string(),
        }
    }
}

impl AccessCheck {
    /// A check on a core (`""` group) resource, e.g. `delete pods`.
    pub fn core(context: &str, namespace: &str, verb: &str, resource: &str) -> Self {
        AccessCheck {
            group: String::new(),
            ..AccessCheck::apps(context, namespace, verb, resource, "")
        }
    }
}

impl fmt::Display for AccessCheck {
    /// `patch deployments/scale in payments`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        write!(f, " in {}", self.namespace)
    }
}

/// The cached answer to an [`AccessCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Asked, no answer yet (the action is offered; the server decides).
    Pending,
    Allowed,
    /// Forbidden, with the authorizer's reason when it gave one.
    Denied(String),
    /// The review itself failed (e.g. the API is down); the action is offered.
    Unknown(String),
}

/// How long a question may go unanswered before it counts as lost (the executor gives up on a
/// command after 20 s and then answers [`Access::Unknown`]; a request that never reached it,
/// e.g. a full queue, has no answer at all).
pub const ANSWER_WITHIN: SignedDuration = SignedDuration::from_secs(25);
/// How long an answer (allowed or denied) is trusted before it is asked again.
pub const ANSWER_TTL: SignedDuration = SignedDuration::from_mins(10);
/// First retry of a failed or lost question; doubles per failure up to [`MAX_RETRY`].
pub const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(5);
pub const MAX_RETRY: SignedDuration = SignedDuration::from_mins(5);

/// RBAC answers per check, and when to ask again: failed or lost questions are retried with
/// backoff, answers expire. A check asked again keeps showing its previous answer until the
/// new one arrives. The clock is a parameter.
#[derive(Debug, Clone, Default)]
pub struct AccessCache {
    entries: HashMap<AccessCheck, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    access: Access,
    /// When the question in flight was sent.
    asked_at: Option<Timestamp>,
    /// When to ask again (once nothing is in flight).
    next: Timestamp,
    /// Failed or lost questions in a row.
    failures: u32,
}

impl AccessCache {
    /// The answer shown for `check` (`Pending` while the first question is in flight).
    pub fn get(&self, check: &AccessCheck) -> Option<&Access> {
        self.entries.get(check).map(|e| &e.access)
    }

    /// Whether to send `check` to the API now: never asked, its answer expired, or a failed
    /// or lost question's backoff is over. When so, it is marked as asked at `now`.
    pub fn ask(&mut self, check: &AccessCheck, now: Timestamp) -> bool {
        let Some(e) = self.entries.get_mut(check) else {
            let entry = Entry {
                access: Access::Pending,
                asked_at: Some(now),
                next: now,
                failures: 0,
            };
            self.entries.insert(check.clone(), entry);
            return true;
        };
        if let Some(at) = e.asked_at {
            let deadline = at + ANSWER_WITHIN;
            if now < deadline {
                return false;
            }
            // Lost: counts as a failure.
            e.asked_at = None;
            e.failures += 1;
            e.next = deadline + retry_after(e.failures);
            if e.access == Access::Pending {
                e.access = Access::Unknown("no answer from the API server".to_string());
            }
        }
        if now < e.next {
            return false;
        }
        e.asked_at = Some(now);
        true
    }

    /// Record the answer to `check`; returns whether what is shown changed.
    pub fn answer(&mut self, check: AccessCheck, access: Access, now: Timestamp) -> bool {
        let e = self.entries.entry(check).or_insert_with(|| Entry {
            access: Access::Pending,
            asked_at: None,
            next: now,
            failures: 0,
        });
        e.asked_at = None;
        match &access {
            Access::Allowed | Access::Denied(_) => {
                e.failures = 0;
                e.next = now + ANSWER_TTL;
            }
            Access::Pending | Access::Unknown(_) => {
                e.failures += 1;
                e.next = now + retry_after(e.failures);
            }
        }
        // A failed refresh keeps the last real answer.
        let keep = matches!(access, Access::Unknown(_))
            && matches!(e.access, Access::Allowed | Access::Denied(_));
        if keep {
            return false;
        }
        let old = std::mem::replace(&mut e.access, access);
        old != e.access
    }
}

/// Backoff after `failures` failed questions in a row: 5 s, 10 s, 20 s… up to 5 min.
fn retry_after(failures: u32) -> SignedDuration {
    let doublings = failures.saturating_sub(1).min(16);
    let secs = FIRST_RETRY.as_secs().saturating_mul(1 << doublings);
    SignedDuration::from_secs(secs.min(MAX_RETRY.as_secs()))
}
