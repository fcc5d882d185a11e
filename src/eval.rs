//! Honest evaluation: grouped cross-validation with the featurizer refit in every fold, a saved
//! model on held-out data, metrics, the majority-class baseline, and bootstrap intervals.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::{Dataset, Strength};
use crate::error::{Error, Result};
use crate::model::{fingerprint, FitReport, Pipeline, StanceModel, TrainConfig};

/// Number of bootstrap resamples behind every interval.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;

/// How paragraphs are split into folds. Groups (articles) never straddle a fold boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldScheme {
    /// One fold per group.
    LeaveOneGroupOut,
    /// K folds of whole groups, balanced by paragraph count.
    GroupKFold(usize),
}

impl FoldScheme {
    fn describe(&self, n_folds: usize) -> String {
        match self {
            FoldScheme::LeaveOneGroupOut => format!("leave-one-group-out ({n_folds} folds)"),
            FoldScheme::GroupKFold(k) => format!("grouped {k}-fold"),
        }
    }
}

/// Per-class precision, recall, F1 and support.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Metrics of one set of predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: Vec<ClassMetrics>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

/// Computes metrics over `labels`; macro-F1 averages the labels that occur in the truth or the
/// predictions (as scikit-learn does by default).
pub fn metrics(labels: &[String], truth: &[usize], pred: &[usize]) -> Metrics {
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (&t, &p) in truth.iter().zip(pred) {
        confusion[t][p] += 1;
    }
    let n = truth.len();
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let mut per_class = Vec::with_capacity(k);
    let mut f1_sum = 0.0;
    let mut present = 0;
    for (i, label) in labels.iter().enumerate() {
        let support: usize = confusion[i].iter().sum();
        let predicted: usize = confusion.iter().map(|row| row[i]).sum();
        let tp = confusion[i][i] as f64;
        let precision = if predicted > 0 {
            tp / predicted as f64
        } else {
            0.0
        };
        let recall = if support > 0 {
            tp / support as f64
        } else {
            0.0
        };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        if support > 0 || predicted > 0 {
            f1_sum += f1;
            present += 1;
        }
        per_class.push(ClassMetrics {
            label: label.clone(),
            precision,
            recall,
            f1,
            support,
        });
    }
    Metrics {
        n,
        accuracy: if n > 0 {
            correct as f64 / n as f64
        } else {
            0.0
        },
        macro_f1: if present > 0 {
            f1_sum / present as f64
        } else {
            0.0
        },
        per_class,
        confusion,
    }
}

/// Predictions gathered from an evaluation, one entry per evaluated paragraph.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub truth: Vec<usize>,
    pub pred: Vec<usize>,
    /// The majority-class baseline's prediction.
    pub baseline: Vec<usize>,
    /// Group index of each paragraph (bootstrap resamples groups).
    pub group: Vec<usize>,
    pub strength: Vec<Option<Strength>>,
    /// Index of each paragraph in the evaluated dataset's examples.
    pub row: Vec<usize>,
    /// The model's class probabilities for each paragraph, in [`Evaluation::labels`] order (0 for
    /// a label the model does not have); `pred` is the largest.
    pub probabilities: Vec<Vec<f64>>,
}

impl Outcome {
    /// An outcome for every example of `data`, in order, with predictions still to be filled in.
    pub(crate) fn unfilled(truth: Vec<usize>, group: Vec<usize>, data: &Dataset) -> Self {
        let n = truth.len();
        Outcome {
            truth,
            row: (0..n).collect(),
            pred: vec![0; n],
            baseline: vec![0; n],
            group,
            strength: data.examples.iter().map(|e| e.strength).collect(),
            probabilities: vec![Vec::new(); n],
        }
    }

    /// Number of evaluated paragraphs.
    pub fn len(&self) -> usize {
        self.truth.len()
    }

    pub fn is_empty(&self) -> bool {
        self.truth.is_empty()
    }

    /// The largest probability of paragraph `i`: how sure the model was of its label.
    pub fn top(&self, i: usize) -> f64 {
        self.probabilities[i][self.pred[i]]
    }
}

/// Figures for one subset of paragraphs.
#[derive(Debug, Clone)]
pub struct Scores {
    pub metrics: Metrics,
    pub baseline: Metrics,
    pub accuracy_ci95: [f64; 2],
    pub macro_f1_ci95: [f64; 2],
    pub groups: usize,
}

/// An evaluation report.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// What was evaluated, e.g. "leave-one-group-out (5 folds)" or "saved model on held-out data".
    pub scheme: String,
    pub folds: usize,
    pub labels: Vec<String>,
    pub all: Scores,
    /// The same figures on paragraphs labelled `clear`, when the data has strengths.
    pub clear: Option<Scores>,
    /// Paragraphs left out because the model was trained on them.
    pub excluded_training: usize,
    /// Every evaluated paragraph's row, truth, prediction and probabilities, in dataset order.
    pub outcome: Outcome,
    /// How each fold's model fit ended, in fold order (empty for a saved model).
    pub fits: Vec<FitReport>,
}

fn scores(labels: &[String], o: &Outcome, keep: &[usize], seed: u64) -> Scores {
    let pick = |v: &[usize]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let (truth, pred, base) = (pick(&o.truth), pick(&o.pred), pick(&o.baseline));
    let group = pick(&o.group);
    let (accuracy_ci95, macro_f1_ci95) = bootstrap(labels, &truth, &pred, &group, seed);
    let mut groups = group.clone();
    groups.sort_unstable();
    groups.dedup();
    Scores {
        metrics: metrics(labels, &truth, &pred),
        baseline: metrics(labels, &truth, &base),
        accuracy_ci95,
        macro_f1_ci95,
        groups: groups.len(),
    }
}

/// Percentile 95% intervals for accuracy and macro-F1 from resampling whole groups (articles)
/// with replacement: paragraphs of one article are not independent, so resampling paragraphs
/// would give intervals that are too narrow.
pub fn bootstrap(
    labels: &[String],
    truth: &[usize],
    pred: &[usize],
    group: &[usize],
    seed: u64,
) -> ([f64; 2], [f64; 2]) {
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut ids: Vec<usize> = group.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for &g in &ids {
        members.push((0..group.len()).filter(|&i| group[i] == g).collect());
    }
    if members.is_empty() {
        return ([0.0, 0.0], [0.0, 0.0]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut accs = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut f1s = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let (mut t, mut p) = (Vec::new(), Vec::new());
    for _ in 0..BOOTSTRAP_RESAMPLES {
        t.clear();
        p.clear();
        for _ in 0..members.len() {
            let g = &members[rng.gen_range(0..members.len())];
            t.extend(g.iter().map(|&i| truth[i]));
            p.extend(g.iter().map(|&i| pred[i]));
        }
        let m = metrics(labels, &t, &p);
        accs.push(m.accuracy);
        f1s.push(m.macro_f1);
    }
    (
        percentile_interval(&mut accs),
        percentile_interval(&mut f1s),
    )
}

/// The 2.5th and 97.5th percentiles of `v` (sorted in place): a percentile 95% interval from
/// bootstrap or other resampled estimates. `v` must not be empty.
pub fn percentile_interval(v: &mut [f64]) -> [f64; 2] {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let lo = ((n as f64) * 0.025).floor() as usize;
    let hi = (((n as f64) * 0.975).ceil() as usize).clamp(1, n) - 1;
    [v[lo.min(n - 1)], v[hi]]
}

pub(crate) fn summarize(
    scheme: String,
    folds: usize,
    labels: Vec<String>,
    o: Outcome,
    excluded: usize,
    seed: u64,
) -> Evaluation {
    let all_idx: Vec<usize> = (0..o.truth.len()).collect();
    let all = scores(&labels, &o, &all_idx, seed);
    let has_strength = o.strength.iter().any(Option::is_some);
    let clear = has_strength.then(|| {
        let idx: Vec<usize> = (0..o.truth.len())
            .filter(|&i| o.strength[i] == Some(Strength::Clear))
            .collect();
        scores(&labels, &o, &idx, seed)
    });
    Evaluation {
        scheme,
        folds,
        labels,
        all,
        clear,
        excluded_training: excluded,
        outcome: o,
        fits: Vec::new(),
    }
}

/// Index of the most frequent label; ties go to the first label in sorted order.
fn majority(y: impl Iterator<Item = usize>, k: usize) -> usize {
    let mut counts = vec![0usize; k];
    y.for_each(|c| counts[c] += 1);
    let max = counts.iter().copied().max().unwrap_or(0);
    counts.iter().position(|&c| c == max).unwrap_or(0)
}

/// Assigns each group to a fold.
pub fn assign_folds(group_sizes: &[usize], scheme: FoldScheme) -> Result<Vec<usize>> {
    let n = group_sizes.len();
    match scheme {
        FoldScheme::LeaveOneGroupOut => {
            if n < 2 {
                return Err(Error::param(
                    "folds",
                    format!("cross-validation needs at least 2 groups (articles), found {n}"),
                ));
            }
            Ok((0..n).collect())
        }
        FoldScheme::GroupKFold(k) => {
            if k < 2 || k > n {
                return Err(Error::param(
                    "folds",
                    format!("needs 2 <= K <= {n} (the number of groups), got {k}"),
                ));
            }
            // Largest groups first, each to the currently smallest fold (scikit-learn's GroupKFold).
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| group_sizes[b].cmp(&group_sizes[a]).then(a.cmp(&b)));
            let mut load = vec![0usize; k];
            let mut fold = vec![0usize; n];
            for g in order {
                let f = (0..k).min_by_key(|&f| (load[f], f)).expect("k >= 2");
                fold[g] = f;
                load[f] += group_sizes[g];
            }
            Ok(fold)
        }
    }
}

/// Class probabilities of one paragraph and the majority class of the fold that scored it.
pub type FoldPrediction = (Vec<f64>, usize);

/// Labelled paragraphs prepared for repeated fitting: texts, article ids, label indices.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub texts: Vec<&'a str>,
    /// Article index of each paragraph (for context features).
    pub article: Vec<usize>,
    pub y: Vec<usize>,
    /// Sorted class names; `y` indexes into them.
    pub labels: Vec<String>,
}

impl<'a> Prepared<'a> {
    pub fn new(data: &'a Dataset) -> Self {
        let labels = data.classes();
        let y = data
            .examples
            .iter()
            .map(|e| labels.binary_search(&e.label).expect("label present"))
            .collect();
        Prepared {
            texts: data.examples.iter().map(|e| e.text.as_str()).collect(),
            article: data.group_indices().0,
            y,
            labels,
        }
    }

    /// Fits `config` on the paragraphs `train` and returns class probabilities for `test`
    /// (each test paragraph sees its article's other test paragraphs as context), plus the
    /// majority class of the training part and how the fit ended.
    pub fn fit_predict(
        &self,
        config: &TrainConfig,
        train: &[usize],
        test: &[usize],
    ) -> Result<(Vec<Vec<f64>>, usize, FitReport)> {
        let pick = |idx: &[usize], v: &[usize]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let texts: Vec<&str> = train.iter().map(|&i| self.texts[i]).collect();
        let ys = pick(train, &self.y);
        let (pipeline, fit) = Pipeline::fit_report(
            config,
            &texts,
            &pick(train, &self.article),
            &ys,
            &self.labels,
        )?;
        let test_texts: Vec<&str> = test.iter().map(|&i| self.texts[i]).collect();
        let probs = pipeline.probabilities_articles(&test_texts, &pick(test, &self.article));
        Ok((probs, majority(ys.iter().copied(), self.labels.len()), fit))
    }

    /// Grouped cross-validation restricted to the paragraphs `pool`: folds are made of whole
    /// articles of `pool`, and `always_train` paragraphs join every training part. Returns the
    /// number of folds, for each paragraph of `pool` (in order) its probabilities and the fold's
    /// majority class, and each fold's fit report.
    pub fn cross_val(
        &self,
        config: &TrainConfig,
        pool: &[usize],
        always_train: &[usize],
        scheme: FoldScheme,
    ) -> Result<(usize, Vec<FoldPrediction>, Vec<FitReport>)> {
        let mut groups: Vec<usize> = pool.iter().map(|&i| self.article[i]).collect();
        groups.sort_unstable();
        groups.dedup();
        let mut sizes = vec![0usize; groups.len()];
        let local: Vec<usize> = pool
            .iter()
            .map(|&i| {
                groups
                    .binary_search(&self.article[i])
                    .expect("group present")
            })
            .collect();
        local.iter().for_each(|&g| sizes[g] += 1);
        let fold_of_group = assign_folds(&sizes, scheme)?;
        let n_folds = fold_of_group.iter().max().map_or(0, |m| m + 1);
        let fold: Vec<usize> = local.iter().map(|&g| fold_of_group[g]).collect();
        type Fold = (Vec<(usize, FoldPrediction)>, FitReport);
        let per_fold: Vec<Result<Fold>> = (0..n_folds)
            .into_par_iter()
            .map(|f| {
                let mut train: Vec<usize> = (0..pool.len())
                    .filter(|&j| fold[j] != f)
                    .map(|j| pool[j])
                    .collect();
                train.extend_from_slice(always_train);
                let test_pos: Vec<usize> = (0..pool.len()).filter(|&j| fold[j] == f).collect();
                let test: Vec<usize> = test_pos.iter().map(|&j| pool[j]).collect();
                let (probs, base, fit) = self.fit_predict(config, &train, &test)?;
                let predictions = test_pos
                    .into_iter()
                    .zip(probs)
                    .map(|(j, p)| (j, (p, base)))
                    .collect();
                Ok((predictions, fit))
            })
            .collect();
        let mut out = vec![(Vec::new(), 0); pool.len()];
        let mut fits = Vec::with_capacity(n_folds);
        for r in per_fold {
            let (predictions, fit) = r?;
            for (j, prediction) in predictions {
                out[j] = prediction;
            }
            fits.push(fit);
        }
        Ok((n_folds, out, fits))
    }
}

/// Grouped cross-validation: the featurizer and model are refit on every fold's training part.
/// Folds are made from `data`'s groups (articles); `extra` paragraphs (e.g. text written for
/// training) join every fold's training part and are never tested on.
pub fn cross_validate(
    data: &Dataset,
    extra: Option<&Dataset>,
    config: &TrainConfig,
    scheme: FoldScheme,
    seed: u64,
) -> Result<Evaluation> {
    config.check()?;
    let all = data.with_extra(extra)?;
    let prepared = Prepared::new(&all);
    let n_test = data.examples.len();
    let pool: Vec<usize> = (0..n_test).collect();
    let always: Vec<usize> = (n_test..all.examples.len()).collect();
    let (n_folds, results, fits) = prepared.cross_val(config, &pool, &always, scheme)?;
    let mut outcome = Outcome {
        truth: prepared.y[..n_test].to_vec(),
        row: (0..n_test).collect(),
        group: data.group_indices().0,
        strength: data.examples.iter().map(|e| e.strength).collect(),
        ..Outcome::default()
    };
    for (p, b) in results {
        outcome.pred.push(argmax(&p));
        outcome.baseline.push(b);
        outcome.probabilities.push(p);
    }
    let mut scheme_text = scheme.describe(n_folds);
    if let Some(extra) = extra {
        scheme_text.push_str(&format!(
            ", every fold also trained on {} ({} paragraphs, never tested)",
            extra.name(),
            extra.examples.len()
        ));
    }
    let mut evaluation = summarize(scheme_text, n_folds, prepared.labels, outcome, 0, seed);
    evaluation.fits = fits;
    Ok(evaluation)
}

/// Leave-one-group-out over `data` where each outer fold first *chooses* among `candidates`:
/// by leave-one-group-out over the other groups of `data` only (macro-F1; ties go to the earlier
/// candidate), with `extra` in every training part; the choice is then fitted on every other
/// group (plus `extra`) and scored on the held-out one. So the reported figure never comes from
/// the paragraphs a choice was made on: it estimates what choosing among `candidates` by
/// `data` is worth on a group of `data` not yet seen. Returns the evaluation and the candidate
/// chosen in each outer fold (in sorted group order).
///
/// Fits: one per candidate and unordered pair of groups (the model trained without both scores
/// both), plus one per candidate and group.
pub fn nested_leave_one_out(
    data: &Dataset,
    extra: Option<&Dataset>,
    candidates: &[TrainConfig],
    seed: u64,
) -> Result<(Evaluation, Vec<usize>)> {
    if candidates.is_empty() {
        return Err(Error::param("candidates", "nothing to choose from"));
    }
    for c in candidates {
        c.check()?;
    }
    let all = data.with_extra(extra)?;
    let p = Prepared::new(&all);
    let n = data.examples.len();
    let (group, n_groups) = data.group_indices();
    if n_groups < 3 {
        return Err(Error::param(
            "groups",
            format!("a nested choice needs at least 3 groups in the data, found {n_groups}"),
        ));
    }
    let members: Vec<Vec<usize>> = (0..n_groups)
        .map(|g| (0..n).filter(|&i| group[i] == g).collect())
        .collect();
    let extra_rows: Vec<usize> = (n..all.examples.len()).collect();
    // Job (c, a, b) with a <= b: train without groups a and b, predict both.
    let jobs: Vec<(usize, usize, usize)> = (0..candidates.len())
        .flat_map(|c| (0..n_groups).flat_map(move |a| (a..n_groups).map(move |b| (c, a, b))))
        .collect();
    type Fitted = Vec<(usize, Vec<f64>, usize)>;
    let fitted: Vec<Result<Fitted>> = jobs
        .par_iter()
        .map(|&(c, a, b)| {
            let mut train: Vec<usize> =
                (0..n).filter(|&i| group[i] != a && group[i] != b).collect();
            train.extend_from_slice(&extra_rows);
            let mut test = members[a].clone();
            if b != a {
                test.extend_from_slice(&members[b]);
            }
            let (probs, base, _) = p.fit_predict(&candidates[c], &train, &test)?;
            Ok(test
                .into_iter()
                .zip(probs)
                .map(|(i, pr)| (i, pr, base))
                .collect())
        })
        .collect();
    // held[a][c][b]: candidate c's predictions for the rows of group b from the model trained
    // without groups a and b.
    let mut held: Vec<Vec<Vec<Fitted>>> =
        vec![vec![vec![Vec::new(); n_groups]; candidates.len()]; n_groups];
    for (&(c, a, b), r) in jobs.iter().zip(fitted) {
        for (i, pr, base) in r? {
            let g = group[i];
            let other = if g == a { b } else { a };
            held[other][c][g].push((i, pr, base));
        }
    }
    let mut o = Outcome::unfilled(p.y[..n].to_vec(), group, data);
    let mut choices = Vec::with_capacity(n_groups);
    for (outer, by_candidate) in held.iter().enumerate() {
        let inner: Vec<f64> = by_candidate
            .iter()
            .map(|by_group| {
                let (mut truth, mut pred) = (Vec::new(), Vec::new());
                for (g, rows) in by_group.iter().enumerate() {
                    if g == outer {
                        continue;
                    }
                    for (i, pr, _) in rows {
                        truth.push(p.y[*i]);
                        pred.push(argmax(pr));
                    }
                }
                metrics(&p.labels, &truth, &pred).macro_f1
            })
            .collect();
        let chosen = (0..inner.len()).fold(0, |b, c| if inner[c] > inner[b] { c } else { b });
        choices.push(chosen);
        for (i, pr, base) in &by_candidate[chosen][outer] {
            o.pred[*i] = argmax(pr);
            o.baseline[*i] = *base;
            o.probabilities[*i] = pr.clone();
        }
    }
    let scheme = format!(
        "nested leave-one-group-out ({n_groups} folds), each choosing among {} candidates by leave-one-group-out over its other groups",
        candidates.len()
    );
    Ok((summarize(scheme, n_groups, p.labels, o, 0, seed), choices))
}

/// Evaluated paragraphs whose top probability falls in `[from, to)` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfidenceBin {
    pub from: f64,
    pub to: f64,
    pub n: usize,
    /// Paragraphs in the bin the model labelled correctly.
    pub correct: usize,
    /// Paragraphs in the bin the majority-class baseline labelled correctly.
    pub baseline_correct: usize,
}

/// Groups evaluated paragraphs by top probability into bins between consecutive `edges`
/// (ascending). Paragraphs outside `[edges[0], edges[last]]` are clamped into the first or last
/// bin, so every paragraph is counted exactly once.
pub fn confidence_bins(outcome: &Outcome, edges: &[f64]) -> Vec<ConfidenceBin> {
    let mut bins: Vec<ConfidenceBin> = edges
        .windows(2)
        .map(|w| ConfidenceBin {
            from: w[0],
            to: w[1],
            n: 0,
            correct: 0,
            baseline_correct: 0,
        })
        .collect();
    if bins.is_empty() {
        return bins;
    }
    let last = bins.len() - 1;
    for i in 0..outcome.len() {
        let top = outcome.top(i);
        let b = bins.iter().position(|b| top < b.to).unwrap_or(last);
        let bin = &mut bins[b];
        bin.n += 1;
        bin.correct += usize::from(outcome.pred[i] == outcome.truth[i]);
        bin.baseline_correct += usize::from(outcome.baseline[i] == outcome.truth[i]);
    }
    bins
}

/// Index of the largest value; ties go to the first.
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Scores a saved model on labelled data it was not trained on. Paragraphs whose text the model
/// was trained on are left out and counted, so a training score can never pass as a held-out one.
/// Paragraphs see their article's other held-out paragraphs as context.
pub fn evaluate_model(model: &StanceModel, data: &Dataset, seed: u64) -> Result<Evaluation> {
    let trained: std::collections::HashSet<&str> = model
        .provenance
        .training_fingerprints
        .iter()
        .map(String::as_str)
        .collect();
    let held_out: Vec<usize> = (0..data.examples.len())
        .filter(|&i| !trained.contains(fingerprint(&data.examples[i].text).as_str()))
        .collect();
    let excluded = data.examples.len() - held_out.len();
    if held_out.is_empty() {
        return Err(Error::Unusable {
            path: data.name().into(),
            message: format!(
                "all {} paragraphs were in the model's training data, so no held-out score exists; evaluate on other data, or cross-validate with `slant eval --data {}` (no --model)",
                excluded,
                data.name()
            ),
        });
    }
    let mut labels: Vec<String> = model.classes().to_vec();
    labels.extend(held_out.iter().map(|&i| data.examples[i].label.clone()));
    labels.sort();
    labels.dedup();
    let model_idx: Vec<usize> = model
        .classes()
        .iter()
        .map(|c| labels.binary_search(c).expect("model class in labels"))
        .collect();
    let counts = &model.provenance.class_counts;
    let majority_class = model
        .classes()
        .iter()
        .enumerate()
        .max_by(|a, b| counts.get(a.1).cmp(&counts.get(b.1)).then(b.0.cmp(&a.0)))
        .map(|(i, _)| model_idx[i])
        .unwrap_or(0);
    let (group_all, _) = data.group_indices();
    let texts: Vec<&str> = held_out
        .iter()
        .map(|&i| data.examples[i].text.as_str())
        .collect();
    let articles: Vec<usize> = held_out.iter().map(|&i| group_all[i]).collect();
    let probs = model.pipeline.probabilities_articles(&texts, &articles);
    let mut o = Outcome::default();
    for (&i, p) in held_out.iter().zip(probs) {
        let e = &data.examples[i];
        o.truth
            .push(labels.binary_search(&e.label).expect("label present"));
        o.pred.push(model_idx[argmax(&p)]);
        o.baseline.push(majority_class);
        o.group.push(group_all[i]);
        o.strength.push(e.strength);
        o.row.push(i);
        let mut in_labels = vec![0.0; labels.len()];
        for (c, v) in p.iter().enumerate() {
            in_labels[model_idx[c]] = *v;
        }
        o.probabilities.push(in_labels);
    }
    Ok(summarize(
        "saved model on held-out data".into(),
        1,
        labels,
        o,
        excluded,
        seed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn metrics_match_hand_computation() {
        let labels = s(&["a", "b", "c"]);
        // truth a a b b c ; pred a b b b a
        let m = metrics(&labels, &[0, 0, 1, 1, 2], &[0, 1, 1, 1, 0]);
        assert_eq!(
            m.confusion,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 0]]
        );
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        // a: p=1/2 r=1/2 f=.5 ; b: p=2/3 r=1 f=.8 ; c: 0
        assert!((m.per_class[1].f1 - 0.8).abs() < 1e-12);
        assert!((m.macro_f1 - (0.5 + 0.8 + 0.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn group_kfold_balances_and_keeps_groups_whole() {
        let folds = assign_folds(&[10, 1, 5, 5, 2], FoldScheme::GroupKFold(2)).unwrap();
        let mut load = [0; 2];
        for (g, &f) in folds.iter().enumerate() {
            load[f] += [10, 1, 5, 5, 2][g];
        }
        assert_eq!(load, [12, 11]);
        assert!(assign_folds(&[1, 1], FoldScheme::GroupKFold(3)).is_err());
        assert!(assign_folds(&[1], FoldScheme::LeaveOneGroupOut).is_err());
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let labels = s(&["a", "b"]);
        let truth = [0, 0, 1, 1, 0, 1, 1, 0];
        let pred = [0, 1, 1, 1, 0, 0, 1, 0];
        let group = [0, 0, 1, 1, 2, 2, 3, 3];
        let a = bootstrap(&labels, &truth, &pred, &group, 7);
        assert_eq!(a, bootstrap(&labels, &truth, &pred, &group, 7));
        let acc = metrics(&labels, &truth, &pred).accuracy;
        assert!(a.0[0] <= acc && acc <= a.0[1]);
    }

    #[test]
    fn confidence_bins_count_every_prediction_once() {
        let mut o = Outcome::default();
        for (truth, pred, top) in [(0, 0, 0.55), (1, 0, 0.6), (1, 1, 0.9), (1, 1, 1.0)] {
            o.truth.push(truth);
            o.pred.push(pred);
            o.baseline.push(0);
            o.probabilities.push(if pred == 0 {
                vec![top, 1.0 - top]
            } else {
                vec![1.0 - top, top]
            });
        }
        let bins = confidence_bins(&o, &[0.5, 0.7, 1.0]);
        assert_eq!(bins.iter().map(|b| b.n).collect::<Vec<_>>(), [2, 2]);
        assert_eq!(bins[0].correct, 1);
        assert_eq!(bins[1].correct, 2);
        assert_eq!(bins[1].baseline_correct, 0);
    }

    #[test]
    fn outcome_keeps_dataset_order_and_probabilities() {
        let data = crate::dataset::read_dataset(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/labels/seeds.tsv")),
            &crate::dataset::Columns::default(),
            None,
        )
        .unwrap();
        let e = cross_validate(
            &data,
            None,
            &TrainConfig::default(),
            FoldScheme::GroupKFold(2),
            1,
        )
        .unwrap();
        let o = &e.outcome;
        assert_eq!(o.len(), data.examples.len());
        for i in 0..o.len() {
            assert_eq!(o.row[i], i);
            assert_eq!(o.pred[i], argmax(&o.probabilities[i]));
            assert!((o.probabilities[i].iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        let correct = (0..o.len()).filter(|&i| o.pred[i] == o.truth[i]).count();
        assert_eq!(
            correct as f64 / data.examples.len() as f64,
            e.all.metrics.accuracy
        );
    }

    #[test]
    fn nested_choice_between_equals_is_plain_leave_one_out() {
        let data = crate::dataset::read_dataset(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/labels/seeds.tsv")),
            &crate::dataset::Columns::default(),
            None,
        )
        .unwrap();
        let c = TrainConfig::default();
        // Two identical candidates tie in every inner loop: the first is chosen, and each outer
        // fold's model is the one plain leave-one-group-out fits, so every prediction matches.
        let (nested, choices) =
            nested_leave_one_out(&data, None, &[c.clone(), c.clone()], 1).unwrap();
        assert_eq!(choices, vec![0; 5]);
        let plain = cross_validate(&data, None, &c, FoldScheme::LeaveOneGroupOut, 1).unwrap();
        assert_eq!(nested.outcome.pred, plain.outcome.pred);
        assert_eq!(nested.outcome.baseline, plain.outcome.baseline);
        assert_eq!(nested.all.metrics.macro_f1, plain.all.metrics.macro_f1);
        assert!(nested_leave_one_out(&data, None, &[], 1).is_err());
    }

    #[test]
    fn majority_breaks_ties_by_sorted_label() {
        assert_eq!(majority([2, 1, 2, 1].into_iter(), 3), 1);
    }
}
