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
//! `alpha` is 1/C in scikit-learn's terms). Each row's softmax subtracts the row's own maximum
//! logit, so nothing overflows.
//!
//! The optimiser is our own L-BFGS (Nocedal and Wright, *Numerical Optimization*, 2nd ed.,
//! algorithm 7.4: the two-loop recursion over the last 20 step and gradient-change pairs, the
//! initial matrix scaled by `s'y / y'y`), started from all zeros, with a line search for a step
//! satisfying the strong Wolfe conditions (their algorithms 3.5 and 3.6: bracketing, then zooming
//! with safeguarded cubic interpolation, c1 = 1e-4, c2 = 0.9). It stops when the gradient's
//! Euclidean norm falls below the tolerance, when the loss stops changing in f64, at the
//! iteration cap, or when no step can be found even along the steepest descent direction. All of
//! its state is allocated once, before the first iteration.
//!
//! One evaluation is one pass over the rows that computes the loss and the gradient together:
//! each row's logits, softmax and residual, then the residual times the row scattered into a
//! gradient buffer. The rows are cut into a fixed number of blocks that depends only on the data
//! (never on the thread count); each block has its own gradient buffer and loss, blocks run in
//! parallel on rayon, and the block gradients are added in block order. So no floating-point
//! sum is ever regrouped by thread count, and the result is the same on any number of threads.
//!
//! With context features ([`Objective::with_mixing`]) the rows are the paragraphs' own rows and a
//! row with context is a known weighted sum of them (`X = M A`), so one evaluation runs in three
//! steps instead: each own row's products with the weights (in parallel, per row), the mixed
//! logits, loss and residuals `R` (one pass over `M`, in row order), then the gradient as
//! `A' (M' R)`, the own rows times their mixed-back residuals scattered block by block as above.
//! The rows with context, about three times the own rows' entries, are never built.

use std::ops::Range;

use rayon::prelude::*;

use crate::tfidf::Mixing;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tfidf::SparseRows;

/// L-BFGS history length. linfa-logistic and scikit-learn keep 10 pairs; 20 halved the
/// iterations on 10,000 generated paragraphs (100 to 51) and cost 10 more vectors of memory.
const MEMORY: usize = 20;
/// Bounds on the number of row blocks (see [`Objective`]): at least two so that two threads have
/// work, at most sixteen so that the per-block gradient buffers stay small.
const MIN_BLOCKS: usize = 2;
const MAX_BLOCKS: usize = 16;
/// Parameters per rayon task when adding the block gradients (scheduling only: every entry is
/// summed over the blocks in block order whatever the chunking, and the penalty's partial sums
/// are per chunk of this fixed size).
const REDUCE_CHUNK: usize = 4096;
/// Sufficient decrease (Armijo) and curvature constants of the strong Wolfe conditions.
const C1: f64 = 1e-4;
const C2: f64 = 0.9;
/// Loss-and-gradient evaluations one line search may spend.
const MAX_LINE_EVALUATIONS: usize = 30;

/// Why the optimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The gradient norm fell below the tolerance.
    GradientTolerance,
    /// The loss changed by less than one part in 2^52 (f64's epsilon) before the gradient norm
    /// reached the tolerance: no further progress was possible in f64.
    NoProgress,
    /// The iteration cap was reached first.
    IterationCap,
    /// The line search could not find a step, even along the steepest descent direction
    /// (usually rounding near the optimum).
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
/// It takes the caller's rows rather than a copy, which would double the memory of a large
/// training set (80,000 paragraphs with context: 317 MiB of rows).
///
/// Parameters are one flat vector laid out as linfa's `(features + 1) x classes` matrix, row
/// major: `w[f * k + c]` is feature `f`'s weight for class `c`, and the last `k` entries are the
/// intercepts.
#[derive(Debug, Clone)]
pub struct Objective {
    x: SparseRows,
    y: Vec<usize>,
    weight: Vec<f64>,
    n_features: usize,
    k: usize,
    alpha: f64,
    /// Block `b` is rows `blocks[b]..blocks[b + 1]`; blocks hold about equal non-zero entries.
    blocks: Vec<usize>,
    /// With context: the rows are own rows, and row `i` with context is `mixing.row(i)` of them.
    mixing: Option<Mixing>,
}

/// Buffers one evaluation of an [`Objective`] writes into, allocated once per fit.
#[derive(Debug, Clone)]
pub struct Scratch {
    /// One gradient per row block, blocks one after another.
    block_grads: Vec<f64>,
    block_losses: Vec<f64>,
    /// One row's logits (then residuals) per block.
    block_logits: Vec<f64>,
    /// The penalty's partial sum over each [`REDUCE_CHUNK`] of parameters.
    penalty_parts: Vec<f64>,
    /// With mixing, `k` values per row: own products, mixed logits, residuals, mixed-back
    /// residuals.
    own: Vec<f64>,
    mixed: Vec<f64>,
    resid: Vec<f64>,
    back: Vec<f64>,
    /// `k` zeros, and the intercepts' gradient.
    zero: Vec<f64>,
    db: Vec<f64>,
}

impl Objective {
    /// `y[i]` in `0..n_classes`; `weight[i]` is row `i`'s sample weight.
    pub fn new(
        rows: SparseRows,
        n_features: usize,
        y: &[usize],
        n_classes: usize,
        weight: Vec<f64>,
        alpha: f64,
    ) -> Objective {
        assert_eq!(rows.len(), y.len(), "one label per row");
        assert_eq!(rows.len(), weight.len(), "one weight per row");
        assert!(y.iter().all(|&c| c < n_classes), "labels below n_classes");
        let n_params = (n_features + 1) * n_classes;
        // Where each row's entries would start, and the end of the last, were the rows laid
        // end to end.
        let offsets: Vec<usize> = std::iter::once(0)
            .chain((0..rows.len()).scan(0, |end, i| {
                *end += rows.row(i).0.len();
                Some(*end)
            }))
            .collect();
        // A block's gradient buffer costs as much to clear and add as a pass over `2 n_params`
        // row entries, so a block should carry at least that much work.
        let nnz = offsets[rows.len()];
        let n_blocks = (nnz / (2 * n_params).max(1))
            .clamp(MIN_BLOCKS, MAX_BLOCKS)
            .min(rows.len())
            .max(1);
        let mut blocks: Vec<usize> = (0..n_blocks)
            .map(|b| offsets.partition_point(|&end| end < b * nnz / n_blocks))
            .collect();
        blocks[0] = 0;
        blocks.push(rows.len());
        Objective {
            x: rows,
            y: y.to_vec(),
            weight,
            n_features,
            k: n_classes,
            alpha,
            blocks,
            mixing: None,
        }
    }

    /// Makes row `i` of the loss the row with context `Σ coef · row j` over `mixing.row(i)`
    /// (the rows given to [`Objective::new`] being the own rows).
    pub fn with_mixing(mut self, mixing: Mixing) -> Objective {
        assert_eq!(mixing.len(), self.x.len(), "one mixing row per row");
        self.mixing = Some(mixing);
        self
    }

    /// Length of the parameter vector.
    pub fn n_params(&self) -> usize {
        (self.n_features + 1) * self.k
    }

    /// Buffers for [`Objective::loss_grad_with`].
    pub fn scratch(&self) -> Scratch {
        let n_blocks = self.blocks.len() - 1;
        let per_row = if self.mixing.is_some() {
            self.x.len() * self.k
        } else {
            0
        };
        Scratch {
            block_grads: vec![0.0; n_blocks * self.n_params()],
            block_losses: vec![0.0; n_blocks],
            block_logits: vec![0.0; n_blocks * self.k],
            penalty_parts: vec![0.0; self.n_params().div_ceil(REDUCE_CHUNK)],
            own: vec![0.0; per_row],
            mixed: vec![0.0; per_row],
            resid: vec![0.0; per_row],
            back: vec![0.0; per_row],
            zero: vec![0.0; self.k],
            db: vec![0.0; self.k],
        }
    }

    /// The loss at `w`, with its gradient written into `grad` (allocates its buffers; a loop
    /// should use [`Objective::loss_grad_with`]).
    pub fn loss_grad(&self, w: &[f64], grad: &mut [f64]) -> f64 {
        self.loss_grad_with(w, grad, &mut self.scratch())
    }

    /// The loss at `w`, with its gradient written into `grad`, using `scratch` (from
    /// [`Objective::scratch`] of this objective) instead of allocating.
    pub fn loss_grad_with(&self, w: &[f64], grad: &mut [f64], scratch: &mut Scratch) -> f64 {
        let (k, p) = (self.k, self.n_params());
        assert_eq!(w.len(), p, "parameter length");
        assert_eq!(grad.len(), p, "gradient length");
        assert_eq!(
            scratch.block_grads.len(),
            (self.blocks.len() - 1) * p,
            "scratch"
        );
        if let Some(mixing) = &self.mixing {
            return self.loss_grad_mixed(mixing, w, grad, scratch);
        }
        // Specialised for the usual few classes, so the per-entry loops over classes unroll.
        let pass: BlockPass = match k {
            2 => Objective::block_pass::<2>,
            3 => Objective::block_pass::<3>,
            4 => Objective::block_pass::<4>,
            _ => Objective::block_pass::<0>,
        };
        scratch
            .block_grads
            .par_chunks_mut(p)
            .zip(scratch.block_losses.par_iter_mut())
            .zip(scratch.block_logits.par_chunks_mut(k))
            .enumerate()
            .for_each(|(b, ((g, loss), z))| {
                *loss = pass(self, self.blocks[b]..self.blocks[b + 1], w, g, z);
            });
        let penalty = self.reduce(w, grad, scratch);
        scratch.block_losses.iter().sum::<f64>() + 0.5 * self.alpha * penalty
    }

    /// [`Objective::loss_grad_with`] with context: see the module's documentation.
    fn loss_grad_mixed(
        &self,
        mixing: &Mixing,
        w: &[f64],
        grad: &mut [f64],
        scratch: &mut Scratch,
    ) -> f64 {
        let k = self.k;
        let v = self.n_features * k;
        let (wf, b) = w.split_at(v);
        let products: Products = match k {
            2 => logits::<2>,
            3 => logits::<3>,
            4 => logits::<4>,
            _ => logits::<0>,
        };
        // Each own row's products with the weights; independent per row.
        let zero = &scratch.zero;
        scratch
            .own
            .par_chunks_mut(k)
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, u)| {
                let (idx, val) = self.x.row(i);
                products(u, zero, idx, val, wf);
            });
        // Mixed logits, loss and residuals s * (softmax(z) - onehot(y)), in row order.
        mixing.apply_into(&scratch.own, k, &mut scratch.mixed);
        let mut loss = 0.0;
        let db = &mut scratch.db;
        db.fill(0.0);
        for (i, (z, r)) in scratch
            .mixed
            .chunks_exact(k)
            .zip(scratch.resid.chunks_exact_mut(k))
            .enumerate()
        {
            r.iter_mut()
                .zip(z)
                .zip(b)
                .for_each(|((r, z), b)| *r = z + b);
            loss += residual(r, self.y[i], self.weight[i]);
            add_assign(db, r);
        }
        // The residuals carried back to the own rows, then the own rows times them.
        mixing.apply_transposed(&scratch.resid, k, &mut scratch.back);
        let back = &scratch.back;
        scratch
            .block_grads
            .par_chunks_mut(self.n_params())
            .enumerate()
            .for_each(|(blk, g)| {
                g.fill(0.0);
                for i in self.blocks[blk]..self.blocks[blk + 1] {
                    let (idx, val) = self.x.row(i);
                    let r = &back[i * k..(i + 1) * k];
                    for (&f, &x) in idx.iter().zip(val) {
                        let grow = &mut g[f as usize * k..][..k];
                        grow.iter_mut().zip(r).for_each(|(g, r)| *g += x * r);
                    }
                }
            });
        let penalty = self.reduce(w, grad, scratch);
        // The intercepts enter every mixed logit once (the block gradients leave them zero).
        add_assign(&mut grad[v..], &scratch.db);
        loss + 0.5 * self.alpha * penalty
    }

    /// Sums the block gradients into `grad` in block order, adds the penalty's gradient, and
    /// returns `||W||^2` summed per fixed chunk.
    fn reduce(&self, w: &[f64], grad: &mut [f64], scratch: &mut Scratch) -> f64 {
        let (k, p) = (self.k, self.n_params());
        let blocks = &scratch.block_grads;
        let penalised = self.n_features * k;
        grad.par_chunks_mut(REDUCE_CHUNK)
            .zip(scratch.penalty_parts.par_iter_mut())
            .enumerate()
            .for_each(|(chunk, (out, part))| {
                let start = chunk * REDUCE_CHUNK;
                let span = start..start + out.len();
                out.copy_from_slice(&blocks[span.clone()]);
                for block in blocks.chunks_exact(p).skip(1) {
                    add_assign(out, &block[span.clone()]);
                }
                let end = span.end.min(penalised).max(start);
                let (out, wc) = (&mut out[..end - start], &w[start..end]);
                *part = dot(wc, wc);
                axpy(self.alpha, wc, out);
            });
        scratch.penalty_parts.iter().sum()
    }

    /// The loss of rows `rows` at `w`, their gradient (without the penalty) written into `g`.
    /// `K` is the number of classes, or 0 for "read it from `self`"; `z` holds `k` values.
    fn block_pass<const K: usize>(
        &self,
        rows: Range<usize>,
        w: &[f64],
        g: &mut [f64],
        z: &mut [f64],
    ) -> f64 {
        let k = if K == 0 { self.k } else { K };
        let v = self.n_features * k;
        let (wf, b) = w.split_at(v);
        g.fill(0.0);
        let (gf, gb) = g.split_at_mut(v);
        let z = &mut z[..k];
        let mut loss = 0.0;
        for i in rows {
            let (idx, val) = self.x.row(i);
            logits::<K>(z, b, idx, val, wf);
            loss += residual(z, self.y[i], self.weight[i]);
            // The row times its residual, into the gradient.
            for (&f, &x) in idx.iter().zip(val) {
                let grow = &mut gf[f as usize * k..][..k];
                for c in 0..k {
                    grow[c] += x * z[c];
                }
            }
            add_assign(gb, z);
        }
        loss
    }
}

/// A row's loss `s * (logsumexp(z) - z[y])`, returned, with its logits `z` turned into its
/// residual `s * (softmax(z) - onehot(y))`.
#[inline]
fn residual(z: &mut [f64], y: usize, s: f64) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let zy = z[y] - max;
    let mut sum = 0.0;
    for zc in z.iter_mut() {
        *zc = (*zc - max).exp();
        sum += *zc;
    }
    let scale = s / sum;
    z.iter_mut().for_each(|zc| *zc *= scale);
    z[y] -= s;
    s * (sum.ln() - zy)
}

/// Row `(idx, val)`'s logits `b + x W` into `z` (`k` values; `W` as in [`Objective`]).
/// With `K` classes known at compile time they are summed in registers: summing into `z` itself
/// makes every product wait on the previous one's store. Both ways add in the same order.
fn logits<const K: usize>(z: &mut [f64], b: &[f64], idx: &[u32], val: &[f64], wf: &[f64]) {
    let k = z.len();
    z.copy_from_slice(b);
    if K == 0 {
        for (&f, &x) in idx.iter().zip(val) {
            let wrow = &wf[f as usize * k..][..k];
            z.iter_mut().zip(wrow).for_each(|(z, w)| *z += x * w);
        }
        return;
    }
    let mut acc = [0.0; K];
    acc.copy_from_slice(z);
    for (&f, &x) in idx.iter().zip(val) {
        let wrow = &wf[f as usize * K..][..K];
        for c in 0..K {
            acc[c] += x * wrow[c];
        }
    }
    z.copy_from_slice(&acc);
}

/// [`Objective::block_pass`] for some number of classes.
type BlockPass = fn(&Objective, Range<usize>, &[f64], &mut [f64], &mut [f64]) -> f64;

/// [`logits`] for some number of classes.
type Products = fn(&mut [f64], &[f64], &[u32], &[f64], &[f64]);

/// Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// The dot product, with four partial sums (a fixed grouping, so the result does not depend on
/// anything but the inputs) to keep the adder busy.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot lengths");
    let mut acc = [0.0; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4
        .remainder()
        .iter()
        .zip(b4.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a4.zip(b4) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `y += a * x`.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    assert_eq!(x.len(), y.len(), "axpy lengths");
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

/// `y += x`.
fn add_assign(y: &mut [f64], x: &[f64]) {
    assert_eq!(x.len(), y.len(), "add lengths");
    y.iter_mut().zip(x).for_each(|(y, x)| *y += x);
}

/// What [`minimise`] found.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The parameters (layout as in [`Objective`]).
    pub w: Vec<f64>,
    /// L-BFGS iterations (each one accepted line search).
    pub iterations: u64,
    /// Loss-and-gradient evaluations.
    pub evaluations: u64,
    /// Euclidean norm of the gradient at `w`.
    pub gradient_norm: f64,
    pub stop: Stop,
}

/// Minimises `objective` from all zeros, as linfa-logistic does, and says how it ended.
pub fn minimise(objective: &Objective, max_iterations: u64, tolerance: f64) -> Result<Minimum> {
    let mut scratch = objective.scratch();
    lbfgs(
        |w, g| objective.loss_grad_with(w, g, &mut scratch),
        vec![0.0; objective.n_params()],
        max_iterations,
        tolerance,
    )
}

/// The last [`MEMORY`] pairs of steps `s = w_new - w` and gradient changes `y = g_new - g`, in
/// a ring of preallocated flat buffers.
struct History {
    /// Parameters, and pairs kept.
    n: usize,
    m: usize,
    s: Vec<f64>,
    y: Vec<f64>,
    /// `1 / s'y` per pair.
    rho: Vec<f64>,
    /// The two-loop recursion's coefficients, per pair.
    coef: Vec<f64>,
    /// Pairs stored, and the slot the next one goes to; the newest is just before `next`.
    len: usize,
    next: usize,
}

impl History {
    fn new(n: usize, m: usize) -> History {
        History {
            n,
            m,
            s: vec![0.0; m * n],
            y: vec![0.0; m * n],
            rho: vec![0.0; m],
            coef: vec![0.0; m],
            len: 0,
            next: 0,
        }
    }

    /// Slot of the `age`-th newest pair (0: the newest).
    fn slot(&self, age: usize) -> usize {
        (self.next + self.m - 1 - age) % self.m
    }

    fn span(&self, slot: usize) -> Range<usize> {
        slot * self.n..(slot + 1) * self.n
    }

    /// Stores the pair from `(w, g)` to `(w_new, g_new)`, unless its curvature `s'y` is not
    /// safely positive (then the inverse Hessian estimate would not stay positive definite, and
    /// the pair is dropped; when the ring was full the oldest pair, overwritten, goes too).
    fn push(&mut self, w_new: &[f64], w: &[f64], g_new: &[f64], g: &[f64]) {
        let span = self.span(self.next);
        let (s, y) = (&mut self.s[span.clone()], &mut self.y[span]);
        s.iter_mut()
            .zip(w_new.iter().zip(w))
            .for_each(|(s, (a, b))| *s = a - b);
        y.iter_mut()
            .zip(g_new.iter().zip(g))
            .for_each(|(y, (a, b))| *y = a - b);
        let (sy, yy) = (dot(s, y), dot(y, y));
        if sy > f64::EPSILON * yy && sy.is_finite() {
            self.rho[self.next] = 1.0 / sy;
            self.next = (self.next + 1) % self.m;
            self.len = (self.len + 1).min(self.m);
        } else if self.len == self.m {
            self.len -= 1;
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// `d = -H g` by the two-loop recursion, `H` the inverse Hessian estimate.
    fn direction(&mut self, g: &[f64], d: &mut [f64]) {
        d.iter_mut().zip(g).for_each(|(d, g)| *d = -g);
        for age in 0..self.len {
            let slot = self.slot(age);
            let span = self.span(slot);
            let a = self.rho[slot] * dot(&self.s[span.clone()], d);
            self.coef[slot] = a;
            axpy(-a, &self.y[span], d);
        }
        if self.len > 0 {
            let span = self.span(self.slot(0));
            let y = &self.y[span];
            let gamma = 1.0 / (self.rho[self.slot(0)] * dot(y, y));
            d.iter_mut().for_each(|d| *d *= gamma);
        }
        for age in (0..self.len).rev() {
            let slot = self.slot(age);
            let span = self.span(slot);
            let b = self.rho[slot] * dot(&self.y[span.clone()], d);
            axpy(self.coef[slot] - b, &self.s[span], d);
        }
    }
}

/// L-BFGS from `w` on a function that writes its gradient into its second argument and returns
/// its value.
fn lbfgs(
    mut eval: impl FnMut(&[f64], &mut [f64]) -> f64,
    mut w: Vec<f64>,
    max_iterations: u64,
    tolerance: f64,
) -> Result<Minimum> {
    let n = w.len();
    let mut g = vec![0.0; n];
    let mut f = eval(&w, &mut g);
    if !f.is_finite() {
        return Err(Error::Fit(format!(
            "the loss at the starting point is {f}; the rows or weights are not finite"
        )));
    }
    let mut search = LineSearch {
        eval,
        w: vec![0.0; n],
        g: vec![0.0; n],
        last: f64::NAN,
        evaluations: 1,
    };
    let mut history = History::new(n, MEMORY);
    let mut d = vec![0.0; n];
    let mut gnorm = norm(&g);
    let mut iterations = 0;
    let mut stalled = false;
    let stop = loop {
        if gnorm < tolerance {
            break Stop::GradientTolerance;
        }
        if stalled {
            break Stop::NoProgress;
        }
        if iterations >= max_iterations {
            break Stop::IterationCap;
        }
        history.direction(&g, &mut d);
        let mut slope = dot(&g, &d);
        if slope.is_nan() || slope >= 0.0 {
            // Rounding made the estimate useless: start it again from the steepest descent.
            history.clear();
            history.direction(&g, &mut d);
            slope = dot(&g, &d);
        }
        // Without curvature information the step's length is unknown: start at a unit step.
        let first = if history.len == 0 { 1.0 / gnorm } else { 1.0 };
        let Some(f_new) = search.run(&w, f, &g, &d, slope, first) else {
            if history.len > 0 {
                history.clear();
                continue;
            }
            break Stop::LineSearchFailed;
        };
        iterations += 1;
        history.push(&search.w, &w, &search.g, &g);
        std::mem::swap(&mut w, &mut search.w);
        std::mem::swap(&mut g, &mut search.g);
        stalled = (f - f_new).abs() <= f64::EPSILON * f.abs().max(f_new.abs());
        f = f_new;
        gnorm = norm(&g);
    };
    Ok(Minimum {
        w,
        iterations,
        evaluations: search.evaluations,
        gradient_norm: gnorm,
        stop,
    })
}

/// The line function `phi(a) = f(w + a d)` at one step: its value and slope `phi'(a)`.
#[derive(Debug, Clone, Copy)]
struct Trial {
    a: f64,
    f: f64,
    slope: f64,
}

/// The strong Wolfe line search, with its own buffers for the trial point and its gradient.
struct LineSearch<F> {
    eval: F,
    w: Vec<f64>,
    g: Vec<f64>,
    /// The step `w` and `g` were last evaluated at.
    last: f64,
    evaluations: u64,
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> LineSearch<F> {
    /// Evaluates `phi(a)`, leaving the point and its gradient in `self.w` and `self.g`.
    fn trial(&mut self, w: &[f64], d: &[f64], a: f64) -> Trial {
        self.w
            .iter_mut()
            .zip(w.iter().zip(d))
            .for_each(|(t, (w, d))| *t = w + a * d);
        let f = (self.eval)(&self.w, &mut self.g);
        self.evaluations += 1;
        self.last = a;
        Trial {
            a,
            f,
            slope: dot(&self.g, d),
        }
    }

    /// A step along the descent direction `d` from `w` (loss `f`, gradient `g`, slope
    /// `slope = g'd < 0`) satisfying the strong Wolfe conditions, starting with step `first`.
    /// On success the new loss is returned and the point and its gradient are in `self.w` and
    /// `self.g`. Nocedal and Wright's algorithm 3.5: grow the step until it brackets an
    /// acceptable one, then zoom.
    fn run(
        &mut self,
        w: &[f64],
        f: f64,
        g: &[f64],
        d: &[f64],
        slope: f64,
        first: f64,
    ) -> Option<f64> {
        debug_assert_eq!(g.len(), d.len());
        let start = Trial { a: 0.0, f, slope };
        let mut prev = start;
        let mut a = first;
        for i in 0..MAX_LINE_EVALUATIONS {
            let t = self.trial(w, d, a);
            if !armijo(&start, &t) || (i > 0 && t.f >= prev.f) {
                return self.zoom(w, d, &start, prev, t, MAX_LINE_EVALUATIONS - i - 1);
            }
            if t.slope.abs() <= -C2 * slope {
                return Some(t.f);
            }
            if t.slope >= 0.0 {
                return self.zoom(w, d, &start, t, prev, MAX_LINE_EVALUATIONS - i - 1);
            }
            // Still descending: extrapolate, at least doubling and at most quintupling the
            // distance covered, towards the cubic's minimum when it lies in that range.
            let (low, high) = (t.a + (t.a - prev.a), t.a + 4.0 * (t.a - prev.a));
            a = cubic_minimum(&prev, &t).map_or(high, |c| c.clamp(low, high));
            prev = t;
        }
        // Out of evaluations while still descending: the last step lowered the loss enough.
        (prev.a > 0.0).then_some(prev.f)
    }

    /// Nocedal and Wright's algorithm 3.6: `lo` satisfies sufficient decrease with the lowest
    /// loss so far, and the interval between `lo` and `hi` contains a strong Wolfe step.
    fn zoom(
        &mut self,
        w: &[f64],
        d: &[f64],
        start: &Trial,
        mut lo: Trial,
        mut hi: Trial,
        budget: usize,
    ) -> Option<f64> {
        for _ in 0..budget {
            let width = (hi.a - lo.a).abs();
            if width <= f64::EPSILON * lo.a.abs().max(hi.a.abs()) {
                break;
            }
            // Cubic interpolation, kept a tenth of the interval away from either end (so that
            // the interval shrinks by at least that much); bisection when the cubic has no
            // minimum inside.
            let (left, right) = (lo.a.min(hi.a), lo.a.max(hi.a));
            let margin = 0.1 * width;
            let a = match cubic_minimum(&lo, &hi) {
                Some(c) if c > left && c < right => c.clamp(left + margin, right - margin),
                _ => 0.5 * (lo.a + hi.a),
            };
            let t = self.trial(w, d, a);
            if !armijo(start, &t) || t.f >= lo.f {
                hi = t;
            } else {
                if t.slope.abs() <= -C2 * start.slope {
                    return Some(t.f);
                }
                if t.slope * (hi.a - lo.a) >= 0.0 {
                    hi = lo;
                }
                lo = t;
            }
        }
        // No strong Wolfe step found in time: a step that lowers the loss enough still makes
        // progress (the history skips its pair if its curvature is unusable).
        if lo.a > 0.0 {
            if self.last != lo.a {
                return Some(self.trial(w, d, lo.a).f);
            }
            return Some(lo.f);
        }
        None
    }
}

/// Sufficient decrease: `phi(a) <= phi(0) + C1 a phi'(0)`, false for a non-finite loss.
fn armijo(start: &Trial, t: &Trial) -> bool {
    t.f.is_finite() && t.f <= start.f + C1 * t.a * start.slope
}

/// The minimiser of the cubic matching `phi` and `phi'` at two steps, if it has one
/// (Nocedal and Wright, equation 3.59).
fn cubic_minimum(p: &Trial, q: &Trial) -> Option<f64> {
    if !(p.f.is_finite() && q.f.is_finite() && p.slope.is_finite() && q.slope.is_finite()) {
        return None;
    }
    let d1 = p.slope + q.slope - 3.0 * (p.f - q.f) / (p.a - q.a);
    let disc = d1 * d1 - p.slope * q.slope;
    if disc.is_nan() || disc < 0.0 {
        return None;
    }
    let d2 = (q.a - p.a).signum() * disc.sqrt();
    let denom = q.slope - p.slope + 2.0 * d2;
    let c = q.a - (q.a - p.a) * (q.slope + d2 - d1) / denom;
    c.is_finite().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use crate::tfidf::SparseVec;

    /// A random sparse problem: `n` rows over `v` features, `k` classes.
    fn random_problem(n: usize, v: usize, k: usize, seed: u64) -> (SparseRows, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rows: Vec<SparseVec> = (0..n)
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
        (rows.iter().collect(), y)
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (rows, y) = random_problem(40, 12, 3, 1);
        let weight = (0..40).map(|i| 0.5 + (i % 3) as f64).collect();
        let obj = Objective::new(rows, 12, &y, 3, weight, 0.7);
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
    fn mixed_rows_give_the_loss_and_gradient_of_the_rows_with_context() {
        // Interleaved articles of different lengths, neighbours and whole-article context, and
        // every class count the solver specialises (2-4) plus the general case.
        let article: Vec<usize> = (0..40).map(|i| [3, 1, 3, 7, 3, 5, 1][i % 7]).collect();
        for (k, ctx) in [
            (2, (2, 0.5, 0.0)),
            (3, (1, 1.5, 0.25)),
            (4, (3, 0.0, 0.7)),
            (5, (2, 0.4, 0.1)),
        ] {
            let (own, y) = random_problem(40, 12, k, k as u64);
            let ctx = crate::tfidf::ContextConfig {
                window: ctx.0,
                neighbour_weight: ctx.1,
                article_weight: ctx.2,
            };
            let mixing = ctx.mixing(&article).unwrap();
            // The rows with context, built entry by entry.
            let built: SparseRows = (0..own.len())
                .map(|i| {
                    let mut dense = [0.0; 12];
                    let (cols, coefs) = mixing.row(i);
                    for (&j, &c) in cols.iter().zip(coefs) {
                        let (idx, val) = own.row(j as usize);
                        for (&f, &x) in idx.iter().zip(val) {
                            dense[f as usize] += c * x;
                        }
                    }
                    let indices = (0..12u32).filter(|&f| dense[f as usize] != 0.0).collect();
                    let values = dense.into_iter().filter(|&x| x != 0.0).collect();
                    SparseVec { indices, values }
                })
                .collect::<Vec<_>>()
                .iter()
                .collect();
            let weight: Vec<f64> = (0..40).map(|i| 0.5 + (i % 3) as f64).collect();
            let mixed = Objective::new(own, 12, &y, k, weight.clone(), 0.7).with_mixing(mixing);
            let rows = Objective::new(built, 12, &y, k, weight, 0.7);
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            let w: Vec<f64> = (0..rows.n_params())
                .map(|_| rng.gen_range(-2.0..2.0))
                .collect();
            let (mut g1, mut g2) = (vec![0.0; w.len()], vec![0.0; w.len()]);
            let (l1, l2) = (mixed.loss_grad(&w, &mut g1), rows.loss_grad(&w, &mut g2));
            assert!((l1 - l2).abs() < 1e-10 * l2.abs(), "k {k}: {l1} vs {l2}");
            for (p, (a, b)) in g1.iter().zip(&g2).enumerate() {
                assert!(
                    (a - b).abs() < 1e-10 * (1.0 + b.abs()),
                    "k {k} param {p}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn loss_at_zero_is_weighted_log_k() {
        // At w = 0 every class has probability 1/k, so the loss is sum(s_i) ln k.
        let (rows, y) = random_problem(10, 5, 4, 3);
        let obj = Objective::new(rows, 5, &y, 4, vec![2.0; 10], 1.0);
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
        // Several row blocks and more parameters than one reduction chunk, so the work really
        // is split.
        let (rows, y) = random_problem(300, 1500, 3, 4);
        let obj = Objective::new(rows, 1500, &y, 3, vec![1.0; y.len()], 1.0);
        assert!(obj.blocks.len() > 3 && obj.n_params() > REDUCE_CHUNK);
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
        let obj = Objective::new(rows, 20, &y, 3, vec![1.0; 60], 0.1);
        let capped = minimise(&obj, 2, 1e-10).unwrap();
        assert_eq!(capped.stop, Stop::IterationCap);
        assert_eq!(capped.iterations, 2);
        assert!(capped.gradient_norm > 1e-10);
        let done = minimise(&obj, 1000, 1e-6).unwrap();
        assert_eq!(done.stop, Stop::GradientTolerance);
        assert!(done.gradient_norm < 1e-6);
        assert!(done.iterations < 1000);
        // Most line searches accept their first step.
        assert!(done.evaluations < 2 * done.iterations, "{done:?}");
    }

    #[test]
    fn specialised_kernels_add_as_the_general_one_does() {
        let (rows, y) = random_problem(50, 40, 3, 9);
        let obj = Objective::new(rows, 40, &y, 3, vec![0.7; 50], 0.2);
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let w: Vec<f64> = (0..obj.n_params())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let run = |pass: BlockPass| {
            let (mut g, mut z) = (vec![0.0; w.len()], vec![0.0; 3]);
            let loss = pass(&obj, 0..50, &w, &mut g, &mut z);
            (loss.to_bits(), g)
        };
        assert_eq!(
            run(Objective::block_pass::<3>),
            run(Objective::block_pass::<0>)
        );
    }

    #[test]
    fn blocks_cover_the_rows_in_order() {
        let (rows, y) = random_problem(300, 1500, 3, 6);
        let obj = Objective::new(rows, 1500, &y, 3, vec![1.0; 300], 1.0);
        let b = &obj.blocks;
        assert!(
            b.len() - 1 > MIN_BLOCKS && b.len() - 1 <= MAX_BLOCKS,
            "{b:?}"
        );
        assert!(b[0] == 0 && b[b.len() - 1] == 300 && b.windows(2).all(|w| w[0] <= w[1]));
        // One row, or no rows: one block.
        let (row, y) = random_problem(1, 1500, 3, 6);
        let one = Objective::new(row, 1500, &y, 3, vec![1.0], 1.0);
        assert_eq!(one.blocks, [0, 1]);
        let no_rows = SparseRows::default();
        let none = Objective::new(no_rows, 4, &[], 2, vec![], 1.0);
        let mut grad = vec![1.0; none.n_params()];
        assert_eq!(
            none.loss_grad(&vec![0.5; none.n_params()], &mut grad),
            4.0 * 0.25
        );
        assert_eq!(&grad[..4 * 2], &[0.5; 8]);
    }

    #[test]
    fn reused_scratch_gives_the_same_bits() {
        // Every class-count specialisation, and the general one.
        for k in [2, 3, 4, 6] {
            let (rows, y) = random_problem(90, 30, k, 7);
            let obj = Objective::new(rows, 30, &y, k, vec![1.5; 90], 0.3);
            let mut rng = ChaCha8Rng::seed_from_u64(8);
            let mut point = || -> Vec<f64> {
                (0..obj.n_params())
                    .map(|_| rng.gen_range(-1.0..1.0))
                    .collect()
            };
            let (a, b) = (point(), point());
            let mut scratch = obj.scratch();
            let (mut ga, mut gb) = (vec![0.0; a.len()], vec![0.0; a.len()]);
            obj.loss_grad_with(&a, &mut ga, &mut scratch);
            let lb = obj.loss_grad_with(&b, &mut gb, &mut scratch);
            let mut fresh = vec![0.0; a.len()];
            assert_eq!(lb.to_bits(), obj.loss_grad(&b, &mut fresh).to_bits());
            assert_eq!(gb, fresh);
        }
    }

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        // Not convex, and curved: a standard test that needs both the line search and the
        // curvature pairs to work.
        let rosenbrock = |w: &[f64], g: &mut [f64]| {
            let (a, b) = (w[0], w[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let m = lbfgs(rosenbrock, vec![-1.2, 1.0], 200, 1e-10).unwrap();
        assert_eq!(m.stop, Stop::GradientTolerance, "{m:?}");
        assert!(
            (m.w[0] - 1.0).abs() < 1e-9 && (m.w[1] - 1.0).abs() < 1e-9,
            "{m:?}"
        );
        assert!(
            m.iterations < 60 && m.evaluations < 2 * m.iterations,
            "{m:?}"
        );
    }

    #[test]
    fn line_search_steps_satisfy_the_strong_wolfe_conditions() {
        // More and Thuente's (1994) first three test functions of one variable, from their
        // range of starting steps: phi(a) = f(0 + a * 1).
        let beta = 2.0;
        let f1 = move |w: &[f64], g: &mut [f64]| {
            let a = w[0];
            g[0] = (a * a - beta) / (a * a + beta).powi(2);
            -a / (a * a + beta)
        };
        let f2 = |w: &[f64], g: &mut [f64]| {
            let a = w[0];
            g[0] = 5.0 * (a + 0.004).powi(4) - 8.0 * (a + 0.004).powi(3);
            (a + 0.004).powi(5) - 2.0 * (a + 0.004).powi(4)
        };
        let f3 = |w: &[f64], g: &mut [f64]| {
            let (a, l, beta) = (w[0], 39.0, 0.01);
            let pi = std::f64::consts::PI;
            let phi0 = if a <= 1.0 - beta {
                1.0 - a
            } else if a >= 1.0 + beta {
                a - 1.0
            } else {
                (a - 1.0).powi(2) / (2.0 * beta) + beta / 2.0
            };
            let dphi0 = if a <= 1.0 - beta {
                -1.0
            } else if a >= 1.0 + beta {
                1.0
            } else {
                (a - 1.0) / beta
            };
            let c = 2.0 * (1.0 - beta) / (l * pi);
            g[0] = dphi0 + c * (l * pi * a / 2.0).cos() * (l * pi / 2.0);
            phi0 + c * (l * pi * a / 2.0).sin()
        };
        type Phi<'a> = &'a dyn Fn(&[f64], &mut [f64]) -> f64;
        let functions: [Phi; 3] = [&f1, &f2, &f3];
        for (i, phi) in functions.into_iter().enumerate() {
            let mut g0 = [0.0];
            let f0 = phi(&[0.0], &mut g0);
            assert!(g0[0] < 0.0, "function {i} descends at 0");
            for first in [1e-3, 1e-1, 1e1, 1e3] {
                let mut search = LineSearch {
                    eval: |w: &[f64], g: &mut [f64]| phi(w, g),
                    w: vec![0.0],
                    g: vec![0.0],
                    last: f64::NAN,
                    evaluations: 0,
                };
                let f = search
                    .run(&[0.0], f0, &g0, &[1.0], g0[0], first)
                    .unwrap_or_else(|| panic!("function {i} from {first}: no step"));
                let (a, slope) = (search.w[0], search.g[0]);
                assert!(f <= f0 + C1 * a * g0[0], "function {i} from {first}: {a}");
                assert!(
                    slope.abs() <= -C2 * g0[0],
                    "function {i} from {first}: step {a}, slope {slope}"
                );
                assert!(
                    search.evaluations <= 16,
                    "function {i} from {first}: {} evaluations",
                    search.evaluations
                );
            }
        }
    }
}
