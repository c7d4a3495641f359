//! Quality results in the store, as W3C DQV in the quality graph `urn:moisson:quality`.
//!
//! Per harvest of a source, one `dqv:QualityMeasurement` of the catalogue score and one
//! per dimension, computed on the source node `urn:moisson:source:{id}`, dated with
//! `prov:generatedAtTime`: these are the trend. The newest run also carries the full
//! JSON report (`moisson:report`), older runs keep only their measurements. Each active
//! record gets one measurement of its score, computed on the record IRI (replaced at
//! every run). SHACL results are cached per record graph, which is content-addressed:
//! an unchanged record is never validated twice with the same shapes.
//!
//! The report, record summaries and record scores, rewritten at every run, are stored
//! compressed ([`stored_text`]): oxigraph never removes a replaced string, and these texts
//! (2–4 MB of report and ~1 KB of summaries per record) were most of what a store grew by.

use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad, Term};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

use super::indicators::Dimension;
use super::record::ConformityIssue;
use super::report::{SourceQualityReport, TrendPoint};
use super::summary::{RecordQuality, RunPart};
use crate::store::{is_packed, pack_text, unpack_text, CatalogStore, StoreError};
use crate::vocab::{moisson, rdf};

/// A text rewritten at every quality run, as stored: compressed like the registry's chunks
/// (5–10× smaller for JSON), so a replaced one leaves that much less behind.
fn stored_text(text: String) -> Literal {
    Literal::new_simple_literal(pack_text(&text).unwrap_or(text))
}

/// The text of a literal [`stored_text`] wrote (or an older, uncompressed one).
fn text_of<'a>(value: &'a str, what: &str) -> Result<std::borrow::Cow<'a, str>, StoreError> {
    if is_packed(value) {
        unpack_text(value)
            .map(std::borrow::Cow::Owned)
            .ok_or_else(|| StoreError::Corrupt(format!("{what}: damaged compressed text")))
    } else {
        Ok(std::borrow::Cow::Borrowed(value))
    }
}

/// The named graph holding quality measurements and caches.
pub const QUALITY_GRAPH: &str = "urn:moisson:quality";
/// W3C Data Quality Vocabulary terms.
pub mod terms {
    /// `dqv:QualityMeasurement`.
    pub const QUALITY_MEASUREMENT: &str = "http://www.w3.org/ns/dqv#QualityMeasurement";
    /// `dqv:Metric`.
    pub const METRIC: &str = "http://www.w3.org/ns/dqv#Metric";
    /// `dqv:Dimension`.
    pub const DIMENSION: &str = "http://www.w3.org/ns/dqv#Dimension";
    /// `dqv:computedOn`.
    pub const COMPUTED_ON: &str = "http://www.w3.org/ns/dqv#computedOn";
    /// `dqv:isMeasurementOf`.
    pub const IS_MEASUREMENT_OF: &str = "http://www.w3.org/ns/dqv#isMeasurementOf";
    /// `dqv:value`.
    pub const VALUE: &str = "http://www.w3.org/ns/dqv#value";
    /// `dqv:inDimension`.
    pub const IN_DIMENSION: &str = "http://www.w3.org/ns/dqv#inDimension";
    /// `prov:generatedAtTime`.
    pub const GENERATED_AT_TIME: &str = "http://www.w3.org/ns/prov#generatedAtTime";
}
const XSD_DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";
const XSD_DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
const CONFORMITY: &str = "urn:moisson:ns#conformity";
const RUN_PREFIX: &str = "urn:moisson:quality:run:";
/// Per-record measurements of earlier versions (one dqv:QualityMeasurement per record,
/// ~7 quads each, rewritten by every run); removed when a source's next run is stored.
const RECORD_PREFIX: &str = "urn:moisson:quality:record:";
/// The record scores of a source's last run: chunks of `record IRI <TAB> score` lines.
const RECORD_SCORES: &str = "urn:moisson:ns#recordScores";
const SCORES_PREFIX: &str = "urn:moisson:quality:scores:";
/// Record scores per chunk literal.
const SCORES_PER_CHUNK: usize = 5_000;
/// Per-source record summaries (JSON lines, [`RecordQuality`]), chunked.
const RECORD_SUMMARIES: &str = "urn:moisson:ns#recordSummaries";
const SUMMARIES_PREFIX: &str = "urn:moisson:quality:summaries:";
const SUMMARIES_PER_CHUNK: usize = 2_000;
/// On a source's summaries node, the slot node (`{node}#a` or `{node}#b`) holding the
/// chunks of its last run. Without it, the chunks are on the node itself (stores written
/// before slots).
const CURRENT_SUMMARIES: &str = "urn:moisson:ns#currentSummaries";
/// Bytes of chunk text written per transaction when summaries are saved: a run's
/// summaries (~150 bytes a record once compressed) went in one transaction, whose log,
/// memtables and write batch grew with the source (18 MB at 100,000 records, the largest
/// write of a `bench-search`, and RocksDB keeps a log file as large as it grew).
const SUMMARY_BYTES_PER_TX: usize = 4 << 20;
/// The number of records to fix after a run, on the run node.
const RECORDS_TO_FIX: &str = "urn:moisson:ns#recordsToFix";
/// The metric of the overall 0–100 score.
pub const SCORE_METRIC: &str = "urn:moisson:metric:score";

/// Returns the node quality measurements of `source` are computed on.
pub fn source_node(source: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:moisson:source:{source}"))
}

fn metric_of(dimension: Dimension) -> NamedNode {
    NamedNode::new_unchecked(format!("urn:moisson:metric:{}", dimension.id()))
}

fn graph() -> GraphName {
    GraphName::NamedNode(NamedNode::new_unchecked(QUALITY_GRAPH))
}

fn n(iri: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(iri)
}

fn double(v: f64) -> Literal {
    Literal::new_typed_literal(v.to_string(), n(XSD_DOUBLE))
}

#[derive(Serialize, Deserialize)]
struct CachedConformity {
    version: String,
    issues: Vec<ConformityIssue>,
}

/// The record scores of a quality run, gathered record by record as they will be stored
/// (chunks of `record IRI <TAB> score` lines, compressed) and as the store keeps them for
/// record pages: no list of every (IRI, score) pair is held beside them.
#[derive(Debug, Default)]
pub struct RunScores {
    chunks: Vec<Literal>,
    text: String,
    in_text: usize,
    by_iri: HashMap<String, f64>,
}

impl RunScores {
    /// Adds the score of `record_iri` (an IRI with a tab or a line break is not stored).
    pub fn add(&mut self, record_iri: &str, score: f64) {
        if record_iri.contains(['\t', '\n']) {
            return;
        }
        self.text.push_str(record_iri);
        self.text.push('\t');
        self.text.push_str(&score.to_string());
        self.text.push('\n');
        self.in_text += 1;
        self.by_iri.insert(record_iri.to_owned(), score);
        if self.in_text == SCORES_PER_CHUNK {
            self.close_chunk();
        }
    }

    fn close_chunk(&mut self) {
        if self.in_text > 0 {
            self.chunks
                .push(stored_text(std::mem::take(&mut self.text)));
            self.in_text = 0;
        }
    }
}

/// The record summaries of a quality run, serialised and compressed chunk by chunk as
/// records are assessed: a run at 1,025,000 records held every summary (about 1 KB
/// each in memory, 8 allocations or more) until the end.
#[derive(Debug, Default)]
pub struct RunSummaries {
    chunks: Vec<Literal>,
    text: String,
    in_text: usize,
}

impl RunSummaries {
    /// Adds one record's summary.
    pub fn add(&mut self, summary: &RecordQuality) -> Result<(), StoreError> {
        self.add_with_part(summary, None)
    }

    /// Adds one record's summary and what the next run needs to count it again without
    /// reading it, after a tab on the same line (JSON never holds a raw tab: readers of
    /// summaries alone stop there).
    pub(crate) fn add_with_part(
        &mut self,
        summary: &RecordQuality,
        part: Option<&RunPart>,
    ) -> Result<(), StoreError> {
        let mut line =
            serde_json::to_string(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(part) = part {
            let part =
                serde_json::to_string(part).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            line.push('\t');
            line.push_str(&part);
        }
        self.add_line(&line);
        Ok(())
    }

    /// Adds a line as a previous run stored it (summary and part unchanged: not encoded
    /// again).
    pub(crate) fn add_line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        self.in_text += 1;
        if self.in_text == SUMMARIES_PER_CHUNK {
            self.close_chunk();
        }
    }

    fn close_chunk(&mut self) {
        if self.in_text > 0 {
            self.chunks
                .push(stored_text(std::mem::take(&mut self.text)));
            self.in_text = 0;
        }
    }
}

impl CatalogStore {
    /// Returns the cached SHACL results of the record graphs `graphs` for shapes
    /// `version`; graphs without a cached result (or validated with other shapes) are
    /// absent from the map.
    pub fn cached_conformity(
        &self,
        graphs: &[&str],
        version: &str,
    ) -> Result<HashMap<String, Vec<ConformityIssue>>, StoreError> {
        let mut out = HashMap::new();
        let g = graph();
        for graph_name in graphs {
            let subject = NamedNode::new_unchecked(*graph_name);
            for q in self.oxigraph().quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(n(CONFORMITY)),
                None,
                Some(g.as_ref()),
            ) {
                if let Term::Literal(l) = q?.object {
                    let text = text_of(l.value(), "conformity cache")?;
                    let cached: CachedConformity = serde_json::from_str(&text)
                        .map_err(|e| StoreError::Corrupt(format!("conformity cache: {e}")))?;
                    if cached.version == version {
                        out.insert((*graph_name).to_owned(), cached.issues);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stores SHACL results of record graphs (replacing older ones).
    pub fn save_conformity(
        &self,
        results: &[(String, Vec<ConformityIssue>)],
        version: &str,
    ) -> Result<(), StoreError> {
        let g = graph();
        let (mut quads, mut written) = (0, 0);
        let mut tx = self.oxigraph().start_transaction()?;
        for (graph_name, issues) in results {
            let subject = NamedNode::new_unchecked(graph_name.as_str());
            let old: Vec<Quad> = tx
                .quads_for_pattern(
                    Some(subject.as_ref().into()),
                    Some(n(CONFORMITY)),
                    None,
                    Some(g.as_ref()),
                )
                .collect::<Result<_, _>>()?;
            for q in &old {
                tx.remove(q);
            }
            let json = serde_json::to_string(&CachedConformity {
                version: version.to_owned(),
                issues: issues.clone(),
            })
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // Compressed when that is shorter (results naming the record's own nodes differ
            // from record to record; an empty result is one string shared by all).
            let text = pack_text(&json)
                .filter(|packed| packed.len() < json.len())
                .unwrap_or(json);
            quads += old.len() + 1;
            written += text.len();
            tx.insert(&Quad::new(
                subject,
                n(CONFORMITY),
                Literal::new_simple_literal(text),
                g.clone(),
            ));
        }
        tx.commit()?;
        self.wrote(quads, written);
        Ok(())
    }

    /// Stores one quality run of `source`: the catalogue and dimension measurements (a
    /// new trend point), the report, and one measurement per record (replacing the
    /// previous run's).
    pub fn save_quality_run(
        &self,
        report: &SourceQualityReport,
        mut scores: RunScores,
    ) -> Result<(), StoreError> {
        let g = graph();
        let source = report.source.as_str();
        let source_literal = Literal::new_simple_literal(source);
        let mut tx = self.oxigraph().start_transaction()?;
        // Previous per-record measurements and the previous full report of this source
        // (subjects first: a transaction is not read while another of its reads is open).
        let subjects: Vec<NamedNode> = tx
            .quads_for_pattern(
                None,
                Some(n(moisson::SOURCE)),
                Some(source_literal.as_ref().into()),
                Some(g.as_ref()),
            )
            .filter_map(|q| match q {
                Ok(Quad {
                    subject: NamedOrBlankNode::NamedNode(s),
                    ..
                }) => Some(Ok(s)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?;
        let mut stale = Vec::new();
        for s in &subjects {
            let predicate = if s.as_str().starts_with(RECORD_PREFIX) {
                None
            } else if s.as_str().starts_with(RUN_PREFIX) {
                Some(n(moisson::REPORT))
            } else {
                continue;
            };
            stale.extend(
                tx.quads_for_pattern(Some(s.as_ref().into()), predicate, None, Some(g.as_ref()))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        for q in &stale {
            tx.remove(q);
        }
        let at = Literal::new_typed_literal(report.computed_at.as_str(), n(XSD_DATE_TIME));
        let stamp = blake3::hash(report.computed_at.as_bytes()).to_hex();
        let run = NamedNode::new_unchecked(format!("{RUN_PREFIX}{source}:{}", &stamp[..16]));
        let json = serde_json::to_string(report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let on = source_node(source);
        let mut quads = measurement(&run, &on, n(SCORE_METRIC), report.score, &at, &g);
        quads.push(Quad::new(
            run.clone(),
            n(moisson::SOURCE),
            source_literal.clone(),
            g.clone(),
        ));
        quads.push(Quad::new(
            run.clone(),
            n(RECORDS_TO_FIX),
            Literal::from(report.fix_groups.records_to_fix as i64),
            g.clone(),
        ));
        quads.push(Quad::new(
            run.clone(),
            n(moisson::REPORT),
            stored_text(json),
            g.clone(),
        ));
        for d in &report.dimensions {
            let Some(score) = d.score else { continue };
            let Some(dimension) = Dimension::ALL.into_iter().find(|x| x.id() == d.id) else {
                continue;
            };
            let node = NamedNode::new_unchecked(format!("{}:{}", run.as_str(), d.id));
            quads.extend(measurement(
                &node,
                &on,
                metric_of(dimension).as_ref(),
                score,
                &at,
                &g,
            ));
        }
        // Record scores: a few chunk literals per source instead of a measurement per record.
        let scores_node = NamedNode::new_unchecked(format!("{SCORES_PREFIX}{source}"));
        stale_scores(&mut tx, &scores_node, &g)?;
        scores.close_chunk();
        for chunk in scores.chunks {
            quads.push(Quad::new(
                scores_node.clone(),
                n(RECORD_SCORES),
                chunk,
                g.clone(),
            ));
        }
        quads.extend(metric_definitions(&g));
        let mut written = 0;
        for q in &quads {
            if let Term::Literal(l) = &q.object {
                written += l.value().len();
            }
            tx.insert(q);
        }
        tx.commit()?;
        self.wrote(quads.len() + stale.len(), written);
        self.cache_record_scores(source, Arc::new(scores.by_iri));
        Ok(())
    }

    /// Stores the record summaries of the last quality run of `source` (replacing the
    /// previous run's): what producer pages, grouped fixes and lists of records to fix
    /// read without assessing records again.
    ///
    /// The chunks go to the slot the last run does not use, in transactions of at most
    /// [`SUMMARY_BYTES_PER_TX`]; one small transaction then points the source at that slot
    /// and the other slot is emptied. Readers read the pointer and the chunks in one
    /// snapshot, so they see one run whole; a failure or a crash midway leaves the last
    /// run in place, and what was written of the new one is removed by the next save.
    pub fn save_record_qualities(
        &self,
        source: &str,
        mut summaries: RunSummaries,
    ) -> Result<(), StoreError> {
        let g = graph();
        let node = NamedNode::new_unchecked(format!("{SUMMARIES_PREFIX}{source}"));
        let current = self.current_summaries(&node)?;
        let slot = NamedNode::new_unchecked(format!(
            "{}#{}",
            node.as_str(),
            if current.as_str().ends_with("#a") {
                'b'
            } else {
                'a'
            }
        ));
        // What a failed save left in the free slot.
        self.remove_summary_chunks(&slot)?;
        summaries.close_chunk();
        let mut chunks = summaries.chunks.into_iter().peekable();
        while chunks.peek().is_some() {
            let mut tx = self.oxigraph().start_transaction()?;
            let (mut quads, mut written) = (0, 0);
            while written < SUMMARY_BYTES_PER_TX {
                let Some(chunk) = chunks.next() else { break };
                written += chunk.value().len();
                quads += 1;
                tx.insert(&Quad::new(
                    slot.clone(),
                    n(RECORD_SUMMARIES),
                    chunk,
                    g.clone(),
                ));
            }
            tx.commit()?;
            self.wrote(quads, written);
        }
        // The switch: the pointer, and the chunks of a store written before slots.
        let mut tx = self.oxigraph().start_transaction()?;
        let stale: Vec<Quad> = tx
            .quads_for_pattern(Some(node.as_ref().into()), None, None, Some(g.as_ref()))
            .collect::<Result<_, _>>()?;
        for q in &stale {
            tx.remove(q);
        }
        tx.insert(&Quad::new(
            node.clone(),
            n(CURRENT_SUMMARIES),
            slot.clone(),
            g.clone(),
        ));
        tx.commit()?;
        self.wrote(stale.len() + 1, 0);
        if current != node {
            self.remove_summary_chunks(&current)?;
        }
        self.summaries_changed(source);
        Ok(())
    }

    /// The node holding the chunks of the last run of the source whose summaries node is
    /// `node` (the node itself before any run or in a store written before slots).
    fn current_summaries(&self, node: &NamedNode) -> Result<NamedNode, StoreError> {
        current_slot(
            summary_quads(None, self.oxigraph(), node.as_ref(), CURRENT_SUMMARIES).next(),
            node,
        )
    }

    /// Removes the summary chunks on `slot` (deletions only: their log is a few keys).
    fn remove_summary_chunks(&self, slot: &NamedNode) -> Result<(), StoreError> {
        let g = graph();
        let mut tx = self.oxigraph().start_transaction()?;
        let old: Vec<Quad> = tx
            .quads_for_pattern(
                Some(slot.as_ref().into()),
                Some(n(RECORD_SUMMARIES)),
                None,
                Some(g.as_ref()),
            )
            .collect::<Result<_, _>>()?;
        if old.is_empty() {
            return Ok(());
        }
        for q in &old {
            tx.remove(q);
        }
        tx.commit()?;
        self.wrote(old.len(), 0);
        Ok(())
    }

    /// Returns the record summaries of the last quality run of `source` (empty before
    /// any run, or for a run older than summaries), by dataset id. Holds them all (tests
    /// only): views over a source or producer of any size go through
    /// [`Self::for_each_record_quality`].
    #[cfg(test)]
    pub fn record_qualities(&self, source: &str) -> Result<Vec<RecordQuality>, StoreError> {
        let mut out = Vec::new();
        self.for_each_record_quality(source, |r| {
            out.push(r);
            Ok::<_, StoreError>(())
        })?;
        out.sort_by(|a: &RecordQuality, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Calls `each` with every record summary of the last quality run of `source`, in
    /// the stored order, decoding one chunk (2,000 summaries) at a time.
    pub fn for_each_record_quality<E: From<StoreError>>(
        &self,
        source: &str,
        mut each: impl FnMut(RecordQuality) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_summary_line(source, |line| {
            let json = line.split_once('\t').map_or(line, |(json, _)| json);
            let summary = serde_json::from_str(json)
                .map_err(|e| StoreError::Corrupt(format!("record summary: {e}")))?;
            each(summary)
        })
    }

    /// Calls `each` with every line of the last quality run of `source`, its record
    /// summary and what that run kept to count it again (`None` for lines written
    /// without it), in the stored order, one chunk at a time.
    pub(crate) fn for_each_record_quality_with_part<E: From<StoreError>>(
        &self,
        source: &str,
        mut each: impl FnMut(&str, RecordQuality, Option<RunPart>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_summary_line(source, |line| {
            let (json, part) = match line.split_once('\t') {
                Some((json, part)) => (json, Some(part)),
                None => (line, None),
            };
            let summary = serde_json::from_str(json)
                .map_err(|e| StoreError::Corrupt(format!("record summary: {e}")))?;
            let part =
                match part {
                    Some(part) => Some(serde_json::from_str(part).map_err(|e| {
                        StoreError::Corrupt(format!("record summary's run part: {e}"))
                    })?),
                    None => None,
                };
            each(line, summary, part)
        })
    }

    /// Calls `each` with every line of the stored summaries of `source`, read from one
    /// snapshot of the store (a save switching slots meanwhile is not seen).
    fn for_each_summary_line<E: From<StoreError>>(
        &self,
        source: &str,
        mut each: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<(), E> {
        let node = NamedNode::new_unchecked(format!("{SUMMARIES_PREFIX}{source}"));
        let snapshot = self.snapshot()?;
        let read =
            |s: NamedNodeRef<'_>, p: &str| summary_quads(snapshot.as_ref(), self.oxigraph(), s, p);
        let slot = current_slot(read(node.as_ref(), CURRENT_SUMMARIES).next(), &node)?;
        for quad in read(slot.as_ref(), RECORD_SUMMARIES) {
            let quad = quad.map_err(StoreError::from)?;
            if let Term::Literal(l) = quad.object {
                for line in text_of(l.value(), "record summaries")?
                    .lines()
                    .filter(|l| !l.is_empty())
                {
                    each(line)?;
                }
            }
        }
        Ok(())
    }

    /// Returns the score (0–100) the last quality run of `source` gave record
    /// `record_iri`, or `None` before any run.
    pub fn record_score(&self, source: &str, record_iri: &str) -> Result<Option<f64>, StoreError> {
        if let Some(scores) = self.cached_record_scores(source) {
            return Ok(scores.get(record_iri).copied());
        }
        let seen = self.record_scores_seen(source);
        let node = NamedNode::new_unchecked(format!("{SCORES_PREFIX}{source}"));
        let mut scores = HashMap::new();
        for quad in self.oxigraph().quads_for_pattern(
            Some(node.as_ref().into()),
            Some(n(RECORD_SCORES)),
            None,
            Some(graph().as_ref()),
        ) {
            if let Term::Literal(l) = quad?.object {
                for line in text_of(l.value(), "record scores")?.lines() {
                    if let Some((iri, score)) = line.split_once('\t') {
                        if let Ok(score) = score.parse::<f64>() {
                            scores.insert(iri.to_owned(), score);
                        }
                    }
                }
            }
        }
        let found = scores.get(record_iri).copied();
        self.cache_read_record_scores(source, Arc::new(scores), seen);
        Ok(found)
    }

    /// Returns the newest quality report of `source` with its trend, or `None` when
    /// quality was never computed.
    pub fn quality_report(&self, source: &str) -> Result<Option<SourceQualityReport>, StoreError> {
        let g = graph();
        let mut newest: Option<SourceQualityReport> = None;
        for q in self.oxigraph().quads_for_pattern(
            None,
            Some(n(moisson::REPORT)),
            None,
            Some(g.as_ref()),
        ) {
            let q = q?;
            let NamedOrBlankNode::NamedNode(s) = &q.subject else {
                continue;
            };
            if !s.as_str().starts_with(&format!("{RUN_PREFIX}{source}:")) {
                continue;
            }
            if let Term::Literal(l) = q.object {
                let json = text_of(l.value(), "quality report")?;
                let report: SourceQualityReport = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("quality report: {e}")))?;
                if newest
                    .as_ref()
                    .is_none_or(|n| report.computed_at > n.computed_at)
                {
                    newest = Some(report);
                }
            }
        }
        let Some(mut report) = newest else {
            return Ok(None);
        };
        report.trend = self.quality_trend(source)?;
        Ok(Some(report))
    }

    /// Returns the catalogue score of `source` after each harvest, oldest first.
    pub fn quality_trend(&self, source: &str) -> Result<Vec<TrendPoint>, StoreError> {
        let g = graph();
        let on = source_node(source);
        let mut points = Vec::new();
        for q in self.oxigraph().quads_for_pattern(
            None,
            Some(n(terms::COMPUTED_ON)),
            Some(on.as_ref().into()),
            Some(g.as_ref()),
        ) {
            let q = q?;
            let subject = q.subject;
            let is_score = self
                .oxigraph()
                .quads_for_pattern(
                    Some(subject.as_ref()),
                    Some(n(terms::IS_MEASUREMENT_OF)),
                    Some(n(SCORE_METRIC).into()),
                    Some(g.as_ref()),
                )
                .next()
                .is_some();
            if !is_score {
                continue;
            }
            let literal_of = |p: &str| -> Result<Option<String>, StoreError> {
                for q in self.oxigraph().quads_for_pattern(
                    Some(subject.as_ref()),
                    Some(n(p)),
                    None,
                    Some(g.as_ref()),
                ) {
                    if let Term::Literal(l) = q?.object {
                        return Ok(Some(l.value().to_owned()));
                    }
                }
                Ok(None)
            };
            let (Some(at), Some(value)) = (
                literal_of(terms::GENERATED_AT_TIME)?,
                literal_of(terms::VALUE)?,
            ) else {
                continue;
            };
            let score = value
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("quality measurement value {value:?}")))?;
            let records_to_fix = literal_of(RECORDS_TO_FIX)?.and_then(|v| v.parse().ok());
            points.push(TrendPoint {
                harvested_at: at,
                score,
                records_to_fix,
            });
        }
        points.sort_by(|a, b| a.harvested_at.cmp(&b.harvested_at));
        Ok(points)
    }
}

/// Removes the record-score chunks of `node` inside `tx`.
/// The quads of `subject` and `predicate` in the quality graph, read from `snapshot` when
/// there is one, else from `store`.
fn summary_quads<'a>(
    snapshot: Option<&'a oxigraph::store::Transaction<'_>>,
    store: &'a oxigraph::store::Store,
    subject: NamedNodeRef<'_>,
    predicate: &str,
) -> oxigraph::store::QuadIter<'a> {
    let g = graph();
    match snapshot {
        Some(tx) => tx.quads_for_pattern(
            Some(subject.into()),
            Some(n(predicate)),
            None,
            Some(g.as_ref()),
        ),
        None => store.quads_for_pattern(
            Some(subject.into()),
            Some(n(predicate)),
            None,
            Some(g.as_ref()),
        ),
    }
}

/// The slot a `moisson:currentSummaries` quad (the first one read) points to, or `node`.
fn current_slot(
    pointer: Option<Result<Quad, oxigraph::store::StorageError>>,
    node: &NamedNode,
) -> Result<NamedNode, StoreError> {
    match pointer.transpose()? {
        Some(Quad {
            object: Term::NamedNode(slot),
            ..
        }) => Ok(slot),
        _ => Ok(node.clone()),
    }
}

fn stale_scores(
    tx: &mut oxigraph::store::Transaction<'_>,
    node: &NamedNode,
    g: &GraphName,
) -> Result<(), StoreError> {
    let old: Vec<Quad> = tx
        .quads_for_pattern(
            Some(node.as_ref().into()),
            Some(n(RECORD_SCORES)),
            None,
            Some(g.as_ref()),
        )
        .collect::<Result<_, _>>()?;
    for q in &old {
        tx.remove(q);
    }
    Ok(())
}

fn measurement(
    node: &NamedNode,
    on: &NamedNode,
    metric: NamedNodeRef<'_>,
    value: f64,
    at: &Literal,
    g: &GraphName,
) -> Vec<Quad> {
    vec![
        Quad::new(
            node.clone(),
            n(rdf::TYPE),
            n(terms::QUALITY_MEASUREMENT),
            g.clone(),
        ),
        Quad::new(node.clone(), n(terms::COMPUTED_ON), on.clone(), g.clone()),
        Quad::new(node.clone(), n(terms::IS_MEASUREMENT_OF), metric, g.clone()),
        Quad::new(node.clone(), n(terms::VALUE), double(value), g.clone()),
        Quad::new(
            node.clone(),
            n(terms::GENERATED_AT_TIME),
            at.clone(),
            g.clone(),
        ),
    ]
}

fn metric_definitions(g: &GraphName) -> Vec<Quad> {
    let mut quads = vec![
        Quad::new(n(SCORE_METRIC), n(rdf::TYPE), n(terms::METRIC), g.clone()),
        Quad::new(
            n(SCORE_METRIC),
            n(rdf::LABEL),
            Literal::new_language_tagged_literal_unchecked(
                "Note de qualité des métadonnées (0–100)",
                "fr",
            ),
            g.clone(),
        ),
    ];
    for d in Dimension::ALL {
        let metric = metric_of(d);
        let dimension = NamedNode::new_unchecked(format!("urn:moisson:dimension:{}", d.id()));
        quads.push(Quad::new(
            metric.clone(),
            n(rdf::TYPE),
            n(terms::METRIC),
            g.clone(),
        ));
        quads.push(Quad::new(
            metric.clone(),
            n(terms::IN_DIMENSION),
            dimension.clone(),
            g.clone(),
        ));
        quads.push(Quad::new(
            dimension.clone(),
            n(rdf::TYPE),
            n(terms::DIMENSION),
            g.clone(),
        ));
        quads.push(Quad::new(
            dimension,
            n(rdf::LABEL),
            Literal::new_language_tagged_literal_unchecked(d.label(), "fr"),
            g.clone(),
        ));
    }
    quads
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(n: usize) -> RecordQuality {
        RecordQuality {
            id: format!("d{n}"),
            iri: format!("https://example.org/jdd/{n}"),
            source: "s".into(),
            title: format!("Jeu de données n°{n} : zones humides du Finistère"),
            points: 200.0 + n as f64,
            dimensions: vec![[10.0, 20.0]; 5],
            publisher: None,
            fixes: Vec::new(),
        }
    }

    /// Quads holding summary chunks, by subject.
    fn chunk_subjects(store: &CatalogStore) -> Vec<String> {
        let mut subjects: Vec<String> = store
            .oxigraph()
            .quads_for_pattern(None, Some(n(RECORD_SUMMARIES)), None, None)
            .map(|q| q.expect("quad").subject.to_string())
            .collect();
        subjects.sort();
        subjects.dedup();
        subjects
    }

    fn run_of(range: std::ops::Range<usize>, points: f64) -> (RunSummaries, Vec<RecordQuality>) {
        let mut run = RunSummaries::default();
        let mut all = Vec::new();
        for i in range {
            let mut s = summary(i);
            s.points = points;
            run.add(&s).expect("added");
            all.push(s);
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        (run, all)
    }

    /// A run's summaries are written to the slot the last run does not use, in several
    /// transactions, then switched to at once: readers see one run whole, a reader
    /// reading while a save switches keeps reading the run it started with, what a failed
    /// save left is never read and is removed by the next save, and summaries stored
    /// before slots are read, then replaced.
    #[test]
    fn summaries_are_switched_to_whole_and_the_previous_slot_emptied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = CatalogStore::open(dir.path()).expect("store");
        // Stored before slots: chunks on the source's node itself.
        let node = NamedNode::new_unchecked(format!("{SUMMARIES_PREFIX}s"));
        let line = serde_json::to_string(&summary(7)).expect("json");
        store
            .oxigraph()
            .insert(&Quad::new(
                node.clone(),
                n(RECORD_SUMMARIES),
                stored_text(format!("{line}\n")),
                graph(),
            ))
            .expect("insert");
        assert_eq!(store.record_qualities("s").expect("read"), vec![summary(7)]);

        // 12,000 records: 6 chunks of 2,000, more than one transaction's bytes.
        let (first, first_all) = run_of(0..12_000, 1.0);
        store.save_record_qualities("s", first).expect("saved");
        assert!(store.record_qualities("s").expect("read") == first_all);
        assert_eq!(
            chunk_subjects(&store),
            vec![format!("<{}#a>", node.as_str())]
        );

        // What a save that failed after writing some chunks left in the free slot.
        let slot_b = NamedNode::new_unchecked(format!("{}#b", node.as_str()));
        store
            .oxigraph()
            .insert(&Quad::new(
                slot_b.clone(),
                n(RECORD_SUMMARIES),
                stored_text(format!(
                    "{}\n",
                    serde_json::to_string(&summary(99_999)).expect("json")
                )),
                graph(),
            ))
            .expect("insert");
        assert!(
            store.record_qualities("s").expect("read") == first_all,
            "a partial slot is read"
        );

        // A save while a reader is halfway through: the reader finishes the run it began.
        let (second, second_all) = run_of(5..6_005, 2.0);
        let mut second = Some(second);
        let mut seen = Vec::new();
        store
            .for_each_record_quality("s", |r| {
                if let Some(run) = second.take() {
                    store.save_record_qualities("s", run)?;
                }
                seen.push(r);
                Ok::<_, StoreError>(())
            })
            .expect("read");
        seen.sort_by(|a, b| a.id.cmp(&b.id));
        assert!(
            seen == first_all,
            "the reader saw {} summaries of mixed runs",
            seen.len()
        );
        assert!(store.record_qualities("s").expect("read") == second_all);
        assert_eq!(
            chunk_subjects(&store),
            vec![format!("<{}>", slot_b.as_str())]
        );

        // And back to the first slot; a store opened again reads the same.
        let (third, third_all) = run_of(0..10, 3.0);
        store.save_record_qualities("s", third).expect("saved");
        assert_eq!(
            chunk_subjects(&store),
            vec![format!("<{}#a>", node.as_str())]
        );
        drop(store);
        let store = CatalogStore::open(dir.path()).expect("store");
        assert!(store.record_qualities("s").expect("read") == third_all);
    }

    /// What the next run counts from is stored on the summary's line, after a tab: readers
    /// of summaries get the same summaries, with or without it, whatever the texts hold
    /// (tabs and line breaks included); a line without it gives none.
    #[test]
    fn run_parts_ride_on_summary_lines_without_changing_what_readers_see() {
        let store = CatalogStore::in_memory().expect("store");
        let mut odd = summary(1);
        odd.title = "titre\tavec tabulation\net retour".into();
        let part = RunPart {
            fp: u64::MAX,
            u: 0.5,
            p: Some("DDT\t29 « x »".into()),
            v: vec![(0, 1.0), (3, 0.25)],
            d: vec![(0, "détail\tlong\n".into())],
            l: vec![("https://ex.org/a\tb".into(), 2)],
            e: Some(3),
        };
        let mut run = RunSummaries::default();
        run.add_with_part(&odd, Some(&part)).expect("add");
        run.add(&summary(2)).expect("add");
        store.save_record_qualities("s", run).expect("save");
        assert_eq!(
            store.record_qualities("s").expect("read"),
            vec![odd.clone(), summary(2)]
        );
        let mut seen = Vec::new();
        store
            .for_each_record_quality_with_part("s", |_, r, p| {
                seen.push((r, p));
                Ok::<_, StoreError>(())
            })
            .expect("read");
        seen.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        assert_eq!(seen, vec![(odd, Some(part)), (summary(2), None)]);
    }

    /// A page reading a source's stored scores while its quality run writes newer ones
    /// does not cache its older read over the run's (it would be shown until the next
    /// run); a read with no run in between is cached.
    #[test]
    fn scores_read_during_a_run_do_not_replace_the_runs() {
        let store = CatalogStore::in_memory().expect("store");
        let scores = |score: f64| Arc::new(HashMap::from([("https://ex.org/1".to_owned(), score)]));
        // Scores of `read` read before a run of `written` wrote, cached after it: what a
        // record page of `read` gets then.
        let late_read = |read: &str, written: &str| {
            let seen = store.record_scores_seen(read);
            store.cache_record_scores(written, scores(80.0));
            store.cache_read_record_scores(read, scores(40.0), seen);
            store.record_score(read, "https://ex.org/1").expect("score")
        };
        assert_eq!(late_read("s", "s"), Some(80.0), "the run's scores stay");
        assert_eq!(
            late_read("t", "u"),
            Some(40.0),
            "another source's run: cached"
        );
    }

    #[test]
    fn rewritten_texts_are_stored_compressed_and_older_plain_ones_still_read() {
        let store = CatalogStore::in_memory().expect("store");
        let summaries: Vec<RecordQuality> = (0..50).map(summary).collect();
        let mut run = RunSummaries::default();
        for summary in &summaries {
            run.add(summary).expect("added");
        }
        store.save_record_qualities("s", run).expect("saved");
        let stored: Vec<String> = store
            .oxigraph()
            .quads_for_pattern(None, Some(n(RECORD_SUMMARIES)), None, None)
            .map(|q| match q.expect("quad").object {
                Term::Literal(l) => l.value().to_owned(),
                other => panic!("{other}"),
            })
            .collect();
        assert!(!stored.is_empty() && stored.iter().all(|v| is_packed(v)));
        let plain: usize = summaries
            .iter()
            .map(|s| serde_json::to_string(s).expect("json").len() + 1)
            .sum();
        let packed: usize = stored.iter().map(String::len).sum();
        assert!(packed * 3 < plain, "{packed} bytes stored for {plain}");
        let mut expected = summaries.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert!(store.record_qualities("s").expect("read") == expected);
        // A text an earlier version stored as it was.
        let old = NamedNode::new_unchecked(format!("{SUMMARIES_PREFIX}old"));
        let line = serde_json::to_string(&summary(7)).expect("json");
        store
            .oxigraph()
            .insert(&Quad::new(
                old,
                n(RECORD_SUMMARIES),
                Literal::new_simple_literal(format!("{line}\n")),
                graph(),
            ))
            .expect("insert");
        assert_eq!(
            store.record_qualities("old").expect("read"),
            vec![summary(7)]
        );
    }
}
