//! Context features for [`super::Tfidf::transform_articles`]: each paragraph's own row plus the
//! weighted means of its neighbours' and its article's rows.
//!
//! [`Mixing`] says which own rows make each row with context, with what coefficients; it is the
//! one definition of context. A row with context is linear in the own rows, so scoring and the
//! sparse trainer apply the mixing to a linear model's class scores and never build these rows.
//!
//! Only the linfa solver (and the tests) build them: a [`ContextBuf`] holds one article's own
//! rows at a time and works in the article's own numbering of features: its features, sorted,
//! get local ids `0..u`, so that a row's sum is a dense array of `u` slots and its features come
//! out sorted from a scan of a `u`-bit set (a few words), not from a sort or a scan of the whole
//! vocabulary. Every sum over paragraphs runs in reading order, so a row depends on its
//! article's paragraphs only.

use super::{ContextConfig, FeatureSet, SparseVec};

/// Reusable buffers; every dense array is all zero between articles.
#[derive(Debug, Default)]
pub(super) struct ContextBuf {
    /// The paragraphs' own rows, one after another: `starts[i]..starts[i + 1]`.
    starts: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
    /// Local ids of `indices`.
    local: Vec<u32>,
    /// The current article's features, sorted: a feature's position is its local id.
    features: Vec<u32>,
    /// Local id of every feature in `features`; stale elsewhere.
    local_of: Vec<u32>,
    /// Per local id: the value of the row being made.
    sum: Vec<f64>,
    /// A bit per local id: the features of the row being made.
    bits: Vec<u64>,
    /// Each paragraph's features as bits over local ids, `words` per paragraph in `paras` order:
    /// a row's features are the union of its window's, a few words ORed rather than a bit set
    /// per neighbour entry.
    para_bits: Vec<u64>,
}

impl ContextBuf {
    /// Forgets the rows of the last call.
    pub(super) fn clear(&mut self) {
        self.starts.clear();
        self.starts.push(0);
        self.indices.clear();
        self.values.clear();
    }

    /// Appends the next paragraph's own row.
    pub(super) fn push(&mut self, row: &SparseVec) {
        self.indices.extend_from_slice(&row.indices);
        self.values.extend_from_slice(&row.values);
        self.starts.push(self.indices.len());
    }

    /// The rows with context of the paragraphs pushed since [`ContextBuf::clear`], which are one
    /// article's in reading order. `seen` is empty between calls.
    pub(super) fn rows(
        &mut self,
        ctx: &ContextConfig,
        n_features: usize,
        seen: &mut FeatureSet,
    ) -> Vec<SparseVec> {
        seen.reserve(n_features);
        if self.local_of.len() < n_features {
            self.local_of.resize(n_features, 0);
        }
        self.local.resize(self.indices.len(), 0);
        self.number_features(seen);
        let n = self.starts.len() - 1;
        let mut out = vec![SparseVec::default(); n];
        // One article: its paragraphs are numbered 0..n in reading order.
        let mixing = Mixing::new(ctx, &vec![0; n]).expect("rows are only built with context");
        self.article(&mixing, &mut out);
        out
    }

    /// Gives the article's features their local ids.
    fn number_features(&mut self, seen: &mut FeatureSet) {
        let n = self.starts.len() - 1;
        self.features.clear();
        for i in 0..n {
            for &f in &self.indices[self.starts[i]..self.starts[i + 1]] {
                if seen.insert(f) {
                    self.features.push(f);
                }
            }
        }
        seen.drain_sorted(&mut self.features);
        for (k, &f) in self.features.iter().enumerate() {
            self.local_of[f as usize] = k as u32;
        }
        let u = self.features.len();
        let words = u.div_ceil(64);
        self.para_bits.clear();
        self.para_bits.resize(n * words, 0);
        for i in 0..n {
            let mine = &mut self.para_bits[i * words..(i + 1) * words];
            for e in self.starts[i]..self.starts[i + 1] {
                let k = self.local_of[self.indices[e] as usize];
                self.local[e] = k;
                mine[k as usize / 64] |= 1 << (k % 64);
            }
        }
        if self.sum.len() < u {
            self.sum.resize(u, 0.0);
        }
        if self.bits.len() < u.div_ceil(64) {
            self.bits.resize(u.div_ceil(64), 0);
        }
    }

    /// Writes the article's rows into `out`: row `i` is `Σ coef · own row j` over
    /// `mixing.row(i)`, summed in that order, its features the union of those rows'.
    fn article(&mut self, mixing: &Mixing, out: &mut [SparseVec]) {
        let words = self.features.len().div_ceil(64);
        for (i, row) in out.iter_mut().enumerate() {
            let (cols, coefs) = mixing.row(i);
            let bits = &mut self.bits[..words];
            bits.fill(0);
            for (&j, &c) in cols.iter().zip(coefs) {
                let j = j as usize;
                let theirs = &self.para_bits[j * words..(j + 1) * words];
                bits.iter_mut().zip(theirs).for_each(|(b, t)| *b |= t);
                for e in self.starts[j]..self.starts[j + 1] {
                    self.sum[self.local[e] as usize] += c * self.values[e];
                }
            }
            let count = bits.iter().map(|w| w.count_ones() as usize).sum();
            row.indices.resize(count, 0);
            row.values.resize(count, 0.0);
            let mut at = 0;
            for w in 0..words {
                let mut bits = std::mem::take(&mut self.bits[w]);
                while bits != 0 {
                    let k = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    row.indices[at] = self.features[k];
                    row.values[at] = std::mem::take(&mut self.sum[k]);
                    at += 1;
                }
            }
        }
    }
}

/// How rows with context are made from own rows: row `i` with context is `Σ coef · own row j`
/// over [`Mixing::row`]`(i)`. Rows with context are linear in the own rows, so anything linear
/// in a row (a linear model's class scores, its loss gradient's row factor) can be computed on
/// the own rows and mixed, and the rows with context need never be built.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mixing {
    starts: Vec<usize>,
    cols: Vec<u32>,
    coefs: Vec<f64>,
}

impl Mixing {
    /// The mixing for paragraphs grouped as for [`super::Tfidf::transform_articles`], or `None`
    /// without context.
    pub(super) fn new(ctx: &ContextConfig, article: &[usize]) -> Option<Mixing> {
        if !ctx.is_active() {
            return None;
        }
        let mut order: Vec<usize> = (0..article.len()).collect();
        // Stable: an article's paragraphs stay in reading order.
        order.sort_by_key(|&i| article[i]);
        let window = if ctx.neighbour_weight > 0.0 {
            ctx.window
        } else {
            0
        };
        // Row i's (paragraph, coefficient) pairs, in the article's reading order.
        let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); article.len()];
        for paras in order.chunk_by(|&a, &b| article[a] == article[b]) {
            let n = paras.len();
            let whole = ctx.article_weight / n as f64;
            for (p, &i) in paras.iter().enumerate() {
                let (lo, hi) = (p.saturating_sub(window), (p + window).min(n - 1));
                let near = match hi - lo {
                    0 => 0.0,
                    m => ctx.neighbour_weight / m as f64,
                };
                for (q, &j) in paras.iter().enumerate() {
                    let mut coef = if ctx.article_weight > 0.0 { whole } else { 0.0 };
                    if q == p {
                        coef += 1.0;
                    } else if (lo..=hi).contains(&q) {
                        coef += near;
                    }
                    if coef != 0.0 {
                        rows[i].push((j as u32, coef));
                    }
                }
            }
        }
        let mut m = Mixing {
            starts: Vec::with_capacity(article.len() + 1),
            ..Mixing::default()
        };
        m.starts.push(0);
        for row in rows {
            m.cols.extend(row.iter().map(|&(j, _)| j));
            m.coefs.extend(row.iter().map(|&(_, c)| c));
            m.starts.push(m.cols.len());
        }
        Some(m)
    }

    /// Number of rows (paragraphs).
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The own rows row `i` with context is made of, and their coefficients.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let span = self.starts[i]..self.starts[i + 1];
        (&self.cols[span.clone()], &self.coefs[span])
    }

    /// `k` numbers per paragraph linear in its own row → the same numbers for its row with
    /// context.
    pub fn apply(&self, own: &[f64], k: usize) -> Vec<f64> {
        let mut out = vec![0.0; own.len()];
        self.apply_into(own, k, &mut out);
        out
    }

    /// [`Mixing::apply`] into `out` (overwritten).
    pub fn apply_into(&self, own: &[f64], k: usize, out: &mut [f64]) {
        assert_eq!(own.len(), k * self.len(), "k numbers per paragraph");
        assert_eq!(out.len(), own.len(), "k numbers per paragraph");
        out.fill(0.0);
        for (i, o) in out.chunks_exact_mut(k).enumerate() {
            let (cols, coefs) = self.row(i);
            for (&j, &c) in cols.iter().zip(coefs) {
                let u = &own[j as usize * k..][..k];
                o.iter_mut().zip(u).for_each(|(o, u)| *o += c * u);
            }
        }
    }

    /// The transpose of [`Mixing::apply`]: `out[j] += Σ_i coef(i, j) · r[i]`, in row order.
    pub fn apply_transposed(&self, r: &[f64], k: usize, out: &mut [f64]) {
        assert_eq!(r.len(), k * self.len(), "k numbers per paragraph");
        assert_eq!(out.len(), r.len(), "k numbers per paragraph");
        out.fill(0.0);
        for (i, ri) in r.chunks_exact(k).enumerate() {
            let (cols, coefs) = self.row(i);
            for (&j, &c) in cols.iter().zip(coefs) {
                let o = &mut out[j as usize * k..][..k];
                o.iter_mut().zip(ri).for_each(|(o, r)| *o += c * r);
            }
        }
    }
}
