//! `GET /api/territories?q=`: territory autocomplete (name, INSEE code, SIREN, postal
//! code), over `catalog::vocab::places`. Without `q`, `/api/territories` lists régions
//! and départements with their counts (`api/vocab.rs`).

use moisson_catalog::vocab::places::{search_places, Place};
use serde::Serialize;

use crate::error::ApiError;

/// Most answers one request may ask for.
const MAX_LIMIT: usize = 50;

/// One place of an autocomplete answer.
#[derive(Debug, Serialize)]
pub struct PlaceEntry {
    /// The key filters and URLs take (`commune-29232`, `epci-242900314`, `29`).
    pub id: String,
    /// `national`, `region`, `departement`, `epci` or `commune`.
    pub level: &'static str,
    /// The level in French (« intercommunalité »).
    pub level_label: &'static str,
    /// INSEE code, or SIREN of an EPCI.
    pub code: String,
    /// The name.
    pub name: String,
    /// The name with what tells it apart (« Quimper (29) »).
    pub label: String,
    /// Municipal population.
    pub population: u64,
    /// Keys of the places holding it, nearest first.
    pub parents: Vec<String>,
    /// Postal codes of a commune.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postal_codes: Vec<String>,
}

impl From<Place> for PlaceEntry {
    fn from(p: Place) -> Self {
        Self {
            label: p.label(),
            id: p.key,
            level: p.level.as_str(),
            level_label: p.level.label(),
            code: p.code,
            name: p.name,
            population: p.population,
            parents: p.parents,
            postal_codes: p.postal_codes,
        }
    }
}

/// Answers `q` (at most 200 characters) with up to `limit` places (default 10).
pub async fn autocomplete(q: String, limit: Option<&str>) -> Result<Vec<PlaceEntry>, ApiError> {
    if q.chars().count() > 200 {
        return Err(ApiError::invalid_input("q: 200 characters at most"));
    }
    let limit = match limit {
        None => 10,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::invalid_input("limit: an integer from 1 to 50"))?,
    };
    let places = tokio::task::spawn_blocking(move || search_places(&q, limit)).await?;
    Ok(places.into_iter().map(PlaceEntry::from).collect())
}
