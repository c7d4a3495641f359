//! The vocabularies Moisson reads and writes: IRI constants, and the controlled
//! vocabularies records are classified into (themes, use cases, territories).
//!
//! Call sites use these constants, never string literals. The controlled vocabularies are
//! SKOS Turtle files under `catalog/vocab/`, embedded in the binary and parsed once
//! ([`vocabularies`]); they carry their own classification rules (keywords, matches with
//! EU data themes, ISO 19115 topic categories and INSPIRE themes, bounding boxes).

pub mod geography;
pub mod places;
mod scheme;
pub mod territories;
pub mod text;
pub mod themes;
pub mod use_cases;

pub use scheme::{vocabularies, Concept, ConceptScheme, Vocabularies, VOCABULARY_FILES};
pub use territories::{Bbox, Territory, TerritoryLevel};

/// RDF and RDFS.
pub mod rdf {
    /// `rdf:type`.
    pub const TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    /// `rdfs:label`.
    pub const LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
}

/// W3C DCAT (v2/v3).
pub mod dcat {
    /// The DCAT namespace.
    pub const NS: &str = "http://www.w3.org/ns/dcat#";
    /// `dcat:Catalog`.
    pub const CATALOG: &str = "http://www.w3.org/ns/dcat#Catalog";
    /// `dcat:CatalogRecord`.
    pub const CATALOG_RECORD: &str = "http://www.w3.org/ns/dcat#CatalogRecord";
    /// `dcat:Dataset`.
    pub const DATASET: &str = "http://www.w3.org/ns/dcat#Dataset";
    /// `dcat:DatasetSeries`.
    pub const DATASET_SERIES: &str = "http://www.w3.org/ns/dcat#DatasetSeries";
    /// `dcat:DataService`.
    pub const DATA_SERVICE: &str = "http://www.w3.org/ns/dcat#DataService";
    /// `dcat:Distribution`.
    pub const DISTRIBUTION: &str = "http://www.w3.org/ns/dcat#Distribution";
    /// `dcat:dataset`.
    pub const DATASET_PROP: &str = "http://www.w3.org/ns/dcat#dataset";
    /// `dcat:service`.
    pub const SERVICE_PROP: &str = "http://www.w3.org/ns/dcat#service";
    /// `dcat:record`.
    pub const RECORD_PROP: &str = "http://www.w3.org/ns/dcat#record";
    /// `dcat:catalog`.
    pub const CATALOG_PROP: &str = "http://www.w3.org/ns/dcat#catalog";
    /// `dcat:distribution`.
    pub const DISTRIBUTION_PROP: &str = "http://www.w3.org/ns/dcat#distribution";
    /// `dcat:keyword`.
    pub const KEYWORD: &str = "http://www.w3.org/ns/dcat#keyword";
    /// `dcat:theme`.
    pub const THEME: &str = "http://www.w3.org/ns/dcat#theme";
    /// `dcat:contactPoint`.
    pub const CONTACT_POINT: &str = "http://www.w3.org/ns/dcat#contactPoint";
    /// `dcat:accessURL`.
    pub const ACCESS_URL: &str = "http://www.w3.org/ns/dcat#accessURL";
    /// `dcat:downloadURL`.
    pub const DOWNLOAD_URL: &str = "http://www.w3.org/ns/dcat#downloadURL";
    /// `dcat:mediaType`.
    pub const MEDIA_TYPE: &str = "http://www.w3.org/ns/dcat#mediaType";
    /// `dcat:byteSize`.
    pub const BYTE_SIZE: &str = "http://www.w3.org/ns/dcat#byteSize";
    /// `dcat:landingPage`.
    pub const LANDING_PAGE: &str = "http://www.w3.org/ns/dcat#landingPage";
    /// `dcat:endpointURL`.
    pub const ENDPOINT_URL: &str = "http://www.w3.org/ns/dcat#endpointURL";
    /// `dcat:bbox`.
    pub const BBOX: &str = "http://www.w3.org/ns/dcat#bbox";
    /// `dcat:startDate`.
    pub const START_DATE: &str = "http://www.w3.org/ns/dcat#startDate";
    /// `dcat:endDate`.
    pub const END_DATE: &str = "http://www.w3.org/ns/dcat#endDate";
}

/// DCAT-AP's own terms (`dcatap:`, namespace `http://data.europa.eu/r5r/`) and the EU
/// high-value datasets (HVD) implementing regulation they point to.
pub mod dcatap {
    /// The DCAT-AP namespace.
    pub const NS: &str = "http://data.europa.eu/r5r/";
    /// `dcatap:applicableLegislation`.
    pub const APPLICABLE_LEGISLATION: &str = "http://data.europa.eu/r5r/applicableLegislation";
    /// `dcatap:hvdCategory`.
    pub const HVD_CATEGORY: &str = "http://data.europa.eu/r5r/hvdCategory";
    /// Commission Implementing Regulation (EU) 2023/138 (high-value datasets), its ELI.
    pub const HVD_REGULATION: &str = "http://data.europa.eu/eli/reg_impl/2023/138/oj";
    /// Prefix of the EU vocabulary of HVD categories (`http://data.europa.eu/bna/c_…`).
    pub const HVD_CATEGORY_PREFIX: &str = "http://data.europa.eu/bna/";
}

/// Location Core (`locn:`) and GeoSPARQL, for the geometry of a `dct:Location`.
pub mod geometry {
    /// `locn:geometry`.
    pub const LOCN_GEOMETRY: &str = "http://www.w3.org/ns/locn#geometry";
    /// `geo:asWKT` (GeoSPARQL).
    pub const AS_WKT: &str = "http://www.opengis.net/ont/geosparql#asWKT";
    /// `asWKT` in the namespace of the GeoSPARQL drafts, which GeoNetwork's DCAT output
    /// still writes (`<ogc:Polygon xmlns:ogc="http://www.opengis.net/rdf#">`).
    pub const AS_WKT_DRAFT: &str = "http://www.opengis.net/rdf#asWKT";
}

/// DCMI terms.
pub mod dct {
    /// `dct:title`.
    pub const TITLE: &str = "http://purl.org/dc/terms/title";
    /// `dct:description`.
    pub const DESCRIPTION: &str = "http://purl.org/dc/terms/description";
    /// `dct:identifier`.
    pub const IDENTIFIER: &str = "http://purl.org/dc/terms/identifier";
    /// `dct:publisher`.
    pub const PUBLISHER: &str = "http://purl.org/dc/terms/publisher";
    /// `dct:creator`.
    pub const CREATOR: &str = "http://purl.org/dc/terms/creator";
    /// `dct:issued`.
    pub const ISSUED: &str = "http://purl.org/dc/terms/issued";
    /// `dct:modified`.
    pub const MODIFIED: &str = "http://purl.org/dc/terms/modified";
    /// `dct:license`.
    pub const LICENSE: &str = "http://purl.org/dc/terms/license";
    /// `dct:accessRights`.
    pub const ACCESS_RIGHTS: &str = "http://purl.org/dc/terms/accessRights";
    /// `dct:format`.
    pub const FORMAT: &str = "http://purl.org/dc/terms/format";
    /// `dct:spatial`.
    pub const SPATIAL: &str = "http://purl.org/dc/terms/spatial";
    /// `dct:temporal`.
    pub const TEMPORAL: &str = "http://purl.org/dc/terms/temporal";
    /// `dct:accrualPeriodicity`.
    pub const ACCRUAL_PERIODICITY: &str = "http://purl.org/dc/terms/accrualPeriodicity";
    /// `dct:language`.
    pub const LANGUAGE: &str = "http://purl.org/dc/terms/language";
    /// `dct:conformsTo`.
    pub const CONFORMS_TO: &str = "http://purl.org/dc/terms/conformsTo";
    /// `dct:rights`.
    pub const RIGHTS: &str = "http://purl.org/dc/terms/rights";
    /// `dct:provenance`.
    pub const PROVENANCE: &str = "http://purl.org/dc/terms/provenance";
    /// `dct:source`.
    pub const SOURCE: &str = "http://purl.org/dc/terms/source";
    /// `dct:subject` (GeoDCAT-AP: ISO 19115 topic categories).
    pub const SUBJECT: &str = "http://purl.org/dc/terms/subject";
}

/// FOAF.
pub mod foaf {
    /// `foaf:name`.
    pub const NAME: &str = "http://xmlns.com/foaf/0.1/name";
    /// `foaf:primaryTopic`.
    pub const PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";
    /// `foaf:homepage`.
    pub const HOMEPAGE: &str = "http://xmlns.com/foaf/0.1/homepage";
    /// `foaf:Agent`.
    pub const AGENT: &str = "http://xmlns.com/foaf/0.1/Agent";
}

/// vCard.
pub mod vcard {
    /// `vcard:fn`.
    pub const FN: &str = "http://www.w3.org/2006/vcard/ns#fn";
    /// `vcard:hasEmail`.
    pub const HAS_EMAIL: &str = "http://www.w3.org/2006/vcard/ns#hasEmail";
    /// `vcard:organization-name`.
    pub const ORGANIZATION_NAME: &str = "http://www.w3.org/2006/vcard/ns#organization-name";
}

/// SKOS.
pub mod skos {
    /// `skos:prefLabel`.
    pub const PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
    /// `skos:Concept`.
    pub const CONCEPT: &str = "http://www.w3.org/2004/02/skos/core#Concept";
    /// `skos:inScheme`.
    pub const IN_SCHEME: &str = "http://www.w3.org/2004/02/skos/core#inScheme";
    /// `skos:broader`.
    pub const BROADER: &str = "http://www.w3.org/2004/02/skos/core#broader";
    /// `skos:notation`.
    pub const NOTATION: &str = "http://www.w3.org/2004/02/skos/core#notation";
    /// `skos:definition`.
    pub const DEFINITION: &str = "http://www.w3.org/2004/02/skos/core#definition";
    /// `skos:closeMatch`.
    pub const CLOSE_MATCH: &str = "http://www.w3.org/2004/02/skos/core#closeMatch";
    /// `skos:exactMatch`.
    pub const EXACT_MATCH: &str = "http://www.w3.org/2004/02/skos/core#exactMatch";
    /// `skos:relatedMatch`.
    pub const RELATED_MATCH: &str = "http://www.w3.org/2004/02/skos/core#relatedMatch";
}

/// Moisson's own terms in its SKOS vocabulary files (`catalog/vocab/*.ttl`).
pub mod mv {
    /// The namespace.
    pub const NS: &str = "urn:moisson:vocab#";
    /// The theme scheme.
    pub const THEMES: &str = "urn:moisson:vocab#themes";
    /// The use-case scheme.
    pub const USE_CASES: &str = "urn:moisson:vocab#use-cases";
    /// The territory scheme.
    pub const TERRITORIES: &str = "urn:moisson:vocab#territories";
    /// A classification keyword (French phrase matched in keywords and titles).
    pub const KEYWORD: &str = "urn:moisson:vocab#keyword";
    /// A theme whose records serve a use case.
    pub const THEME: &str = "urn:moisson:vocab#theme";
    /// A territory's level (`region`, `departement`).
    pub const LEVEL: &str = "urn:moisson:vocab#level";
    /// A territory's bounding box, `west south east north` in WGS84 degrees.
    pub const BBOX: &str = "urn:moisson:vocab#bbox";
    /// Prefix of the named graphs the vocabularies are loaded into.
    pub const GRAPH_PREFIX: &str = "urn:moisson:vocab:";
}

/// Hydra core vocabulary (paging of catalogues).
pub mod hydra {
    /// The Hydra namespace.
    pub const NS: &str = "http://www.w3.org/ns/hydra/core#";
    /// The namespace some older producers used.
    pub const NS_LEGACY: &str = "http://purl.org/hydra/core#";
    /// `hydra:Collection`.
    pub const COLLECTION: &str = "http://www.w3.org/ns/hydra/core#Collection";
    /// `hydra:PartialCollectionView`.
    pub const PARTIAL_COLLECTION_VIEW: &str =
        "http://www.w3.org/ns/hydra/core#PartialCollectionView";
    /// `hydra:PagedCollection` (legacy).
    pub const PAGED_COLLECTION: &str = "http://www.w3.org/ns/hydra/core#PagedCollection";
    /// `hydra:view`.
    pub const VIEW: &str = "http://www.w3.org/ns/hydra/core#view";
    /// `hydra:next`.
    pub const NEXT: &str = "http://www.w3.org/ns/hydra/core#next";
    /// `hydra:nextPage` (legacy).
    pub const NEXT_PAGE: &str = "http://www.w3.org/ns/hydra/core#nextPage";
    /// `hydra:first`.
    pub const FIRST: &str = "http://www.w3.org/ns/hydra/core#first";
    /// `hydra:last`.
    pub const LAST: &str = "http://www.w3.org/ns/hydra/core#last";
    /// `hydra:previous`.
    pub const PREVIOUS: &str = "http://www.w3.org/ns/hydra/core#previous";
    /// `hydra:totalItems`.
    pub const TOTAL_ITEMS: &str = "http://www.w3.org/ns/hydra/core#totalItems";
    /// `hydra:member`.
    pub const MEMBER: &str = "http://www.w3.org/ns/hydra/core#member";
}

/// XML Schema datatypes.
pub mod xsd {
    /// `xsd:dateTime`.
    pub const DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
    /// `xsd:date`.
    pub const DATE: &str = "http://www.w3.org/2001/XMLSchema#date";
    /// `xsd:string`.
    pub const STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
}

/// Moisson's own terms for the registry and jobs kept in the metadata graph.
pub mod moisson {
    /// The namespace of Moisson's own terms.
    pub const NS: &str = "urn:moisson:ns#";
    /// The metadata graph: registry of records, jobs, per-page fingerprints.
    pub const META_GRAPH: &str = "urn:moisson:meta";
    /// Prefix of record graph names.
    pub const RECORD_GRAPH_PREFIX: &str = "urn:moisson:record:";
    /// Prefix of skolem IRIs minted for blank nodes.
    pub const GENID_PREFIX: &str = "urn:moisson:genid:";
    /// Prefix of job IRIs.
    pub const JOB_PREFIX: &str = "urn:moisson:job:";
    /// Prefix of page fingerprint IRIs.
    pub const PAGE_PREFIX: &str = "urn:moisson:page:";
    /// Prefix of the subjects holding a source's registry chunks.
    pub const REGISTRY_PREFIX: &str = "urn:moisson:registry:";
    /// A chunk of a source's registry: JSON lines of entries.
    pub const REGISTRY_CHUNK: &str = "urn:moisson:ns#registryChunk";
    /// Class of registry entries (a record graph).
    pub const RECORD_GRAPH: &str = "urn:moisson:ns#RecordGraph";
    /// Class of harvest jobs.
    pub const HARVEST_JOB: &str = "urn:moisson:ns#HarvestJob";
    /// Class of page fingerprints.
    pub const PAGE: &str = "urn:moisson:ns#Page";
    /// The source id a registry entry, job or page belongs to.
    pub const SOURCE: &str = "urn:moisson:ns#source";
    /// The harvested IRI of the record held by a record graph.
    pub const RECORD: &str = "urn:moisson:ns#record";
    /// The content hash of a record graph.
    pub const HASH: &str = "urn:moisson:ns#hash";
    /// The record kind (`dataset`, `service`, `series`).
    pub const KIND: &str = "urn:moisson:ns#kind";
    /// The stable public id of the dataset.
    pub const DATASET_ID: &str = "urn:moisson:ns#datasetId";
    /// When the record was first harvested.
    pub const FIRST_SEEN: &str = "urn:moisson:ns#firstSeen";
    /// When the record was last changed by a harvest.
    pub const LAST_CHANGED: &str = "urn:moisson:ns#lastChanged";
    /// When a harvest last withdrew the record (absent when active).
    pub const WITHDRAWN_AT: &str = "urn:moisson:ns#withdrawnAt";
    /// The URL of the page a record came from.
    pub const PAGE_URL: &str = "urn:moisson:ns#pageUrl";
    /// The fingerprint of a page body.
    pub const PAGE_HASH: &str = "urn:moisson:ns#pageHash";
    /// A job's JSON report.
    pub const REPORT: &str = "urn:moisson:ns#report";
    /// A job's start time.
    pub const STARTED: &str = "urn:moisson:ns#started";
}
