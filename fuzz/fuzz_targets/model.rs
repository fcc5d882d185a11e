//! Bytes -> model file, through `StanceModel::from_slice` (what `load` uses). A model that
//! loads must score any paragraph with probabilities that sum to 1, alone and as the paragraphs
//! of one article (what `slant score` does, so that context features see the neighbours).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use slant::model::StanceModel;
use slant::score::{score_article, Article};
use slant::split::Paragraph;
use slant::tfidf::TransformBuf;

const TEXTS: [&str; 4] = ["strike the camps", "talks and trade", "", "zzz"];

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = StanceModel::from_slice(Path::new("fuzz.json"), data) {
        let check = |p: &[f64]| {
            assert_eq!(p.len(), model.classes().len());
            let sum: f64 = p.iter().sum();
            assert!((sum - 1.0).abs() < 1e-9, "probabilities {p:?}");
        };
        let mut buf = TransformBuf::default();
        for text in TEXTS {
            check(&model.probabilities(text, &mut buf));
        }
        let article = Article {
            doc: "d".into(),
            outlet: None,
            paragraphs: (1..)
                .zip(TEXTS)
                .map(|(para, text)| Paragraph {
                    doc: "d".into(),
                    para,
                    text: text.into(),
                    line: 0,
                })
                .collect(),
            dropped: 0,
        };
        for p in score_article(&model, &article, None).paragraphs {
            check(&p.probs);
        }
        let _ = model.to_json();
    }
});
