//! The figures that judge a configuration on real text: leave-one-seed-article-out, trained on
//! the other seed articles with and without the written set, with and without context
//! features; then grouped 5-fold CV over the written articles alone. Each line carries the
//! majority-class baseline and bootstrap intervals (resampling articles).
//!
//! The last seed line is nested: each held-out seed article's model uses the word n-gram range
//! (1-1 or 1-2, the rest as configured) that scored best, leave one out, on the *other* seed
//! articles. It is the honest figure for choosing that range by real text, which is how the
//! shipped model's range was chosen (README, "Choosing the model").
//!
//! `cargo run --release --example real_text [MODEL]` (default: the shipped model's configuration)

use std::path::{Path, PathBuf};

use slant::dataset::{Columns, Dataset};
use slant::eval::{cross_validate, nested_leave_one_out, Evaluation, FoldScheme};
use slant::model::{StanceModel, TrainConfig};
use slant::tfidf::ContextConfig;

fn line(name: &str, e: &Evaluation) {
    let s = &e.all;
    println!(
        "| {name} | {} | {:.3} [{:.3}, {:.3}] | {:.3} | {:.3} [{:.3}, {:.3}] | {:.3} |",
        s.metrics.n,
        s.metrics.macro_f1,
        s.macro_f1_ci95[0],
        s.macro_f1_ci95[1],
        s.baseline.macro_f1,
        s.metrics.accuracy,
        s.accuracy_ci95[0],
        s.accuracy_ci95[1],
        s.baseline.accuracy,
    );
}

fn main() -> Result<(), slant::Error> {
    let model_path: PathBuf = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/stance.json".into())
        .into();
    let config = StanceModel::load(&model_path)?.config();
    let mut no_context = config.clone();
    no_context.featurizer.context = ContextConfig::default();
    let read = |p: &str| Dataset::read_all(&[PathBuf::from(p)], &Columns::default(), None);
    let seeds = read("labels/seeds.tsv")?;
    let written = read("labels/written.tsv")?;
    let loso = FoldScheme::LeaveOneGroupOut;
    let run = |c: &TrainConfig, extra: Option<&Dataset>| cross_validate(&seeds, extra, c, loso, 42);

    println!("configuration of {}", Path::new(&model_path).display());
    println!("| evaluation | n | macro-F1 [95% CI] | baseline macro-F1 | accuracy [95% CI] | baseline accuracy |");
    println!("|---|---|---|---|---|---|");
    line(
        "seed articles, leave one out: seeds + written, context",
        &run(&config, Some(&written))?,
    );
    line(
        "seed articles, leave one out: seeds + written, no context",
        &run(&no_context, Some(&written))?,
    );
    line(
        "seed articles, leave one out: seeds only, context",
        &run(&config, None)?,
    );
    line(
        "seed articles, leave one out: seeds only, no context",
        &run(&no_context, None)?,
    );
    let ranges = [[1, 1], [1, 2]];
    let candidates: Vec<TrainConfig> = ranges
        .iter()
        .map(|&r| {
            let mut c = config.clone();
            c.featurizer.analyzer.ngram_range = r;
            c
        })
        .collect();
    let (nested, choices) = nested_leave_one_out(&seeds, Some(&written), &candidates, 42)?;
    line(
        "seed articles, nested: word n-grams chosen on the other seed articles, seeds + written, context",
        &nested,
    );
    line(
        "written articles, grouped 5-fold (not real text)",
        &cross_validate(&written, None, &config, FoldScheme::GroupKFold(5), 42)?,
    );
    let chosen: Vec<String> = choices
        .iter()
        .map(|&c| format!("{}-{}", ranges[c][0], ranges[c][1]))
        .collect();
    println!(
        "word n-grams chosen in the nested line, per held-out seed article: {}",
        chosen.join(", ")
    );
    Ok(())
}
