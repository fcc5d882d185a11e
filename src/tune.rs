//! Choosing hyper-parameters by grouped cross-validation over articles, nested so that the
//! figure reported for the search is never the one the search optimised.
//!
//! Inner loop: every candidate is cross-validated (grouped K-fold) and scored by macro-F1 of its
//! pooled predictions; the best wins (ties: the earlier candidate, so simpler ones listed first
//! win). Outer loop: the inner search runs on each outer training part alone and its winner is
//! scored on the outer test articles; those pooled scores are the honest estimate of "tune, then
//! train". Finally the inner search runs on all the data and its winner is the chosen config.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::eval::{argmax, metrics, summarize, Evaluation, FoldScheme, Outcome, Prepared};

use crate::model::TrainConfig;
use crate::tfidf::ContextConfig;

/// Options for [`tune`].
#[derive(Debug, Clone)]
pub struct TuneOptions {
    /// Grouped K of the outer (estimating) loop.
    pub outer_folds: usize,
    /// Grouped K of the inner (selecting) loop.
    pub inner_folds: usize,
    pub seed: u64,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            outer_folds: 5,
            inner_folds: 3,
            seed: 42,
        }
    }
}

/// What a model file records about the search that chose its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningSummary {
    pub files: Vec<String>,
    pub paragraphs: usize,
    pub groups: usize,
    pub candidates: usize,
    pub inner_folds: usize,
    pub outer_folds: usize,
    /// Inner-CV macro-F1 of the chosen candidate on all the data: the figure the search
    /// optimised, so optimistic; shown only to compare candidates.
    pub chosen_inner_macro_f1: f64,
    /// Nested estimate (outer folds, each tuned on its own training part).
    pub nested_accuracy: f64,
    pub nested_accuracy_ci95: [f64; 2],
    pub nested_macro_f1: f64,
    pub nested_macro_f1_ci95: [f64; 2],
    pub nested_baseline_accuracy: f64,
    pub nested_baseline_macro_f1: f64,
    /// The configuration chosen in each outer fold.
    pub outer_choices: Vec<String>,
    /// The word n-gram ranges the grid tried (empty in files from before it was recorded).
    #[serde(default)]
    pub word_ngrams: Vec<[usize; 2]>,
}

/// The outcome of a search.
#[derive(Debug, Clone)]
pub struct TuneResult {
    pub chosen: TrainConfig,
    pub chosen_index: usize,
    /// Every candidate the final search visited, with its inner-CV macro-F1 on all the data.
    pub visited: Vec<(TrainConfig, f64)>,
    pub nested: Evaluation,
    pub summary: TuningSummary,
}

/// A named switch that stage two of the search may flip.
pub type Toggle = (&'static str, fn(&mut TrainConfig));

/// The search space. Stage one is a grid over the choices that matter most (word n-grams,
/// context, penalty); stage two tries, one at a time on the stage-one winner, each switch in
/// [`SearchSpace::toggles`] and keeps it when the inner score improves.
#[derive(Debug, Clone)]
pub struct SearchSpace {
    pub grid: Vec<TrainConfig>,
    pub toggles: Vec<Toggle>,
    /// The word n-gram ranges the grid tries.
    pub word_ngrams: Vec<[usize; 2]>,
}

impl SearchSpace {
    /// The default space around `base` (which supplies everything not searched, e.g. min_df).
    /// `quick` gives a two-candidate space for trying the command out.
    pub fn new(base: &TrainConfig, quick: bool) -> Self {
        let word_ranges: &[[usize; 2]] = if quick { &[[1, 1]] } else { &[[1, 1], [1, 2]] };
        Self::with_word_ngrams(base, quick, word_ranges)
    }

    /// [`SearchSpace::new`] with the word n-gram ranges the grid tries given (e.g. only `[1, 1]`
    /// when bigrams are known to carry the training text's phrasing rather than stance).
    pub fn with_word_ngrams(base: &TrainConfig, quick: bool, word_ranges: &[[usize; 2]]) -> Self {
        let contexts: &[(usize, f64, f64)] = if quick {
            &[(0, 0.0, 0.0), (1, 0.5, 0.0)]
        } else {
            &[
                (0, 0.0, 0.0),
                (1, 0.5, 0.0),
                (2, 0.5, 0.0),
                (1, 0.5, 0.25),
                (3, 0.5, 0.0),
                (5, 0.5, 0.0),
                (3, 1.0, 0.0),
                (8, 0.5, 0.0),
                (5, 1.0, 0.0),
                (8, 1.0, 0.0),
                (5, 2.0, 0.0),
                (12, 1.0, 0.0),
                (8, 2.0, 0.0),
            ]
        };
        // Each search so far picked a candidate at the grid's edge (the smallest penalty, the
        // widest window, the largest weight), and the grid was extended past it each time (the
        // steps are in README, "Latest figures"). The window stops at ±12: that already spans
        // every written article (at most 12 paragraphs), so the written set cannot tell wider
        // windows apart.
        let alphas: &[f64] = if quick {
            &[1.0]
        } else {
            &[0.5, 2.0, 0.2, 0.1, 0.05, 0.02]
        };
        let mut grid = Vec::new();
        for &(window, neighbour_weight, article_weight) in contexts {
            for &ngram_range in word_ranges {
                for &alpha in alphas {
                    let mut c = base.clone();
                    c.featurizer.analyzer.ngram_range = ngram_range;
                    c.featurizer.context = ContextConfig {
                        window,
                        neighbour_weight,
                        article_weight,
                    };
                    c.model.alpha = alpha;
                    grid.push(c);
                }
            }
        }
        let toggles: Vec<Toggle> = if quick {
            Vec::new()
        } else {
            // Character n-grams are a switch, not a grid axis: they cost several times more to fit.
            vec![
                ("char_ngrams", |c| {
                    let a = &mut c.featurizer.analyzer;
                    a.char_ngrams = if a.char_ngrams.is_some() {
                        None
                    } else {
                        Some([3, 5])
                    };
                }),
                ("stop_words", |c| {
                    c.featurizer.analyzer.stop_words = !c.featurizer.analyzer.stop_words
                }),
                ("sublinear_tf", |c| {
                    c.featurizer.sublinear_tf = !c.featurizer.sublinear_tf
                }),
                ("class_balance", |c| {
                    c.model.class_balance = !c.model.class_balance
                }),
                ("min_df", |c| {
                    c.featurizer.min_df = if c.featurizer.min_df > 1 { 1 } else { 2 }
                }),
            ]
        };
        SearchSpace {
            grid,
            toggles,
            word_ngrams: word_ranges.to_vec(),
        }
    }

    /// Every configuration the search can visit is checked up front.
    fn check(&self) -> Result<()> {
        if self.grid.is_empty() {
            return Err(Error::param("grid", "no candidate configurations"));
        }
        if let Some(r) = self.word_ngrams.iter().find(|r| r[0] == 0 || r[0] > r[1]) {
            return Err(Error::param(
                "word n-gram range",
                format!(
                    "{}-{} is not a range like 1-2 (smallest at least 1)",
                    r[0], r[1]
                ),
            ));
        }
        for c in &self.grid {
            c.check()?;
            for (_, t) in &self.toggles {
                let mut c = c.clone();
                t(&mut c);
                c.check()?;
            }
        }
        Ok(())
    }

    /// Runs the search on the paragraphs `pool`; returns every visited candidate with its
    /// score, in visiting order, and the index of the winner.
    fn search(
        &self,
        p: &Prepared,
        pool: &[usize],
        k: usize,
    ) -> Result<(Vec<(TrainConfig, f64)>, usize)> {
        let scores = inner_scores(p, &self.grid, pool, k)?;
        let mut visited: Vec<(TrainConfig, f64)> = self.grid.iter().cloned().zip(scores).collect();
        let mut win = best(&visited.iter().map(|v| v.1).collect::<Vec<_>>());
        for (_, toggle) in &self.toggles {
            let mut c = visited[win].0.clone();
            toggle(&mut c);
            let score = inner_scores(p, std::slice::from_ref(&c), pool, k)?[0];
            visited.push((c, score));
            if score > visited[win].1 {
                win = visited.len() - 1;
            }
        }
        Ok((visited, win))
    }
}

/// Macro-F1 of each candidate by grouped K-fold on the paragraphs `pool`.
fn inner_scores(
    p: &Prepared,
    candidates: &[TrainConfig],
    pool: &[usize],
    k: usize,
) -> Result<Vec<f64>> {
    candidates
        .par_iter()
        .map(|c| {
            let (_, preds, _) = p.cross_val(c, pool, &[], FoldScheme::GroupKFold(k))?;
            let truth: Vec<usize> = pool.iter().map(|&i| p.y[i]).collect();
            let pred: Vec<usize> = preds.iter().map(|(probs, _)| argmax(probs)).collect();
            Ok(metrics(&p.labels, &truth, &pred).macro_f1)
        })
        .collect()
}

/// Index of the best score; ties go to the earlier candidate.
fn best(scores: &[f64]) -> usize {
    let mut b = 0;
    for (i, s) in scores.iter().enumerate() {
        if *s > scores[b] {
            b = i;
        }
    }
    b
}

/// Runs the nested search over `space` on `data` (every article a group).
/// `progress` is told when each outer fold and the final search finish.
pub fn tune(
    data: &Dataset,
    space: &SearchSpace,
    opts: &TuneOptions,
    progress: &dyn Fn(&str),
) -> Result<TuneResult> {
    space.check()?;
    data.check_trainable()?;
    let p = Prepared::new(data);
    let n = p.y.len();
    let (group, n_groups) = data.group_indices();
    let mut sizes = vec![0usize; n_groups];
    group.iter().for_each(|&g| sizes[g] += 1);
    let outer = crate::eval::assign_folds(&sizes, FoldScheme::GroupKFold(opts.outer_folds))?;

    let mut o = Outcome::unfilled(p.y.clone(), group.clone(), data);
    let mut outer_choices = Vec::with_capacity(opts.outer_folds);
    for f in 0..opts.outer_folds {
        let train: Vec<usize> = (0..n).filter(|&i| outer[group[i]] != f).collect();
        let test: Vec<usize> = (0..n).filter(|&i| outer[group[i]] == f).collect();
        let (visited, win) = space.search(&p, &train, opts.inner_folds)?;
        progress(&format!(
            "outer fold {}/{}: inner best {:.3} for {}",
            f + 1,
            opts.outer_folds,
            visited[win].1,
            describe(&visited[win].0)
        ));
        outer_choices.push(describe(&visited[win].0));
        let (probs, base, _) = p.fit_predict(&visited[win].0, &train, &test)?;
        for (&i, pr) in test.iter().zip(probs) {
            o.pred[i] = argmax(&pr);
            o.baseline[i] = base;
            o.probabilities[i] = pr;
        }
    }
    let scheme = format!(
        "nested: grouped {}-fold outer, each tuned by grouped {}-fold inner over {} grid candidates + {} switches",
        opts.outer_folds,
        opts.inner_folds,
        space.grid.len(),
        space.toggles.len()
    );
    let nested = summarize(scheme, opts.outer_folds, p.labels.clone(), o, 0, opts.seed);

    let all: Vec<usize> = (0..n).collect();
    let (visited, win) = space.search(&p, &all, opts.inner_folds)?;
    progress(&format!(
        "final search: best {:.3} for {}",
        visited[win].1,
        describe(&visited[win].0)
    ));
    let summary = TuningSummary {
        files: data
            .sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect(),
        paragraphs: n,
        groups: n_groups,
        candidates: visited.len(),
        inner_folds: opts.inner_folds,
        outer_folds: opts.outer_folds,
        chosen_inner_macro_f1: visited[win].1,
        nested_accuracy: nested.all.metrics.accuracy,
        nested_accuracy_ci95: nested.all.accuracy_ci95,
        nested_macro_f1: nested.all.metrics.macro_f1,
        nested_macro_f1_ci95: nested.all.macro_f1_ci95,
        nested_baseline_accuracy: nested.all.baseline.accuracy,
        nested_baseline_macro_f1: nested.all.baseline.macro_f1,
        outer_choices,
        word_ngrams: space.word_ngrams.clone(),
    };
    Ok(TuneResult {
        chosen: visited[win].0.clone(),
        chosen_index: win,
        visited,
        nested,
        summary,
    })
}

/// A one-line description of a configuration, for tables.
pub fn describe(c: &TrainConfig) -> String {
    let a = &c.featurizer.analyzer;
    let ctx = &c.featurizer.context;
    format!(
        "words {}-{}{}{} chars {} min_df {} sublinear {} context ±{}×{} article×{} alpha {} balance {}",
        a.ngram_range[0],
        a.ngram_range[1],
        if a.stem { " stem" } else { "" },
        if a.stop_words { " stop" } else { "" },
        a.char_ngrams.map_or("none".to_string(), |[lo, hi]| format!("{lo}-{hi}")),
        c.featurizer.min_df,
        c.featurizer.sublinear_tf,
        ctx.window,
        ctx.neighbour_weight,
        ctx.article_weight,
        c.model.alpha,
        c.model.class_balance
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_space_sizes_and_first_candidate_is_context_free() {
        let s = SearchSpace::new(&TrainConfig::default(), false);
        assert_eq!(s.grid.len(), 13 * 2 * 6);
        assert_eq!(s.toggles.len(), 5);
        assert!(!s.grid[0].featurizer.context.is_active());
        s.check().unwrap();
        assert_eq!(
            SearchSpace::new(&TrainConfig::default(), true).grid.len(),
            2
        );
    }

    #[test]
    fn word_ngram_ranges_can_be_restricted_and_are_checked() {
        let base = TrainConfig::default();
        let s = SearchSpace::with_word_ngrams(&base, false, &[[1, 1]]);
        assert_eq!(s.grid.len(), 13 * 6);
        assert!(s
            .grid
            .iter()
            .all(|c| c.featurizer.analyzer.ngram_range == [1, 1]));
        assert_eq!(s.word_ngrams, [[1, 1]]);
        s.check().unwrap();
        let bad = SearchSpace::with_word_ngrams(&base, false, &[[2, 1]]);
        assert!(bad.check().unwrap_err().to_string().contains("2-1"));
    }

    #[test]
    fn toggles_flip_one_setting() {
        let s = SearchSpace::new(&TrainConfig::default(), false);
        let mut c = TrainConfig::default();
        for (name, t) in &s.toggles {
            let before = c.clone();
            t(&mut c);
            assert_ne!(before, c, "{name}");
            t(&mut c);
            assert_eq!(before, c, "{name} flips back");
        }
    }

    #[test]
    fn ties_go_to_the_earlier_candidate() {
        assert_eq!(best(&[0.5, 0.7, 0.7, 0.1]), 1);
    }
}
