//! The committed model is exactly what training makes from the committed labels with the
//! committed configuration.
mod common;
use common::*;

use slant::dataset::{Columns, Dataset};
use slant::model::StanceModel;
use slant::train::{train, TrainOptions};

#[test]
fn shipped_model_is_reproducible_from_its_own_provenance() {
    let path = root().join("models/stance.json");
    let model = StanceModel::load(&path).unwrap();
    let p = &model.provenance;
    let columns = Columns {
        text: p.text_column.clone(),
        label: p.label_column.clone(),
        group: p.group_column.clone(),
    };
    let files = |role: &str| -> Vec<std::path::PathBuf> {
        // Cargo runs integration tests from the package root, where the stored relative paths resolve.
        p.training_files
            .iter()
            .filter(|f| f.role == role)
            .map(|f| std::path::PathBuf::from(&f.path))
            .collect()
    };
    let data = Dataset::read_all(&files("data"), &columns, None).unwrap();
    let extra_files = files("extra");
    let extra =
        (!extra_files.is_empty()).then(|| Dataset::read_all(&extra_files, &columns, None).unwrap());
    for (f, source) in p.training_files.iter().zip(
        data.sources
            .iter()
            .chain(extra.iter().flat_map(|e| &e.sources)),
    ) {
        assert_eq!(
            f.sha256, source.sha256,
            "{} changed since the model was trained: retrain it (README)",
            f.path
        );
    }
    // The final fit only; the stored cross-validation and tuning figures are carried over
    // (their own determinism is tested in cli_train_eval.rs and tune's tests).
    let opts = TrainOptions {
        config: model.config(),
        cv: None,
        seed: 42,
    };
    let (mut again, _) = train(&data, extra.as_ref(), &opts).unwrap();
    again.provenance.cross_validation = p.cross_validation.clone();
    again.provenance.tuning = p.tuning.clone();
    let (a, b) = (again.to_json(), std::fs::read_to_string(&path).unwrap());
    if a != b {
        let line = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        panic!(
            "retraining changed models/stance.json at line {}: {:?} vs {:?}",
            line + 1,
            a.lines().nth(line),
            b.lines().nth(line)
        );
    }
    assert!(
        p.cross_validation.is_some(),
        "the shipped model carries its cross-validated scores"
    );
}

#[test]
fn the_fuzz_seed_models_load_in_the_current_format() {
    // They seed the model-loader fuzz target; a seed that no longer loads only exercises the
    // version check (they sat at format 1 for two format changes before this test).
    let dir = root().join("fuzz/seeds/model");
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "version-only.json" {
            assert!(StanceModel::load(&path).is_err());
            continue;
        }
        let model = StanceModel::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut buf = slant::tfidf::TransformBuf::default();
        let p = model.probabilities("strike the camps", &mut buf);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        loaded += 1;
    }
    assert_eq!(loaded, 2);
}
