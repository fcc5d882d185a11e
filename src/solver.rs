//! The sparse trainer: multinomial logistic regression minimised by L-BFGS on sparse rows.
//!
//! The objective is linfa-logistic 0.8's, so `alpha` means the same under either solver:
//!
//! ```text
//! L(W, b) = sum_i s_i * -ln softmax(x_i W + b)[y_i]  +  alpha/2 * ||W||^2
//! ```
//!
//! with `W` the features x classes weights, `b` the intercepts (not penalised), `s_i` the row's
//! sample weight (1, or `n / (k * n_class)` with class balance), the sum over rows (not the mean:
//! `alpha` is 1/C in scikit-learn's terms). The optimiser is linfa's too: argmin 0.11's L-BFGS
//! with 10 stored pairs and the More-Thuente line search at its defaults, started from all
//! zeros, stopping when the gradient's Euclidean norm falls below the tolerance, when the loss
//! stops changing (by less than machine epsilon), or at the iteration cap. The one deliberate
//! difference is numerical: linfa subtracts one global maximum before exponentiating (and
//! clamps the sum at 1e-15), this subtracts each row's own, which is the same function wherever
//! linfa's does not underflow.
//!
//! Unlike linfa, the rows stay sparse (memory and time grow with the non-zero entries, not rows
//! x vocabulary), and one pass computes both the loss and the gradient, which argmin asks for
//! separately at the same point. The work is split over rayon threads so that the result does
//! not depend on how many there are: every row's loss and residual is written to its own slot
//! and summed in row order, and every feature's gradient is summed over its column in row order
//! (the transposed matrix), so no floating-point sum is ever regrouped by thread count.

use std::cell::{Cell, RefCell};

use argmin::core::{CostFunction, Executor, Gradient, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tfidf::SparseVec;

/// L-BFGS history length: linfa-logistic's.
const MEMORY: usize = 10;
/// Rows per rayon task when computing row losses (scheduling only; results do not depend on it).
const ROW_CHUNK: usize = 256;
/// Features per rayon task when summing gradient columns (scheduling only).
const FEATURE_CHUNK: usize = 512;

/// Why the optimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The gradient norm fell below the tolerance.
    GradientTolerance,
    /// The loss changed by less than machine epsilon before the gradient norm reached the
    /// tolerance: no further progress was possible in f64.
    NoProgress,
    /// The iteration cap was reached first.
    IterationCap,
    /// The line search could not find a step (usually rounding near the optimum).
    LineSearchFailed,
    /// The solver does not say (linfa-logistic).
    NotReported,
    /// Only one class was present: nothing to optimise.
    OneClass,
}

impl Stop {
    /// The reason in words, for warnings.
    pub fn describe(self) -> &'static str {
        match self {
            Stop::GradientTolerance => "the gradient norm reached the tolerance",
            Stop::NoProgress => "the loss stopped changing in f64 arithmetic",
            Stop::IterationCap => "it reached the iteration cap",
            Stop::LineSearchFailed => "its line search found no step that lowers the loss",
            Stop::NotReported => "linfa-logistic stopped without saying why",
            Stop::OneClass => "only one class was present",
        }
    }

    /// Stopped because no further progress could be made, not for lack of iterations.
    pub fn is_stall(self) -> bool {
        matches!(self, Stop::NoProgress | Stop::LineSearchFailed)
    }
}

/// Rows in compressed sparse row form.
#[derive(Debug, Clone)]
struct Csr {
    /// Row `i`'s entries are `indptr[i]..indptr[i + 1]`.
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl Csr {
    fn from_rows(rows: &[SparseVec]) -> Csr {
        let nnz = rows.iter().map(SparseVec::nnz).sum();
        let mut m = Csr {
            indptr: Vec::with_capacity(rows.len() + 1),
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
        };
        m.indptr.push(0);
        for r in rows {
            m.indices.extend_from_slice(&r.indices);
            m.values.extend_from_slice(&r.values);
            m.indptr.push(m.indices.len());
        }
        m
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let span = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[span.clone()], &self.values[span])
    }

    /// The transpose, for a matrix with `n_cols` columns: each column's entries in row order.
    fn transpose(&self, n_cols: usize) -> Csr {
        let mut indptr = vec![0usize; n_cols + 1];
        for &j in &self.indices {
            indptr[j as usize + 1] += 1;
        }
        for j in 0..n_cols {
            indptr[j + 1] += indptr[j];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; self.indices.len()];
        let mut values = vec![0.0; self.values.len()];
        for i in 0..self.indptr.len() - 1 {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                let slot = &mut next[j as usize];
                indices[*slot] = i as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        Csr {
            indptr,
            indices,
            values,
        }
    }
}

/// The weights of scikit-learn's `class_weight="balanced"`: a row of class `c` weighs
/// `n / (k * n_c)`, with `k` the number of classes present, so every class carries the same
/// total weight and all rows together still weigh `n` (which keeps `alpha` on the same scale).
pub fn balanced_weights(y: &[usize], n_classes: usize) -> Vec<f64> {
    let mut count = vec![0usize; n_classes];
    y.iter().for_each(|&c| count[c] += 1);
    let present = count.iter().filter(|&&c| c > 0).count() as f64;
    let n = y.len() as f64;
    y.iter().map(|&c| n / (present * count[c] as f64)).collect()
}

/// The objective: sparse rows, labels, sample weights and the penalty.
///
/// Parameters are one flat vector laid out as linfa's `(features + 1) x classes` matrix, row
/// major: `w[f * k + c]` is feature `f`'s weight for class `c`, and the last `k` entries are the
/// intercepts.
#[derive(Debug, Clone)]
pub struct Objective {
    x: Csr,
    /// `x` transposed, for the gradient's column sums.
    xt: Csr,
    y: Vec<usize>,
    weight: Vec<f64>,
    n_features: usize,
    k: usize,
    alpha: f64,
}

impl Objective {
    /// `y[i]` in `0..n_classes`; `weight[i]` is row `i`'s sample weight.
    pub fn new(
        rows: &[SparseVec],
        n_features: usize,
        y: &[usize],
        n_classes: usize,
        weight: Vec<f64>,
        alpha: f64,
    ) -> Objective {
        assert_eq!(rows.len(), y.len(), "one label per row");
        assert_eq!(rows.len(), weight.len(), "one weight per row");
        assert!(y.iter().all(|&c| c < n_classes), "labels below n_classes");
        let x = Csr::from_rows(rows);
        let xt = x.transpose(n_features);
        Objective {
            x,
            xt,
            y: y.to_vec(),
            weight,
            n_features,
            k: n_classes,
            alpha,
        }
    }

    /// Length of the parameter vector.
    pub fn n_params(&self) -> usize {
        (self.n_features + 1) * self.k
    }

    /// The loss at `w`, with its gradient written into `grad`.
    pub fn loss_grad(&self, w: &[f64], grad: &mut [f64]) -> f64 {
        let (k, v, n) = (self.k, self.n_features, self.y.len());
        assert_eq!(w.len(), self.n_params(), "parameter length");
        assert_eq!(grad.len(), self.n_params(), "gradient length");
        let (wf, b) = w.split_at(v * k);
        // Per row: logits, then the residual s_i * (softmax - onehot) in place, and the loss.
        let mut resid = vec![0.0; n * k];
        let mut row_loss = vec![0.0; n];
        resid
            .par_chunks_mut(ROW_CHUNK * k)
            .zip(row_loss.par_chunks_mut(ROW_CHUNK))
            .enumerate()
            .for_each(|(chunk, (resid, row_loss))| {
                for (j, (z, loss)) in resid.chunks_mut(k).zip(row_loss).enumerate() {
                    let i = chunk * ROW_CHUNK + j;
                    z.copy_from_slice(b);
                    let (idx, val) = self.x.row(i);
                    for (&f, &x) in idx.iter().zip(val) {
                        let wrow = &wf[f as usize * k..(f as usize + 1) * k];
                        z.iter_mut().zip(wrow).for_each(|(z, w)| *z += x * w);
                    }
                    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let lse = max + z.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
                    let (s, yi) = (self.weight[i], self.y[i]);
                    *loss = s * (lse - z[yi]);
                    for (c, z) in z.iter_mut().enumerate() {
                        *z = s * ((*z - lse).exp() - f64::from(u8::from(c == yi)));
                    }
                }
            });
        // Feature gradients: column sums of x times residual, in row order, plus the penalty.
        let (gf, gb) = grad.split_at_mut(v * k);
        gf.par_chunks_mut(FEATURE_CHUNK * k)
            .enumerate()
            .for_each(|(chunk, g)| {
                for (j, g) in g.chunks_mut(k).enumerate() {
                    let f = chunk * FEATURE_CHUNK + j;
                    g.fill(0.0);
                    let (rows, val) = self.xt.row(f);
                    for (&i, &x) in rows.iter().zip(val) {
                        let r = &resid[i as usize * k..(i as usize + 1) * k];
                        g.iter_mut().zip(r).for_each(|(g, r)| *g += x * r);
                    }
                    let wrow = &wf[f * k..(f + 1) * k];
                    g.iter_mut()
                        .zip(wrow)
                        .for_each(|(g, w)| *g += self.alpha * w);
                }
            });
        gb.fill(0.0);
        for r in resid.chunks(k) {
            gb.iter_mut().zip(r).for_each(|(g, r)| *g += r);
        }
        let penalty = wf.iter().map(|w| w * w).sum::<f64>();
        row_loss.iter().sum::<f64>() + 0.5 * self.alpha * penalty
    }
}

/// Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// What [`minimise`] found.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The parameters (layout as in [`Objective`]).
    pub w: Vec<f64>,
    /// L-BFGS iterations (each one line search).
    pub iterations: u64,
    /// Loss-and-gradient evaluations.
    pub evaluations: u64,
    /// Euclidean norm of the gradient at `w`.
    pub gradient_norm: f64,
    pub stop: Stop,
}

/// A point, the loss there and the gradient there.
type Evaluated = (Array1<f64>, f64, Array1<f64>);

/// The objective as argmin sees it. argmin asks for the loss and the gradient at the same point
/// in separate calls; the last evaluation is kept so that each point is computed once.
struct Problem<'a> {
    objective: &'a Objective,
    last: RefCell<Option<Evaluated>>,
    evaluations: Cell<u64>,
}

impl Problem<'_> {
    fn eval(&self, w: &Array1<f64>) -> (f64, Array1<f64>) {
        if let Some((at, loss, grad)) = self.last.borrow().as_ref() {
            if at == w {
                return (*loss, grad.clone());
            }
        }
        let mut grad = Array1::zeros(w.len());
        let loss = self.objective.loss_grad(
            w.as_slice().expect("contiguous"),
            grad.as_slice_mut().expect("contiguous"),
        );
        self.evaluations.set(self.evaluations.get() + 1);
        *self.last.borrow_mut() = Some((w.clone(), loss, grad.clone()));
        (loss, grad)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Array1<f64>;
    type Output = f64;

    fn cost(&self, w: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.eval(w).0)
    }
}

impl Gradient for Problem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    fn gradient(&self, w: &Array1<f64>) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.eval(w).1)
    }
}

/// Minimises `objective` from all zeros, as linfa-logistic does, and says how it ended.
pub fn minimise(objective: &Objective, max_iterations: u64, tolerance: f64) -> Result<Minimum> {
    let fail = |e: argmin::core::Error| Error::Fit(e.to_string());
    let problem = Problem {
        objective,
        last: RefCell::new(None),
        evaluations: Cell::new(0),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), MEMORY)
        .with_tolerance_grad(tolerance)
        .map_err(fail)?;
    let start = Array1::zeros(objective.n_params());
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(start).max_iters(max_iterations))
        .run()
        .map_err(fail)?;
    let state = result.state();
    // linfa keeps the best point seen; so do we.
    let w = state
        .best_param
        .clone()
        .unwrap_or_else(|| Array1::zeros(objective.n_params()));
    let problem = result
        .problem()
        .problem
        .as_ref()
        .expect("argmin hands the problem back");
    let gradient_norm = norm(problem.eval(&w).1.as_slice().expect("contiguous"));
    let stop = match &state.termination_status {
        TerminationStatus::Terminated(TerminationReason::MaxItersReached) => Stop::IterationCap,
        TerminationStatus::Terminated(TerminationReason::SolverExit(_)) => Stop::LineSearchFailed,
        // Both of argmin's convergence rules report this; tell them apart by the gradient.
        _ if gradient_norm < tolerance => Stop::GradientTolerance,
        // Otherwise the loss-change rule stopped it. (No target cost, time limit or Ctrl-C
        // handler is set, so argmin has no other way to stop.)
        _ => Stop::NoProgress,
    };
    Ok(Minimum {
        w: w.to_vec(),
        iterations: state.iter,
        evaluations: problem.evaluations.get(),
        gradient_norm,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A random sparse problem: `n` rows over `v` features, `k` classes.
    fn random_problem(n: usize, v: usize, k: usize, seed: u64) -> (Vec<SparseVec>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows = (0..n)
            .map(|_| {
                let mut indices: Vec<u32> = (0..v as u32).filter(|_| rng.gen_bool(0.3)).collect();
                if indices.is_empty() {
                    indices.push(rng.gen_range(0..v as u32));
                }
                let values = indices.iter().map(|_| rng.gen_range(-1.0..1.0)).collect();
                SparseVec { indices, values }
            })
            .collect();
        let y = (0..n).map(|i| i % k).collect();
        (rows, y)
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (rows, y) = random_problem(40, 12, 3, 1);
        let weight = (0..40).map(|i| 0.5 + (i % 3) as f64).collect();
        let obj = Objective::new(&rows, 12, &y, 3, weight, 0.7);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let w: Vec<f64> = (0..obj.n_params())
            .map(|_| rng.gen_range(-2.0..2.0))
            .collect();
        let mut grad = vec![0.0; w.len()];
        obj.loss_grad(&w, &mut grad);
        let mut scratch = vec![0.0; w.len()];
        let h = 1e-6;
        for p in 0..w.len() {
            let mut wp = w.clone();
            wp[p] += h;
            let up = obj.loss_grad(&wp, &mut scratch);
            wp[p] -= 2.0 * h;
            let down = obj.loss_grad(&wp, &mut scratch);
            let numeric = (up - down) / (2.0 * h);
            assert!(
                (numeric - grad[p]).abs() < 1e-6 * (1.0 + grad[p].abs()),
                "parameter {p}: analytic {} vs numeric {numeric}",
                grad[p]
            );
        }
    }

    #[test]
    fn loss_at_zero_is_weighted_log_k() {
        // At w = 0 every class has probability 1/k, so the loss is sum(s_i) ln k.
        let (rows, y) = random_problem(10, 5, 4, 3);
        let obj = Objective::new(&rows, 5, &y, 4, vec![2.0; 10], 1.0);
        let mut grad = vec![0.0; obj.n_params()];
        let loss = obj.loss_grad(&vec![0.0; obj.n_params()], &mut grad);
        assert!((loss - 20.0 * 4f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn balanced_weights_give_every_class_the_same_total() {
        let y = [0, 0, 0, 1, 2, 2];
        let w = balanced_weights(&y, 4); // class 3 absent: k counts present classes only
        assert_eq!(w, [2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 2.0, 1.0, 1.0]);
        let per_class: Vec<f64> = (0..3)
            .map(|c| (0..6).filter(|&i| y[i] == c).map(|i| w[i]).sum())
            .collect();
        assert!(per_class.iter().all(|t| (t - 2.0).abs() < 1e-12));
        assert!((w.iter().sum::<f64>() - 6.0).abs() < 1e-12);
    }

    #[test]
    fn same_bits_on_one_and_two_threads() {
        // More rows and features than one chunk, so the work really is split.
        let (rows, y) = random_problem(3 * ROW_CHUNK + 7, 2 * FEATURE_CHUNK + 5, 3, 4);
        let obj = Objective::new(&rows, 2 * FEATURE_CHUNK + 5, &y, 3, vec![1.0; y.len()], 1.0);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| minimise(&obj, 15, 1e-8).unwrap())
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.iterations, two.iterations);
        let bits = |m: &Minimum| m.w.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one), bits(&two));
        assert!(one.w.iter().any(|w| *w != 0.0));
    }

    #[test]
    fn reports_the_iteration_cap() {
        let (rows, y) = random_problem(60, 20, 3, 5);
        let obj = Objective::new(&rows, 20, &y, 3, vec![1.0; 60], 0.1);
        let capped = minimise(&obj, 2, 1e-10).unwrap();
        assert_eq!(capped.stop, Stop::IterationCap);
        assert_eq!(capped.iterations, 2);
        assert!(capped.gradient_norm > 1e-10);
        let done = minimise(&obj, 1000, 1e-6).unwrap();
        assert_eq!(done.stop, Stop::GradientTolerance);
        assert!(done.gradient_norm < 1e-6);
        assert!(done.iterations < 1000);
        // argmin asks for the loss and the gradient of every trial point, and the gradient of
        // the accepted one again: at least three requests per iteration. Each point is
        // computed once.
        assert!(done.evaluations < 2 * done.iterations, "{done:?}");
    }
}
