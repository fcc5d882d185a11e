//! Training a model file from a labelled dataset: fit, cross-validate, record provenance.

use crate::dataset::Dataset;
use crate::error::Result;
use crate::eval::{cross_validate, Evaluation, FoldScheme};
use crate::model::{fingerprint, CvSummary, Pipeline, Provenance, StanceModel, TrainConfig};

/// Options for [`train`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub config: TrainConfig,
    /// Cross-validate first and store the scores in the model (`None` skips it).
    pub cv: Option<FoldScheme>,
    pub seed: u64,
    /// The training file as the user named it (stored in the provenance).
    pub data_label: String,
}

/// Trains on every paragraph of `data`. The returned evaluation (when `cv` is set) is the
/// cross-validated one; the model is never scored on its own training paragraphs.
pub fn train(data: &Dataset, opts: &TrainOptions) -> Result<(StanceModel, Option<Evaluation>)> {
    opts.config.check()?;
    data.check_trainable()?;
    let evaluation = opts
        .cv
        .map(|scheme| cross_validate(data, &opts.config, scheme, opts.seed))
        .transpose()?;
    let classes = data.classes();
    let texts: Vec<&str> = data.examples.iter().map(|e| e.text.as_str()).collect();
    let y: Vec<usize> = data
        .examples
        .iter()
        .map(|e| classes.binary_search(&e.label).expect("label present"))
        .collect();
    let pipeline = Pipeline::fit(&opts.config, &texts, &y, &classes)?;
    let mut fingerprints: Vec<String> = texts.iter().map(|t| fingerprint(t)).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    let cross_validation = evaluation.as_ref().map(|e| CvSummary {
        scheme: e.scheme.clone(),
        group_kfold: match opts.cv {
            Some(FoldScheme::GroupKFold(k)) => Some(k),
            _ => None,
        },
        folds: e.folds,
        seed: opts.seed,
        n: e.all.metrics.n,
        accuracy: e.all.metrics.accuracy,
        macro_f1: e.all.metrics.macro_f1,
        accuracy_ci95: e.all.accuracy_ci95,
        macro_f1_ci95: e.all.macro_f1_ci95,
        baseline_accuracy: e.all.baseline.accuracy,
        baseline_macro_f1: e.all.baseline.macro_f1,
    });
    let provenance = Provenance {
        training_file: opts.data_label.clone(),
        training_sha256: data.sha256.clone(),
        text_column: data.columns.text.clone(),
        label_column: data.columns.label.clone(),
        group_column: data.columns.group.clone(),
        paragraphs: data.examples.len(),
        groups: data.n_groups(),
        class_counts: data.class_counts(),
        cross_validation,
        training_fingerprints: fingerprints,
    };
    let model = StanceModel {
        pipeline,
        hyperparameters: opts.config.model.clone(),
        provenance,
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    Ok((model, evaluation))
}
