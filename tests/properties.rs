//! Invariants checked on generated input.
use std::sync::OnceLock;

use proptest::prelude::*;
use slant::model::StanceModel;
use slant::split::split_text;
use slant::tfidf::TransformBuf;

fn model() -> &'static StanceModel {
    static M: OnceLock<StanceModel> = OnceLock::new();
    M.get_or_init(|| {
        StanceModel::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/stance.json"),
        )
        .unwrap()
    })
}

/// Text built from stance-bearing words, punctuation and odd characters.
fn prose() -> impl Strategy<Value = String> {
    let word = prop::sample::select(vec![
        "Pakistan",
        "talks",
        "strikes",
        "border",
        "failed",
        "Kabul",
        "trade",
        "TTP",
        "the",
        "must",
        "—",
        "’s",
        "Â\u{a0}",
        "\u{a0}",
        ".",
        "?",
        "\n",
        "\n\n",
        "Follow Us",
        "Disclaimer:",
        "#",
        "\r\n",
        "é",
        "🙂",
    ]);
    prop::collection::vec(word, 0..80).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn splitting_never_panics_and_is_deterministic(s in any::<String>()) {
        let a = split_text("d", &s);
        prop_assert_eq!(&a, &split_text("d", &s));
        for (i, p) in a.paragraphs.iter().enumerate() {
            prop_assert_eq!(p.para as usize, i + 1);
            prop_assert!(!p.text.is_empty());
        }
    }

    #[test]
    fn splitting_accounts_for_every_non_blank_line(s in prose()) {
        let split = split_text("d", &s);
        let kept: usize = split.paragraphs.iter().map(|p| p.text.split_whitespace().count()).sum();
        let dropped: usize = split.dropped.iter().map(|d| d.text.split_whitespace().count()).sum();
        let input: usize = s.lines().map(|l| slant::split::clean_line(l).split_whitespace().count()).sum();
        prop_assert_eq!(kept + dropped, input);
    }

    #[test]
    fn probabilities_sum_to_one(s in prose()) {
        let p = model().probabilities(&s, &mut TransformBuf::default());
        prop_assert_eq!(p.len(), 3);
        prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn a_paragraph_scores_the_same_alone_or_in_a_batch(batch in prop::collection::vec(prose(), 1..6), pick in 0usize..6) {
        let pick = pick % batch.len();
        let mut shared = TransformBuf::default();
        let in_batch: Vec<Vec<f64>> = batch.iter().map(|t| model().probabilities(t, &mut shared)).collect();
        let alone = model().probabilities(&batch[pick], &mut TransformBuf::default());
        prop_assert_eq!(&in_batch[pick], &alone);
    }

    #[test]
    fn analysis_never_panics(s in any::<String>()) {
        let a = slant::analysis::Analyzer::new(Default::default()).unwrap();
        let _ = a.terms(&s);
    }
}
