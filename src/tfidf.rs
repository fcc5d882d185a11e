//! TF-IDF featurizer, owned here so that idf is fitted once and stored with the model.
//!
//! Semantics follow scikit-learn's `TfidfVectorizer` with `smooth_idf=True, norm="l2"`:
//! `idf(t) = ln((1 + n) / (1 + df(t))) + 1`; term frequency is the raw count, or `1 + ln(count)`
//! with `sublinear_tf`; each row is scaled to unit Euclidean length.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::analysis::{Analyzer, AnalyzerConfig, Scratch};
use crate::error::{Error, Result};

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
/// paragraph of the article)`, scaled back to unit length.
///
/// Labelling rule 3 makes a background paragraph's label depend on the argument around it, so
/// the words around it are evidence. A paragraph scored alone has no neighbours.
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
    /// row's normalisation, and every probability comes out NaN.
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
        // term -> (document frequency, total count, last doc seen)
        let mut stats: HashMap<String, (usize, u64, usize)> = HashMap::new();
        let mut scratch = Scratch::default();
        for (i, doc) in docs.iter().enumerate() {
            analyzer.for_each_term(doc.as_ref(), &mut scratch, |term| {
                if let Some(s) = stats.get_mut(term) {
                    s.1 += 1;
                    if s.2 != i {
                        s.0 += 1;
                        s.2 = i;
                    }
                } else {
                    stats.insert(term.to_owned(), (1, 1, i));
                }
            });
        }
        let mut kept: Vec<(String, usize, u64)> = stats
            .into_iter()
            .filter(|(_, (df, _, _))| *df >= self.min_df)
            .map(|(t, (df, n, _))| (t, df, n))
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

/// A fitted featurizer: immutable, `Send + Sync`, serialisable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TfidfFile")]
pub struct Tfidf {
    config: TfidfConfig,
    /// Sorted, unique terms; a term's position is its feature index.
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    #[serde(skip)]
    index: HashMap<String, u32>,
    #[serde(skip)]
    analyzer: Option<Analyzer>,
}

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
        let index = vocabulary
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let analyzer = Some(Analyzer::new(config.analyzer.clone()).map_err(|e| e.to_string())?);
        Ok(Tfidf {
            config,
            vocabulary,
            idf,
            index,
            analyzer,
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
        let mut buf = TransformBuf::default();
        self.transform_with(text, &mut buf);
        std::mem::take(&mut buf.row)
    }

    /// Like [`Tfidf::transform`], reusing `buf`; the row is left in `buf.row`.
    pub fn transform_with(&self, text: &str, buf: &mut TransformBuf) {
        buf.hits.clear();
        let index = &self.index;
        let hits = &mut buf.hits;
        self.analyzer()
            .for_each_term(text, &mut buf.scratch, |term| {
                if let Some(&i) = index.get(term) {
                    hits.push(i);
                }
            });
        buf.hits.sort_unstable();
        let row = &mut buf.row;
        row.indices.clear();
        row.values.clear();
        for run in buf.hits.chunk_by(|a, b| a == b) {
            let count = run.len() as f64;
            let tf = if self.config.sublinear_tf {
                1.0 + count.ln()
            } else {
                count
            };
            row.indices.push(run[0]);
            row.values.push(tf * self.idf[run[0] as usize]);
        }
        let norm = row.values.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.values.iter_mut().for_each(|v| *v /= norm);
        }
    }
}

impl Tfidf {
    /// Rows for paragraphs that belong to articles: `article[i]` names paragraph `i`'s article,
    /// and an article's paragraphs are in reading order among those with the same id. Without
    /// context this is [`Tfidf::transform`] on each paragraph.
    pub fn transform_articles<S: AsRef<str>>(
        &self,
        texts: &[S],
        article: &[usize],
    ) -> Vec<SparseVec> {
        assert_eq!(texts.len(), article.len(), "one article id per paragraph");
        let mut buf = TransformBuf::default();
        let own: Vec<SparseVec> = texts
            .iter()
            .map(|t| {
                self.transform_with(t.as_ref(), &mut buf);
                buf.row.clone()
            })
            .collect();
        let ctx = &self.config.context;
        if !ctx.is_active() {
            return own;
        }
        // Paragraph indices of each article, in order.
        let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (i, &a) in article.iter().enumerate() {
            members.entry(a).or_default().push(i);
        }
        let mut out = vec![SparseVec::default(); own.len()];
        let mut acc: Vec<(u32, f64)> = Vec::new();
        for paras in members.values() {
            let whole = if ctx.article_weight > 0.0 {
                mean_row(paras.iter().map(|&i| &own[i]), &mut acc)
            } else {
                SparseVec::default()
            };
            for (pos, &i) in paras.iter().enumerate() {
                let lo = pos.saturating_sub(ctx.window);
                let hi = (pos + ctx.window).min(paras.len() - 1);
                let near = if ctx.window > 0 && ctx.neighbour_weight > 0.0 {
                    mean_row(
                        (lo..=hi).filter(|&p| p != pos).map(|p| &own[paras[p]]),
                        &mut acc,
                    )
                } else {
                    SparseVec::default()
                };
                acc.clear();
                acc.extend(
                    own[i]
                        .indices
                        .iter()
                        .copied()
                        .zip(own[i].values.iter().copied()),
                );
                acc.extend(
                    near.iter()
                        .map(|(f, v)| (f as u32, v * ctx.neighbour_weight)),
                );
                acc.extend(
                    whole
                        .iter()
                        .map(|(f, v)| (f as u32, v * ctx.article_weight)),
                );
                out[i] = merge(&mut acc, true);
            }
        }
        out
    }
}

/// The mean of some rows (not normalised).
fn mean_row<'a>(rows: impl Iterator<Item = &'a SparseVec>, acc: &mut Vec<(u32, f64)>) -> SparseVec {
    acc.clear();
    let mut n = 0usize;
    for r in rows {
        acc.extend(r.indices.iter().copied().zip(r.values.iter().copied()));
        n += 1;
    }
    let mut row = merge(acc, false);
    if n > 1 {
        row.values.iter_mut().for_each(|v| *v /= n as f64);
    }
    row
}

/// Sums duplicate indices of `(index, value)` pairs into a sparse row, optionally L2-normalised.
fn merge(acc: &mut [(u32, f64)], normalise: bool) -> SparseVec {
    acc.sort_unstable_by_key(|&(i, _)| i);
    let mut row = SparseVec::default();
    for &(i, v) in acc.iter() {
        if row.indices.last() == Some(&i) {
            *row.values.last_mut().expect("paired with index") += v;
        } else {
            row.indices.push(i);
            row.values.push(v);
        }
    }
    if normalise {
        let norm = row.values.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.values.iter_mut().for_each(|v| *v /= norm);
        }
    }
    row
}

/// Reusable buffers for [`Tfidf::transform_with`].
#[derive(Debug, Default)]
pub struct TransformBuf {
    scratch: Scratch,
    hits: Vec<u32>,
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
        for r in &rows {
            let norm: f64 = r.values.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-12);
        }
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
}
