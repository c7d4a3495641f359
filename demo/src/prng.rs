//! Deterministic randomness for the demo catalogues: a SplitMix64 generator and the
//! calendar arithmetic the records need.
//!
//! Every record draws from its own stream, seeded by `(source seed, stream, index)`, so a
//! page can be generated without generating the pages before it, and the same source
//! always yields the same bytes on every platform.

use std::fmt::Write as _;

/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, a few multiplications per draw.
#[derive(Debug, Clone)]
pub(super) struct Prng {
    state: u64,
}

impl Prng {
    pub(super) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Returns the stream of record `index` in `stream` (datasets, services, shared records…).
    pub(super) fn for_record(seed: u64, stream: u64, index: u64) -> Self {
        Self::new(mix(seed ^ mix(stream.wrapping_add(mix(index)))))
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Returns a value in `0..n`; `n` must not be zero.
    pub(super) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0, "empty range");
        // Multiply-shift (Lemire): unbiased enough for demo data, no division.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Returns true with probability `percent` / 100.
    pub(super) fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Returns a value in `lo..hi`; `hi` must be greater than `lo`.
    pub(super) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(hi > lo, "empty range");
        lo + self.below((hi - lo) as usize) as i64
    }

    /// Picks one item of a non-empty slice.
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Picks one item of a non-empty slice with probability proportional to its weight.
    pub(super) fn pick_weighted<'a, T>(
        &mut self,
        items: &'a [T],
        weight: impl Fn(&T) -> u32,
    ) -> &'a T {
        let total: u32 = items.iter().map(&weight).sum();
        let mut draw = self.below(total.max(1) as usize) as u32;
        for item in items {
            if draw < weight(item) {
                return item;
            }
            draw -= weight(item);
        }
        &items[items.len() - 1]
    }

    /// Picks an index with probability proportional to `weights[index]`.
    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut draw = self.below(total.max(1) as usize) as u32;
        for (index, weight) in weights.iter().enumerate() {
            if draw < *weight {
                return index;
            }
            draw -= weight;
        }
        weights.len().saturating_sub(1)
    }

    /// Returns a random (version 4 shaped) UUID, e.g. `1b4e28ba-2fa1-41d2-883f-0016d3cca427`.
    pub(super) fn uuid(&mut self) -> String {
        let high = self.next_u64();
        let low = self.next_u64();
        let mut text = String::with_capacity(36);
        write!(
            text,
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0x0fff,
            8 + (low >> 62),
            (low >> 48) & 0x0fff,
            low & 0xffff_ffff_ffff,
        )
        .expect("formatting into a String cannot fail");
        text
    }
}

/// The SplitMix64 finalizer, also used to derive independent seeds.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, to turn a source id into a stable seed.
pub(super) fn fnv1a(text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
pub(super) const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Appends the ISO 8601 date (`YYYY-MM-DD`) of `days` since 1970-01-01.
pub(super) fn push_date(out: &mut String, days: i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    write!(out, "{year:04}-{month:02}-{day:02}").expect("formatting into a String cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(days: i64) -> String {
        let mut text = String::new();
        push_date(&mut text, days);
        text
    }

    #[test]
    fn same_seed_gives_same_stream() {
        let mut a = Prng::for_record(7, 1, 42);
        let mut b = Prng::for_record(7, 1, 42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(
            Prng::for_record(7, 1, 42).next_u64(),
            Prng::for_record(7, 1, 43).next_u64()
        );
    }

    #[test]
    fn below_stays_in_range_and_weighted_honours_zero_weights() {
        let mut prng = Prng::new(1);
        for n in 1..50 {
            assert!(prng.below(n) < n);
        }
        for _ in 0..1000 {
            assert_ne!(prng.weighted(&[3, 0, 5]), 1);
        }
    }

    #[test]
    fn uuid_has_the_canonical_shape() {
        let uuid = Prng::new(99).uuid();
        assert_eq!(uuid.len(), 36);
        let dashes: Vec<usize> = uuid.match_indices('-').map(|(at, _)| at).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert_eq!(&uuid[14..15], "4");
        assert!("89ab".contains(&uuid[19..20]));
    }

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(date(days_from_civil(2026, 10, 1)), "2026-10-01");
        assert_eq!(date(days_from_civil(1999, 12, 31) + 1), "2000-01-01");
    }
}
