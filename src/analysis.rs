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
    /// Drop common English function words (see [`STOP_WORDS`]) before building word n-grams.
    #[serde(default)]
    pub stop_words: bool,
    /// Character n-grams inside word boundaries (each lowercase word padded with a space at both
    /// ends, as scikit-learn's `char_wb`), smallest and largest size. Terms look like `[ talk]`.
    #[serde(default)]
    pub char_ngrams: Option<[usize; 2]>,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            ngram_range: [1, 2],
            stem: true,
            stop_words: false,
            char_ngrams: None,
        }
    }
}

/// Function words dropped when `stop_words` is on: articles, pronouns, auxiliaries, prepositions
/// and conjunctions. Negations and modals that carry stance ("not", "must", "should") are kept.
pub const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
];

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
        if let Some([lo, hi]) = self.char_ngrams {
            if lo < 2 || hi < lo || hi > 8 {
                return Err(Error::param(
                    "char_ngrams",
                    format!("needs 2 <= min <= max <= 8, got {lo}..={hi}"),
                ));
            }
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
    /// Lowercase words, for character n-grams.
    lowers: Vec<String>,
    n_lowers: usize,
    /// Stemmed words left after stop-word removal, for word n-grams.
    words: Vec<String>,
    len: usize,
    gram: String,
    chars: Vec<char>,
}

/// Writes `value` into slot `n` of a growable list of reusable strings.
fn put(list: &mut Vec<String>, n: usize, value: &str) {
    if n == list.len() {
        list.push(String::new());
    }
    list[n].clear();
    list[n].push_str(value);
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

    /// Calls `f` with every term of `text`, in order: word n-grams, smallest size first, then
    /// character n-grams.
    pub fn for_each_term(&self, text: &str, scratch: &mut Scratch, mut f: impl FnMut(&str)) {
        self.words(text, scratch);
        self.word_ngrams(scratch, &mut f);
        if let Some([lo, hi]) = self.config.char_ngrams {
            for w in &scratch.lowers[..scratch.n_lowers] {
                scratch.chars.clear();
                scratch.chars.push(' ');
                scratch.chars.extend(w.chars());
                scratch.chars.push(' ');
                for n in lo..=hi {
                    for window in scratch.chars.windows(n) {
                        scratch.gram.clear();
                        scratch.gram.push('[');
                        scratch.gram.extend(window);
                        scratch.gram.push(']');
                        f(&scratch.gram);
                    }
                }
            }
        }
    }

    fn word_ngrams(&self, scratch: &mut Scratch, f: &mut impl FnMut(&str)) {
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

    /// Each word of `text` as (lowercase form, normalised form used in terms), in order; stop
    /// words are skipped. Used to show stems as readable words.
    pub fn word_forms(&self, text: &str) -> Vec<(String, String)> {
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        for word in text.unicode_words() {
            lowercase_into(word, &mut scratch.lower);
            if self.config.stop_words && STOP_WORDS.binary_search(&scratch.lower.as_str()).is_ok() {
                continue;
            }
            let norm = match &self.stemmer {
                Some(stemmer) => stemmer.stem(&scratch.lower).into_owned(),
                None => scratch.lower.clone(),
            };
            out.push((scratch.lower.clone(), norm));
        }
        out
    }

    /// The analysed terms of `text` as owned strings (convenient; allocates).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_term(text, &mut Scratch::default(), |t| out.push(t.to_owned()));
        out
    }

    /// Fills the scratch lists with the text's lowercase words and its (stemmed, stop-filtered)
    /// words.
    fn words(&self, text: &str, scratch: &mut Scratch) {
        scratch.len = 0;
        scratch.n_lowers = 0;
        let chars = self.config.char_ngrams.is_some();
        for word in text.unicode_words() {
            lowercase_into(word, &mut scratch.lower);
            if chars {
                put(&mut scratch.lowers, scratch.n_lowers, &scratch.lower);
                scratch.n_lowers += 1;
            }
            if self.config.stop_words && STOP_WORDS.binary_search(&scratch.lower.as_str()).is_ok() {
                continue;
            }
            match &self.stemmer {
                Some(stemmer) => put(
                    &mut scratch.words,
                    scratch.len,
                    &stemmer.stem(&scratch.lower),
                ),
                None => put(&mut scratch.words, scratch.len, &scratch.lower),
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
            ..AnalyzerConfig::default()
        })
        .unwrap();
        assert_eq!(a.terms("Talks, not raids!"), ["talks", "not", "raids"]);
    }

    #[test]
    fn stop_words_are_sorted_and_removed_before_ngrams() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        let a = Analyzer::new(AnalyzerConfig {
            stop_words: true,
            ..AnalyzerConfig::default()
        })
        .unwrap();
        assert_eq!(
            a.terms("The talks are not finished"),
            ["talk", "not", "finish", "talk not", "not finish"]
        );
    }

    #[test]
    fn char_ngrams_stay_inside_word_boundaries() {
        let a = Analyzer::new(AnalyzerConfig {
            ngram_range: [1, 1],
            stem: false,
            stop_words: false,
            char_ngrams: Some([3, 4]),
        })
        .unwrap();
        assert_eq!(
            a.terms("Go TTP"),
            [
                "go", "ttp", "[ go]", "[go ]", "[ go ]", "[ tt]", "[ttp]", "[tp ]", "[ ttp]",
                "[ttp ]"
            ]
        );
    }

    #[test]
    fn rejects_bad_ranges() {
        for range in [[0, 1], [2, 1], [1, 6]] {
            let config = AnalyzerConfig {
                ngram_range: range,
                ..AnalyzerConfig::default()
            };
            assert!(config.check().is_err());
        }
        let config = AnalyzerConfig {
            char_ngrams: Some([1, 3]),
            ..AnalyzerConfig::default()
        };
        assert!(config.check().is_err());
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
