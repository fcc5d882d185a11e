//! The `slant` command line: parses flags, builds a validated configuration, calls the library.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use slant::dataset::{Columns, Dataset, Format};
use slant::eval::{cross_validate, evaluate_model, FoldScheme};
use slant::model::{StanceModel, TrainConfig};
use slant::report::{render_table, EvalJson};
use slant::score::{collect_inputs, score_article, Input};
use slant::split::Split;
use slant::train::{train, TrainOptions};

const DEFAULT_DATA: &str = "labels/seeds.tsv";
const DEFAULT_MODEL: &str = "models/stance.json";
const DEFAULT_INPUT: &str = "seeds";

#[derive(Parser)]
#[command(
    name = "slant",
    version,
    about = "Score the stance of op-ed paragraphs toward Pakistan's policy on Afghanistan"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Split articles into content paragraphs (JSON Lines: doc, para, text).
    Split {
        /// Files or directories (default: seeds/).
        paths: Vec<PathBuf>,
        /// Also print what was dropped as furniture or headings, and why (to stderr).
        #[arg(long)]
        show_dropped: bool,
    },
    /// Train a model on labelled paragraphs and write the model file.
    Train {
        #[command(flatten)]
        data: DataArgs,
        /// Where to write the model.
        #[arg(long, default_value = DEFAULT_MODEL)]
        out: PathBuf,
        #[command(flatten)]
        hyper: HyperArgs,
        #[command(flatten)]
        cv: CvArgs,
        /// Skip the cross-validation whose scores are stored in the model.
        #[arg(long)]
        no_cv: bool,
    },
    /// Evaluate: grouped cross-validation on labelled data, or a saved model on held-out data.
    Eval {
        #[command(flatten)]
        data: DataArgs,
        /// Evaluate this saved model instead of cross-validating.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        hyper: HyperArgs,
        #[command(flatten)]
        cv: CvArgs,
    },
    /// Choose hyper-parameters by nested grouped cross-validation, then train and write the model.
    Tune {
        #[command(flatten)]
        data: DataArgs,
        /// Where to write the model trained with the chosen configuration.
        #[arg(long, default_value = DEFAULT_MODEL)]
        out: PathBuf,
        /// Hyper-parameters the search does not vary start from these.
        #[command(flatten)]
        hyper: HyperArgs,
        /// Grouped K of the outer (estimating) loop.
        #[arg(long, default_value_t = 5)]
        outer_folds: usize,
        /// Grouped K of the inner (selecting) loop.
        #[arg(long, default_value_t = 3)]
        inner_folds: usize,
        /// A 2-candidate grid, for trying the command out.
        #[arg(long)]
        quick: bool,
        /// Cross-validation stored in the model: folds over the --data files' articles, with
        /// --extra files in every training fold.
        #[command(flatten)]
        cv: CvArgs,
    },
    /// Score every paragraph of articles (JSON Lines: doc, para, label, probs).
    Score {
        /// Model file.
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Files, directories (walked for .txt and .md), or - for standard input (default: seeds/).
        paths: Vec<PathBuf>,
        /// Add each paragraph's top terms toward its label (`terms`).
        #[arg(long)]
        explain: bool,
        /// With --explain: how many terms.
        #[arg(long, default_value_t = 5)]
        top: usize,
    },
    /// Show the terms that weigh most for each class.
    Explain {
        /// Model file.
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Terms per class.
        #[arg(long, default_value_t = 15)]
        top: usize,
        /// One JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct DataArgs {
    /// Labelled paragraphs: TSV, CSV or JSON Lines with a header (repeat to combine files).
    #[arg(long, default_value = DEFAULT_DATA)]
    data: Vec<PathBuf>,
    /// More labelled paragraphs that join every training set but are never tested on
    /// (e.g. text written for training); repeatable.
    #[arg(long)]
    extra: Vec<PathBuf>,
    /// Format of --data (default: from the extension).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Column with the paragraph text.
    #[arg(long, default_value = "text")]
    text_col: String,
    /// Column with the label.
    #[arg(long, default_value = "label")]
    label_col: String,
    /// Column with the article (group) id; cross-validation keeps groups whole.
    #[arg(long, default_value = "doc")]
    group_col: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Tsv,
    Csv,
    Jsonl,
}

/// Hyper-parameters. Each flag overrides the defaults, or the configuration of `--config-from`.
#[derive(Args)]
struct HyperArgs {
    /// Start from the configuration stored in this model file (e.g. one chosen by `slant tune`).
    #[arg(long, value_name = "MODEL")]
    config_from: Option<PathBuf>,
    /// Smallest word n-gram [default: 1].
    #[arg(long)]
    ngram_min: Option<usize>,
    /// Largest word n-gram [default: 2].
    #[arg(long)]
    ngram_max: Option<usize>,
    /// Snowball stemming [default: true].
    #[arg(long)]
    stem: Option<bool>,
    /// Drop English function words [default: false].
    #[arg(long)]
    stop_words: Option<bool>,
    /// Character n-grams inside words, e.g. `3-5`, or `none` [default: none].
    #[arg(long, value_parser = parse_range_or_none)]
    char_ngrams: Option<Maybe<[usize; 2]>>,
    /// Keep terms seen in at least this many training paragraphs [default: 1].
    #[arg(long)]
    min_df: Option<usize>,
    /// Keep at most this many terms, most frequent first, or `none` [default: none].
    #[arg(long, value_parser = parse_count_or_none)]
    max_features: Option<Maybe<usize>>,
    /// Use 1 + ln(count) as term frequency [default: false].
    #[arg(long)]
    sublinear_tf: Option<bool>,
    /// Context: neighbouring paragraphs on each side whose features are added [default: 0].
    #[arg(long)]
    context_window: Option<usize>,
    /// Context: weight of the neighbours' mean features [default: 0].
    #[arg(long)]
    neighbour_weight: Option<f64>,
    /// Context: weight of the whole article's mean features [default: 0].
    #[arg(long)]
    article_weight: Option<f64>,
    /// L2 penalty (1/C in scikit-learn terms) [default: 1].
    #[arg(long)]
    alpha: Option<f64>,
    /// Weight classes equally [default: false].
    #[arg(long)]
    class_balance: Option<bool>,
    /// L-BFGS iteration cap [default: 500].
    #[arg(long)]
    max_iter: Option<u64>,
}

/// A flag value that may be `none` (clap reserves `Option<Option<T>>` for optional values).
#[derive(Clone, Copy)]
struct Maybe<T>(Option<T>);

fn parse_range_or_none(s: &str) -> Result<Maybe<[usize; 2]>, String> {
    if s == "none" {
        return Ok(Maybe(None));
    }
    let bad = || format!("`{s}` is not a range like 3-5 or `none`");
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a = a.trim().parse().map_err(|_| bad())?;
    let b = b.trim().parse().map_err(|_| bad())?;
    Ok(Maybe(Some([a, b])))
}

fn parse_count_or_none(s: &str) -> Result<Maybe<usize>, String> {
    if s == "none" {
        return Ok(Maybe(None));
    }
    s.parse()
        .map(|n| Maybe(Some(n)))
        .map_err(|_| format!("`{s}` is not a count or `none`"))
}

#[derive(Args)]
struct CvArgs {
    /// Grouped K-fold instead of leave-one-group-out.
    #[arg(long)]
    folds: Option<usize>,
    /// Seed for the bootstrap intervals.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

impl DataArgs {
    /// The `--data` files, and the `--extra` files if any.
    fn load(&self) -> anyhow::Result<(Dataset, Option<Dataset>)> {
        let data = self.read(&self.data)?;
        let extra = if self.extra.is_empty() {
            None
        } else {
            Some(self.read(&self.extra)?)
        };
        Ok((data, extra))
    }

    fn read(&self, paths: &[PathBuf]) -> anyhow::Result<Dataset> {
        let columns = Columns {
            text: self.text_col.clone(),
            label: self.label_col.clone(),
            group: self.group_col.clone(),
        };
        let format = self.format.map(|f| match f {
            FormatArg::Tsv => Format::Tsv,
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl => Format::JsonLines,
        });
        Ok(Dataset::read_all(paths, &columns, format)?)
    }
}

/// Shows the warnings of the data read; called once the command has succeeded, so that a
/// failing run prints its one error line alone.
fn show_warnings(data: &Dataset, extra: Option<&Dataset>) {
    for w in std::iter::once(data).chain(extra).flat_map(|d| &d.warnings) {
        eprintln!("slant: warning: {w}");
    }
}

impl HyperArgs {
    fn config(&self) -> anyhow::Result<TrainConfig> {
        let mut c = match &self.config_from {
            Some(path) => StanceModel::load(path)?.config(),
            None => TrainConfig::default(),
        };
        let f = &mut c.featurizer;
        let a = &mut f.analyzer;
        set(&mut a.ngram_range[0], self.ngram_min);
        set(&mut a.ngram_range[1], self.ngram_max);
        set(&mut a.stem, self.stem);
        set(&mut a.stop_words, self.stop_words);
        set(&mut a.char_ngrams, self.char_ngrams.map(|m| m.0));
        set(&mut f.min_df, self.min_df);
        set(&mut f.max_features, self.max_features.map(|m| m.0));
        set(&mut f.sublinear_tf, self.sublinear_tf);
        set(&mut f.context.window, self.context_window);
        set(&mut f.context.neighbour_weight, self.neighbour_weight);
        set(&mut f.context.article_weight, self.article_weight);
        let m = &mut c.model;
        set(&mut m.alpha, self.alpha);
        set(&mut m.class_balance, self.class_balance);
        set(&mut m.max_iterations, self.max_iter);
        c.check()?;
        Ok(c)
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

impl CvArgs {
    fn scheme(&self) -> FoldScheme {
        match self.folds {
            Some(k) => FoldScheme::GroupKFold(k),
            None => FoldScheme::LeaveOneGroupOut,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The reader of our output went away (`slant score | head -1`): not an error.
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("slant: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(|io| io.kind()) == broken
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}

/// The error and its causes on one line, leaving out a cause whose text is already shown.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
    }
    msg.replace(['\n', '\r'], " ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Split {
            paths,
            show_dropped,
        } => split(paths, show_dropped),
        Command::Train {
            data,
            out,
            hyper,
            cv,
            no_cv,
        } => {
            let config = hyper.config()?;
            slant::check_output(&out)?;
            let (dataset, extra) = data.load()?;
            let opts = TrainOptions {
                config,
                cv: (!no_cv).then(|| cv.scheme()),
                seed: cv.seed,
            };
            let (model, evaluation) = train(&dataset, extra.as_ref(), &opts)?;
            save_and_report(&model, evaluation.as_ref(), &out, &dataset, extra.as_ref())
        }
        Command::Eval {
            data,
            model,
            json,
            hyper,
            cv,
        } => {
            let (dataset, extra) = data.load()?;
            let evaluation = match &model {
                Some(path) => {
                    if extra.is_some() {
                        anyhow::bail!("--extra trains models; it has no meaning with --model");
                    }
                    let model = StanceModel::load(path)?;
                    evaluate_model(&model, &dataset, cv.seed)?
                }
                None => cross_validate(
                    &dataset,
                    extra.as_ref(),
                    &hyper.config()?,
                    cv.scheme(),
                    cv.seed,
                )?,
            };
            show_warnings(&dataset, extra.as_ref());
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer(&mut stdout, &EvalJson::new(&evaluation))?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", render_table(&evaluation, &dataset.name()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tune {
            data,
            out,
            hyper,
            outer_folds,
            inner_folds,
            quick,
            cv,
        } => {
            let base = hyper.config()?;
            slant::check_output(&out)?;
            let (dataset, extra) = data.load()?;
            let mut everything = dataset.clone();
            if let Some(e) = &extra {
                everything.extend(e.clone());
            }
            let space = slant::tune::SearchSpace::new(&base, quick);
            let opts = slant::tune::TuneOptions {
                outer_folds,
                inner_folds,
                seed: cv.seed,
            };
            eprintln!(
                "slant: tuning {} grid candidates + {} switches on {} paragraphs in {} groups ({} outer x {} inner folds)",
                space.grid.len(),
                space.toggles.len(),
                everything.examples.len(),
                everything.n_groups(),
                outer_folds,
                inner_folds
            );
            let result =
                slant::tune::tune(&everything, &space, &opts, &|m| eprintln!("slant: {m}"))?;
            let mut ranked: Vec<usize> = (0..result.visited.len()).collect();
            ranked.sort_by(|&a, &b| {
                result.visited[b]
                    .1
                    .total_cmp(&result.visited[a].1)
                    .then(a.cmp(&b))
            });
            eprintln!("inner-CV macro-F1 on all data (what the search optimised; optimistic), best first:");
            for &i in ranked.iter().take(12) {
                let (c, score) = &result.visited[i];
                eprintln!("  {:>3}  {:.3}  {}", i, score, slant::tune::describe(c));
            }
            eprint!("{}", render_table(&result.nested, &everything.name()));
            let opts = TrainOptions {
                config: result.chosen.clone(),
                cv: Some(cv.scheme()),
                seed: cv.seed,
            };
            let (mut model, evaluation) = train(&dataset, extra.as_ref(), &opts)?;
            model.provenance.tuning = Some(result.summary);
            eprintln!(
                "slant: chose candidate {}: {}",
                result.chosen_index,
                slant::tune::describe(&result.chosen)
            );
            save_and_report(&model, evaluation.as_ref(), &out, &dataset, extra.as_ref())
        }
        Command::Score {
            model,
            paths,
            explain,
            top,
        } => score(&model, paths, explain.then_some(top)),
        Command::Explain { model, top, json } => {
            let model = StanceModel::load(&model)?;
            let per_class: Vec<(&String, Vec<slant::model::TermWeight>)> = model
                .classes()
                .iter()
                .enumerate()
                .map(|(c, name)| (name, model.top_terms(c, top)))
                .collect();
            let mut out = std::io::stdout().lock();
            if json {
                let map: serde_json::Map<String, serde_json::Value> = per_class
                    .iter()
                    .map(|(c, terms)| {
                        (
                            c.to_string(),
                            serde_json::to_value(terms).expect("terms serialise"),
                        )
                    })
                    .collect();
                serde_json::to_writer(&mut out, &map)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "heaviest terms per class (weight minus the mean over classes; stems shown as their usual word)"
                )?;
                for (class, terms) in per_class {
                    writeln!(out, "\n{class}")?;
                    for t in terms {
                        writeln!(out, "  {:>7.3}  {}", t.weight, t.term)?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes a trained model and reports it, with the data's warnings and its cross-validated
/// scores, on stderr.
fn save_and_report(
    model: &StanceModel,
    evaluation: Option<&slant::eval::Evaluation>,
    out: &Path,
    data: &Dataset,
    extra: Option<&Dataset>,
) -> anyhow::Result<ExitCode> {
    model.save(out)?;
    show_warnings(data, extra);
    eprintln!(
        "slant: trained on {} paragraphs in {} groups, {} classes, {} features; wrote {}",
        model.provenance.paragraphs,
        model.provenance.groups,
        model.classes().len(),
        model.featurizer().n_features(),
        out.display()
    );
    if let Some(e) = evaluation {
        eprint!("{}", render_table(e, &data.name()));
    }
    Ok(ExitCode::SUCCESS)
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_INPUT)]
    } else {
        paths
    }
}

/// What `split` and `score` did with their inputs; every input is counted once.
#[derive(Default)]
struct Tally {
    files: usize,
    paragraphs: usize,
    errors: usize,
    empty: usize,
}

impl Tally {
    /// Counts a split input, with a warning when it has no paragraph.
    fn read(&mut self, input: &Input, split: &Split) {
        self.files += 1;
        self.paragraphs += split.paragraphs.len();
        if split.paragraphs.is_empty() {
            self.empty += 1;
            let why = if split.dropped.is_empty() {
                "the file is empty or blank"
            } else {
                "only headings and furniture; see them with `slant split --show-dropped`"
            };
            eprintln!(
                "slant: warning: {}: no paragraphs ({why})",
                input.path().display()
            );
        }
    }

    /// Counts an input that could not be read: one line on stderr, one error record on stdout.
    fn failed(
        &mut self,
        out: &mut impl Write,
        input: &Input,
        e: &slant::Error,
    ) -> anyhow::Result<()> {
        self.files += 1;
        self.errors += 1;
        eprintln!("slant: error: {e}");
        serde_json::to_writer(
            &mut *out,
            &serde_json::json!({"doc": input.doc(), "error": e.to_string()}),
        )?;
        writeln!(out)?;
        Ok(())
    }

    fn summary(&self) -> String {
        format!(
            "slant: {} files, {} paragraphs, {} errors, {} empty",
            self.files, self.paragraphs, self.errors, self.empty
        )
    }

    /// 1 when some inputs failed (the others were all done), else 0.
    fn exit_code(&self) -> ExitCode {
        if self.errors > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

fn split(paths: Vec<PathBuf>, show_dropped: bool) -> anyhow::Result<ExitCode> {
    let inputs = collect_inputs(&default_paths(paths))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut tally = Tally::default();
    let mut dropped = 0;
    for input in &inputs {
        let split = match input.split() {
            Ok(split) => split,
            Err(e) => {
                tally.failed(&mut out, input, &e)?;
                continue;
            }
        };
        for p in &split.paragraphs {
            serde_json::to_writer(&mut out, p)?;
            writeln!(out)?;
        }
        if show_dropped {
            for d in &split.dropped {
                eprintln!(
                    "dropped {} line {} ({}): {}",
                    input.doc(),
                    d.line,
                    d.reason,
                    d.text
                );
            }
        }
        tally.read(input, &split);
        dropped += split.dropped.len();
    }
    out.flush()?;
    eprintln!(
        "{}, {dropped} furniture/heading lines dropped{}",
        tally.summary(),
        if show_dropped {
            ""
        } else {
            " (see them with --show-dropped)"
        }
    );
    Ok(tally.exit_code())
}

fn score(
    model_path: &Path,
    paths: Vec<PathBuf>,
    explain: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let model = StanceModel::load(model_path)?;
    let inputs = collect_inputs(&default_paths(paths))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut tally = Tally::default();
    for input in &inputs {
        match input.split() {
            Ok(split) => {
                for record in score_article(&model, &split.paragraphs, explain) {
                    serde_json::to_writer(&mut out, &record)?;
                    writeln!(out)?;
                }
                tally.read(input, &split);
            }
            Err(e) => tally.failed(&mut out, input, &e)?,
        }
    }
    out.flush()?;
    eprintln!("{}", tally.summary());
    Ok(tally.exit_code())
}
