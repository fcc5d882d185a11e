//! The generated benchmark corpus (`benches/support/corpus.rs`): seeded, exact in size, split by
//! article, and made only of sentences of same-label written paragraphs.

use std::collections::BTreeSet;
use std::path::Path;

use slant::dataset::{read_dataset, Columns};

mod common;
#[path = "../benches/support/corpus.rs"]
mod corpus;

use common::names;

fn pools() -> corpus::Pools {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("labels/written.tsv");
    corpus::Pools::from_dataset(&read_dataset(&path, &Columns::default(), None).unwrap())
}

#[test]
fn sentences_split_after_final_punctuation_only() {
    assert_eq!(
        corpus::sentences("Talks failed. “Strike now,” he said! Is 2025 different? 3 posts fell."),
        [
            "Talks failed.",
            "“Strike now,” he said!",
            "Is 2025 different?",
            "3 posts fell."
        ]
    );
    // No split before a lower-case word or inside a number.
    assert_eq!(
        corpus::sentences("It cost 2.5 billion. e.g. this stays."),
        ["It cost 2.5 billion. e.g. this stays."]
    );
}

#[test]
fn same_seed_same_corpus_and_exact_size() {
    let pools = pools();
    assert_eq!(pools.labels, ["conciliatory", "critical", "hawkish"]);
    let a = corpus::generate(&pools, 503, 7);
    assert_eq!(a, corpus::generate(&pools, 503, 7));
    assert_ne!(a, corpus::generate(&pools, 503, 8));
    assert_eq!(a.iter().map(|x| x.paragraphs.len()).sum::<usize>(), 503);
    let (lo, hi) = corpus::ARTICLE_PARAGRAPHS;
    // Every article but the last has a full length; the last takes what is left.
    assert!(a[..a.len() - 1]
        .iter()
        .all(|x| (lo..=hi).contains(&x.paragraphs.len())));
}

#[test]
fn split_is_by_article_and_text_comes_from_the_labels_pool() {
    let pools = pools();
    let articles = corpus::generate(&pools, 1000, 42);
    let test = articles.iter().filter(|a| a.test).count();
    let expected = (articles.len() as f64 * corpus::TEST_SHARE).round() as usize;
    assert_eq!(test, expected);
    let ids: BTreeSet<&str> = articles.iter().map(|a| a.doc.as_str()).collect();
    assert_eq!(ids.len(), articles.len(), "doc ids are unique");
    for a in &articles {
        for p in &a.paragraphs {
            let label = pools.labels.iter().position(|l| *l == p.label).unwrap();
            for s in corpus::sentences(&p.text) {
                // A drawn sentence may split further at an inner boundary it carried, so
                // check containment in some pooled sentence of the same label.
                assert!(
                    pools.sentences[label]
                        .iter()
                        .any(|pooled| pooled.contains(s)),
                    "{s:?} is not from a {} paragraph",
                    p.label
                );
            }
        }
    }
}

/// The paragraphs slant's splitter finds in `text`, which must be exactly the generated ones.
fn split_paragraphs(doc: &str, text: &str) -> Vec<String> {
    slant::split::split_text(doc, text)
        .paragraphs
        .into_iter()
        .map(|p| p.text)
        .collect()
}

fn texts(a: &corpus::GenArticle) -> Vec<String> {
    a.paragraphs.iter().map(|p| p.text.clone()).collect()
}

#[test]
fn big_jsonl_input_has_the_promised_records() {
    let pools = pools();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let target = 3 << 20;
    let s = corpus::write_big(&pools, corpus::Layout::Jsonl, &path, target, 42).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.len() as u64, s.bytes);
    assert!(s.bytes >= target);
    assert_eq!(
        names(dir.path()),
        ["big.jsonl"],
        "no temporary file is left"
    );

    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), s.paragraphs);
    // Records come doc by doc, in the order and with the text of the generated stream.
    let mut rest = lines.iter();
    let mut bytes_before_last = 0;
    for (n, a) in corpus::BigArticles::new(&pools, 42)
        .take(s.articles)
        .enumerate()
    {
        let (lo, hi) = corpus::BIG_SHAPE.paragraphs;
        assert!((lo..=hi).contains(&a.paragraphs.len()));
        bytes_before_last = s.bytes as usize - rest.clone().map(|l| l.len() + 1).sum::<usize>();
        for (k, p) in a.paragraphs.iter().enumerate() {
            let line = rest.next().expect("a record for every generated paragraph");
            let record: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap();
            let keys: Vec<&str> = record.keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 3, "{line}");
            let field = |k: &str| record[k].as_str().unwrap().to_string();
            let id = format!("doc{n:07}:{}", k + 1);
            assert_eq!(field("id"), id);
            assert_eq!(field("text"), p.text);
            assert_eq!(field("outlet"), corpus::OUTLETS[n % corpus::OUTLETS.len()]);
            assert_eq!(
                split_paragraphs(&id, &p.text),
                std::slice::from_ref(&p.text)
            );
        }
    }
    assert!(rest.next().is_none());
    // It stops at the first article that reaches the target.
    assert!((bytes_before_last as u64) < target);

    // The same seed writes the same bytes, replacing the older file.
    corpus::write_big(&pools, corpus::Layout::Jsonl, &path, target, 42).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn big_article_input_has_the_promised_files() {
    let pools = pools();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("articles");
    // Enough for a second sub-directory.
    let target = 11 << 20;
    let s = corpus::write_big(&pools, corpus::Layout::Articles, &out, target, 42).unwrap();
    assert!(s.articles > corpus::FILES_PER_DIR, "{s:?}");
    assert_eq!(
        names(dir.path()),
        ["articles"],
        "no temporary directory is left"
    );
    assert_eq!(names(&out), ["0000", "0001"]);

    let (mut paragraphs, mut bytes) = (0, 0);
    for (n, a) in corpus::BigArticles::new(&pools, 42)
        .take(s.articles)
        .enumerate()
    {
        let sub = out.join(format!("{:04}", n / corpus::FILES_PER_DIR));
        let text = std::fs::read_to_string(sub.join(format!("doc{n:07}.txt"))).unwrap();
        let title = a.title.as_deref().unwrap();
        assert!(text.starts_with(&format!("{title}\n\n")));
        // The title is dropped as a heading; every paragraph comes back as generated.
        assert_eq!(split_paragraphs(&a.doc, &text), texts(&a));
        let (lo, hi) = corpus::BIG_SHAPE.paragraphs;
        assert!((lo..=hi).contains(&a.paragraphs.len()));
        paragraphs += a.paragraphs.len();
        bytes += text.len() as u64;
    }
    let files: usize = names(&out).iter().map(|d| names(&out.join(d)).len()).sum();
    assert_eq!(files, s.articles);
    assert_eq!(names(&out.join("0000")).len(), corpus::FILES_PER_DIR);
    assert_eq!((paragraphs, bytes), (s.paragraphs, s.bytes));
    assert!(bytes >= target);
}

#[test]
fn a_bad_big_output_path_is_refused_and_leaves_nothing() {
    let pools = pools();
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    let missing = dir.path().join("missing").join("out");
    for (layout, out, says) in [
        (corpus::Layout::Articles, &existing, "already exists"),
        (corpus::Layout::Articles, &missing, "does not exist"),
        (corpus::Layout::Jsonl, &missing, "does not exist"),
        (corpus::Layout::Jsonl, &existing, "directory"),
    ] {
        let e = corpus::write_big(&pools, layout, out, 1 << 16, 42).unwrap_err();
        assert!(e.to_string().contains(says), "{layout:?} {out:?}: {e}");
        assert_eq!(names(dir.path()), ["existing"]);
        assert!(names(&existing).is_empty());
    }
}
