//! Featurization against its floor: how much slower than merely splitting the text into UAX #29
//! words is turning it into TF-IDF rows? Run: `cargo bench --bench featurize`.
//!
//! Corpus: every paragraph of `labels/seeds.tsv` and `labels/written.tsv`. Each featurizer is
//! fitted on that same text, so most terms are in the vocabulary (the expensive case).

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use slant::analysis::AnalyzerConfig;
use slant::dataset::{read_dataset, Columns};
use slant::model::StanceModel;
use slant::tfidf::{TfidfConfig, TransformBuf};
use unicode_segmentation::UnicodeSegmentation;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn paragraphs() -> Vec<String> {
    ["labels/seeds.tsv", "labels/written.tsv"]
        .iter()
        .flat_map(|f| {
            read_dataset(&root().join(f), &Columns::default(), None)
                .unwrap()
                .examples
        })
        .map(|e| e.text)
        .collect()
}

/// The configurations measured, by name.
fn configs() -> Vec<(&'static str, TfidfConfig)> {
    let shipped = StanceModel::load(&root().join("models/stance.json"))
        .unwrap()
        .featurizer()
        .config()
        .clone();
    let chars = TfidfConfig {
        analyzer: AnalyzerConfig {
            char_ngrams: Some([3, 5]),
            ..AnalyzerConfig::default()
        },
        ..TfidfConfig::default()
    };
    vec![
        ("default", TfidfConfig::default()),
        ("shipped", shipped),
        ("char3-5", chars),
    ]
}

fn benches(c: &mut Criterion) {
    let texts = paragraphs();
    assert!(texts.len() > 1000, "seeds + written have over 1000 paragraphs");
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let words: usize = texts.iter().map(|t| t.unicode_words().count()).sum();
    let configs = configs();

    let mut g = c.benchmark_group("featurize");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("floor: unicode_words", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                for w in black_box(t.as_str()).unicode_words() {
                    black_box(w);
                    n += 1;
                }
            }
            assert_eq!(n, words);
        })
    });
    for (name, config) in &configs {
        let tfidf = config.fit(&texts).unwrap();
        g.bench_function(format!("transform_with: {name}"), |b| {
            let mut buf = TransformBuf::default();
            b.iter(|| {
                let mut nnz = 0usize;
                for t in &texts {
                    tfidf.transform_with(black_box(t), &mut buf);
                    nnz += buf.row.nnz();
                }
                // Fitted on this text: every paragraph with a word has a non-empty row.
                assert!(nnz >= words / 2);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("fit");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    for (name, config) in &configs {
        g.bench_function(*name, |b| {
            b.iter(|| assert!(config.fit(black_box(&texts)).unwrap().n_features() > 1000))
        });
    }
    g.finish();
}

criterion_group!(featurize, benches);
criterion_main!(featurize);
