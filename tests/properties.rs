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

    #[test]
    fn html_extraction_never_panics_and_keeps_paragraph_text(
        paras in prop::collection::vec("[A-Za-z ,.&<>]{1,40}", 0..6),
        junk in any::<String>(),
    ) {
        let _ = slant::extract::html_to_text(&junk);
        let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let body: String = paras.iter().map(|p| format!("<p>{}</p>", escape(p))).collect();
        let text = slant::extract::html_to_text(&format!("<html><body><nav>{}</nav>{body}</body></html>", escape(&junk)));
        let want: Vec<String> = paras
            .iter()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect();
        prop_assert_eq!(text.split("\n\n").map(str::trim).filter(|b| !b.is_empty()).collect::<Vec<_>>(), want);
    }

    #[test]
    fn outlet_shares_intervals_and_p_values_stay_in_range(
        articles in prop::collection::vec((0usize..3, prop::array::uniform3(0usize..6)), 1..12),
    ) {
        let classes = ["conciliatory", "critical", "hawkish"].map(String::from);
        let summaries: Vec<_> = articles
            .iter()
            .enumerate()
            .map(|(i, (o, c))| slant::output::ArticleSummary::from_counts(&format!("a{i}"), &format!("o{o}"), c))
            .collect();
        let config = slant::compare::CompareConfig { resamples: 200, permutations: 49, seed: 1 };
        match slant::compare::compare(&classes, &summaries, &config) {
            Ok(c) => {
                for o in &c.outlets {
                    let total: f64 = o.shares.iter().map(|s| s.value).sum();
                    prop_assert!((total - 1.0).abs() < 1e-9);
                    for e in &o.shares {
                        prop_assert!(0.0 <= e.ci95[0] && e.ci95[0] <= e.ci95[1] && e.ci95[1] <= 1.0);
                    }
                    if let Some(n) = &o.net_slant {
                        prop_assert!(-1.0 <= n.ci95[0] && n.ci95[0] <= n.ci95[1] && n.ci95[1] <= 1.0);
                    }
                }
                for p in &c.pairs {
                    prop_assert!(p.p_value >= 1.0 / 50.0 && p.p_value <= 1.0);
                }
            }
            Err(e) => prop_assert!(matches!(e, slant::Error::EmptyOutlet { .. }), "{}", e),
        }
    }
}
