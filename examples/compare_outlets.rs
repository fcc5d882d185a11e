//! Compare the outlets of the five seed articles (`seeds/outlets.tsv`) through the library: score
//! every article, compute the outlet statistics, print the table and write the HTML report.
//!
//! `cargo run --release --example compare_outlets -- [MODEL] [REPORT.html]`
//! (defaults: `models/stance.json`, `target/seed-outlets.html`). The shipped model was trained on
//! the seed paragraphs, so for predictions rather than fits pass a model trained on other data,
//! e.g. `target/written.json` from the README's worked example.

use std::path::Path;

use slant::compare::{compare, score_articles, CompareConfig};
use slant::manifest::Outlets;
use slant::model::StanceModel;
use slant::report::compare::{render_comparison, ModelInfo};
use slant::report::html::render_html;

fn main() -> Result<(), slant::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model_path = args.first().map_or("models/stance.json", String::as_str);
    let report = args
        .get(1)
        .map_or("target/seed-outlets.html", String::as_str);
    let manifest = "seeds/outlets.tsv";

    let model = StanceModel::load(Path::new(model_path))?;
    let outlets = Outlets::read_manifest(Path::new(manifest))?;
    let articles = score_articles(&model, &outlets.inputs(), || {})?;
    let comparison = compare(model.classes(), &articles, &CompareConfig::default())?;

    let info = ModelInfo::new(model_path, &model);
    print!("{}", render_comparison(&comparison, &info, manifest));
    slant::write_atomic(
        Path::new(report),
        render_html(&comparison, &info, manifest).as_bytes(),
    )?;
    eprintln!("wrote {report}");
    Ok(())
}
