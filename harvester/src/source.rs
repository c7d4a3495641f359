//! A harvested source, as the configuration describes it.

use moisson_catalog::SourceId;
use serde::{Deserialize, Serialize};

/// How a source is harvested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Any RDF serialization, Hydra-paged or not.
    Dcat,
    /// OGC CSW 2.0.2 `GetRecords`, ISO 19139 (or DCAT) records.
    Csw,
}

impl Protocol {
    /// Returns the protocol's name as in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dcat => "dcat",
            Self::Csw => "csw",
        }
    }
}

/// The `outputSchema` asked of a CSW source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CswOutputSchema {
    /// ISO 19139 (`http://www.isotc211.org/2005/gmd`), mapped to DCAT-AP by Moisson.
    #[default]
    Iso19139,
    /// DCAT (`http://www.w3.org/ns/dcat#`): GeoNetwork answers one `rdf:RDF` per record.
    Dcat,
}

impl CswOutputSchema {
    /// Returns the schema's name as in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iso19139 => "iso19139",
            Self::Dcat => "dcat",
        }
    }
}

/// One catalogue to harvest.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// Stable id.
    pub id: SourceId,
    /// Display name.
    pub name: String,
    /// Catalogue endpoint (first page).
    pub url: String,
    /// Protocol.
    pub protocol: Protocol,
    /// Cron schedule (6 fields), if harvested on a schedule.
    pub schedule: Option<String>,
    /// DREAL, DDT, operator, agency, local-authority.
    pub publisher_kind: Option<String>,
    /// INSEE code of the source's territory.
    pub territory: Option<String>,
    /// CSW sources: the `outputSchema` asked for.
    pub csw_output_schema: CswOutputSchema,
    /// CSW sources: an OGC filter restricting the records, as CQL text or as XML
    /// (`<ogc:Filter>…`), so one endpoint can serve many sources.
    pub csw_constraint: Option<String>,
}

impl Source {
    /// A source with no schedule, publisher kind, territory or CSW settings.
    pub fn new(
        id: SourceId,
        name: impl Into<String>,
        url: impl Into<String>,
        protocol: Protocol,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            url: url.into(),
            protocol,
            schedule: None,
            publisher_kind: None,
            territory: None,
            csw_output_schema: CswOutputSchema::default(),
            csw_constraint: None,
        }
    }
}
