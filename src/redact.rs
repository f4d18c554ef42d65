//! Redaction of secrets in cluster log text (`[logs] redact`), so a screen-shared log pane does
//! not leak them. Applied in the tailer after sanitising (to the text as it will be shown), and
//! again to anything the pane derives from a line (the readable JSON view decodes escapes).
//!
//! Each pattern is a regex; its whole match is replaced by [`MARKER`], or only its capture group
//! named `secret` when it has one (`password=[REDACTED]` keeps the key readable).
//!
//! Presentation mode (`M`) uses the same code with more patterns and a marker per kind
//! ([`Redactor::presentation`]): `‹ip›`, `‹email›`, `‹secret›`, applied to what is drawn.

use regex::{Regex, RegexSet};

use crate::model::log::{RunStyle, StyleRun};

/// What a secret is replaced with.
pub const MARKER: &str = "[REDACTED]";

/// The default patterns: bearer tokens, AWS access key ids, passwords in URLs, and
/// `password=`/`token=`-style key-values (logfmt and JSON).
pub const DEFAULT_PATTERNS: &[&str] = &[
    r"(?i)bearer\s+(?P<secret>[A-Za-z0-9._~+/-]+=*)",
    r"AKIA[0-9A-Z]{16}",
    r"://[^:/\s]+:(?P<secret>[^@/\s]+)@",
    r#"(?i)(?:password|passwd|pwd|secret|token|api_?key)=(?P<secret>[^\s&"',;]+)"#,
    r#"(?i)"(?:password|passwd|pwd|secret|token|api_?key)"\s*:\s*"(?P<secret>[^"]*)""#,
];

/// Markers of presentation mode: the audience sees that something was hidden, and what kind.
pub const IP: &str = "‹ip›";
pub const EMAIL: &str = "‹email›";
pub const SECRET: &str = "‹secret›";

/// Patterns of presentation mode, with their markers (before the `[logs]` and
/// `[presentation]` ones). IPv4 also when cut short by a column (`10.244.1…`).
pub const PRESENTATION_PATTERNS: &[(&str, &str)] = &[
    // Credentials in a URL: the whole userinfo.
    (r"[A-Za-z][A-Za-z0-9+.-]*://(?P<secret>[^\s/?#@]+)@", SECRET),
    (
        r"(?i)\b(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/-]+=*)",
        SECRET,
    ),
    (
        r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b(?:/\d{1,2})?",
        IP,
    ),
    (r"\b\d{1,3}\.\d{1,3}\.\d{0,3}(?:\.\d{0,3})?…", IP),
    // IPv6: eight groups, or a `::` abbreviation with at least one group.
    (r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b", IP),
    (
        r"(?:\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}\b)?",
        IP,
    ),
    (
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        EMAIL,
    ),
    // An address cut short by a column or marked `…` (`ops@example.c`), not a digest.
    (
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*…?",
        EMAIL,
    ),
    // Env values in revision diffs and the pod detail: `env NAME: a → b`, `NAME=value`.
    (
        r"\benv [A-Za-z_][A-Za-z0-9_.-]*: (?P<secret>[^│┃\n]*[^\s│┃])",
        SECRET,
    ),
    (r"\b[A-Z][A-Z0-9_]{2,}=(?P<secret>\S+)", SECRET),
];

/// `url` with the userinfo of its authority (`user:password@`) replaced by `***@`, for anything
/// shown or stored (messages, logs, labels); unchanged when there is none. Works on text, so
/// that a URL too broken to parse is redacted too.
pub fn url_userinfo(url: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return url.into();
    };
    let start = scheme_end + 3;
    let authority_len = url[start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - start);
    let authority = &url[start..start + authority_len];
    match authority.rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]).into(),
        None => url.into(),
    }
}

/// Compiled redaction patterns. Empty: redaction is off.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// One pass to tell whether any pattern matches (the common case is: none).
    set: Option<RegexSet>,
    patterns: Vec<Regex>,
    /// What each pattern's match is replaced with.
    markers: Vec<&'static str>,
}

/// A pattern that is not a valid regex: its position in the list and the regex error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {index} ({pattern:?}) is not a valid regex: {message}")]
pub struct BadPattern {
    /// 1-based position in the list.
    pub index: usize,
    pub pattern: String,
    pub message: String,
}

/// A replaced byte range of the input and the length of what replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edit {
    start: usize,
    end: usize,
    new_len: usize,
}

impl Redactor {
    /// Compile `patterns` (an empty list disables redaction).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Redactor, BadPattern> {
        let marked: Vec<(&str, &'static str)> =
            patterns.iter().map(|p| (p.as_ref(), MARKER)).collect();
        Redactor::with_markers(&marked)
    }

    /// The redactor of presentation mode: [`PRESENTATION_PATTERNS`], the API server URLs as
    /// literals, then `secrets` (the `[logs]` patterns) and `custom` (`[presentation]`), all
    /// shown as `‹secret›` but IPs and e-mail addresses. A bad pattern is skipped (config
    /// validation reports it before the screen starts).
    pub fn presentation<S: AsRef<str>, T: AsRef<str>>(
        servers: &[&str],
        secrets: &[S],
        custom: &[T],
    ) -> Redactor {
        let literals: Vec<String> = servers
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| regex::escape(s.trim_end_matches('/')))
            .collect();
        let mut all: Vec<(&str, &'static str)> = PRESENTATION_PATTERNS.to_vec();
        all.extend(literals.iter().map(|l| (l.as_str(), SECRET)));
        all.extend(secrets.iter().map(|p| (p.as_ref(), SECRET)));
        all.extend(custom.iter().map(|p| (p.as_ref(), SECRET)));
        let valid: Vec<(&str, &'static str)> = all
            .into_iter()
            .filter(|(p, _)| Regex::new(p).is_ok())
            .collect();
        Redactor::with_markers(&valid).unwrap_or_default()
    }

    /// Compile `(pattern, marker)` pairs.
    pub fn with_markers(patterns: &[(&str, &'static str)]) -> Result<Redactor, BadPattern> {
        let build = |src: &str| {
            regex::RegexBuilder::new(src)
                .size_limit(1 << 22)
                .build()
                .map_err(|e| e.to_string())
        };
        let mut compiled = Vec::with_capacity(patterns.len());
        for (i, (p, _)) in patterns.iter().enumerate() {
            let regex = build(p).map_err(|e| BadPattern {
                index: i + 1,
                pattern: p.to_string(),
                message: e.lines().last().unwrap_or("invalid").trim().to_string(),
            })?;
            compiled.push(regex);
        }
        let set = if compiled.is_empty() {
            None
        } else {
            RegexSet::new(compiled.iter().map(Regex::as_str)).ok()
        };
        Ok(Redactor {
            set,
            patterns: compiled,
            markers: patterns.iter().map(|(_, m)| *m).collect(),
        })
    }

    /// The default patterns, compiled.
    pub fn defaults() -> Redactor {
        Redactor::new(DEFAULT_PATTERNS).unwrap_or_default()
    }

    /// Whether any pattern is set.
    pub fn is_enabled(&self) -> bool {
        !self.patterns.is_empty()
    }

    /// `text` with every secret replaced; `None` when nothing matched (the common case).
    pub fn redact(&self, text: &str) -> Option<String> {
        self.redact_edits(text).map(|(s, _)| s)
    }

    /// Redact a sanitised line in place, moving its style runs along (the marker is drawn like
    /// an escaped sequence). Returns whether anything was replaced.
    pub fn redact_line(&self, text: &mut String, runs: &mut Vec<StyleRun>) -> bool {
        let Some((out, edits)) = self.redact_edits(text) else {
            return false;
        };
        *runs = remap_runs(runs, &edits);
        *text = out;
        true
    }

    /// The byte ranges of `text` to hide and the marker of each (overlaps merged, in order);
    /// empty when nothing matched. For redacting what is already drawn (cell by cell).
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize, &'static str)> {
        let Some(set) = self.set.as_ref() else {
            return Vec::new();
        };
        let hits = set.matches(text);
        if !hits.matched_any() {
            return Vec::new();
        }
        let mut ranges: Vec<(usize, usize, &'static str)> = hits
            .iter()
            .flat_map(|i| {
                let marker = self.markers[i];
                secret_ranges(&self.patterns[i], text)
                    .into_iter()
                    .map(move |(s, e)| (s, e, marker))
            })
            .collect();
        ranges.sort_unstable_by_key(|r| (r.0, std::cmp::Reverse(r.1)));
        let mut merged: Vec<(usize, usize, &'static str)> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.0 < last.1 => last.1 = last.1.max(r.1),
                _ => merged.push(r),
            }
        }
        merged
    }

    /// `text` with every match replaced by its marker; borrowed when nothing matched.
    pub fn redact_text<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let ranges = self.ranges(text);
        if ranges.is_empty() {
            return text.into();
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end, marker) in ranges {
            out.push_str(&text[last..start]);
            out.push_str(marker);
            last = end;
        }
        out.push_str(&text[last..]);
        out.into()
    }

    fn redact_edits(&self, text: &str) -> Option<(String, Vec<Edit>)> {
        let ranges = self.ranges(text);
        if ranges.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut edits = Vec::with_capacity(ranges.len());
        let mut last = 0;
        for (start, end, marker) in ranges {
            out.push_str(&text[last..start]);
            out.push_str(marker);
            edits.push(Edit {
                start,
                end,
                new_len: marker.len(),
            });
            last = end;
        }
        out.push_str(&text[last..]);
        Some((out, edits))
    }
}

/// Byte ranges of every match of `re` in `text` (its `secret` group when it has one).
fn secret_ranges(re: &Regex, text: &str) -> Vec<(usize, usize)> {
    re.captures_iter(text)
        .filter_map(|caps| caps.name("secret").or_else(|| caps.get(0)))
        .filter(|m| m.start() < m.end())
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// Style runs of the original text moved to the redacted one: parts inside a replaced range are
/// dropped, runs spanning one are split, and each marker gets an escaped-style run.
fn remap_runs(runs: &[StyleRun], edits: &[Edit]) -> Vec<StyleRun> {
    let map = |pos: usize| -> usize {
        let mut d: isize = 0;
        for e in edits {
            if pos < e.end {
                break;
            }
            d += e.new_len as isize - (e.end - e.start) as isize;
        }
        (pos as isize + d) as usize
    };
    let mut out = Vec::new();
    for r in runs {
        let (mut s, end) = (r.start as usize, r.end as usize);
        let first = r.start as usize;
        for e in edits.iter().filter(|e| e.start < end && first < e.end) {
            if s < e.start {
                out.push(run(map(s), map(s) + (e.start - s), r.style));
            }
            s = e.end;
        }
        if s < end {
            out.push(run(map(s), map(s) + (end - s), r.style));
        }
    }
    for e in edits {
        let start = map(e.start);
        out.push(run(start, start + e.new_len, RunStyle::Escaped));
    }
    out.sort_by_key(|r| r.start);
    out
}

fn run(start: usize, end: usize, style: RunStyle) -> StyleRun {
    StyleRun {
        start: start as u32,
        end: end as u32,
        style,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        Redactor::defaults()
            .redact(text)
            .unwrap_or_else(|| text.to_string())
    }

    #[test]
    fn defaults_hide_common_secrets() {
        assert_eq!(
            r("GET / Authorization: Bearer eyJhbGciOi.J9x-y_z+/=="),
            "GET / Authorization: Bearer [REDACTED]"
        );
        assert_eq!(r("key AKIAIOSFODNN7EXAMPLE used"), "key [REDACTED] used");
        assert_eq!(
            r("dial postgres://app:s3cr3t@db:5432/x"),
            "dial postgres://app:[REDACTED]@db:5432/x"
        );
        assert_eq!(
            r("login user=bob password=hunter2 ok"),
            "login user=bob password=[REDACTED] ok"
        );
        assert_eq!(
            r("cb?access_token=abc.def&x=1"),
            "cb?access_token=[REDACTED]&x=1"
        );
        assert_eq!(
            r(r#"{"msg":"login","password":"hunter2","user":"bob"}"#),
            r#"{"msg":"login","password":"[REDACTED]","user":"bob"}"#
        );
        assert_eq!(r("nothing to see here"), "nothing to see here");
        assert!(Redactor::defaults().redact("plain line").is_none());
    }

    #[test]
    fn userinfo_of_urls_is_hidden() {
        assert_eq!(
            url_userinfo("https://user:pa%40ss@am.example:9093/x?y=1"),
            "https://***@am.example:9093/x?y=1"
        );
        assert_eq!(url_userinfo("http://token@h/"), "http://***@h/");
        assert_eq!(url_userinfo("htp://u:p@x y"), "htp://***@x y");
        assert_eq!(url_userinfo("http://h:9093/a@b"), "http://h:9093/a@b");
        assert_eq!(url_userinfo("not a url"), "not a url");
    }

    #[test]
    fn overlapping_matches_become_one_marker() {
        let red = Redactor::new(&["token=\\S+", "abc"]).unwrap();
        assert_eq!(red.redact("x token=abcdef y").unwrap(), "x [REDACTED] y");
    }

    #[test]
    fn empty_list_disables_and_bad_regex_is_named() {
        let none: [&str; 0] = [];
        let off = Redactor::new(&none).unwrap();
        assert!(!off.is_enabled());
        assert!(off.redact("password=x").is_none());
        let err = Redactor::new(&["ok", "(unclosed"]).unwrap_err();
        assert_eq!(err.index, 2);
        assert!(err.to_string().contains("(unclosed"), "{err}");
    }

    #[test]
    fn style_runs_move_with_the_text() {
        let red = Redactor::new(&["password=(?P<secret>\\S+)"]).unwrap();
        // "ERROR" styled, then a run spanning the secret, then a styled tail.
        let mut text = "ERROR password=hunter2 tail".to_string();
        let sgr = RunStyle::Sgr(anstyle::Style::new().bold());
        let mut runs = vec![run(0, 5, sgr), run(6, 22, sgr), run(23, 27, sgr)];
        assert!(red.redact_line(&mut text, &mut runs));
        assert_eq!(text, "ERROR password=[REDACTED] tail");
        let spans: Vec<(&str, RunStyle)> = runs
            .iter()
            .map(|r| (&text[r.start as usize..r.end as usize], r.style))
            .collect();
        assert_eq!(
            spans,
            [
                ("ERROR", sgr),
                ("password=", sgr),
                ("[REDACTED]", RunStyle::Escaped),
                ("tail", sgr)
            ]
        );
    }

    #[test]
    fn presentation_hides_addresses_mail_tokens_and_servers_but_not_clocks() {
        let none: [&str; 0] = [];
        let red = Redactor::presentation(&["https://10.96.0.1:6443/"], DEFAULT_PATTERNS, &none);
        let p = |t: &str| red.redact_text(t).into_owned();
        assert_eq!(p("from 10.0.2.17:5432"), "from ‹ip›:5432");
        assert_eq!(p("node 10.244.1…"), "node ‹ip›");
        assert_eq!(p("peer fd00:10:244::1a2b up"), "peer ‹ip› up");
        assert_eq!(
            p("peer 2001:0db8:0000:0000:0000:ff00:0042:8329"),
            "peer ‹ip›"
        );
        assert_eq!(p("mail bob.smith@example.com now"), "mail ‹email› now");
        assert_eq!(p("to bob.smith@example.c"), "to ‹email›");
        assert_eq!(p("app@sha256:0abc"), "app@sha256:0abc");
        assert_eq!(
            p("Authorization: Basic dXNlcjpwYXNz"),
            "Authorization: Basic ‹secret›"
        );
        assert_eq!(p("api https://10.96.0.1:6443 down"), "api ‹secret› down");
        assert_eq!(
            p("~ api env LOG_LEVEL: \"info\" → \"debug\""),
            "~ api env LOG_LEVEL: ‹secret›"
        );
        for kept in [
            "12:00:05",
            "INCIDENT x 00:17:42",
            "image app:1.4.2 → app:1.5.0",
            "3h10m",
        ] {
            assert_eq!(p(kept), kept);
        }
        let custom = Redactor::presentation(&[], DEFAULT_PATTERNS, &["cust-[0-9]{6}"]);
        assert_eq!(custom.redact_text("for cust-204518"), "for ‹secret›");
    }
}
