//! Bytes -> model file, through `StanceModel::from_slice` (what `load` uses). A model that
//! loads must score any paragraph with probabilities that sum to 1.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use slant::model::StanceModel;
use slant::tfidf::TransformBuf;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = StanceModel::from_slice(Path::new("fuzz.json"), data) {
        let mut buf = TransformBuf::default();
        for text in ["strike the camps", "talks and trade", "", "zzz"] {
            let p = model.probabilities(text, &mut buf);
            assert_eq!(p.len(), model.classes().len());
            let sum: f64 = p.iter().sum();
            assert!((sum - 1.0).abs() < 1e-9, "probabilities {p:?}");
        }
        let _ = model.to_json();
    }
});
