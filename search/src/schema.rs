//! The index schema: one document per dataset (records of the same dataset harvested
//! from several sources are one document).
//!
//! Invariant: any change here bumps [`SCHEMA_VERSION`], so that an index written by an
//! older build is found incompatible and rebuilt from the store at startup.

use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    STORED, STRING,
};

use crate::analyzer::FRENCH;

/// Version of the schema and of the document layout; written beside the index.
pub const SCHEMA_VERSION: &str = "moisson-search-11";

/// Dimensions whose facet values are the stored values themselves (no vocabulary hierarchy);
/// also filter names of the API. The tail of [`DIMENSIONS`] (a test keeps them in step).
pub const VALUE_DIMENSIONS: &[&str] = &[
    "publisher",
    "publisher_kind",
    "source",
    "format",
    "license",
    "freshness",
    "quality",
    "kind",
    "hvd",
];

/// Facet dimensions, in the order the API lists them. Each is a top-level facet path
/// (`/theme/eau`, `/departement/29`).
pub const DIMENSIONS: &[&str] = &[
    "theme",
    "subtheme",
    "use_case",
    "region",
    "departement",
    "epci",
    "commune",
    "national",
    "publisher",
    "publisher_kind",
    "source",
    "format",
    "license",
    "freshness",
    "quality",
    "kind",
    "hvd",
];

/// The fields of the index.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Document id (the dataset id of the group): exact, stored.
    pub id: Field,
    /// Dataset ids of every record merged into the document: exact.
    pub member: Field,
    /// Deduplication keys of the records (`iri:…`, `uuid:…`, `pid:…`): exact.
    pub key: Field,
    /// Title, French analysis.
    pub title: Field,
    /// Keywords, French analysis.
    pub keywords: Field,
    /// Description, French analysis.
    pub description: Field,
    /// Publisher name and theme/use-case/territory labels, French analysis.
    pub context: Field,
    /// Every facet value (`/theme/eau`, `/departement/29`…).
    pub facets: Field,
    /// Modification date, Unix seconds (fast, for sorting).
    pub modified: Field,
    /// Quality score out of 100 (fast, for sorting), when known.
    pub quality: Field,
    /// The API summary as JSON (stored).
    pub summary: Field,
    /// The classification with its reasons as JSON (stored): what dataset pages show, as
    /// the facets counted it.
    pub classification: Field,
    /// A stable hash of the document id (fast): equal scores come in this order, the same
    /// after every rebuild, so pages of a search neither repeat nor skip a result.
    pub order: Field,
}

/// Returns the schema and its fields.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let french = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(FRENCH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        member: builder.add_text_field("member", STRING),
        key: builder.add_text_field("key", STRING),
        title: builder.add_text_field("title", french(false)),
        keywords: builder.add_text_field("keywords", french(false)),
        description: builder.add_text_field("description", french(false)),
        context: builder.add_text_field("context", french(false)),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
        modified: builder.add_i64_field("modified", NumericOptions::default().set_fast()),
        quality: builder.add_f64_field("quality", NumericOptions::default().set_fast()),
        summary: builder.add_text_field("summary", STORED),
        classification: builder.add_text_field("classification", STORED),
        order: builder.add_u64_field("order", NumericOptions::default().set_fast()),
    };
    (builder.build(), fields)
}

/// Returns the fields of `schema` (an index created by [`build`]).
pub fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    let f = |name: &str| schema.get_field(name);
    Ok(Fields {
        id: f("id")?,
        member: f("member")?,
        key: f("key")?,
        title: f("title")?,
        keywords: f("keywords")?,
        description: f("description")?,
        context: f("context")?,
        facets: f("facets")?,
        modified: f("modified")?,
        quality: f("quality")?,
        summary: f("summary")?,
        classification: f("classification")?,
        order: f("order")?,
    })
}

/// The stable tie-break key of document `id` (64-bit FNV-1a of its bytes).
pub fn order_key(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod dimension_tests {
    use super::{DIMENSIONS, VALUE_DIMENSIONS};

    #[test]
    fn value_dimensions_end_the_dimension_list() {
        assert!(DIMENSIONS.ends_with(VALUE_DIMENSIONS));
    }
}
