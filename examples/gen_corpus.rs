//! Writes a generated corpus for speed and memory measurements (`benches/compare.py` uses it).
//!
//! `cargo run --release --example gen_corpus -- --paragraphs 10000 --seed 42 --out target/bench/c10k`
//!
//! Paragraphs are recombined sentences of same-label paragraphs of `labels/written.tsv` (see
//! `benches/support/corpus.rs`); the text is for timing only, never for accuracy claims. Writes,
//! under `--out`:
//! - `articles/<doc>.txt`: one file per article, paragraphs separated by blank lines;
//! - `train.tsv`, `test.tsv`: the paragraphs in the project's labels format, split by article;
//! - `corpus.json`: what was generated (counts, seed, source file and its SHA-256).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use slant::dataset::{read_dataset, Columns};

#[path = "../benches/support/corpus.rs"]
mod corpus;

#[derive(Parser)]
struct Args {
    /// Total paragraphs to generate.
    #[arg(long)]
    paragraphs: usize,
    /// Seed of the generator (ChaCha8).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output directory; its `articles/` must not exist yet.
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
    if args.paragraphs == 0 {
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
    let articles = corpus::generate(&pools, args.paragraphs, args.seed);
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
        "paragraphs": args.paragraphs,
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
        args.paragraphs,
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
