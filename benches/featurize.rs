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

/// Every paragraph, with its article id.
fn paragraphs() -> Vec<(String, String)> {
    ["labels/seeds.tsv", "labels/written.tsv"]
        .iter()
        .flat_map(|f| {
            read_dataset(&root().join(f), &Columns::default(), None)
                .unwrap()
                .examples
        })
        .map(|e| (e.group, e.text))
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
    let paragraphs = paragraphs();
    let texts: Vec<&str> = paragraphs.iter().map(|(_, t)| t.as_str()).collect();
    let articles: Vec<&[(String, String)]> = paragraphs.chunk_by(|a, b| a.0 == b.0).collect();
    assert!(
        texts.len() > 1000,
        "seeds + written have over 1000 paragraphs"
    );
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let words: usize = texts.iter().map(|t| t.unicode_words().count()).sum();
    let configs = configs();

    let mut g = c.benchmark_group("featurize");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("floor: unicode_words", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                for w in black_box(*t).unicode_words() {
                    black_box(w);
                    n += 1;
                }
            }
            assert_eq!(n, words);
        })
    });
    // slant's own splitter (the same words, from a byte table for common text): not the floor,
    // shown to say how much of the featurizers' time it saves.
    g.bench_function("split: slant::analysis::for_each_word", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                slant::analysis::for_each_word(black_box(*t), |w| {
                    black_box(w);
                    n += 1;
                });
            }
            assert_eq!(n, words);
        })
    });
    for (name, config) in &configs {
        let tfidf = config.fit(&texts).unwrap();
        // Criterion calls the closure once per sample: the buffer lives outside it, so that its
        // word cache stays warm as in a long scoring run.
        let mut buf = TransformBuf::default();
        g.bench_function(format!("transform_with: {name}"), |b| {
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
        // What scoring and training take from the featurizer, one article at a time (on this
        // thread's buffer): the own rows and, with context, how to mix them. A row with context
        // is linear in the own rows, so it is never built (`Tfidf::transform_articles` builds it
        // for the linfa reference solver only).
        let ids: Vec<Vec<usize>> = articles.iter().map(|a| vec![0; a.len()]).collect();
        let with_context = config.context.is_active();
        g.bench_function(
            format!("own rows + context mixing per article: {name}"),
            |b| {
                b.iter(|| {
                    let (mut nnz, mut mixed) = (0usize, 0usize);
                    for (article, ids) in articles.iter().zip(&ids) {
                        let texts: Vec<&str> = article.iter().map(|(_, t)| t.as_str()).collect();
                        tfidf.for_each_row(black_box(&texts), |_, row| nnz += row.nnz());
                        mixed += config.context.mixing(ids).map_or(0, |m| m.len());
                    }
                    assert!(nnz >= words / 2);
                    assert_eq!(mixed, if with_context { texts.len() } else { 0 });
                })
            },
        );
        // The worst case: a fresh buffer for each article, so the word cache starts cold.
        g.bench_function(
            format!("transform_with, fresh buffer per article: {name}"),
            |b| {
                b.iter(|| {
                    let mut nnz = 0usize;
                    for article in &articles {
                        let mut buf = TransformBuf::default();
                        for (_, t) in *article {
                            tfidf.transform_with(black_box(t), &mut buf);
                            nnz += buf.row.nnz();
                        }
                    }
                    assert!(nnz >= words / 2);
                })
            },
        );
    }
    // Everything `score` computes for an article but reading and writing: own rows, each
    // class's products, the context mix, softmax.
    let model = StanceModel::load(&root().join("models/stance.json")).unwrap();
    let ids: Vec<Vec<usize>> = articles.iter().map(|a| vec![0; a.len()]).collect();
    g.bench_function("probabilities per article: shipped model", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (article, ids) in articles.iter().zip(&ids) {
                let texts: Vec<&str> = article.iter().map(|(_, t)| t.as_str()).collect();
                let probs = model
                    .pipeline
                    .probabilities_articles(black_box(&texts), ids);
                n += probs.len();
            }
            assert_eq!(n, texts.len());
        })
    });
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
