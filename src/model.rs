//! The multinomial logistic model, its training, and the versioned model file.
//!
//! Training minimises linfa-logistic's objective either with the sparse trainer of
//! [`crate::solver`] (the default) or with linfa-logistic itself on a dense f64 matrix (the
//! reference). Scoring uses neither: the stored weights are applied to a paragraph's sparse
//! TF-IDF row directly, one dot product per class over its non-zero terms, followed by a softmax.

use std::collections::BTreeMap;
use std::path::Path;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::solver::{balanced_weights, minimise, Objective, Stop};
use crate::tfidf::{Mixing, SparseRows, SparseVec, Tfidf, TfidfConfig, TransformBuf};

/// Version of the model file layout; bumped on any incompatible change.
/// 2: `solver` hyper-parameter, class balance by sample weights, `provenance.fit`.
/// 3: a row with context is no longer scaled back to unit length (so that it is linear in the
/// own rows), which changes what a model with context computes.
pub const FORMAT_VERSION: u32 = 3;

/// Largest weight or intercept magnitude a model file may hold, and largest context weight.
/// Own rows are L2-normalised, so a feature's value with context is at most 1 plus the two
/// context weights; with this bound every logit is finite (below about 1e206 for any vocabulary
/// that fits in memory) and the softmax cannot produce NaN.
pub const MAX_WEIGHT: f64 = 1e100;

/// Largest dense training matrix the `linfa` solver may build; above it the vocabulary is capped
/// (see [`VocabularyCap`]) rather than risking running out of memory.
pub const DENSE_LIMIT_BYTES: u64 = 4 << 30;

/// Which optimiser trains the weights. Both minimise the same objective (see [`crate::solver`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// Our own L-BFGS on sparse rows, in parallel ([`crate::solver`]).
    #[default]
    Lbfgs,
    /// linfa-logistic on a dense paragraphs x features matrix: the reference, slow and
    /// memory-hungry on large vocabularies.
    Linfa,
}

impl Solver {
    pub fn name(self) -> &'static str {
        match self {
            Solver::Lbfgs => "lbfgs",
            Solver::Linfa => "linfa",
        }
    }
}

impl std::str::FromStr for Solver {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "lbfgs" => Ok(Solver::Lbfgs),
            "linfa" => Ok(Solver::Linfa),
            _ => Err(format!("`{s}` is not a solver; use `lbfgs` or `linfa`")),
        }
    }
}

/// Hyper-parameters of the logistic model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelParams {
    /// L2 penalty on the weights (the loss is summed over paragraphs, so this is 1/C in
    /// scikit-learn's terms).
    pub alpha: f64,
    /// L-BFGS iteration cap.
    pub max_iterations: u64,
    /// Stop when the gradient norm of the summed loss falls below this times the number of
    /// training paragraphs (so the same setting suits 100 or 100,000 paragraphs, as
    /// scikit-learn's `tol` on its mean loss does).
    pub gradient_tolerance: f64,
    /// Give every class the same total weight in the loss (scikit-learn's
    /// `class_weight="balanced"`): with `lbfgs`, a paragraph of class `c` weighs
    /// `n / (k * n_c)`; linfa has no sample weights, so with `linfa` the paragraphs of the
    /// smaller classes are repeated instead (cyclically, up to the largest class's count).
    #[serde(default)]
    pub class_balance: bool,
    /// The optimiser.
    pub solver: Solver,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            alpha: 1.0,
            max_iterations: 500,
            gradient_tolerance: 1e-6,
            class_balance: false,
            solver: Solver::Lbfgs,
        }
    }
}

impl ModelParams {
    pub fn check(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::param(
                "alpha",
                format!("must be a positive number, got {}", self.alpha),
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", "must be at least 1"));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(Error::param(
                "gradient_tolerance",
                format!("must be a positive number, got {}", self.gradient_tolerance),
            ));
        }
        Ok(())
    }
}

/// Everything that decides how a model is trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub featurizer: TfidfConfig,
    pub model: ModelParams,
}

impl TrainConfig {
    /// Checks every hyper-parameter; call before any fitting.
    pub fn check(&self) -> Result<()> {
        self.featurizer.check()?;
        self.model.check()
    }
}

/// Fitted weights for each class over the featurizer's features, and an intercept per class.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// `by_feature[f * k + c]` for `k` classes: a row's products with every class read one place
    /// per feature, not `k` places far apart.
    by_feature: Vec<f64>,
    pub intercept: Vec<f64>,
}

impl Linear {
    /// From `weights[c][f]` (as the model file stores them; every class the same length) and an
    /// intercept per class.
    pub fn new(weights: &[Vec<f64>], intercept: Vec<f64>) -> Self {
        assert_eq!(weights.len(), intercept.len(), "one weight row per class");
        let n = weights.first().map_or(0, Vec::len);
        let k = weights.len();
        let mut by_feature = vec![0.0; n * k];
        for (c, row) in weights.iter().enumerate() {
            assert_eq!(row.len(), n, "every class has a weight per feature");
            for (f, &w) in row.iter().enumerate() {
                by_feature[f * k + c] = w;
            }
        }
        Linear {
            by_feature,
            intercept,
        }
    }

    /// Weight of feature `f` for class `c`.
    pub fn weight(&self, c: usize, f: usize) -> f64 {
        self.by_feature[f * self.intercept.len() + c]
    }

    /// `weights[c][f]`, as the model file stores them.
    pub fn weights(&self) -> Vec<Vec<f64>> {
        let k = self.intercept.len();
        (0..k)
            .map(|c| self.by_feature.iter().skip(c).step_by(k).copied().collect())
            .collect()
    }

    /// Class probabilities for one sparse row, written into `out` (length = number of classes).
    pub fn probabilities_into(&self, x: &SparseVec, out: &mut [f64]) {
        self.products_into(x, out);
        self.finish(out);
    }

    /// Each class's weights times the row, without the intercept: linear in the row, so context
    /// can be mixed into them ([`crate::tfidf::ContextConfig::mix`]).
    pub fn products_into(&self, x: &SparseVec, out: &mut [f64]) {
        // Specialised for the usual few classes, so that the sums stay in registers.
        match out.len() {
            2 => products::<2>(x, &self.by_feature, out),
            3 => products::<3>(x, &self.by_feature, out),
            4 => products::<4>(x, &self.by_feature, out),
            k => {
                out.fill(0.0);
                for (f, v) in x.iter() {
                    let w = &self.by_feature[f * k..(f + 1) * k];
                    out.iter_mut().zip(w).for_each(|(o, w)| *o += v * w);
                }
            }
        }
    }

    /// Turns [`Linear::products_into`]'s numbers into probabilities: adds the intercept, then
    /// softmax.
    pub fn finish(&self, z: &mut [f64]) {
        for (o, b) in z.iter_mut().zip(&self.intercept) {
            *o += b;
        }
        softmax(z);
    }
}

/// [`Linear::products_into`] for `K` classes: the same sums in the same order.
fn products<const K: usize>(x: &SparseVec, by_feature: &[f64], out: &mut [f64]) {
    let mut acc = [0.0; K];
    for (&f, &v) in x.indices.iter().zip(&x.values) {
        let w = &by_feature[f as usize * K..][..K];
        for c in 0..K {
            acc[c] += v * w[c];
        }
    }
    out.copy_from_slice(&acc);
}

fn softmax(z: &mut [f64]) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    z.iter_mut().for_each(|v| *v /= sum);
}

/// How the weights were fitted: recorded in a model's provenance, and what training warns about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitReport {
    pub solver: Solver,
    /// L-BFGS iterations; `None` when the solver does not say (linfa).
    pub iterations: Option<u64>,
    /// Loss-and-gradient evaluations; `None` when the solver does not say (linfa).
    pub evaluations: Option<u64>,
    /// Euclidean norm of the objective's gradient at the fitted weights (for linfa, computed
    /// afterwards on the objective it minimised).
    pub gradient_norm: f64,
    pub stop: Stop,
    /// The gradient-norm threshold the fit used: `gradient_tolerance` times the paragraphs.
    pub tolerance: f64,
    /// The gradient norm is below [`FitReport::tolerance`].
    pub converged: bool,
    /// Set when the linfa solver's dense matrix would not have fitted in memory and the
    /// vocabulary was capped.
    pub vocabulary_cap: Option<VocabularyCap>,
}

/// The vocabulary was cut to the most frequent terms so that the linfa solver's dense matrix
/// fits its memory limit ([`DENSE_LIMIT_BYTES`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyCap {
    /// `max_features` as configured, before the cap.
    pub requested_max_features: Option<usize>,
    /// Terms the configured featurizer found.
    pub terms: usize,
    /// Terms kept (the most frequent, as `max_features` keeps them).
    pub kept: usize,
    /// Rows of the dense matrix: paragraphs, with class-balance repeats.
    pub rows: usize,
    pub limit_mib: u64,
}

impl VocabularyCap {
    /// What happened and what to do, in one line.
    pub fn message(&self) -> String {
        let needed = (self.rows as u64 * self.terms as u64 * 8) >> 20;
        format!(
            "the linfa solver's dense matrix of {} rows x {} terms would need {} MiB, over its {} MiB limit, so only the {} most frequent terms were kept; use --solver lbfgs to keep every term, or --max-features to choose the cap",
            self.rows, self.terms, needed, self.limit_mib, self.kept
        )
    }
}

/// Warnings about fits (one fit, or every fold's): one line per kind of problem, naming the
/// worst case, or nothing when every fit converged uncapped.
pub fn fit_warnings(fits: &[FitReport], params: &ModelParams) -> Vec<String> {
    let of = |c: usize| match fits.len() {
        1 => String::new(),
        n => format!(" in {c} of {n} fits"),
    };
    let mut out = Vec::new();
    // Fits stopped short of the tolerance: by the iteration cap (more iterations help), then
    // by the loss no longer changing in f64 (they do not).
    for stalled in [false, true] {
        let short: Vec<&FitReport> = fits
            .iter()
            .filter(|f| !f.converged && f.stop.is_stall() == stalled)
            .collect();
        let Some(worst) = short
            .iter()
            .max_by(|a, b| a.gradient_norm.total_cmp(&b.gradient_norm))
        else {
            continue;
        };
        let advice = if stalled {
            "more iterations would not help; a larger --alpha makes the problem easier".to_owned()
        } else {
            format!(
                "raise --max-iter (now {}) or --alpha",
                params.max_iterations
            )
        };
        out.push(format!(
            "the {} solver did not converge{}: {}, leaving a gradient norm of {:.2e}, above the tolerance {:e}; {advice}",
            worst.solver.name(),
            of(short.len()),
            worst.stop.describe(),
            worst.gradient_norm,
            worst.tolerance,
        ));
    }
    let capped: Vec<&VocabularyCap> = fits
        .iter()
        .filter_map(|f| f.vocabulary_cap.as_ref())
        .collect();
    if let Some(tightest) = capped.iter().min_by_key(|c| c.kept) {
        out.push(format!(
            "vocabulary capped{}: {}",
            of(capped.len()),
            tightest.message()
        ));
    }
    out
}

/// A featurizer and weights trained together, for `classes` (sorted).
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub featurizer: Tfidf,
    pub classes: Vec<String>,
    pub linear: Linear,
}

impl Pipeline {
    /// Fits the featurizer and the model on `texts` with labels `y` (indices into `classes`).
    /// `article[i]` names the article of paragraph `i` (used by context features; paragraphs of
    /// an article in reading order). A class with no training paragraph gets a logit of minus
    /// infinity: probability zero.
    pub fn fit<S: AsRef<str>>(
        config: &TrainConfig,
        texts: &[S],
        article: &[usize],
        y: &[usize],
        classes: &[String],
    ) -> Result<Self> {
        Ok(Self::fit_report(config, texts, article, y, classes)?.0)
    }

    /// [`Pipeline::fit`], also saying how the optimiser ended and whether the vocabulary was
    /// capped.
    pub fn fit_report<S: AsRef<str>>(
        config: &TrainConfig,
        texts: &[S],
        article: &[usize],
        y: &[usize],
        classes: &[String],
    ) -> Result<(Self, FitReport)> {
        Self::fit_within(config, texts, article, y, classes, DENSE_LIMIT_BYTES)
    }

    /// [`Pipeline::fit_report`] with the linfa solver's dense matrix held to `dense_limit`
    /// bytes: a larger vocabulary is cut to the most frequent terms that fit.
    pub(crate) fn fit_within<S: AsRef<str>>(
        config: &TrainConfig,
        texts: &[S],
        article: &[usize],
        y: &[usize],
        classes: &[String],
        dense_limit: u64,
    ) -> Result<(Self, FitReport)> {
        config.check()?;
        assert_eq!(texts.len(), y.len(), "one label per text");
        let mut featurizer = config.featurizer.fit(texts)?;
        let mut cap = None;
        // With one class nothing is fitted, so no dense matrix is built.
        let fitted = y.iter().any(|&c| c != y[0]);
        if config.model.solver == Solver::Linfa && fitted {
            let rows = dense_order(y, classes.len(), &config.model).len();
            let fits = usize::try_from(dense_limit / (rows as u64 * 8)).unwrap_or(usize::MAX);
            let terms = featurizer.n_features();
            if terms > fits {
                if fits == 0 {
                    return Err(Error::TooLarge {
                        rows,
                        features: terms,
                        needed_mib: (rows as u64 * terms as u64 * 8) >> 20,
                        limit_mib: dense_limit >> 20,
                    });
                }
                let mut capped = config.featurizer.clone();
                capped.max_features = Some(fits);
                featurizer = capped.fit(texts)?;
                cap = Some(VocabularyCap {
                    requested_max_features: config.featurizer.max_features,
                    terms,
                    kept: featurizer.n_features(),
                    rows,
                    limit_mib: dense_limit >> 20,
                });
            }
        }
        // The sparse solver takes context as a mixing of the own rows; linfa's dense matrix
        // needs the rows with context themselves.
        let (rows, mixing) = match config.model.solver {
            Solver::Lbfgs => (
                featurizer.own_rows_flat(texts),
                featurizer.config().context.mixing(article),
            ),
            Solver::Linfa => (featurizer.transform_articles_flat(texts, article), None),
        };
        let (linear, mut report) = fit_linear(
            rows,
            mixing,
            featurizer.n_features(),
            y,
            classes.len(),
            &config.model,
            dense_limit,
        )?;
        report.vocabulary_cap = cap;
        let pipeline = Pipeline {
            featurizer,
            classes: classes.to_vec(),
            linear,
        };
        Ok((pipeline, report))
    }

    /// Class probabilities for one paragraph on its own (no context), in `classes` order.
    pub fn probabilities(&self, text: &str, buf: &mut TransformBuf) -> Vec<f64> {
        self.featurizer.transform_with(text, buf);
        let mut out = vec![0.0; self.classes.len()];
        self.linear.probabilities_into(&buf.row, &mut out);
        out
    }

    /// Class probabilities for paragraphs of articles (`article[i]` as in [`Pipeline::fit`]);
    /// with context features, each paragraph sees its neighbours.
    pub fn probabilities_articles<S: AsRef<str>>(
        &self,
        texts: &[S],
        article: &[usize],
    ) -> Vec<Vec<f64>> {
        self.probabilities_articles_with(texts, article, |_, _| {})
    }

    /// [`Pipeline::probabilities_articles`], also handing each paragraph's own row (without
    /// context) to `own` with its index. The rows with context are never built: a linear
    /// model's scores for them are a mix of its scores for the own rows.
    pub fn probabilities_articles_with<S: AsRef<str>>(
        &self,
        texts: &[S],
        article: &[usize],
        mut own: impl FnMut(usize, &SparseVec),
    ) -> Vec<Vec<f64>> {
        let k = self.classes.len();
        let mut z = vec![0.0; texts.len() * k];
        self.featurizer.for_each_row(texts, |i, row| {
            self.linear.products_into(row, &mut z[i * k..(i + 1) * k]);
            own(i, row);
        });
        let z = self.featurizer.config().context.mix(&z, k, article);
        z.chunks(k)
            .map(|z| {
                let mut out = z.to_vec();
                self.linear.finish(&mut out);
                out
            })
            .collect()
    }
}

/// Row indices with the smaller classes repeated (cyclically, in order) up to the largest
/// class's count, so that each class carries the same weight in the summed loss: class balance
/// for linfa, which has no sample weights.
fn balanced_indices(y: &[usize], n_classes: usize) -> Vec<usize> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &c) in y.iter().enumerate() {
        by_class[c].push(i);
    }
    let max = by_class.iter().map(Vec::len).max().unwrap_or(0);
    let mut out: Vec<usize> = (0..y.len()).collect();
    for rows in by_class.iter().filter(|r| !r.is_empty()) {
        out.extend(rows.iter().cycle().take(max - rows.len()));
    }
    out
}

/// The rows of the linfa solver's dense matrix, as indices of the paragraphs.
fn dense_order(y: &[usize], n_classes: usize, params: &ModelParams) -> Vec<usize> {
    if params.class_balance {
        balanced_indices(y, n_classes)
    } else {
        (0..y.len()).collect()
    }
}

/// Fits multinomial logistic regression on sparse rows with the configured solver.
fn fit_linear(
    rows: SparseRows,
    mixing: Option<Mixing>,
    n_features: usize,
    y: &[usize],
    n_classes: usize,
    params: &ModelParams,
    dense_limit: u64,
) -> Result<(Linear, FitReport)> {
    let present: Vec<usize> = {
        let mut p: Vec<usize> = y.to_vec();
        p.sort_unstable();
        p.dedup();
        p
    };
    let mut weights = vec![vec![0.0; n_features]; n_classes];
    let mut intercept = vec![f64::NEG_INFINITY; n_classes];
    if present.len() == 1 {
        // One class seen: it takes all the probability, whatever the text.
        intercept[present[0]] = 0.0;
        let report = FitReport {
            solver: params.solver,
            iterations: Some(0),
            evaluations: Some(0),
            gradient_norm: 0.0,
            stop: Stop::OneClass,
            tolerance: 0.0,
            converged: true,
            vocabulary_cap: None,
        };
        return Ok((Linear::new(&weights, intercept), report));
    }
    // Both solvers see only the classes present, numbered in sorted order (as linfa numbers
    // them); a class without paragraphs keeps a logit of minus infinity.
    let k = present.len();
    let tolerance = params.gradient_tolerance * y.len() as f64;
    let local: Vec<usize> = y
        .iter()
        .map(|c| present.binary_search(c).expect("present"))
        .collect();
    let (flat, report) = match params.solver {
        Solver::Lbfgs => {
            let weight = if params.class_balance {
                balanced_weights(&local, k)
            } else {
                vec![1.0; y.len()]
            };
            let mut objective = Objective::new(rows, n_features, &local, k, weight, params.alpha);
            if let Some(mixing) = mixing {
                objective = objective.with_mixing(mixing);
            }
            let m = minimise(&objective, params.max_iterations, tolerance)?;
            let report = FitReport {
                solver: Solver::Lbfgs,
                iterations: Some(m.iterations),
                evaluations: Some(m.evaluations),
                gradient_norm: m.gradient_norm,
                stop: m.stop,
                tolerance,
                converged: m.gradient_norm < tolerance,
                vocabulary_cap: None,
            };
            (m.w, report)
        }
        Solver::Linfa => {
            assert!(mixing.is_none(), "linfa takes the rows with context");
            fit_linfa(rows, n_features, &local, k, params, tolerance, dense_limit)?
        }
    };
    for (col, &class) in present.iter().enumerate() {
        for (f, slot) in weights[class].iter_mut().enumerate() {
            *slot = flat[f * k + col];
        }
        intercept[class] = flat[n_features * k + col];
    }
    if flat.iter().any(|v| !v.is_finite()) {
        return Err(Error::Fit(
            "the optimiser produced non-finite weights; raise --alpha".into(),
        ));
    }
    Ok((Linear::new(&weights, intercept), report))
}

/// Fits with linfa-logistic on a dense matrix; `y` in `0..k`, every class present. Returns the
/// parameters in [`crate::solver::Objective`]'s layout.
fn fit_linfa(
    rows: SparseRows,
    n_features: usize,
    y: &[usize],
    k: usize,
    params: &ModelParams,
    tolerance: f64,
    dense_limit: u64,
) -> Result<(Vec<f64>, FitReport)> {
    let order = dense_order(y, k, params);
    let needed = (order.len() as u64) * (n_features as u64) * 8;
    if needed > dense_limit {
        return Err(Error::TooLarge {
            rows: order.len(),
            features: n_features,
            needed_mib: needed >> 20,
            limit_mib: dense_limit >> 20,
        });
    }
    let mut x = Array2::<f64>::zeros((order.len(), n_features));
    for (r, &src) in order.iter().enumerate() {
        let (indices, values) = rows.row(src);
        for (&i, &v) in indices.iter().zip(values) {
            x[[r, i as usize]] = v;
        }
    }
    let targets = Array1::from_iter(order.iter().map(|&i| y[i]));
    let dataset = Dataset::new(x, targets);
    let fitted = MultiLogisticRegression::default()
        .alpha(params.alpha)
        .max_iterations(params.max_iterations)
        .gradient_tolerance(tolerance)
        .fit(&dataset)
        .map_err(|e| Error::Fit(e.to_string()))?;
    let seen = fitted.classes();
    let w = fitted.params();
    let b = fitted.intercept();
    if !seen.iter().copied().eq(0..k) || w.dim() != (n_features, k) || b.len() != k {
        return Err(Error::Fit(format!(
            "unexpected model shape: {}x{} weights, {} intercepts for {} features and {} classes",
            w.nrows(),
            w.ncols(),
            b.len(),
            n_features,
            k
        )));
    }
    let flat: Vec<f64> = w.iter().chain(b.iter()).copied().collect();
    // linfa does not say whether it converged: measure the gradient of the objective it
    // minimised, in which a paragraph weighs as often as it was repeated.
    let mut repeats = vec![0.0; y.len()];
    order.iter().for_each(|&i| repeats[i] += 1.0);
    let objective = Objective::new(rows, n_features, y, k, repeats, params.alpha);
    let mut grad = vec![0.0; flat.len()];
    objective.loss_grad(&flat, &mut grad);
    let gradient_norm = crate::solver::norm(&grad);
    let report = FitReport {
        solver: Solver::Linfa,
        iterations: None,
        evaluations: None,
        gradient_norm,
        stop: Stop::NotReported,
        tolerance,
        converged: gradient_norm < tolerance,
        vocabulary_cap: None,
    };
    Ok((flat, report))
}

/// Where a model came from: enough to reproduce it and to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The training files as given on the command line, with their SHA-256 and row counts.
    pub training_files: Vec<TrainingFile>,
    pub text_column: String,
    pub label_column: String,
    pub group_column: String,
    pub paragraphs: usize,
    pub groups: usize,
    /// Training paragraphs per class, sorted by class.
    pub class_counts: BTreeMap<String, usize>,
    /// Cross-validated figures on the `data` files (never accuracy on training paragraphs).
    pub cross_validation: Option<CvSummary>,
    /// How the configuration was chosen, when `slant tune` chose it.
    pub tuning: Option<crate::tune::TuningSummary>,
    /// Truncated SHA-256 of each training paragraph's text, sorted: lets `eval --model` keep
    /// training paragraphs out of a held-out score.
    pub training_fingerprints: Vec<String>,
    /// How the final fit ended.
    pub fit: FitReport,
}

/// One training file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingFile {
    pub path: String,
    /// `data` (cross-validation tests on it) or `extra` (training only).
    pub role: String,
    pub sha256: String,
    pub paragraphs: usize,
}

/// The headline cross-validation figures stored in a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CvSummary {
    pub scheme: String,
    /// `None` for leave-one-group-out, else K of grouped K-fold.
    pub group_kfold: Option<usize>,
    pub folds: usize,
    /// Seed of the bootstrap intervals.
    pub seed: u64,
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub accuracy_ci95: [f64; 2],
    pub macro_f1_ci95: [f64; 2],
    pub baseline_accuracy: f64,
    pub baseline_macro_f1: f64,
}

/// The model file: versioned and self-describing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format_version: u32,
    pub crate_version: String,
    pub classes: Vec<String>,
    pub hyperparameters: ModelParams,
    pub featurizer: Tfidf,
    pub weights: Vec<Vec<f64>>,
    pub intercept: Vec<f64>,
    /// For explanations: each stem in the vocabulary and the word it most often came from.
    pub surface_forms: BTreeMap<String, String>,
    pub provenance: Provenance,
}

/// A loaded, validated model ready to score. Immutable and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct StanceModel {
    pub pipeline: Pipeline,
    pub hyperparameters: ModelParams,
    pub surface_forms: BTreeMap<String, String>,
    pub provenance: Provenance,
    pub crate_version: String,
}

/// A term and how much it pushes toward a class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermWeight {
    /// The term as a reader sees it: stems shown as the word they most often came from.
    pub term: String,
    pub weight: f64,
}

impl StanceModel {
    pub fn classes(&self) -> &[String] {
        &self.pipeline.classes
    }

    pub fn featurizer(&self) -> &Tfidf {
        &self.pipeline.featurizer
    }

    /// The configuration this model was trained with.
    pub fn config(&self) -> TrainConfig {
        let mut featurizer = self.pipeline.featurizer.config().clone();
        // A vocabulary capped for the linfa solver is re-capped the same way on retraining.
        if let Some(cap) = &self.provenance.fit.vocabulary_cap {
            featurizer.max_features = cap.requested_max_features;
        }
        TrainConfig {
            featurizer,
            model: self.hyperparameters.clone(),
        }
    }

    /// Probabilities for one paragraph in [`StanceModel::classes`] order.
    pub fn probabilities(&self, text: &str, buf: &mut TransformBuf) -> Vec<f64> {
        self.pipeline.probabilities(text, buf)
    }

    /// True when a paragraph with exactly this text was in the model's training data, so its
    /// label is a fit, not a prediction.
    pub fn was_trained_on(&self, text: &str) -> bool {
        self.provenance
            .training_fingerprints
            .binary_search(&fingerprint(text))
            .is_ok()
    }

    /// Weight of feature `f` for class `c`, minus its mean over the classes: what the feature
    /// adds to class `c`'s logit relative to the others (softmax ignores the shared part).
    fn centred_weight(&self, c: usize, f: usize) -> f64 {
        let linear = &self.pipeline.linear;
        let k = linear.intercept.len();
        let mean = (0..k).map(|d| linear.weight(d, f)).sum::<f64>() / k as f64;
        linear.weight(c, f) - mean
    }

    /// A vocabulary term made readable: each stem replaced by its usual surface word.
    pub fn display_term(&self, term: &str) -> String {
        if term.starts_with('[') {
            return term.to_owned();
        }
        term.split(' ')
            .map(|stem| self.surface_forms.get(stem).map_or(stem, String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The `n` terms that push hardest toward class `c`.
    pub fn top_terms(&self, c: usize, n: usize) -> Vec<TermWeight> {
        let scored = (0..self.featurizer().n_features()).map(|f| (f, self.centred_weight(c, f)));
        self.heaviest(scored.collect(), n)
    }

    /// The `n` terms of a paragraph's row that contribute most toward class `c`
    /// (feature value times centred weight; only positive contributions).
    pub fn explain_row(&self, row: &SparseVec, c: usize, n: usize) -> Vec<TermWeight> {
        let scored = row.iter().map(|(f, v)| (f, v * self.centred_weight(c, f)));
        self.heaviest(scored.filter(|(_, w)| *w > 0.0).collect(), n)
    }

    /// The `n` largest `(feature, weight)` pairs as readable terms (ties: vocabulary order).
    fn heaviest(&self, mut scored: Vec<(usize, f64)>, n: usize) -> Vec<TermWeight> {
        let vocab = self.featurizer().vocabulary();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(n)
            .map(|(f, weight)| TermWeight {
                term: self.display_term(&vocab[f]),
                weight,
            })
            .collect()
    }

    /// Serialises to the model-file JSON (pretty, stable field order, trailing newline).
    pub fn to_json(&self) -> String {
        let file = ModelFile {
            format_version: FORMAT_VERSION,
            crate_version: self.crate_version.clone(),
            classes: self.pipeline.classes.clone(),
            hyperparameters: self.hyperparameters.clone(),
            featurizer: self.pipeline.featurizer.clone(),
            weights: self.pipeline.linear.weights(),
            intercept: self.pipeline.linear.intercept.clone(),
            surface_forms: self.surface_forms.clone(),
            provenance: self.provenance.clone(),
        };
        let mut s = serde_json::to_string_pretty(&file).expect("model serialises");
        s.push('\n');
        s
    }

    /// Writes the model atomically: a temporary file in the same directory, renamed into place.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, self.to_json().as_bytes())
    }

    /// The error for bytes that do not parse as a [`ModelFile`]: not JSON, cut short, another
    /// format version, or a field that is missing or wrong.
    fn explain_parse_error(path: &Path, bytes: &[u8], error: serde_json::Error) -> Error {
        #[derive(Deserialize)]
        struct Head {
            format_version: Option<u32>,
        }
        match serde_json::from_slice::<Head>(bytes) {
            Err(e) => {
                use serde_json::error::Category;
                let problem = match e.classify() {
                    Category::Eof => format!("the file is cut short (truncated?): {e}"),
                    Category::Data => format!("not a model file: {e}"),
                    Category::Syntax | Category::Io => format!("not JSON ({e})"),
                };
                Error::model(path, problem)
            }
            Ok(Head {
                format_version: Some(found),
            }) if found != FORMAT_VERSION => Error::ModelVersion {
                path: path.to_path_buf(),
                found,
                expected: FORMAT_VERSION,
            },
            Ok(Head {
                format_version: None,
            }) => Error::model(path, "no format_version field"),
            Ok(_) => Error::model(path, error.to_string()),
        }
    }

    /// Loads and validates a model file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read model", e))?;
        Self::from_slice(path, &bytes)
    }

    /// Parses and validates model-file bytes; `path` is only used in errors.
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Self> {
        // One pass over the bytes when the file is good; only a file that does not parse is read
        // again for its version, so that a newer file gets a version error, not a field error.
        let file: ModelFile = match serde_json::from_slice(bytes) {
            Ok(file) => file,
            Err(e) => return Err(Self::explain_parse_error(path, bytes, e)),
        };
        if file.format_version != FORMAT_VERSION {
            return Err(Error::ModelVersion {
                path: path.to_path_buf(),
                found: file.format_version,
                expected: FORMAT_VERSION,
            });
        }
        let k = file.classes.len();
        let n = file.featurizer.n_features();
        if k < 2 {
            return Err(Error::model(
                path,
                format!("{k} classes; a model needs at least 2"),
            ));
        }
        if file.classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::model(path, "classes are not sorted and unique"));
        }
        if file.weights.len() != k || file.intercept.len() != k {
            return Err(Error::model(
                path,
                format!(
                    "{} classes but {} weight rows and {} intercepts",
                    k,
                    file.weights.len(),
                    file.intercept.len()
                ),
            ));
        }
        if let Some((c, row)) = file.weights.iter().enumerate().find(|(_, r)| r.len() != n) {
            return Err(Error::model(
                path,
                format!(
                    "vocabulary has {n} terms but the weights of class `{}` have {}",
                    file.classes[c],
                    row.len()
                ),
            ));
        }
        if file
            .weights
            .iter()
            .flatten()
            .chain(&file.intercept)
            .any(|v| !v.is_finite() || v.abs() > MAX_WEIGHT)
        {
            return Err(Error::model(
                path,
                format!("weights contain non-finite numbers or numbers beyond ±{MAX_WEIGHT:e}"),
            ));
        }
        if file
            .provenance
            .training_fingerprints
            .windows(2)
            .any(|w| w[0] >= w[1])
        {
            return Err(Error::model(
                path,
                "training fingerprints are not sorted and unique",
            ));
        }
        file.hyperparameters
            .check()
            .map_err(|e| Error::model(path, e.to_string()))?;
        Ok(StanceModel {
            pipeline: Pipeline {
                featurizer: file.featurizer,
                classes: file.classes,
                linear: Linear::new(&file.weights, file.intercept),
            },
            hyperparameters: file.hyperparameters,
            surface_forms: file.surface_forms,
            provenance: file.provenance,
            crate_version: file.crate_version,
        })
    }
}

/// For every stem used in the vocabulary, the lowercase word it most often came from in `texts`
/// (ties: the alphabetically first).
pub fn surface_forms<S: AsRef<str>>(featurizer: &Tfidf, texts: &[S]) -> BTreeMap<String, String> {
    let analyzer = crate::analysis::Analyzer::new(featurizer.config().analyzer.clone())
        .expect("config checked when fitted");
    let mut used: std::collections::BTreeSet<&str> = Default::default();
    for term in featurizer
        .vocabulary()
        .iter()
        .filter(|t| !t.starts_with('['))
    {
        used.extend(term.split(' '));
    }
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (lower, stem, n) in analyzer.word_form_counts(texts) {
        if used.contains(stem.as_str()) {
            counts.entry(stem).or_default().insert(lower, n);
        }
    }
    counts
        .into_iter()
        .filter_map(|(stem, forms)| {
            // max_by keeps the last maximum; iterate in reverse so ties go to the first word.
            let word = forms.into_iter().rev().max_by_key(|(_, n)| *n)?.0;
            // A stem that is itself the usual word needs no entry.
            (word != stem).then_some((stem, word))
        })
        .collect()
}

/// A short, stable fingerprint of a paragraph's text.
pub fn fingerprint(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_forms_are_the_commonest_lowercase_word_of_each_stem() {
        let texts = [
            "Talks failed; the talks resumed. TALKS!",
            "Talking helps, talked once, strikes and striking",
        ];
        let tfidf = TfidfConfig::default().fit(&texts).unwrap();
        let forms = surface_forms(&tfidf, &texts);
        // "talks" 3 times against "talking" and "talked" once; "strike" is itself a word, but
        // "strikes" and "striking" tie and the first in order wins.
        assert_eq!(forms.get("talk").map(String::as_str), Some("talks"));
        assert_eq!(forms.get("strike").map(String::as_str), Some("strikes"));
        assert_eq!(forms.get("fail").map(String::as_str), Some("failed"));
        // A stem that is its own commonest word has no entry.
        assert!(!forms.contains_key("the") && !forms.contains_key("once"));
    }

    /// Six paragraphs, each its own article, two per class.
    const TOY_TEXTS: [&str; 6] = [
        "strike the camps now",
        "more strikes and force",
        "talk to Kabul and trade",
        "dialogue and trade open",
        "policy failed badly",
        "a failed and costly policy",
    ];
    const TOY_Y: [usize; 6] = [2, 2, 0, 0, 1, 1];
    const TOY_ARTICLES: [usize; 6] = [0, 1, 2, 3, 4, 5];

    fn toy() -> Pipeline {
        let classes = ["conciliatory", "critical", "hawkish"].map(String::from);
        Pipeline::fit(
            &TrainConfig::default(),
            &TOY_TEXTS,
            &TOY_ARTICLES,
            &TOY_Y,
            &classes,
        )
        .unwrap()
    }

    #[test]
    fn learns_a_toy_problem_and_probabilities_sum_to_one() {
        let p = toy();
        let mut buf = TransformBuf::default();
        let probs = p.probabilities("strikes and force on the camps", &mut buf);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let best = probs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(best, 2);
    }

    #[test]
    fn sparse_scoring_matches_linfa() {
        // Regression guard: the sparse dot product must agree with linfa's dense prediction.
        let p = toy();
        let text = "trade and dialogue after the strikes";
        let row = p.featurizer.transform(text);
        let n = p.featurizer.n_features();
        let mut dense = Array2::<f64>::zeros((1, n));
        for (i, v) in row.iter() {
            dense[[0, i]] = v;
        }
        let w = Array2::from_shape_fn((n, 3), |(f, c)| p.linear.weight(c, f));
        let logits = dense.dot(&w) + &Array1::from(p.linear.intercept.clone());
        let mut expect: Vec<f64> = logits.row(0).to_vec();
        softmax(&mut expect);
        let got = p.probabilities(text, &mut TransformBuf::default());
        for (a, b) in got.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn single_class_training_predicts_that_class() {
        let classes = ["a", "b"].map(String::from);
        let p = Pipeline::fit(
            &TrainConfig::default(),
            &["x", "y"],
            &[0, 1],
            &[1, 1],
            &classes,
        )
        .unwrap();
        assert_eq!(
            p.probabilities("x", &mut TransformBuf::default()),
            [0.0, 1.0]
        );
    }

    #[test]
    fn rejects_bad_params_before_fitting() {
        let mut c = TrainConfig::default();
        c.model.alpha = 0.0;
        let classes = ["a", "b"].map(String::from);
        let err = Pipeline::fit(&c, &["x", "y"], &[0, 1], &[0, 1], &classes).unwrap_err();
        assert!(matches!(err, Error::Param { name: "alpha", .. }));
    }

    /// A model around `pipeline`, with an empty provenance.
    fn wrap(pipeline: Pipeline) -> StanceModel {
        StanceModel {
            pipeline,
            surface_forms: BTreeMap::new(),
            hyperparameters: ModelParams::default(),
            provenance: Provenance {
                training_files: Vec::new(),
                text_column: "text".into(),
                label_column: "label".into(),
                group_column: "doc".into(),
                paragraphs: 6,
                groups: 6,
                class_counts: BTreeMap::new(),
                cross_validation: None,
                tuning: None,
                training_fingerprints: Vec::new(),
                fit: FitReport {
                    solver: Solver::Lbfgs,
                    iterations: Some(0),
                    evaluations: Some(0),
                    gradient_norm: 0.0,
                    stop: Stop::GradientTolerance,
                    tolerance: 1e-6,
                    converged: true,
                    vocabulary_cap: None,
                },
            },
            crate_version: "0".into(),
        }
    }

    #[test]
    fn huge_weights_are_refused_on_load() {
        // Regression: finite weights of 1e308 loaded, overflowed the logits to infinity and
        // made every probability NaN (printed as null).
        let json = wrap(toy()).to_json();
        let path = Path::new("m.json");
        let back = StanceModel::from_slice(path, json.as_bytes()).unwrap();
        let probs = back.probabilities("strike the camps", &mut TransformBuf::default());
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["weights"][0][0] = serde_json::json!(1e308);
        let err = StanceModel::from_slice(path, value.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("beyond"), "{err}");
        // Regression (once context features met the weight bound): context weights of 1e308
        // overflowed a repeated paragraph's row to infinity, and its probabilities to NaN.
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let context = &mut value["featurizer"]["config"]["context"];
        context["neighbour_weight"] = serde_json::json!(1.7e308);
        context["article_weight"] = serde_json::json!(1.7e308);
        let err = StanceModel::from_slice(path, value.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("from 0 to 1e100"), "{err}");
    }

    #[test]
    fn a_newer_file_gets_a_version_error_whatever_its_fields() {
        let json = wrap(toy()).to_json();
        let path = Path::new("m.json");
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["format_version"] = serde_json::json!(FORMAT_VERSION + 1);
        value["new_field"] = serde_json::json!([1, 2]);
        let err = StanceModel::from_slice(path, value.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::ModelVersion { found, .. } if found == FORMAT_VERSION + 1),
            "{err}"
        );
        value.as_object_mut().unwrap().remove("format_version");
        let err = StanceModel::from_slice(path, value.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("no format_version field"), "{err}");
        value["format_version"] = serde_json::json!(FORMAT_VERSION);
        let err = StanceModel::from_slice(path, value.to_string().as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `new_field`"),
            "{err}"
        );
    }

    #[test]
    fn models_of_the_previous_formats_ask_to_be_retrained() {
        // Format 1 models were trained by linfa with class balance by repetition and have no
        // solver; format 2 models with context were trained on rows scaled back to unit length.
        // They must be retrained, not silently read.
        for old in [1, 2] {
            let mut value: serde_json::Value =
                serde_json::from_str(&wrap(toy()).to_json()).unwrap();
            value["format_version"] = serde_json::json!(old);
            let err = StanceModel::from_slice(Path::new("old.json"), value.to_string().as_bytes())
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(&format!("format version {old} is not supported"))
                    && text.contains("retrain it with `slant train`"),
                "{text}"
            );
        }
    }

    #[test]
    fn model_file_round_trips_to_the_same_bytes() {
        // Regression: without serde_json's exact float parsing, a loaded weight could differ
        // from the saved one in the last bit, and re-saving changed the file.
        let p = toy();
        let model = wrap(Pipeline {
            linear: Linear::new(
                &p.linear
                    .weights()
                    .iter()
                    .map(|r| r.iter().map(|w| w + 0.21176470588235294).collect())
                    .collect::<Vec<_>>(),
                p.linear.intercept.clone(),
            ),
            ..p
        });
        let json = model.to_json();
        let back = StanceModel::from_slice(Path::new("m.json"), json.as_bytes()).unwrap();
        assert_eq!(back.to_json(), json);
    }

    /// The seed labels: texts, article of each, label indices, classes.
    fn seed_labels() -> (Vec<String>, Vec<usize>, Vec<usize>, Vec<String>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("labels/seeds.tsv");
        let columns = crate::dataset::Columns {
            text: "text".into(),
            label: "label".into(),
            group: "doc".into(),
        };
        let data = crate::dataset::Dataset::read_all(&[path], &columns, None).unwrap();
        let classes = data.classes();
        let y = data
            .examples
            .iter()
            .map(|e| classes.binary_search(&e.label).unwrap())
            .collect();
        let texts = data.examples.iter().map(|e| e.text.clone()).collect();
        (texts, data.group_indices().0, y, classes)
    }

    /// Largest difference between the two solvers' probabilities on the training paragraphs,
    /// and the gradient-norm threshold both were given.
    fn solver_gap<S: AsRef<str>>(
        config: &TrainConfig,
        texts: &[S],
        article: &[usize],
        y: &[usize],
    ) -> (f64, f64) {
        let classes = ["a", "b", "c"].map(String::from);
        let mut probs = Vec::new();
        let mut tolerance = 0.0;
        for solver in [Solver::Lbfgs, Solver::Linfa] {
            let mut c = config.clone();
            c.model.solver = solver;
            let (p, report) = Pipeline::fit_report(&c, texts, article, y, &classes).unwrap();
            // linfa's own stopping rule may leave it a little above the threshold.
            assert!(
                report.converged
                    || (solver == Solver::Linfa && report.gradient_norm < 2.0 * report.tolerance),
                "{report:?}"
            );
            tolerance = report.tolerance;
            probs.push(p.probabilities_articles(texts, article));
        }
        let gap = probs[0]
            .iter()
            .flatten()
            .zip(probs[1].iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        (gap, tolerance)
    }

    #[test]
    fn sparse_solver_matches_linfa() {
        // The same objective from the same start, minimised by two L-BFGS implementations (ours
        // on sparse rows, with its own line search; argmin's with More-Thuente's on linfa's
        // dense matrix). They stop at different points near the one minimum, so their
        // probabilities differ by about what the gradient-norm threshold allows, and shrink with
        // it. Measured: 0.03-0.05 times the threshold, at both tolerances (toy 3e-7 and 2.5e-9,
        // seeds 2.3e-6 and 2.3e-8).
        let mut config = TrainConfig::default();
        let (texts, article, y, _) = seed_labels();
        for tolerance in [config.model.gradient_tolerance, 1e-8] {
            config.model.gradient_tolerance = tolerance;
            config.model.max_iterations = 1000;
            let (gap, threshold) = solver_gap(&config, &TOY_TEXTS, &TOY_ARTICLES, &TOY_Y);
            assert!(gap < 0.1 * threshold, "toy at {tolerance:e}: {gap:e}");
            let mut seeds = config.clone();
            seeds.featurizer.context.window = 1;
            seeds.featurizer.context.neighbour_weight = 0.5;
            let (gap, threshold) = solver_gap(&seeds, &texts, &article, &y);
            assert!(gap < 0.1 * threshold, "seeds at {tolerance:e}: {gap:e}");
        }
    }

    #[test]
    fn class_balance_weights_match_exact_repetition() {
        // With class counts 4, 2, 1, linfa's repetition gives each paragraph exactly
        // max / n_c copies: the weights n / (k n_c) times k max / n. Scaling linfa's alpha by
        // the same factor makes its objective a multiple of ours, with the same minimum.
        let texts = [
            "strike the camps",
            "strike hard now",
            "force and strikes",
            "camps must go",
            "talk and trade",
            "trade with Kabul",
            "the policy failed",
        ]
        .map(String::from);
        let y = [2, 2, 2, 2, 0, 0, 1];
        let article: Vec<usize> = (0..7).collect();
        let mut ours = TrainConfig::default();
        ours.model.class_balance = true;
        ours.model.gradient_tolerance = 1e-9;
        let mut theirs = ours.clone();
        theirs.model.solver = Solver::Linfa;
        theirs.model.alpha *= 3.0 * 4.0 / 7.0;
        let classes = ["a", "b", "c"].map(String::from);
        let a = Pipeline::fit(&ours, &texts, &article, &y, &classes).unwrap();
        let b = Pipeline::fit(&theirs, &texts, &article, &y, &classes).unwrap();
        let (pa, pb) = (
            a.probabilities_articles(&texts, &article),
            b.probabilities_articles(&texts, &article),
        );
        for (x, z) in pa.iter().flatten().zip(pb.iter().flatten()) {
            assert!((x - z).abs() < 1e-8, "{x} vs {z}");
        }
        // And balancing does change the fit: the lone `critical` paragraph gains.
        let mut plain = ours.clone();
        plain.model.class_balance = false;
        let c = Pipeline::fit(&plain, &texts, &article, &y, &classes).unwrap();
        let pc = c.probabilities_articles(&texts, &article);
        assert!(pa[6][1] > pc[6][1] + 0.01, "{} vs {}", pa[6][1], pc[6][1]);
    }

    #[test]
    fn weights_do_not_depend_on_the_thread_count() {
        let (texts, article, y, classes) = seed_labels();
        let mut context = TrainConfig::default();
        context.featurizer.context.window = 2;
        context.featurizer.context.neighbour_weight = 0.5;
        for config in [TrainConfig::default(), context] {
            let fit = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let p = pool
                    .install(|| Pipeline::fit(&config, &texts, &article, &y, &classes).unwrap());
                let model = wrap(p);
                model.to_json()
            };
            assert_eq!(fit(1), fit(2));
        }
    }

    #[test]
    fn non_convergence_is_reported() {
        let (texts, article, y, classes) = seed_labels();
        for solver in [Solver::Lbfgs, Solver::Linfa] {
            let mut config = TrainConfig::default();
            config.model.solver = solver;
            config.model.max_iterations = 2;
            let (_, report) =
                Pipeline::fit_report(&config, &texts, &article, &y, &classes).unwrap();
            assert!(!report.converged, "{report:?}");
            assert!(report.gradient_norm > report.tolerance);
            let expected = match solver {
                Solver::Lbfgs => Stop::IterationCap,
                Solver::Linfa => Stop::NotReported,
            };
            assert_eq!(report.stop, expected);
            let warnings = fit_warnings(&[report.clone(), report], &config.model);
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(
                warnings[0].contains("did not converge in 2 of 2 fits")
                    && warnings[0].contains("--max-iter (now 2)"),
                "{}",
                warnings[0]
            );
        }
        let (_, report) =
            Pipeline::fit_report(&TrainConfig::default(), &texts, &article, &y, &classes).unwrap();
        assert!(report.converged && report.stop == Stop::GradientTolerance);
        assert!(report.iterations.unwrap() < 500);
        assert!(fit_warnings(std::slice::from_ref(&report), &ModelParams::default()).is_empty());
        // A stall is not cured by more iterations, and the warning does not say it is.
        let stalled = FitReport {
            stop: Stop::NoProgress,
            converged: false,
            gradient_norm: 2e-5,
            ..report
        };
        let warnings = fit_warnings(&[stalled], &ModelParams::default());
        assert!(
            warnings.len() == 1
                && warnings[0].contains("the loss stopped changing")
                && warnings[0].contains("more iterations would not help")
                && !warnings[0].contains("--max-iter"),
            "{warnings:?}"
        );
    }

    #[test]
    fn linfa_vocabulary_is_capped_to_the_dense_limit() {
        let texts = [
            "strike the camps now",
            "more strikes and force",
            "talk to Kabul and trade",
            "dialogue and trade open",
        ];
        let (article, y) = ([0, 1, 2, 3], [1, 1, 0, 0]);
        let classes = ["a", "b"].map(String::from);
        let mut config = TrainConfig::default();
        config.model.solver = Solver::Linfa;
        let full = config.featurizer.fit(&texts).unwrap().n_features();
        // Room for 4 rows x 5 features of 8 bytes.
        let limit = 4 * 5 * 8;
        let (p, report) =
            Pipeline::fit_within(&config, &texts, &article, &y, &classes, limit).unwrap();
        let cap = report.vocabulary_cap.clone().expect("capped");
        assert_eq!((cap.terms, cap.kept, cap.rows), (full, 5, 4));
        assert_eq!(cap.requested_max_features, None);
        // The kept terms are what max_features keeps.
        let mut five = config.featurizer.clone();
        five.max_features = Some(5);
        assert_eq!(
            p.featurizer.vocabulary(),
            five.fit(&texts).unwrap().vocabulary()
        );
        let warnings = fit_warnings(std::slice::from_ref(&report), &config.model);
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("only the 5 most frequent terms")
                    && w.contains("--solver lbfgs")),
            "{warnings:?}"
        );
        // A model so capped asks for the same cap when retrained from its configuration.
        let mut model = wrap(p);
        model.provenance.fit = report;
        assert_eq!(model.config().featurizer.max_features, None);
        // Class balance repeats rows for linfa (3 + 3 here), so fewer terms fit.
        config.model.class_balance = true;
        let (_, report) =
            Pipeline::fit_within(&config, &texts, &article, &[1, 1, 1, 0], &classes, limit)
                .unwrap();
        let cap = report.vocabulary_cap.expect("capped");
        assert_eq!((cap.rows, cap.kept), (6, 3));
        config.model.class_balance = false;
        // The sparse solver needs no cap.
        config.model.solver = Solver::Lbfgs;
        let (p, report) =
            Pipeline::fit_within(&config, &texts, &article, &y, &classes, limit).unwrap();
        assert_eq!(p.featurizer.n_features(), full);
        assert!(report.vocabulary_cap.is_none());
        // When not even one feature per row fits, a clear error, not an allocation.
        config.model.solver = Solver::Linfa;
        let err = Pipeline::fit_within(&config, &texts, &article, &y, &classes, 31).unwrap_err();
        assert!(matches!(err, Error::TooLarge { rows: 4, .. }), "{err}");
    }

    #[test]
    fn class_balance_repeats_smaller_classes() {
        assert_eq!(
            balanced_indices(&[0, 0, 0, 1, 2, 2], 3),
            [0, 1, 2, 3, 4, 5, 3, 3, 4]
        );
    }

    #[test]
    fn model_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<StanceModel>();
    }
}
