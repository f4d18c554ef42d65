//! Events of tailed pods that have no logs to show (Pending, ContainerCreating,
//! ImagePullBackOff, never started, or a container that writes nothing): the tailer lists them
//! with `fieldSelector=involvedObject.name=POD,involvedObject.namespace=NS` until the first
//! container line arrives, so the pane can show why instead of an empty box.

use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::ListParams;

use crate::model::event::{EventRow, PodEvents, recent};
use crate::redact::Redactor;
use crate::sanitize::sanitize;

/// Events kept per pod (the most recent).
pub const EVENTS_PER_POD: usize = 10;
/// Pods whose events are listed at most (a deployment tail of many pods that never start).
pub const MAX_PODS: usize = 5;
/// How often the events are listed again while no line arrived.
pub const EVERY: Duration = Duration::from_secs(3);
/// The first listing: soon, but after a stream had the chance to bring its backlog.
pub const FIRST_AFTER: Duration = Duration::from_millis(400);
/// Longest event message kept, in bytes.
const MESSAGE_CAP: usize = 2048;

/// Recent events of `pods` (at most [`MAX_PODS`]), sanitised and redacted. Pods whose events
/// cannot be listed are left out (logged).
pub async fn list(
    api: &Api<Event>,
    namespace: &str,
    pods: &[String],
    redactor: &Redactor,
) -> Vec<PodEvents> {
    let mut out = Vec::new();
    for pod in pods.iter().take(MAX_PODS) {
        let selector = format!("involvedObject.name={pod},involvedObject.namespace={namespace}");
        match api.list(&ListParams::default().fields(&selector)).await {
            Ok(list) => out.push(PodEvents {
                pod: pod.clone(),
                events: recent(&list.items, EVENTS_PER_POD)
                    .into_iter()
                    .map(|e| clean(e, redactor))
                    .collect(),
            }),
            Err(e) => tracing::warn!(pod = %pod, error = %e, "logs: cannot list the pod's events"),
        }
    }
    out
}

/// Event text is cluster text too: sanitise and redact it like a log line.
fn clean(mut e: EventRow, redactor: &Redactor) -> EventRow {
    let text = |s: &str| {
        let t = sanitize(s.as_bytes(), MESSAGE_CAP).text;
        redactor.redact(&t).unwrap_or(t)
    };
    e.reason = text(&e.reason);
    e.message = text(&e.message);
    e.kind = text(&e.kind);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_text_is_sanitised_and_redacted() {
        let e = EventRow {
            kind: "Warning".into(),
            reason: "Failed\x1b]0;x\x07".into(),
            message: "pull https://bot:hunter2@registry/x failed\x1b[2J".into(),
            count: 1,
            last_seen: None,
        };
        let e = clean(e, &Redactor::defaults());
        assert!(!e.reason.chars().any(char::is_control), "{:?}", e.reason);
        assert!(!e.message.chars().any(char::is_control), "{:?}", e.message);
        assert!(
            e.message.contains("bot:[REDACTED]@registry"),
            "{}",
            e.message
        );
    }
}
