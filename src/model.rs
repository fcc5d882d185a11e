//! The multinomial logistic model, its training, and the versioned model file.
//!
//! Training goes through linfa-logistic (L-BFGS on a dense f64 matrix). Scoring does not: the
//! stored weights are applied to a paragraph's sparse TF-IDF row directly, one dot product per
//! class over its non-zero terms, followed by a softmax.

use std::collections::BTreeMap;
use std::path::Path;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tfidf::{SparseVec, Tfidf, TfidfConfig, TransformBuf};

/// Version of the model file layout; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Largest weight or intercept magnitude a model file may hold. Feature values are at most 1, so
/// with this bound every logit is finite and the softmax cannot produce NaN.
pub const MAX_WEIGHT: f64 = 1e100;

/// Dense training matrices above this size are refused rather than risking running out of memory.
pub const DENSE_LIMIT_BYTES: u64 = 4 << 30;

/// Hyper-parameters of the logistic model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelParams {
    /// L2 penalty on the weights (the loss is summed over paragraphs, so this is 1/C in
    /// scikit-learn's terms).
    pub alpha: f64,
    /// L-BFGS iteration cap.
    pub max_iterations: u64,
    /// Stop when the gradient norm falls below this.
    pub gradient_tolerance: f64,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            alpha: 1.0,
            max_iterations: 500,
            gradient_tolerance: 1e-5,
        }
    }
}

impl ModelParams {
    pub fn check(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::param(
                "alpha",
                format!("must be a positive number, got {}", self.alpha),
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", "must be at least 1"));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(Error::param(
                "gradient_tolerance",
                format!("must be a positive number, got {}", self.gradient_tolerance),
            ));
        }
        Ok(())
    }
}

/// Everything that decides how a model is trained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub featurizer: TfidfConfig,
    pub model: ModelParams,
}

impl TrainConfig {
    /// Checks every hyper-parameter; call before any fitting.
    pub fn check(&self) -> Result<()> {
        self.featurizer.check()?;
        self.model.check()
    }
}

/// Fitted weights: one row per class, over the featurizer's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// `weights[c][f]`.
    pub weights: Vec<Vec<f64>>,
    pub intercept: Vec<f64>,
}

impl Linear {
    /// Class probabilities for one sparse row, written into `out` (length = number of classes).
    pub fn probabilities_into(&self, x: &SparseVec, out: &mut [f64]) {
        for ((o, w), b) in out.iter_mut().zip(&self.weights).zip(&self.intercept) {
            *o = b + x.iter().map(|(i, v)| v * w[i]).sum::<f64>();
        }
        softmax(out);
    }
}

fn softmax(z: &mut [f64]) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    z.iter_mut().for_each(|v| *v /= sum);
}

/// A featurizer and weights trained together, for `classes` (sorted).
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub featurizer: Tfidf,
    pub classes: Vec<String>,
    pub linear: Linear,
}

impl Pipeline {
    /// Fits the featurizer and the model on `texts` with labels `y` (indices into `classes`).
    /// A class with no training paragraph gets a logit of minus infinity: probability zero.
    pub fn fit<S: AsRef<str>>(
        config: &TrainConfig,
        texts: &[S],
        y: &[usize],
        classes: &[String],
    ) -> Result<Self> {
        config.check()?;
        assert_eq!(texts.len(), y.len(), "one label per text");
        let featurizer = config.featurizer.fit(texts)?;
        let rows: Vec<SparseVec> = texts
            .iter()
            .map(|t| featurizer.transform(t.as_ref()))
            .collect();
        let linear = fit_linear(
            &rows,
            featurizer.n_features(),
            y,
            classes.len(),
            &config.model,
        )?;
        Ok(Pipeline {
            featurizer,
            classes: classes.to_vec(),
            linear,
        })
    }

    /// Class probabilities for one paragraph, in `classes` order.
    pub fn probabilities(&self, text: &str, buf: &mut TransformBuf) -> Vec<f64> {
        self.featurizer.transform_with(text, buf);
        let mut out = vec![0.0; self.classes.len()];
        self.linear.probabilities_into(&buf.row, &mut out);
        out
    }
}

/// Fits multinomial logistic regression on sparse rows via linfa-logistic.
fn fit_linear(
    rows: &[SparseVec],
    n_features: usize,
    y: &[usize],
    n_classes: usize,
    params: &ModelParams,
) -> Result<Linear> {
    let present: Vec<usize> = {
        let mut p: Vec<usize> = y.to_vec();
        p.sort_unstable();
        p.dedup();
        p
    };
    let mut weights = vec![vec![0.0; n_features]; n_classes];
    let mut intercept = vec![f64::NEG_INFINITY; n_classes];
    if present.len() == 1 {
        // One class seen: it takes all the probability, whatever the text.
        intercept[present[0]] = 0.0;
        return Ok(Linear { weights, intercept });
    }
    let needed = (rows.len() as u64) * (n_features as u64) * 8;
    if needed > DENSE_LIMIT_BYTES {
        return Err(Error::TooLarge {
            rows: rows.len(),
            features: n_features,
            needed_mib: needed >> 20,
            limit_mib: DENSE_LIMIT_BYTES >> 20,
        });
    }
    let mut x = Array2::<f64>::zeros((rows.len(), n_features));
    for (r, row) in rows.iter().enumerate() {
        for (i, v) in row.iter() {
            x[[r, i]] = v;
        }
    }
    let targets = Array1::from_iter(y.iter().copied());
    let dataset = Dataset::new(x, targets);
    let fitted = MultiLogisticRegression::default()
        .alpha(params.alpha)
        .max_iterations(params.max_iterations)
        .gradient_tolerance(params.gradient_tolerance)
        .fit(&dataset)
        .map_err(|e| Error::Fit(e.to_string()))?;
    // linfa sorts the classes it saw; map its columns back onto ours.
    let seen = fitted.classes();
    let w = fitted.params();
    let b = fitted.intercept();
    if seen != present.as_slice()
        || w.nrows() != n_features
        || w.ncols() != seen.len()
        || b.len() != seen.len()
    {
        return Err(Error::Fit(format!(
            "unexpected model shape: {}x{} weights, {} intercepts for {} features and {} classes",
            w.nrows(),
            w.ncols(),
            b.len(),
            n_features,
            seen.len()
        )));
    }
    for (col, &class) in seen.iter().enumerate() {
        for (f, slot) in weights[class].iter_mut().enumerate() {
            *slot = w[[f, col]];
        }
        intercept[class] = b[col];
    }
    if weights
        .iter()
        .flatten()
        .chain(intercept.iter().filter(|v| **v != f64::NEG_INFINITY))
        .any(|v| !v.is_finite())
    {
        return Err(Error::Fit(
            "the optimiser produced non-finite weights; raise --alpha".into(),
        ));
    }
    Ok(Linear { weights, intercept })
}

/// Where a model came from: enough to reproduce it and to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The training file as given on the command line.
    pub training_file: String,
    pub training_sha256: String,
    pub text_column: String,
    pub label_column: String,
    pub group_column: String,
    pub paragraphs: usize,
    pub groups: usize,
    /// Training paragraphs per class, sorted by class.
    pub class_counts: BTreeMap<String, usize>,
    /// Cross-validated figures on the training data (never accuracy on the training paragraphs).
    pub cross_validation: Option<CvSummary>,
    /// Truncated SHA-256 of each training paragraph's text, sorted: lets `eval --model` keep
    /// training paragraphs out of a held-out score.
    pub training_fingerprints: Vec<String>,
}

/// The headline cross-validation figures stored in a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CvSummary {
    pub scheme: String,
    /// `None` for leave-one-group-out, else K of grouped K-fold.
    pub group_kfold: Option<usize>,
    pub folds: usize,
    /// Seed of the bootstrap intervals.
    pub seed: u64,
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub accuracy_ci95: [f64; 2],
    pub macro_f1_ci95: [f64; 2],
    pub baseline_accuracy: f64,
    pub baseline_macro_f1: f64,
}

/// The model file: versioned and self-describing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format_version: u32,
    pub crate_version: String,
    pub classes: Vec<String>,
    pub hyperparameters: ModelParams,
    pub featurizer: Tfidf,
    pub weights: Vec<Vec<f64>>,
    pub intercept: Vec<f64>,
    pub provenance: Provenance,
}

/// A loaded, validated model ready to score. Immutable and `Send + Sync`.
#[derive(Debug, Clone)]
pub struct StanceModel {
    pub pipeline: Pipeline,
    pub hyperparameters: ModelParams,
    pub provenance: Provenance,
    pub crate_version: String,
}

impl StanceModel {
    pub fn classes(&self) -> &[String] {
        &self.pipeline.classes
    }

    pub fn featurizer(&self) -> &Tfidf {
        &self.pipeline.featurizer
    }

    /// Probabilities for one paragraph in [`StanceModel::classes`] order.
    pub fn probabilities(&self, text: &str, buf: &mut TransformBuf) -> Vec<f64> {
        self.pipeline.probabilities(text, buf)
    }

    /// Serialises to the model-file JSON (pretty, stable field order, trailing newline).
    pub fn to_json(&self) -> String {
        let file = ModelFile {
            format_version: FORMAT_VERSION,
            crate_version: self.crate_version.clone(),
            classes: self.pipeline.classes.clone(),
            hyperparameters: self.hyperparameters.clone(),
            featurizer: self.pipeline.featurizer.clone(),
            weights: self.pipeline.linear.weights.clone(),
            intercept: self.pipeline.linear.intercept.clone(),
            provenance: self.provenance.clone(),
        };
        let mut s = serde_json::to_string_pretty(&file).expect("model serialises");
        s.push('\n');
        s
    }

    /// Writes the model atomically: a temporary file in the same directory, renamed into place.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::io::write_atomic(path, self.to_json().as_bytes())
    }

    /// Loads and validates a model file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read model", e))?;
        Self::from_slice(path, &bytes)
    }

    /// Parses and validates model-file bytes; `path` is only used in errors.
    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Self> {
        // Read the version first, so a newer file gets a version error, not a field error.
        #[derive(Deserialize)]
        struct Head {
            format_version: Option<u32>,
        }
        let head: Head = serde_json::from_slice(bytes).map_err(|e| {
            use serde_json::error::Category;
            let problem = match e.classify() {
                Category::Eof => format!("the file is cut short (truncated?): {e}"),
                Category::Data => format!("not a model file: {e}"),
                Category::Syntax | Category::Io => format!("not JSON ({e})"),
            };
            Error::model(path, problem)
        })?;
        match head.format_version {
            Some(FORMAT_VERSION) => {}
            Some(found) => {
                return Err(Error::ModelVersion {
                    path: path.to_path_buf(),
                    found,
                    expected: FORMAT_VERSION,
                })
            }
            None => return Err(Error::model(path, "no format_version field")),
        }
        let file: ModelFile =
            serde_json::from_slice(bytes).map_err(|e| Error::model(path, e.to_string()))?;
        let k = file.classes.len();
        let n = file.featurizer.n_features();
        if k < 2 {
            return Err(Error::model(
                path,
                format!("{k} classes; a model needs at least 2"),
            ));
        }
        if file.classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::model(path, "classes are not sorted and unique"));
        }
        if file.weights.len() != k || file.intercept.len() != k {
            return Err(Error::model(
                path,
                format!(
                    "{} classes but {} weight rows and {} intercepts",
                    k,
                    file.weights.len(),
                    file.intercept.len()
                ),
            ));
        }
        if let Some((c, row)) = file.weights.iter().enumerate().find(|(_, r)| r.len() != n) {
            return Err(Error::model(
                path,
                format!(
                    "vocabulary has {n} terms but the weights of class `{}` have {}",
                    file.classes[c],
                    row.len()
                ),
            ));
        }
        if file
            .weights
            .iter()
            .flatten()
            .chain(&file.intercept)
            .any(|v| !v.is_finite() || v.abs() > MAX_WEIGHT)
        {
            return Err(Error::model(
                path,
                format!("weights contain non-finite numbers or numbers beyond ±{MAX_WEIGHT:e}"),
            ));
        }
        file.hyperparameters
            .check()
            .map_err(|e| Error::model(path, e.to_string()))?;
        Ok(StanceModel {
            pipeline: Pipeline {
                featurizer: file.featurizer,
                classes: file.classes,
                linear: Linear {
                    weights: file.weights,
                    intercept: file.intercept,
                },
            },
            hyperparameters: file.hyperparameters,
            provenance: file.provenance,
            crate_version: file.crate_version,
        })
    }
}

/// A short, stable fingerprint of a paragraph's text.
pub fn fingerprint(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Pipeline {
        let texts = [
            "strike the camps now",
            "more strikes and force",
            "talk to Kabul and trade",
            "dialogue and trade open",
            "policy failed badly",
            "a failed and costly policy",
        ];
        let y = [1, 1, 0, 0, 2, 2];
        let classes = ["conciliatory", "hawkish", "critical"].map(String::from);
        Pipeline::fit(&TrainConfig::default(), &texts, &y, &classes).unwrap()
    }

    #[test]
    fn learns_a_toy_problem_and_probabilities_sum_to_one() {
        let p = toy();
        let mut buf = TransformBuf::default();
        let probs = p.probabilities("strikes and force on the camps", &mut buf);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let best = probs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(best, 1);
    }

    #[test]
    fn sparse_scoring_matches_linfa() {
        // Regression guard: the sparse dot product must agree with linfa's dense prediction.
        let p = toy();
        let text = "trade and dialogue after the strikes";
        let row = p.featurizer.transform(text);
        let n = p.featurizer.n_features();
        let mut dense = Array2::<f64>::zeros((1, n));
        for (i, v) in row.iter() {
            dense[[0, i]] = v;
        }
        let w = Array2::from_shape_fn((n, 3), |(f, c)| p.linear.weights[c][f]);
        let logits = dense.dot(&w) + &Array1::from(p.linear.intercept.clone());
        let mut expect: Vec<f64> = logits.row(0).to_vec();
        softmax(&mut expect);
        let got = p.probabilities(text, &mut TransformBuf::default());
        for (a, b) in got.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn single_class_training_predicts_that_class() {
        let classes = ["a", "b"].map(String::from);
        let p = Pipeline::fit(&TrainConfig::default(), &["x", "y"], &[1, 1], &classes).unwrap();
        assert_eq!(
            p.probabilities("x", &mut TransformBuf::default()),
            [0.0, 1.0]
        );
    }

    #[test]
    fn rejects_bad_params_before_fitting() {
        let mut c = TrainConfig::default();
        c.model.alpha = 0.0;
        let classes = ["a", "b"].map(String::from);
        let err = Pipeline::fit(&c, &["x", "y"], &[0, 1], &classes).unwrap_err();
        assert!(matches!(err, Error::Param { name: "alpha", .. }));
    }

    #[test]
    fn huge_weights_are_refused_on_load() {
        // Regression: finite weights of 1e308 loaded, overflowed the logits to infinity and
        // made every probability NaN (printed as null).
        let classes = ["conciliatory", "hawkish"].map(String::from);
        let texts = [
            "strike the camps",
            "force now",
            "talk and trade",
            "open trade",
        ];
        let pipeline = Pipeline::fit(&TrainConfig::default(), &texts, &[1, 1, 0, 0], &classes);
        let model = StanceModel {
            pipeline: pipeline.unwrap(),
            hyperparameters: ModelParams::default(),
            provenance: Provenance {
                training_file: "t.tsv".into(),
                training_sha256: String::new(),
                text_column: "text".into(),
                label_column: "label".into(),
                group_column: "doc".into(),
                paragraphs: 6,
                groups: 6,
                class_counts: BTreeMap::new(),
                cross_validation: None,
                training_fingerprints: Vec::new(),
            },
            crate_version: "0".into(),
        };
        let json = model.to_json();
        let path = Path::new("m.json");
        let back = StanceModel::from_slice(path, json.as_bytes()).unwrap();
        let probs = back.probabilities("strike the camps", &mut TransformBuf::default());
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["weights"][0][0] = serde_json::json!(1e308);
        let err = StanceModel::from_slice(path, value.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("beyond"), "{err}");
    }

    #[test]
    fn model_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<StanceModel>();
    }
}
