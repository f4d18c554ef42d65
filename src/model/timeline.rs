//! Entries of the incident timeline: what changed, when, to which object, in one line. Built
//! from Kubernetes events (Warning ones, and `ScalingReplicaSet`), new ReplicaSet revisions,
//! pod restarts, alerts starting and resolving, and opsdeck's own actions.
//!
//! Pure: objects in, entries out; the clock is a parameter.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;

use crate::model::time::from_k8s_opt;

/// What kind of change an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A new ReplicaSet revision of a Deployment.
    Revision,
    /// A ReplicaSet scaled (`ScalingReplicaSet` events).
    Scaling,
    /// A container of a pod restarted.
    Restart,
    /// A Warning event (BackOff, FailedScheduling, Unhealthy, FailedMount, Evicted…).
    Warning,
    AlertFiring,
    AlertResolved,
    /// A silence created or expired in this session.
    Silence,
    /// An action of this session (restart, undo, scale…).
    Action,
}

impl EntryKind {
    /// The KIND column.
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Revision => "rollout",
            EntryKind::Scaling => "scale",
            EntryKind::Restart => "restart",
            EntryKind::Warning => "warning",
            EntryKind::AlertFiring => "alert",
            EntryKind::AlertResolved => "resolved",
            EntryKind::Silence => "silence",
            EntryKind::Action => "action",
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: Timestamp,
    pub kind: EntryKind,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// `deploy/checkout`, `pod/checkout-7d9f-x2k4q`, `alert/CheckoutDown`.
    pub object: String,
    pub text: String,
    /// How many times it happened (a repeated event, a restart loop): `BackOff ×14`.
    pub count: u32,
    /// Entries with the same key are one entry (the newest time and text, the count).
    pub key: String,
    /// The workload the object belongs to (a pod's Deployment through its ReplicaSet, its
    /// StatefulSet, DaemonSet or Job), resolved by the state from what the watches hold when
    /// the entry arrives; `None`: not known, judged by name.
    pub workload: Option<String>,
}

impl Entry {
    /// `shop/deploy/checkout`.
    pub fn object_path(&self) -> String {
        if self.namespace.is_empty() {
            self.object.clone()
        } else {
            format!("{}/{}", self.namespace, self.object)
        }
    }

    /// The text with its repeat count (`BackOff: Back-off restarting… ×14`).
    pub fn text_with_count(&self) -> String {
        if self.count > 1 {
            format!("{} ×{}", self.text, self.count)
        } else {
            self.text.clone()
        }
    }
}

/// kubectl's short name for the kind of an involved object.
pub fn short_kind(kind: &str) -> String {
    match kind {
        "Deployment" => "deploy".into(),
        "ReplicaSet" => "rs".into(),
        "StatefulSet" => "sts".into(),
        "DaemonSet" => "ds".into(),
        "Pod" => "pod".into(),
        "Node" => "node".into(),
        "PersistentVolumeClaim" => "pvc".into(),
        "HorizontalPodAutoscaler" => "hpa".into(),
        "CronJob" => "cj".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// The entry of an event, or `None` for the routine Normal ones (Pulled, Created, Started…):
/// Warning events and `ScalingReplicaSet` are kept. One entry per event object (its uid): a
/// repeated event updates its count.
pub fn from_event(e: &Event) -> Option<Entry> {
    let warning = e.type_.as_deref() == Some("Warning");
    let reason = e.reason.clone().unwrap_or_default();
    let kind = match (warning, reason.as_str()) {
        (true, _) => EntryKind::Warning,
        (false, "ScalingReplicaSet") => EntryKind::Scaling,
        _ => return None,
    };
    let at = from_k8s_opt(e.last_timestamp.as_ref())
        .or_else(|| {
            let t = e.event_time.as_ref()?;
            Timestamp::new(t.0.as_second(), t.0.subsec_nanosecond()).ok()
        })
        .or_else(|| from_k8s_opt(e.first_timestamp.as_ref()))
        .or_else(|| from_k8s_opt(e.metadata.creation_timestamp.as_ref()))?;
    let involved = &e.involved_object;
    let involved_kind = involved.kind.as_deref().unwrap_or("object");
    let object = format!(
        "{}/{}",
        short_kind(involved_kind),
        involved.name.as_deref().unwrap_or("?")
    );
    // Events about nodes live in `default`; the node is cluster-scoped.
    let namespace = match involved_kind {
        "Node" => String::new(),
        _ => involved
            .namespace
            .clone()
            .or_else(|| e.metadata.namespace.clone())
            .unwrap_or_default(),
    };
    let message = e.message.as_deref().unwrap_or_default().trim();
    let count = e
        .series
        .as_ref()
        .and_then(|s| s.count)
        .or(e.count)
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(1)
        .max(1);
    let uid = e.metadata.uid.clone().unwrap_or_else(|| {
        format!(
            "{}/{}",
            e.metadata.namespace.as_deref().unwrap_or_default(),
            e.metadata.name.as_deref().unwrap_or_default()
        )
    });
    Some(Entry {
        at,
        kind,
        namespace,
        object,
        text: format!("{reason}: {message}"),
        count,
        key: format!("event:{uid}"),
        workload: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: serde_json::Value) -> Event {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn warning_and_scaling_events_are_kept_routine_ones_dropped() {
        let backoff = event(serde_json::json!({
            "metadata": {"namespace": "shop", "name": "checkout-1.17a", "uid": "u1"},
            "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "checkout-1"},
            "type": "Warning", "reason": "BackOff", "count": 14,
            "message": "Back-off restarting failed container app",
            "lastTimestamp": "2026-12-07T13:58:41Z"
        }));
        let e = from_event(&backoff).unwrap();
        assert_eq!(e.kind, EntryKind::Warning);
        assert_eq!(e.object_path(), "shop/pod/checkout-1");
        assert_eq!(
            e.text_with_count(),
            "BackOff: Back-off restarting failed container app ×14"
        );
        assert_eq!(e.at.to_string(), "2026-12-07T13:58:41Z");
        assert_eq!(e.key, "event:u1");

        let scaled = event(serde_json::json!({
            "metadata": {"namespace": "shop", "name": "checkout.1", "uid": "u2"},
            "involvedObject": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
            "type": "Normal", "reason": "ScalingReplicaSet",
            "message": "Scaled up replica set checkout-7d9f to 3",
            "eventTime": "2026-12-07T13:58:42.000000Z"
        }));
        let e = from_event(&scaled).unwrap();
        assert_eq!(
            (e.kind, e.object_path()),
            (EntryKind::Scaling, "shop/deploy/checkout".into())
        );

        let pulled = event(serde_json::json!({
            "metadata": {"namespace": "shop", "name": "x", "uid": "u3"},
            "involvedObject": {"kind": "Pod", "name": "checkout-1"},
            "type": "Normal", "reason": "Pulled", "message": "pulled",
            "lastTimestamp": "2026-12-07T13:58:41Z"
        }));
        assert_eq!(from_event(&pulled), None);
    }
}
