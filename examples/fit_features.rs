//! Times the sparse solver alone on rows that `export_features` wrote, so that a change to
//! `src/solver.rs` can be measured without featurizing, on exactly the rows scikit-learn is
//! given in `benches/compare.py`.
//!
//! `cargo run --release --example fit_features -- --dir target/bench/corpus-10000-s42/features`
//!
//! Reads `DIR/train.svm` (and `DIR/test.svm` when present, for macro-F1), fits with unit sample
//! weights, and prints one line per repeat and a summary: iterations, evaluations, the gradient's
//! Euclidean norm and its largest entry divided by the rows (scikit-learn's stopping test),
//! wall times of the fit alone, and the test macro-F1.
//!
//! With `--sklearn-tol T` it first finds the first iteration count at which scikit-learn's test
//! `max |gradient of the mean loss| <= T` holds (by refitting with a growing iteration cap, as
//! the iterates do not depend on the cap), then times fits capped there. `--kernel N` times N
//! evaluations of the loss and gradient alone.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use slant::solver::{minimise, Minimum, Objective};
use slant::tfidf::SparseVec;

#[derive(Parser)]
struct Args {
    /// Directory holding `train.svm` (and optionally `test.svm`).
    #[arg(long)]
    dir: PathBuf,
    #[arg(long, default_value_t = 0.5)]
    alpha: f64,
    /// `gradient_tolerance`: the fit stops when the gradient norm is below this times the rows.
    #[arg(long, default_value_t = 1e-6)]
    tol: f64,
    #[arg(long, default_value_t = 100)]
    max_iter: u64,
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Stop instead where scikit-learn's lbfgs would, at this `tol` (see the module docs).
    #[arg(long)]
    sklearn_tol: Option<f64>,
    /// Also time this many loss-and-gradient evaluations at the fitted weights, in batches of
    /// ten, and print the best batch's time per evaluation.
    #[arg(long, default_value_t = 0)]
    kernel: usize,
}

struct Rows {
    rows: Vec<SparseVec>,
    y: Vec<usize>,
}

fn read_svm(path: &PathBuf) -> Result<Rows, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Rows {
        rows: Vec::new(),
        y: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let bad = |what: &str| format!("{} line {}: {what}", path.display(), n + 1);
        let mut parts = line.split_whitespace();
        let label = parts.next().ok_or_else(|| bad("empty line"))?;
        out.y.push(label.parse().map_err(|_| bad("bad label"))?);
        let mut row = SparseVec {
            indices: Vec::new(),
            values: Vec::new(),
        };
        for p in parts {
            let (i, v) = p.split_once(':').ok_or_else(|| bad("entry without `:`"))?;
            row.indices.push(i.parse().map_err(|_| bad("bad index"))?);
            row.values.push(v.parse().map_err(|_| bad("bad value"))?);
        }
        out.rows.push(row);
    }
    Ok(out)
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| f64::max(m, x.abs()))
}

fn macro_f1(truth: &[usize], pred: &[usize], k: usize) -> f64 {
    let mut sum = 0.0;
    for c in 0..k {
        let tp = (0..truth.len())
            .filter(|&i| truth[i] == c && pred[i] == c)
            .count() as f64;
        let fp = (0..truth.len())
            .filter(|&i| truth[i] != c && pred[i] == c)
            .count() as f64;
        let fneg = (0..truth.len())
            .filter(|&i| truth[i] == c && pred[i] != c)
            .count() as f64;
        if tp > 0.0 {
            sum += 2.0 * tp / (2.0 * tp + fp + fneg);
        }
    }
    sum / k as f64
}

fn predict(w: &[f64], rows: &[SparseVec], n_features: usize, k: usize) -> Vec<usize> {
    rows.iter()
        .map(|r| {
            let mut z = w[n_features * k..].to_vec();
            for (f, x) in r.iter() {
                if f < n_features {
                    (0..k).for_each(|c| z[c] += x * w[f * k + c]);
                }
            }
            (0..k)
                .max_by(|&a, &b| z[a].total_cmp(&z[b]).then(b.cmp(&a)))
                .expect("classes")
        })
        .collect()
}

fn run(args: &Args) -> Result<(), String> {
    let train = read_svm(&args.dir.join("train.svm"))?;
    let n = train.y.len();
    let k = train.y.iter().max().map_or(0, |m| m + 1);
    let n_features = train
        .rows
        .iter()
        .flat_map(|r| r.indices.iter())
        .max()
        .map_or(0, |m| *m as usize + 1);
    let objective = Objective::new(
        train.rows.iter().collect(),
        n_features,
        &train.y,
        k,
        vec![1.0; n],
        args.alpha,
    );
    let tolerance = args.tol * n as f64;
    let mut grad = vec![0.0; objective.n_params()];
    let mut max_iter = args.max_iter;
    if let Some(sk) = args.sklearn_tol {
        max_iter = (1..=args.max_iter)
            .find(|&i| {
                let m = minimise(&objective, i, tolerance).expect("fit");
                objective.loss_grad(&m.w, &mut grad);
                max_abs(&grad) / n as f64 <= sk || m.stop != slant::solver::Stop::IterationCap
            })
            .unwrap_or(args.max_iter);
        println!("scikit-learn's test (tol {sk}) first holds after {max_iter} iterations");
    }
    println!(
        "{n} rows, {n_features} features, {k} classes, alpha {}, tolerance {:e} x rows, cap {max_iter}",
        args.alpha, args.tol
    );
    let mut times = Vec::new();
    let mut last: Option<Minimum> = None;
    for r in 0..args.repeats {
        let t = Instant::now();
        let m = minimise(&objective, max_iter, tolerance).map_err(|e| e.to_string())?;
        let s = t.elapsed().as_secs_f64();
        times.push(s);
        println!(
            "repeat {}: {s:.3} s, {} iterations, {} evaluations, stop {:?}",
            r + 1,
            m.iterations,
            m.evaluations,
            m.stop
        );
        last = Some(m);
    }
    let m = last.expect("repeats >= 1");
    let loss = objective.loss_grad(&m.w, &mut grad);
    times.sort_by(f64::total_cmp);
    println!(
        "loss {loss:.10e}, gradient norm {:.3e} (tolerance {tolerance:.3e}), max |grad|/n {:.3e}",
        m.gradient_norm,
        max_abs(&grad) / n as f64
    );
    println!(
        "fit seconds: best {:.3}, median {:.3}, worst {:.3}",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    if args.kernel > 0 {
        let mut scratch = objective.scratch();
        let best = (0..args.kernel.div_ceil(10))
            .map(|_| {
                let t = Instant::now();
                for _ in 0..10 {
                    objective.loss_grad_with(&m.w, &mut grad, &mut scratch);
                }
                t.elapsed().as_secs_f64() / 10.0
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "one evaluation: {:.2} ms (best of {} batches of 10)",
            best * 1e3,
            args.kernel.div_ceil(10)
        );
    }
    let test_path = args.dir.join("test.svm");
    if test_path.exists() {
        let test = read_svm(&test_path)?;
        let pred = predict(&m.w, &test.rows, n_features, k);
        println!("test macro-F1 {:.4}", macro_f1(&test.y, &pred, k));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.repeats == 0 {
        eprintln!("fit_features: error: --repeats must be at least 1");
        return ExitCode::from(2);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fit_features: error: {e}");
            ExitCode::from(2)
        }
    }
}
