//! The `slant` command line: parses flags, builds a validated configuration, calls the library.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use slant::compare::{compare, score_articles, CompareConfig, DEFAULT_PERMUTATIONS};
use slant::dataset::{read_dataset, Columns, Dataset, Format};
use slant::eval::{confidence_bins, cross_validate, evaluate_model, FoldScheme};
use slant::manifest::Outlets;
use slant::model::{ModelParams, StanceModel, TrainConfig};
use slant::output::{Counts, OutputFormat, Per, ScoreSink};
use slant::report::compare::{render_comparison, render_comparison_csv, CompareJson, ModelInfo};
use slant::report::html::render_html;
use slant::report::{render_confidence, render_table, EvalJson, PredictionJson};
use slant::score::{collect_inputs, read_records, Job, Scored};
use slant::tfidf::{TfidfConfig, TransformBuf};
use slant::train::{train, TrainOptions};

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
    /// Score every paragraph of articles: label, class probabilities, margin, uncertain.
    Score(ScoreArgs),
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
    /// {"id", "text", "outlet"?} scored as they are.
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
    /// Labelled paragraphs: TSV, CSV or JSON Lines with a header.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
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

#[derive(Args)]
struct HyperArgs {
    /// Largest word n-gram.
    #[arg(long, default_value_t = 2)]
    ngram_max: usize,
    /// Smallest word n-gram.
    #[arg(long, default_value_t = 1)]
    ngram_min: usize,
    /// Turn off Snowball stemming.
    #[arg(long)]
    no_stem: bool,
    /// Keep terms seen in at least this many training paragraphs.
    #[arg(long, default_value_t = 1)]
    min_df: usize,
    /// Keep at most this many terms (most frequent first).
    #[arg(long)]
    max_features: Option<usize>,
    /// Use 1 + ln(count) as term frequency.
    #[arg(long)]
    sublinear_tf: bool,
    /// L2 penalty (1/C in scikit-learn terms).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// L-BFGS iteration cap.
    #[arg(long, default_value_t = 500)]
    max_iter: u64,
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
    fn load(&self) -> anyhow::Result<Dataset> {
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
        let data = read_dataset(&self.data, &columns, format)?;
        for w in &data.warnings {
            eprintln!("slant: warning: {w}");
        }
        Ok(data)
    }
}

impl HyperArgs {
    fn config(&self) -> anyhow::Result<TrainConfig> {
        let mut featurizer = TfidfConfig {
            min_df: self.min_df,
            max_features: self.max_features,
            sublinear_tf: self.sublinear_tf,
            ..TfidfConfig::default()
        };
        featurizer.analyzer.ngram_range = [self.ngram_min, self.ngram_max];
        featurizer.analyzer.stem = !self.no_stem;
        let config = TrainConfig {
            featurizer,
            model: ModelParams {
                alpha: self.alpha,
                max_iterations: self.max_iter,
                ..ModelParams::default()
            },
        };
        config.check()?;
        Ok(config)
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
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let msg = format!("{e:#}");
            eprintln!("slant: error: {}", msg.replace('\n', " "));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
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
            let dataset = data.load()?;
            let opts = TrainOptions {
                config,
                cv: (!no_cv).then(|| cv.scheme()),
                seed: cv.seed,
                data_label: data.data.display().to_string(),
            };
            let (model, evaluation) = train(&dataset, &opts)?;
            model.save(&out)?;
            eprintln!(
                "slant: trained on {} paragraphs in {} groups, {} classes, {} features; wrote {}",
                dataset.examples.len(),
                dataset.n_groups(),
                model.classes().len(),
                model.featurizer().n_features(),
                out.display()
            );
            if let Some(e) = evaluation {
                eprint!("{}", render_table(&e, &data.data.display().to_string()));
            }
            Ok(ExitCode::SUCCESS)
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
            let dataset = data.load()?;
            let evaluation = match &model {
                Some(path) => {
                    let model = StanceModel::load(path)?;
                    evaluate_model(&model, &dataset, cv.seed)?
                }
                None => cross_validate(&dataset, &hyper.config()?, cv.scheme(), cv.seed)?,
            };
            if let Some(path) = &predictions {
                let mut bytes = Vec::new();
                for p in &evaluation.predictions {
                    serde_json::to_writer(
                        &mut bytes,
                        &PredictionJson::new(&evaluation, &dataset, p),
                    )?;
                    bytes.push(b'\n');
                }
                slant::write_atomic(path, &bytes)?;
            }
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer(&mut stdout, &EvalJson::new(&evaluation))?;
                writeln!(stdout)?;
            } else {
                write!(
                    stdout,
                    "{}",
                    render_table(&evaluation, &data.data.display().to_string())
                )?;
                if by_confidence {
                    let bins = confidence_bins(&evaluation.predictions, &CONFIDENCE_EDGES);
                    write!(stdout, "{}", render_confidence(&bins))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Score(args) => score(args),
        Command::Compare(args) => compare_outlets(args),
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_INPUT)]
    } else {
        paths
    }
}

fn split(paths: Vec<PathBuf>, show_dropped: bool) -> anyhow::Result<ExitCode> {
    let inputs = collect_inputs(&default_paths(paths))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let (mut kept, mut dropped) = (0, 0);
    for input in &inputs {
        let text = input.text()?;
        let split = slant::split::split_text(input.doc(), &text);
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
        kept += split.paragraphs.len();
        dropped += split.dropped.len();
    }
    out.flush()?;
    eprintln!(
        "slant: {} files, {kept} paragraphs, {dropped} furniture/heading lines dropped{}",
        inputs.len(),
        if show_dropped {
            ""
        } else {
            " (see them with --show-dropped)"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn compare_outlets(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let config = CompareConfig {
        seed: args.seed,
        permutations: args.permutations,
        ..CompareConfig::default()
    };
    config.check()?;
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
    eprintln!(
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
    let model = StanceModel::load(&args.model)?;
    let outlets = args
        .outlets
        .as_deref()
        .map(Outlets::read_manifest)
        .transpose()?;
    let jobs: Vec<Job> = match args.input {
        InputArg::Articles => {
            let mut inputs = collect_inputs(&default_paths(args.paths))?;
            if let Some(o) = &outlets {
                o.label(&mut inputs);
            }
            inputs.into_iter().map(Job::Read).collect()
        }
        InputArg::Jsonl => {
            if args.paths.is_empty() {
                anyhow::bail!("--input jsonl needs files to read (or - for standard input)");
            }
            if outlets.is_some() {
                anyhow::bail!("--outlets names article files; with --input jsonl give each record an `outlet` field instead");
            }
            let mut jobs = Vec::new();
            for path in &args.paths {
                jobs.extend(read_records(path)?.into_iter().map(Job::Ready));
            }
            jobs
        }
    };
    let format = match args.format {
        OutputArg::Jsonl => OutputFormat::JsonLines,
        OutputArg::Csv => OutputFormat::Csv,
        OutputArg::Tsv => OutputFormat::Tsv,
    };
    let per = match args.per {
        PerArg::Paragraph => Per::Paragraph,
        PerArg::Doc => Per::Doc,
    };
    let unit = match args.input {
        InputArg::Articles => "files",
        InputArg::Jsonl => "records",
    };
    let progress = progress_bar(jobs.len(), unit);
    let settings = (format, per, args.min_confidence);
    let counts = match &args.out {
        None => {
            let out = BufWriter::new(std::io::stdout().lock());
            write_scores(out, &model, &jobs, settings, &progress)?.1
        }
        Some(path) => {
            let (bytes, counts) = write_scores(Vec::new(), &model, &jobs, settings, &progress)?;
            slant::write_atomic(path, &bytes)?;
            counts
        }
    };
    progress.finish_and_clear();
    let mut summary = format!(
        "slant: {} {unit}, {} paragraphs, {} errors; {} uncertain (top probability under {})",
        counts.inputs, counts.paragraphs, counts.errors, counts.uncertain, args.min_confidence
    );
    if counts.empty_articles > 0 {
        summary += &format!(
            "; {} articles had no content paragraphs (see `slant split --show-dropped`)",
            counts.empty_articles
        );
    }
    if let Some(path) = &args.out {
        summary += &format!("; wrote {}", path.display());
    }
    eprintln!("{summary}");
    Ok(if counts.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scores every job in order and writes the records to `out`, which it returns with the totals.
fn write_scores<W: Write>(
    out: W,
    model: &StanceModel,
    jobs: &[Job],
    (format, per, min_confidence): (OutputFormat, Per, f64),
    progress: &ProgressBar,
) -> anyhow::Result<(W, Counts)> {
    let mut sink = ScoreSink::new(out, format, per, model.classes(), min_confidence)?;
    let mut buf = TransformBuf::default();
    for job in jobs {
        let scored = job.score(model, &mut buf);
        if let Scored::Failed { error, .. } = &scored {
            progress.suspend(|| eprintln!("slant: error: {error}"));
        }
        sink.push(&scored)?;
        progress.inc(1);
    }
    Ok(sink.finish()?)
}

/// Work items above which a run counts as long enough for a progress bar.
const PROGRESS_MIN_ITEMS: usize = 50;

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
