//! Comparing outlets: how much of each outlet's text takes each stance, how sure we can be, and
//! whether two outlets differ by more than the choice of articles would explain.
//!
//! The unit of sampling is the **article**: paragraphs of one article share an author and an
//! argument, so they are not independent draws. Every interval resamples whole articles and every
//! test permutes whole articles between outlets.
//!
//! - **share** of a class: the outlet's paragraphs labelled with it, over all its paragraphs
//!   (paragraphs pooled across its articles), with a 95% percentile interval from
//!   [`BOOTSTRAP_RESAMPLES`] bootstrap resamples of the outlet's articles.
//! - **mean probability** of a class over the outlet's paragraphs.
//! - **net slant**: hawkish share minus conciliatory share (from −1, all conciliatory, to +1, all
//!   hawkish), with an interval from the same resamples; only for models with both classes.
//! - **pairwise tests**: for every two outlets and every share (and the net slant), the observed
//!   difference and a two-sided permutation p-value: the outlet labels of the two outlets'
//!   articles are shuffled `permutations` times, and p = (1 + #{|permuted| ≥ |observed|}) /
//!   (1 + permutations). p-values are not adjusted for multiple comparisons. Articles without
//!   an outlet ([`UNKNOWN_OUTLET`]) get a row of their own but no tests: they are not one
//!   outlet, so a difference from them means nothing.
//!
//! Everything is seeded (ChaCha8): outlet `i`'s bootstrap uses stream `i` and pair `j`'s
//! permutations stream `2^32 + j` of the seed, so results do not depend on thread scheduling.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::eval::{percentile_interval, BOOTSTRAP_RESAMPLES};
use crate::model::StanceModel;
use crate::output::ArticleSummary;
use crate::score::{score_article, Input, UNKNOWN_OUTLET};

/// Default number of permutations per outlet pair.
pub const DEFAULT_PERMUTATIONS: usize = 9999;
/// Outlets with fewer articles than this get a warning: their intervals are not trustworthy.
pub const SMALL_OUTLET_ARTICLES: usize = 5;
/// Said wherever pairwise tests are shown and some articles have no outlet.
pub const UNTESTED_UNKNOWN: &str =
    "(articles without an outlet, `unknown`, are not one outlet: they are left out of these tests)";
/// The measure name of the net slant index in pairwise tests.
pub const NET_SLANT: &str = "net_slant";

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareConfig {
    pub seed: u64,
    pub resamples: usize,
    pub permutations: usize,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            seed: 42,
            resamples: BOOTSTRAP_RESAMPLES,
            permutations: DEFAULT_PERMUTATIONS,
        }
    }
}

impl CompareConfig {
    pub fn check(&self) -> Result<()> {
        if self.resamples == 0 {
            return Err(Error::param("resamples", "must be at least 1"));
        }
        if self.permutations == 0 {
            return Err(Error::param("permutations", "must be at least 1"));
        }
        Ok(())
    }
}

/// A value with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub value: f64,
    pub ci95: [f64; 2],
}

/// The figures of one outlet.
#[derive(Debug, Clone, PartialEq)]
pub struct OutletStats {
    pub outlet: String,
    /// Articles with at least one content paragraph (the ones the figures are about).
    pub articles: usize,
    pub paragraphs: usize,
    /// Articles in which no content paragraph was found; left out of every figure.
    pub empty_articles: usize,
    /// Paragraphs whose text the model was trained on: their labels are fits, not predictions.
    pub in_training: usize,
    /// Share of paragraphs per class, in class order.
    pub shares: Vec<Estimate>,
    /// Mean probability per class, in class order.
    pub mean_probs: Vec<f64>,
    /// Hawkish share minus conciliatory share, when the model has both classes.
    pub net_slant: Option<Estimate>,
}

impl OutletStats {
    /// Fewer than [`SMALL_OUTLET_ARTICLES`] articles.
    pub fn is_small(&self) -> bool {
        self.articles < SMALL_OUTLET_ARTICLES
    }
}

/// One permutation test between two outlets.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PairTest {
    pub a: String,
    pub b: String,
    /// A class name (its share) or [`NET_SLANT`].
    pub measure: String,
    /// The measure of `a` minus that of `b`.
    pub difference: f64,
    pub p_value: f64,
    pub permutations: usize,
}

/// A full comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub classes: Vec<String>,
    /// Sorted by outlet name.
    pub outlets: Vec<OutletStats>,
    /// Outlet pairs in sorted order; per pair, the classes in class order, then the net slant.
    pub pairs: Vec<PairTest>,
    pub config: CompareConfig,
}

impl Comparison {
    /// Paragraphs, over all outlets, that the model was trained on.
    pub fn in_training(&self) -> usize {
        self.outlets.iter().map(|o| o.in_training).sum()
    }

    /// Paragraphs over all outlets.
    pub fn paragraphs(&self) -> usize {
        self.outlets.iter().map(|o| o.paragraphs).sum()
    }

    /// Some articles have no outlet (they are shown, but not tested).
    pub fn has_unknown(&self) -> bool {
        self.outlets.iter().any(|o| o.outlet == UNKNOWN_OUTLET)
    }

    /// Index of a class by name.
    pub fn class(&self, name: &str) -> Option<usize> {
        self.classes.iter().position(|c| c == name)
    }
}

/// Reads, scores and summarises every article of `inputs`, in parallel (rayon), returning the
/// summaries in input order and calling `progress` after each article. An article that cannot be
/// read fails the whole call with the error of the first such article in input order: a
/// comparison on part of the data would silently change the figures.
pub fn score_articles(
    model: &StanceModel,
    inputs: &[Input],
    progress: impl Fn() + Sync,
) -> Result<Vec<ArticleSummary>> {
    let k = model.classes().len();
    let summaries: Vec<Result<ArticleSummary>> = inputs
        .par_iter()
        .map(|input| {
            let text = input.read()?;
            let scored = score_article(model, &text, None);
            progress();
            Ok(ArticleSummary::of(&scored, k, 0.0))
        })
        .collect();
    summaries.into_iter().collect()
}

/// Class indices the derived measures need.
#[derive(Debug, Clone, Copy)]
struct Slant {
    hawkish: usize,
    conciliatory: usize,
}

/// Paragraph counts of one article: per class, and in all.
#[derive(Debug, Clone)]
struct Counts {
    classes: Vec<usize>,
    total: usize,
}

/// The measures of a pool of articles: one share per class, then the net slant if defined.
fn measures(pool: &[&Counts], k: usize, slant: Option<Slant>, out: &mut Vec<f64>) {
    out.clear();
    let mut sums = vec![0usize; k];
    let mut total = 0usize;
    for a in pool {
        for (s, c) in sums.iter_mut().zip(&a.classes) {
            *s += c;
        }
        total += a.total;
    }
    let denom = total.max(1) as f64;
    out.extend(sums.iter().map(|&s| s as f64 / denom));
    if let Some(s) = slant {
        out.push(out[s.hawkish] - out[s.conciliatory]);
    }
}

/// Compares outlets from per-article summaries (all summaries must have `classes.len()` counts).
pub fn compare(
    classes: &[String],
    articles: &[ArticleSummary],
    config: &CompareConfig,
) -> Result<Comparison> {
    config.check()?;
    let k = classes.len();
    let find = |name: &str| classes.iter().position(|c| c == name);
    let slant = match (find("hawkish"), find("conciliatory")) {
        (Some(hawkish), Some(conciliatory)) => Some(Slant {
            hawkish,
            conciliatory,
        }),
        _ => None,
    };
    let mut by_outlet: BTreeMap<&str, Vec<&ArticleSummary>> = BTreeMap::new();
    for a in articles {
        by_outlet.entry(&a.outlet).or_default().push(a);
    }
    if by_outlet.is_empty() {
        return Err(Error::param("outlets", "no articles to compare"));
    }
    let mut groups: Vec<(&str, Vec<Counts>, usize)> = Vec::new();
    for (outlet, list) in &by_outlet {
        let counts: Vec<Counts> = list
            .iter()
            .filter(|a| a.paragraphs > 0)
            .map(|a| Counts {
                classes: a.counts.clone(),
                total: a.paragraphs,
            })
            .collect();
        if counts.is_empty() {
            return Err(Error::EmptyOutlet {
                outlet: outlet.to_string(),
                articles: list.len(),
            });
        }
        groups.push((outlet, counts, list.len()));
    }

    let mut outlets = Vec::with_capacity(groups.len());
    let mut buf = Vec::new();
    for (i, (outlet, counts, listed)) in groups.iter().enumerate() {
        let pool: Vec<&Counts> = counts.iter().collect();
        measures(&pool, k, slant, &mut buf);
        let observed = buf.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(i as u64);
        let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(config.resamples); observed.len()];
        let mut sample: Vec<&Counts> = Vec::with_capacity(pool.len());
        for _ in 0..config.resamples {
            sample.clear();
            sample.extend((0..pool.len()).map(|_| pool[rng.gen_range(0..pool.len())]));
            measures(&sample, k, slant, &mut buf);
            for (d, v) in draws.iter_mut().zip(&buf) {
                d.push(*v);
            }
        }
        let mut estimates: Vec<Estimate> = observed
            .iter()
            .zip(draws.iter_mut())
            .map(|(&value, d)| Estimate {
                value,
                ci95: percentile_interval(d),
            })
            .collect();
        let net_slant = slant.map(|_| estimates.pop().expect("net slant estimate"));
        let paragraphs: usize = counts.iter().map(|c| c.total).sum();
        let members = &by_outlet[outlet];
        let mut mean_probs = vec![0.0; k];
        for a in members {
            for (m, s) in mean_probs.iter_mut().zip(&a.prob_sums) {
                *m += s;
            }
        }
        mean_probs.iter_mut().for_each(|m| *m /= paragraphs as f64);
        outlets.push(OutletStats {
            outlet: outlet.to_string(),
            articles: counts.len(),
            paragraphs,
            empty_articles: listed - counts.len(),
            in_training: members.iter().map(|a| a.in_training).sum(),
            shares: estimates,
            mean_probs,
            net_slant,
        });
    }

    let names: Vec<&str> = classes
        .iter()
        .map(String::as_str)
        .chain(slant.map(|_| NET_SLANT))
        .collect();
    // Each pair has its own random stream, so running the pairs in parallel changes nothing.
    let tested: Vec<usize> = (0..groups.len())
        .filter(|&g| groups[g].0 != UNKNOWN_OUTLET)
        .collect();
    let pair_list: Vec<(usize, usize)> = (0..tested.len())
        .flat_map(|a| (a + 1..tested.len()).map(move |b| (a, b)))
        .map(|(a, b)| (tested[a], tested[b]))
        .collect();
    let pairs: Vec<PairTest> = pair_list
        .par_iter()
        .enumerate()
        .map(|(index, &(a, b))| {
            let stream = (1u64 << 32) + index as u64;
            let tests = permutation_test(&groups[a].1, &groups[b].1, k, slant, config, stream);
            names
                .iter()
                .zip(tests)
                .map(|(name, (difference, p_value))| PairTest {
                    a: groups[a].0.to_owned(),
                    b: groups[b].0.to_owned(),
                    measure: name.to_string(),
                    difference,
                    p_value,
                    permutations: config.permutations,
                })
                .collect::<Vec<_>>()
        })
        .flatten()
        .collect();
    Ok(Comparison {
        classes: classes.to_vec(),
        outlets,
        pairs,
        config: config.clone(),
    })
}

/// Observed difference (a − b) and two-sided permutation p-value for every measure.
fn permutation_test(
    a: &[Counts],
    b: &[Counts],
    k: usize,
    slant: Option<Slant>,
    config: &CompareConfig,
    stream: u64,
) -> Vec<(f64, f64)> {
    let mut all: Vec<&Counts> = a.iter().chain(b).collect();
    let (mut ma, mut mb) = (Vec::new(), Vec::new());
    measures(&all[..a.len()], k, slant, &mut ma);
    measures(&all[a.len()..], k, slant, &mut mb);
    let observed: Vec<f64> = ma.iter().zip(&mb).map(|(x, y)| x - y).collect();
    // Differences equal up to rounding count as "as extreme".
    let tolerance = 1e-12;
    let mut extreme = vec![0usize; observed.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(stream);
    for _ in 0..config.permutations {
        all.shuffle(&mut rng);
        measures(&all[..a.len()], k, slant, &mut ma);
        measures(&all[a.len()..], k, slant, &mut mb);
        for ((e, obs), (x, y)) in extreme.iter_mut().zip(&observed).zip(ma.iter().zip(&mb)) {
            *e += usize::from((x - y).abs() >= obs.abs() - tolerance);
        }
    }
    observed
        .into_iter()
        .zip(extreme)
        .map(|(d, e)| (d, (1 + e) as f64 / (1 + config.permutations) as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        ["conciliatory", "critical", "hawkish"]
            .map(String::from)
            .to_vec()
    }

    fn art(doc: &str, outlet: &str, counts: [usize; 3]) -> ArticleSummary {
        ArticleSummary::from_counts(doc, outlet, &counts)
    }

    fn config(permutations: usize) -> CompareConfig {
        CompareConfig {
            seed: 7,
            resamples: 500,
            permutations,
        }
    }

    #[test]
    fn shares_pool_paragraphs_and_intervals_bracket_them() {
        let arts = vec![
            art("a1", "A", [1, 0, 3]),
            art("a2", "A", [0, 1, 1]),
            art("b1", "B", [2, 0, 0]),
        ];
        let c = compare(&classes(), &arts, &config(99)).unwrap();
        assert_eq!(c.outlets.len(), 2);
        let a = &c.outlets[0];
        assert_eq!((a.outlet.as_str(), a.articles, a.paragraphs), ("A", 2, 6));
        assert!((a.shares[2].value - 4.0 / 6.0).abs() < 1e-12);
        for s in &a.shares {
            assert!(s.ci95[0] <= s.value && s.value <= s.ci95[1], "{s:?}");
        }
        let net = a.net_slant.unwrap();
        assert!((net.value - (4.0 - 1.0) / 6.0).abs() < 1e-12);
        // One article: every resample is that article.
        let b = &c.outlets[1];
        assert_eq!(b.shares[0].ci95, [1.0, 1.0]);
        assert!(b.is_small());
        // Mean probabilities are per paragraph and sum to one.
        assert!((a.mean_probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // 3 classes + net slant for the one pair.
        assert_eq!(c.pairs.len(), 4);
        assert_eq!(c.pairs[3].measure, NET_SLANT);
        assert!((c.pairs[0].difference - (1.0 / 6.0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn bootstrap_resamples_articles_not_paragraphs() {
        // Two articles, each entirely one class: resampling articles gives shares of 0, 1/2 or
        // 1 only when the articles have equal length; with lengths 1 and 3 the possible shares
        // of class 0 are 0, 1/4 and 1, never the 2/4 that resampling paragraphs could give.
        let arts = vec![art("x", "A", [1, 0, 0]), art("y", "A", [0, 0, 3])];
        let c = compare(&classes(), &arts, &config(1)).unwrap();
        let s = c.outlets[0].shares[0];
        assert_eq!(s.value, 0.25);
        assert_eq!(s.ci95, [0.0, 1.0]);
    }

    #[test]
    fn clearly_different_outlets_get_small_p_values_and_similar_ones_do_not() {
        let mut arts = Vec::new();
        for i in 0..8 {
            arts.push(art(&format!("h{i}"), "Hawk", [0, 1, 4]));
            arts.push(art(&format!("d{i}"), "Dove", [4, 1, 0]));
            arts.push(art(&format!("e{i}"), "Echo", [0, 1, 4]));
        }
        let c = compare(&classes(), &arts, &config(999)).unwrap();
        let p = |a: &str, b: &str, m: &str| {
            c.pairs
                .iter()
                .find(|t| t.a == a && t.b == b && t.measure == m)
                .unwrap()
                .p_value
        };
        // Outlets sorted: Dove, Echo, Hawk.
        assert!(p("Dove", "Hawk", "hawkish") < 0.01);
        assert!(p("Dove", "Hawk", NET_SLANT) < 0.01);
        assert_eq!(p("Echo", "Hawk", "hawkish"), 1.0);
        let min = 1.0 / 1000.0;
        assert!(c.pairs.iter().all(|t| t.p_value >= min && t.p_value <= 1.0));
    }

    #[test]
    fn results_are_seeded() {
        let arts = vec![
            art("a1", "A", [1, 0, 3]),
            art("a2", "A", [0, 1, 1]),
            art("b1", "B", [2, 0, 0]),
            art("b2", "B", [1, 2, 0]),
        ];
        let one = compare(&classes(), &arts, &config(199)).unwrap();
        assert_eq!(one, compare(&classes(), &arts, &config(199)).unwrap());
        let other = CompareConfig {
            seed: 8,
            ..config(199)
        };
        assert_ne!(one, compare(&classes(), &arts, &other).unwrap());
    }

    #[test]
    fn no_net_slant_without_both_classes_and_empty_articles_are_counted() {
        let classes = ["negative", "positive"].map(String::from);
        let a = ArticleSummary::from_counts("a", "A", &[1, 1]);
        let e = ArticleSummary::from_counts("e", "A", &[0, 0]);
        let c = compare(&classes, &[a, e], &config(9)).unwrap();
        assert!(c.outlets[0].net_slant.is_none());
        assert_eq!(c.outlets[0].empty_articles, 1);
        assert_eq!(c.outlets[0].articles, 1);
    }

    #[test]
    fn articles_without_an_outlet_are_shown_but_not_tested() {
        // Regression: `unknown` was tested against real outlets as if it were one.
        let arts = vec![
            art("a1", "A", [1, 0, 3]),
            art("b1", "B", [2, 0, 0]),
            art("u1", UNKNOWN_OUTLET, [0, 2, 0]),
            art("u2", UNKNOWN_OUTLET, [3, 0, 0]),
        ];
        let c = compare(&classes(), &arts, &config(99)).unwrap();
        assert!(c.has_unknown());
        assert_eq!(c.outlets.len(), 3);
        assert_eq!(c.paragraphs(), 11);
        // Only A vs B: 3 classes + net slant.
        assert_eq!(c.pairs.len(), 4);
        assert!(c.pairs.iter().all(|t| t.a == "A" && t.b == "B"));
    }

    #[test]
    fn articles_are_scored_in_input_order_and_the_first_bad_one_is_reported() {
        let model = StanceModel::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/stance.json"
        )))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: Option<&str>| {
            let path = dir.path().join(name);
            if let Some(t) = text {
                std::fs::write(&path, t).unwrap();
            }
            Input::File {
                path,
                doc: name.trim_end_matches(".txt").to_owned(),
                outlet: None,
            }
        };
        let good: Vec<Input> = (0..12)
            .map(|i| {
                let text =
                    format!("Paragraph {i} on the border.\n\nKabul must act, or trade ends.");
                file(&format!("a{i:02}.txt"), Some(&text))
            })
            .collect();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let tick = || {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let summaries = score_articles(&model, &good, tick).unwrap();
        let docs: Vec<&str> = summaries.iter().map(|a| a.doc.as_str()).collect();
        let expected: Vec<String> = (0..12).map(|i| format!("a{i:02}")).collect();
        assert_eq!(docs, expected);
        assert!(summaries.iter().all(|a| a.paragraphs == 2));
        assert_eq!(calls.into_inner(), 12);
        let mut mixed = good;
        mixed.insert(3, file("missing-first.txt", None));
        mixed.push(file("missing-last.txt", None));
        let err = score_articles(&model, &mixed, || {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing-first"), "{err}");
    }

    #[test]
    fn an_outlet_without_content_is_an_error() {
        let e = art("e", "A", [0, 0, 0]);
        let err = compare(&classes(), &[e], &config(9)).unwrap_err();
        assert!(
            matches!(err, Error::EmptyOutlet { articles: 1, .. }),
            "{err}"
        );
    }
}
