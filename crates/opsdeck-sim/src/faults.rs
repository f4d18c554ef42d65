//! Fault injection, request counters and the direct control handle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::kubelet;
use super::objects::PodState;
use super::server::Ctx;
use super::store::Kind;

/// Request counters (atomics, updated by the API layer).
#[derive(Default)]
pub struct Stats {
    pub total: AtomicU64,
    pub lists: AtomicU64,
    pub watches: AtomicU64,
    pub gets: AtomicU64,
    pub creates: AtomicU64,
    pub updates: AtomicU64,
    pub patches: AtomicU64,
    pub deletes: AtomicU64,
    /// metrics.k8s.io reads (`kubectl top`, usage polls): they cannot be watched.
    pub metrics: AtomicU64,
    /// Log follow streams open right now (a gauge, not a counter).
    pub log_follows: AtomicU64,
}

/// A snapshot of the request counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SimStats {
    /// Every HTTP request.
    pub total: u64,
    /// LIST requests.
    pub lists: u64,
    /// WATCH requests.
    pub watches: u64,
    /// GET of single objects (and logs).
    pub gets: u64,
    /// POST requests.
    pub creates: u64,
    /// PUT requests.
    pub updates: u64,
    /// PATCH requests.
    pub patches: u64,
    /// DELETE requests.
    pub deletes: u64,
    /// metrics.k8s.io reads (PodMetrics and NodeMetrics lists and gets), not in `lists`.
    pub metrics: u64,
    /// Log follow streams (`pods/log?follow=true`) open now.
    pub log_follows_open: u64,
}

impl SimStats {
    /// All mutating requests.
    pub fn writes(&self) -> u64 {
        self.creates + self.updates + self.patches + self.deletes
    }
}

impl Stats {
    /// Counts one request in `counter` (and in the total).
    pub fn bump(&self, counter: &AtomicU64) {
        self.total.fetch_add(1, Ordering::Relaxed);
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request that was not served (injected fault).
    pub fn bump_total(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> SimStats {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SimStats {
            total: l(&self.total),
            lists: l(&self.lists),
            watches: l(&self.watches),
            gets: l(&self.gets),
            creates: l(&self.creates),
            updates: l(&self.updates),
            patches: l(&self.patches),
            deletes: l(&self.deletes),
            metrics: l(&self.metrics),
            log_follows_open: l(&self.log_follows),
        }
    }
}

/// Active faults.
#[derive(Default)]
pub struct FaultState {
    errors: Mutex<Option<(u16, Instant)>>,
    latency_ms: AtomicU64,
}

impl FaultState {
    /// The status every request must fail with right now, if any.
    pub fn error_now(&self) -> Option<(u16, u64)> {
        let mut e = self.errors.lock();
        match *e {
            Some((code, until)) if until > Instant::now() => Some((
                code,
                until.saturating_duration_since(Instant::now()).as_secs() + 1,
            )),
            Some(_) => {
                *e = None;
                None
            }
            None => None,
        }
    }

    /// Added latency per request.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }
}

/// Cloneable fault-injection handle.
#[derive(Clone)]
pub struct Faults {
    ctx: Arc<Ctx>,
}

impl Faults {
    pub(crate) fn new(ctx: Arc<Ctx>) -> Faults {
        Faults { ctx }
    }

    /// Ends every open watch (and log follow) stream; clients must reconnect.
    pub fn close_watches(&self) {
        self.ctx.close_streams();
    }

    /// Answers every Kubernetes request with `status` (500, 429 with Retry-After, …) for `d`.
    pub fn errors(&self, status: u16, d: Duration) {
        *self.ctx.faults.errors.lock() = Some((status, Instant::now() + d));
    }

    /// Adds `d` of latency to every request (zero clears it).
    pub fn latency(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.ctx.faults.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// Simulates an API server restart: open watches close and the watch history is lost, so
    /// resuming from an old resourceVersion yields 410 Gone.
    pub fn restart(&self) {
        self.ctx.store.forget_history();
        self.ctx.close_streams();
    }

    /// Clears errors and latency.
    pub fn clear(&self) {
        *self.ctx.faults.errors.lock() = None;
        self.latency(Duration::ZERO);
    }
}

/// Why a control operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No such pod.
    #[error("pod {0}/{1} not found")]
    NotFound(String, String),
    /// Unknown phase name.
    #[error("unknown phase {0:?}")]
    BadPhase(String),
}

/// Cloneable handle to change pods directly, as tests and benchmarks need.
#[derive(Clone)]
pub struct Control {
    ctx: Arc<Ctx>,
}

impl Control {
    pub(crate) fn new(ctx: Arc<Ctx>) -> Control {
        Control { ctx }
    }

    /// `(namespace, name)` of the pods, in one namespace or all, in key order.
    pub fn pods(&self, ns: Option<&str>) -> Vec<(String, String)> {
        let (objs, _, _) = self
            .ctx
            .store
            .list(Kind::Pod, ns, None, usize::MAX, &|_| true);
        objs.iter()
            .map(|o| (o.ns.clone(), o.name.clone()))
            .collect()
    }

    /// Crashes the pod's containers once: restart count up, CrashLoopBackOff, then it recovers
    /// (unless its template is bad).
    pub fn crash_pod(&self, ns: &str, name: &str) -> Result<(), ControlError> {
        self.set(ns, name, PodState::Crashed("Error", 1))?;
        kubelet::schedule_restart(&self.ctx, ns, name, Duration::from_secs(3));
        Ok(())
    }

    /// Flips readiness.
    pub fn set_pod_ready(&self, ns: &str, name: &str, ready: bool) -> Result<(), ControlError> {
        let st = if ready {
            PodState::Ready
        } else {
            PodState::Starting
        };
        self.set(ns, name, st)
    }

    /// Sets the phase: Pending, Running, Succeeded or Failed.
    pub fn set_pod_phase(&self, ns: &str, name: &str, phase: &str) -> Result<(), ControlError> {
        let st = match phase {
            "Pending" => PodState::Pending,
            "Running" => PodState::Ready,
            "Succeeded" => PodState::Phase("Succeeded"),
            "Failed" => PodState::Phase("Failed"),
            other => return Err(ControlError::BadPhase(other.into())),
        };
        self.set(ns, name, st)
    }

    /// Deletes the pod gracefully (Terminating, then gone; its ReplicaSet replaces it).
    pub fn delete_pod(&self, ns: &str, name: &str) -> Result<(), ControlError> {
        kubelet::delete_pod(&self.ctx, ns, name, None)
            .map(|_| ())
            .ok_or_else(|| ControlError::NotFound(ns.into(), name.into()))
    }

    fn set(&self, ns: &str, name: &str, st: PodState) -> Result<(), ControlError> {
        if kubelet::set_state(&self.ctx, ns, name, st) {
            Ok(())
        } else {
            Err(ControlError::NotFound(ns.into(), name.into()))
        }
    }
}
