//! Invariants checked on generated input: the decoder, the splitter, the tokenizer, the labels
//! reader and the model loader never panic, whatever the bytes; splitting is deterministic and
//! loses no text; probabilities sum to 1; a paragraph, and an article, scores the same alone as in
//! a batch.
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use slant::analysis::{Analyzer, AnalyzerConfig, Scratch};
use slant::dataset::{parse_dataset, Columns, Format};
use slant::model::StanceModel;
use slant::score::{score_article, Article};
use slant::split::{clean_line, split_text, Paragraph};
use slant::tfidf::{ContextConfig, TransformBuf};

fn model() -> &'static StanceModel {
    static M: OnceLock<StanceModel> = OnceLock::new();
    M.get_or_init(|| {
        StanceModel::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/stance.json"),
        )
        .unwrap()
    })
}

/// A small model trained here on four paragraphs of two articles, with context features: each
/// paragraph's score depends on its article.
fn small_model() -> &'static StanceModel {
    static M: OnceLock<StanceModel> = OnceLock::new();
    M.get_or_init(|| {
        let tsv = "doc\tlabel\ttext\na\thawkish\tStrike the camps now.\na\thawkish\tClose the border.\n\
                   b\tconciliatory\tReopen trade and talk.\nb\tconciliatory\tPatience and dialogue.\n";
        let data = parse_dataset(Path::new("t.tsv"), tsv.as_bytes(), &Columns::default(), Format::Tsv)
            .unwrap();
        let mut config = slant::model::TrainConfig::default();
        config.featurizer.context = ContextConfig {
            window: 1,
            neighbour_weight: 0.5,
            article_weight: 0.5,
        };
        let opts = slant::train::TrainOptions {
            config,
            cv: None,
            seed: 42,
        };
        slant::train::train(&data, None, &opts).unwrap().0
    })
}

/// The small model's JSON (a few kilobytes), cheap to mutate and reload.
fn small_model_json() -> &'static str {
    static J: OnceLock<String> = OnceLock::new();
    J.get_or_init(|| small_model().to_json())
}

/// Checks what every loaded model must do: score text with probabilities that sum to 1, alone
/// and as each paragraph of an article that repeats it (as `slant score` does, with context).
fn scores_sanely(model: &StanceModel, text: &str) -> Result<(), TestCaseError> {
    let alone = model.probabilities(text, &mut TransformBuf::default());
    let article: Vec<Paragraph> = (1..=3)
        .map(|para| Paragraph {
            doc: "d".into(),
            para,
            text: text.to_owned(),
            line: 0,
        })
        .collect();
    let scored = score_article(model, &whole("d", article), None);
    for p in std::iter::once(&alone).chain(scored.paragraphs.iter().map(|r| &r.probs)) {
        prop_assert_eq!(p.len(), model.classes().len());
        prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", p);
        prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    }
    Ok(())
}

/// An article of these paragraphs, as `slant score` reads it.
fn whole(doc: &str, paragraphs: Vec<Paragraph>) -> Article {
    Article {
        doc: doc.into(),
        outlet: None,
        paragraphs,
        dropped: 0,
    }
}

/// One labelled row: a doc id, a label and a text that may hold tabs, commas, quotes and line
/// breaks.
fn row() -> impl Strategy<Value = (String, String, String)> {
    (
        "[a-z]{1,3}",
        prop::sample::select(vec!["hawkish", "conciliatory", "critical"]),
        "[A-Za-z]{1,8}[ A-Za-z\t,\"\n’é]{0,30}",
    )
        .prop_map(|(d, l, t)| (d, l.to_string(), t))
}

/// Writes rows as a delimited file with every field quoted (quotes inside doubled).
fn quoted_file(rows: &[(String, String, String)], delimiter: char) -> String {
    let q = |f: &str| format!("\"{}\"", f.replace('"', "\"\""));
    let mut out = ["doc", "label", "text"].join(&delimiter.to_string()) + "\n";
    for (d, l, t) in rows {
        out += &[q(d), q(l), q(t)].join(&delimiter.to_string());
        out.push('\n');
    }
    out
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
    fn splitting_accounts_for_every_non_blank_line(s in prop_oneof![prose(), any::<String>()]) {
        let split = split_text("d", &s);
        for p in &split.paragraphs {
            prop_assert_eq!(&clean_line(&p.text), &p.text);
        }
        let kept: usize = split.paragraphs.iter().map(|p| p.text.split_whitespace().count()).sum();
        let dropped: usize = split.dropped.iter().map(|d| d.text.split_whitespace().count()).sum();
        let input: usize = s.lines().map(|l| slant::split::clean_line(l).split_whitespace().count()).sum();
        prop_assert_eq!(kept + dropped, input);
    }

    #[test]
    fn probabilities_sum_to_one(s in prop_oneof![prose(), any::<String>()]) {
        prop_assert_eq!(model().classes().len(), 3);
        scores_sanely(model(), &s)?;
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
    fn an_article_scores_the_same_alone_or_among_others(articles in prop::collection::vec(prop::collection::vec(prose(), 1..4), 1..4), context in any::<bool>()) {
        // Context features see an article's own paragraphs, never another article's: what
        // `slant score` gives each article (one at a time) is what `eval` gives it in a batch.
        let model = if context { small_model() } else { model() };
        let (mut texts, mut ids, mut alone) = (Vec::new(), Vec::new(), Vec::new());
        for (a, article) in articles.iter().enumerate() {
            let paragraphs: Vec<Paragraph> = article
                .iter()
                .enumerate()
                .map(|(i, t)| Paragraph { doc: format!("d{a}"), para: i as u32 + 1, text: t.clone(), line: 0 })
                .collect();
            let scored = score_article(model, &whole(&format!("d{a}"), paragraphs.clone()), None);
            prop_assert_eq!(scored.paragraphs.len(), paragraphs.len());
            for (p, r) in paragraphs.iter().zip(scored.paragraphs) {
                prop_assert_eq!(r.para, p.para);
                texts.push(p.text.clone());
                ids.push(a);
                alone.push(r.probs);
            }
        }
        prop_assert_eq!(model.pipeline.probabilities_articles(&texts, &ids), alone);
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

    #[test]
    fn tokenizing_is_deterministic_and_counts_its_n_grams(s in prop_oneof![prose(), any::<String>()], earlier in any::<String>(), lo in 1usize..=3, extra in 0usize..=2, stem in any::<bool>()) {
        let a = Analyzer::new(AnalyzerConfig { ngram_range: [lo, lo + extra], stem, ..Default::default() }).unwrap();
        let fresh = a.terms(&s);
        // Buffers left dirty by another text change nothing.
        let mut scratch = Scratch::default();
        a.for_each_term(&earlier, &mut scratch, |_| {});
        let mut reused = Vec::new();
        a.for_each_term(&s, &mut scratch, |t| reused.push(t.to_owned()));
        prop_assert_eq!(&fresh, &reused);
        let words = Analyzer::new(AnalyzerConfig { ngram_range: [1, 1], stem, ..Default::default() }).unwrap().terms(&s).len();
        let expected: usize = (lo..=lo + extra).map(|n| (words + 1).saturating_sub(n)).sum();
        prop_assert_eq!(fresh.len(), expected);
    }

    #[test]
    fn cleaning_a_line_is_idempotent_and_leaves_single_spaces(s in prop_oneof![any::<String>(), "[Âa \u{a0}\u{200b}\u{9e}\t]{0,16}"]) {
        let once = clean_line(&s);
        prop_assert_eq!(&clean_line(&once), &once);
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        prop_assert!(!once.chars().any(|c| c.is_control() || (c.is_whitespace() && c != ' ')));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(text) = slant::decode::decode(Path::new("t"), &bytes) {
            prop_assert!(!text.contains('\r') && !text.contains('\0'));
            let _ = split_text("d", &text);
        }
    }

    #[test]
    fn utf8_boms_and_utf16_decode_to_the_same_text(s in "[^\u{0}]{0,60}") {
        let expect = s.replace("\r\n", "\n").replace('\r', "\n");
        let d = |b: &[u8]| slant::decode::decode(Path::new("t"), b);
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        let bom = [b"\xEF\xBB\xBF".as_slice(), s.as_bytes()].concat();
        for bytes in [le, be, bom] {
            // A text that itself starts like a binary format may be refused; never mangled.
            if let Ok(text) = d(&bytes) {
                prop_assert_eq!(&text, &expect);
            }
        }
    }

    #[test]
    fn the_labels_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400), format in 0usize..3) {
        let format = [Format::Tsv, Format::Csv, Format::JsonLines][format];
        if let Ok(d) = parse_dataset(Path::new("t"), &bytes, &Columns::default(), format) {
            prop_assert!(d.examples.iter().all(|e| !e.text.is_empty() && !e.label.is_empty()));
        }
    }

    #[test]
    fn quoted_fields_read_back_exactly(rows in prop::collection::vec(row(), 1..8), csv in any::<bool>()) {
        let (delimiter, format) = if csv { (',', Format::Csv) } else { ('\t', Format::Tsv) };
        let file = quoted_file(&rows, delimiter);
        let d = parse_dataset(Path::new("t"), file.as_bytes(), &Columns::default(), format).unwrap();
        prop_assert_eq!(d.examples.len(), rows.len());
        let mut line = 2;
        for (e, (doc, label, text)) in d.examples.iter().zip(&rows) {
            prop_assert_eq!(&e.group, doc);
            prop_assert_eq!(&e.label, label);
            prop_assert_eq!(&e.text, &text.lines().map(clean_line).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "));
            prop_assert_eq!(e.line, line);
            line += 1 + text.matches('\n').count() as u64;
        }
    }

    #[test]
    fn the_model_loader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = StanceModel::from_slice(Path::new("m.json"), &bytes);
    }

    #[test]
    fn a_damaged_model_is_refused_or_scores_sanely(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>(), text in prose()) {
        let json = small_model_json().as_bytes();
        let i = at.index(json.len());
        let damaged = if cut { json[..i].to_vec() } else { [&json[..i], &[byte], &json[i + 1..]].concat() };
        if let Ok(m) = StanceModel::from_slice(Path::new("m.json"), &damaged) {
            scores_sanely(&m, &text)?;
        }
    }
}
