//! A set of feature indices below the vocabulary's size, read back sorted: how a row's distinct
//! features are put in order without a comparison sort.
//!
//! A bit per feature, plus a summary bit per 64-feature word that is not empty, so that reading
//! the set back visits only the words that hold a feature: a row with character n-grams has
//! about a thousand features spread over a vocabulary of a hundred thousand or more, and a scan
//! of every word was a quarter of featurizing.

/// Feature bits and their summary; every bit is clear between uses.
#[derive(Debug, Default)]
pub(super) struct FeatureSet {
    words: Vec<u64>,
    summary: Vec<u64>,
}

/// Bits of each non-empty word written without a test (into slack past the end), so that the
/// common word of one to four features costs no branch per feature.
const UNROLLED: usize = 4;

impl FeatureSet {
    /// Makes room for features below `n_features`.
    pub(super) fn reserve(&mut self, n_features: usize) {
        let words = n_features.div_ceil(64);
        if self.words.len() < words {
            self.words.resize(words, 0);
            self.summary.resize(words.div_ceil(64), 0);
        }
    }

    /// Adds feature `i` (below the reserved size); true when it was not in the set.
    #[inline]
    pub(super) fn insert(&mut self, i: u32) -> bool {
        let (w, bit) = (i as usize / 64, 1u64 << (i % 64));
        let word = &mut self.words[w];
        let new = *word & bit == 0;
        *word |= bit;
        self.summary[w / 64] |= 1 << (w % 64);
        new
    }

    /// Replaces `out` (the set's `k` features, in any order, as listed by the caller) by the
    /// same features in increasing order, and empties the set. A few features sort faster by
    /// comparisons than by reading the summary.
    pub(super) fn drain_sorted(&mut self, out: &mut Vec<u32>) {
        let k = out.len();
        if k <= 16 {
            out.sort_unstable();
            for &i in out.iter() {
                self.words[i as usize / 64] = 0;
                self.summary[i as usize / 4096] = 0;
            }
            return;
        }
        out.clear();
        out.resize(k + UNROLLED, 0);
        let mut at = 0;
        for (s, slot) in self.summary.iter_mut().enumerate() {
            let mut nonempty = std::mem::take(slot);
            while nonempty != 0 {
                let w = s * 64 + nonempty.trailing_zeros() as usize;
                nonempty &= nonempty - 1;
                let mut bits = std::mem::take(&mut self.words[w]);
                let base = w as u32 * 64;
                let n = bits.count_ones() as usize;
                for j in 0..UNROLLED {
                    out[at + j] = base + bits.trailing_zeros();
                    bits &= bits.wrapping_sub(1);
                }
                let mut j = at + UNROLLED;
                while bits != 0 {
                    out[j] = base + bits.trailing_zeros();
                    bits &= bits - 1;
                    j += 1;
                }
                at += n;
            }
        }
        debug_assert_eq!(at, k, "one feature listed per bit set");
        out.truncate(k);
    }

    /// True when no bit is set (as between uses).
    #[cfg(test)]
    fn is_clear(&self) -> bool {
        self.words.iter().chain(&self.summary).all(|&w| w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted_by_set(set: &mut FeatureSet, n_features: usize, picked: &[u32]) -> Vec<u32> {
        set.reserve(n_features);
        let mut listed = Vec::new();
        for &i in picked {
            if set.insert(i) {
                listed.push(i);
            }
        }
        set.drain_sorted(&mut listed);
        listed
    }

    #[test]
    fn sorts_and_clears() {
        let mut set = FeatureSet::default();
        for (n, picked) in [
            (10, vec![9, 0, 3, 3]),
            (1 << 20, vec![70_000, 5, 1_000_000]),
            (300, (0..300).filter(|i| i % 7 != 3).rev().collect()),
            (256, (0..256).collect()),
            (1 << 18, (0..5000).map(|i| i * 37 % (1 << 18)).collect()),
            (100, vec![]),
        ] {
            let got = sorted_by_set(&mut set, n, &picked);
            let mut want = picked.clone();
            want.sort_unstable();
            want.dedup();
            assert_eq!(got, want, "{n} features");
            assert!(set.is_clear());
        }
    }

    proptest! {
        #[test]
        fn any_features_come_back_sorted_once(
            picked in proptest::collection::vec(0u32..20_000, 0..600),
        ) {
            let mut set = FeatureSet::default();
            let got = sorted_by_set(&mut set, 20_000, &picked);
            let mut want = picked.clone();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(got, want);
            prop_assert!(set.is_clear());
        }
    }
}
