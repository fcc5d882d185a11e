//! The generated benchmark corpus (`benches/support/corpus.rs`): seeded, exact in size, split by
//! article, and made only of sentences of same-label written paragraphs.

use std::collections::BTreeSet;
use std::path::Path;

use slant::dataset::{read_dataset, Columns};

#[path = "../benches/support/corpus.rs"]
mod corpus;

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
