//! The featurizer's id tables: words and character n-grams numbered, word n-grams keyed by
//! tuples of word ids. None of them is ever iterated into an output without sorting.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::analysis::{TermIds, NO_ID};

/// Strings numbered in order of first sight.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    ids: FxHashMap<Box<str>, u32>,
    pub(super) list: Vec<Box<str>>,
}

impl Names {
    pub(super) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    /// The word n-gram string of a tuple of ids.
    pub(super) fn join(&self, ids: &[u32]) -> String {
        let mut s = String::new();
        for (k, &id) in ids.iter().enumerate() {
            if k > 0 {
                s.push(' ');
            }
            s.push_str(&self.list[id as usize]);
        }
        s
    }
}

/// While fitting, every word and character n-gram gets an id.
#[derive(Debug, Default)]
pub(super) struct Interner {
    pub(super) words: Names,
    pub(super) chars: Names,
}

impl TermIds for Interner {
    fn word(&mut self, word: &str) -> u32 {
        self.words.intern(word)
    }
    fn char_gram(&mut self, term: &str) -> u32 {
        self.chars.intern(term)
    }
}

/// Values keyed by word n-grams as tuples of word ids: a dense list for single words, packed
/// pairs, boxed slices for longer n-grams.
#[derive(Debug, Clone)]
pub(super) struct GramMap<V> {
    single: Vec<Option<V>>,
    pairs: FxHashMap<u64, V>,
    longer: FxHashMap<Box<[u32]>, V>,
}

impl<V> Default for GramMap<V> {
    fn default() -> Self {
        GramMap {
            single: Vec::new(),
            pairs: FxHashMap::default(),
            longer: FxHashMap::default(),
        }
    }
}

fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

impl<V> GramMap<V> {
    /// Room for `[single words, pairs, longer]` n-grams.
    fn with_capacity([single, pairs, longer]: [usize; 3]) -> Self {
        GramMap {
            single: Vec::with_capacity(single),
            pairs: FxHashMap::with_capacity_and_hasher(pairs, Default::default()),
            longer: FxHashMap::with_capacity_and_hasher(longer, Default::default()),
        }
    }

    pub(super) fn get(&self, ids: &[u32]) -> Option<&V> {
        match *ids {
            [a] => self.single.get(a as usize)?.as_ref(),
            [a, b] => self.pairs.get(&pair(a, b)),
            _ => self.longer.get(ids),
        }
    }

    pub(super) fn get_or_insert_with(&mut self, ids: &[u32], value: impl FnOnce() -> V) -> &mut V {
        match *ids {
            [a] => {
                let a = a as usize;
                if a >= self.single.len() {
                    self.single.resize_with(a + 1, || None);
                }
                self.single[a].get_or_insert_with(value)
            }
            [a, b] => self.pairs.entry(pair(a, b)).or_insert_with(value),
            // Boxes the key only on first sight.
            _ if self.longer.contains_key(ids) => self.longer.get_mut(ids).expect("present"),
            _ => self.longer.entry(ids.into()).or_insert_with(value),
        }
    }

    /// Visits every entry, in no particular order.
    pub(super) fn for_each(&self, mut f: impl FnMut(&[u32], &V)) {
        for (a, v) in self.single.iter().enumerate() {
            if let Some(v) = v {
                f(&[a as u32], v);
            }
        }
        for (&k, v) in &self.pairs {
            f(&[(k >> 32) as u32, k as u32], v);
        }
        for (k, v) in &self.longer {
            f(k, v);
        }
    }
}

impl<V: Default> GramMap<V> {
    pub(super) fn get_or_default(&mut self, ids: &[u32]) -> &mut V {
        self.get_or_insert_with(ids, V::default)
    }
}

/// Strings of a list kept elsewhere, found by value: a hash table of positions in that list,
/// so that building it copies no string (a 150,000-term vocabulary loads without 150,000
/// allocations). Each call passes the list's lookup as `name`.
#[derive(Debug, Clone, Default)]
struct StrIndex {
    table: HashTable<u32>,
}

fn hash_str(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

impl StrIndex {
    fn with_capacity(n: usize) -> Self {
        StrIndex {
            table: HashTable::with_capacity(n),
        }
    }

    fn get<'a>(&self, key: &str, name: impl Fn(u32) -> &'a str) -> Option<u32> {
        self.table
            .find(hash_str(key), |&id| name(id) == key)
            .copied()
    }

    /// Inserts `key` as `new`, skipping the search: `key` must be absent.
    fn insert_unique<'a>(&mut self, key: &str, new: u32, name: impl Fn(u32) -> &'a str) {
        self.table
            .insert_unique(hash_str(key), new, |&id| hash_str(name(id)));
    }

    /// The id of `key`, inserting `new` (whose name must be `key`) when it is absent.
    fn get_or_insert<'a>(&mut self, key: &str, new: u32, name: impl Fn(u32) -> &'a str) -> u32 {
        let hash = hash_str(key);
        match self
            .table
            .entry(hash, |&id| name(id) == key, |&id| hash_str(name(id)))
        {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                e.insert(new);
                new
            }
        }
    }
}

/// The vocabulary as the analyser's ids see it: every piece between spaces of a word n-gram term
/// is a word with an id, and the term is found by the tuple of its pieces' ids (see [`TermIds`]
/// for why this finds exactly the terms a string lookup would). Character n-grams, and every term
/// when some word is not plain, are found by their string. Every table refers into the
/// featurizer's vocabulary instead of copying it, hence [`Lookup`].
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    /// Vocabulary positions by term.
    index: StrIndex,
    /// Word ids by word; a word's text is `vocabulary[term][start..end]` of its span.
    words: StrIndex,
    word_spans: Vec<(u32, u32, u32)>,
    pub(super) grams: GramMap<u32>,
}

/// A word's text from its span.
fn span_text(vocabulary: &[String], (term, start, end): (u32, u32, u32)) -> &str {
    &vocabulary[term as usize][start as usize..end as usize]
}

impl Matcher {
    pub(super) fn new(vocabulary: &[String], ngram_range: [usize; 2]) -> Matcher {
        let in_range = |term: &str| {
            let n = term.bytes().filter(|&b| b == b' ').count() + 1;
            (ngram_range[0]..=ngram_range[1]).contains(&n).then_some(n)
        };
        // The tables are sized first: growing them rehashes every word by its text, which cost
        // as much as filling them. Words are taken to be about as many as the word n-grams
        // (exact for unigrams; more words only grow the table).
        let mut counts = [0usize; 3];
        for n in vocabulary.iter().filter_map(|t| in_range(t)) {
            counts[n.min(3) - 1] += 1;
        }
        let grams: usize = counts.iter().sum();
        let mut m = Matcher {
            index: StrIndex::with_capacity(vocabulary.len()),
            words: StrIndex::with_capacity(grams),
            word_spans: Vec::with_capacity(grams),
            grams: GramMap::with_capacity(counts),
        };
        let mut pieces = Vec::new();
        for (i, term) in vocabulary.iter().enumerate() {
            let i = i as u32;
            // The vocabulary is unique (checked by `Tfidf::from_parts`, made so by fitting), so no
            // term needs looking for first.
            m.index
                .insert_unique(term, i, |id| vocabulary[id as usize].as_str());
            if in_range(term).is_some() {
                pieces.clear();
                let mut start = 0;
                for piece in term.split(' ') {
                    let span = (i, start as u32, (start + piece.len()) as u32);
                    start += piece.len() + 1;
                    let new = m.word_spans.len() as u32;
                    let spans = &m.word_spans;
                    let id = m.words.get_or_insert(piece, new, |w| {
                        // `new` is not in `spans` yet: its text is the piece itself.
                        spans
                            .get(w as usize)
                            .map_or(piece, |&s| span_text(vocabulary, s))
                    });
                    if id == new {
                        m.word_spans.push(span);
                    }
                    pieces.push(id);
                }
                m.grams.get_or_insert_with(&pieces, || i);
            }
        }
        m
    }

    /// The feature index of a term.
    pub(super) fn term(&self, vocabulary: &[String], term: &str) -> Option<u32> {
        self.index.get(term, |id| vocabulary[id as usize].as_str())
    }
}

/// A [`Matcher`] with the vocabulary its tables refer into.
pub(super) struct Lookup<'a> {
    pub(super) matcher: &'a Matcher,
    pub(super) vocabulary: &'a [String],
}

impl TermIds for Lookup<'_> {
    fn word(&mut self, word: &str) -> u32 {
        let (spans, vocabulary) = (&self.matcher.word_spans, self.vocabulary);
        self.matcher
            .words
            .get(word, |w| span_text(vocabulary, spans[w as usize]))
            .unwrap_or(NO_ID)
    }
    fn char_gram(&mut self, term: &str) -> u32 {
        self.matcher.term(self.vocabulary, term).unwrap_or(NO_ID)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_finds_every_term_by_string_and_by_word_ids() {
        // Sorted and unique, as a featurizer's vocabulary is: 1-, 2- and 3-grams sharing words,
        // and a character n-gram (found by its string only).
        let vocabulary: Vec<String> = [
            "[ ta]",
            "kabul",
            "kabul talk",
            "talk",
            "talk trade",
            "talk trade now",
            "trade",
        ]
        .map(String::from)
        .to_vec();
        let m = Matcher::new(&vocabulary, [1, 3]);
        let word = |w: &str| {
            let mut lookup = Lookup {
                matcher: &m,
                vocabulary: &vocabulary,
            };
            lookup.word(w)
        };
        for (i, term) in vocabulary.iter().enumerate() {
            assert_eq!(m.term(&vocabulary, term), Some(i as u32), "{term}");
            if !term.starts_with('[') {
                let ids: Vec<u32> = term.split(' ').map(word).collect();
                assert_eq!(m.grams.get(&ids), Some(&(i as u32)), "{term}");
            }
        }
        assert_eq!(m.term(&vocabulary, "now"), None);
        assert_eq!(word("peace"), NO_ID);
        // "now" is a word of a kept trigram, though not a term itself.
        assert_ne!(word("now"), NO_ID);
    }
}
