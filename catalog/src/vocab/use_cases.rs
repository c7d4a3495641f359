//! The use-case vocabulary (`catalog/vocab/use-cases.ttl`): what a local authority or a
//! policy officer prepares (PCAET, PPRI, bilan carbone, atlas de la biodiversité
//! communale, rénovation énergétique…), grouped under the France Nation Verte themes (the
//! top concepts), each with the keywords of the data it uses and the themes that serve it.

use super::{vocabularies, ConceptScheme};

/// Returns the use-case scheme.
pub fn use_cases() -> &'static ConceptScheme {
    &vocabularies().use_cases
}
