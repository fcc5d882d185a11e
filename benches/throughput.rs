//! In-process scoring throughput on a generated corpus (2,000 paragraphs in about 200 article
//! files, `benches/support/corpus.rs`, seed 42) with the shipped model: what `slant score` does
//! from reading the files to the JSON Lines bytes, without the process around it
//! (`benches/pipeline.rs` times the in-memory stages on the seed articles). Each iteration also checks what it produced (every
//! paragraph scored once, one JSON line each, probabilities summing to one), so a bench run is a
//! correctness check too. Run: `cargo bench --bench throughput`; throughput is in paragraphs.
//! `benches/compare.py` measures the whole command against scikit-learn and fastText.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use slant::dataset::{read_dataset, Columns};
use slant::model::StanceModel;
use slant::output::{OutputFormat, Per, ScoreSink, SinkOptions};
use slant::score::{collect_inputs, Input, Job};

#[path = "support/corpus.rs"]
mod corpus;

const PARAGRAPHS: usize = 2000;
const SEED: u64 = 42;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sink_options() -> SinkOptions {
    SinkOptions {
        format: OutputFormat::JsonLines,
        per: Per::Paragraph,
        min_confidence: 0.5,
        terms: false,
    }
}

/// Checks a run's JSON Lines output: one record per paragraph, probabilities summing to one.
fn check_output(bytes: &[u8], paragraphs: usize) {
    let text = std::str::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), paragraphs, "one record per paragraph");
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let sum: f64 = first["probs"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-9, "probabilities sum to one: {sum}");
}

fn benches(c: &mut Criterion) {
    let written = read_dataset(
        &root().join("labels/written.tsv"),
        &Columns::default(),
        None,
    )
    .unwrap();
    let articles = corpus::generate(&corpus::Pools::from_dataset(&written), PARAGRAPHS, SEED);
    assert_eq!(
        articles.iter().map(|a| a.paragraphs.len()).sum::<usize>(),
        PARAGRAPHS
    );
    let texts: Vec<(String, String)> = articles
        .iter()
        .map(|a| (a.doc.clone(), a.file_text()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for (doc, text) in &texts {
        std::fs::write(dir.path().join(format!("{doc}.txt")), text).unwrap();
    }
    let model = StanceModel::load(&root().join("models/stance.json")).unwrap();
    let opts = sink_options();

    let mut g = c.benchmark_group("throughput");
    g.throughput(Throughput::Elements(PARAGRAPHS as u64));
    // An iteration takes a few hundred milliseconds; 20 samples keep a run short.
    g.sample_size(20);
    g.bench_function("read+split+score+jsonl, from files", |b| {
        b.iter(|| {
            let inputs = collect_inputs(&[black_box(dir.path()).to_path_buf()]).unwrap();
            assert_eq!(inputs.len(), texts.len());
            assert!(inputs.iter().all(|i| matches!(i, Input::File { .. })));
            let mut sink = ScoreSink::new(Vec::new(), &opts, model.classes()).unwrap();
            for input in inputs {
                sink.push(&Job::Read(input).score(&model, None)).unwrap();
            }
            let (bytes, counts) = sink.finish().unwrap();
            assert_eq!((counts.inputs, counts.errors), (texts.len(), 0));
            assert_eq!(counts.paragraphs, PARAGRAPHS);
            check_output(&bytes, PARAGRAPHS);
        })
    });
    g.finish();
}

criterion_group!(throughput, benches);
criterion_main!(throughput);
