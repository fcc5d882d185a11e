//! Bytes -> decode -> split -> analyse. Checks the splitter's invariants on whatever decodes,
//! and on raw UTF-8 the decoder refuses (NUL bytes, control characters).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use slant::analysis::{Analyzer, AnalyzerConfig};
use slant::split::{clean_line, split_text};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = slant::decode::decode(Path::new("fuzz.txt"), data) {
        check(&text);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
});

fn check(text: &str) {
    let split = split_text("d", text);
    assert_eq!(split, split_text("d", text), "splitting is deterministic");
    let words = |s: &str| s.split_whitespace().count();
    let kept: usize = split.paragraphs.iter().map(|p| words(&p.text)).sum();
    let dropped: usize = split.dropped.iter().map(|d| words(&d.text)).sum();
    let input: usize = text.lines().map(|l| words(&clean_line(l))).sum();
    assert_eq!(kept + dropped, input, "every word is kept or reported dropped");
    let analyzer = Analyzer::new(AnalyzerConfig::default()).expect("default config is valid");
    for (i, p) in split.paragraphs.iter().enumerate() {
        assert_eq!(p.para as usize, i + 1);
        assert!(!p.text.is_empty() && p.text == clean_line(&p.text));
        let _ = analyzer.terms(&p.text);
    }
}
