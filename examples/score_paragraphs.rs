//! Score paragraphs with the shipped model.
//!
//! `cargo run --example score_paragraphs -- "Islamabad should reopen Torkham and keep talking."`
//! With no arguments it scores two paragraphs written for this example.

use slant::model::StanceModel;
use slant::tfidf::TransformBuf;

fn main() -> Result<(), slant::Error> {
    let model = StanceModel::load(std::path::Path::new("models/stance.json"))?;
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = vec![
            "Closing the crossings again punishes traders in Peshawar and Jalalabad alike; a standing channel to Kabul would do more.".into(),
            "Islamabad spent decades nurturing the very movement now killing its soldiers, and still calls it strategy.".into(),
        ];
    }
    let mut buf = TransformBuf::default();
    for text in &args {
        let probs = model.probabilities(text, &mut buf);
        let shown: Vec<String> = model
            .classes()
            .iter()
            .zip(&probs)
            .map(|(c, p)| format!("{c} {p:.2}"))
            .collect();
        println!("{}\n  -> {}\n", text, shown.join(", "));
    }
    Ok(())
}
