//! Training a model file from labelled data: fit, cross-validate, record provenance.

use crate::dataset::Dataset;
use crate::error::Result;
use crate::eval::{cross_validate, Evaluation, FoldScheme};
use crate::model::{
    fingerprint, surface_forms, CvSummary, Pipeline, Provenance, StanceModel, TrainConfig,
    TrainingFile,
};

/// Options for [`train`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub config: TrainConfig,
    /// Cross-validate first and store the scores in the model (`None` skips it).
    pub cv: Option<FoldScheme>,
    pub seed: u64,
}

/// Trains on every paragraph of `data` and `extra`. The cross-validation (when `cv` is set)
/// tests on `data`'s articles only, with `extra` in every training fold, so text written for
/// training never counts in the stored score. The model is never scored on its own training
/// paragraphs.
pub fn train(
    data: &Dataset,
    extra: Option<&Dataset>,
    opts: &TrainOptions,
) -> Result<(StanceModel, Option<Evaluation>)> {
    opts.config.check()?;
    let evaluation = opts
        .cv
        .map(|scheme| cross_validate(data, extra, &opts.config, scheme, opts.seed))
        .transpose()?;
    let all = data.with_extra(extra)?;
    let classes = all.classes();
    let texts: Vec<&str> = all.examples.iter().map(|e| e.text.as_str()).collect();
    let y: Vec<usize> = all
        .examples
        .iter()
        .map(|e| classes.binary_search(&e.label).expect("label present"))
        .collect();
    let (article, n_groups) = all.group_indices();
    let (pipeline, fit) = Pipeline::fit_report(&opts.config, &texts, &article, &y, &classes)?;
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
    let files = |d: &Dataset, role: &str| -> Vec<TrainingFile> {
        d.sources
            .iter()
            .map(|s| TrainingFile {
                path: s.path.display().to_string(),
                role: role.to_owned(),
                sha256: s.sha256.clone(),
                paragraphs: s.rows,
            })
            .collect()
    };
    let mut training_files = files(data, "data");
    if let Some(extra) = extra {
        training_files.extend(files(extra, "extra"));
    }
    let provenance = Provenance {
        training_files,
        text_column: all.columns.text.clone(),
        label_column: all.columns.label.clone(),
        group_column: all.columns.group.clone(),
        paragraphs: all.examples.len(),
        groups: n_groups,
        class_counts: all.class_counts(),
        cross_validation,
        tuning: None,
        training_fingerprints: fingerprints,
        fit,
    };
    let model = StanceModel {
        surface_forms: surface_forms(&pipeline.featurizer, &texts),
        pipeline,
        hyperparameters: opts.config.model.clone(),
        provenance,
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    Ok((model, evaluation))
}
