//! What one page of a source may make Moisson do or hold, whatever its bytes say.
//!
//! A catalogue is input from outside: a hostile or broken one must not crash the process
//! nor fill the store. These limits are plain values handed in by the caller (the web
//! crate reads them from `[harvest]`); the harvester never reads configuration files.
//!
//! - [`ParseLimits::max_nesting_depth`]: checked while the bytes stream into the parser
//!   (JSON brackets, Turtle `[`/`(`, XML elements), so a page nested deeper is refused
//!   with its line and column before any parser recurses into it.
//! - [`ParseLimits::max_literal_bytes`]: a longer literal (or IRI) is dropped with a record
//!   warning and never stored; in RDF/XML no entity reference may expand one value beyond it.
//! - [`ParseLimits::max_expansion_ratio`]: the records of a page may hold at most this many
//!   times the page's own triples (plus [`EXPANSION_ALLOWANCE_TRIPLES`]): a node shared by
//!   many records is copied into each, and past the budget the records that would copy it
//!   again are rejected.

/// Triples the records of any page may hold beyond `max_expansion_ratio` times the page's
/// triples, so a small page sharing a publisher among its records is never refused.
pub const EXPANSION_ALLOWANCE_TRIPLES: u64 = 10_000;

/// Limits applied to every page read from outside; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Deepest nesting accepted: JSON objects and arrays, Turtle blank nodes `[ ]` and
    /// collections `( )`, XML elements.
    pub max_nesting_depth: usize,
    /// Longest literal or IRI stored, in bytes (UTF-8).
    pub max_literal_bytes: usize,
    /// The records of a page hold at most this many times the page's triples.
    pub max_expansion_ratio: u32,
}

impl ParseLimits {
    /// Default of [`ParseLimits::max_nesting_depth`]: real catalogues stay under 20 levels.
    pub const DEFAULT_MAX_NESTING_DEPTH: usize = 64;
    /// Default of [`ParseLimits::max_literal_bytes`]: 1 MiB.
    pub const DEFAULT_MAX_LITERAL_BYTES: usize = 1 << 20;
    /// Default of [`ParseLimits::max_expansion_ratio`].
    pub const DEFAULT_MAX_EXPANSION_RATIO: u32 = 10;

    /// Returns the most triples the records of a page of `page_triples` triples may hold.
    pub fn expansion_budget(&self, page_triples: usize) -> u64 {
        (page_triples as u64)
            .saturating_mul(u64::from(self.max_expansion_ratio.max(1)))
            .saturating_add(EXPANSION_ALLOWANCE_TRIPLES)
    }
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_nesting_depth: Self::DEFAULT_MAX_NESTING_DEPTH,
            max_literal_bytes: Self::DEFAULT_MAX_LITERAL_BYTES,
            max_expansion_ratio: Self::DEFAULT_MAX_EXPANSION_RATIO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_budget_has_an_allowance_and_saturates() {
        let limits = ParseLimits::default();
        assert_eq!(limits.expansion_budget(0), EXPANSION_ALLOWANCE_TRIPLES);
        assert_eq!(
            limits.expansion_budget(1000),
            10_000 + EXPANSION_ALLOWANCE_TRIPLES
        );
        let huge = ParseLimits {
            max_expansion_ratio: u32::MAX,
            ..limits
        };
        assert_eq!(huge.expansion_budget(usize::MAX), u64::MAX);
    }
}
