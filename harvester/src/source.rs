//! A harvested source, as the configuration describes it.

use moisson_catalog::SourceId;
use serde::{Deserialize, Serialize};

/// How a source is harvested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Any RDF serialization, Hydra-paged or not.
    Dcat,
    /// OGC CSW 2.0.2 (not yet supported by this build).
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
}
