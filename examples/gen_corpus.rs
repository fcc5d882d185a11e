//! Writes a generated corpus for speed and memory measurements, in one of two modes.
//!
//! A labelled benchmark corpus (`benches/compare.py` uses it):
//!
//! `cargo run --release --example gen_corpus -- --paragraphs 10000 --seed 42 --out target/bench/c10k`
//!
//! Paragraphs are recombined sentences of same-label paragraphs of `labels/written.tsv` (see
//! `benches/support/corpus.rs`); the text is for timing only, never for accuracy claims. Writes,
//! under `--out`:
//! - `articles/<doc>.txt`: one file per article, paragraphs separated by blank lines;
//! - `train.tsv`, `test.tsv`: the paragraphs in the project's labels format, split by article;
//! - `corpus.json`: what was generated (counts, seed, source file and its SHA-256).
//!
//! A big unlabelled input for `slant score` throughput and memory (tests/README.md, "Throughput
//! and memory"), streamed to disk, of at least `--mb` MiB:
//!
//! `cargo run --release --example gen_corpus -- --mb 1024 --layout articles --out /tmp/slant-corpus`
//! `cargo run --release --example gen_corpus -- --mb 1024 --layout jsonl --out /tmp/slant-corpus.jsonl`
//!
//! - `articles`: `--out` is a new directory of `0000/doc0000000.txt`, ...: 1,000 article files per
//!   sub-directory, each a title line and 8 to 30 paragraphs of 3 to 6 sentences;
//! - `jsonl`: `--out` is one JSON Lines file of paragraph records
//!   `{"id": "docN:k", "text", "outlet"}`, the same articles without titles, five outlets in turn.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use slant::dataset::{read_dataset, Columns};

#[path = "../benches/support/corpus.rs"]
mod corpus;

#[derive(Parser)]
#[command(group(clap::ArgGroup::new("size").required(true).args(["paragraphs", "mb"])))]
struct Args {
    /// Total paragraphs of a labelled benchmark corpus.
    #[arg(long)]
    paragraphs: Option<usize>,
    /// Instead, a big unlabelled input of at least this many MiB, for `slant score`.
    #[arg(long)]
    mb: Option<f64>,
    /// Layout of the big input (with --mb) [default: articles].
    #[arg(long, value_enum, conflicts_with = "paragraphs")]
    layout: Option<corpus::Layout>,
    /// Seed of the generator (ChaCha8).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output directory (its `articles/` must not exist yet); with --mb, a new directory
    /// (articles) or a file (jsonl).
    #[arg(long)]
    out: PathBuf,
    /// Labelled paragraphs whose sentences are recombined.
    #[arg(long, default_value = "labels/written.tsv")]
    labels: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_corpus: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    match (args.paragraphs, args.mb) {
        (Some(n), _) => labelled(args, n),
        (None, Some(mb)) => big(args, mb),
        (None, None) => unreachable!("clap requires one of the two"),
    }
}

/// Writes the big input of `--mb` MiB.
fn big(args: &Args, mb: f64) -> Result<(), Box<dyn std::error::Error>> {
    if !(mb.is_finite() && mb > 0.0) {
        return Err(format!("--mb must be a positive number of MiB, not {mb}").into());
    }
    let layout = args.layout.unwrap_or(corpus::Layout::Articles);
    let data = read_dataset(&args.labels, &Columns::default(), None)?;
    let pools = corpus::Pools::from_dataset(&data);
    let target = (mb * 1024.0 * 1024.0).ceil() as u64;
    let s = corpus::write_big(&pools, layout, &args.out, target, args.seed)?;
    eprintln!(
        "gen_corpus: {} articles, {} paragraphs, {} bytes in {}",
        s.articles,
        s.paragraphs,
        s.bytes,
        args.out.display()
    );
    Ok(())
}

/// Writes the labelled benchmark corpus of `n_paragraphs` paragraphs.
fn labelled(args: &Args, n_paragraphs: usize) -> Result<(), Box<dyn std::error::Error>> {
    if n_paragraphs == 0 {
        return Err("--paragraphs must be at least 1".into());
    }
    let dir = args.out.join("articles");
    if dir.exists() {
        return Err(format!(
            "{} already exists; remove it (or choose another --out) to generate afresh",
            dir.display()
        )
        .into());
    }
    let data = read_dataset(&args.labels, &Columns::default(), None)?;
    let pools = corpus::Pools::from_dataset(&data);
    let articles = corpus::generate(&pools, n_paragraphs, args.seed);
    std::fs::create_dir_all(&dir)?;
    for a in &articles {
        slant::write_atomic(
            &dir.join(format!("{}.txt", a.doc)),
            a.file_text().as_bytes(),
        )?;
    }
    let train = labels_tsv(articles.iter().filter(|a| !a.test));
    let test = labels_tsv(articles.iter().filter(|a| a.test));
    slant::write_atomic(&args.out.join("train.tsv"), train.as_bytes())?;
    slant::write_atomic(&args.out.join("test.tsv"), test.as_bytes())?;
    let count = |test: bool| -> usize {
        articles
            .iter()
            .filter(|a| a.test == test)
            .map(|a| a.paragraphs.len())
            .sum()
    };
    let meta = serde_json::json!({
        "paragraphs": n_paragraphs,
        "articles": articles.len(),
        "train_paragraphs": count(false),
        "test_paragraphs": count(true),
        "test_articles": articles.iter().filter(|a| a.test).count(),
        "seed": args.seed,
        "source": args.labels.display().to_string(),
        "source_sha256": data.sources[0].sha256,
        "sentences_per_label": pools.labels.iter().zip(&pools.sentences)
            .map(|(l, s)| (l.clone(), s.len())).collect::<std::collections::BTreeMap<_, _>>(),
        "bytes": articles.iter().map(|a| a.file_text().len()).sum::<usize>(),
    });
    slant::write_atomic(
        &args.out.join("corpus.json"),
        format!("{}\n", serde_json::to_string_pretty(&meta)?).as_bytes(),
    )?;
    eprintln!(
        "gen_corpus: {} paragraphs in {} articles ({} train, {} test paragraphs) in {}",
        n_paragraphs,
        articles.len(),
        count(false),
        count(true),
        args.out.display()
    );
    Ok(())
}

/// The rows of the labelled-data file for articles of one split, in the project's labels
/// format (`doc para label strength text source`; labels/README.md).
pub fn labels_tsv<'a>(articles: impl Iterator<Item = &'a corpus::GenArticle>) -> String {
    let mut s = String::from("doc\tpara\tlabel\tstrength\ttext\tsource\n");
    for a in articles {
        for (i, p) in a.paragraphs.iter().enumerate() {
            s.push_str(&format!(
                "{}\t{}\t{}\tclear\t{}\tgenerated\n",
                a.doc,
                i + 1,
                p.label,
                p.text
            ));
        }
    }
    s
}
