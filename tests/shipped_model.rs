//! The committed model is exactly what `slant train` makes from the committed labels.
mod common;
use common::*;

use slant::dataset::{read_dataset, Columns};
use slant::eval::FoldScheme;
use slant::model::{StanceModel, TrainConfig};
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
    let data = read_dataset(&root().join(&p.training_file), &columns, None).unwrap();
    assert_eq!(
        data.sha256, p.training_sha256,
        "labels changed since the model was trained: run `cargo run --release -- train`"
    );
    let cv = p
        .cross_validation
        .as_ref()
        .expect("shipped model carries its CV scores");
    let opts = TrainOptions {
        config: TrainConfig {
            featurizer: model.featurizer().config().clone(),
            model: model.hyperparameters.clone(),
        },
        cv: Some(
            cv.group_kfold
                .map_or(FoldScheme::LeaveOneGroupOut, FoldScheme::GroupKFold),
        ),
        seed: cv.seed,
        data_label: p.training_file.clone(),
    };
    let (again, _) = train(&data, &opts).unwrap();
    assert!(
        again.to_json() == std::fs::read_to_string(&path).unwrap(),
        "retraining changed models/stance.json"
    );
}
