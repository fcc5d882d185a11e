//! The `slant` command line: parses flags, builds a validated configuration, calls the library.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use slant::dataset::{read_dataset, Columns, Dataset, Format};
use slant::eval::{cross_validate, evaluate_model, FoldScheme};
use slant::model::{ModelParams, StanceModel, TrainConfig};
use slant::report::{render_table, EvalJson};
use slant::score::{collect_inputs, score_paragraphs, Input};
use slant::split::Split;
use slant::tfidf::{TfidfConfig, TransformBuf};
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
    /// Score every paragraph of articles (JSON Lines: doc, para, label, probs).
    Score {
        /// Model file.
        #[arg(long, default_value = DEFAULT_MODEL)]
        model: PathBuf,
        /// Files, directories (walked for .txt and .md), or - for standard input (default: seeds/).
        paths: Vec<PathBuf>,
    },
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
        Ok(read_dataset(&self.data, &columns, format)?)
    }
}

/// Shows a dataset's warnings; called once the command has succeeded, so that a failing run
/// prints its one error line alone.
fn show_warnings(data: &Dataset) {
    for w in &data.warnings {
        eprintln!("slant: warning: {w}");
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
            let dataset = data.load()?;
            let opts = TrainOptions {
                config,
                cv: (!no_cv).then(|| cv.scheme()),
                seed: cv.seed,
                data_label: data.data.display().to_string(),
            };
            let (model, evaluation) = train(&dataset, &opts)?;
            model.save(&out)?;
            show_warnings(&dataset);
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
            show_warnings(&dataset);
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
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Score { model, paths } => score(&model, paths),
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

fn score(model_path: &Path, paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let model = StanceModel::load(model_path)?;
    let inputs = collect_inputs(&default_paths(paths))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut buf = TransformBuf::default();
    let mut tally = Tally::default();
    for input in &inputs {
        match input.split() {
            Ok(split) => {
                for record in score_paragraphs(&model, &split.paragraphs, &mut buf) {
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
