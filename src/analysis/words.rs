//! UAX #29 words, quickly, for the text op-eds are made of.
//!
//! [`for_each_word`] gives exactly what `unicode_words()` of the unicode-segmentation crate gives
//! (the tests compare them), but for a text whose every character is ASCII or one of a few
//! common Latin-1 letters and typographic marks ([`non_ascii_class`]) it runs a small state
//! machine over a byte table instead of the general rules: splitting was a third of featurizing.
//! Any other character sends the whole text to unicode-segmentation.
//!
//! Only the rules that can apply to those characters are needed: letters and digits join
//! (WB5, WB8–WB10), `_` joins them (WB13a/b), a letter-joining mark between two letters
//! (WB6/WB7) and a number-joining mark between two digits (WB11/WB12) join, and everything
//! else breaks. A segment is a word when it holds a letter or a digit.

use unicode_segmentation::UnicodeSegmentation;

/// Word-break classes of the supported characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Breaks on both sides (spaces, most punctuation, line ends).
    Other,
    /// ALetter.
    Letter,
    /// Numeric.
    Digit,
    /// ExtendNumLet (`_`).
    Connector,
    /// MidLetter (`:`, `·`): joins two letters.
    MidLetter,
    /// MidNum (`,`, `;`): joins two digits.
    MidNum,
    /// MidNumLet and Single_Quote (`.`, `'`, `‘`, `’`): joins two letters or two digits.
    MidNumLet,
    /// A character this module does not handle.
    Unsupported,
}

const fn ascii_class(b: u8) -> Class {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
        b'0'..=b'9' => Class::Digit,
        b'_' => Class::Connector,
        b':' => Class::MidLetter,
        b',' | b';' => Class::MidNum,
        b'.' | b'\'' => Class::MidNumLet,
        _ => Class::Other,
    }
}

static ASCII: [Class; 128] = {
    let mut t = [Class::Other; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = ascii_class(b as u8);
        b += 1;
    }
    t
};

/// The class of a non-ASCII character, if it is one of those handled here.
fn non_ascii_class(c: char) -> Class {
    match c {
        // Latin-1 letters (not × or ÷), and the feminine and masculine ordinals.
        'ª' | 'º' | 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ÿ' => Class::Letter,
        '·' => Class::MidLetter,
        '\u{2018}' | '\u{2019}' => Class::MidNumLet,
        // No-break space, dashes, double quotes, ellipsis, guillemets.
        '\u{a0}' | '\u{2013}' | '\u{2014}' | '\u{201c}' | '\u{201d}' | '\u{2026}' | '«' | '»' => {
            Class::Other
        }
        _ => Class::Unsupported,
    }
}

/// Whether the fast path handles every character of `text`.
fn supported(text: &str) -> bool {
    text.is_ascii()
        || text
            .chars()
            .all(|c| c.is_ascii() || non_ascii_class(c) != Class::Unsupported)
}

/// Calls `f` with each UAX #29 word of `text` in order: the same words as
/// `text.unicode_words()`.
pub fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    if !supported(text) {
        text.unicode_words().for_each(f);
        return;
    }
    let bytes = text.as_bytes();
    // The class of the character at `i`, and the index after it.
    let class_at = |i: usize| -> (Class, usize) {
        let b = bytes[i];
        if b < 0x80 {
            return (ASCII[b as usize], i + 1);
        }
        let c = text[i..].chars().next().expect("a character starts at i");
        (non_ascii_class(c), i + c.len_utf8())
    };
    let mut i = 0;
    while i < bytes.len() {
        let (class, next) = class_at(i);
        if !matches!(class, Class::Letter | Class::Digit | Class::Connector) {
            i = next;
            continue;
        }
        // A segment starts at `i`; `last` is the class of its last character.
        let start = i;
        let mut last = class;
        let mut alnum = class != Class::Connector;
        i = next;
        while i < bytes.len() {
            let (class, next) = class_at(i);
            match class {
                Class::Letter | Class::Digit | Class::Connector => {
                    alnum |= class != Class::Connector;
                    last = class;
                    i = next;
                }
                Class::MidLetter | Class::MidNum | Class::MidNumLet if next < bytes.len() => {
                    let (after, beyond) = class_at(next);
                    let joins = matches!(
                        (last, class, after),
                        (
                            Class::Letter,
                            Class::MidLetter | Class::MidNumLet,
                            Class::Letter
                        ) | (Class::Digit, Class::MidNum | Class::MidNumLet, Class::Digit)
                    );
                    if !joins {
                        break;
                    }
                    last = after;
                    i = beyond;
                }
                _ => break,
            }
        }
        if alnum {
            f(&text[start..i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fast(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        for_each_word(text, |w| v.push(w));
        v
    }

    fn reference(text: &str) -> Vec<&str> {
        text.unicode_words().collect()
    }

    /// One character of each class, and every non-ASCII character handled.
    fn alphabet() -> Vec<char> {
        let mut v: Vec<char> = "aZ09_:,;.' \n\r\t-\"(!?".chars().collect();
        v.extend(('\u{80}'..='\u{ff}').filter(|&c| non_ascii_class(c) != Class::Unsupported));
        v.extend([
            '\u{2018}', '\u{2019}', '\u{2013}', '\u{2014}', '\u{201c}', '\u{201d}',
        ]);
        v.push('\u{2026}');
        v
    }

    #[test]
    fn every_handled_character_in_every_short_context() {
        // Each handled character between every pair of class representatives, so that each
        // one's class is checked against the reference's rules.
        let reps: Vec<char> = "a1_:,.' -".chars().collect();
        let mut checked = 0;
        for c in alphabet() {
            for &x in &reps {
                for &y in &reps {
                    for s in [
                        format!("{x}{c}{y}"),
                        format!("{x}{x}{c}{y}{y}"),
                        format!("{c}{x}{y}"),
                        format!("{x}{y}{c}"),
                        format!("{c}{c}{x}"),
                    ] {
                        assert!(supported(&s));
                        assert_eq!(fast(&s), reference(&s), "text {s:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 5000);
    }

    #[test]
    fn numbers_abbreviations_and_apostrophes() {
        for s in [
            "Pakistan’s 2,600-km border: U.S. aid fell 3.5% in 2023; e.g. TTP's 'raids'.",
            "a:b 1:2 a.1 1.a 1,a a,1 __ _a_ a__1 ‘quoted’ l’état naïve Öcalan",
            "end.",
            "...",
            "1,000,000.50",
            "x'",
            "'x",
            "a\u{a0}b",
            "«Non» … — –",
        ] {
            assert_eq!(fast(s), reference(s), "text {s:?}");
        }
    }

    #[test]
    fn other_text_goes_to_the_reference() {
        for s in [
            "Kabul کابل",
            "e\u{301}tat",
            "a\u{200d}b",
            "🇵🇰 flag",
            "x\u{ad}y",
            "½ ²",
        ] {
            assert!(!supported(s));
            assert_eq!(fast(s), reference(s), "text {s:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn same_words_as_unicode_segmentation(
            picks in proptest::collection::vec(0usize..1000, 0..40),
        ) {
            let alphabet = alphabet();
            let s: String = picks.iter().map(|&p| alphabet[p % alphabet.len()]).collect();
            prop_assert_eq!(fast(&s), reference(&s));
        }

        #[test]
        fn any_text_gives_the_same_words(s in "\\PC{0,40}") {
            prop_assert_eq!(fast(&s), reference(&s));
        }
    }
}
