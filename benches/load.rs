//! Loading a model file: the shipped one, and a synthetic one the size a retrained model may
//! reach (150,000 terms x 3 classes). Run: `cargo bench --bench load`. Times are of loading
//! alone: freeing the loaded model is left out (`iter_with_large_drop`).
//!
//! The large model is the shipped file with its vocabulary widened to word pairs of the shipped
//! terms, and seeded random idf values, weights and surface forms; only its size and the shape of
//! its numbers matter here. Each bench checks what it loaded.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use slant::model::StanceModel;

/// Terms of the synthetic large model.
const LARGE_TERMS: usize = 150_000;

fn shipped() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/stance.json")).unwrap()
}

/// The shipped model widened to `n` terms; returns the file's bytes, pretty-printed as `slant
/// train` writes them.
fn widened(n: usize) -> Vec<u8> {
    let mut file: Value = serde_json::from_slice(&shipped()).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let words: Vec<String> = file["featurizer"]["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .filter(|t| !t.contains(' '))
        .collect();
    let mut terms: Vec<String> = words.clone();
    while terms.len() < n * 11 / 10 {
        let (a, b) = (rng.gen_range(0..words.len()), rng.gen_range(0..words.len()));
        terms.push(format!("{} {}", words[a], words[b]));
    }
    terms.sort_unstable();
    terms.dedup();
    terms.truncate(n);
    assert_eq!(terms.len(), n);
    let idf: Vec<f64> = (0..n).map(|_| rng.gen_range(1.0..9.0)).collect();
    let classes = file["classes"].as_array().unwrap().len();
    let weights: Vec<Vec<f64>> = (0..classes)
        .map(|_| (0..n).map(|_| rng.gen_range(-0.5..0.5)).collect())
        .collect();
    let surface: serde_json::Map<String, Value> = words
        .iter()
        .map(|w| (w.clone(), Value::String(format!("{w}ed"))))
        .collect();
    file["featurizer"]["vocabulary"] = serde_json::to_value(terms).unwrap();
    file["featurizer"]["idf"] = serde_json::to_value(idf).unwrap();
    file["weights"] = serde_json::to_value(weights).unwrap();
    file["surface_forms"] = Value::Object(surface);
    let mut text = serde_json::to_string_pretty(&file).unwrap();
    text.push('\n');
    text.into_bytes()
}

fn benches(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/stance.json");
    let bytes = shipped();
    let mut g = c.benchmark_group("load");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("shipped/file", |b| {
        b.iter_with_large_drop(|| {
            let m = StanceModel::load(black_box(&path)).unwrap();
            assert_eq!(m.classes().len(), 3);
            m
        })
    });
    g.bench_function("shipped/bytes", |b| {
        b.iter_with_large_drop(|| {
            let m = StanceModel::from_slice(&path, black_box(&bytes)).unwrap();
            assert_eq!(m.classes().len(), 3);
            m
        })
    });
    let large = widened(LARGE_TERMS);
    g.throughput(Throughput::Bytes(large.len() as u64));
    g.sample_size(20);
    g.bench_function("150k-terms/bytes", |b| {
        b.iter_with_large_drop(|| {
            let m = StanceModel::from_slice(&path, black_box(&large)).unwrap();
            assert_eq!(m.featurizer().n_features(), LARGE_TERMS);
            m
        })
    });
    g.finish();
}

criterion_group!(load, benches);
criterion_main!(load);
