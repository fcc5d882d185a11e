//! Text analysis: Unicode words → lowercase → Snowball stem → word n-grams.
//!
//! Each step is a small filter over reusable buffers (a [`Scratch`]), so analysing a paragraph
//! allocates nothing once the buffers have grown to fit.

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::error::{Error, Result};

/// How text becomes terms. Part of every model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzerConfig {
    /// Smallest and largest word n-gram, inclusive (`[1, 2]`: words and word pairs).
    pub ngram_range: [usize; 2],
    /// Apply Snowball English stemming to every word.
    pub stem: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            ngram_range: [1, 2],
            stem: true,
        }
    }
}

impl AnalyzerConfig {
    /// Checks the configuration before anything is fitted.
    pub fn check(&self) -> Result<()> {
        let [lo, hi] = self.ngram_range;
        if lo == 0 || hi < lo || hi > 5 {
            return Err(Error::param(
                "ngram_range",
                format!("needs 1 <= min <= max <= 5, got {lo}..={hi}"),
            ));
        }
        Ok(())
    }
}

/// A configured analyser. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Analyzer {
    config: AnalyzerConfig,
    stemmer: Option<std::sync::Arc<Stemmer>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

/// Reusable buffers for [`Analyzer::for_each_term`].
#[derive(Debug, Default)]
pub struct Scratch {
    lower: String,
    words: Vec<String>,
    len: usize,
    gram: String,
}

impl Analyzer {
    /// Builds an analyser from a configuration that has passed [`AnalyzerConfig::check`].
    pub fn new(config: AnalyzerConfig) -> Result<Self> {
        config.check()?;
        let stemmer = config
            .stem
            .then(|| std::sync::Arc::new(Stemmer::create(Algorithm::English)));
        Ok(Analyzer { config, stemmer })
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Calls `f` with every term of `text`, in order: all n-grams of the smallest size first.
    pub fn for_each_term(&self, text: &str, scratch: &mut Scratch, mut f: impl FnMut(&str)) {
        self.words(text, scratch);
        let words = &scratch.words[..scratch.len];
        let [lo, hi] = self.config.ngram_range;
        for n in lo..=hi {
            if n == 1 {
                words.iter().for_each(|w| f(w));
                continue;
            }
            for window in words.windows(n) {
                scratch.gram.clear();
                for (i, w) in window.iter().enumerate() {
                    if i > 0 {
                        scratch.gram.push(' ');
                    }
                    scratch.gram.push_str(w);
                }
                f(&scratch.gram);
            }
        }
    }

    /// The analysed terms of `text` as owned strings (convenient; allocates).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_term(text, &mut Scratch::default(), |t| out.push(t.to_owned()));
        out
    }

    /// Fills `scratch.words[..scratch.len]` with the text's normalised words.
    fn words(&self, text: &str, scratch: &mut Scratch) {
        scratch.len = 0;
        for word in text.unicode_words() {
            lowercase_into(word, &mut scratch.lower);
            if scratch.len == scratch.words.len() {
                scratch.words.push(String::new());
            }
            let slot = &mut scratch.words[scratch.len];
            slot.clear();
            match &self.stemmer {
                Some(stemmer) => slot.push_str(&stemmer.stem(&scratch.lower)),
                None => slot.push_str(&scratch.lower),
            }
            scratch.len += 1;
        }
    }
}

/// Lowercases into `buf`, folding typographic apostrophes to `'` so that `Pakistan’s` and
/// `Pakistan's` stem alike.
fn lowercase_into(word: &str, buf: &mut String) {
    buf.clear();
    for c in word.chars() {
        match c {
            '\u{2019}' | '\u{2018}' | '\u{02bc}' => buf.push('\''),
            c if c.is_ascii() => buf.push(c.to_ascii_lowercase()),
            c => buf.extend(c.to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_lowercase_stem_and_bigrams() {
        let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        let terms = a.terms("Pakistan’s strikes, Pakistan's STRIKING.");
        assert_eq!(
            terms,
            [
                "pakistan",
                "strike",
                "pakistan",
                "strike",
                "pakistan strike",
                "strike pakistan",
                "pakistan strike"
            ]
        );
    }

    #[test]
    fn unstemmed_unigrams_only() {
        let a = Analyzer::new(AnalyzerConfig {
            ngram_range: [1, 1],
            stem: false,
        })
        .unwrap();
        assert_eq!(a.terms("Talks, not raids!"), ["talks", "not", "raids"]);
    }

    #[test]
    fn rejects_bad_ranges() {
        for range in [[0, 1], [2, 1], [1, 6]] {
            let config = AnalyzerConfig {
                ngram_range: range,
                stem: true,
            };
            assert!(config.check().is_err());
        }
    }

    #[test]
    fn scratch_reuse_gives_same_terms() {
        let a = Analyzer::new(AnalyzerConfig::default()).unwrap();
        let mut scratch = Scratch::default();
        let mut first = Vec::new();
        a.for_each_term("a long sentence with many words in it", &mut scratch, |t| {
            first.push(t.to_owned())
        });
        let mut second = Vec::new();
        a.for_each_term("short one", &mut scratch, |t| second.push(t.to_owned()));
        assert_eq!(second, ["short", "one", "short one"]);
        assert_eq!(first.len(), 8 + 7);
    }
}
