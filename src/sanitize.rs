//! Neutralises control sequences in cluster log text before it can reach the terminal.
//!
//! Bytes are parsed with `anstyle-parse` (the VT state machine of `vte`). The output holds only
//! printable characters: SGR colour sequences become style runs; every other escape or control
//! sequence (CSI cursor movement and screen clearing, OSC window titles, clipboard writes and
//! hyperlinks, DCS, SOS/PM/APC strings, charset switches, BEL, backspace, carriage returns,
//! 8-bit C1 controls, bidirectional overrides) is dropped or shown escaped as printable text
//! (`␛]0;title␇`). Tabs become spaces, invalid UTF-8 becomes U+FFFD, and a line over the cap is
//! cut with a visible `…[N bytes cut]` marker.

use anstyle::{Ansi256Color, AnsiColor, Color, Effects, RgbColor, Style};
use anstyle_parse::{Params, Parser, Perform};

use crate::model::log::{RunStyle, StyleRun};

/// Default cap of one line, in bytes.
pub const LINE_CAP: usize = 16 * 1024;
/// Longest escaped rendering of one control sequence, in characters.
const ESCAPED_MAX: usize = 48;
const TAB: usize = 8;

/// A sanitised line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sanitized {
    /// Printable text only.
    pub text: String,
    /// Styled byte ranges of `text` (SGR styles and escaped sequences).
    pub runs: Vec<StyleRun>,
    /// Bytes cut off the end (over the cap).
    pub cut: usize,
}

/// Sanitise one line (without its newline) of at most `cap` bytes (rest cut, marked).
pub fn sanitize(raw: &[u8], cap: usize) -> Sanitized {
    sanitize_cut(raw, cap, 0)
}

/// [`sanitize`] a line of which `already_cut` bytes were dropped while reading it.
pub fn sanitize_cut(raw: &[u8], cap: usize, already_cut: usize) -> Sanitized {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let cap_at = raw.len().min(cap);
    let mut keep = cap_at;
    // Do not split a UTF-8 character at the cap (back off at most 3 continuation bytes).
    while keep > 0 && keep < raw.len() && (raw[keep] & 0xC0) == 0x80 && cap_at - keep < 3 {
        keep -= 1;
    }
    let cut = raw.len() - keep + already_cut;
    let lossy = String::from_utf8_lossy(&raw[..keep]);
    let mut out = if is_plain(&lossy) {
        Sanitized {
            text: lossy.into_owned(),
            ..Sanitized::default()
        }
    } else {
        parse(lossy.as_bytes())
    };
    if cut > 0 {
        let start = out.text.len() as u32;
        out.text.push_str(&format!("…[{cut} bytes cut]"));
        out.runs.push(StyleRun {
            start,
            end: out.text.len() as u32,
            style: RunStyle::Escaped,
        });
        out.cut = cut;
    }
    out
}

/// Nothing to neutralise: no C0 (tab included), DEL, C1 or bidi control.
fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| b >= 0x20 && b != 0x7f) && !s.chars().any(is_hidden_control)
}

/// C1 controls as characters (U+0080..U+009F) and bidirectional overrides/isolates.
fn is_hidden_control(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn parse(bytes: &[u8]) -> Sanitized {
    let mut p = Performer::default();
    let mut parser = Parser::<anstyle_parse::DefaultCharAccumulator>::new();
    for b in bytes {
        parser.advance(&mut p, *b);
    }
    if p.in_dcs {
        p.escaped("␛P…".to_string());
    }
    Sanitized {
        text: p.text,
        runs: p.runs,
        cut: 0,
    }
}

#[derive(Default)]
struct Performer {
    text: String,
    runs: Vec<StyleRun>,
    style: Style,
    column: usize,
    in_dcs: bool,
}

impl Performer {
    fn push(&mut self, s: &str, style: RunStyle) {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        self.column += s.chars().count();
        let end = self.text.len() as u32;
        if style == RunStyle::Sgr(Style::new()) {
            return;
        }
        match self.runs.last_mut() {
            Some(last) if last.end == start && last.style == style => last.end = end,
            _ => self.runs.push(StyleRun { start, end, style }),
        }
    }

    fn escaped(&mut self, mut s: String) {
        if s.chars().count() > ESCAPED_MAX {
            s = s.chars().take(ESCAPED_MAX).collect::<String>() + "…";
        }
        self.push(&s, RunStyle::Escaped);
    }
}

/// A byte inside an escaped sequence, printable: ASCII as is, the rest as `\xNN`.
fn show_bytes(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        match b {
            0x20..=0x7e => out.push(char::from(*b)),
            0x07 => out.push('␇'),
            0x1b => out.push('␛'),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
}

fn show_params(out: &mut String, params: &Params) {
    for (i, param) in params.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let sub: Vec<String> = param.iter().map(u16::to_string).collect();
        out.push_str(&sub.join(":"));
    }
}

impl Perform for Performer {
    fn print(&mut self, c: char) {
        if c.is_ascii_control() {
            // The parser hands DEL (and nothing else of C0) to print; show it like execute does.
            return self.execute(c as u8);
        }
        if is_hidden_control(c) {
            return self.escaped(format!("\\u{{{:x}}}", u32::from(c)));
        }
        let mut buf = [0u8; 4];
        self.push(c.encode_utf8(&mut buf), RunStyle::Sgr(self.style));
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\t' => {
                let n = TAB - self.column % TAB;
                self.push(&" ".repeat(n), RunStyle::Sgr(self.style));
            }
            // C0 as its Control Pictures glyph (␇ ␈ ␍ …), C1 as \xNN.
            0x00..=0x1f => {
                let glyph = char::from_u32(0x2400 + u32::from(byte)).unwrap_or('?');
                self.escaped(glyph.to_string());
            }
            0x7f => self.escaped("␡".to_string()),
            _ => self.escaped(format!("\\x{byte:02x}")),
        }
    }

    fn hook(&mut self, _params: &Params, _intermediates: &[u8], _ignore: bool, _action: u8) {
        self.in_dcs = true;
    }

    fn unhook(&mut self) {
        self.in_dcs = false;
        self.escaped("␛P…␛\\".to_string());
    }

    fn osc_dispatch(&mut self, params: &[&[u8]], bell_terminated: bool) {
        let mut s = String::from("␛]");
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            show_bytes(&mut s, p);
        }
        if bell_terminated {
            s.push('␇');
        }
        self.escaped(s);
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: u8) {
        if action == b'm' && intermediates.is_empty() && !ignore {
            self.style = apply_sgr(self.style, params);
            return;
        }
        let mut s = String::from("␛[");
        show_bytes(&mut s, intermediates);
        show_params(&mut s, params);
        show_bytes(&mut s, &[action]);
        self.escaped(s);
    }

    fn esc_dispatch(&mut self, intermediates: &[u8], _ignore: bool, byte: u8) {
        let mut s = String::from("␛");
        show_bytes(&mut s, intermediates);
        show_bytes(&mut s, &[byte]);
        self.escaped(s);
    }
}

/// Apply one SGR sequence (`ESC [ … m`) to a style. Blink and conceal are ignored.
fn apply_sgr(mut style: Style, params: &Params) -> Style {
    let flat: Vec<u16> = params.iter().flat_map(|p| p.iter().copied()).collect();
    if flat.is_empty() {
        return Style::new();
    }
    let mut i = 0;
    while i < flat.len() {
        let n = flat[i];
        i += 1;
        let effects = style.get_effects();
        style = match n {
            0 => Style::new(),
            1 => style.effects(effects | Effects::BOLD),
            2 => style.effects(effects | Effects::DIMMED),
            3 => style.effects(effects | Effects::ITALIC),
            4 => style.effects(effects | Effects::UNDERLINE),
            7 => style.effects(effects | Effects::INVERT),
            9 => style.effects(effects | Effects::STRIKETHROUGH),
            22 => style.effects(effects.remove(Effects::BOLD | Effects::DIMMED)),
            23 => style.effects(effects.remove(Effects::ITALIC)),
            24 => style.effects(effects.remove(Effects::UNDERLINE)),
            27 => style.effects(effects.remove(Effects::INVERT)),
            29 => style.effects(effects.remove(Effects::STRIKETHROUGH)),
            30..=37 => style.fg_color(ansi(n - 30, false)),
            90..=97 => style.fg_color(ansi(n - 90, true)),
            40..=47 => style.bg_color(ansi(n - 40, false)),
            100..=107 => style.bg_color(ansi(n - 100, true)),
            39 => style.fg_color(None),
            49 => style.bg_color(None),
            38 | 48 => {
                let (color, used) = extended(&flat[i..]);
                i += used;
                if n == 38 {
                    style.fg_color(color)
                } else {
                    style.bg_color(color)
                }
            }
            _ => style,
        };
    }
    style
}

fn ansi(n: u16, bright: bool) -> Option<Color> {
    let base = [
        AnsiColor::Black,
        AnsiColor::Red,
        AnsiColor::Green,
        AnsiColor::Yellow,
        AnsiColor::Blue,
        AnsiColor::Magenta,
        AnsiColor::Cyan,
        AnsiColor::White,
    ];
    let c = *base.get(usize::from(n))?;
    Some(Color::Ansi(if bright { c.bright(true) } else { c }))
}

/// `5;N` or `2;R;G;B` after 38/48: the colour and how many numbers it used.
fn extended(rest: &[u16]) -> (Option<Color>, usize) {
    let byte = |i: usize| rest.get(i).map(|v| (*v).min(255) as u8);
    match rest.first() {
        Some(5) => (byte(1).map(|n| Color::Ansi256(Ansi256Color(n))), 2),
        Some(2) => match (byte(1), byte(2), byte(3)) {
            (Some(r), Some(g), Some(b)) => (Some(Color::Rgb(RgbColor(r, g, b))), 4),
            _ => (None, rest.len()),
        },
        _ => (None, rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &Sanitized) {
        for c in s.text.chars() {
            assert!(
                !c.is_control() && !is_hidden_control(c),
                "control {c:?} survived in {:?}",
                s.text
            );
        }
    }

    fn text(raw: &[u8]) -> String {
        let s = sanitize(raw, LINE_CAP);
        clean(&s);
        s.text
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(text(b"hello world"), "hello world");
        assert_eq!(text("héllo wörld ✓".as_bytes()), "héllo wörld ✓");
        assert!(sanitize(b"plain", LINE_CAP).runs.is_empty());
    }

    #[test]
    fn sgr_becomes_style_runs() {
        let s = sanitize(b"\x1b[31mERROR\x1b[0m done", LINE_CAP);
        assert_eq!(s.text, "ERROR done");
        assert_eq!(s.runs.len(), 1);
        assert_eq!((s.runs[0].start, s.runs[0].end), (0, 5));
        let RunStyle::Sgr(style) = s.runs[0].style else {
            panic!("not sgr")
        };
        assert_eq!(style.get_fg_color(), Some(Color::Ansi(AnsiColor::Red)));
        let s = sanitize(b"\x1b[1;38;5;208mx\x1b[38;2;1;2;3my", LINE_CAP);
        assert_eq!(s.text, "xy");
        assert_eq!(s.runs.len(), 2);
    }

    #[test]
    fn hostile_sequences_are_shown_escaped_never_passed() {
        let cases: [&[u8]; 12] = [
            b"a\x1b[10;10Hb",                          // cursor move
            b"a\x1b[2Jb\x1b[Hc",                       // clear screen, home
            b"a\x1b]0;pwned\x07b",                     // OSC 0 title, BEL-terminated
            b"a\x1b]2;pwned\x1b\\b",                   // OSC 2 title, ST-terminated
            b"a\x1b]52;c;aGVsbG8=\x07b",               // OSC 52 clipboard write
            b"a\x1b]8;;http://x\x1b\\l\x1b]8;;\x1b\\", // hyperlink
            b"a\x1bP1$qm\x1b\\b",                      // DCS
            b"a\x1b_apc\x1b\\b\x1b^pm\x1b\\",          // APC, PM
            b"bell\x07 bs\x08 cr\r!",                  // BEL, backspace, CR games
            b"a\x1b(0qqq\x1b(B",                       // charset switch
            b"lone \x1b",                              // lone ESC
            b"trunc \x1b]0;no terminator",             // unterminated OSC
        ];
        for raw in cases {
            let out = text(raw);
            assert!(!out.contains('\x1b'), "{out:?}");
        }
        assert_eq!(text(b"a\x1b]0;pwned\x07b"), "a␛]0;pwned␇b");
        assert_eq!(text(b"a\x1b[10;10Hb"), "a␛[10;10Hb");
        assert_eq!(text(b"bell\x07"), "bell␇");
        assert_eq!(text(b"x\ry"), "x␍y");
        assert_eq!(text(b"windows line\r"), "windows line");
    }

    #[test]
    fn eight_bit_c1_and_unicode_controls_are_neutralised() {
        // Raw 8-bit CSI (0x9b) is invalid UTF-8: replaced.
        assert_eq!(text(b"a\x9b2Jb"), "a\u{fffd}2Jb");
        // C1 encoded as UTF-8 (U+009B) and a bidi override: escaped.
        assert_eq!(text("a\u{9b}2J".as_bytes()), "a\\u{9b}2J");
        assert_eq!(text("x\u{202e}y".as_bytes()), "x\\u{202e}y");
        assert_eq!(text(b"\xff\xfeok"), "\u{fffd}\u{fffd}ok");
    }

    #[test]
    fn tabs_become_spaces() {
        assert_eq!(text(b"a\tb"), "a       b");
        assert_eq!(text(b"abcdefgh\tx"), "abcdefgh        x");
    }

    #[test]
    fn long_lines_are_cut_with_a_marker() {
        let raw = vec![b'x'; 1024 * 1024];
        let s = sanitize(&raw, LINE_CAP);
        assert_eq!(s.cut, 1024 * 1024 - LINE_CAP);
        assert!(s.text.ends_with(&format!("…[{} bytes cut]", s.cut)));
        assert!(s.text.len() < LINE_CAP + 64);
        // A cut never splits a UTF-8 character.
        let raw = "é".repeat(100);
        let s = sanitize(raw.as_bytes(), 51);
        assert!(s.text.starts_with(&"é".repeat(25)));
        assert!(!s.text.contains('\u{fffd}'));
    }
}
