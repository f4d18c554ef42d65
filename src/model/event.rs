//! Kubernetes Events as compact rows (for the pod detail view), like `kubectl describe`.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;

use crate::model::pod::PodDetail;
use crate::model::time::from_k8s_opt;

/// A pod's detail and its recent events: what `kubectl describe pod` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribedPod {
    pub pod: PodDetail,
    pub events: Vec<EventRow>,
    /// Why the events could not be listed (the pod itself was read).
    pub events_error: Option<String>,
}

/// One Kubernetes Event, as `kubectl describe` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Normal or Warning.
    pub kind: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
    /// Last time seen (lastTimestamp, else eventTime, else firstTimestamp).
    pub last_seen: Option<Timestamp>,
}

impl EventRow {
    pub fn from_event(e: &Event) -> EventRow {
        let last_seen = from_k8s_opt(e.last_timestamp.as_ref())
            .or_else(|| {
                let t = e.event_time.as_ref()?;
                Timestamp::new(t.0.as_second(), t.0.subsec_nanosecond()).ok()
            })
            .or_else(|| from_k8s_opt(e.first_timestamp.as_ref()))
            .or_else(|| from_k8s_opt(e.metadata.creation_timestamp.as_ref()));
        EventRow {
            kind: e.type_.clone().unwrap_or_else(|| "Normal".into()),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default().trim().to_string(),
            count: e.count.and_then(|c| u32::try_from(c).ok()).unwrap_or(1),
            last_seen,
        }
    }

    pub fn is_warning(&self) -> bool {
        self.kind == "Warning"
    }
}

/// The recent events of a tailed pod that has no logs to show (the log pane shows them instead
/// of an empty box).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEvents {
    pub pod: String,
    pub events: Vec<EventRow>,
}

/// The most recent `limit` events, oldest first (as `kubectl describe` lists them).
pub fn recent(events: &[Event], limit: usize) -> Vec<EventRow> {
    let mut rows: Vec<EventRow> = events.iter().map(EventRow::from_event).collect();
    rows.sort_by_key(|r| r.last_seen);
    let skip = rows.len().saturating_sub(limit);
    rows.split_off(skip)
}
