//! Property tests of the log sanitiser: whatever bytes a container writes, nothing but
//! printable text (and SGR styles as data) comes out.

use opsdeck::sanitize::{LINE_CAP, sanitize};
use proptest::prelude::*;

/// Bytes biased towards escape sequences and control characters.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\x1b".to_vec()),
        Just(b"\x1b[".to_vec()),
        Just(b"\x1b]".to_vec()),
        Just(b"\x1bP".to_vec()),
        Just(b"\x1b_".to_vec()),
        Just(b"\x1b\\".to_vec()),
        Just(b"\x07".to_vec()),
        Just(b"\x9b".to_vec()),
        Just("\u{9b}".as_bytes().to_vec()),
        Just("\u{202e}".as_bytes().to_vec()),
        Just(b"31;1m".to_vec()),
        Just(b"0;title".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
        "[ -~]{0,8}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn assert_clean(raw: &[u8], cap: usize) {
    let s = sanitize(raw, cap);
    for c in s.text.chars() {
        assert!(
            !c.is_control() && !('\u{202a}'..='\u{202e}').contains(&c),
            "{c:?} survived {raw:?} -> {:?}",
            s.text
        );
    }
    for run in &s.runs {
        assert!(run.start < run.end && run.end as usize <= s.text.len());
        assert!(s.text.is_char_boundary(run.start as usize));
        assert!(s.text.is_char_boundary(run.end as usize));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn nothing_but_printable_text_survives(raw in hostile()) {
        assert_clean(&raw, LINE_CAP);
    }

    #[test]
    fn any_bytes_at_any_cap(raw in proptest::collection::vec(any::<u8>(), 0..200), cap in 0usize..64) {
        assert_clean(&raw, cap);
    }
}
