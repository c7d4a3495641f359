//! The theme vocabulary: Ecosphères themes (14) and sub-themes (82), from
//! `catalog/vocab/themes.ttl`, with Moisson's keyword rules and mappings from EU data
//! themes, ISO 19115 topic categories and INSPIRE themes.

use super::{vocabularies, ConceptScheme};

/// Returns the theme scheme.
pub fn themes() -> &'static ConceptScheme {
    &vocabularies().themes
}

/// Prefix of ISO 19115 topic category IRIs (as GeoDCAT-AP writes them).
pub const ISO_TOPIC_CATEGORY_PREFIX: &str =
    "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/";

/// Prefix of EU data theme IRIs.
pub const EU_DATA_THEME_PREFIX: &str =
    "http://publications.europa.eu/resource/authority/data-theme/";

/// Prefix of INSPIRE theme IRIs.
pub const INSPIRE_THEME_PREFIX: &str = "http://inspire.ec.europa.eu/theme/";
