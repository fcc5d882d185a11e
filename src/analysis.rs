//! Text analysis: Unicode words → lowercase → stop words → Snowball stem → word n-grams, and
//! character n-grams of the lowercase words.
//!
//! Each step is a small filter over reusable buffers, so analysing a paragraph allocates nothing
//! once the buffers have grown to fit. Two ways out: [`Analyzer::for_each_term`] gives every term
//! as a string (a [`Scratch`] holds the buffers); [`Analyzer::word_ids`] gives word ids and
//! character n-gram ids from a [`TermIds`] numbering, and remembers what the filters made of each
//! surface word in a [`WordCache`], so that the featurizer runs the stemmer once per distinct
//! word and matches n-grams without building strings.

use std::borrow::Cow;

use crate::error::{Error, Result};
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

mod words;
pub use words::for_each_word;

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

/// The id of a word or term that the vocabulary behind a [`TermIds`] does not hold.
pub const NO_ID: u32 = u32::MAX;

/// Numbers the analyser's output so that word n-grams can be matched as tuples of word ids
/// instead of being joined into strings.
///
/// Matching tuples is exact for *plain* words, those without a space or a square bracket: the
/// n-gram string `"a b"` equals a term exactly when splitting that term at spaces gives `a`, `b`,
/// and, as character n-gram terms are bracketed (`[ ta]`), no word n-gram of plain words is one.
/// Nearly every word is plain, but not all: UAX #29 attaches a combining mark to the space or
/// bracket before it (`" \u{c55}"` is a word). [`Analyzer::word_ids`] reports such a text, and the
/// caller falls back to [`Analyzer::for_each_term`].
pub trait TermIds {
    /// The id of a normalised (lowercase, stemmed) word, or [`NO_ID`].
    fn word(&mut self, word: &str) -> u32;
    /// The id of a character n-gram term such as `[ tal]`, or [`NO_ID`].
    fn char_gram(&mut self, term: &str) -> u32;
}

/// What the filters made of one surface word: its word id (meaningless for a stop word), the known
/// ids of its character n-grams (`chars_start..chars_end` of [`WordCache::char_ids`]), and whether
/// the word is plain. 16 bytes, so that a cache entry fills half a cache line.
#[derive(Debug, Clone, Copy)]
struct Cached {
    word: u32,
    chars_start: u32,
    chars_end: u32,
    stop: bool,
    plain: bool,
}

/// Memo of the filter chain (lowercase, stop words, stem, character n-grams) for
/// [`Analyzer::word_ids`]: each surface word goes through the filters once per cache, which spares
/// the Snowball stemmer, by far the costliest filter, on every repeat of a word.
///
/// The ids belong to one [`TermIds`]; [`WordCache::claim`] empties the cache when it is used for
/// another. It is per buffer, never shared, and bounded.
#[derive(Debug, Default)]
pub struct WordCache {
    owner: u64,
    /// Words of up to 15 bytes, packed with their length into the key (see [`pack`]): no
    /// pointer to chase and no string compare on a lookup. Longer words in `long`.
    short: FxHashMap<u128, Cached>,
    long: FxHashMap<Box<str>, Cached>,
    char_ids: Vec<u32>,
    lower: String,
    gram: String,
    chars: Vec<char>,
}

/// Bounds on a [`WordCache`]: past them it starts again empty, so that a buffer kept for a long
/// run over varied text stays small.
const MAX_CACHED_WORDS: usize = 1 << 16;
const MAX_CACHED_CHAR_IDS: usize = 1 << 21;

impl WordCache {
    /// Prepares the cache for the ids of `owner` (a nonzero number naming one [`TermIds`]),
    /// forgetting what it holds for any other.
    pub fn claim(&mut self, owner: u64) {
        if self.owner != owner {
            self.clear();
            self.owner = owner;
        }
    }

    fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
        self.char_ids.clear();
    }

    /// Number of words held.
    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, word: &str) -> Option<Cached> {
        match pack(word) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(word).copied(),
        }
    }
}

/// A word of up to 15 bytes as one integer: its first 8 bytes, the rest, its length in the top
/// byte. Built from whole-word loads rather than byte copies, as it is on the hot path.
fn pack(word: &str) -> Option<u128> {
    let b = word.as_bytes();
    let n = b.len();
    let le8 = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
    let le4 = |s: &[u8]| u64::from(u32::from_le_bytes(s.try_into().expect("4 bytes")));
    let (low, high) = match n {
        0..=3 => (b.iter().rev().fold(0, |v, &x| (v << 8) | u64::from(x)), 0),
        // First and last four bytes, overlapping: with the length they fix every byte.
        4..=7 => (le4(&b[..4]) | (le4(&b[n - 4..]) << 32), 0),
        // Bytes 8.. are the top `n - 8` bytes of the last eight.
        8..=15 => (
            le8(&b[..8]),
            le8(&b[n - 8..])
                .checked_shr(8 * (16 - n) as u32)
                .unwrap_or(0),
        ),
        _ => return None,
    };
    Some(u128::from(low) | (u128::from(high | ((n as u64) << 56)) << 64))
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
        if let Some(range) = self.config.char_ngrams {
            for w in &scratch.lowers[..scratch.n_lowers] {
                char_grams(w, range, &mut scratch.chars, &mut scratch.gram, &mut f);
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

    /// The terms of `text` as ids: appends to `words` the id of every word left after stop-word
    /// removal ([`NO_ID`] for a word `ids` does not know, so that it still separates its
    /// neighbours), and passes `chars` the ids of every known character n-gram, a word's at a
    /// time (a slice of the cache, so that a caller that only counts them copies nothing). The caller builds
    /// word n-grams from `words` (see [`for_each_gram`]). Same terms as
    /// [`Analyzer::for_each_term`], as the tests check, when this returns true; false when a
    /// word is not plain (see [`TermIds`]) and the ids do not stand for the terms.
    #[must_use]
    pub fn word_ids(
        &self,
        text: &str,
        cache: &mut WordCache,
        ids: &mut impl TermIds,
        words: &mut Vec<u32>,
        mut chars: impl FnMut(&[u32]),
    ) -> bool {
        let mut plain = true;
        for_each_word(text, |word| {
            let c = match cache.get(word) {
                Some(c) => c,
                None => self.fill(word, cache, ids),
            };
            if !c.stop {
                words.push(c.word);
            }
            chars(&cache.char_ids[c.chars_start as usize..c.chars_end as usize]);
            plain &= c.plain;
        });
        plain
    }

    /// Runs one surface word through the filters and remembers the outcome.
    fn fill(&self, word: &str, cache: &mut WordCache, ids: &mut impl TermIds) -> Cached {
        if cache.len() >= MAX_CACHED_WORDS || cache.char_ids.len() >= MAX_CACHED_CHAR_IDS {
            cache.clear();
        }
        let WordCache {
            short,
            long,
            char_ids,
            lower,
            gram,
            chars,
            ..
        } = cache;
        lowercase_into(word, lower);
        let start = char_ids.len() as u32;
        if let Some(range) = self.config.char_ngrams {
            char_grams(lower, range, chars, gram, |g| {
                let id = ids.char_gram(g);
                if id != NO_ID {
                    char_ids.push(id);
                }
            });
        }
        let norm = self.normalise(lower);
        let c = Cached {
            word: norm.as_deref().map_or(NO_ID, |w| ids.word(w)),
            chars_start: start,
            chars_end: char_ids.len() as u32,
            stop: norm.is_none(),
            plain: norm.is_none_or(|w| !w.contains([' ', '[', ']'])),
        };
        match pack(word) {
            Some(key) => short.insert(key, c),
            None => long.insert(word.into(), c),
        };
        c
    }

    /// The stop-word filter and the stemmer: the form a lowercase word takes in terms, or `None`
    /// for a stop word.
    fn normalise<'a>(&self, lower: &'a str) -> Option<Cow<'a, str>> {
        if self.config.stop_words && STOP_WORDS.binary_search(&lower).is_ok() {
            return None;
        }
        Some(match &self.stemmer {
            Some(stemmer) => stemmer.stem(lower),
            None => Cow::Borrowed(lower),
        })
    }

    /// Every distinct lowercase word of `texts` with its normalised form (as used in terms) and
    /// how often it occurs, in no particular order; stop words are skipped. Used to show stems as
    /// readable words. Each distinct word is stemmed once: stemming every occurrence of a large
    /// training set took seconds.
    pub fn word_form_counts<S: AsRef<str>>(&self, texts: &[S]) -> Vec<(String, String, usize)> {
        let mut counts: FxHashMap<String, usize> = FxHashMap::default();
        let mut lower = String::new();
        for t in texts {
            for_each_word(t.as_ref(), |word| {
                lowercase_into(word, &mut lower);
                match counts.get_mut(lower.as_str()) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(lower.clone(), 1);
                    }
                }
            });
        }
        counts
            .into_iter()
            .filter_map(|(lower, n)| {
                let norm = self.normalise(&lower)?.into_owned();
                Some((lower, norm, n))
            })
            .collect()
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
        for_each_word(text, |word| {
            lowercase_into(word, &mut scratch.lower);
            if chars {
                put(&mut scratch.lowers, scratch.n_lowers, &scratch.lower);
                scratch.n_lowers += 1;
            }
            if let Some(norm) = self.normalise(&scratch.lower) {
                put(&mut scratch.words, scratch.len, &norm);
                scratch.len += 1;
            }
        });
    }
}

/// Calls `f` with every window of `lo..=hi` ids of `words`, smallest size first, skipping windows
/// that hold an unknown word ([`NO_ID`]): the word n-grams of [`Analyzer::word_ids`]' output.
pub fn for_each_gram(words: &[u32], [lo, hi]: [usize; 2], mut f: impl FnMut(&[u32])) {
    for n in lo..=hi {
        for window in words.windows(n) {
            if !window.contains(&NO_ID) {
                f(window);
            }
        }
    }
}

/// Calls `f` with each character n-gram term (`[ ta]`, sizes `lo..=hi`) of a lowercase word
/// padded with a space at both ends.
fn char_grams(
    lower: &str,
    [lo, hi]: [usize; 2],
    chars: &mut Vec<char>,
    gram: &mut String,
    mut f: impl FnMut(&str),
) {
    chars.clear();
    chars.push(' ');
    chars.extend(lower.chars());
    chars.push(' ');
    for n in lo..=hi {
        for window in chars.windows(n) {
            gram.clear();
            gram.push('[');
            gram.extend(window);
            gram.push(']');
            f(gram);
        }
    }
}

/// Lowercases into `buf`, folding typographic apostrophes to `'` so that `Pakistan’s` and
/// `Pakistan's` stem alike.
fn lowercase_into(word: &str, buf: &mut String) {
    buf.clear();
    if word.is_ascii() {
        buf.push_str(word);
        buf.make_ascii_lowercase();
        return;
    }
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

    /// Two words share a cache key only if they are the same word.
    #[test]
    fn packed_keys_are_distinct_for_distinct_words() {
        let mut seen = std::collections::HashMap::new();
        let alphabet = ["", "a", "b", "\0", "é"];
        let mut words = vec![String::new()];
        for _ in 0..8 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
            words.sort();
            words.dedup();
        }
        words.extend(["abcdefghijklmno", "abcdefghijklmnö", "abcdefghijklmnop"].map(String::from));
        for w in &words {
            match pack(w) {
                Some(key) => {
                    assert!(w.len() <= 15);
                    if let Some(other) = seen.insert(key, w) {
                        assert_eq!(other, w);
                    }
                }
                None => assert!(w.len() > 15),
            }
        }
        assert!(seen.len() > 10_000);
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
