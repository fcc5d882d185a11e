//! A seeded generator of labelled articles for speed measurements, shared by
//! `examples/gen_corpus.rs` (which writes a corpus to disk for `benches/compare.py`) and
//! `benches/throughput.rs` (which scores one in memory).
//!
//! Every paragraph is made of whole sentences taken from paragraphs of `labels/written.tsv` with
//! the same label, so the text has the vocabulary, sentence lengths and label-word association of
//! the project's own writing, at any size. Recombined sentences do not argue anything: this text
//! is for timing and memory only, never for accuracy claims about real text.

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use slant::dataset::Dataset;
use slant::split::split_text;

/// Paragraphs per generated article, inclusive (the written articles have 8 to 12).
pub const ARTICLE_PARAGRAPHS: (usize, usize) = (8, 12);
/// Sentences per generated paragraph, inclusive.
pub const PARAGRAPH_SENTENCES: (usize, usize) = (2, 5);
/// Chance that a paragraph takes its article's main label rather than another one; written
/// articles mix labels too.
pub const MAIN_LABEL_SHARE: f64 = 0.7;
/// Share of articles held out as the test split.
pub const TEST_SHARE: f64 = 0.2;
/// Sentences with fewer words are left out of the pools (fragments, quoted one-liners).
const MIN_SENTENCE_WORDS: usize = 4;

/// Sentences of the labelled paragraphs, by label; labels and sentences sorted, so the pools do
/// not depend on the order of the file.
#[derive(Debug, Clone)]
pub struct Pools {
    pub labels: Vec<String>,
    pub sentences: Vec<Vec<String>>,
}

impl Pools {
    pub fn from_dataset(data: &Dataset) -> Pools {
        let mut by_label: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for e in &data.examples {
            let pool = by_label.entry(e.label.as_str()).or_default();
            for s in sentences(&e.text) {
                if s.split_whitespace().count() >= MIN_SENTENCE_WORDS {
                    pool.insert(s);
                }
            }
        }
        Pools {
            labels: by_label.keys().map(|l| l.to_string()).collect(),
            sentences: by_label
                .values()
                .map(|set| set.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }
}

/// Splits a paragraph into sentences: after `.`, `?` or `!` (and any closing quotes or
/// brackets) followed by a space and an upper-case letter, a digit or an opening quote. Good
/// enough for recombining: an abbreviation that ends a "sentence" early only makes a shorter one.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i].1, '.' | '?' | '!') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '’' | '”' | '"' | '\'' | ')' | ']') {
                j += 1;
            }
            let opens = |c: char| c.is_uppercase() || c.is_ascii_digit() || "“‘\"'(".contains(c);
            if j + 1 < chars.len() && chars[j].1 == ' ' && opens(chars[j + 1].1) {
                out.push(text[start..chars[j].0].trim());
                start = chars[j + 1].0;
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// One generated paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct GenParagraph {
    pub label: String,
    pub text: String,
}

/// One generated article: its id, its paragraphs in reading order, and its split.
#[derive(Debug, Clone, PartialEq)]
pub struct GenArticle {
    pub doc: String,
    pub paragraphs: Vec<GenParagraph>,
    pub test: bool,
}

impl GenArticle {
    /// The article as a text file: paragraphs separated by blank lines, as `slant score` reads.
    pub fn file_text(&self) -> String {
        let mut s = String::new();
        for p in &self.paragraphs {
            s.push_str(&p.text);
            s.push_str("\n\n");
        }
        s
    }
}

/// Generates articles holding exactly `n_paragraphs` paragraphs in total, the same for the same
/// pools and seed. Each paragraph is checked to come back unchanged from `slant::split`, so the
/// labelled text is exactly what scoring the article files sees.
pub fn generate(pools: &Pools, n_paragraphs: usize, seed: u64) -> Vec<GenArticle> {
    assert!(
        pools.labels.len() >= 2 && pools.sentences.iter().all(|s| !s.is_empty()),
        "every label needs sentences"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut articles = Vec::new();
    let mut left = n_paragraphs;
    while left > 0 {
        let len = rng
            .gen_range(ARTICLE_PARAGRAPHS.0..=ARTICLE_PARAGRAPHS.1)
            .min(left);
        left -= len;
        let doc = format!("g{:07}", articles.len());
        let main = rng.gen_range(0..pools.labels.len());
        let paragraphs = (0..len)
            .map(|_| {
                let label = if rng.gen_bool(MAIN_LABEL_SHARE) {
                    main
                } else {
                    rng.gen_range(0..pools.labels.len())
                };
                paragraph(pools, label, &doc, &mut rng)
            })
            .collect();
        articles.push(GenArticle {
            doc,
            paragraphs,
            test: false,
        });
    }
    // Grouped split: whole articles go to test, chosen by a seeded shuffle.
    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.shuffle(&mut rng);
    let n_test = (articles.len() as f64 * TEST_SHARE).round() as usize;
    for &i in &order[..n_test] {
        articles[i].test = true;
    }
    for a in &articles {
        let split = split_text(&a.doc, &a.file_text());
        assert_eq!(
            split.paragraphs.len(),
            a.paragraphs.len(),
            "article {} splits into its paragraphs",
            a.doc
        );
    }
    articles
}

/// Draws sentences of `label` until they make a paragraph the splitter keeps as it is.
fn paragraph(pools: &Pools, label: usize, doc: &str, rng: &mut ChaCha8Rng) -> GenParagraph {
    let pool = &pools.sentences[label];
    for _ in 0..100 {
        let n = rng.gen_range(PARAGRAPH_SENTENCES.0..=PARAGRAPH_SENTENCES.1);
        let text = (0..n)
            .map(|_| pool[rng.gen_range(0..pool.len())].as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let split = split_text(doc, &text);
        if split.paragraphs.len() == 1 && split.paragraphs[0].text == text {
            return GenParagraph {
                label: pools.labels[label].clone(),
                text,
            };
        }
    }
    panic!(
        "no paragraph of label {} survives the splitter in 100 draws",
        pools.labels[label]
    );
}
