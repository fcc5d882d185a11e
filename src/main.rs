//! The `slant` command line: parses flags, builds a validated configuration, calls the library.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slant::compare::{compare, score_articles, CompareConfig, DEFAULT_PERMUTATIONS};
use slant::dataset::{Columns, Dataset, Format};
use slant::eval::{confidence_bins, cross_validate, evaluate_model, FoldScheme};
use slant::manifest::Outlets;
use slant::model::{fit_warnings, Solver, StanceModel, TrainConfig};
use slant::output::{Counts, OutputFormat, Per, ScoreSink, SinkOptions};
use slant::report::compare::{render_comparison, render_comparison_csv, CompareJson, ModelInfo};
use slant::report::html::render_html;
use slant::report::{render_confidence, render_table, EvalJson, PredictionJson};
use slant::score::{
    check_inputs, collect_inputs, read_records, score_in_order, Input, InputWalk, Job, Scored,
    Window,
};
use slant::split::Split;
use slant::train::{train, TrainOptions};

/// `eprintln!` without its panic when standard error is closed: a message that cannot be shown
/// must not turn into a crash.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

const DEFAULT_DATA: &str = "labels/seeds.tsv";
const DEFAULT_MODEL: &str = "models/stance.json";
const DEFAULT_INPUT: &str = "seeds";
/// Default of `score --min-confidence`; the README says how it was chosen.
const DEFAULT_MIN_CONFIDENCE: f64 = 0.5;
/// Bin edges of `eval --by-confidence`.
const CONFIDENCE_EDGES: [f64; 8] = [0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

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
        /// Also write every held-out paragraph's probabilities to this file (JSON Lines).
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        /// Add a table of held-out accuracy by the model's top probability.
        #[arg(long)]
        by_confidence: bool,
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
        /// Word n-gram ranges the grid tries, e.g. `1-1` (repeatable) [default: 1-1 and 1-2].
        #[arg(long = "search-word-ngrams", value_parser = parse_range)]
        search_word_ngrams: Vec<[usize; 2]>,
        /// Cross-validation stored in the model: folds over the --data files' articles, with
        /// --extra files in every training fold.
        #[command(flatten)]
        cv: CvArgs,
    },
    /// Score every paragraph of articles: label, class probabilities, margin, uncertain.
    Score(ScoreArgs),
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
    /// Compare outlets: stance shares with intervals over articles, net slant, pairwise tests.
    Compare(CompareArgs),
}

#[derive(Args)]
struct ScoreArgs {
    /// Model file.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: PathBuf,
    /// Files, directories (walked for .txt, .md, .html, .htm), or - for standard input
    /// (default: seeds/). With --input jsonl: JSON Lines files or -.
    paths: Vec<PathBuf>,
    /// What the inputs are: articles to split into paragraphs, or JSON Lines paragraph records
    /// {"id", "text", "outlet"?} taken as they are (records with ids `doc:n` of one doc are one
    /// article, scored together).
    #[arg(long, value_enum, default_value_t = InputArg::Articles)]
    input: InputArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputArg::Jsonl)]
    format: OutputArg,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// One record per paragraph, or per article (shares of each label, mean probabilities,
    /// majority label).
    #[arg(long, value_enum, default_value_t = PerArg::Paragraph)]
    per: PerArg,
    /// Mark a paragraph `uncertain` when its top probability is below this (see the README for
    /// how the default was chosen).
    #[arg(long, default_value_t = DEFAULT_MIN_CONFIDENCE, value_name = "P")]
    min_confidence: f64,
    /// TSV naming each article's outlet: columns `path` (relative to the manifest) or `doc`, and
    /// `outlet`. Articles it does not name, and inputs without an outlet, are `unknown`.
    #[arg(long, value_name = "MANIFEST")]
    outlets: Option<PathBuf>,
    /// Add each paragraph's top terms toward its label: a `terms` list in JSON Lines, a `terms`
    /// column (`term:weight;term:weight`) in CSV and TSV. Not with --per doc.
    #[arg(long)]
    explain: bool,
    /// With --explain: how many terms.
    #[arg(long, default_value_t = 5, requires = "explain")]
    top: usize,
}

#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["outlets", "by_dir"])))]
struct CompareArgs {
    /// Model file.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: PathBuf,
    /// TSV with an `outlet` column and a `path` column (files or directories, relative to the
    /// manifest's directory) or a `doc` column (`<doc>.txt` beside the manifest).
    #[arg(long, value_name = "MANIFEST")]
    outlets: Option<PathBuf>,
    /// A directory with one sub-directory of articles per outlet.
    #[arg(long, value_name = "DIR")]
    by_dir: Option<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print tidy CSV (one number per row) instead of the table.
    #[arg(long)]
    csv: bool,
    /// Also write a self-contained HTML report with charts to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Seed of the bootstrap and the permutations.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Permutations per pair of outlets.
    #[arg(long, default_value_t = DEFAULT_PERMUTATIONS)]
    permutations: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InputArg {
    Articles,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputArg {
    Jsonl,
    Csv,
    Tsv,
}

#[derive(Clone, Copy, ValueEnum)]
enum PerArg {
    Paragraph,
    Doc,
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
    /// Trainer: `lbfgs` (sparse, parallel) or `linfa` (dense reference) [default: lbfgs].
    #[arg(long, value_parser = str::parse::<Solver>)]
    solver: Option<Solver>,
}

/// A flag value that may be `none` (clap reserves `Option<Option<T>>` for optional values).
#[derive(Clone, Copy)]
struct Maybe<T>(Option<T>);

fn parse_range_or_none(s: &str) -> Result<Maybe<[usize; 2]>, String> {
    if s == "none" {
        return Ok(Maybe(None));
    }
    parse_range(s)
        .map(|r| Maybe(Some(r)))
        .map_err(|e| format!("{e} or `none`"))
}

fn parse_range(s: &str) -> Result<[usize; 2], String> {
    let bad = || format!("`{s}` is not a range like 3-5");
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a = a.trim().parse().map_err(|_| bad())?;
    let b = b.trim().parse().map_err(|_| bad())?;
    Ok([a, b])
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
        say!("slant: warning: {w}");
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
        set(&mut m.solver, self.solver);
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
    // Ctrl-C or SIGTERM ends the run at once, without destructors: first remove any output
    // file still being written, so that none is left half written.
    let _ = ctrlc::set_handler(|| {
        slant::remove_unfinished();
        say!("slant: interrupted");
        std::process::exit(130);
    });
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The reader of our output went away (`slant score | head -1`): not an error.
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            say!("slant: error: {}", one_line(&e));
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
            predictions,
            by_confidence,
            hyper,
            cv,
        } => {
            if let Some(path) = &predictions {
                slant::check_output(path)?;
            }
            let (dataset, extra) = data.load()?;
            let (evaluation, fitted_with) = match &model {
                Some(path) => {
                    if extra.is_some() {
                        anyhow::bail!("--extra trains models; it has no meaning with --model");
                    }
                    let model = StanceModel::load(path)?;
                    (evaluate_model(&model, &dataset, cv.seed)?, None)
                }
                None => {
                    let config = hyper.config()?;
                    let e =
                        cross_validate(&dataset, extra.as_ref(), &config, cv.scheme(), cv.seed)?;
                    (e, Some(config))
                }
            };
            if let Some(path) = &predictions {
                let mut bytes = Vec::new();
                for i in 0..evaluation.outcome.len() {
                    serde_json::to_writer(
                        &mut bytes,
                        &PredictionJson::new(&evaluation, &dataset, i),
                    )?;
                    bytes.push(b'\n');
                }
                slant::write_atomic(path, &bytes)?;
            }
            show_warnings(&dataset, extra.as_ref());
            if let Some(config) = &fitted_with {
                warn_fits("cross-validation", &evaluation.fits, config);
            }
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer(&mut stdout, &EvalJson::new(&evaluation))?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", render_table(&evaluation, &dataset.name()))?;
                if by_confidence {
                    let bins = confidence_bins(&evaluation.outcome, &CONFIDENCE_EDGES);
                    write!(stdout, "{}", render_confidence(&bins))?;
                }
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
            search_word_ngrams,
            cv,
        } => {
            let base = hyper.config()?;
            slant::check_output(&out)?;
            let (dataset, extra) = data.load()?;
            let mut everything = dataset.clone();
            if let Some(e) = &extra {
                everything.extend(e.clone());
            }
            let space = if search_word_ngrams.is_empty() {
                slant::tune::SearchSpace::new(&base, quick)
            } else {
                slant::tune::SearchSpace::with_word_ngrams(&base, quick, &search_word_ngrams)
            };
            let opts = slant::tune::TuneOptions {
                outer_folds,
                inner_folds,
                seed: cv.seed,
            };
            say!(
                "slant: tuning {} grid candidates + {} switches on {} paragraphs in {} groups ({} outer x {} inner folds)",
                space.grid.len(),
                space.toggles.len(),
                everything.examples.len(),
                everything.n_groups(),
                outer_folds,
                inner_folds
            );
            let result = slant::tune::tune(&everything, &space, &opts, &|m| say!("slant: {m}"))?;
            let mut ranked: Vec<usize> = (0..result.visited.len()).collect();
            ranked.sort_by(|&a, &b| {
                result.visited[b]
                    .1
                    .total_cmp(&result.visited[a].1)
                    .then(a.cmp(&b))
            });
            say!("inner-CV macro-F1 on all data (what the search optimised; optimistic), best first:");
            for &i in ranked.iter().take(12) {
                let (c, score) = &result.visited[i];
                say!("  {:>3}  {:.3}  {}", i, score, slant::tune::describe(c));
            }
            let _ = write!(
                std::io::stderr(),
                "{}",
                render_table(&result.nested, &everything.name())
            );
            let opts = TrainOptions {
                config: result.chosen.clone(),
                cv: Some(cv.scheme()),
                seed: cv.seed,
            };
            let (mut model, evaluation) = train(&dataset, extra.as_ref(), &opts)?;
            model.provenance.tuning = Some(result.summary);
            say!(
                "slant: chose candidate {}: {}",
                result.chosen_index,
                slant::tune::describe(&result.chosen)
            );
            save_and_report(&model, evaluation.as_ref(), &out, &dataset, extra.as_ref())
        }
        Command::Score(args) => score(args),
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
        Command::Compare(args) => compare_outlets(args),
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
    let config = model.config();
    warn_fits(
        "final fit",
        std::slice::from_ref(&model.provenance.fit),
        &config,
    );
    if let Some(e) = evaluation {
        warn_fits("cross-validation", &e.fits, &config);
    }
    say!(
        "slant: trained on {} paragraphs in {} groups, {} classes, {} features; wrote {}",
        model.provenance.paragraphs,
        model.provenance.groups,
        model.classes().len(),
        model.featurizer().n_features(),
        out.display()
    );
    if let Some(e) = evaluation {
        let _ = write!(std::io::stderr(), "{}", render_table(e, &data.name()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the library's warnings about model fits (non-convergence, a capped vocabulary).
fn warn_fits(what: &str, fits: &[slant::model::FitReport], config: &TrainConfig) {
    for w in fit_warnings(fits, &config.model) {
        say!("slant: warning: {what}: {w}");
    }
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
            warn_empty(input.path(), split.dropped.len());
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
        say!("slant: error: {e}");
        serde_json::to_writer(
            &mut *out,
            &serde_json::json!({"doc": input.doc(), "error": e.to_string()}),
        )?;
        writeln!(out)?;
        Ok(())
    }

    fn summary(&self) -> String {
        self.summary_of("files")
    }

    /// The summary line, counting the inputs as `unit` (`files`, or `records` of JSON Lines).
    fn summary_of(&self, unit: &str) -> String {
        format!(
            "slant: {} {unit}, {} paragraphs, {} errors, {} empty",
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

/// The warning for an article in which no paragraph was found; `dropped` lines were furniture or
/// headings.
fn warn_empty(path: &Path, dropped: usize) {
    let why = if dropped == 0 {
        "the file is empty or blank"
    } else {
        "only headings and furniture; see them with `slant split --show-dropped`"
    };
    say!("slant: warning: {}: no paragraphs ({why})", path.display());
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
                say!(
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
    say!(
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

fn compare_outlets(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let config = CompareConfig {
        seed: args.seed,
        permutations: args.permutations,
        ..CompareConfig::default()
    };
    config.check()?;
    if let Some(path) = &args.html {
        slant::check_output(path)?;
    }
    let model = StanceModel::load(&args.model)?;
    let outlets = match (&args.outlets, &args.by_dir) {
        (Some(manifest), _) => Outlets::read_manifest(manifest)?,
        (None, Some(dir)) => Outlets::by_dir(dir)?,
        (None, None) => unreachable!("clap requires --outlets or --by-dir"),
    };
    let inputs = outlets.inputs();
    let progress = progress_bar(inputs.len(), "files");
    let articles = score_articles(&model, &inputs, || progress.inc(1))?;
    progress.finish_and_clear();
    let comparison = compare(model.classes(), &articles, &config)?;
    let info = ModelInfo::new(&args.model.display().to_string(), &model);
    let source = outlets.source.display().to_string();
    if let Some(path) = &args.html {
        slant::write_atomic(path, render_html(&comparison, &info, &source).as_bytes())?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &CompareJson::new(&comparison, &info, &source))?;
        writeln!(stdout)?;
    } else if args.csv {
        write!(stdout, "{}", render_comparison_csv(&comparison))?;
    } else {
        write!(stdout, "{}", render_comparison(&comparison, &info, &source))?;
    }
    stdout.flush()?;
    let paragraphs: usize = comparison.outlets.iter().map(|o| o.paragraphs).sum();
    say!(
        "slant: {} outlets, {} articles, {paragraphs} paragraphs{}",
        comparison.outlets.len(),
        articles.len(),
        args.html
            .as_ref()
            .map(|p| format!("; wrote {}", p.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

fn score(args: ScoreArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        return Err(slant::Error::Param {
            name: "min-confidence",
            message: format!("must be between 0 and 1, got {}", args.min_confidence),
        }
        .into());
    }
    if args.explain && matches!(args.per, PerArg::Doc) {
        anyhow::bail!("--explain explains paragraphs; it has no meaning with --per doc");
    }
    if let Some(path) = &args.out {
        slant::check_output(path)?;
    }
    let model = StanceModel::load(&args.model)?;
    let outlets = args
        .outlets
        .as_deref()
        .map(Outlets::read_manifest)
        .transpose()?;
    let format = match args.format {
        OutputArg::Jsonl => OutputFormat::JsonLines,
        OutputArg::Csv => OutputFormat::Csv,
        OutputArg::Tsv => OutputFormat::Tsv,
    };
    let per = match args.per {
        PerArg::Paragraph => Per::Paragraph,
        PerArg::Doc => Per::Doc,
    };
    let opts = SinkOptions {
        format,
        per,
        min_confidence: args.min_confidence,
        terms: args.explain,
    };
    let explain = args.explain.then_some(args.top);
    // Articles are read by the scoring threads; JSON Lines records are read here, one line at a
    // time, and the progress bar follows the bytes read.
    let (jobs, progress): (Box<dyn Iterator<Item = anyhow::Result<Job>>>, ProgressBar) = match args
        .input
    {
        InputArg::Articles => {
            // Checked in a first walk (a hash per doc id), then walked again as scored, so that
            // the list of files is never held.
            let paths = default_paths(args.paths);
            let progress = progress_bar(check_inputs(&paths)?, "files");
            let label = outlets.as_ref().map(Outlets::labeller);
            let jobs = InputWalk::new(&paths).map(move |input| {
                let mut input = input?;
                if let Some(label) = &label {
                    label(&mut input);
                }
                Ok(Job::Read(input))
            });
            (Box::new(jobs), progress)
        }
        InputArg::Jsonl => {
            if args.paths.is_empty() {
                anyhow::bail!("--input jsonl needs files to read (or - for standard input)");
            }
            if outlets.is_some() {
                anyhow::bail!("--outlets names article files; with --input jsonl give each record an `outlet` field instead");
            }
            let mut records = read_records(&args.paths)?;
            let progress = progress_bytes(&args.paths);
            let bar = progress.clone();
            let jobs = std::iter::from_fn(move || {
                let next = records.next();
                bar.set_position(records.consumed());
                next.map(|r| Ok(Job::Ready(r?)))
            });
            (Box::new(jobs), progress)
        }
    };
    let counts = match &args.out {
        None => {
            let out = BufWriter::new(std::io::stdout().lock());
            write_scores(out, &model, jobs, &opts, explain, &progress)?.1
        }
        Some(path) => {
            let file = slant::AtomicFile::create(path)?;
            let (file, counts) = write_scores(file, &model, jobs, &opts, explain, &progress)?;
            file.commit()?;
            counts
        }
    };
    progress.finish_and_clear();
    // The process ends soon: freeing the model's many allocations one by one is wasted work
    // that the operating system does at once (about 3% of scoring one paragraph in a profile).
    std::mem::forget(model);
    let tally = Tally {
        files: counts.inputs,
        paragraphs: counts.paragraphs,
        errors: counts.errors,
        empty: counts.empty_articles,
    };
    let mut summary = match args.input {
        InputArg::Articles => tally.summary(),
        // Every record is one paragraph; the records of one doc were scored as one article.
        InputArg::Jsonl => Tally {
            files: counts.paragraphs,
            ..tally
        }
        .summary_of("records"),
    };
    summary += &format!(
        "; {} uncertain (top probability under {})",
        counts.uncertain, args.min_confidence
    );
    if let Some(path) = &args.out {
        summary += &format!("; wrote {}", path.display());
    }
    say!("{summary}");
    Ok(tally.exit_code())
}

/// Scores the jobs in parallel ([`score_in_order`]) and writes their records to `out` in input
/// order, as they come; returns `out` with the totals.
fn write_scores<W: Write>(
    out: W,
    model: &StanceModel,
    jobs: impl Iterator<Item = anyhow::Result<Job>>,
    opts: &SinkOptions,
    explain: Option<usize>,
    progress: &ProgressBar,
) -> anyhow::Result<(W, Counts)> {
    let mut sink = ScoreSink::new(out, opts, model.classes())?;
    score_in_order(model, explain, jobs, Window::default(), |input, scored| {
        match (&scored, &input) {
            (Scored::Failed { error, .. }, _) => {
                progress.suspend(|| say!("slant: error: {error}"));
            }
            (Scored::Articles(articles), Some(input)) => {
                for a in articles.iter().filter(|a| a.paragraphs.is_empty()) {
                    progress.suspend(|| warn_empty(input.path(), a.dropped));
                }
            }
            (Scored::Articles(_), None) => {}
        }
        sink.push(&scored)?;
        // The bar counts files; for records it follows the bytes read instead.
        if input.is_some() {
            progress.inc(1);
        }
        Ok(())
    })?;
    Ok(sink.finish()?)
}

/// Work items above which a run counts as long enough for a progress bar.
const PROGRESS_MIN_ITEMS: usize = 50;

/// Bytes of JSON Lines above which a run counts as long enough for a progress bar.
const PROGRESS_MIN_BYTES: u64 = 1 << 20;

/// A progress bar on standard error over the bytes of `paths`, shown only when it is a terminal,
/// the size is known (no standard input) and large.
fn progress_bytes(paths: &[PathBuf]) -> ProgressBar {
    let sizes: Option<u64> = paths
        .iter()
        .map(|p| (p.as_os_str() != "-").then(|| std::fs::metadata(p).map_or(0, |m| m.len())))
        .sum();
    match sizes {
        Some(total) if std::io::stderr().is_terminal() && total >= PROGRESS_MIN_BYTES => {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({eta} left)")
                    .expect("valid template"),
            );
            bar
        }
        _ => ProgressBar::hidden(),
    }
}

/// A progress bar on standard error, shown only when it is a terminal and the run is long.
fn progress_bar(len: usize, unit: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || len < PROGRESS_MIN_ITEMS {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{eta}} left)"))
            .expect("valid template"),
    );
    bar
}
