//! Just enough protobuf to read the SelfSubjectAccessReview kubectl sends (client-go's typed
//! clients encode bodies as `application/vnd.kubernetes.protobuf`).

use serde_json::{Value, json};

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

/// The length-delimited fields of a message, as (field number, bytes); scalars are skipped.
fn fields(buf: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        match key & 7 {
            0 => {
                varint(buf, &mut pos)?;
            }
            1 => pos += 8,
            5 => pos += 4,
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len)?;
                out.push((key >> 3, buf.get(pos..end)?));
                pos = end;
            }
            _ => return None,
        }
    }
    Some(out)
}

fn field(buf: &[u8], n: u64) -> Option<&[u8]> {
    fields(buf)?
        .into_iter()
        .find(|(f, _)| *f == n)
        .map(|(_, b)| b)
}

fn string_fields(buf: &[u8], names: &[&str]) -> Option<Value> {
    let mut m = serde_json::Map::new();
    for (f, b) in fields(buf)? {
        let i = usize::try_from(f).ok()?.checked_sub(1)?;
        if let (Some(name), Ok(s)) = (names.get(i), std::str::from_utf8(b)) {
            m.insert((*name).to_string(), json!(s));
        }
    }
    Some(Value::Object(m))
}

/// Decodes a protobuf-encoded SelfSubjectAccessReview (after the `k8s\0` magic) into JSON.
pub fn access_review(envelope: &[u8]) -> Option<Value> {
    let raw = field(envelope, 2)?;
    let spec = field(raw, 2)?;
    let mut out = json!({"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",
        "metadata":{},"spec":{}});
    if let Some(ra) = field(spec, 1) {
        let names = [
            "namespace",
            "verb",
            "group",
            "version",
            "resource",
            "subresource",
            "name",
        ];
        out["spec"]["resourceAttributes"] = string_fields(ra, &names)?;
    }
    if let Some(nra) = field(spec, 2) {
        out["spec"]["nonResourceAttributes"] = string_fields(nra, &["path", "verb"])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(field: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![(field << 3) | 2, body.len() as u8];
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn decodes_review() {
        let ra = [len(1, b"ns"), len(2, b"delete"), len(5, b"pods")].concat();
        let spec = len(1, &ra);
        let raw = [len(1, b""), len(2, &spec)].concat();
        let env = [len(1, b""), len(2, &raw)].concat();
        let v = access_review(&env).unwrap();
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "delete");
        assert_eq!(v["spec"]["resourceAttributes"]["resource"], "pods");
        assert!(access_review(&[0xff]).is_none());
    }
}
