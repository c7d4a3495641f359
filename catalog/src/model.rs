//! Plain data of the domain: source ids, record kinds, harvest job reports.
//!
//! No I/O happens here.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The stable identifier of a harvested source: `[a-z0-9-]+`, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

/// Why a string is not a valid [`SourceId`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid source id {0:?}: expected 1 to 64 characters among a-z, 0-9 and -")]
pub struct SourceIdError(pub String);

impl SourceId {
    /// Returns the id after checking it is `[a-z0-9-]{1,64}`.
    ///
    /// ```
    /// use moisson_catalog::SourceId;
    /// assert!(SourceId::new("ddt-29").is_ok());
    /// assert!(SourceId::new("DDT 29").is_err());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<Self, SourceIdError> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(id))
        } else {
            Err(SourceIdError(id))
        }
    }

    /// Returns the id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceId {
    type Error = SourceIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<SourceId> for String {
    fn from(value: SourceId) -> Self {
        value.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a harvested record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A `dcat:Dataset`.
    Dataset,
    /// A `dcat:DataService`.
    Service,
    /// A `dcat:DatasetSeries` (not also typed `dcat:Dataset`).
    Series,
}

impl RecordKind {
    /// Returns the kind's stable name, as stored in the registry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dataset => "dataset",
            Self::Service => "service",
            Self::Series => "series",
        }
    }

    /// Returns the kind named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "dataset" => Some(Self::Dataset),
            "service" => Some(Self::Service),
            "series" => Some(Self::Series),
            _ => None,
        }
    }
}

/// Returns the stable, URL-safe public id of a record, derived from its IRI.
///
/// The id reads as a slug of the IRI's last meaningful segment followed by a short hash
/// of the whole IRI, so two IRIs never share an id in practice and the same IRI harvested
/// from two sources is the same dataset.
///
/// ```
/// let id = moisson_catalog::dataset_id("https://example.org/jdd/Zones-Humides_29");
/// assert!(id.starts_with("zones-humides-29-"));
/// assert_eq!(id, moisson_catalog::dataset_id("https://example.org/jdd/Zones-Humides_29"));
/// ```
pub fn dataset_id(iri: &str) -> String {
    let hash = blake3::hash(iri.as_bytes()).to_hex();
    let trimmed = iri.trim_end_matches(['/', '#']);
    let segment = trimmed
        .rsplit(['/', '#', ':', '='])
        .find(|s| s.chars().any(|c| c.is_alphanumeric()))
        .unwrap_or("");
    let mut slug = String::with_capacity(48);
    let mut last_dash = true;
    for c in segment.chars().flat_map(char::to_lowercase) {
        if slug.len() >= 40 {
            break;
        }
        if c.is_ascii_alphanumeric() {
            slug.push(c);
            last_dash = false;
        } else if !last_dash {
            slug.push('-');
            last_dash = true;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("jdd-{}", &hash[..12])
    } else {
        format!("{slug}-{}", &hash[..12])
    }
}

/// The outcome of a harvest job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Still running.
    Running,
    /// Every page was read; the registry reflects the source.
    Ok,
    /// Records were stored, but something prevented a complete view of the source (rejected
    /// records, or far fewer records than before): nothing was withdrawn.
    Partial,
    /// Nothing could be taken; what was stored before is untouched.
    Failed,
}

impl JobStatus {
    /// Returns the status's stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Failed => "failed",
        }
    }
}

/// Record counts of a harvest job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    /// Pages fetched.
    pub pages: u32,
    /// Records new to the store.
    pub added: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records identical to the stored version (no write).
    pub unchanged: u64,
    /// Records withdrawn because the source no longer has them.
    pub removed: u64,
    /// Records rejected as malformed.
    pub rejected: u64,
}

/// A place in a document: 1-based line and column, as an editor shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextPosition {
    /// Line, from 1.
    pub line: u64,
    /// Column in characters, from 1.
    pub column: u64,
}

impl fmt::Display for TextPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// Where a harvest met an error or a warning: a step outside any page (`store commit`),
/// or a page, the record being read on it and the position in the page's text. Shown as
/// `page 4 (https://…), record <iri>, line 12 column 8`; kept structured in job reports
/// so that a client can link to the page or the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// A step outside any page: `store`, `store write`, `store commit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The page number in the walk, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The page's URL (or CSW request key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The record: `<iri>`, or a description such as `record 3 of the page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The position in the page's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<TextPosition>,
}

impl Location {
    /// A step outside any page.
    pub fn step(name: impl Into<String>) -> Self {
        Self {
            step: Some(name.into()),
            ..Self::default()
        }
    }

    /// Page `number` of the walk, at `url`.
    pub fn page(number: u32, url: impl Into<String>) -> Self {
        Self {
            page: Some(number),
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// The same place, narrowed to `record`, written as given (`<iri>`, `_:b0`, or a
    /// description such as `record 3 of the page`).
    #[must_use]
    pub fn record(mut self, record: impl Into<String>) -> Self {
        self.record = Some(record.into());
        self
    }

    /// The same place, narrowed to the record named `iri`: a bare IRI is bracketed, an
    /// N-Triples term or a description is kept as it is.
    #[must_use]
    pub fn record_iri(self, iri: &str) -> Self {
        if iri.starts_with(['<', '_', '(', '"']) {
            self.record(iri)
        } else {
            self.record(format!("<{iri}>"))
        }
    }

    /// The same place, narrowed to `position` when known.
    #[must_use]
    pub fn at(mut self, position: Option<TextPosition>) -> Self {
        if position.is_some() {
            self.position = position;
        }
        self
    }

    /// Whether nothing is known of the place.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::with_capacity(4);
        if let Some(step) = &self.step {
            parts.push(step.clone());
        }
        match (self.page, &self.url) {
            (Some(n), Some(url)) => parts.push(format!("page {n} ({url})")),
            (Some(n), None) => parts.push(format!("page {n}")),
            (None, Some(url)) => parts.push(url.clone()),
            (None, None) => {}
        }
        if let Some(record) = &self.record {
            parts.push(format!("record {record}"));
        }
        if let Some(position) = &self.position {
            parts.push(position.to_string());
        }
        f.write_str(&parts.join(", "))
    }
}

impl From<&str> for Location {
    fn from(step: &str) -> Self {
        Self::step(step)
    }
}

impl From<String> for Location {
    fn from(step: String) -> Self {
        Self::step(step)
    }
}

/// One error of a job, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    /// Where, as text: `page 4 (https://…), record <iri>, line 12 column 8`.
    pub location: String,
    /// Where, structured (absent from reports stored before it existed).
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    pub at: Location,
    /// What went wrong, in one lowercase line.
    pub message: String,
}

impl JobError {
    /// An error or warning at `at` (its message clipped: [`clip_message`]).
    pub fn new(at: Location, message: impl Into<String>) -> Self {
        Self {
            location: at.to_string(),
            at,
            message: clip_message(message.into()),
        }
    }
}

/// The longest message or reason a job report keeps, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// `message` cut to [`MAX_MESSAGE_CHARS`] characters, saying how many bytes went. Parser
/// messages quote the input: an XML end tag that does not match its start quotes the
/// whole "name" it read, up to the next `>` (tens of kilobytes from one damaged CSW page,
/// as much as a page holds from a hostile one), and each job report is kept in the store,
/// logged and shown to the producer.
pub fn clip_message(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        let dropped = message.len() - cut;
        message.truncate(cut);
        message.push_str(&format!(" […] ({dropped} octets de plus)"));
    }
    message
}

/// The report of one harvest job, as kept in the metadata graph and served by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobReport {
    /// The job's id (unique, sortable by start time).
    pub id: String,
    /// The source harvested.
    pub source: String,
    /// The source's name when it was harvested: what tools reading the store without the
    /// configuration (`moisson export` next to the demo) call it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The outcome.
    pub status: JobStatus,
    /// Start time, RFC 3339.
    pub started: String,
    /// End time, RFC 3339 (absent while running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// Wall time in milliseconds (absent while running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Counts, flattened: `pages`, `added`, `updated`, …
    #[serde(flatten)]
    pub counts: JobCounts,
    /// Datasets and services the source holds after this job.
    pub dataset_count: u64,
    /// Data services the source holds after this job.
    pub service_count: u64,
    /// Why the status is not `ok`, in one line (absent when ok).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Errors with their location (capped; `errors_total` says how many there were).
    pub errors: Vec<JobError>,
    /// Number of errors, including those beyond the cap.
    pub errors_total: u64,
    /// Problems that did not stop a record from being taken (ill-typed literals…), capped.
    #[serde(default)]
    pub warnings: Vec<JobError>,
    /// Number of warnings, including those beyond the cap.
    #[serde(default)]
    pub warnings_total: u64,
}

/// Maximum number of errors kept in one job report.
pub const MAX_JOB_ERRORS: usize = 200;

impl JobReport {
    /// Returns a new running job for `source`, started now.
    pub fn start(source: &SourceId) -> Self {
        let now = chrono::Utc::now();
        Self {
            id: format!("{}-{}", source, now.format("%Y%m%dT%H%M%S%.3fZ")),
            source: source.to_string(),
            source_name: None,
            status: JobStatus::Running,
            started: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished: None,
            duration_ms: None,
            counts: JobCounts::default(),
            dataset_count: 0,
            service_count: 0,
            reason: None,
            errors: Vec::new(),
            errors_total: 0,
            warnings: Vec::new(),
            warnings_total: 0,
        }
    }

    /// Adds an error, keeping at most [`MAX_JOB_ERRORS`] of them.
    pub fn push_error(&mut self, location: impl Into<Location>, message: impl Into<String>) {
        self.errors_total += 1;
        if self.errors.len() < MAX_JOB_ERRORS {
            self.errors.push(JobError::new(location.into(), message));
        }
    }

    /// Adds a warning, keeping at most [`MAX_JOB_ERRORS`] of them.
    pub fn push_warning(&mut self, location: impl Into<Location>, message: impl Into<String>) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_JOB_ERRORS {
            self.warnings.push(JobError::new(location.into(), message));
        }
    }

    /// Marks the job finished with `status` now.
    pub fn finish(&mut self, status: JobStatus, reason: Option<String>) {
        let now = chrono::Utc::now();
        self.status = status;
        self.reason = reason.map(clip_message);
        self.finished = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&self.started) {
            let ms = (now - started.with_timezone(&chrono::Utc)).num_milliseconds();
            self.duration_ms = Some(u64::try_from(ms).unwrap_or(0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_ids_are_url_safe_and_stable() {
        let id = dataset_id("https://data.example.org/dataset/Zones humides (2019)/");
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        assert!(id.starts_with("zones-humides-2019-"), "{id}");
        assert_ne!(dataset_id("urn:a"), dataset_id("urn:b"));
        assert!(dataset_id("urn:moisson:genid:///").starts_with("genid-"));
        assert!(dataset_id("%%%").starts_with("jdd-"));
    }

    /// A message quoting megabytes of a hostile page is kept to its start (where the
    /// location is) and says how much went; short ones, and multi-byte text at the cut,
    /// are safe.
    #[test]
    fn job_messages_and_reasons_are_clipped() {
        let quoted = format!(
            "xml error at byte 27680: expected `</gmd:name>`, but `</gmd:name{}` was found",
            "é".repeat(500_000)
        );
        let mut job = JobReport::start(&SourceId::new("ddt-29").expect("valid id"));
        job.push_error("page 1", quoted.clone());
        job.push_warning("page 1", "court");
        job.finish(JobStatus::Failed, Some(quoted.clone()));
        for kept in [&job.errors[0].message, job.reason.as_ref().expect("reason")] {
            assert!(
                kept.starts_with("xml error at byte 27680: expected"),
                "{kept:.80}"
            );
            assert!(
                kept.chars().count() < MAX_MESSAGE_CHARS + 40,
                "{}",
                kept.len()
            );
            let dropped = quoted.len()
                - quoted
                    .char_indices()
                    .nth(MAX_MESSAGE_CHARS)
                    .expect("long")
                    .0;
            assert!(
                kept.ends_with(&format!(" […] ({dropped} octets de plus)")),
                "{kept}"
            );
        }
        assert_eq!(job.warnings[0].message, "court");
        let exact = "a".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(clip_message(exact.clone()), exact);
    }

    #[test]
    fn job_report_serializes_flat_counts() {
        let mut job = JobReport::start(&SourceId::new("ddt-29").expect("valid id"));
        job.counts.added = 3;
        job.push_error("page 1", "bad");
        job.finish(JobStatus::Ok, None);
        let json = serde_json::to_value(&job).expect("serializable");
        assert_eq!(json["added"], 3);
        assert_eq!(json["status"], "ok");
        assert_eq!(json["errors"][0]["location"], "page 1");
    }
}
