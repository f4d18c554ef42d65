//! The readable view of a JSON log line (`J` on the log pane): level, time and message first,
//! then the other fields as `key=value` in the order the line has them (nested objects as
//! dotted keys). A render-time transform of the lines on screen: the stored line stays raw.
//!
//! Decoding JSON turns escapes (`\u001b`, `\/`) back into characters, so the result is
//! sanitised and redacted again before it is shown.

use std::fmt::Write as _;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::model::log::{LogLevel, StyleRun, detect_level};
use crate::redact::Redactor;
use crate::sanitize::sanitize;

const LEVEL_KEYS: &[&str] = &["level", "severity", "lvl", "log.level", "loglevel"];
const TIME_KEYS: &[&str] = &["time", "ts", "timestamp", "@timestamp", "t"];
const MESSAGE_KEYS: &[&str] = &["msg", "message", "@message", "log"];
/// Nesting deeper than this is shown as compact JSON.
const MAX_DEPTH: usize = 4;

/// A line as the readable JSON view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Readable {
    pub text: String,
    pub runs: Vec<StyleRun>,
    pub level: Option<(LogLevel, u32, u32)>,
}

/// The fields of a JSON object in the order of the line.
struct Fields(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Fields {
    /// Remove and return the first field named like one of `keys`.
    fn take(&mut self, keys: &[&str]) -> Option<Value> {
        let i = self
            .0
            .iter()
            .position(|(k, _)| keys.iter().any(|want| k.eq_ignore_ascii_case(want)))?;
        Some(self.0.remove(i).1)
    }
}

/// The readable form of `text`, or `None` when it is not a JSON object.
pub fn readable(text: &str, redactor: &Redactor) -> Option<Readable> {
    let body = text.trim();
    if !body.starts_with('{') || !body.ends_with('}') {
        return None;
    }
    let mut fields: Fields = serde_json::from_str(body).ok()?;
    let mut out = String::with_capacity(body.len());
    if let Some(level) = fields.take(LEVEL_KEYS) {
        out.push_str(&level_word(&level));
        out.push(' ');
    }
    if let Some(time) = fields.take(TIME_KEYS) {
        out.push_str(&scalar(&time));
        out.push(' ');
    }
    if let Some(msg) = fields.take(MESSAGE_KEYS) {
        out.push_str(&scalar(&msg));
        out.push(' ');
    }
    for (key, value) in &fields.0 {
        push_field(&mut out, key, value, 0);
    }
    let s = sanitize(out.trim_end().as_bytes(), usize::MAX);
    let (mut text, mut runs) = (s.text, s.runs);
    redactor.redact_line(&mut text, &mut runs);
    let level = detect_level(&text);
    Some(Readable { text, runs, level })
}

/// `ERROR` for `"error"`, `"ERR"` or pino's `50`; other values as they are.
fn level_word(v: &Value) -> String {
    let level = match v {
        Value::String(s) => LogLevel::from_word(s),
        Value::Number(n) => n.as_u64().and_then(|n| match n {
            10 => Some(LogLevel::Trace),
            20 => Some(LogLevel::Debug),
            30 => Some(LogLevel::Info),
            40 => Some(LogLevel::Warn),
            50 => Some(LogLevel::Error),
            60 => Some(LogLevel::Fatal),
            _ => None,
        }),
        _ => None,
    };
    level
        .map(|l| l.label().to_string())
        .unwrap_or_else(|| scalar(v))
}

/// A string without quotes, anything else as compact JSON.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// ` key=value` (quoted when needed), objects flattened as `key.sub=value`.
fn push_field(out: &mut String, key: &str, value: &Value, depth: usize) {
    match value {
        Value::Object(map) if depth < MAX_DEPTH && !map.is_empty() => {
            for (k, v) in map {
                push_field(out, &format!("{key}.{k}"), v, depth + 1);
            }
        }
        Value::String(s) if needs_quotes(s) => {
            let _ = write!(out, "{key}={s:?} ");
        }
        other => {
            let _ = write!(out, "{key}={} ", scalar(other));
        }
    }
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"' || c == '=')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> Option<String> {
        readable(text, &Redactor::defaults()).map(|r| r.text)
    }

    #[test]
    fn level_time_message_first_then_fields_in_order() {
        let line = r#"{"ts":"2026-01-01T10:00:00Z","zeta":1,"msg":"slow upstream","level":"warn","alpha":"a b","http":{"status":502,"path":"/x"}}"#;
        assert_eq!(
            show(line).unwrap(),
            r#"WARN 2026-01-01T10:00:00Z slow upstream zeta=1 alpha="a b" http.path=/x http.status=502"#
        );
        let r = readable(line, &Redactor::defaults()).unwrap();
        assert_eq!(r.level, Some((LogLevel::Warn, 0, 4)));
    }

    #[test]
    fn pino_levels_and_non_json_lines() {
        assert_eq!(
            show(r#"{"level":50,"time":1700000000000,"msg":"boom"}"#).unwrap(),
            "ERROR 1700000000000 boom"
        );
        assert_eq!(show("INFO plain text"), None);
        assert_eq!(show(r#"{"cut":"…[12 bytes cut]"#), None);
        assert_eq!(show("[1,2]"), None);
    }

    #[test]
    fn decoded_escapes_are_sanitised_and_redacted() {
        let line =
            r#"{"msg":"title \u001b]0;pwned\u0007 here","url":"https:\/\/bob:hunter2@db\/x"}"#;
        let r = readable(line, &Redactor::defaults()).unwrap();
        assert!(!r.text.chars().any(char::is_control), "{:?}", r.text);
        assert!(r.text.contains("␛]0;pwned␇"), "{}", r.text);
        assert!(!r.text.contains("hunter2"), "{}", r.text);
        assert!(r.text.contains("bob:[REDACTED]@db"), "{}", r.text);
    }
}
