//! The « fiches à corriger » CSV of a source or a producer: every record to fix, worst
//! first, whatever their number, in bounded memory. Records are read one chunk of
//! summaries at a time; each record's lines are kept with its sort key (points, id) and
//! sorted in runs of at most [`RUN_BYTES`], spilled to anonymous temporary files in
//! `data_dir/tmp` (gone when closed, even after a crash) and merged while the response is sent. A download
//! at 1,000,000 records built the whole file (about 1 GB) next to every summary (1.3 GB).
//!
//! Invariant: the CSV is the one [`crate::api::quality::record_csv_lines`] gives for
//! each record of [`moisson_catalog::quality::records_to_fix`], in that order.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use moisson_catalog::quality::{IndicatorId, Points, RecordOrigin, RecordQuality};
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// Rows held in memory before a sorted run goes to a temporary file.
const RUN_BYTES: usize = 16 << 20;
/// CSV downloads built at once; others wait their turn.
const EXPORTS_AT_ONCE: usize = 2;
/// Bytes sent to the client at a time.
const SEND_BYTES: usize = 64 << 10;

static EXPORTS: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(EXPORTS_AT_ONCE)));

/// Why a download stopped after it started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error("store: {0}")]
    Store(#[from] moisson_catalog::StoreError),
    #[error("temporary file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the client left")]
    Gone,
}

type Key = (Points, String);

/// Rows sorted by key in bounded memory: runs of at most `budget` bytes are sorted and
/// spilled to temporary files, then merged.
pub(crate) struct SortedRows {
    budget: usize,
    /// Where runs are written (the system's temporary folder when `None`).
    dir: Option<std::path::PathBuf>,
    held: Vec<(Key, String)>,
    held_bytes: usize,
    runs: Vec<std::fs::File>,
}

impl SortedRows {
    pub(crate) fn new(budget: usize, dir: Option<std::path::PathBuf>) -> Self {
        Self {
            budget,
            dir,
            held: Vec::new(),
            held_bytes: 0,
            runs: Vec::new(),
        }
    }

    /// Adds `rows` under `key`.
    pub(crate) fn push(&mut self, key: Key, rows: String) -> std::io::Result<()> {
        self.held_bytes += rows.len() + key.1.len() + 64;
        self.held.push((key, rows));
        if self.held_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts what is held and writes it to a new run.
    fn spill(&mut self) -> std::io::Result<()> {
        // Stable: equal keys keep the order they came in, as in one sort of them all.
        self.held.sort_by(|a, b| a.0.cmp(&b.0));
        let file = match &self.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                tempfile::tempfile_in(dir)?
            }
            None => tempfile::tempfile()?,
        };
        let mut out = BufWriter::new(file);
        for ((points, id), rows) in self.held.drain(..) {
            out.write_all(&points.0.to_bits().to_le_bytes())?;
            for text in [&id, &rows] {
                let len = u32::try_from(text.len()).map_err(std::io::Error::other)?;
                out.write_all(&len.to_le_bytes())?;
                out.write_all(text.as_bytes())?;
            }
        }
        self.held_bytes = 0;
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        self.runs.push(file);
        Ok(())
    }

    /// Calls `out` with every row text, lowest key first.
    pub(crate) fn drain(
        mut self,
        mut out: impl FnMut(&str) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        if self.runs.is_empty() {
            self.held.sort_by(|a, b| a.0.cmp(&b.0));
            for (_, rows) in &self.held {
                out(rows)?;
            }
            return Ok(());
        }
        self.spill()?;
        let mut readers: Vec<BufReader<std::fs::File>> = self
            .runs
            .drain(..)
            .map(|f| BufReader::with_capacity(256 << 10, f))
            .collect();
        let mut heads: Vec<Option<String>> = vec![None; readers.len()];
        // Lowest (key, run) first: runs are in the order rows came, so ties keep it.
        let mut heap = BinaryHeap::new();
        for (run, reader) in readers.iter_mut().enumerate() {
            if let Some((key, rows)) = read_entry(reader)? {
                heads[run] = Some(rows);
                heap.push(std::cmp::Reverse((key, run)));
            }
        }
        while let Some(std::cmp::Reverse((_, run))) = heap.pop() {
            if let Some(rows) = heads[run].take() {
                out(&rows)?;
            }
            if let Some((key, rows)) = read_entry(&mut readers[run])? {
                heads[run] = Some(rows);
                heap.push(std::cmp::Reverse((key, run)));
            }
        }
        Ok(())
    }
}

/// Reads one entry of a run, `None` at its end.
fn read_entry(reader: &mut impl Read) -> std::io::Result<Option<(Key, String)>> {
    let mut bits = [0u8; 8];
    match reader.read_exact(&mut bits) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut texts = [String::new(), String::new()];
    for text in &mut texts {
        let mut len = [0u8; 4];
        reader.read_exact(&mut len)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        reader.read_exact(&mut bytes)?;
        *text = String::from_utf8(bytes).map_err(std::io::Error::other)?;
    }
    let [id, rows] = texts;
    Ok(Some((
        (Points(f64::from_bits(u64::from_le_bytes(bits))), id),
        rows,
    )))
}

/// The folder CSV runs are spilled to: `tmp` in the data directory (none for a server
/// without an on-disk index, as in tests: the system's temporary folder).
pub(crate) fn spill_dir(state: &crate::app::AppState) -> Option<std::path::PathBuf> {
    state
        .index
        .dir()
        .and_then(crate::data_dir::DataDir::of_index)
        .map(|d| d.root().join("tmp"))
}

/// What the lines of each record depend on: its source's score and origin.
pub(crate) struct CsvContext {
    pub(crate) indicator: Option<IndicatorId>,
    /// Where sorted runs are spilled: `data_dir/tmp` (on the data's disk: `/tmp` is
    /// often a `tmpfs`, which holds its files in memory).
    pub(crate) spill_dir: Option<std::path::PathBuf>,
    pub(crate) source_scores: HashMap<String, f64>,
    pub(crate) origins: HashMap<String, RecordOrigin>,
}

/// The CSV of the records to fix that `read` offers (it calls the function it is given
/// with every record), as a download named `{name}-fiches-a-corriger.csv`, sent as it is
/// merged. A failure after the first bytes ends the download early (logged).
pub(crate) async fn response<R>(name: &str, context: CsvContext, read: R) -> Response
where
    R: FnOnce(&mut dyn FnMut(RecordQuality) -> Result<(), ExportError>) -> Result<(), ExportError>
        + Send
        + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let exports = EXPORTS.clone();
    let what = name.to_owned();
    tokio::spawn(async move {
        // One permit per download being built; the others wait here.
        let Ok(permit) = exports.acquire_owned().await else {
            return;
        };
        let failing = tx.clone();
        let built = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let gone = tx.clone();
            write(&context, read, &|| gone.is_closed(), &mut |chunk| {
                tx.blocking_send(Ok(Bytes::from(chunk)))
                    .map_err(|_| ExportError::Gone)
            })
        })
        .await;
        let error = match built {
            Ok(Ok(())) | Ok(Err(ExportError::Gone)) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::warn!(download = %what, error = %error, "records-to-fix CSV stopped");
        let _ = failing.send(Err(std::io::Error::other(error))).await;
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{safe}-fiches-a-corriger.csv\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Writes the CSV of the records `read` offers to `send`, a chunk at a time.
/// `gone` says the client left: reading stops at the next record (the rows of a large
/// source take seconds to read and sort before the first byte is sent).
fn write<R>(
    context: &CsvContext,
    read: R,
    gone: &dyn Fn() -> bool,
    send: &mut dyn FnMut(String) -> Result<(), ExportError>,
) -> Result<(), ExportError>
where
    R: FnOnce(&mut dyn FnMut(RecordQuality) -> Result<(), ExportError>) -> Result<(), ExportError>,
{
    let mut rows = SortedRows::new(RUN_BYTES, context.spill_dir.clone());
    let mut read_so_far = 0_usize;
    read(&mut |r| {
        read_so_far += 1;
        if read_so_far.is_multiple_of(1_024) && gone() {
            return Err(ExportError::Gone);
        }
        if !r.is_to_fix(context.indicator) {
            return Ok(());
        }
        let lines = crate::api::quality::record_csv_lines(
            &r,
            context.indicator,
            context.source_scores.get(&r.source).copied().unwrap_or(0.0),
            context.origins.get(&r.source).copied().unwrap_or_default(),
        );
        rows.push((Points(r.points), r.id), lines)?;
        Ok(())
    })?;
    let mut buffer = crate::api::quality::csv_head();
    rows.drain(|lines| {
        buffer.push_str(lines);
        if buffer.len() >= SEND_BYTES {
            send(std::mem::take(&mut buffer))?;
        }
        Ok(())
    })?;
    if !buffer.is_empty() {
        send(buffer)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::quality::{Blame, Fix};

    fn record(n: usize) -> RecordQuality {
        // Points with many ties, ids in a scrambled order, every third record clean.
        let k = (n * 7_919) % 3_001;
        RecordQuality {
            id: format!("d{k}"),
            iri: format!("https://ex.org/{k}"),
            source: if k.is_multiple_of(2) { "a" } else { "b" }.into(),
            title: format!("Jeu « {k} » ; avec ce qu'il faut de texte pour peser"),
            points: f64::from(u32::try_from(k % 41).expect("small")) * 7.5,
            dimensions: Vec::new(),
            publisher: None,
            fixes: match k % 3 {
                0 => Vec::new(),
                1 => vec![Fix {
                    indicator: IndicatorId::AccessRights,
                    points: 10.0,
                    counted: true,
                    blame: Blame::Source,
                    detail: Some(format!("distribution {k}")),
                }],
                _ => vec![
                    Fix {
                        indicator: IndicatorId::Keywords,
                        points: 30.0,
                        counted: true,
                        blame: Blame::Source,
                        detail: None,
                    },
                    Fix {
                        indicator: IndicatorId::TitleQuality,
                        points: 0.0,
                        counted: false,
                        blame: Blame::Source,
                        detail: None,
                    },
                ],
            },
        }
    }

    /// Spilled to many runs or held whole, the CSV is the one built from a full sort of
    /// the records to fix; a budget that spills nothing and one that spills every few
    /// records give the same bytes.
    #[test]
    fn the_csv_sorted_through_runs_is_the_csv_of_a_full_sort() {
        let records: Vec<RecordQuality> = (0..3_001).map(record).collect();
        let context = CsvContext {
            indicator: None,
            spill_dir: None,
            source_scores: HashMap::from([("a".into(), 55.0), ("b".into(), 72.5)]),
            origins: HashMap::from([("b".into(), RecordOrigin::Iso19139Mapping)]),
        };
        let mut expected = crate::api::quality::csv_head();
        for r in moisson_catalog::quality::records_to_fix(&records, None) {
            expected.push_str(&crate::api::quality::record_csv_lines(
                r,
                None,
                context.source_scores[&r.source],
                context.origins.get(&r.source).copied().unwrap_or_default(),
            ));
        }
        let folder = tempfile::tempdir().expect("temporary folder");
        let spill = folder.path().join("tmp");
        for budget in [usize::MAX, 4_096, 1] {
            let mut rows = SortedRows::new(budget, Some(spill.clone()));
            let mut got = crate::api::quality::csv_head();
            for r in &records {
                if r.is_to_fix(None) {
                    let lines = crate::api::quality::record_csv_lines(
                        r,
                        None,
                        context.source_scores[&r.source],
                        context.origins.get(&r.source).copied().unwrap_or_default(),
                    );
                    rows.push((Points(r.points), r.id.clone()), lines)
                        .expect("pushed");
                }
            }
            let spilled = rows.runs.len();
            rows.drain(|lines| {
                got.push_str(lines);
                Ok(())
            })
            .expect("drained");
            assert!(got == expected, "budget {budget}: {spilled} runs");
            if budget == 4_096 {
                assert!(spilled > 10, "{spilled} runs");
            }
            // Runs are anonymous files: nothing is left in the folder, during or after.
            if spill.is_dir() {
                assert_eq!(std::fs::read_dir(&spill).expect("listed").count(), 0);
            }
        }
        // The same through `write`, sent in chunks.
        let mut sent = String::new();
        write(
            &context,
            |each: &mut dyn FnMut(RecordQuality) -> Result<(), ExportError>| {
                records.iter().cloned().try_for_each(each)
            },
            &|| false,
            &mut |chunk| {
                sent.push_str(&chunk);
                Ok(())
            },
        )
        .expect("written");
        assert!(sent == expected);
        // A client that left stops the reading.
        let mut offered = 0;
        let stopped = write(
            &context,
            |each: &mut dyn FnMut(RecordQuality) -> Result<(), ExportError>| {
                records.iter().cloned().try_for_each(|r| {
                    offered += 1;
                    each(r)
                })
            },
            &|| true,
            &mut |_| panic!("nothing sent"),
        );
        assert!(matches!(stopped, Err(ExportError::Gone)), "{stopped:?}");
        assert_eq!(offered, 1_024);
    }
}
