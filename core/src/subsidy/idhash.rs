//! A keyed hash for interning ids while records are read (no rule: how ids are looked up,
//! ADR 16). Ids are short texts (a person, session or entry id is a few to a few dozen
//! bytes) hashed once or twice each per project; SipHash, the standard maps' default, spent
//! about 150 instructions on each. This hash reads 16 bytes a step and mixes them with one
//! folded multiplication (the 128-bit product's halves XORed), under four keys drawn once
//! per process from the standard library's random source, so that which ids collide cannot be known
//! from outside the process. The maps that use it never depend on it for their answers: a
//! lookup compares the ids themselves, and two ids of one hash are kept apart.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::OnceLock;

/// The 128-bit product of `a` and `b`, its halves XORed.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a).wrapping_mul(u128::from(b));
    (p as u64) ^ ((p >> 64) as u64)
}

/// Up to eight bytes as a little-endian word, zero-padded.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    for (d, s) in w.iter_mut().zip(bytes) {
        *d = *s;
    }
    u64::from_le_bytes(w)
}

/// The keys of one map (see the module): a [`BuildHasher`] for maps keyed by ids, which the
/// bindings use too where they match ids (a `HashMap<&str, u32, IdHashState>`).
///
/// ```
/// use std::collections::HashMap;
/// use tijdreg::subsidy::IdHashState;
///
/// let mut row_of: HashMap<&str, u32, IdHashState> = HashMap::default();
/// row_of.insert("S-001", 0);
/// assert_eq!(row_of.get("S-001"), Some(&0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct IdHashState {
    keys: [u64; 4],
}

impl Default for IdHashState {
    /// The process's keys, drawn once from [`RandomState`] (seeded at random by the standard
    /// library): a project's builder makes several maps, and drawing keys costs as much as
    /// hashing a few dozen ids.
    fn default() -> IdHashState {
        static KEYS: OnceLock<[u64; 4]> = OnceLock::new();
        let keys = *KEYS.get_or_init(|| {
            let s = RandomState::new();
            [
                s.hash_one(0x243f_6a88_85a3_08d3_u64),
                s.hash_one(0x1319_8a2e_0370_7344_u64),
                s.hash_one(0xa409_3822_299f_31d0_u64),
                s.hash_one(0x082e_fa98_ec4e_6c89_u64),
            ]
        });
        IdHashState { keys }
    }
}

impl BuildHasher for IdHashState {
    type Hasher = IdHasher;
    #[inline(always)]
    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            h: self.keys[0],
            keys: self.keys,
        }
    }
}

/// The running hash of one id (see [`IdHashState`]).
#[derive(Clone, Copy, Debug)]
pub struct IdHasher {
    h: u64,
    keys: [u64; 4],
}

impl Hasher for IdHasher {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) {
        let [_, k1, k2, _] = self.keys;
        // The length first, so that texts that differ only by trailing zero bytes differ.
        self.h = fold(self.h ^ bytes.len() as u64, k1);
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            let (a, b) = c.split_at(8);
            self.h = fold(word(a) ^ k1, word(b) ^ k2 ^ self.h);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let (a, b) = rest.split_at(rest.len().min(8));
            self.h = fold(word(a) ^ k1, word(b) ^ k2 ^ self.h);
        }
    }
    #[inline(always)]
    fn write_u8(&mut self, b: u8) {
        // `str`'s `Hash` ends with one 0xff byte.
        self.h = fold(self.h ^ u64::from(b), self.keys[1]);
    }
    #[inline(always)]
    fn finish(&self) -> u64 {
        fold(self.h, self.keys[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ses_1_id_hashes_tell_ids_apart_and_keep_an_id_whole() {
        let s = IdHashState::default();
        // Every id of a generated set of 200,000 (lengths 1..=40, common prefixes, ids that
        // differ by one byte, or by trailing zero bytes) has a hash of its own.
        let mut ids: Vec<String> = Vec::new();
        for i in 0..100_000u32 {
            ids.push(format!("p-{:04}-{:02}", i / 100, i % 100));
            ids.push(format!("S-{i:07}{}", "x".repeat((i % 29) as usize)));
        }
        ids.push("a".into());
        ids.push("a\0".into());
        ids.push("a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".into());
        let hashes: HashSet<u64> = ids.iter().map(|id| s.hash_one(id.as_str())).collect();
        assert_eq!(hashes.len(), ids.len());
        // The same id hashes alike, however the map is used and in every map of the process.
        assert_eq!(s.hash_one("p-0001-02"), s.hash_one(String::from("p-0001-02").as_str()));
        assert_eq!(s.hash_one("p-0001-02"), IdHashState::default().hash_one("p-0001-02"));
        // Each of the 64 bits of the hash flips on about half of the ids that differ from a
        // given one in one bit (avalanche: no bit stuck, none a copy of the input): 8 ids of 8
        // to 16 bytes, each of their bits flipped in turn (over 600 pairs, so that the bounds
        // lie many standard deviations from the mean, whatever the keys).
        let hash = |b: &[u8]| {
            let mut h = s.build_hasher();
            h.write(b);
            h.write_u8(0xff);
            h.finish()
        };
        let mut flips = [0u32; 64];
        let mut n = 0u32;
        for base in [
            "P-000042",
            "p-0001-02",
            "S-0000001",
            "E-1234567",
            "T-7",
            "abcdefghijklmnop",
            "x",
            "",
        ] {
            let base = format!("{base:0<8}");
            let h0 = hash(base.as_bytes());
            for i in 0..base.len() {
                for bit in 0..8 {
                    let mut b = base.clone().into_bytes();
                    if let Some(x) = b.get_mut(i) {
                        *x ^= 1 << bit;
                    }
                    let d = hash(&b) ^ h0;
                    for (j, f) in flips.iter_mut().enumerate() {
                        *f += u32::from((d >> j) & 1 == 1);
                    }
                    n += 1;
                }
            }
        }
        assert!(n >= 600, "{n} pairs");
        // The byte that ends a `str`'s hash is part of it.
        let ended = |end: u8| {
            let mut h = s.build_hasher();
            h.write(b"p-0001-02");
            h.write_u8(end);
            h.finish()
        };
        assert_ne!(ended(0xff), ended(0x00));
        for (j, &f) in flips.iter().enumerate() {
            assert!(f * 10 >= n * 3 && f * 10 <= n * 7, "bit {j} flipped on {f} of {n}");
        }
    }
}
