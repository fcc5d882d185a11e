//! Bytes -> labelled data, through the same function `read_dataset` uses. The first byte picks
//! the format.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use slant::dataset::{parse_dataset, Columns, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let format = match first % 3 {
        0 => Format::Tsv,
        1 => Format::Csv,
        _ => Format::JsonLines,
    };
    if let Ok(d) = parse_dataset(Path::new("fuzz"), bytes, &Columns::default(), format) {
        assert!(!d.examples.is_empty());
        for e in &d.examples {
            assert!(e.line >= 1 && !e.text.is_empty() && !e.label.is_empty());
        }
        let classes = d.classes();
        assert!(classes.windows(2).all(|w| w[0] < w[1]));
        let _ = d.check_trainable();
        let _ = d.n_groups();
    }
});
