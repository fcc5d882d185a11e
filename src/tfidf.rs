//! TF-IDF featurizer, owned here so that idf is fitted once and stored with the model.
//!
//! Semantics follow scikit-learn's `TfidfVectorizer` with `smooth_idf=True, norm="l2"`:
//! `idf(t) = ln((1 + n) / (1 + df(t))) + 1`; term frequency is the raw count, or `1 + ln(count)`
//! with `sublinear_tf`; each row is scaled to unit Euclidean length.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::analysis::{for_each_gram, Analyzer, AnalyzerConfig, Scratch, WordCache};

mod context;
mod ids;
mod marks;
use crate::error::{Error, Result};
use context::ContextBuf;
pub use context::Mixing;
use ids::{GramMap, Interner, Lookup, Matcher};
use marks::FeatureSet;

/// Featurizer hyper-parameters. The whole struct is stored in every model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TfidfConfig {
    #[serde(flatten)]
    pub analyzer: AnalyzerConfig,
    /// Keep terms found in at least this many training paragraphs.
    pub min_df: usize,
    /// Keep at most this many terms, the most frequent in the training text (ties by term).
    pub max_features: Option<usize>,
    /// Use `1 + ln(count)` instead of the raw count.
    pub sublinear_tf: bool,
    /// Features of the paragraph's neighbours added to its own.
    #[serde(default)]
    pub context: ContextConfig,
}

/// Context features: a paragraph's row becomes `own + neighbour_weight * mean(rows of the
/// paragraphs within ±window in the same article) + article_weight * mean(rows of every
/// paragraph of the article)`, each own row of unit length.
///
/// Labelling rule 3 makes a background paragraph's label depend on the argument around it, so
/// the words around it are evidence. A paragraph scored alone has no neighbours.
///
/// The sum is not scaled back to unit length, so it is linear in the own rows: a linear model's
/// scores for a row with context are the same mix of its scores for the own rows
/// ([`ContextConfig::mix`]), which is how scoring uses context without building those rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    /// Neighbours on each side; 0 turns neighbour features off.
    pub window: usize,
    pub neighbour_weight: f64,
    /// 0 turns whole-article features off.
    pub article_weight: f64,
}

impl Default for ContextConfig {
    fn default() -> Self {
        ContextConfig {
            window: 0,
            neighbour_weight: 0.0,
            article_weight: 0.0,
        }
    }
}

impl ContextConfig {
    /// True when context changes any row.
    pub fn is_active(&self) -> bool {
        (self.window > 0 && self.neighbour_weight > 0.0) || self.article_weight > 0.0
    }

    /// Each weight must be from 0 to [`crate::model::MAX_WEIGHT`]: a larger one overflows the
    /// class scores, and every probability comes out NaN.
    pub fn check(&self) -> Result<()> {
        let max = crate::model::MAX_WEIGHT;
        for (name, v) in [
            ("neighbour_weight", self.neighbour_weight),
            ("article_weight", self.article_weight),
        ] {
            if !(0.0..=max).contains(&v) {
                // 1e300 is shown as such, not as 301 digits.
                let got = if v.abs() < 1e15 {
                    v.to_string()
                } else {
                    format!("{v:e}")
                };
                return Err(Error::param(
                    name,
                    format!("must be a number from 0 to {max:e}, got {got}"),
                ));
            }
        }
        Ok(())
    }
}

impl ContextConfig {
    /// How the rows with context of paragraphs grouped by `article` (as for
    /// [`Tfidf::transform_articles`]) are made from their own rows; `None` without context.
    pub fn mixing(&self, article: &[usize]) -> Option<Mixing> {
        Mixing::new(self, article)
    }

    /// Applies context to `k` numbers per paragraph that are linear in its own row (a linear
    /// model's class scores, say): the result is those numbers for the paragraph's row with
    /// context, as [`Tfidf::transform_articles`] makes it, up to rounding. `own` is paragraph
    /// after paragraph; `article` groups them as for `transform_articles`. Without context it
    /// is `own`.
    pub fn mix(&self, own: &[f64], k: usize, article: &[usize]) -> Vec<f64> {
        match self.mixing(article) {
            Some(m) => m.apply(own, k),
            None => own.to_vec(),
        }
    }
}

impl Default for TfidfConfig {
    fn default() -> Self {
        TfidfConfig {
            analyzer: AnalyzerConfig::default(),
            min_df: 1,
            max_features: None,
            sublinear_tf: false,
            context: ContextConfig::default(),
        }
    }
}

impl TfidfConfig {
    /// Checks every parameter before fitting.
    pub fn check(&self) -> Result<()> {
        self.analyzer.check()?;
        if self.min_df == 0 {
            return Err(Error::param("min_df", "must be at least 1"));
        }
        if self.max_features == Some(0) {
            return Err(Error::param("max_features", "must be at least 1"));
        }
        self.context.check()
    }

    /// Fits the vocabulary and idf on training paragraphs.
    pub fn fit<S: AsRef<str>>(&self, docs: &[S]) -> Result<Tfidf> {
        self.check()?;
        let analyzer = Analyzer::new(self.analyzer.clone())?;
        let all = match self.count_by_ids(&analyzer, docs) {
            Some(all) => all,
            None => self.count_by_strings(&analyzer, docs),
        };
        let mut kept: Vec<(String, usize, u64)> = all
            .into_iter()
            .filter(|(_, s)| s.df >= self.min_df)
            .map(|(t, s)| (t, s.df, s.count))
            .collect();
        if let Some(max) = self.max_features {
            if kept.len() > max {
                kept.sort_unstable_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
                kept.truncate(max);
            }
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = docs.len() as f64;
        let idf = kept
            .iter()
            .map(|(_, df, _)| ((1.0 + n) / (1.0 + *df as f64)).ln() + 1.0)
            .collect();
        let vocabulary = kept.into_iter().map(|(t, _, _)| t).collect();
        Tfidf::from_parts(self.clone(), vocabulary, idf).map_err(Error::Fit)
    }

    /// Every term's statistics, counted as word-id tuples and character n-gram ids and made
    /// strings only at the end: the same as [`TfidfConfig::count_by_strings`] (see
    /// [`crate::analysis::TermIds`] for why, and the tests for the check), or `None` if some word
    /// is not plain.
    fn count_by_ids<S: AsRef<str>>(
        &self,
        analyzer: &Analyzer,
        docs: &[S],
    ) -> Option<Vec<(String, TermStats)>> {
        let mut names = Interner::default();
        let mut word_stats: GramMap<TermStats> = GramMap::default();
        let mut char_stats: Vec<TermStats> = Vec::new();
        let mut cache = WordCache::default();
        let (mut words, mut chars) = (Vec::new(), Vec::new());
        for (i, doc) in docs.iter().enumerate() {
            words.clear();
            chars.clear();
            let to_chars = |ids: &[u32]| chars.extend_from_slice(ids);
            if !analyzer.word_ids(doc.as_ref(), &mut cache, &mut names, &mut words, to_chars) {
                return None;
            }
            for_each_gram(&words, self.analyzer.ngram_range, |g| {
                word_stats.get_or_default(g).add(i)
            });
            for &c in &chars {
                if c as usize >= char_stats.len() {
                    char_stats.resize(c as usize + 1, TermStats::default());
                }
                char_stats[c as usize].add(i);
            }
        }
        let mut all = Vec::new();
        word_stats.for_each(|ids, s| all.push((names.words.join(ids), *s)));
        for (c, s) in char_stats.into_iter().enumerate() {
            all.push((names.chars.list[c].to_string(), s));
        }
        Some(all)
    }

    /// Every term's statistics, counted by their strings.
    fn count_by_strings<S: AsRef<str>>(
        &self,
        analyzer: &Analyzer,
        docs: &[S],
    ) -> Vec<(String, TermStats)> {
        let mut stats: FxHashMap<String, TermStats> = FxHashMap::default();
        let mut scratch = Scratch::default();
        for (i, doc) in docs.iter().enumerate() {
            analyzer.for_each_term(doc.as_ref(), &mut scratch, |term| {
                match stats.get_mut(term) {
                    Some(s) => s.add(i),
                    None => stats.entry(term.to_owned()).or_default().add(i),
                }
            });
        }
        stats.into_iter().collect()
    }
}

/// Document frequency and total count of one term while fitting.
#[derive(Debug, Clone, Copy, Default)]
struct TermStats {
    df: usize,
    count: u64,
    /// The last document the term was seen in (meaningful once `count > 0`).
    last: usize,
}

impl TermStats {
    fn add(&mut self, doc: usize) {
        if self.count == 0 || self.last != doc {
            self.df += 1;
            self.last = doc;
        }
        self.count += 1;
    }
}

/// A sparse row: strictly increasing feature indices and their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
}

impl SparseVec {
    /// Number of stored (non-zero) entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Iterates over `(index, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.indices
            .iter()
            .zip(&self.values)
            .map(|(&i, &v)| (i as usize, v))
    }
}

/// Many sparse rows in two shared arrays: row `i` is the entries `spans[i]`. A training set's
/// rows are held this way, in one allocation rather than two per row: the solver's passes over
/// them ran a fifth slower on 80,000 separately allocated rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    spans: Vec<(usize, usize)>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl SparseRows {
    /// `n` empty rows, to be filled by [`SparseRows::set`].
    pub fn empty(n: usize) -> SparseRows {
        SparseRows {
            spans: vec![(0, 0); n],
            ..SparseRows::default()
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Number of stored (non-zero) entries of all rows.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i`'s feature indices and values.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (start, end) = self.spans[i];
        (&self.indices[start..end], &self.values[start..end])
    }

    /// Appends a row.
    pub fn push(&mut self, row: &SparseVec) {
        self.spans.push((0, 0));
        self.set(self.spans.len() - 1, row);
    }

    /// Makes row `i` a copy of `row`, so that rows can be filled in any order. Each row should
    /// be set once: the entries of a row set again are not reclaimed.
    pub fn set(&mut self, i: usize, row: &SparseVec) {
        let start = self.indices.len();
        self.indices.extend_from_slice(&row.indices);
        self.values.extend_from_slice(&row.values);
        self.spans[i] = (start, self.indices.len());
    }

    /// Releases the spare capacity left by growing.
    pub fn shrink_to_fit(&mut self) {
        self.indices.shrink_to_fit();
        self.values.shrink_to_fit();
    }
}

impl<'a> FromIterator<&'a SparseVec> for SparseRows {
    fn from_iter<I: IntoIterator<Item = &'a SparseVec>>(rows: I) -> SparseRows {
        let mut out = SparseRows::default();
        rows.into_iter().for_each(|r| out.push(r));
        out
    }
}

/// A fitted featurizer: immutable, `Send + Sync`, serialisable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TfidfFile")]
pub struct Tfidf {
    config: TfidfConfig,
    /// Sorted, unique terms; a term's position is its feature index.
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    /// Lookup tables built from the vocabulary on load; see [`Matcher`].
    #[serde(skip)]
    matcher: Matcher,
    #[serde(skip)]
    analyzer: Option<Analyzer>,
    /// Names this featurizer's tables for the caches in [`TransformBuf`]; clones share it, as
    /// they share the tables' content.
    #[serde(skip)]
    id: u64,
}

/// Source of [`Tfidf::id`]s; 0 is never handed out, so an unused cache matches no featurizer.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The serialised form, validated on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TfidfFile {
    config: TfidfConfig,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
}

impl TryFrom<TfidfFile> for Tfidf {
    type Error = String;
    fn try_from(f: TfidfFile) -> Result<Self, String> {
        Tfidf::from_parts(f.config, f.vocabulary, f.idf)
    }
}

impl Tfidf {
    fn from_parts(
        config: TfidfConfig,
        vocabulary: Vec<String>,
        idf: Vec<f64>,
    ) -> Result<Self, String> {
        config.check().map_err(|e| e.to_string())?;
        if vocabulary.len() != idf.len() {
            return Err(format!(
                "vocabulary has {} terms but idf has {} values",
                vocabulary.len(),
                idf.len()
            ));
        }
        if vocabulary.len() > u32::MAX as usize {
            return Err("vocabulary too large".into());
        }
        if let Some(w) = vocabulary.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!(
                "vocabulary is not sorted and unique at {:?}, {:?}",
                w[0], w[1]
            ));
        }
        if let Some(v) = idf.iter().find(|v| !v.is_finite() || **v < 1.0) {
            return Err(format!("idf value {v} is not a finite number >= 1"));
        }
        let matcher = Matcher::new(&vocabulary, config.analyzer.ngram_range);
        let analyzer = Some(Analyzer::new(config.analyzer.clone()).map_err(|e| e.to_string())?);
        Ok(Tfidf {
            config,
            vocabulary,
            idf,
            matcher,
            analyzer,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    pub fn config(&self) -> &TfidfConfig {
        &self.config
    }

    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// Number of features (vocabulary size).
    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    fn analyzer(&self) -> &Analyzer {
        self.analyzer
            .as_ref()
            .expect("a Tfidf is only built through from_parts")
    }

    /// The TF-IDF row of one paragraph. Terms outside the vocabulary are ignored.
    pub fn transform(&self, text: &str) -> SparseVec {
        with_thread_buf(|buf| {
            self.transform_with(text, buf);
            buf.row.clone()
        })
    }

    /// Like [`Tfidf::transform`], reusing `buf`; the row is left in `buf.row`.
    pub fn transform_with(&self, text: &str, buf: &mut TransformBuf) {
        buf.cache.claim(self.id);
        buf.words.clear();
        let mut matcher = Lookup {
            matcher: &self.matcher,
            vocabulary: &self.vocabulary,
        };
        let analyzer = self.analyzer();
        // A dense tally (all zero between calls): features are counted as they are found, and
        // only the distinct ones are listed, then sorted.
        let (counts, row) = (&mut buf.counts, &mut buf.row);
        counts.resize(counts.len().max(self.n_features()), 0);
        row.indices.clear();
        row.values.clear();
        let distinct = &mut row.indices;
        let found = |ids: &[u32]| tally(counts, distinct, ids);
        if analyzer.word_ids(text, &mut buf.cache, &mut matcher, &mut buf.words, found) {
            let grams = &self.matcher.grams;
            for_each_gram(&buf.words, self.config.analyzer.ngram_range, |g| {
                if let Some(&i) = grams.get(g) {
                    tally(counts, distinct, &[i]);
                }
            });
        } else {
            // The ids do not stand for the terms: count again by strings.
            for &i in &row.indices {
                counts[i as usize] = 0;
            }
            row.indices.clear();
            let (matcher, vocabulary) = (&self.matcher, &self.vocabulary);
            analyzer.for_each_term(text, &mut buf.scratch, |term| {
                if let Some(i) = matcher.term(vocabulary, term) {
                    tally(counts, &mut row.indices, &[i]);
                }
            });
        }
        buf.marks.reserve(self.n_features());
        for &i in row.indices.iter() {
            buf.marks.insert(i);
        }
        buf.marks.drain_sorted(&mut row.indices);
        let sublinear = self.config.sublinear_tf;
        row.values.extend(row.indices.iter().map(|&i| {
            let count = std::mem::take(&mut counts[i as usize]);
            let tf = if sublinear {
                sublinear_tf(count)
            } else {
                f64::from(count)
            };
            tf * self.idf[i as usize]
        }));
        let norm = row.values.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.values.iter_mut().for_each(|v| *v /= norm);
        }
    }
}

/// Counts each feature of `ids` in `counts`, listing in `distinct` those seen for the first time.
fn tally(counts: &mut [u32], distinct: &mut Vec<u32>, ids: &[u32]) {
    for &i in ids {
        let c = &mut counts[i as usize];
        if *c == 0 {
            distinct.push(i);
        }
        *c += 1;
    }
}

/// `1 + ln(count)`, from a table for the small counts nearly every term has (a logarithm per
/// feature was a tenth of featurizing with character n-grams).
fn sublinear_tf(count: u32) -> f64 {
    const TABLE_LEN: usize = 64;
    static TABLE: std::sync::LazyLock<[f64; TABLE_LEN]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|c| 1.0 + (c as f64).ln()));
    match TABLE.get(count as usize) {
        Some(&v) => v,
        None => 1.0 + f64::from(count).ln(),
    }
}

impl Tfidf {
    /// Each paragraph's own row (no context), handed to `put` with its index in order; the rows
    /// reuse this thread's buffer.
    pub fn for_each_row<S: AsRef<str>>(&self, texts: &[S], mut put: impl FnMut(usize, &SparseVec)) {
        with_thread_buf(|buf| {
            for (i, t) in texts.iter().enumerate() {
                self.transform_with(t.as_ref(), buf);
                put(i, &buf.row);
            }
        })
    }

    /// Each paragraph's own row (no context) in one [`SparseRows`]: with
    /// [`ContextConfig::mixing`], what training on rows with context needs.
    pub fn own_rows_flat<S: AsRef<str>>(&self, texts: &[S]) -> SparseRows {
        let mut rows = SparseRows::default();
        self.for_each_row(texts, |_, row| rows.push(row));
        rows.shrink_to_fit();
        rows
    }

    /// Rows for paragraphs that belong to articles: `article[i]` names paragraph `i`'s article,
    /// and an article's paragraphs are in reading order among those with the same id. Without
    /// context this is [`Tfidf::transform`] on each paragraph.
    ///
    /// A paragraph's row depends only on its own article's paragraphs (on those within the
    /// window when there are no whole-article features), never on which other articles share
    /// the call or where they sit: sums run over the article's paragraphs in reading order.
    pub fn transform_articles<S: AsRef<str>>(
        &self,
        texts: &[S],
        article: &[usize],
    ) -> Vec<SparseVec> {
        let mut rows = vec![SparseVec::default(); texts.len()];
        self.for_each_article_row(texts, article, |i, row| rows[i] = row);
        rows
    }

    /// [`Tfidf::transform_articles`] into one [`SparseRows`], for a training set: the rows are
    /// never held twice, and only one article's rows without context are held besides them.
    pub fn transform_articles_flat<S: AsRef<str>>(
        &self,
        texts: &[S],
        article: &[usize],
    ) -> SparseRows {
        let mut rows = SparseRows::empty(texts.len());
        self.for_each_article_row(texts, article, |i, row| rows.set(i, &row));
        rows.shrink_to_fit();
        rows
    }

    /// Makes each paragraph's row for [`Tfidf::transform_articles`] and hands it to `put` with
    /// the paragraph's index, article by article (so not in paragraph order).
    fn for_each_article_row<S: AsRef<str>>(
        &self,
        texts: &[S],
        article: &[usize],
        mut put: impl FnMut(usize, SparseVec),
    ) {
        assert_eq!(texts.len(), article.len(), "one article id per paragraph");
        with_thread_buf(|buf| {
            if !self.config.context.is_active() {
                for (i, t) in texts.iter().enumerate() {
                    self.transform_with(t.as_ref(), buf);
                    put(i, buf.row.clone());
                }
                return;
            }
            // One article at a time, so that only its paragraphs' own rows are held: a training
            // set's would add a third to the rows with context.
            let mut order: Vec<usize> = (0..texts.len()).collect();
            // Stable: an article's paragraphs stay in reading order.
            order.sort_by_key(|&i| article[i]);
            let mut context = std::mem::take(&mut buf.context);
            for paras in order.chunk_by(|&a, &b| article[a] == article[b]) {
                context.clear();
                for &i in paras {
                    self.transform_with(texts[i].as_ref(), buf);
                    context.push(&buf.row);
                }
                let made = context.rows(&self.config.context, self.n_features(), &mut buf.marks);
                for (&i, row) in paras.iter().zip(made) {
                    put(i, row);
                }
            }
            buf.context = context;
        })
    }
}

thread_local! {
    /// Each thread's buffer for [`Tfidf::transform`] and [`Tfidf::transform_articles`]: scoring
    /// article after article with one featurizer keeps its word cache warm.
    static THREAD_BUF: RefCell<TransformBuf> = RefCell::default();
}

/// Runs `f` with this thread's buffer; `f` must not call back into it.
fn with_thread_buf<R>(f: impl FnOnce(&mut TransformBuf) -> R) -> R {
    THREAD_BUF.with_borrow_mut(f)
}

/// Reusable buffers for [`Tfidf::transform_with`].
#[derive(Debug, Default)]
pub struct TransformBuf {
    /// Per-buffer memo of the analyser for the last featurizer used with this buffer.
    cache: WordCache,
    /// For texts with a word that is not plain.
    scratch: Scratch,
    words: Vec<u32>,
    /// How often each feature was hit; zero outside [`Tfidf::transform_with`].
    counts: Vec<u32>,
    /// The distinct features of a row, to sort them; empty outside [`Tfidf::transform_with`] and
    /// [`Tfidf::transform_articles`].
    marks: FeatureSet,
    context: ContextBuf,
    /// The row produced by the last call.
    pub row: SparseVec,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unigrams() -> TfidfConfig {
        TfidfConfig {
            analyzer: AnalyzerConfig {
                ngram_range: [1, 1],
                stem: false,
                ..AnalyzerConfig::default()
            },
            ..TfidfConfig::default()
        }
    }

    #[test]
    fn matches_sklearn_smooth_idf_and_l2() {
        let docs = ["a b b", "a c"];
        let t = unigrams().fit(&docs).unwrap();
        assert_eq!(t.vocabulary(), ["a", "b", "c"]);
        let idf_bc = (3.0f64 / 2.0).ln() + 1.0;
        assert!((t.idf()[0] - 1.0).abs() < 1e-12);
        assert!((t.idf()[1] - idf_bc).abs() < 1e-12);
        let row = t.transform("a b b");
        let (a, b): (f64, f64) = (1.0, 2.0 * idf_bc);
        let norm = (a * a + b * b).sqrt();
        assert_eq!(row.indices, [0, 1]);
        assert!((row.values[0] - a / norm).abs() < 1e-12);
        assert!((row.values[1] - b / norm).abs() < 1e-12);
        assert_eq!(t.transform("zzz unknown").nnz(), 0);
    }

    #[test]
    fn min_df_and_max_features() {
        let docs = ["x y z", "x y", "x w"];
        let t = TfidfConfig {
            min_df: 2,
            ..unigrams()
        }
        .fit(&docs)
        .unwrap();
        assert_eq!(t.vocabulary(), ["x", "y"]);
        let t = TfidfConfig {
            max_features: Some(2),
            ..unigrams()
        }
        .fit(&docs)
        .unwrap();
        assert_eq!(t.vocabulary(), ["x", "y"]);
    }

    #[test]
    fn sublinear_tf() {
        let t = TfidfConfig {
            sublinear_tf: true,
            ..unigrams()
        }
        .fit(&["a a a a b"])
        .unwrap();
        let row = t.transform("a a a a b");
        let ratio = row.values[0] / row.values[1];
        assert!((ratio - (1.0 + 4f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn round_trips_and_rejects_inconsistent_files() {
        let t = TfidfConfig::default()
            .fit(&["talks now", "strikes now"])
            .unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let back: Tfidf = serde_json::from_str(&json).unwrap();
        assert_eq!(back.vocabulary(), t.vocabulary());
        assert_eq!(back.transform("talks now"), t.transform("talks now"));
        let bad = json.replacen("\"idf\":[", "\"idf\":[1.0,", 1);
        let err = serde_json::from_str::<Tfidf>(&bad).unwrap_err().to_string();
        assert!(err.contains("idf has"), "{err}");
    }

    #[test]
    fn context_adds_neighbours_within_the_window_only() {
        let mut config = unigrams();
        let t = config.fit(&["a", "b", "c", "d"]).unwrap();
        // Without context, grouping changes nothing.
        assert_eq!(
            t.transform_articles(&["a", "b"], &[0, 0])[0],
            t.transform("a")
        );
        config.context = ContextConfig {
            window: 1,
            neighbour_weight: 1.0,
            article_weight: 0.0,
        };
        let t = config.fit(&["a", "b", "c", "d"]).unwrap();
        // Article 0 = a b c (in that order), article 1 = d.
        let rows = t.transform_articles(&["a", "b", "d", "c"], &[0, 0, 1, 0]);
        assert_eq!(rows[0].indices, [0, 1], "a sees b only");
        assert_eq!(rows[1].indices, [0, 1, 2], "b sees a and c");
        let mid = &rows[1].values;
        assert!(
            (mid[0] - mid[2]).abs() < 1e-12 && mid[1] > mid[0],
            "neighbours averaged"
        );
        assert_eq!(
            rows[2],
            t.transform("d"),
            "a one-paragraph article has no context"
        );
        // Own rows have unit length; the sum is not scaled back (so that it is linear in them).
        assert_eq!(rows[0].values, [1.0, 1.0], "a + 1.0 × b");
        assert_eq!(rows[1].values, [0.5, 1.0, 0.5], "b + 1.0 × mean(a, c)");
    }

    #[test]
    fn article_context_reaches_every_paragraph() {
        let mut config = unigrams();
        config.context.article_weight = 0.5;
        let t = config.fit(&["a", "b", "c"]).unwrap();
        let rows = t.transform_articles(&["a", "b", "c"], &[7, 7, 7]);
        assert_eq!(rows[0].indices, [0, 1, 2]);
        assert!(rows[0].values[0] > rows[0].values[2]);
    }

    #[test]
    fn sparse_rows_filled_in_any_order() {
        let row = |i: &[u32], v: &[f64]| SparseVec {
            indices: i.to_vec(),
            values: v.to_vec(),
        };
        let (a, b) = (row(&[1, 4], &[0.5, -1.0]), row(&[0], &[2.0]));
        let mut rows = SparseRows::empty(3);
        rows.set(2, &a);
        rows.set(0, &b);
        assert_eq!((rows.len(), rows.nnz()), (3, 3));
        assert_eq!(rows.row(0), (&[0][..], &[2.0][..]));
        assert_eq!(rows.row(1), (&[][..], &[][..]), "a row never set is empty");
        assert_eq!(rows.row(2), (&[1, 4][..], &[0.5, -1.0][..]));
        let pushed: SparseRows = [&b, &SparseVec::default(), &a].into_iter().collect();
        for i in 0..3 {
            assert_eq!(pushed.row(i), rows.row(i));
        }
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Tfidf>();
    }

    #[test]
    fn rejects_bad_params() {
        assert!(TfidfConfig {
            min_df: 0,
            ..TfidfConfig::default()
        }
        .check()
        .is_err());
        assert!(TfidfConfig {
            max_features: Some(0),
            ..TfidfConfig::default()
        }
        .check()
        .is_err());
    }

    /// Reference featurizer for the tests below: every term as a string from
    /// [`Analyzer::terms`], counted in ordered maps; no ids, caches or tallies.
    mod reference {
        use std::collections::{BTreeMap, BTreeSet, HashMap};

        use super::*;

        pub fn fit<S: AsRef<str>>(config: &TfidfConfig, docs: &[S]) -> (Vec<String>, Vec<f64>) {
            let analyzer = Analyzer::new(config.analyzer.clone()).unwrap();
            let mut stats: BTreeMap<String, (usize, u64)> = BTreeMap::new();
            for doc in docs {
                let terms = analyzer.terms(doc.as_ref());
                for t in &terms {
                    stats.entry(t.clone()).or_default().1 += 1;
                }
                for t in terms.into_iter().collect::<BTreeSet<_>>() {
                    stats.get_mut(&t).unwrap().0 += 1;
                }
            }
            let mut kept: Vec<_> = stats
                .into_iter()
                .filter(|(_, (df, _))| *df >= config.min_df)
                .collect();
            if let Some(max) = config.max_features {
                kept.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
                kept.truncate(max);
                kept.sort();
            }
            let n = docs.len() as f64;
            let idf = kept
                .iter()
                .map(|(_, (df, _))| ((1.0 + n) / (1.0 + *df as f64)).ln() + 1.0)
                .collect();
            (kept.into_iter().map(|(t, _)| t).collect(), idf)
        }

        /// A featurizer's rows, computed by strings.
        pub struct Rows<'a> {
            t: &'a Tfidf,
            index: HashMap<&'a str, u32>,
            analyzer: Analyzer,
        }

        pub fn rows(t: &Tfidf) -> Rows<'_> {
            let index = t
                .vocabulary()
                .iter()
                .enumerate()
                .map(|(i, term)| (term.as_str(), i as u32))
                .collect();
            let analyzer = Analyzer::new(t.config().analyzer.clone()).unwrap();
            Rows { t, index, analyzer }
        }

        pub fn row(t: &Tfidf, text: &str) -> SparseVec {
            rows(t).row(text)
        }

        /// Rows with context for the paragraphs of one article (without context, their own
        /// rows): row p is `Σ coef(p, q) · own row q` over the article's paragraphs q in reading
        /// order, with coef = article_weight / paragraphs, plus 1 for q = p, plus
        /// neighbour_weight / neighbours for q ≠ p within the window; its features are those of
        /// every own row with a non-zero coefficient.
        pub fn article_rows(t: &Tfidf, texts: &[&str]) -> Vec<SparseVec> {
            let own: Vec<SparseVec> = texts.iter().map(|x| row(t, x)).collect();
            let ctx = &t.config().context;
            if !ctx.is_active() {
                return own;
            }
            let n = own.len();
            let window = if ctx.neighbour_weight > 0.0 {
                ctx.window
            } else {
                0
            };
            (0..n)
                .map(|p| {
                    let (lo, hi) = (p.saturating_sub(window), (p + window).min(n - 1));
                    let mut sum: BTreeMap<u32, f64> = BTreeMap::new();
                    for (q, r) in own.iter().enumerate() {
                        let mut coef = if ctx.article_weight > 0.0 {
                            ctx.article_weight / n as f64
                        } else {
                            0.0
                        };
                        if q == p {
                            coef += 1.0;
                        } else if (lo..=hi).contains(&q) {
                            coef += ctx.neighbour_weight / (hi - lo) as f64;
                        }
                        if coef == 0.0 {
                            continue;
                        }
                        for (&f, &v) in r.indices.iter().zip(&r.values) {
                            *sum.entry(f).or_default() += coef * v;
                        }
                    }
                    SparseVec {
                        indices: sum.keys().copied().collect(),
                        values: sum.values().copied().collect(),
                    }
                })
                .collect()
        }

        impl Rows<'_> {
            pub fn row(&self, text: &str) -> SparseVec {
                let (t, index, analyzer) = (self.t, &self.index, &self.analyzer);
                let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
                for term in analyzer.terms(text) {
                    if let Some(&i) = index.get(term.as_str()) {
                        *counts.entry(i).or_default() += 1;
                    }
                }
                let mut row = SparseVec::default();
                for (i, count) in counts {
                    let count = count as f64;
                    let tf = if t.config().sublinear_tf {
                        1.0 + count.ln()
                    } else {
                        count
                    };
                    row.indices.push(i);
                    row.values.push(tf * t.idf()[i as usize]);
                }
                let norm = row.values.iter().map(|v| v * v).sum::<f64>().sqrt();
                if norm > 0.0 {
                    row.values.iter_mut().for_each(|v| *v /= norm);
                }
                row
            }
        }
    }

    /// Checks a fitted featurizer against the reference: same vocabulary and idf as a fit by
    /// strings, and the same row for every text, whether the buffer is fresh, reused, or last
    /// used by `other`.
    fn assert_same_as_reference<S: AsRef<str>>(
        t: &Tfidf,
        fitted_on: &[S],
        texts: &[S],
        other: &Tfidf,
    ) {
        let (vocabulary, idf) = reference::fit(t.config(), fitted_on);
        assert_eq!(t.vocabulary(), vocabulary, "{:?}", t.config());
        assert_eq!(t.idf(), idf, "{:?}", t.config());
        let reference = reference::rows(t);
        let mut reused = TransformBuf::default();
        for (k, text) in texts.iter().enumerate() {
            let text = text.as_ref();
            if k % 7 == 0 {
                other.transform_with(text, &mut reused);
            }
            let want = reference.row(text);
            t.transform_with(text, &mut reused);
            assert_eq!(reused.row, want, "{text:?} with {:?}", t.config());
            if k % 50 == 0 {
                assert_eq!(t.transform(text), want);
            }
        }
    }

    fn labelled_paragraphs(file: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        crate::dataset::read_dataset(&path, &Default::default(), None)
            .unwrap()
            .examples
            .into_iter()
            .map(|e| e.text)
            .collect()
    }

    /// The featurizer's id-based path (word cache, word-id n-grams, dense tally) gives exactly the
    /// vocabulary, idf and rows of the plain string path, on every labelled paragraph.
    #[test]
    fn fast_path_matches_string_reference_on_labelled_paragraphs() {
        let seeds = labelled_paragraphs("labels/seeds.tsv");
        let mut all = labelled_paragraphs("labels/written.tsv");
        all.extend(seeds.iter().cloned());
        let analyzer = |ngram_range, stem, stop_words, char_ngrams| AnalyzerConfig {
            ngram_range,
            stem,
            stop_words,
            char_ngrams,
        };
        let configs = [
            unigrams(),
            TfidfConfig::default(),
            TfidfConfig {
                analyzer: analyzer([1, 2], true, true, None),
                ..TfidfConfig::default()
            },
            TfidfConfig {
                analyzer: analyzer([1, 2], true, false, Some([3, 5])),
                sublinear_tf: true,
                ..TfidfConfig::default()
            },
            TfidfConfig {
                analyzer: analyzer([2, 3], false, true, Some([2, 3])),
                min_df: 2,
                ..TfidfConfig::default()
            },
            // Few features: most words are unknown to the featurizer and break n-grams.
            TfidfConfig {
                analyzer: analyzer([1, 3], true, false, None),
                max_features: Some(300),
                ..TfidfConfig::default()
            },
        ];
        let other = TfidfConfig::default().fit(&seeds[..5]).unwrap();
        for config in &configs {
            // Fitted on the seeds, most written paragraphs' words are unknown; fitted on all,
            // every word is known.
            let t = config.fit(&seeds).unwrap();
            assert_same_as_reference(&t, &seeds, &all, &other);
            let t = config.fit(&all).unwrap();
            assert_same_as_reference(&t, &all, &all, &other);
        }
    }

    /// A model file may hold any sorted vocabulary: terms with odd spacing or brackets are found
    /// exactly when their string is.
    #[test]
    fn fast_path_matches_string_reference_on_odd_vocabularies() {
        let mut vocabulary: Vec<String> = [
            "",
            " ",
            "[",
            "[ go",
            "[ go]",
            "[go ]",
            "[ tt]",
            "a  b",
            "go",
            "go ttp",
            "go ttp go",
            "ttp",
            "ttp ",
            "ttp go",
            " ttp",
            "ttp go ttp go",
        ]
        .map(String::from)
        .to_vec();
        vocabulary.sort();
        for (range, chars) in [
            ([1, 2], Some([2, 4])),
            ([1, 3], None),
            ([2, 4], Some([3, 3])),
        ] {
            let mut config = unigrams();
            config.analyzer.ngram_range = range;
            config.analyzer.char_ngrams = chars;
            let idf = (0..vocabulary.len()).map(|i| 1.0 + i as f64).collect();
            let t = Tfidf::from_parts(config, vocabulary.clone(), idf).unwrap();
            for text in ["Go TTP go ttp GO", "ttp, go; a  b", "[go] [ go ]", ""] {
                assert_eq!(t.transform(text), reference::row(&t, text), "{text:?}");
            }
        }
    }

    /// UAX #29 makes a space or bracket followed by a combining mark a word; such texts take the
    /// string path, in fitting and in transforming, and still match the reference.
    #[test]
    fn words_with_spaces_or_brackets_match_the_reference() {
        let odd = [
            "talks now \u{c55} talks now",
            "go [\u{c55} go ]\u{c55} strike",
            "talks a\u{a0}\u{c55}b now",
        ];
        let plain = ["talks now go strike", "now go", "a b talks"];
        let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        assert!(a.terms(odd[0]).iter().any(|t| t == " \u{c55}"));
        let mut all = odd.to_vec();
        all.extend(plain);
        let other = unigrams().fit(&plain).unwrap();
        for chars in [None, Some([2, 4])] {
            for ngram_range in [[1, 1], [1, 2], [2, 3]] {
                let config = TfidfConfig {
                    analyzer: AnalyzerConfig {
                        ngram_range,
                        char_ngrams: chars,
                        ..AnalyzerConfig::default()
                    },
                    ..TfidfConfig::default()
                };
                for docs in [&all[..], &plain[..]] {
                    assert_same_as_reference(&config.fit(docs).unwrap(), docs, &all, &other);
                }
            }
        }
    }

    /// Buffers never keep a cache past its bound, and what they hold after it is cleared still
    /// gives the reference rows.
    #[test]
    fn word_cache_restarts_when_full() {
        let words: Vec<String> = (0..70_000).map(|i| format!("w{i}")).collect();
        let text = words.join(" ");
        let t = TfidfConfig::default().fit(&[&text]).unwrap();
        let mut buf = TransformBuf::default();
        t.transform_with(&text, &mut buf);
        assert!(buf.cache.len() < 70_000);
        assert_eq!(buf.row, reference::row(&t, &text));
        t.transform_with("w1 w69999 w5", &mut buf);
        assert_eq!(buf.row, reference::row(&t, "w1 w69999 w5"));
    }

    /// Both ways of sorting a row's features give the sorted list and leave the bitset clear.
    #[test]
    fn sublinear_tf_table_is_the_logarithm() {
        for c in 1..300u32 {
            assert_eq!(super::sublinear_tf(c), 1.0 + f64::from(c).ln(), "count {c}");
        }
    }

    proptest::proptest! {
        /// Context rows are exactly the reference's, a paragraph's row is the same whether its
        /// article is featurized alone or interleaved with others in one call, and
        /// [`ContextConfig::mix`] gives what the rows give.
        #[test]
        fn context_rows_match_reference_alone_or_interleaved(
            articles in proptest::collection::vec(
                proptest::collection::vec("([a-f]{1,2} ){0,8}", 1..9),
                1..5,
            ),
            keys in proptest::collection::vec(proptest::arbitrary::any::<u16>(), 40),
            window in 0usize..5,
            neighbour_weight in proptest::prop_oneof![proptest::strategy::Just(0.0), 0.1f64..2.0],
            article_weight in proptest::prop_oneof![proptest::strategy::Just(0.0), 0.1f64..2.0],
        ) {
            let all: Vec<&str> = articles.iter().flatten().map(String::as_str).collect();
            let mut config = unigrams();
            config.analyzer.ngram_range = [1, 2];
            config.context = ContextConfig { window, neighbour_weight, article_weight };
            let t = config.fit(&all).unwrap();
            // Paragraphs in an order mixing the articles, each article's kept in reading order.
            let mut order: Vec<(usize, usize)> = articles
                .iter()
                .enumerate()
                .flat_map(|(a, paras)| (0..paras.len()).map(move |p| (a, p)))
                .collect();
            order.sort_by_key(|&(a, p)| (keys[(a * 9 + p) % keys.len()], a, p));
            let mut next = vec![0; articles.len()];
            for slot in order.iter_mut() {
                *slot = (slot.0, next[slot.0]);
                next[slot.0] += 1;
            }
            let texts: Vec<&str> = order.iter().map(|&(a, p)| articles[a][p].as_str()).collect();
            let ids: Vec<usize> = order.iter().map(|&(a, _)| a * 1000).collect();
            let mixed = t.transform_articles(&texts, &ids);
            // The training form holds the same rows, stored article by article.
            let flat = t.transform_articles_flat(&texts, &ids);
            proptest::prop_assert_eq!(flat.len(), mixed.len());
            for (k, row) in mixed.iter().enumerate() {
                proptest::prop_assert_eq!(flat.row(k), (&row.indices[..], &row.values[..]));
            }
            // Anything linear in the rows (three weight vectors here) mixed from the own rows
            // equals it computed on the rows with context, up to rounding.
            let weights: Vec<Vec<f64>> = (0..3)
                .map(|c| {
                    (0..t.n_features())
                        .map(|f| f64::from(keys[(f * 3 + c) % keys.len()]) / 1e4 - 3.0)
                        .collect()
                })
                .collect();
            let dot = |row: &SparseVec, w: &[f64]| row.iter().map(|(f, v)| v * w[f]).sum::<f64>();
            let mut own = vec![0.0; 3 * texts.len()];
            t.for_each_row(&texts, |i, row| {
                for (c, w) in weights.iter().enumerate() {
                    own[3 * i + c] = dot(row, w);
                }
            });
            let z = config.context.mix(&own, 3, &ids);
            for (i, row) in mixed.iter().enumerate() {
                for (c, w) in weights.iter().enumerate() {
                    let want = dot(row, w);
                    let scale = row.iter().map(|(f, v)| (v * w[f]).abs()).sum::<f64>().max(1.0);
                    proptest::prop_assert!(
                        (z[3 * i + c] - want).abs() <= 1e-12 * scale,
                        "paragraph {} class {}: {} vs {}", i, c, z[3 * i + c], want
                    );
                }
            }
            for (a, paras) in articles.iter().enumerate() {
                let paras: Vec<&str> = paras.iter().map(String::as_str).collect();
                let alone = t.transform_articles(&paras, &vec![a; paras.len()]);
                proptest::prop_assert_eq!(&alone, &reference::article_rows(&t, &paras));
                for (k, &(b, p)) in order.iter().enumerate() {
                    if b == a {
                        proptest::prop_assert_eq!(&mixed[k], &alone[p]);
                    }
                }
            }
        }

        #[test]
        fn fast_path_matches_string_reference_on_any_text(
            docs in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::arbitrary::any::<String>(),
                    "([A-Za-z’']{1,6}[ ,.]{1,2}){0,12}",
                ],
                1..6,
            ),
            lo in 1usize..=2,
            extra in 0usize..=2,
            stem in proptest::bool::ANY,
            stop_words in proptest::bool::ANY,
            chars in proptest::bool::ANY,
        ) {
            let config = TfidfConfig {
                analyzer: AnalyzerConfig {
                    ngram_range: [lo, lo + extra],
                    stem,
                    stop_words,
                    char_ngrams: chars.then_some([2, 4]),
                },
                ..TfidfConfig::default()
            };
            let t = config.fit(&docs[1..]).unwrap();
            let (vocabulary, idf) = reference::fit(&config, &docs[1..]);
            proptest::prop_assert_eq!(t.vocabulary(), vocabulary);
            proptest::prop_assert_eq!(t.idf(), idf);
            let reference = reference::rows(&t);
            let mut buf = TransformBuf::default();
            for d in &docs {
                t.transform_with(d, &mut buf);
                proptest::prop_assert_eq!(&buf.row, &reference.row(d));
            }
        }
    }
}
