//! The featurizer's id tables: words and character n-grams numbered, word n-grams keyed by
//! tuples of word ids. None of them is ever iterated into an output without sorting.

use rustc_hash::FxHashMap;

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

/// The vocabulary as the analyser's ids see it: every piece between spaces of a word n-gram term
/// is a word with an id, and the term is found by the tuple of its pieces' ids (see [`TermIds`]
/// for why this finds exactly the terms a string lookup would). Character n-grams, and every term
/// when some word is not plain, are found by their string.
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    pub(super) index: FxHashMap<Box<str>, u32>,
    words: Names,
    pub(super) grams: GramMap<u32>,
}

impl Matcher {
    pub(super) fn new(vocabulary: &[String], ngram_range: [usize; 2]) -> Matcher {
        let mut m = Matcher::default();
        let mut pieces = Vec::new();
        for (i, term) in vocabulary.iter().enumerate() {
            let i = i as u32;
            m.index.insert(term.as_str().into(), i);
            if (ngram_range[0]..=ngram_range[1]).contains(&(term.matches(' ').count() + 1)) {
                pieces.clear();
                pieces.extend(term.split(' ').map(|p| m.words.intern(p)));
                m.grams.get_or_insert_with(&pieces, || i);
            }
        }
        m
    }
}

impl TermIds for &Matcher {
    fn word(&mut self, word: &str) -> u32 {
        self.words.ids.get(word).copied().unwrap_or(NO_ID)
    }
    fn char_gram(&mut self, term: &str) -> u32 {
        self.index.get(term).copied().unwrap_or(NO_ID)
    }
}
