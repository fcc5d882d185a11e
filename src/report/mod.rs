//! Presenting results: evaluation tables and the JSON wire format of `slant eval --json` (here),
//! outlet comparisons ([`compare`]: table, JSON, CSV) and the HTML report ([`html`]).

pub mod compare;
pub mod html;

use std::fmt::Write;

use serde::Serialize;

use crate::dataset::Dataset;
use crate::eval::{ClassMetrics, ConfidenceBin, Evaluation, Scores};
use crate::score::Probabilities;

/// `slant eval --json`: one object with a stable field order; the figures on all paragraphs sit
/// at the top level, those on `clear` paragraphs in `clear`.
#[derive(Debug, Serialize)]
pub struct EvalJson<'a> {
    pub scheme: &'a str,
    pub folds: usize,
    pub labels: &'a [String],
    #[serde(flatten)]
    pub all: ScoresJson<'a>,
    pub excluded_training: usize,
    pub clear: Option<ScoresJson<'a>>,
}

/// The figures of one subset of paragraphs.
#[derive(Debug, Serialize)]
pub struct ScoresJson<'a> {
    pub n: usize,
    pub groups: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: &'a [ClassMetrics],
    pub confusion: &'a [Vec<usize>],
    pub baseline_accuracy: f64,
    pub baseline_macro_f1: f64,
    pub accuracy_ci95: [f64; 2],
    pub macro_f1_ci95: [f64; 2],
}

impl<'a> ScoresJson<'a> {
    fn new(s: &'a Scores) -> Self {
        ScoresJson {
            n: s.metrics.n,
            groups: s.groups,
            accuracy: s.metrics.accuracy,
            macro_f1: s.metrics.macro_f1,
            per_class: &s.metrics.per_class,
            confusion: &s.metrics.confusion,
            baseline_accuracy: s.baseline.accuracy,
            baseline_macro_f1: s.baseline.macro_f1,
            accuracy_ci95: s.accuracy_ci95,
            macro_f1_ci95: s.macro_f1_ci95,
        }
    }
}

impl<'a> EvalJson<'a> {
    pub fn new(e: &'a Evaluation) -> Self {
        EvalJson {
            scheme: &e.scheme,
            folds: e.folds,
            labels: &e.labels,
            all: ScoresJson::new(&e.all),
            excluded_training: e.excluded_training,
            clear: e.clear.as_ref().map(ScoresJson::new),
        }
    }
}

/// The human-readable report.
pub fn render_table(e: &Evaluation, source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{source}: {}", e.scheme);
    if e.excluded_training > 0 {
        let _ = writeln!(
            out,
            "left out {} paragraph(s) the model was trained on",
            e.excluded_training
        );
    }
    render_scores(&mut out, "all paragraphs", &e.all, &e.labels);
    if let Some(clear) = &e.clear {
        out.push('\n');
        render_scores(&mut out, "clear paragraphs only", clear, &e.labels);
    }
    out
}

fn render_scores(out: &mut String, title: &str, s: &Scores, labels: &[String]) {
    let m = &s.metrics;
    let _ = writeln!(out, "\n{title}: {} paragraphs in {} groups", m.n, s.groups);
    let _ = writeln!(
        out,
        "  accuracy  {:.3}  95% CI [{:.3}, {:.3}]   majority baseline {:.3}",
        m.accuracy, s.accuracy_ci95[0], s.accuracy_ci95[1], s.baseline.accuracy
    );
    let _ = writeln!(
        out,
        "  macro-F1  {:.3}  95% CI [{:.3}, {:.3}]   majority baseline {:.3}",
        m.macro_f1, s.macro_f1_ci95[0], s.macro_f1_ci95[1], s.baseline.macro_f1
    );
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(5)
        .max(9);
    let _ = writeln!(
        out,
        "\n  {:<width$}  precision  recall     f1  support",
        "class"
    );
    for c in &m.per_class {
        let _ = writeln!(
            out,
            "  {:<width$}  {:>9.3}  {:>6.3}  {:>5.3}  {:>7}",
            c.label, c.precision, c.recall, c.f1, c.support
        );
    }
    let _ = writeln!(out, "\n  confusion (rows = true, columns = predicted)");
    let cell = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = write!(out, "  {:<width$}", "");
    for l in labels {
        let _ = write!(out, "  {l:>cell$}");
    }
    out.push('\n');
    for (l, row) in labels.iter().zip(&m.confusion) {
        let _ = write!(out, "  {l:<width$}");
        for v in row {
            let _ = write!(out, "  {v:>cell$}");
        }
        out.push('\n');
    }
}

/// One line of `slant eval --predictions FILE`: a held-out paragraph and what the model said.
#[derive(Debug, Serialize)]
pub struct PredictionJson<'a> {
    pub doc: &'a str,
    pub para: Option<&'a str>,
    /// The labelled file the paragraph came from (one of the `--data` files) and its line there.
    pub file: String,
    pub line: u64,
    pub label: &'a str,
    pub predicted: &'a str,
    pub probs: Probabilities<'a>,
    /// Top probability minus the second.
    pub margin: f64,
    pub correct: bool,
}

impl<'a> PredictionJson<'a> {
    /// The `i`th evaluated paragraph of `e`, which evaluated `data`.
    pub fn new(e: &'a Evaluation, data: &'a Dataset, i: usize) -> Self {
        let o = &e.outcome;
        let ex = &data.examples[o.row[i]];
        PredictionJson {
            doc: &ex.group,
            para: ex.para.as_deref(),
            file: data.path_of(ex).display().to_string(),
            line: ex.line,
            label: &e.labels[o.truth[i]],
            predicted: &e.labels[o.pred[i]],
            probs: Probabilities {
                classes: &e.labels,
                values: o.probabilities[i].clone(),
            },
            margin: crate::score::margin(&o.probabilities[i]),
            correct: o.truth[i] == o.pred[i],
        }
    }
}

/// The table of `slant eval --by-confidence`: accuracy of held-out paragraphs by top probability.
pub fn render_confidence(bins: &[ConfidenceBin]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nby top probability (held-out paragraphs; \"below\" = every paragraph under the bin's upper edge)"
    );
    let _ = writeln!(
        out,
        "  {:<11}  {:>5}  {:>8}  {:>8}    {:>5}  {:>8}  {:>8}",
        "top prob", "n", "accuracy", "baseline", "below", "accuracy", "baseline"
    );
    let (mut n, mut c, mut b) = (0, 0, 0);
    let frac = |x: usize, n: usize| {
        if n == 0 {
            "-".to_string()
        } else {
            format!("{:.3}", x as f64 / n as f64)
        }
    };
    for bin in bins {
        n += bin.n;
        c += bin.correct;
        b += bin.baseline_correct;
        let _ = writeln!(
            out,
            "  [{:.2}, {:.2}{}  {:>5}  {:>8}  {:>8}    {:>5}  {:>8}  {:>8}",
            bin.from,
            bin.to,
            if bin.to >= 1.0 { "]" } else { ")" },
            bin.n,
            frac(bin.correct, bin.n),
            frac(bin.baseline_correct, bin.n),
            n,
            frac(c, n),
            frac(b, n)
        );
    }
    out
}
