//! Presenting an outlet comparison: the terminal table, the JSON of `compare --json` and the
//! tidy CSV of `compare --csv`.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::compare::{
    Comparison, Estimate, OutletStats, PairTest, SMALL_OUTLET_ARTICLES, UNTESTED_UNKNOWN,
};
use crate::model::{CvSummary, StanceModel, TrainingFile};

/// Where the model of a report came from (printed with every comparison).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// The model file as named on the command line.
    pub path: String,
    pub crate_version: String,
    /// The files it was trained on (`role` `extra`: training only, never tested on).
    pub training_files: Vec<TrainingFile>,
    pub paragraphs: usize,
    pub groups: usize,
    pub class_counts: BTreeMap<String, usize>,
    pub cross_validation: Option<CvSummary>,
}

impl ModelInfo {
    pub fn new(path: &str, model: &StanceModel) -> Self {
        let p = &model.provenance;
        ModelInfo {
            path: path.to_owned(),
            crate_version: model.crate_version.clone(),
            training_files: p.training_files.clone(),
            paragraphs: p.paragraphs,
            groups: p.groups,
            class_counts: p.class_counts.clone(),
            cross_validation: p.cross_validation.clone(),
        }
    }

    /// The training files, joined with ` + `; training-only (`extra`) files are marked.
    pub fn trained_on(&self) -> String {
        self.training_files
            .iter()
            .map(|f| {
                if f.role == "data" {
                    f.path.clone()
                } else {
                    format!("{} ({})", f.path, f.role)
                }
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The cross-validated score stored in the model, beside its majority baseline.
    pub fn held_out_score(&self) -> Option<String> {
        self.cross_validation.as_ref().map(|cv| {
            format!(
                "{}: accuracy {:.3} [95% CI {:.3}, {:.3}] vs majority baseline {:.3}; macro-F1 {:.3} vs {:.3}",
                cv.scheme,
                cv.accuracy,
                cv.accuracy_ci95[0],
                cv.accuracy_ci95[1],
                cv.baseline_accuracy,
                cv.macro_f1,
                cv.baseline_macro_f1
            )
        })
    }

    /// One sentence: what the model was trained on and how it scored held out.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "model {} (slant {}) trained on {} ({} paragraphs, {} articles)",
            self.path,
            self.crate_version,
            self.trained_on(),
            self.paragraphs,
            self.groups
        );
        match self.held_out_score() {
            Some(score) => {
                let _ = write!(s, "; {score}");
            }
            None => s.push_str("; no cross-validated score stored"),
        }
        s
    }
}

/// Values keyed by class name, serialised as an object in class order.
#[derive(Debug)]
pub struct ClassMap<'a, T> {
    pub classes: &'a [String],
    pub values: &'a [T],
}

impl<T: Serialize> Serialize for ClassMap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.classes.len()))?;
        for (c, v) in self.classes.iter().zip(self.values) {
            map.serialize_entry(c, v)?;
        }
        map.end()
    }
}

/// `slant compare --json`.
#[derive(Debug, Serialize)]
pub struct CompareJson<'a> {
    pub model: &'a ModelInfo,
    /// The manifest or directory the outlets came from.
    pub outlets_from: &'a str,
    pub seed: u64,
    pub resamples: usize,
    pub permutations: usize,
    pub small_outlet_articles: usize,
    pub classes: &'a [String],
    pub outlets: Vec<OutletJson<'a>>,
    pub pairs: &'a [PairTest],
}

/// One outlet in `compare --json`.
#[derive(Debug, Serialize)]
pub struct OutletJson<'a> {
    pub outlet: &'a str,
    pub articles: usize,
    pub paragraphs: usize,
    pub empty_articles: usize,
    /// Paragraphs whose text the model was trained on.
    pub in_training: usize,
    /// Fewer than `small_outlet_articles` articles: treat the intervals with suspicion.
    pub small_sample: bool,
    pub shares: ClassMap<'a, Estimate>,
    pub mean_probs: ClassMap<'a, f64>,
    pub net_slant: Option<Estimate>,
    pub critical_share: Option<Estimate>,
}

impl<'a> CompareJson<'a> {
    pub fn new(c: &'a Comparison, model: &'a ModelInfo, outlets_from: &'a str) -> Self {
        let critical = c.class("critical");
        CompareJson {
            model,
            outlets_from,
            seed: c.config.seed,
            resamples: c.config.resamples,
            permutations: c.config.permutations,
            small_outlet_articles: SMALL_OUTLET_ARTICLES,
            classes: &c.classes,
            outlets: c
                .outlets
                .iter()
                .map(|o| OutletJson {
                    outlet: &o.outlet,
                    articles: o.articles,
                    paragraphs: o.paragraphs,
                    empty_articles: o.empty_articles,
                    in_training: o.in_training,
                    small_sample: o.is_small(),
                    shares: ClassMap {
                        classes: &c.classes,
                        values: &o.shares,
                    },
                    mean_probs: ClassMap {
                        classes: &c.classes,
                        values: &o.mean_probs,
                    },
                    net_slant: o.net_slant,
                    critical_share: critical.map(|i| o.shares[i]),
                })
                .collect(),
            pairs: &c.pairs,
        }
    }
}

/// A share or index with its interval, as `0.733 [0.600, 0.867]`.
pub fn fmt_estimate(e: &Estimate) -> String {
    format!("{:.3} [{:.3}, {:.3}]", e.value, e.ci95[0], e.ci95[1])
}

/// The warning shown beside a small outlet.
pub fn small_warning(o: &OutletStats) -> Option<String> {
    o.is_small().then(|| {
        format!(
            "only {} article{}: fewer than {SMALL_OUTLET_ARTICLES}, intervals unreliable",
            o.articles,
            if o.articles == 1 { "" } else { "s" }
        )
    })
}

/// The warning printed when the model was trained on paragraphs it is now labelling.
pub fn training_warning(c: &Comparison) -> Option<String> {
    let n = c.in_training();
    (n > 0).then(|| {
        format!(
            "{n} of {} paragraphs were in the model's training data, so their labels are fits, not predictions; compare with a model trained on other articles",
            c.paragraphs()
        )
    })
}

/// The terminal table of `slant compare`.
pub fn render_comparison(c: &Comparison, model: &ModelInfo, outlets_from: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "outlets from {outlets_from}");
    let _ = writeln!(out, "{}", model.describe());
    let _ = writeln!(
        out,
        "shares of each outlet's paragraphs by predicted stance; 95% intervals from {} bootstrap resamples of articles (seed {})\n",
        c.config.resamples, c.config.seed
    );
    if let Some(w) = training_warning(c) {
        let _ = writeln!(out, "! {w}\n");
    }
    let name_w = c
        .outlets
        .iter()
        .map(|o| o.outlet.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let est_w = 23;
    let _ = write!(
        out,
        "{:<name_w$}  {:>8}  {:>5}",
        "outlet", "articles", "paras"
    );
    for class in &c.classes {
        let _ = write!(out, "  {class:<est_w$}");
    }
    let has_net = c.outlets.iter().any(|o| o.net_slant.is_some());
    if has_net {
        let _ = write!(out, "  {:<est_w$}", "net slant");
    }
    out.push('\n');
    for o in &c.outlets {
        let _ = write!(
            out,
            "{:<name_w$}  {:>8}  {:>5}",
            o.outlet, o.articles, o.paragraphs
        );
        for s in &o.shares {
            let _ = write!(out, "  {:<est_w$}", fmt_estimate(s));
        }
        if let Some(n) = &o.net_slant {
            let _ = write!(out, "  {:<est_w$}", fmt_estimate(n));
        }
        let mut notes = Vec::new();
        notes.extend(small_warning(o).map(|w| format!("! {w}")));
        if o.empty_articles > 0 {
            notes.push(format!(
                "{} article(s) without content paragraphs left out",
                o.empty_articles
            ));
        }
        if o.in_training > 0 {
            notes.push(format!("{} paragraphs in training data", o.in_training));
        }
        let _ = writeln!(out, "  {}", notes.join("; ").trim_end());
    }
    if has_net {
        let _ = writeln!(
            out,
            "\nnet slant = hawkish share - conciliatory share (-1 all conciliatory, +1 all hawkish)"
        );
    }

    let _ = writeln!(out, "\nmean class probabilities");
    let _ = write!(out, "{:<name_w$}", "outlet");
    for class in &c.classes {
        let _ = write!(out, "  {class:>12}");
    }
    out.push('\n');
    for o in &c.outlets {
        let _ = write!(out, "{:<name_w$}", o.outlet);
        for p in &o.mean_probs {
            let _ = write!(out, "  {p:>12.3}");
        }
        out.push('\n');
    }

    if !c.pairs.is_empty() {
        let _ = writeln!(
            out,
            "\npairwise differences (first minus second outlet), two-sided permutation tests over articles ({} permutations, seed {}; p not adjusted for multiple comparisons)",
            c.config.permutations, c.config.seed
        );
        if c.has_unknown() {
            let _ = writeln!(out, "{UNTESTED_UNKNOWN}");
        }
        let pair_w = c
            .pairs
            .iter()
            .map(|p| p.a.chars().count() + p.b.chars().count() + 4)
            .max()
            .unwrap_or(4);
        let measure_w = c
            .pairs
            .iter()
            .map(|p| p.measure.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        let _ = writeln!(
            out,
            "{:<pair_w$}  {:<measure_w$}  {:>10}  {:>7}",
            "outlets", "measure", "difference", "p"
        );
        for p in &c.pairs {
            let _ = writeln!(
                out,
                "{:<pair_w$}  {:<measure_w$}  {:>+10.3}  {:>7.4}",
                format!("{} vs {}", p.a, p.b),
                p.measure,
                p.difference,
                p.p_value
            );
        }
    }
    // Padding leaves trailing spaces at the end of some rows.
    let mut trimmed: String = out
        .lines()
        .map(|l| l.trim_end().to_owned() + "\n")
        .collect();
    if trimmed.is_empty() {
        trimmed = out;
    }
    trimmed
}

/// `slant compare --csv`: tidy rows, one number each. Columns `outlet, other, measure, value,
/// ci95_low, ci95_high, p_value, permutations`. Per outlet: `articles`, `paragraphs`,
/// `empty_articles`, `in_training`, `share_<class>` (with its interval), `mean_p_<class>`, `net_slant` (with
/// its interval). Per pair (`other` filled in): `share_<class>` and `net_slant` differences with
/// their p-values.
pub fn render_comparison_csv(c: &Comparison) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let row = |w: &mut csv::Writer<Vec<u8>>, f: [String; 8]| {
        w.write_record(&f).expect("writing to memory");
    };
    let s = |x: &dyn std::fmt::Display| x.to_string();
    row(
        &mut w,
        [
            "outlet",
            "other",
            "measure",
            "value",
            "ci95_low",
            "ci95_high",
            "p_value",
            "permutations",
        ]
        .map(String::from),
    );
    let e = String::new;
    for o in &c.outlets {
        for (m, v) in [
            ("articles", o.articles),
            ("paragraphs", o.paragraphs),
            ("empty_articles", o.empty_articles),
            ("in_training", o.in_training),
        ] {
            row(
                &mut w,
                [o.outlet.clone(), e(), m.into(), s(&v), e(), e(), e(), e()],
            );
        }
        let estimates = c
            .classes
            .iter()
            .map(|cl| format!("share_{cl}"))
            .zip(o.shares.iter().copied())
            .chain(
                o.net_slant
                    .map(|n| (crate::compare::NET_SLANT.to_string(), n)),
            );
        for (m, est) in estimates {
            row(
                &mut w,
                [
                    o.outlet.clone(),
                    e(),
                    m,
                    s(&est.value),
                    s(&est.ci95[0]),
                    s(&est.ci95[1]),
                    e(),
                    e(),
                ],
            );
        }
        for (cl, p) in c.classes.iter().zip(&o.mean_probs) {
            row(
                &mut w,
                [
                    o.outlet.clone(),
                    e(),
                    format!("mean_p_{cl}"),
                    s(p),
                    e(),
                    e(),
                    e(),
                    e(),
                ],
            );
        }
    }
    for p in &c.pairs {
        let measure = if p.measure == crate::compare::NET_SLANT {
            p.measure.clone()
        } else {
            format!("share_{}", p.measure)
        };
        row(
            &mut w,
            [
                p.a.clone(),
                p.b.clone(),
                measure,
                s(&p.difference),
                e(),
                e(),
                s(&p.p_value),
                s(&p.permutations),
            ],
        );
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 fields")
}
