//! Moisson's demo: deterministic DCAT-AP and CSW catalogues of French environmental
//! metadata, and the loopback server that serves them. It is not harvesting: `moisson demo`,
//! the benchmarks and the tests harvest these catalogues through the ordinary fetch path.
//!
//! - The generator (this module and [`csw`], [`hostile`]): text only, no I/O besides the
//!   `std::io::Write` it is given.
//! - [`server`] — The loopback HTTP server of `moisson demo` (DCAT pages, files, broken links).
//! - [`csw_server`] — Its CSW 2.0.2 `GetRecords` endpoints.
//!
//! `moisson demo` serves [`default_sources`] over loopback HTTP and harvests them through
//! the ordinary fetch path; the benchmarks write one large source to a file with
//! [`DemoSource::write_whole`].
//!
//! # What a source holds
//!
//! Each page is one document holding a `dcat:Catalog` (title, publisher, `dcat:dataset`
//! links to the page's records), the publisher (`foaf:Agent`), the page's `dcat:Dataset`
//! records with 1 to 4 `dcat:Distribution`s each (IRI, labelled blank node or nested
//! blank node), and, on page 1, the source's `dcat:DataService`s. Paged sources add a
//! Hydra `hydra:PartialCollectionView` whose IRI is the absolute page URL, with
//! `hydra:first`, `hydra:last`, `hydra:previous`, `hydra:next` and `hydra:totalItems`.
//!
//! About a quarter of the records carry realistic defects (missing licence, stale or
//! future dates, free-text formats, broken links, placeholder e-mails, ALL-CAPS or
//! file-name titles…); DREALs republish some records of their DDTs under other IRIs with
//! the same `dct:identifier` and title; record 13 of each source has a description with
//! HTML and `<script>alert(1)</script>`; some records have `fr` and `en` literals.
//! Dates are relative to a fixed reference day, 2026-10-01, never to the clock.
//!
//! # URL conventions the demo server implements
//!
//! With `base_url` the absolute prefix the server answers under (e.g.
//! `http://127.0.0.1:41234/`), [`route`] maps a request to what to answer:
//!
//! | Path (after `base_url`)          | Answer                                             |
//! |----------------------------------|----------------------------------------------------|
//! | `{id}/catalog.{ext}`             | 200, page 1 ([`DemoSource::write_page`])           |
//! | `{id}/catalog.{ext}?page=N`      | 200, page N if `1 <= N <= page_count()`, else 404  |
//! | `files/…` (any depth and query)  | 200, any small body: the working links             |
//! | `broken/…` (any depth and query) | 404: the broken-link defect                        |
//! | anything else                    | 404                                                |
//!
//! Pages are served with [`DemoFormat::content_type`]. Distribution, landing page,
//! homepage and service endpoint URLs all live under `files/` or `broken/`; dataset,
//! catalogue and publisher IRIs use `*.example.org` hosts and are never dereferenced.
//!
//! # Invariants
//!
//! - The same [`DemoSource`] and `base_url` always give byte-identical output.
//! - Every document is syntactically valid RDF in its format, whatever the defects.
//! - Documents are streamed: memory stays bounded whatever the number of records.
//! - [`DemoSource::expected_dataset_count`] and [`DemoSource::expected_service_count`]
//!   count the distinct `dcat:Dataset` and `dcat:DataService` subjects of all pages.

mod context;
pub mod csw;
pub mod csw_server;
pub mod hostile;
mod prng;
mod record;
mod serializer;
pub mod server;
mod territory;
mod topics;
mod vocab;

use context::Context;
use record::REFERENCE_DAY;
use serializer::{Object, RdfWriter, Subject};
use std::borrow::Cow;
use std::io;
use std::ops::Range;
use topics::{ETALAB_2_0, LANGUAGE_FRA, THEME_TAXONOMY};
use vocab::*;

/// Number of datasets `moisson demo` spreads over [`default_sources`] by default.
pub const DEFAULT_TOTAL_DATASETS: usize = 5000;

/// Serialization a demo source is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoFormat {
    Turtle,
    RdfXml,
    JsonLd,
    NTriples,
}

impl DemoFormat {
    /// All formats, in a stable order.
    pub const ALL: [Self; 4] = [Self::Turtle, Self::RdfXml, Self::JsonLd, Self::NTriples];

    /// Returns the media type pages of this format are served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Turtle => "text/turtle",
            Self::RdfXml => "application/rdf+xml",
            Self::JsonLd => "application/ld+json",
            Self::NTriples => "application/n-triples",
        }
    }

    /// Returns the file extension of the catalogue path (`catalog.ttl`…).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Turtle => "ttl",
            Self::RdfXml => "rdf",
            Self::JsonLd => "jsonld",
            Self::NTriples => "nt",
        }
    }
}

/// One demo catalogue: a publisher, a format, a size and a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSource {
    /// `[a-z0-9-]+`, e.g. `ddt-29`; also the first segment of the source's paths.
    pub id: String,
    /// The publisher's name, e.g. "DDTM du Finistère".
    pub name: String,
    /// `DREAL`, `DDT`, `operator` or `agency`. DREALs republish records of their DDTs and
    /// publish a few data services; operators publish one data service per 4 datasets.
    pub publisher_kind: String,
    /// INSEE code of the territory the records are about: read as a département code for
    /// DDTs ("29") and as a région code otherwise ("53" is Bretagne); `None` is national.
    pub territory: Option<String>,
    pub format: DemoFormat,
    /// `Some(n)` serves the catalogue in Hydra pages of `n` datasets (`Some(0)` is unpaged).
    pub page_size: Option<usize>,
    pub datasets: usize,
    pub seed: u64,
    /// `0` for the catalogue as first published; `n` updates the `dct:modified` of `n`
    /// datasets in every hundred (benchmarks of incremental harvests and index updates).
    pub revision: u64,
}

/// Absolute page URLs of the Hydra view of one page.
struct PageLinks {
    view: String,
    first: String,
    last: String,
    previous: Option<String>,
    next: Option<String>,
}

impl DemoSource {
    fn effective_page_size(&self) -> Option<usize> {
        self.page_size.filter(|&size| size > 0)
    }

    /// Returns the number of pages: 1 when not paged (or empty).
    pub fn page_count(&self) -> usize {
        match self.effective_page_size() {
            Some(size) => self.datasets.div_ceil(size).max(1),
            None => 1,
        }
    }

    /// Returns the path, relative to `base_url`, page `page` (1-based) is served at:
    /// `ddt-29/catalog.ttl` for page 1, `ddt-29/catalog.ttl?page=2` after.
    pub fn page_path(&self, page: usize) -> String {
        let (id, extension) = (&self.id, self.format.extension());
        if page <= 1 {
            format!("{id}/catalog.{extension}")
        } else {
            format!("{id}/catalog.{extension}?page={page}")
        }
    }

    /// Returns the indices of the datasets on page `page` (1-based).
    pub fn page_datasets(&self, page: usize) -> Range<usize> {
        match self.effective_page_size() {
            Some(size) => {
                let start = page
                    .saturating_sub(1)
                    .saturating_mul(size)
                    .min(self.datasets);
                start..start.saturating_add(size).min(self.datasets)
            }
            None => 0..self.datasets,
        }
    }

    /// Writes page `page` (1-based) of this source's catalogue. `base_url` is the
    /// absolute URL prefix pages are served under (e.g. `http://127.0.0.1:41234/`), used
    /// for Hydra links and for the distribution URLs; a missing final `/` is added.
    ///
    /// Fails with `InvalidInput` when `page` is not in `1..=page_count()`, and with any
    /// error of `out`.
    pub fn write_page<W: io::Write>(
        &self,
        page: usize,
        base_url: &str,
        out: &mut W,
    ) -> io::Result<()> {
        let page_count = self.page_count();
        if page == 0 || page > page_count {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "page {page} of source {} is not in 1..={page_count}",
                    self.id
                ),
            ));
        }
        let base_url = normalize_base_url(base_url);
        let links = self.effective_page_size().map(|_| {
            let url = |page: usize| format!("{base_url}{}", self.page_path(page));
            PageLinks {
                view: url(page),
                first: url(1),
                last: url(page_count),
                previous: (page > 1).then(|| url(page - 1)),
                next: (page < page_count).then(|| url(page + 1)),
            }
        });
        let datasets = self.page_datasets(page);
        let services = if page == 1 {
            0..context::service_count(self)
        } else {
            0..0
        };
        self.write_document(datasets, services, links.as_ref(), &base_url, out)
    }

    /// Writes a document holding datasets `datasets` and data services `services` alone
    /// (with the catalogue and publisher nodes, no Hydra view), each as its page has it:
    /// for readers that regenerate one record at a time (`moisson bench-index`).
    pub fn write_records<W: io::Write>(
        &self,
        datasets: Range<usize>,
        services: Range<usize>,
        base_url: &str,
        out: &mut W,
    ) -> io::Result<()> {
        let base_url = normalize_base_url(base_url);
        self.write_document(datasets, services, None, &base_url, out)
    }

    /// Returns the IRI of dataset `index` (0-based).
    pub fn dataset_iri(&self, index: usize) -> String {
        Context::new(self, "/").dataset_iri(index)
    }

    /// Returns the IRI of data service `index` (0-based).
    pub fn service_iri(&self, index: usize) -> String {
        Context::new(self, "/").service_iri(index)
    }

    /// Writes the whole catalogue as one unpaged document, whatever `page_size` says
    /// (for benchmark files).
    pub fn write_whole<W: io::Write>(&self, base_url: &str, out: &mut W) -> io::Result<()> {
        let base_url = normalize_base_url(base_url);
        let services = 0..context::service_count(self);
        self.write_document(0..self.datasets, services, None, &base_url, out)
    }

    /// Returns the number of distinct `dcat:Dataset` subjects over all pages.
    pub fn expected_dataset_count(&self) -> usize {
        self.datasets
    }

    /// Returns the number of distinct `dcat:DataService` subjects over all pages.
    pub fn expected_service_count(&self) -> usize {
        context::service_count(self)
    }

    fn write_document<W: io::Write>(
        &self,
        datasets: Range<usize>,
        services: Range<usize>,
        links: Option<&PageLinks>,
        base_url: &str,
        out: &mut W,
    ) -> io::Result<()> {
        let context = Context::new(self, base_url);
        let mut writer = RdfWriter::new(self.format);
        self.write_catalog(
            &context,
            datasets.clone(),
            services.clone(),
            links,
            &mut writer,
            out,
        )?;
        writer.begin_node(
            Subject::Iri(&context.publisher_iri),
            &[FOAF_AGENT, FOAF_ORGANIZATION],
        );
        writer.property(FOAF_NAME, Object::Plain(&self.name));
        writer.end_node();
        if let Some(links) = links {
            write_view(self.datasets, links, &mut writer);
        }
        for index in services {
            record::write_service(&context, index, &mut writer);
            writer.flush_if_full(out)?;
        }
        for index in datasets {
            record::write_dataset(&context, index, &mut writer);
            writer.flush_if_full(out)?;
        }
        writer.finish(out)
    }

    fn write_catalog<W: io::Write>(
        &self,
        context: &Context<'_>,
        datasets: Range<usize>,
        services: Range<usize>,
        links: Option<&PageLinks>,
        writer: &mut RdfWriter,
        out: &mut W,
    ) -> io::Result<()> {
        let classes: &[_] = if links.is_some() {
            &[DCAT_CATALOG, HYDRA_COLLECTION]
        } else {
            &[DCAT_CATALOG]
        };
        writer.begin_node(Subject::Iri(&context.catalog_iri), classes);
        let title = format!("Catalogue de données – {}", self.name);
        writer.property(DCT_TITLE, Object::Lang(&title, "fr"));
        let description = format!(
            "Données environnementales et territoriales du producteur « {} » : eau, \
             biodiversité, risques, énergie, climat et urbanisme. Catalogue de démonstration \
             généré pour Moisson.",
            self.name
        );
        writer.property(DCT_DESCRIPTION, Object::Lang(&description, "fr"));
        writer.property(DCT_PUBLISHER, Object::Iri(&context.publisher_iri));
        writer.property(DCT_LANGUAGE, Object::Iri(LANGUAGE_FRA));
        writer.property(FOAF_HOMEPAGE, Object::Iri(&context.files));
        writer.property(DCT_ISSUED, Object::Typed("2018-03-01", XSD_DATE));
        let mut modified = String::new();
        prng::push_date(&mut modified, REFERENCE_DAY);
        writer.property(DCT_MODIFIED, Object::Typed(&modified, XSD_DATE));
        writer.property(DCT_LICENSE, Object::Iri(ETALAB_2_0));
        writer.property(DCAT_THEME_TAXONOMY, Object::Iri(THEME_TAXONOMY));
        if let Some(links) = links {
            let total = self.datasets.to_string();
            writer.property(HYDRA_TOTAL_ITEMS, Object::Typed(&total, XSD_INTEGER));
            writer.property(HYDRA_VIEW, Object::Iri(&links.view));
        }
        for index in datasets {
            writer.property(DCAT_DATASET_LINK, Object::Iri(&context.dataset_iri(index)));
            writer.flush_if_full(out)?;
        }
        for index in services {
            writer.property(DCAT_SERVICE_LINK, Object::Iri(&context.service_iri(index)));
        }
        writer.end_node();
        Ok(())
    }
}

fn write_view(total: usize, links: &PageLinks, writer: &mut RdfWriter) {
    writer.begin_node(Subject::Iri(&links.view), &[HYDRA_PARTIAL_COLLECTION_VIEW]);
    writer.property(HYDRA_FIRST, Object::Iri(&links.first));
    writer.property(HYDRA_LAST, Object::Iri(&links.last));
    if let Some(previous) = &links.previous {
        writer.property(HYDRA_PREVIOUS, Object::Iri(previous));
    }
    if let Some(next) = &links.next {
        writer.property(HYDRA_NEXT, Object::Iri(next));
    }
    writer.property(
        HYDRA_TOTAL_ITEMS,
        Object::Typed(&total.to_string(), XSD_INTEGER),
    );
    writer.end_node();
}

fn normalize_base_url(base_url: &str) -> Cow<'_, str> {
    if base_url.ends_with('/') {
        Cow::Borrowed(base_url)
    } else {
        Cow::Owned(format!("{base_url}/"))
    }
}

struct Preset {
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    territory: Option<&'static str>,
    format: DemoFormat,
    page_size: Option<usize>,
    /// Share of the total, in percent.
    weight: usize,
}

#[rustfmt::skip]
const PRESETS: [Preset; 10] = [
    Preset { id: "ddt-29", name: "DDTM du Finistère", kind: "DDT", territory: Some("29"), format: DemoFormat::Turtle, page_size: Some(200), weight: 14 },
    Preset { id: "ddt-35", name: "DDTM d'Ille-et-Vilaine", kind: "DDT", territory: Some("35"), format: DemoFormat::RdfXml, page_size: None, weight: 9 },
    Preset { id: "ddt-56", name: "DDTM du Morbihan", kind: "DDT", territory: Some("56"), format: DemoFormat::NTriples, page_size: None, weight: 9 },
    Preset { id: "dreal-bretagne", name: "DREAL Bretagne", kind: "DREAL", territory: Some("53"), format: DemoFormat::JsonLd, page_size: Some(150), weight: 13 },
    Preset { id: "ddt-34", name: "DDTM de l'Hérault", kind: "DDT", territory: Some("34"), format: DemoFormat::JsonLd, page_size: None, weight: 9 },
    Preset { id: "dreal-occitanie", name: "DREAL Occitanie", kind: "DREAL", territory: Some("76"), format: DemoFormat::Turtle, page_size: None, weight: 11 },
    Preset { id: "ddt-69", name: "DDT du Rhône", kind: "DDT", territory: Some("69"), format: DemoFormat::RdfXml, page_size: Some(100), weight: 9 },
    Preset { id: "ofb", name: "Office français de la biodiversité (OFB)", kind: "agency", territory: None, format: DemoFormat::NTriples, page_size: None, weight: 10 },
    Preset { id: "oeb", name: "Observatoire de l'environnement en Bretagne (OEB)", kind: "agency", territory: Some("53"), format: DemoFormat::RdfXml, page_size: None, weight: 8 },
    Preset { id: "brgm", name: "BRGM – services cartographiques", kind: "operator", territory: None, format: DemoFormat::Turtle, page_size: None, weight: 8 },
];

/// Returns the default demo: ten sources (five DDTs, two DREALs, two agencies and a
/// services-heavy operator) in every format, three of them Hydra-paged, splitting
/// `total_datasets` between them (by fixed shares; the sum is exact).
pub fn default_sources(total_datasets: usize) -> Vec<DemoSource> {
    let weights: usize = PRESETS.iter().map(|preset| preset.weight).sum();
    let share =
        |weight: usize| (total_datasets as u128 * weight as u128 / weights as u128) as usize;
    let mut left = total_datasets
        - PRESETS
            .iter()
            .map(|preset| share(preset.weight))
            .sum::<usize>();
    let mut sources = Vec::with_capacity(PRESETS.len());
    for preset in &PRESETS {
        // Flooring loses less than one dataset per source: hand those out in order.
        let extra = usize::from(left > 0);
        left -= extra;
        sources.push(DemoSource {
            id: preset.id.to_owned(),
            name: preset.name.to_owned(),
            publisher_kind: preset.kind.to_owned(),
            territory: preset.territory.map(str::to_owned),
            format: preset.format,
            page_size: preset.page_size,
            datasets: share(preset.weight) + extra,
            seed: prng::fnv1a(preset.id),
            revision: 0,
        });
    }
    sources
}

/// Returns a single unpaged DREAL source of `datasets` records in `format`, with data
/// services and duplicates, for benchmark files written with [`DemoSource::write_whole`].
pub fn benchmark_source(datasets: usize, format: DemoFormat) -> DemoSource {
    DemoSource {
        id: "dreal-bretagne".to_owned(),
        name: "DREAL Bretagne".to_owned(),
        publisher_kind: "DREAL".to_owned(),
        territory: Some("53".to_owned()),
        format,
        page_size: None,
        datasets,
        seed: prng::fnv1a("dreal-bretagne"),
        revision: 0,
    }
}

/// What the demo server answers to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRoute<'a> {
    /// 200 with [`DemoSource::write_page`] and the format's content type.
    Page { source: &'a DemoSource, page: usize },
    /// 200 with any small body: a working distribution or landing page link.
    File,
    /// 404: a broken link, on purpose.
    Broken,
    /// 404.
    NotFound,
}

/// Returns what to answer to a request for `path` (with or without its leading `/`,
/// relative to `base_url`) and `query` (without `?`), following the module's URL
/// conventions.
pub fn route<'a>(sources: &'a [DemoSource], path: &str, query: Option<&str>) -> DemoRoute<'a> {
    let path = path.trim_start_matches('/');
    if path.starts_with("files/") {
        return DemoRoute::File;
    }
    if path.starts_with("broken/") {
        return DemoRoute::Broken;
    }
    let Some((id, file)) = path.split_once('/') else {
        return DemoRoute::NotFound;
    };
    let Some(source) = sources.iter().find(|source| {
        source.id == id
            && file
                .strip_prefix("catalog.")
                .is_some_and(|extension| extension == source.format.extension())
    }) else {
        return DemoRoute::NotFound;
    };
    let page = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("page="))
        .map_or(Some(1), |value| value.parse::<usize>().ok());
    match page {
        Some(page) if (1..=source.page_count()).contains(&page) => DemoRoute::Page { source, page },
        _ => DemoRoute::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:41234/";

    fn page_text(source: &DemoSource, page: usize) -> String {
        let mut out = Vec::new();
        source
            .write_page(page, BASE, &mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("pages are UTF-8")
    }

    /// Counts distinct subjects typed `class` in N-Triples text.
    fn typed_subjects(text: &str, class: &str) -> std::collections::BTreeSet<String> {
        let suffix = format!(" <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{class}> .");
        text.lines()
            .filter_map(|line| line.strip_suffix(suffix.as_str()))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn default_sources_split_the_total_exactly() {
        for total in [0, 1, 7, 99, 5000, 100_003] {
            let sources = default_sources(total);
            assert_eq!(
                sources.iter().map(|source| source.datasets).sum::<usize>(),
                total
            );
        }
    }

    #[test]
    fn default_sources_cover_formats_and_paging() {
        let sources = default_sources(DEFAULT_TOTAL_DATASETS);
        assert!(sources.len() >= 8);
        for format in DemoFormat::ALL {
            assert!(
                sources.iter().any(|source| source.format == format),
                "{format:?}"
            );
        }
        let paged: Vec<_> = sources
            .iter()
            .filter(|source| source.page_count() > 1)
            .collect();
        assert!(paged.len() >= 2);
        assert!(paged
            .iter()
            .any(|source| source.format == DemoFormat::Turtle));
        assert!(paged
            .iter()
            .any(|source| source.format != DemoFormat::Turtle));
        assert!(sources
            .iter()
            .any(|source| source.expected_service_count() > 0));
        let mut ids: Vec<_> = sources.iter().map(|source| source.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), sources.len());
        for id in ids {
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
    }

    #[test]
    fn pages_split_the_datasets() {
        let mut source = default_sources(5000).remove(0);
        source.datasets = 1001;
        source.page_size = Some(250);
        assert_eq!(source.page_count(), 5);
        assert_eq!(source.page_datasets(5), 1000..1001);
        assert_eq!(source.page_path(1), "ddt-29/catalog.ttl");
        assert_eq!(source.page_path(3), "ddt-29/catalog.ttl?page=3");
        source.datasets = 1000;
        assert_eq!(source.page_count(), 4);
        source.datasets = 0;
        assert_eq!(source.page_count(), 1);
        assert_eq!(source.page_datasets(1), 0..0);
        source.page_size = None;
        source.datasets = 1000;
        assert_eq!(source.page_count(), 1);
        assert!(source.write_page(2, BASE, &mut Vec::new()).is_err());
        assert!(source.write_page(0, BASE, &mut Vec::new()).is_err());
    }

    #[test]
    fn base_url_gets_its_final_slash() {
        let source = &default_sources(40)[0];
        let mut without_slash = Vec::new();
        source
            .write_page(1, "http://127.0.0.1:41234", &mut without_slash)
            .expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(without_slash).ok(),
            Some(page_text(source, 1))
        );
    }

    #[test]
    fn output_is_deterministic() {
        for source in default_sources(300) {
            assert_eq!(
                page_text(&source, 1),
                page_text(&source, 1),
                "{}",
                source.id
            );
        }
    }

    #[test]
    fn ntriples_pages_hold_the_expected_subjects() {
        for mut source in default_sources(400) {
            source.format = DemoFormat::NTriples;
            let mut datasets = std::collections::BTreeSet::new();
            let mut services = std::collections::BTreeSet::new();
            for page in 1..=source.page_count() {
                let text = page_text(&source, page);
                datasets.extend(typed_subjects(&text, "http://www.w3.org/ns/dcat#Dataset"));
                services.extend(typed_subjects(
                    &text,
                    "http://www.w3.org/ns/dcat#DataService",
                ));
            }
            assert_eq!(
                datasets.len(),
                source.expected_dataset_count(),
                "{}",
                source.id
            );
            assert_eq!(
                services.len(),
                source.expected_service_count(),
                "{}",
                source.id
            );
        }
    }

    #[test]
    fn paged_sources_link_their_pages() {
        let source = default_sources(5000).remove(0);
        assert!(source.page_count() > 2);
        let text = page_text(&source, 2);
        assert!(text.contains(
            "<http://127.0.0.1:41234/ddt-29/catalog.ttl?page=2> a hydra:PartialCollectionView"
        ));
        assert!(text.contains("hydra:previous <http://127.0.0.1:41234/ddt-29/catalog.ttl>"));
        assert!(text.contains("hydra:next <http://127.0.0.1:41234/ddt-29/catalog.ttl?page=3>"));
    }

    #[test]
    fn links_point_under_files_or_broken() {
        let source = default_sources(2000).remove(1);
        let text = page_text(&source, 1);
        assert!(text.contains("http://127.0.0.1:41234/files/ddt-35/"));
        assert!(text.contains("http://127.0.0.1:41234/broken/ddt-35/"));
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn routes_follow_the_url_conventions() {
        let sources = default_sources(5000);
        let first = &sources[0];
        assert_eq!(
            route(&sources, "/ddt-29/catalog.ttl", None),
            DemoRoute::Page {
                source: first,
                page: 1
            }
        );
        assert_eq!(
            route(&sources, "ddt-29/catalog.ttl", Some("page=3")),
            DemoRoute::Page {
                source: first,
                page: 3
            }
        );
        assert_eq!(
            route(&sources, "/ddt-29/catalog.ttl", Some("page=99")),
            DemoRoute::NotFound
        );
        assert_eq!(
            route(&sources, "/ddt-29/catalog.rdf", None),
            DemoRoute::NotFound
        );
        assert_eq!(
            route(&sources, "/files/ddt-29/data/x.zip", None),
            DemoRoute::File
        );
        assert_eq!(
            route(&sources, "/broken/ddt-29/data/x.zip", None),
            DemoRoute::Broken
        );
        assert_eq!(route(&sources, "/nope", None), DemoRoute::NotFound);
    }
}
