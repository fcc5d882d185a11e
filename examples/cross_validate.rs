//! Cross-validate the default pipeline on the seed labels, grouped by article, and print the
//! score beside the majority-class baseline.
//!
//! `cargo run --release --example cross_validate`

use slant::dataset::{read_dataset, Columns};
use slant::eval::{cross_validate, FoldScheme};
use slant::model::TrainConfig;

fn main() -> Result<(), slant::Error> {
    let data = read_dataset(
        std::path::Path::new("labels/seeds.tsv"),
        &Columns::default(),
        None,
    )?;
    let e = cross_validate(
        &data,
        &TrainConfig::default(),
        FoldScheme::LeaveOneGroupOut,
        42,
    )?;
    let s = &e.all;
    println!(
        "{}: macro-F1 {:.3} [{:.3}, {:.3}] vs majority baseline {:.3}; accuracy {:.3} vs {:.3}",
        e.scheme,
        s.metrics.macro_f1,
        s.macro_f1_ci95[0],
        s.macro_f1_ci95[1],
        s.baseline.macro_f1,
        s.metrics.accuracy,
        s.baseline.accuracy
    );
    Ok(())
}
