//! The figures that judge a configuration on real text: leave-one-seed-article-out, trained on
//! the other seed articles with and without the written set, with and without context
//! features; then grouped 5-fold CV over the written articles alone. Each line carries the
//! majority-class baseline and bootstrap intervals (resampling articles).
//!
//! The last seed line is nested: each held-out seed article's model uses the word n-gram range
//! (1-1 or 1-2, the rest as configured) that scored best, leave one out, on the *other* seed
//! articles. It is the honest figure for choosing that range by real text, which is how the
//! shipped model's range was chosen (README, "Latest figures").
//!
//! Last, a learning curve: the first line again, trained on 25%, 50% and 75% of the written
//! articles (three seeded draws of whole articles each), to show how far the seed figure moves
//! with the written training set alone.
//!
//! `cargo run --release --example real_text [MODEL]` (default: the shipped model's configuration)

use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
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

    // Whole written articles are drawn, so a draw keeps each article's paragraphs together.
    let mut docs: Vec<&str> = written.examples.iter().map(|e| e.group.as_str()).collect();
    docs.sort_unstable();
    docs.dedup();
    println!("learning curve: seed articles, leave one out, seeds + part of written, context (macro-F1 per draw)");
    println!("| written articles drawn | paragraphs (draws) | macro-F1 per draw | mean |");
    println!("|---|---|---|---|");
    for percent in [25, 50, 75] {
        let mut scores = Vec::new();
        let mut sizes = Vec::new();
        for draw in 0..3u64 {
            let mut order = docs.clone();
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(draw));
            order.truncate(docs.len() * percent / 100);
            order.sort_unstable();
            let mut part = written.clone();
            part.examples
                .retain(|e| order.binary_search(&e.group.as_str()).is_ok());
            sizes.push(part.examples.len().to_string());
            scores.push(run(&config, Some(&part))?.all.metrics.macro_f1);
        }
        let shown: Vec<String> = scores.iter().map(|s| format!("{s:.3}")).collect();
        println!(
            "| {percent}% of {} | {} | {} | {:.3} |",
            docs.len(),
            sizes.join(", "),
            shown.join(", "),
            scores.iter().sum::<f64>() / scores.len() as f64
        );
    }
    Ok(())
}
