//! Benchmarks on the checked-in seed corpus. Each one also asserts what it produced, so a bench
//! run is a correctness check too. Run: `cargo bench --bench pipeline`.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use slant::dataset::{read_dataset, Columns};
use slant::model::{StanceModel, TrainConfig};
use slant::score::{collect_inputs, score_article, Article};
use slant::split::{split_text, Paragraph};
use slant::tfidf::TransformBuf;
use slant::train::{train, TrainOptions};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn seed_texts() -> Vec<(String, String)> {
    collect_inputs(&[root().join("seeds")])
        .unwrap()
        .into_iter()
        .map(|i| match i {
            slant::score::Input::File { path, doc, .. } => {
                (doc, slant::decode::read_text(&path).unwrap())
            }
            slant::score::Input::Stdin => unreachable!(),
        })
        .collect()
}

fn split_all(texts: &[(String, String)]) -> Vec<Paragraph> {
    texts
        .iter()
        .flat_map(|(doc, text)| split_text(doc, text).paragraphs)
        .collect()
}

fn benches(c: &mut Criterion) {
    let texts = seed_texts();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let paragraphs = split_all(&texts);
    assert_eq!(paragraphs.len(), 70, "the seeds split into 70 paragraphs");

    let mut g = c.benchmark_group("seeds");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("split", |b| {
        b.iter(|| assert_eq!(split_all(black_box(&texts)).len(), 70))
    });

    let model = StanceModel::load(&root().join("models/stance.json")).unwrap();
    g.bench_function("featurize", |b| {
        let mut buf = TransformBuf::default();
        b.iter(|| {
            let mut nnz = 0;
            for p in &paragraphs {
                model
                    .featurizer()
                    .transform_with(black_box(&p.text), &mut buf);
                nnz += buf.row.nnz();
            }
            assert!(nnz > 70);
        })
    });
    g.bench_function("split+featurize+score", |b| {
        b.iter(|| {
            let mut n = 0;
            for (doc, text) in black_box(&texts) {
                let article = Article {
                    doc: doc.clone(),
                    outlet: None,
                    paragraphs: split_text(doc, text).paragraphs,
                    dropped: 0,
                };
                let scored = score_article(&model, &article, None);
                assert!(scored
                    .paragraphs
                    .iter()
                    .all(|p| (p.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9));
                n += scored.paragraphs.len();
            }
            assert_eq!(n, 70);
        })
    });
    g.finish();

    let data = read_dataset(&root().join("labels/seeds.tsv"), &Columns::default(), None).unwrap();
    let opts = TrainOptions {
        config: TrainConfig::default(),
        cv: None,
        seed: 42,
    };
    c.bench_function("train/seeds-70", |b| {
        b.iter(|| {
            let (m, _) = train(black_box(&data), None, &opts).unwrap();
            assert_eq!(m.classes().len(), 3);
        })
    });
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
