//! Label and field selectors, parsed the way the API server does.

use super::store::{Kind, Obj};

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed `labelSelector` plus `fieldSelector`.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    labels: Vec<LabelReq>,
    fields: Vec<(String, bool, String)>,
}

/// Why a selector was rejected.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

impl Selector {
    /// Parses both selectors for `kind`; either may be empty.
    pub fn parse(kind: Kind, labels: &str, fields: &str) -> Result<Selector, SelectorError> {
        Ok(Selector {
            labels: parse_labels(labels)?,
            fields: parse_fields(kind, fields)?,
        })
    }

    /// Whether the object matches every requirement.
    pub fn matches(&self, obj: &Obj) -> bool {
        self.labels.iter().all(|r| label_matches(r, obj))
            && self
                .fields
                .iter()
                .all(|(k, eq, v)| (obj.field(k).unwrap_or_default() == v) == *eq)
    }
}

fn label_matches(req: &LabelReq, obj: &Obj) -> bool {
    match req {
        LabelReq::Eq(k, v) => obj.label(k) == Some(v.as_str()),
        LabelReq::NotEq(k, v) => obj.label(k) != Some(v.as_str()),
        LabelReq::In(k, vs) => obj.label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
        LabelReq::NotIn(k, vs) => !obj.label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
        LabelReq::Exists(k) => obj.label(k).is_some(),
        LabelReq::NotExists(k) => obj.label(k).is_none(),
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn bad(msg: String) -> SelectorError {
    SelectorError(msg)
}

/// Parses a label selector string.
pub fn parse_labels(s: &str) -> Result<Vec<LabelReq>, SelectorError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(Vec::new());
    }
    split_top(s).into_iter().map(parse_label_req).collect()
}

fn parse_label_req(part: &str) -> Result<LabelReq, SelectorError> {
    let part = part.trim();
    let err = || bad(format!("unable to parse requirement: {part:?}"));
    if let Some(k) = part.strip_prefix('!') {
        let k = k.trim();
        return valid_key(k)
            .then(|| LabelReq::NotExists(k.to_string()))
            .ok_or_else(err);
    }
    for (op, ctor) in [(" notin ", false), (" in ", true)] {
        if let Some((k, rest)) = part.split_once(op) {
            let k = k.trim();
            let set = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(err)?;
            let vals: Vec<String> = set
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if !valid_key(k) || vals.iter().any(|v| !valid_value(v)) {
                return Err(err());
            }
            return Ok(if ctor {
                LabelReq::In(k.to_string(), vals)
            } else {
                LabelReq::NotIn(k.to_string(), vals)
            });
        }
    }
    let eq = |k: &str, v: &str, pos: bool| -> Result<LabelReq, SelectorError> {
        let (k, v) = (k.trim(), v.trim());
        if !valid_key(k) || !valid_value(v) {
            return Err(err());
        }
        Ok(if pos {
            LabelReq::Eq(k.into(), v.into())
        } else {
            LabelReq::NotEq(k.into(), v.into())
        })
    };
    if let Some((k, v)) = part.split_once("!=") {
        return eq(k, v, false);
    }
    if let Some((k, v)) = part.split_once("==") {
        return eq(k, v, true);
    }
    if let Some((k, v)) = part.split_once('=') {
        return eq(k, v, true);
    }
    valid_key(part)
        .then(|| LabelReq::Exists(part.to_string()))
        .ok_or_else(err)
}

fn supported_field(kind: Kind, field: &str) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    match kind {
        Kind::Pod => matches!(field, "spec.nodeName" | "status.phase"),
        Kind::Event => matches!(
            field,
            "involvedObject.kind"
                | "involvedObject.name"
                | "involvedObject.namespace"
                | "involvedObject.uid"
                | "reason"
                | "type"
        ),
        Kind::Namespace => field == "status.phase",
        _ => false,
    }
}

/// Parses a field selector (`=`, `==`, `!=` only).
pub fn parse_fields(kind: Kind, s: &str) -> Result<Vec<(String, bool, String)>, SelectorError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            let part = part.trim();
            let (k, eq, v) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, true, v)
            } else {
                return Err(bad(format!(
                    "invalid selector: '{part}'; can't understand '{part}'"
                )));
            };
            let k = k.trim();
            if !supported_field(kind, k) {
                return Err(bad(format!("field label not supported: {k}")));
            }
            Ok((k.to_string(), eq, v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use serde_json::json;

    fn obj(labels: serde_json::Value) -> std::sync::Arc<Obj> {
        let s = Store::new(10);
        let v = json!({"metadata":{"name":"p","namespace":"n","labels":labels},
                       "spec":{"nodeName":"node-1"},"status":{"phase":"Running"}});
        s.put(Kind::Pod, v, None, true).unwrap()
    }

    #[test]
    fn label_operators() {
        let o = obj(json!({"app":"web","tier":"front"}));
        let m = |l: &str| Selector::parse(Kind::Pod, l, "").unwrap().matches(&o);
        assert!(m("app=web"));
        assert!(m("app==web,tier"));
        assert!(!m("app!=web"));
        assert!(m("app in (web, api)"));
        assert!(!m("app notin (web,api)"));
        assert!(m("!missing"));
        assert!(!m("missing"));
        assert!(m("tier in (front),app notin (x)"));
        assert!(m(""));
    }

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        let m = |f: &str| Selector::parse(Kind::Pod, "", f).unwrap().matches(&o);
        assert!(m("metadata.name=p,status.phase=Running"));
        assert!(m("spec.nodeName!=node-2"));
        assert!(!m("metadata.namespace=other"));
    }

    #[test]
    fn bad_selectors() {
        assert!(Selector::parse(Kind::Pod, "app in web", "").is_err());
        assert!(Selector::parse(Kind::Pod, "a=b=c", "").is_err());
        assert!(Selector::parse(Kind::Pod, "", "spec.bogus=1").is_err());
        assert!(Selector::parse(Kind::Pod, "", "nonsense").is_err());
        assert!(Selector::parse(Kind::Deployment, "", "status.phase=x").is_err());
    }
}
