//! Paragraph splitting: from an article's text to its content paragraphs.
//!
//! Two layouts are handled. When any line is long (over [`LONG_LINE`] characters) or the text
//! has no blank lines, every non-blank line is a paragraph candidate (copy-pasted web pages and
//! one-paragraph-per-line files). Otherwise the text is hard-wrapped and a run of non-blank lines
//! between blank lines is one candidate.
//!
//! Candidates that are page furniture or headings are dropped (labelling guide, rule 5), each
//! with a [`DropReason`], so nothing disappears without a trace: every non-blank input line ends
//! up in exactly one paragraph or one [`Dropped`] entry.

use serde::Serialize;

/// A line at least this many characters long is a paragraph on its own: the text is not wrapped.
pub const LONG_LINE: usize = 200;
/// A candidate with at most this many words and no sentence-final punctuation is a heading.
pub const HEADING_MAX_WORDS: usize = 12;

/// One content paragraph of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paragraph {
    /// The article's id (for a file, its name without extension).
    pub doc: String,
    /// 1-based position among the article's content paragraphs.
    pub para: u32,
    /// Normalised text: single spaces, no mojibake, trimmed.
    pub text: String,
    /// 1-based line of the input where the paragraph starts.
    #[serde(skip)]
    pub line: u64,
}

impl Paragraph {
    /// The stable id `<doc>:<para>`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.doc, self.para)
    }
}

/// Why a candidate was not kept as a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Bylines, "Follow Us", subscription pleas, disclaimers, "Also read" links and the like.
    Boilerplate,
    /// A short line without sentence-final punctuation: title, section heading, dateline, name.
    Heading,
    /// Everything after an end-of-article marker (author bio, disclaimer, comment form).
    AfterArticle,
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DropReason::Boilerplate => "boilerplate",
            DropReason::Heading => "heading",
            DropReason::AfterArticle => "after_article",
        })
    }
}

/// A dropped candidate, kept so that callers can show what was removed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    pub line: u64,
    pub reason: DropReason,
    pub text: String,
}

/// The result of splitting one article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub paragraphs: Vec<Paragraph>,
    pub dropped: Vec<Dropped>,
}

/// Lines starting with one of these (case-insensitively) are furniture.
const BOILERPLATE: &[&str] = &[
    "follow us",
    "text size",
    "support our journalism",
    "subscribe to",
    "subscribe now",
    "sign up for",
    "also read",
    "read more",
    "read also",
    "related:",
    "related articles",
    "related stories",
    "leave a reply",
    "leave a comment",
    "please enter your",
    "most popular",
    "share this",
    "click here",
    "all rights reserved",
    "copyright",
    "©",
    "advertisement",
    "disclaimer",
    "the author is",
    "the writer is",
    "the author can be",
    "the writer can be",
    "about the author",
    "views are personal",
    "(edited by",
    "edited by",
    "a version of this article",
];

/// Furniture that ends the article: whatever follows is bio, comments or link lists.
const END_MARKERS: &[&str] = &[
    "disclaimer",
    "the author is",
    "the writer is",
    "the author can be",
    "the writer can be",
    "about the author",
    "views are personal",
    "(edited by",
    "related articles",
    "related stories",
    "leave a reply",
    "leave a comment",
    "a version of this article",
];

/// Splits an article into content paragraphs.
pub fn split_text(doc: &str, text: &str) -> Split {
    let lines: Vec<String> = text.lines().map(clean_line).collect();
    let line_mode = lines.iter().any(|l| is_long(l)) || !has_inner_blank(&lines);

    // Candidates: (first line number, text).
    let mut candidates: Vec<(u64, String)> = Vec::new();
    let mut open = false;
    for (i, line) in lines.into_iter().enumerate() {
        let lineno = i as u64 + 1;
        if line.is_empty() {
            open = false;
            continue;
        }
        // In wrapped text a furniture or Markdown heading line still stands alone.
        let alone = line_mode || line.starts_with('#') || boilerplate(&line).is_some();
        match candidates.last_mut() {
            Some((_, prev)) if open && !alone => {
                prev.push(' ');
                prev.push_str(&line);
            }
            _ => candidates.push((lineno, line)),
        }
        open = !alone;
    }

    let mut out = Split::default();
    let mut ended = false;
    for (line, text) in candidates {
        let reason = if ended {
            Some(DropReason::AfterArticle)
        } else if let Some(is_end) = boilerplate(&text) {
            // An end marker before any content is a stray line, not the article's end.
            ended = is_end && !out.paragraphs.is_empty();
            Some(DropReason::Boilerplate)
        } else if is_heading(&text) {
            Some(DropReason::Heading)
        } else {
            None
        };
        match reason {
            Some(reason) => out.dropped.push(Dropped { line, reason, text }),
            None => {
                let para = out.paragraphs.len() as u32 + 1;
                out.paragraphs.push(Paragraph {
                    doc: doc.to_owned(),
                    para,
                    text,
                    line,
                });
            }
        }
    }
    out
}

/// True when a line has at least [`LONG_LINE`] characters. Counts no further than that, so a
/// 50 MB line costs no more than a short one.
fn is_long(line: &str) -> bool {
    line.len() >= LONG_LINE && line.chars().nth(LONG_LINE - 1).is_some()
}

/// True when a blank line separates two non-blank ones.
fn has_inner_blank(lines: &[String]) -> bool {
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..b].iter().any(String::is_empty),
        _ => false,
    }
}

/// `Some(is_end_marker)` when the text starts like furniture.
fn boilerplate(text: &str) -> Option<bool> {
    let head: String = text.chars().take(32).flat_map(char::to_lowercase).collect();
    BOILERPLATE
        .iter()
        .any(|p| head.starts_with(p))
        .then(|| END_MARKERS.iter().any(|p| head.starts_with(p)))
}

fn is_heading(text: &str) -> bool {
    if text.starts_with('#') {
        return true;
    }
    let trimmed = text.trim_end_matches(['"', '\'', '”', '’', ')', ']', '*', '_']);
    let sentence_end = trimmed.ends_with(['.', '!', '?', '…']);
    // Stop counting words after the limit: a paragraph can be megabytes long.
    !sentence_end && text.split_whitespace().nth(HEADING_MAX_WORDS).is_none()
}

/// Normalises one line: repairs the `Â` that a UTF-8 no-break space leaves when it was decoded as
/// Latin-1 (a run of `Â` followed by a space of any kind or ending the line), turns every Unicode
/// space and control character into a plain space, removes zero-width characters, collapses
/// runs of spaces and trims. Cleaning twice gives what cleaning once gave.
pub fn clean_line(line: &str) -> String {
    if is_clean(line) {
        line.to_owned()
    } else {
        clean_chars(line)
    }
}

/// The character-by-character work of [`clean_line`].
fn clean_chars(line: &str) -> String {
    let zero_width = is_zero_width;
    let spacing = |c: char| c.is_whitespace() || c.is_control();
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        // Judge `Â` by the next character that survives cleaning and is not `Â` itself, so that
        // cleaning is idempotent: a control character, a zero-width one or a dropped `Â` must
        // not hide the space, and an `Â` that ends the line would meet a space when the
        // splitter joins wrapped lines. Every `Â` kept is followed by a visible character.
        let next_visible = chars.clone().find(|&n| !zero_width(n) && n != 'Â');
        if c == 'Â' && next_visible.is_none_or(spacing) {
            continue;
        }
        if zero_width(c) {
            continue;
        }
        if spacing(c) {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// True when [`clean_line`] would return `line` unchanged: no space at either end, single ASCII
/// spaces, and no other space, control or zero-width character and no `Â`. One pass over the
/// bytes, decoding only non-ASCII characters, so that plain lines (typographic quotes and dashes
/// included) skip the per-character work.
fn is_clean(line: &str) -> bool {
    let bytes = line.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    let mut prev_space = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x80 {
            // Continuation bytes are judged with their lead byte.
            if b >= 0xc0 {
                let c = line[i..].chars().next().expect("a character starts here");
                if c.is_whitespace() || c.is_control() || is_zero_width(c) || c == 'Â' {
                    return false;
                }
            }
            prev_space = false;
            continue;
        }
        let space = b == b' ';
        if !matches!(b, b' '..=b'~') || (space && prev_space) {
            return false;
        }
        prev_space = space;
    }
    true
}

/// Characters that cleaning removes.
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &Split) -> Vec<&str> {
        s.paragraphs.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn repairs_mojibake_and_whitespace() {
        assert_eq!(
            clean_line("Disclaimer:Â The\u{a0} views\t "),
            "Disclaimer: The views"
        );
        assert_eq!(clean_line("a\u{a0}Â\u{a0}b"), "a b");
        assert_eq!(clean_line("Zero\u{200b}width"), "Zerowidth");
    }

    #[test]
    fn typographic_text_takes_the_fast_path() {
        assert!(is_clean("Pakistan’s policy — “again” – naïve"));
        for dirty in [
            "a\u{a0}b",
            "a\u{2028}b",
            "a\u{85}b",
            "a\u{200b}b",
            "aÂ b",
            "a  b",
            " a",
        ] {
            assert!(!is_clean(dirty), "{dirty:?}");
        }
    }

    #[test]
    fn cleaning_twice_changes_nothing() {
        // Regression (found by the split fuzzer): a control character after the mojibake `Â`
        // became a space only after the `Â` was judged, so a second cleaning removed the `Â`
        // and a label's text no longer matched the paragraph `slant split` printed.
        for line in [
            "stalled.\u{a0}Â\u{9e}Again.",
            "a Â\u{200b} b",
            "Â\u{200b}\u{a0}x",
            "CHÂTEAU Â",
            "ent¡ÂÂ\u{a0}Agmatters",
            "xÂ\u{200b}Â Â",
        ] {
            let once = clean_line(line);
            assert_eq!(clean_line(&once), once, "{line:?}");
        }
        assert_eq!(clean_line("stalled.\u{a0}Â\u{9e}Again."), "stalled. Again.");
        assert_eq!(clean_line("CHÂTEAU Â\u{a0}"), "CHÂTEAU");
    }

    #[test]
    fn joined_lines_are_already_clean() {
        // Regression (found by the split fuzzer): an `Â` ending a wrapped line was kept, then
        // met the space that joined it to the next line, and a second cleaning removed it.
        let s = split_text(
            "d",
            "Talks have stalled.\u{a0}Â\nAgain and again.\n\nNext one.\n",
        );
        assert_eq!(texts(&s)[0], "Talks have stalled. Again and again.");
        for p in &s.paragraphs {
            assert_eq!(clean_line(&p.text), p.text);
        }
    }

    #[test]
    fn one_paragraph_per_line() {
        let s = split_text(
            "d",
            "By A Writer\nIslamabad has tried talks. They failed.\nContext\nThe border stayed shut.",
        );
        assert_eq!(
            texts(&s),
            [
                "Islamabad has tried talks. They failed.",
                "The border stayed shut."
            ]
        );
        assert_eq!(s.paragraphs[1].id(), "d:2");
        assert_eq!(s.paragraphs[1].line, 4);
        assert_eq!(s.dropped.len(), 2);
        assert!(s.dropped.iter().all(|d| d.reason == DropReason::Heading));
    }

    #[test]
    fn wrapped_blocks_are_joined() {
        let s = split_text(
            "d",
            "# A title\n\nThe first paragraph is\nwrapped over lines.\n\nThe second one\nis too.\n",
        );
        assert_eq!(
            texts(&s),
            [
                "The first paragraph is wrapped over lines.",
                "The second one is too."
            ]
        );
        assert_eq!(s.paragraphs[1].line, 6);
    }

    #[test]
    fn furniture_and_end_markers() {
        let long = "x ".repeat(120);
        let input = format!(
            "Follow Us :\n\n{long}ends.\n\nAlso read: something else entirely\n\nLast real one.\n\nThe author is a professor.\n\nSupport readers like you.\n"
        );
        let s = split_text("d", &input);
        assert_eq!(s.paragraphs.len(), 2);
        assert_eq!(s.paragraphs[1].text, "Last real one.");
        let reasons: Vec<_> = s.dropped.iter().map(|d| d.reason).collect();
        assert_eq!(
            reasons,
            [
                DropReason::Boilerplate,
                DropReason::Boilerplate,
                DropReason::Boilerplate,
                DropReason::AfterArticle
            ]
        );
    }

    #[test]
    fn end_marker_before_content_does_not_end_article() {
        let s = split_text("d", "Disclaimer: none.\nA real paragraph here.");
        assert_eq!(texts(&s), ["A real paragraph here."]);
    }

    #[test]
    fn trailing_or_leading_blank_lines_do_not_make_wrapped_text() {
        let s = split_text("d", "\n\nOne sentence here.\nAnother one here.\n\n");
        assert_eq!(texts(&s), ["One sentence here.", "Another one here."]);
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_agrees_with_the_full_cleaning(
            s in "[ -~\t\u{a0}Âé\u{200b}\u{2019}\u{2014}\u{85}\u{2028}\u{3000}\u{feff}\u{2060}]{0,40}",
        ) {
            proptest::prop_assert_eq!(clean_line(&s), clean_chars(&s));
        }
    }

    #[test]
    fn long_lines_are_judged_without_reading_them_whole() {
        // Regression: a 50 MB one-line file took seconds to split because every line's
        // characters and every candidate's words were counted in full.
        let line = "Talks with Kabul must go on. ".repeat(200_000);
        let s = split_text("d", &line);
        assert_eq!(s.paragraphs.len(), 1);
        assert_eq!(s.paragraphs[0].text, line.trim_end());
        assert!(is_long(&line) && !is_long(&"x".repeat(LONG_LINE - 1)));
        assert!(!is_heading(&line));
    }

    #[test]
    fn long_unpunctuated_line_is_content() {
        let line = "word ".repeat(20);
        assert_eq!(split_text("d", &line).paragraphs.len(), 1);
    }
}
