//! A seeded generator of articles for speed and memory measurements, shared by
//! `examples/gen_corpus.rs` (which writes a labelled corpus to disk for `benches/compare.py`, or
//! a big unlabelled input for `slant score`), `benches/throughput.rs` (which scores one in
//! memory) and `tests/bench_corpus.rs`.
//!
//! Every paragraph is made of whole sentences taken from paragraphs of `labels/written.tsv` with
//! the same label, so the text has the vocabulary, sentence lengths and label-word association of
//! the project's own writing, at any size. Recombined sentences do not argue anything: this text
//! is for timing and memory only, never for accuracy claims about real text.

// Each includer uses a different part of this file.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

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
/// Paragraphs per article and sentences per paragraph, both inclusive.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub paragraphs: (usize, usize),
    pub sentences: (usize, usize),
}
/// The labelled benchmark corpus ([`generate`]).
pub const BENCH_SHAPE: Shape = Shape {
    paragraphs: ARTICLE_PARAGRAPHS,
    sentences: PARAGRAPH_SENTENCES,
};
/// Big inputs for `slant score` ([`write_big`]): longer articles and paragraphs, as in the 1 GiB
/// measurements of tests/README.md.
pub const BIG_SHAPE: Shape = Shape {
    paragraphs: (8, 30),
    sentences: (3, 6),
};
/// Article files of a big input per sub-directory, so that no directory gets huge.
pub const FILES_PER_DIR: usize = 1000;
/// Outlets of the JSON Lines records of a big input, taken in turn by doc.
pub const OUTLETS: [&str; 5] = [
    "Dawn",
    "The News",
    "Express Tribune",
    "The Nation",
    "Business Recorder",
];
/// Words of a big input article's title line, at most.
const TITLE_WORDS: usize = 6;
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

/// One generated article: its id, a title line (big inputs only), its paragraphs in reading
/// order, and its split.
#[derive(Debug, Clone, PartialEq)]
pub struct GenArticle {
    pub doc: String,
    pub title: Option<String>,
    pub paragraphs: Vec<GenParagraph>,
    pub test: bool,
}

impl GenArticle {
    /// The article as a text file: the title, then paragraphs, separated by blank lines, as
    /// `slant score` reads.
    pub fn file_text(&self) -> String {
        let mut s = String::new();
        for p in self
            .title
            .iter()
            .chain(self.paragraphs.iter().map(|p| &p.text))
        {
            s.push_str(p);
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
        let doc = format!("g{:07}", articles.len());
        let a = article(pools, BENCH_SHAPE, doc, left, &mut rng);
        left -= a.paragraphs.len();
        articles.push(a);
    }
    // Grouped split: whole articles go to test, chosen by a seeded shuffle.
    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.shuffle(&mut rng);
    let n_test = (articles.len() as f64 * TEST_SHARE).round() as usize;
    for &i in &order[..n_test] {
        articles[i].test = true;
    }
    for a in &articles {
        check_split(a);
    }
    articles
}

/// Draws an article of `shape` with at most `max_len` paragraphs: a main label, then each
/// paragraph of the main label or, sometimes, of any label.
fn article(
    pools: &Pools,
    shape: Shape,
    doc: String,
    max_len: usize,
    rng: &mut ChaCha8Rng,
) -> GenArticle {
    let len = rng
        .gen_range(shape.paragraphs.0..=shape.paragraphs.1)
        .min(max_len);
    let main = rng.gen_range(0..pools.labels.len());
    let paragraphs = (0..len)
        .map(|_| {
            let label = if rng.gen_bool(MAIN_LABEL_SHARE) {
                main
            } else {
                rng.gen_range(0..pools.labels.len())
            };
            paragraph(pools, label, shape.sentences, &doc, rng)
        })
        .collect();
    GenArticle {
        doc,
        title: None,
        paragraphs,
        test: false,
    }
}

/// Checks that slant's splitter gives back exactly the article's paragraphs (and drops its
/// title as a heading), so what is scored is what was generated.
fn check_split(a: &GenArticle) {
    let split = split_text(&a.doc, &a.file_text());
    let texts: Vec<&str> = split.paragraphs.iter().map(|p| p.text.as_str()).collect();
    let expected: Vec<&str> = a.paragraphs.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts, expected,
        "article {} splits into its paragraphs",
        a.doc
    );
}

/// Draws sentences of `label` until they make a paragraph the splitter keeps as it is.
fn paragraph(
    pools: &Pools,
    label: usize,
    sentences: (usize, usize),
    doc: &str,
    rng: &mut ChaCha8Rng,
) -> GenParagraph {
    let pool = &pools.sentences[label];
    for _ in 0..100 {
        let n = rng.gen_range(sentences.0..=sentences.1);
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

/// How a big input is laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// One `.txt` file per article, [`FILES_PER_DIR`] per sub-directory `0000/`, `0001/`, ...
    Articles,
    /// One JSON Lines file of paragraph records `{"id": "docN:k", "text", "outlet"}`.
    Jsonl,
}

/// What [`write_big`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BigSummary {
    pub articles: usize,
    pub paragraphs: usize,
    pub bytes: u64,
}

/// An endless stream of big-input articles ([`BIG_SHAPE`], a title line each, ids `doc0000000`,
/// `doc0000001`, ...), the same for the same pools and seed. One article is held at a time.
pub struct BigArticles<'a> {
    pools: &'a Pools,
    rng: ChaCha8Rng,
    next: usize,
}

impl<'a> BigArticles<'a> {
    pub fn new(pools: &'a Pools, seed: u64) -> Self {
        BigArticles {
            pools,
            rng: ChaCha8Rng::seed_from_u64(seed),
            next: 0,
        }
    }
}

impl Iterator for BigArticles<'_> {
    type Item = GenArticle;

    fn next(&mut self) -> Option<GenArticle> {
        let doc = format!("doc{:07}", self.next);
        self.next += 1;
        let mut a = article(self.pools, BIG_SHAPE, doc, usize::MAX, &mut self.rng);
        a.title = Some(title(self.pools, &mut self.rng));
        check_split(&a);
        Some(a)
    }
}

/// A title line: the first words of a pooled sentence without its closing punctuation, which
/// slant's splitter drops as a heading.
fn title(pools: &Pools, rng: &mut ChaCha8Rng) -> String {
    let pool = &pools.sentences[rng.gen_range(0..pools.labels.len())];
    let sentence = &pool[rng.gen_range(0..pool.len())];
    let words: Vec<&str> = sentence.split_whitespace().take(TITLE_WORDS).collect();
    words
        .join(" ")
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

/// The JSON Lines records of an article, one line per paragraph, ids `<doc>:1`, `<doc>:2`, ...
pub fn jsonl_records(a: &GenArticle, outlet: &str) -> String {
    let quote = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let mut lines = String::new();
    for (k, p) in a.paragraphs.iter().enumerate() {
        lines.push_str(&format!(
            "{{\"id\":{},\"text\":{},\"outlet\":{}}}\n",
            quote(&format!("{}:{}", a.doc, k + 1)),
            quote(&p.text),
            quote(outlet)
        ));
    }
    lines
}

/// Writes a big unlabelled input for `slant score`: articles from [`BigArticles`] until the
/// output holds at least `target` bytes, streamed one article at a time. Nothing half written
/// is left on an error: the JSON Lines file is written beside `out` and renamed into place (an
/// older file at `out` is replaced only then); the articles go to a hidden directory beside
/// `out`, renamed to `out` when complete and removed on an error. `out` must not exist for
/// articles, and its directory must exist for both layouts.
pub fn write_big(
    pools: &Pools,
    layout: Layout,
    out: &Path,
    target: u64,
    seed: u64,
) -> Result<BigSummary, Box<dyn std::error::Error>> {
    let mut summary = BigSummary::default();
    let mut articles = BigArticles::new(pools, seed);
    match layout {
        Layout::Jsonl => {
            let mut file = slant::AtomicFile::create(out)?;
            while summary.bytes < target {
                let a = articles.next().expect("the stream is endless");
                let lines = jsonl_records(&a, OUTLETS[summary.articles % OUTLETS.len()]);
                file.write_all(lines.as_bytes())?;
                summary.add(&a, lines.len());
            }
            file.commit()?;
        }
        Layout::Articles => {
            if out.exists() {
                return Err(format!(
                    "{}: already exists; remove it or choose another --out",
                    out.display()
                )
                .into());
            }
            let dir = slant::check_output(out)?;
            let name = out
                .file_name()
                .map_or("out".into(), |n| n.to_string_lossy());
            let tmp = dir.join(format!(".{name}.partial{}", std::process::id()));
            let written = write_articles(&mut articles, &tmp, target, &mut summary)
                .and_then(|()| std::fs::rename(&tmp, out).map_err(|e| io_error(out, e)));
            if let Err(e) = written {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e.into());
            }
        }
    }
    Ok(summary)
}

impl BigSummary {
    fn add(&mut self, a: &GenArticle, bytes: usize) {
        self.articles += 1;
        self.paragraphs += a.paragraphs.len();
        self.bytes += bytes as u64;
    }
}

/// The article files of a big input under `dir` (created here).
fn write_articles(
    articles: &mut BigArticles,
    dir: &Path,
    target: u64,
    summary: &mut BigSummary,
) -> Result<(), String> {
    std::fs::create_dir(dir).map_err(|e| io_error(dir, e))?;
    let mut sub = PathBuf::new();
    while summary.bytes < target {
        let a = articles.next().expect("the stream is endless");
        if summary.articles.is_multiple_of(FILES_PER_DIR) {
            sub = dir.join(format!("{:04}", summary.articles / FILES_PER_DIR));
            std::fs::create_dir(&sub).map_err(|e| io_error(&sub, e))?;
        }
        let text = a.file_text();
        let path = sub.join(format!("{}.txt", a.doc));
        std::fs::write(&path, &text).map_err(|e| io_error(&path, e))?;
        summary.add(&a, text.len());
    }
    Ok(())
}

fn io_error(path: &Path, e: std::io::Error) -> String {
    format!("{}: cannot write: {e}", path.display())
}
