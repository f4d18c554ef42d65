//! ControllerRevisions: the template history of StatefulSets and DaemonSets, kept the way their
//! controllers keep it. Each distinct pod template gets one revision named `<owner>-<hash>`,
//! numbered one above the newest; going back to an older template (an undo) renumbers that
//! revision instead of adding one. `data` holds the strategic merge patch that restores the
//! template (`{"spec":{"template":{"$patch":"replace",…}}}`), encoded as Go encodes it (sorted
//! keys, `creationTimestamp: null`, `resources: {}`, zero values omitted) so that kubectl's
//! byte comparison in `rollout undo` recognises the current template ("skipped rollback").

use std::sync::Arc;

use serde_json::{Value, json};

use super::objects;
use super::server::Ctx;
use super::store::{Kind, Obj};

/// Pod label naming the revision a pod runs (the revision name for StatefulSets, the bare hash
/// for DaemonSets).
pub const POD_HASH_LABEL: &str = "controller-revision-hash";

/// Which controller owns the history.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavor {
    StatefulSet,
    DaemonSet,
}

impl Flavor {
    /// The owner's kind.
    pub fn kind(self) -> Kind {
        match self {
            Flavor::StatefulSet => Kind::StatefulSet,
            Flavor::DaemonSet => Kind::DaemonSet,
        }
    }

    /// The label on the ControllerRevision that holds the template hash.
    fn hash_label(self) -> &'static str {
        match self {
            Flavor::StatefulSet => "controller.kubernetes.io/hash",
            Flavor::DaemonSet => POD_HASH_LABEL,
        }
    }
}

/// One ControllerRevision of an owner.
#[derive(Debug, Clone)]
pub struct Rev {
    pub name: String,
    pub hash: String,
    pub revision: i64,
    pub obj: Arc<Obj>,
}

impl Rev {
    fn of(obj: Arc<Obj>, v: &Value, flavor: Flavor) -> Rev {
        Rev {
            name: obj.name.clone(),
            hash: obj
                .label(flavor.hash_label())
                .unwrap_or_default()
                .to_string(),
            revision: v["revision"].as_i64().unwrap_or(0),
            obj,
        }
    }

    /// The pod template this revision restores.
    pub fn template(&self) -> Value {
        let mut t = self.obj.value()["data"]["spec"]["template"].take();
        if let Some(m) = t.as_object_mut() {
            m.remove("$patch");
        }
        strip_nulls(&mut t);
        t
    }
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// An owner's revisions, oldest first, and the one its template is at.
#[derive(Debug)]
pub struct History {
    pub revs: Vec<Rev>,
    update: usize,
}

impl History {
    /// The revision of the owner's current template.
    pub fn update(&self) -> &Rev {
        &self.revs[self.update]
    }

    /// A revision by name.
    pub fn find(&self, name: &str) -> Option<&Rev> {
        self.revs.iter().find(|r| r.name == name)
    }
}

/// Whether `v` (an object's JSON) names `uid` as its controller.
pub fn controlled_by(v: &Value, uid: &Value) -> bool {
    v["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|o| {
            o.iter()
                .any(|r| r["uid"] == *uid && r["controller"] == true)
        })
}

/// The ControllerRevisions controlled by `owner`, oldest first.
pub fn owned(ctx: &Ctx, flavor: Flavor, owner: &Value) -> Vec<Rev> {
    let meta = &owner["metadata"];
    let ns = meta["namespace"].as_str().unwrap_or_default();
    let name = meta["name"].as_str().unwrap_or_default();
    let mut revs: Vec<Rev> = ctx
        .store
        .with_prefix(Kind::ControllerRevision, ns, &format!("{name}-"))
        .into_iter()
        .filter_map(|obj| {
            let v = obj.value();
            controlled_by(&v, &meta["uid"]).then(|| Rev::of(obj, &v, flavor))
        })
        .collect();
    revs.sort_by_key(|r| r.revision);
    revs
}

/// Makes sure the owner's current template has the newest revision: reuses (and renumbers) an
/// equal older one or creates a new one. `None` when the store refused the write.
pub fn sync(ctx: &Ctx, flavor: Flavor, owner: &Value) -> Option<History> {
    let mut revs = owned(ctx, flavor, owner);
    let hash = objects::template_hash(&owner["spec"]["template"]);
    let max = revs.last().map_or(0, |r| r.revision);
    match revs.iter().position(|r| r.hash == hash) {
        Some(i) if revs[i].revision == max => {}
        Some(i) => {
            let mut v = revs[i].obj.value();
            v["revision"] = json!(max + 1);
            let obj = ctx
                .store
                .put(
                    Kind::ControllerRevision,
                    v.clone(),
                    Some(revs[i].obj.rv),
                    false,
                )
                .ok()?;
            revs[i] = Rev::of(obj, &v, flavor);
        }
        None => {
            let uid = objects::uid(&mut *ctx.rng.lock());
            let v = revision(flavor, owner, &hash, max + 1, (&uid, &objects::now()));
            let obj = ctx
                .store
                .put(Kind::ControllerRevision, v.clone(), None, true)
                .map_err(|e| tracing::debug!(error = %e, "controllerrevision create failed"))
                .ok()?;
            revs.push(Rev::of(obj, &v, flavor));
        }
    }
    revs.sort_by_key(|r| r.revision);
    let update = revs.iter().position(|r| r.hash == hash)?;
    Some(History { revs, update })
}

/// Deletes the oldest revisions beyond `limit` that no pod, and neither the current nor the
/// update revision, uses (`live` names them).
pub fn prune(ctx: &Ctx, history: &History, live: &[&str], limit: usize) {
    let dead: Vec<&Rev> = history
        .revs
        .iter()
        .filter(|r| !live.contains(&r.name.as_str()) && r.name != history.update().name)
        .collect();
    for r in dead.iter().take(dead.len().saturating_sub(limit)) {
        ctx.store
            .delete(Kind::ControllerRevision, &r.obj.ns, &r.obj.name);
    }
}

/// A ControllerRevision of `owner`'s current template; `id` is its uid and creation time.
pub fn revision(flavor: Flavor, owner: &Value, hash: &str, number: i64, id: (&str, &str)) -> Value {
    let meta = &owner["metadata"];
    let owner_name = meta["name"].as_str().unwrap_or_default();
    let template = &owner["spec"]["template"];
    let mut labels = template["metadata"]["labels"].clone();
    if !labels.is_object() {
        labels = json!({});
    }
    labels[flavor.hash_label()] = json!(hash);
    let annotations = match &meta["annotations"] {
        Value::Object(a) if !a.is_empty() => Value::Object(a.clone()),
        _ => Value::Null,
    };
    let owner_ref = objects::owner(
        "apps/v1",
        flavor.kind().name(),
        owner_name,
        meta["uid"].as_str().unwrap_or_default(),
    );
    let mut v = json!({"apiVersion":"apps/v1","kind":"ControllerRevision",
        "metadata":{"name":format!("{owner_name}-{hash}"),"namespace":meta["namespace"],
            "uid":id.0,"creationTimestamp":id.1,"labels":labels,"ownerReferences":[owner_ref]},
        "data":patch_data(template),"revision":number});
    if !annotations.is_null() {
        v["metadata"]["annotations"] = annotations;
    }
    v
}

/// The patch that restores `template`, as Go's encoding of the typed object gives it.
pub fn patch_data(template: &Value) -> Value {
    let typed: Option<k8s_openapi::api::core::v1::PodTemplateSpec> =
        serde_json::from_value(template.clone()).ok();
    let mut t = typed
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or_else(|| template.clone());
    go_omit_empty(&mut t, "");
    if let Some(m) = t.as_object_mut() {
        let meta = m.entry("metadata").or_insert_with(|| json!({}));
        meta["creationTimestamp"] = Value::Null;
        let spec = m.entry("spec").or_insert_with(|| json!({}));
        for list in ["initContainers", "containers"] {
            for c in spec
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if c.get("resources").is_none() {
                    c["resources"] = json!({});
                }
            }
        }
        m.insert("$patch".into(), json!("replace"));
    }
    json!({"spec":{"template":t}})
}

/// Fields Go always writes even when zero (non-`omitempty`, or pointers).
const GO_KEEP_ZERO: &[&str] = &[
    "containerPort",
    "port",
    "maxSkew",
    "weight",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "runAsNonRoot",
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "automountServiceAccountToken",
    "enableServiceLinks",
    "shareProcessNamespace",
    "optional",
    "defaultMode",
    "hostUsers",
];
/// Map-typed fields Go leaves out when empty (empty structs it keeps: `securityContext: {}`).
const GO_MAPS: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "limits",
    "requests",
    "matchLabels",
];

/// Drops what Go's `omitempty` would not write: false, 0, "", empty lists and empty maps.
fn go_omit_empty(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            if GO_MAPS.contains(&key) {
                return;
            }
            m.retain(|k, v| {
                let keep_zero = GO_KEEP_ZERO.contains(&k.as_str());
                match v {
                    Value::Null => false,
                    Value::Bool(b) => *b || keep_zero,
                    Value::String(s) => !s.is_empty() || keep_zero,
                    Value::Number(n) => n.as_f64() != Some(0.0) || keep_zero,
                    Value::Array(a) => !a.is_empty() || k == "containers",
                    Value::Object(o) => !o.is_empty() || !GO_MAPS.contains(&k.as_str()),
                }
            });
            for (k, v) in m.iter_mut() {
                go_omit_empty(v, k);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| go_omit_empty(v, key)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_a_sorted_replace_patch_shaped_like_go() {
        let mut t = objects::pod_template("db", "postgres:16", None);
        t["spec"]["containers"][0]
            .as_object_mut()
            .unwrap()
            .remove("resources");
        t["metadata"]["annotations"] = json!({});
        let data = patch_data(&t);
        let text = serde_json::to_string(&data).unwrap();
        assert!(
            text.starts_with(r#"{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"db"}},"spec":{"containers":[{"env":"#),
            "{text}"
        );
        assert!(text.contains(r#""resources":{}"#), "{text}");
        assert!(text.contains(r#""securityContext":{}"#), "{text}");
        let mut restored = json!({"spec":{"template":{"spec":{"containers":[]}}}});
        crate::write::strategic_merge(&mut restored, &data);
        assert_eq!(
            objects::canonical_template(&restored["spec"]["template"]),
            objects::canonical_template(&t)
        );
    }

    #[test]
    fn sync_numbers_reuses_and_prunes_revisions() {
        let ctx = Ctx::new(crate::SimConfig::default());
        let template = |tag: &str| objects::pod_template("db", &format!("db:{tag}"), None);
        let mut set = crate::statefulset::statefulset("n", "db", "uid-1", 1, template("1"));
        let numbers = |h: &History| h.revs.iter().map(|r| r.revision).collect::<Vec<_>>();
        let h1 = sync(&ctx, Flavor::StatefulSet, &set).unwrap();
        assert_eq!(numbers(&h1), [1]);
        let first = h1.update().name.clone();
        assert!(first.starts_with("db-"));
        set["spec"]["template"] = template("2");
        let h2 = sync(&ctx, Flavor::StatefulSet, &set).unwrap();
        assert_eq!((numbers(&h2), h2.update().revision), (vec![1, 2], 2));
        // Back to the first template: its revision is renumbered, not duplicated.
        set["spec"]["template"] = template("1");
        let h3 = sync(&ctx, Flavor::StatefulSet, &set).unwrap();
        assert_eq!(numbers(&h3), [2, 3]);
        assert_eq!(h3.update().name, first);
        assert_eq!(
            h3.update().template()["spec"]["containers"][0]["image"],
            "db:1"
        );
        // Another owner's revisions are not ours.
        let other = crate::statefulset::statefulset("n", "db-x", "uid-2", 1, template("9"));
        sync(&ctx, Flavor::StatefulSet, &other).unwrap();
        assert_eq!(owned(&ctx, Flavor::StatefulSet, &set).len(), 2);
        for tag in ["3", "4", "5"] {
            set["spec"]["template"] = template(tag);
            sync(&ctx, Flavor::StatefulSet, &set).unwrap();
        }
        set["spec"]["template"] = template("6");
        let h = sync(&ctx, Flavor::StatefulSet, &set).unwrap();
        prune(&ctx, &h, &[first.as_str()], 1);
        let kept = owned(&ctx, Flavor::StatefulSet, &set);
        let kept: Vec<i64> = kept.iter().map(|r| r.revision).collect();
        // The live one (3), the newest dead one (6) and the update revision (7) stay.
        assert_eq!(kept, [3, 6, 7]);
    }

    #[test]
    fn go_drops_zero_values_but_keeps_pointers() {
        let mut v = json!({"readOnly":false,"terminationGracePeriodSeconds":0,"value":"",
            "initialDelaySeconds":0,"containerPort":0,"env":[],"labels":{},"securityContext":{}});
        go_omit_empty(&mut v, "");
        assert_eq!(
            v,
            json!({"terminationGracePeriodSeconds":0,"containerPort":0,"securityContext":{}})
        );
    }
}
