//! Whether the Kubernetes API of a context answers, as the watches see it.
//!
//! A watch that works is silent when nothing changes, and so is a watch whose path silently
//! drops traffic (a dropped VPN, an expired NAT entry, a hung proxy): no error ever arrives.
//! So every watch has a [`Watchdog`]: when nothing has been heard from the context for
//! [`SILENT_AFTER`], it asks the API server for `/version` (a few hundred bytes) and gives the
//! answer [`PROBE_TIMEOUT`]. No answer, a refused connection or an error status means the
//! link is down: the watch reports stale, drops its stream and probes every [`PROBE_EVERY`]
//! (or after the server's `Retry-After`) until the server answers, then lists afresh, so that
//! what changed meanwhile is on screen. Watch errors take the same path with a growing delay,
//! so a watch the API refuses (403) is not retried in a tight loop.
//!
//! What the watchdogs learn is shared per context in [`Links`]: a probe is skipped when
//! another watch of the context was heard from recently, and the executor refuses at once an
//! action the API server would not answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::update::SourceHealth;

/// Nothing heard from a context for this long: probe it.
pub const SILENT_AFTER: Duration = Duration::from_secs(5);
/// How long a probe may take (an answer 5 s late is slow, not down).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(7);
/// Probe interval while the link is down.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);
/// Longest delay before rebuilding a watch that keeps failing while the server answers.
const MAX_REBUILD_DELAY: Duration = Duration::from_secs(30);
/// How long a watch must stay up after its list for its failures to be forgiven.
const STEADY: Duration = Duration::from_secs(10);
/// Longest `Retry-After` honoured (a bigger one is capped: the server is asked again then).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// What a silent probe is reported as.
pub const NO_ANSWER: &str = "no answer from the API server";

/// Per context (`""`: the current one): since when its API server does not answer, and why.
/// Waiters ([`Links::wait_down`], [`Links::wait_up`]) are woken when a link goes down or up.
#[derive(Debug, Clone)]
pub struct Links(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    map: Mutex<HashMap<String, LinkState>>,
    /// Bumped whenever a link goes down or comes back.
    changed: watch::Sender<()>,
}

impl Default for Links {
    fn default() -> Links {
        Links(Arc::new(Shared {
            map: Mutex::default(),
            changed: watch::Sender::new(()),
        }))
    }
}

#[derive(Debug, Clone)]
struct LinkState {
    heard: Instant,
    down: Option<(Timestamp, String)>,
    /// A watchdog of the context is probing it now.
    probing: bool,
}

impl Links {
    fn with<R>(&self, context: &str, f: impl FnOnce(&mut LinkState) -> R) -> R {
        let mut map = self.0.map.lock().unwrap_or_else(|e| e.into_inner());
        let state = map.entry(context.to_string()).or_insert(LinkState {
            heard: Instant::now(),
            down: None,
            probing: false,
        });
        f(state)
    }

    /// Since when the API server of `context` does not answer, and why (`None`: it does, or
    /// it was never asked).
    pub fn down(&self, context: &str) -> Option<(Timestamp, String)> {
        let map = self.0.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(context).and_then(|s| s.down.clone())
    }

    /// Resolves once the API server of `context` is known not to answer.
    pub async fn wait_down(&self, context: &str) -> (Timestamp, String) {
        let mut changed = self.0.changed.subscribe();
        loop {
            if let Some(down) = self.down(context) {
                return down;
            }
            // The sender lives as long as `self`: this never fails.
            let _ = changed.changed().await;
        }
    }

    /// Resolves once the API server of `context` answers again (at once if it was not down).
    pub async fn wait_up(&self, context: &str) {
        let mut changed = self.0.changed.subscribe();
        while self.down(context).is_some() {
            let _ = changed.changed().await;
        }
    }

    fn heard(&self, context: &str) {
        let was_down = self.with(context, |s| {
            s.heard = Instant::now();
            s.down.take().is_some()
        });
        if was_down {
            self.0.changed.send_replace(());
        }
    }

    /// Take the context's one silence probe (`None` when another watchdog has it); it is
    /// given back when the claim drops, also when the probing task is aborted.
    fn claim_probe<'a>(&'a self, context: &'a str) -> Option<ProbeClaim<'a>> {
        let free = self.with(context, |s| !std::mem::replace(&mut s.probing, true));
        // `then`, not `then_some`: a claim built and dropped on the refusal would give the
        // probe back while its holder still runs it.
        free.then(|| ProbeClaim {
            links: self,
            context,
        })
    }

    fn last_heard(&self, context: &str) -> Instant {
        self.with(context, |s| s.heard)
    }

    fn set_down(&self, context: &str, since: Timestamp, reason: &str) {
        let went_down = self.with(context, |s| {
            let went = s.down.is_none();
            if went {
                s.down = Some((since, reason.to_string()));
            }
            went
        });
        if went_down {
            self.0.changed.send_replace(());
        }
    }
}

/// The silence probe of a context, held while it runs.
struct ProbeClaim<'a> {
    links: &'a Links,
    context: &'a str,
}

impl Drop for ProbeClaim<'_> {
    fn drop(&mut self) {
        self.links.with(self.context, |s| s.probing = false);
    }
}

/// Why a probe failed, and when to ask again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFailure {
    pub reason: String,
    pub retry_after: Option<Duration>,
}

/// `GET /version` within [`PROBE_TIMEOUT`]: `Ok` when the API server answers 2xx.
pub async fn probe(client: &kube::Client) -> Result<(), ProbeFailure> {
    let failed = |reason: String, retry_after| {
        Err(ProbeFailure {
            reason,
            retry_after,
        })
    };
    let request = match http::Request::get("/version").body(kube::client::Body::empty()) {
        Ok(r) => r,
        Err(e) => return failed(e.to_string(), None),
    };
    let response = match tokio::time::timeout(PROBE_TIMEOUT, client.send(request)).await {
        Err(_) => return failed(NO_ANSWER.to_string(), None),
        Ok(Err(e)) => return failed(e.to_string(), None),
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
    let reason = match status.canonical_reason() {
        Some(why) => format!("the API server answers {} {why}", status.as_u16()),
        None => format!("the API server answers HTTP {}", status.as_u16()),
    };
    failed(reason, retry_after)
}

/// The liveness bookkeeping of one watch; it outlives the watch streams it guards (each
/// rebuild makes a new stream, the watchdog carries the outage across).
#[derive(Debug)]
pub struct Watchdog {
    links: Links,
    context: String,
    what: &'static str,
    /// The current outage: stale since, attempts so far.
    outage: Option<(Timestamp, u32)>,
    /// Rebuilds since the watch last stayed up (paces a watch that keeps failing).
    failures: u32,
    /// When the last complete list arrived: a watch that fails soon after it (one of its
    /// kinds refused, say) still counts as failing.
    listed_at: Option<Instant>,
}

/// Why a watch stream was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trouble {
    /// The watch returned an error (the server may well answer).
    WatchError(String),
    /// Nothing arrived and the probe got no (good) answer.
    Unreachable(ProbeFailure),
}

impl Watchdog {
    /// `what` names the watch in the log file ("pod", "rollout").
    pub fn new(links: Links, context: &str, what: &'static str) -> Watchdog {
        Watchdog {
            links,
            context: context.to_string(),
            what,
            outage: None,
            failures: 0,
            listed_at: None,
        }
    }

    /// Something arrived on the watch: the link works.
    pub fn heard(&mut self) {
        self.links.heard(&self.context);
    }

    /// A complete list arrived: the watch is current again (report it live).
    pub fn listed(&mut self) {
        self.heard();
        self.listed_at = Some(Instant::now());
        if self.outage.take().is_some() {
            tracing::info!(watch = self.what, "watch current again");
        }
    }

    /// Resolves only when the context has been silent for [`SILENT_AFTER`] and a probe then
    /// failed. While probes succeed it keeps waiting (an idle watch is not a broken one). The
    /// watches of a context share one probe: the others wait for its outcome (a failed probe
    /// takes them all down).
    pub async fn silence(&self, client: &kube::Client) -> Trouble {
        let down = |(_, reason): (Timestamp, String)| {
            Trouble::Unreachable(ProbeFailure {
                reason,
                retry_after: None,
            })
        };
        loop {
            let quiet_until = self.links.last_heard(&self.context) + SILENT_AFTER;
            let claim = if quiet_until > Instant::now() {
                Err(quiet_until)
            } else {
                // None: another watch of the context is probing, its answer decides.
                let claim = self.links.claim_probe(&self.context);
                claim.ok_or(Instant::now() + PROBE_EVERY)
            };
            let claim = match claim {
                Ok(claim) => claim,
                Err(until) => tokio::select! {
                    _ = tokio::time::sleep_until(until) => continue,
                    gone = self.links.wait_down(&self.context) => return down(gone),
                },
            };
            let answer = probe(client).await;
            drop(claim);
            match answer {
                Ok(()) => self.links.heard(&self.context),
                Err(failure) => {
                    self.links
                        .set_down(&self.context, Timestamp::now(), &failure.reason);
                    return Trouble::Unreachable(failure);
                }
            }
        }
    }

    /// The watch stream was given up for `trouble`: the health to report, if any. A first
    /// watch error is not reported (a 410 after an API server restart is routine: the
    /// rebuild lists afresh); repeated errors and an unreachable server are.
    pub fn gave_up(&mut self, trouble: &Trouble) -> Option<SourceHealth> {
        // Only a watch that stayed up after its list starts the count afresh; one that lists
        // and fails at once keeps backing off instead of relisting in a loop.
        if self
            .listed_at
            .take()
            .is_some_and(|at| at.elapsed() >= STEADY)
        {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        let (reason, silent_first) = match trouble {
            Trouble::WatchError(e) => (e.clone(), self.failures == 1),
            Trouble::Unreachable(f) => (f.reason.clone(), false),
        };
        tracing::warn!(watch = self.what, error = %reason, failures = self.failures, "watch given up");
        if silent_first {
            return None;
        }
        Some(self.stale(&reason))
    }

    fn stale(&mut self, reason: &str) -> SourceHealth {
        let (since, attempt) = self.outage.get_or_insert((Timestamp::now(), 0));
        *attempt += 1;
        self.links.set_down(&self.context, *since, reason);
        SourceHealth::Reconnecting {
            since: *since,
            attempt: *attempt,
            reason: reason.to_string(),
        }
    }

    /// Wait until the watch may be rebuilt: the API server answers a probe, after a delay
    /// growing with the failures since the last good list. `report` gets the health after
    /// each failed probe.
    pub async fn until_back<F, Fut>(&mut self, client: &kube::Client, mut report: F)
    where
        F: FnMut(SourceHealth) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let exp = self.failures.saturating_sub(1).min(5);
        let delay = if self.failures <= 1 {
            Duration::ZERO
        } else {
            Duration::from_secs(1 << exp).min(MAX_REBUILD_DELAY)
        };
        tokio::time::sleep(delay).await;
        // A probe into a blackhole waits its whole timeout; one started every PROBE_EVERY
        // meanwhile (each on a new connection) notices within PROBE_EVERY that the path is back.
        let mut probes = futures::stream::FuturesUnordered::new();
        let mut next = Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {
                    probes.push(probe(client));
                    next = Instant::now() + PROBE_EVERY;
                }
                Some(result) = futures::StreamExt::next(&mut probes), if !probes.is_empty() => {
                    match result {
                        Ok(()) => {
                            self.links.heard(&self.context);
                            return;
                        }
                        Err(failure) => {
                            report(self.stale(&failure.reason)).await;
                            if let Some(after) = failure.retry_after {
                                next = next.max(Instant::now() + after);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_silence_probe_per_context_given_back_on_drop() {
        let links = Links::default();
        let first = links.claim_probe("a").expect("free");
        for _ in 0..2 {
            // A refused claim must not give back the one that is held.
            assert!(
                links.claim_probe("a").is_none(),
                "two probes of one context"
            );
        }
        assert!(links.claim_probe("b").is_some(), "contexts are separate");
        drop(first);
        assert!(links.claim_probe("a").is_some(), "not given back");
    }

    #[tokio::test]
    async fn waiters_wake_when_the_link_goes_down_and_comes_back() {
        let links = Links::default();
        let waiting = links.clone();
        let down = tokio::spawn(async move { waiting.wait_down("a").await });
        tokio::task::yield_now().await;
        links.set_down("b", Timestamp::now(), "other context");
        links.set_down("a", Timestamp::now(), NO_ANSWER);
        let wait = Duration::from_secs(1);
        let (_, reason) = tokio::time::timeout(wait, down).await.unwrap().unwrap();
        assert_eq!(reason, NO_ANSWER);

        let waiting = links.clone();
        let up = tokio::spawn(async move { waiting.wait_up("a").await });
        links.heard("b");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!up.is_finished(), "woke for another context");
        links.heard("a");
        tokio::time::timeout(wait, up).await.unwrap().unwrap();
        assert_eq!(links.down("a"), None);
    }
}
