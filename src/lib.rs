//! # slant: the stance of op-ed paragraphs toward Pakistan's policy on Afghanistan
//!
//! Start here. slant reads articles, splits them into paragraphs and scores each one as
//! `hawkish`, `conciliatory` or `critical` (or any label set you train it on) with a stemmed
//! TF-IDF featurizer and a multinomial logistic model.
//!
//! The pipeline, one module per stage:
//!
//! | stage | module | what it owns |
//! |---|---|---|
//! | bytes → text | [`decode`] | BOMs, UTF-16, line endings, binary detection |
//! | HTML → text | [`extract`] | article blocks of a page via html5ever, page chrome skipped |
//! | text → paragraphs | [`split`] | layouts, furniture and headings, mojibake |
//! | paragraph → terms | [`analysis`] | Unicode words, lowercase, Snowball stems, n-grams |
//! | terms → features | [`tfidf`] | vocabulary, idf, sparse L2-normalised rows, context as a mixing of rows |
//! | features → probabilities | [`model`] | training (sparse L-BFGS in [`solver`], or linfa-logistic), the model file |
//! | labelled files | [`dataset`] | TSV / CSV / JSON Lines with named columns |
//! | honest numbers | [`eval`] | grouped cross-validation, baseline, bootstrap intervals |
//! | training | [`train`] | fit, cross-validate, provenance |
//! | choosing settings | [`tune`] | nested grouped cross-validation over a search space |
//! | scoring | [`score`] | inputs (articles, streamed JSON Lines records), articles scored whole, in parallel and in input order, explanations |
//! | score output | [`output`] | wire types, per-article summaries, JSONL / CSV / TSV writer |
//! | outlets | [`manifest`] | outlet manifests and one-directory-per-outlet layouts |
//! | comparing outlets | [`compare`] | article-bootstrap shares, net slant, permutation tests |
//! | reports | [`report`] | tables, JSON, CSV, the self-contained HTML report |
//!
//! ```
//! use slant::model::{Pipeline, TrainConfig};
//! use slant::tfidf::TransformBuf;
//!
//! let texts = [
//!     "Close the border until the sanctuaries are gone.",
//!     "Strike the camps; warnings have run their course.",
//!     "Reopen trade and keep talking to Kabul.",
//!     "Dialogue and patience will do more than raids.",
//! ];
//! let classes = vec!["conciliatory".to_string(), "hawkish".to_string()];
//! let y = [1, 1, 0, 0];
//! let articles = [0, 1, 2, 3]; // each paragraph its own article here
//! let pipeline = Pipeline::fit(&TrainConfig::default(), &texts, &articles, &y, &classes)?;
//! let probs = pipeline.probabilities("Keep talking and reopen trade.", &mut TransformBuf::default());
//! assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
//! assert!(probs[0] > probs[1]);
//! # Ok::<(), slant::Error>(())
//! ```

pub mod analysis;
pub mod compare;
pub mod dataset;
pub mod decode;
pub mod error;
pub mod eval;
pub mod extract;
mod io;
pub mod manifest;
pub mod model;
pub mod output;
pub mod report;
pub mod score;
pub mod solver;
pub mod split;
pub mod tfidf;
pub mod train;
pub mod tune;

pub use error::{Error, Result};
pub use io::{check_output, remove_unfinished, write_atomic, AtomicFile};
