//! Exports slant's TF-IDF rows of a train and a test file in svmlight format, so that another
//! learner (scikit-learn, in `benches/compare.py`) trains on exactly slant's features, and times
//! slant's own fit on them.
//!
//! `cargo run --release --example export_features -- --model M.json --train train.tsv --test test.tsv --out-dir DIR`
//!
//! The configuration is read from `--model` (a model `slant train` wrote from `--train` with the
//! same flags), so the features are those of the command-line run. The featurizer is fitted on
//! the train file only; rows include context features: the rows with context that training's
//! objective is defined on (the sparse solver itself mixes own rows instead). Writes,
//! under `--out-dir`:
//! - `train.svm`, `test.svm`: `class f:v f:v ...`, zero-based features, class index into `classes`;
//! - `slant_test_pred.txt`: slant's predicted class index for every test row, one per line;
//! - `features.json`: classes, sizes, and timings (seconds, best of `--repeats`): `featurize_s`
//!   (fit vocabulary and idf, then the train rows as the configured solver takes them: own rows
//!   and context mixing, or for linfa the rows with context), `pipeline_fit_s` (`Pipeline::fit`:
//!   the same featurizing, then the model), and `model_fit_s`, their difference: the model's
//!   fit alone, as far as a subtraction of two timings says it.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use slant::dataset::{read_dataset, Columns, Dataset};
use slant::model::{Pipeline, Solver, StanceModel};
use slant::tfidf::SparseVec;

#[derive(Parser)]
struct Args {
    /// Model whose configuration (featurizer and model hyper-parameters) is used.
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    train: PathBuf,
    #[arg(long)]
    test: PathBuf,
    #[arg(long)]
    out_dir: PathBuf,
    /// Time the featurizing and the fit this many times and keep the best.
    #[arg(long, default_value_t = 1)]
    repeats: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("export_features: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// One labelled file as training sees it.
struct Labelled {
    texts: Vec<String>,
    /// Article index of each paragraph.
    article: Vec<usize>,
    /// Class index of each label.
    y: Vec<usize>,
}

fn labelled(data: &Dataset, classes: &[String]) -> Result<Labelled, String> {
    let texts = data.examples.iter().map(|e| e.text.clone()).collect();
    let (article, _) = data.group_indices();
    let y = data
        .examples
        .iter()
        .map(|e| {
            classes.binary_search(&e.label).map_err(|_| {
                format!(
                    "{} line {}: label `{}` is not among the training classes {:?}",
                    data.name(),
                    e.line,
                    e.label,
                    classes
                )
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Labelled { texts, article, y })
}

fn svmlight(rows: &[SparseVec], y: &[usize]) -> String {
    let mut s = String::new();
    for (row, label) in rows.iter().zip(y) {
        write!(s, "{label}").unwrap();
        for (i, v) in row.iter() {
            // `{}` prints the shortest text that reads back as the same f64.
            write!(s, " {i}:{v}").unwrap();
        }
        s.push('\n');
    }
    s
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.repeats == 0 {
        return Err("--repeats must be at least 1".into());
    }
    let model = StanceModel::load(&args.model)?;
    let config = model.config();
    if config.model.class_balance {
        return Err(format!(
            "{} was trained with class balance, which repeats rows; export from a model trained with --class-balance false so that both learners see the same rows",
            args.model.display()
        )
        .into());
    }
    let train = read_dataset(&args.train, &Columns::default(), None)?;
    let test = read_dataset(&args.test, &Columns::default(), None)?;
    let classes = train.classes();
    let Labelled {
        texts: train_texts,
        article: train_article,
        y: train_y,
    } = labelled(&train, &classes)?;
    let Labelled {
        texts: test_texts,
        article: test_article,
        y: test_y,
    } = labelled(&test, &classes)?;

    // Timed: what `Pipeline::fit` featurizes before it fits. The sparse solver takes the own
    // rows and the context mixing; the rows with context that scikit-learn is given are built
    // afterwards, untimed (only `--solver linfa` builds them inside the fit).
    let mut featurize_s = f64::INFINITY;
    let mut fitted_featurizer = None;
    for _ in 0..args.repeats {
        let t = Instant::now();
        let featurizer = config.featurizer.fit(&train_texts)?;
        match config.model.solver {
            Solver::Lbfgs => {
                black_box(featurizer.own_rows_flat(&train_texts));
                black_box(featurizer.config().context.mixing(&train_article));
            }
            Solver::Linfa => {
                black_box(featurizer.transform_articles_flat(&train_texts, &train_article));
            }
        }
        featurize_s = featurize_s.min(t.elapsed().as_secs_f64());
        fitted_featurizer = Some(featurizer);
    }
    let featurizer = fitted_featurizer.expect("at least one repeat");
    let train_rows = featurizer.transform_articles(&train_texts, &train_article);
    let test_rows = featurizer.transform_articles(&test_texts, &test_article);

    let mut pipeline_fit_s = f64::INFINITY;
    let mut fitted = None;
    for _ in 0..args.repeats {
        let t = Instant::now();
        let p = Pipeline::fit(&config, &train_texts, &train_article, &train_y, &classes)?;
        pipeline_fit_s = pipeline_fit_s.min(t.elapsed().as_secs_f64());
        fitted = Some(p);
    }
    let pipeline = fitted.expect("at least one repeat");
    if pipeline.featurizer.vocabulary() != featurizer.vocabulary() {
        return Err(
            "the featurizer fitted twice on the same text differs; training is not deterministic"
                .into(),
        );
    }
    let probs = pipeline.probabilities_articles(&test_texts, &test_article);
    let pred: String = probs
        .iter()
        .map(|p| {
            let best = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .expect("at least two classes");
            format!("{best}\n")
        })
        .collect();

    std::fs::create_dir_all(&args.out_dir)?;
    slant::write_atomic(
        &args.out_dir.join("train.svm"),
        svmlight(&train_rows, &train_y).as_bytes(),
    )?;
    slant::write_atomic(
        &args.out_dir.join("test.svm"),
        svmlight(&test_rows, &test_y).as_bytes(),
    )?;
    slant::write_atomic(&args.out_dir.join("slant_test_pred.txt"), pred.as_bytes())?;
    let nnz = |rows: &[SparseVec]| rows.iter().map(SparseVec::nnz).sum::<usize>();
    let meta = serde_json::json!({
        "classes": classes,
        "n_features": featurizer.n_features(),
        "train_rows": train_rows.len(),
        "test_rows": test_rows.len(),
        "train_nnz": nnz(&train_rows),
        "test_nnz": nnz(&test_rows),
        "alpha": config.model.alpha,
        "max_iterations": config.model.max_iterations,
        "gradient_tolerance": config.model.gradient_tolerance,
        "repeats": args.repeats,
        "featurize_s": featurize_s,
        "pipeline_fit_s": pipeline_fit_s,
        "model_fit_s": (pipeline_fit_s - featurize_s).max(0.0),
        // The in-process fit and the command line's model agree when training is deterministic
        // and the model was trained on --train with these settings.
        "same_as_model": probs == model.pipeline.probabilities_articles(&test_texts, &test_article),
    });
    slant::write_atomic(
        &args.out_dir.join("features.json"),
        format!("{}\n", serde_json::to_string_pretty(&meta)?).as_bytes(),
    )?;
    Ok(())
}
