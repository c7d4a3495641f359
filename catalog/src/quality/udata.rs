//! data.gouv.fr's 9-criteria quality score, computed on the same record so a producer
//! can relate it to ours.
//!
//! udata (`compute_quality`): each criterion is worth 1, score = passed / 9. Criteria 7–9
//! (open format, resources available, resources documented) can only pass when the
//! dataset has resources. Criterion 8 needs link-check results: a resource whose link
//! was not checked does not count as available, as in udata where a missing
//! `check:available` is false.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::graph::{plain_text, DateValue};
use super::record::{DatasetFacts, LinkHealth, LinkLookup};
use super::vocabularies::Frequency;

/// The nine criteria and the resulting 0–1 score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UdataScore {
    /// Passed criteria / 9.
    pub score: f64,
    /// A licence is given.
    pub license: bool,
    /// A temporal coverage is given.
    pub temporal_coverage: bool,
    /// A spatial coverage is given.
    pub spatial: bool,
    /// An update frequency is given.
    pub update_frequency: bool,
    /// Next expected update is not more than one day late (true without a quantifiable period).
    pub update_fulfilled_in_time: bool,
    /// The description has more than 100 characters.
    pub dataset_description_quality: bool,
    /// Not every resource is closed or without format.
    pub has_open_format: bool,
    /// Every resource's link answered.
    pub all_resources_available: bool,
    /// A resource has a description.
    pub resources_documentation: bool,
}

pub(crate) fn udata_score(
    facts: &DatasetFacts,
    today: NaiveDate,
    links: &dyn LinkLookup,
) -> UdataScore {
    let frequency = match &facts.frequency {
        Some(Ok(f)) => Some(*f),
        _ => None,
    };
    let update_frequency = frequency.is_some();
    let update_fulfilled_in_time = match (frequency, facts.modified) {
        (Some(Frequency::Every(days)), Some(DateValue::Valid(m))) => {
            (m + chrono::Duration::days(days) - today).num_days() >= -1
        }
        (Some(Frequency::Every(_)), _) => false,
        _ => true,
    };
    let resources = &facts.distributions;
    let has_resources = !resources.is_empty();
    let has_open_format = has_resources && resources.iter().any(|d| d.non_proprietary());
    let all_resources_available = has_resources
        && resources.iter().all(|d| {
            let urls: Vec<&String> = d.download_urls.iter().chain(&d.access_urls).collect();
            !urls.is_empty() && urls.iter().all(|u| links.health(u) == Some(LinkHealth::Ok))
        });
    let resources_documentation = resources.iter().any(|d| d.has_description);
    let description = facts
        .description
        .as_deref()
        .is_some_and(|d| plain_text(d).chars().count() > 100);
    let criteria = [
        facts.has_licence,
        facts.has_temporal,
        facts.has_spatial,
        update_frequency,
        update_fulfilled_in_time,
        description,
        has_open_format,
        all_resources_available,
        resources_documentation,
    ];
    let passed = criteria.iter().filter(|c| **c).count();
    UdataScore {
        score: (passed as f64 / 9.0 * 1000.0).round() / 1000.0,
        license: facts.has_licence,
        temporal_coverage: facts.has_temporal,
        spatial: facts.has_spatial,
        update_frequency,
        update_fulfilled_in_time,
        dataset_description_quality: description,
        has_open_format,
        all_resources_available,
        resources_documentation,
    }
}
