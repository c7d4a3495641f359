//! The records of one demo source: datasets with their distributions, and data services.
//!
//! Record `index` of a source is a pure function of `(source, index, base_url)`: it draws
//! from its own random stream, so any page can be written alone and the same source
//! always gives the same record. About a quarter of the records carry [`Defect`]s.
//!
//! Duplicates: every 16th record of a DDT (from index 5) and every 20th record of a DREAL
//! (from index 9) are "shared" records whose identifier and title come from a stream
//! keyed by département and slot only, so a DREAL republishes, under its own IRI, records
//! of the DDTs of its région (slot `j` of a DDT is its record `16 j + 5`; DREALs use slots
//! 0 to 5, so a DDT with at least 86 records holds all the originals).

use super::context::{served_datasets, Context, DATASET_STREAM};
use super::prng::{days_from_civil, fnv1a, push_date, Prng};
use super::serializer::{Object, RdfWriter, Subject};
use super::territory::Place;
use super::topics::{
    FileFormat, Frequency, Licence, Topic, ACCESS_PUBLIC, EPSG_LAMBERT_93, ETALAB_2_0, FREQUENCIES,
    FREQUENCY_MONTHLY, FREQUENCY_WEEKLY, GENERIC_KEYWORDS, GENERIC_SENTENCES,
    INSPIRE_INTEROPERABILITY, LANGUAGE_ENG, LANGUAGE_FRA, LICENCES, OGC_WFS, OGC_WMS,
    SHORT_DESCRIPTIONS, TOPICS,
};
use super::vocab::*;
use std::fmt::Write as _;

/// "Today" for the demo, fixed so the output never depends on the clock: "recent"
/// modification dates are recent relative to 2026-10-01.
pub(super) const REFERENCE_DAY: i64 = days_from_civil(2026, 10, 1);

/// The record with this index, in every source that has it, carries an HTML
/// description with `<script>alert(1)</script>`.
pub(super) const SCRIPT_RECORD_INDEX: usize = 13;

const SERVICE_STREAM: u64 = 2;
const SHARED_STREAM: u64 = 3;

/// Percentage of records that carry at least one defect.
const DEFECTIVE_PERCENT: usize = 24;

/// A metadata defect a real catalogue shows; each keeps the document valid RDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Defect {
    MissingLicence,
    /// Modified years ago while the frequency says weekly or monthly.
    StaleDates,
    FutureDates,
    /// `dct:format "Shapefile"` instead of an EU file-type IRI.
    FreeTextFormat,
    MissingMediaType,
    /// The first distribution points under `broken/`, which the demo server answers 404.
    BrokenLink,
    MissingContact,
    ShortDescription,
    AllCapsTitle,
    /// A title such as `ZH_29_2019.shp`.
    FileNameTitle,
    /// `mailto:contact@example.com` or `mailto:xxx@xxx.fr`.
    PlaceholderEmail,
}

const DEFECT_WEIGHTS: [(Defect, u32); 11] = [
    (Defect::MissingLicence, 12),
    (Defect::StaleDates, 12),
    (Defect::FutureDates, 5),
    (Defect::FreeTextFormat, 12),
    (Defect::MissingMediaType, 8),
    (Defect::BrokenLink, 12),
    (Defect::MissingContact, 9),
    (Defect::ShortDescription, 9),
    (Defect::AllCapsTitle, 7),
    (Defect::FileNameTitle, 6),
    (Defect::PlaceholderEmail, 8),
];

/// The set of defects of one record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Defects(u16);

impl Defects {
    fn draw(rng: &mut Prng) -> Self {
        let mut defects = Self::default();
        if !rng.percent(DEFECTIVE_PERCENT) {
            return defects;
        }
        let count = 1 + usize::from(rng.percent(35)) + usize::from(rng.percent(10));
        for _ in 0..count {
            defects = defects.with(rng.pick_weighted(&DEFECT_WEIGHTS, |(_, weight)| *weight).0);
        }
        defects
    }

    fn with(self, defect: Defect) -> Self {
        Self(self.0 | 1 << defect as u16)
    }

    fn without(self, defect: Defect) -> Self {
        Self(self.0 & !(1 << defect as u16))
    }

    pub(super) fn contains(self, defect: Defect) -> bool {
        self.0 & 1 << defect as u16 != 0
    }

    #[cfg(test)]
    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What identifies a dataset and what it is about: drawn first, also used by services.
#[derive(Debug)]
pub(super) struct DatasetHead {
    pub(super) uuid: String,
    pub(super) identifier: String,
    pub(super) topic: &'static Topic,
    pub(super) base_title: &'static str,
    pub(super) place: Place,
    pub(super) title: String,
    pub(super) defects: Defects,
    pub(super) duplicate: bool,
}

impl DatasetHead {
    /// Draws the head of dataset `index` and returns it with the record's stream.
    pub(super) fn draw(context: &Context<'_>, index: usize) -> (Self, Prng) {
        let source = context.source;
        let mut rng = Prng::for_record(source.seed, DATASET_STREAM, index as u64);
        let uuid = rng.uuid();
        let mut defects = Defects::draw(&mut rng);
        let duplicate;
        let (topic, base_title, place, year, form, identifier);
        if let Some((departement, slot)) = context.shared_slot(index) {
            let mut shared = Prng::for_record(fnv1a(departement.code), SHARED_STREAM, slot);
            topic = pick_topic(&mut shared, departement.coastal);
            base_title = *shared.pick(topic.titles);
            place = Place::Departement(departement);
            year = shared.between(2012, 2026);
            form = shared.weighted(&[40, 20, 15, 10, 15]);
            identifier = shared.uuid();
            defects = defects
                .without(Defect::AllCapsTitle)
                .without(Defect::FileNameTitle);
            duplicate = true;
        } else {
            topic = pick_topic(&mut rng, context.has_coast());
            base_title = *rng.pick(topic.titles);
            place = context.pick_place(&mut rng, topic.coastal);
            year = rng.between(2012, 2026);
            form = rng.weighted(&[40, 20, 15, 10, 15]);
            identifier = match rng.below(100) {
                0..=54 => uuid.clone(),
                55..=79 => format!("fr-{}-{uuid}", context.siren),
                _ => {
                    let prefix = source.id.replace('-', "").to_ascii_uppercase();
                    format!("{prefix}_{}_{index:05}", topic.code)
                }
            };
            duplicate = false;
        }
        let title = if defects.contains(Defect::FileNameTitle) {
            let extension = rng.pick(&["shp", "zip", "xlsx", "gpkg", "csv"]);
            format!("{}_{}_{year}.{extension}", topic.code, place.code())
        } else {
            let title = compose_title(base_title, place, form, year);
            if defects.contains(Defect::AllCapsTitle) {
                title.to_uppercase()
            } else {
                title
            }
        };
        let head = Self {
            uuid,
            identifier,
            topic,
            base_title,
            place,
            title,
            defects,
            duplicate,
        };
        (head, rng)
    }
}

fn pick_topic(rng: &mut Prng, coast_allowed: bool) -> &'static Topic {
    let topic = rng.pick(TOPICS);
    if topic.coastal && !coast_allowed {
        &TOPICS[0]
    } else {
        topic
    }
}

fn compose_title(base_title: &str, place: Place, form: usize, year: i64) -> String {
    let mut title = String::with_capacity(base_title.len() + 40);
    let label = place.label();
    match (form, place) {
        (1, _) => {
            title.push_str(base_title);
            title.push(' ');
            place.push_of(&mut title);
        }
        (2, _) => push(&mut title, format_args!("{base_title} – {label} ({year})")),
        (3, Place::Departement(departement)) => {
            push(
                &mut title,
                format_args!("[{}] {base_title}", departement.code),
            );
        }
        (4, _) => {
            title.push_str(base_title);
            title.push_str(" sur le territoire ");
            place.push_of(&mut title);
        }
        _ => push(&mut title, format_args!("{base_title} – {label}")),
    }
    title
}

fn push(out: &mut String, args: std::fmt::Arguments<'_>) {
    out.write_fmt(args)
        .expect("formatting into a String cannot fail");
}

fn date(days: i64) -> String {
    let mut text = String::with_capacity(10);
    push_date(&mut text, days);
    text
}

#[derive(Debug)]
enum DistributionSubject {
    Iri(String),
    Blank(String),
    Nested,
}

#[derive(Debug)]
struct Distribution {
    format: FileFormat,
    subject: DistributionSubject,
    titled: bool,
    /// Carries the dataset's `dct:modified`.
    dated: bool,
    free_text_format: bool,
    media_type: bool,
    byte_size: Option<u64>,
    access_url: String,
    download_url: Option<String>,
}

/// Everything about a dataset that more than one part of its description depends on.
#[derive(Debug)]
struct Dataset {
    index: usize,
    head: DatasetHead,
    iri: String,
    frequency: &'static Frequency,
    licence: Option<&'static Licence>,
    issued: i64,
    modified: i64,
    multilingual: bool,
    distributions: Vec<Distribution>,
}

impl Dataset {
    fn draw(context: &Context<'_>, index: usize) -> (Self, Prng) {
        let (head, mut rng) = DatasetHead::draw(context, index);
        let defects = head.defects;
        let iri = context.dataset_iri_of(&head.uuid);
        let mut frequency = rng.pick_weighted(FREQUENCIES, |frequency| frequency.weight);
        let licence = rng.pick_weighted(LICENCES, |licence| licence.weight);
        let mut issued = rng.between(days_from_civil(2010, 1, 1), days_from_civil(2026, 1, 1));
        let mut modified = if frequency.period_days > 0 {
            REFERENCE_DAY - rng.between(0, frequency.period_days.min(700))
        } else {
            rng.between(issued, REFERENCE_DAY)
        };
        if defects.contains(Defect::StaleDates) {
            issued = rng.between(days_from_civil(2012, 1, 1), days_from_civil(2017, 1, 1));
            modified = issued + rng.between(0, 200);
            let stale = [FREQUENCY_WEEKLY, FREQUENCY_MONTHLY][rng.below(2)];
            frequency = FREQUENCIES
                .iter()
                .find(|f| f.iri == stale)
                .unwrap_or(frequency);
        }
        if defects.contains(Defect::FutureDates) {
            modified = rng.between(days_from_civil(2031, 1, 1), days_from_civil(2035, 1, 1));
        }
        // A revised catalogue updates `revision` datasets in every hundred: one day later
        // per revision (the rest of the record, drawn before, is unchanged).
        let revision = context.source.revision;
        if revision > 0 && (index % 100) < revision.min(100) as usize {
            modified += revision as i64;
        }
        issued = issued.min(modified);
        let multilingual = rng.percent(8);
        let mut dataset = Self {
            index,
            head,
            iri,
            frequency,
            licence: (!defects.contains(Defect::MissingLicence)).then_some(licence),
            issued,
            modified,
            multilingual,
            distributions: Vec::new(),
        };
        dataset.distributions = plan_distributions(context, &dataset, &mut rng);
        (dataset, rng)
    }
}

fn plan_distributions(
    context: &Context<'_>,
    dataset: &Dataset,
    rng: &mut Prng,
) -> Vec<Distribution> {
    let head = &dataset.head;
    let formats = head.topic.formats;
    let count = (1 + rng.weighted(&[35, 35, 20, 10])).min(formats.len());
    // A partial Fisher-Yates shuffle picks `count` distinct formats.
    let mut order: Vec<usize> = (0..formats.len()).collect();
    let folder = &head.uuid[..8];
    let layer = format!(
        "{}_{}",
        head.topic.code.to_ascii_lowercase(),
        head.place.code().to_ascii_lowercase()
    );
    let mut distributions = Vec::with_capacity(count);
    for k in 0..count {
        let swap = k + rng.below(order.len() - k);
        order.swap(k, swap);
        let format = formats[order[k]];
        let subject = match rng.below(100) {
            0..=49 => DistributionSubject::Iri(format!("{}/distribution/{}", dataset.iri, k + 1)),
            50..=74 => DistributionSubject::Blank(format!("d{}x{}", dataset.index, k + 1)),
            _ => DistributionSubject::Nested,
        };
        let broken = k == 0 && head.defects.contains(Defect::BrokenLink);
        let base = if broken {
            &context.broken
        } else {
            &context.files
        };
        let (access_url, download_url) = match (format.service(), format.extension()) {
            (Some(service), _) => {
                let url = format!(
                    "{base}geoserver/{layer}/ows?SERVICE={service}&REQUEST=GetCapabilities"
                );
                (url, None)
            }
            (None, extension) => {
                let extension = extension.unwrap_or("bin");
                let download = format!("{base}data/{folder}/{layer}.{extension}");
                let access = if rng.percent(50) {
                    download.clone()
                } else {
                    format!("{base}data/{folder}/")
                };
                (access, Some(download))
            }
        };
        distributions.push(Distribution {
            format,
            subject,
            titled: rng.percent(90),
            dated: rng.percent(40),
            free_text_format: head.defects.contains(Defect::FreeTextFormat)
                && (k == 0 || rng.percent(70)),
            media_type: !head.defects.contains(Defect::MissingMediaType),
            byte_size: rng
                .percent(70)
                .then(|| 2_000 + rng.below(250_000_000) as u64),
            access_url,
            download_url,
        });
    }
    distributions
}

/// Writes dataset `index` of the context's source: the dataset node, then its
/// distributions that are not nested in it.
pub(super) fn write_dataset(context: &Context<'_>, index: usize, writer: &mut RdfWriter) {
    let (dataset, mut rng) = Dataset::draw(context, index);
    writer.begin_node(Subject::Iri(&dataset.iri), &[DCAT_DATASET]);
    write_texts(context, &dataset, &mut rng, writer);
    writer.property(DCT_PUBLISHER, Object::Iri(&context.publisher_iri));
    write_contact(context, dataset.head.defects, &mut rng, writer);
    write_spatial(&dataset, &mut rng, writer);
    write_dates(&dataset, &mut rng, writer);
    write_access(context, &dataset, &mut rng, writer);
    write_hvd(&dataset, writer);
    for distribution in &dataset.distributions {
        match &distribution.subject {
            DistributionSubject::Iri(iri) => {
                writer.property(DCAT_DISTRIBUTION_LINK, Object::Iri(iri))
            }
            DistributionSubject::Blank(label) => {
                writer.property(DCAT_DISTRIBUTION_LINK, Object::Blank(label));
            }
            DistributionSubject::Nested => {
                writer.begin_nested(DCAT_DISTRIBUTION_LINK, DCAT_DISTRIBUTION);
                write_distribution(&dataset, distribution, writer);
                writer.end_nested();
            }
        }
    }
    writer.end_node();
    for distribution in &dataset.distributions {
        let subject = match &distribution.subject {
            DistributionSubject::Iri(iri) => Subject::Iri(iri),
            DistributionSubject::Blank(label) => Subject::Blank(label),
            DistributionSubject::Nested => continue,
        };
        writer.begin_node(subject, &[DCAT_DISTRIBUTION]);
        write_distribution(&dataset, distribution, writer);
        writer.end_node();
    }
}

/// Identifier, titles, descriptions, keywords and themes.
fn write_texts(context: &Context<'_>, dataset: &Dataset, rng: &mut Prng, writer: &mut RdfWriter) {
    let head = &dataset.head;
    writer.property(DCT_IDENTIFIER, Object::Plain(&head.identifier));
    let tagged = dataset.multilingual || rng.percent(75);
    writer.property(DCT_TITLE, french(&head.title, tagged));
    let english_title;
    if dataset.multilingual {
        english_title = format!("{} – {}", head.topic.english, head.place.label());
        writer.property(DCT_TITLE, Object::Lang(&english_title, "en"));
    }
    let description = describe(context, dataset, rng);
    writer.property(DCT_DESCRIPTION, french(&description, tagged));
    let english_description;
    if dataset.multilingual {
        english_description = format!(
            "This dataset describes {} in {}. Coordinate reference system: RGF93 / Lambert-93 (EPSG:2154).",
            head.topic.english.to_lowercase(),
            head.place.label()
        );
        writer.property(DCT_DESCRIPTION, Object::Lang(&english_description, "en"));
    }
    let keywords = head.topic.keywords;
    let mut order: Vec<usize> = (0..keywords.len()).collect();
    let count = rng.between(2, 6).min(keywords.len() as i64) as usize;
    for k in 0..count {
        let swap = k + rng.below(order.len() - k);
        order.swap(k, swap);
        writer.property(DCAT_KEYWORD, Object::Lang(keywords[order[k]], "fr"));
    }
    if rng.percent(40) {
        let keyword = *rng.pick(GENERIC_KEYWORDS);
        writer.property(DCAT_KEYWORD, Object::Lang(keyword, "fr"));
    }
    if rng.percent(25) {
        writer.property(DCAT_KEYWORD, Object::Lang(head.place.label(), "fr"));
    }
    let themes = head.topic.themes;
    let theme_count = if rng.percent(50) {
        themes.len().min(2)
    } else {
        1
    };
    for theme in &themes[..theme_count] {
        writer.property(DCAT_THEME, Object::Iri(theme));
    }
}

fn french(text: &str, tagged: bool) -> Object<'_> {
    if tagged {
        Object::Lang(text, "fr")
    } else {
        Object::Plain(text)
    }
}

fn describe(context: &Context<'_>, dataset: &Dataset, rng: &mut Prng) -> String {
    let head = &dataset.head;
    if head.defects.contains(Defect::ShortDescription) && dataset.index != SCRIPT_RECORD_INDEX {
        return (*rng.pick(SHORT_DESCRIPTIONS)).to_owned();
    }
    let topic = head.topic;
    let mut text = String::with_capacity(600);
    push(
        &mut text,
        format_args!(
            "Ce jeu de données {} « {} » sur le territoire ",
            topic.verb, head.base_title
        ),
    );
    head.place.push_of(&mut text);
    text.push('.');
    let paragraphs = rng.percent(25);
    let first = rng.below(topic.sentences.len());
    let sentences = 1 + rng.below(2).min(topic.sentences.len() - 1);
    for k in 0..sentences {
        text.push_str(if k == 0 && paragraphs { "\n\n" } else { " " });
        text.push_str(topic.sentences[(first + k) % topic.sentences.len()]);
    }
    text.push(' ');
    let closing_sentence = *rng.pick(GENERIC_SENTENCES);
    text.push_str(closing_sentence);
    push(
        &mut text,
        format_args!(" Mise à jour {}.", dataset.frequency.label),
    );
    if rng.percent(50) {
        push(
            &mut text,
            format_args!(" Producteur de la donnée : {}.", context.source.name),
        );
    }
    if let Some(licence) = dataset.licence.filter(|_| rng.percent(40)) {
        push(
            &mut text,
            format_args!(" Les données sont diffusées sous {}.", licence.label),
        );
    }
    if head.duplicate && context.source.publisher_kind == "DREAL" {
        text.push_str(
            " Fiche reprise du catalogue de la direction départementale des territoires.",
        );
    }
    if dataset.index == SCRIPT_RECORD_INDEX {
        text = format!(
            "<p>{text}</p><p>Voir la <a href=\"{}\">fiche</a>.</p><script>alert(1)</script>",
            context.files
        );
    }
    text
}

fn write_contact(context: &Context<'_>, defects: Defects, rng: &mut Prng, writer: &mut RdfWriter) {
    if defects.contains(Defect::MissingContact) {
        return;
    }
    let class = if rng.percent(70) {
        VCARD_KIND
    } else {
        VCARD_ORGANIZATION
    };
    let name = &context.source.name;
    let label = if rng.percent(60) {
        name.clone()
    } else {
        format!("Pôle connaissance des territoires – {name}")
    };
    let email = if defects.contains(Defect::PlaceholderEmail) {
        (*rng.pick(&["mailto:contact@example.com", "mailto:xxx@xxx.fr"])).to_owned()
    } else {
        let mailbox = rng.pick(&["geomatique", "sig", "donnees", "connaissance.territoires"]);
        format!("mailto:{mailbox}@{}", context.host)
    };
    writer.begin_nested(DCAT_CONTACT_POINT, class);
    writer.property(VCARD_FN, Object::Plain(&label));
    writer.property(VCARD_HAS_EMAIL, Object::Iri(&email));
    writer.end_nested();
}

fn write_spatial(dataset: &Dataset, rng: &mut Prng, writer: &mut RdfWriter) {
    let place = dataset.head.place;
    let mode = rng.below(100);
    if mode < 75 {
        let mut iri = String::with_capacity(48);
        place.push_insee_iri(&mut iri);
        writer.property(DCT_SPATIAL, Object::Iri(&iri));
        if let Place::Commune(departement, _) = place {
            if rng.percent(50) {
                iri.clear();
                Place::Departement(departement).push_insee_iri(&mut iri);
                writer.property(DCT_SPATIAL, Object::Iri(&iri));
            }
        }
    }
    if mode >= 35 {
        let (west, south, east, north) = place.bbox();
        let wkt = format!(
            "POLYGON(({west:.3} {south:.3}, {east:.3} {south:.3}, {east:.3} {north:.3}, \
             {west:.3} {north:.3}, {west:.3} {south:.3}))"
        );
        writer.begin_nested(DCT_SPATIAL, DCT_LOCATION);
        writer.property(DCAT_BBOX, Object::Typed(&wkt, GSP_WKT_LITERAL));
        writer.end_nested();
    }
}

fn write_dates(dataset: &Dataset, rng: &mut Prng, writer: &mut RdfWriter) {
    if rng.percent(60) {
        let start = rng.between(1995, 2024);
        writer.begin_nested(DCT_TEMPORAL, DCT_PERIOD_OF_TIME);
        writer.property(
            DCAT_START_DATE,
            Object::Typed(&format!("{start}-01-01"), XSD_DATE),
        );
        if rng.percent(60) {
            let end = (start + rng.between(0, 12)).min(2025);
            writer.property(
                DCAT_END_DATE,
                Object::Typed(&format!("{end}-12-31"), XSD_DATE),
            );
        }
        writer.end_nested();
    }
    writer.property(DCT_ISSUED, Object::Typed(&date(dataset.issued), XSD_DATE));
    writer.property(
        DCT_MODIFIED,
        Object::Typed(&date(dataset.modified), XSD_DATE),
    );
    writer.property(DCT_ACCRUAL_PERIODICITY, Object::Iri(dataset.frequency.iri));
}

/// Languages, access rights, standards and landing page.
fn write_access(context: &Context<'_>, dataset: &Dataset, rng: &mut Prng, writer: &mut RdfWriter) {
    writer.property(DCT_LANGUAGE, Object::Iri(LANGUAGE_FRA));
    if dataset.multilingual {
        writer.property(DCT_LANGUAGE, Object::Iri(LANGUAGE_ENG));
    }
    if rng.percent(85) {
        writer.property(DCT_ACCESS_RIGHTS, Object::Iri(ACCESS_PUBLIC));
    }
    if rng.percent(35) {
        writer.property(DCT_CONFORMS_TO, Object::Iri(INSPIRE_INTEROPERABILITY));
    }
    if rng.percent(15) {
        writer.property(DCT_CONFORMS_TO, Object::Iri(EPSG_LAMBERT_93));
    }
    if rng.percent(50) {
        let landing_page = format!("{}fiche/{}.html", context.files, dataset.head.uuid);
        writer.property(DCAT_LANDING_PAGE, Object::Iri(&landing_page));
    }
}

/// The EU high-value datasets regulation (Implementing Regulation (EU) 2023/138), its ELI.
const HVD_REGULATION: &str = "http://data.europa.eu/eli/reg_impl/2023/138/oj";

/// What a record says under the HVD regulation: its category IRI, and whether its
/// distributions cite the regulation too (DCAT-AP HVD requires it; a quarter of them
/// forget, a defect the HVD shapes report). One record in eight of the topics below claims
/// HVD, chosen by index so that no other record changes.
fn hvd_of(dataset: &Dataset) -> Option<(&'static str, bool)> {
    if dataset.index % 8 != 5 {
        return None;
    }
    let category = match dataset.head.topic.english {
        "Land cover and land take" | "Local land-use plan zoning" | "Coastline change" => {
            "http://data.europa.eu/bna/c_ac64a52d"
        }
        "Air quality monitoring"
        | "Strategic noise maps"
        | "Greenhouse gas emissions inventory"
        | "Rivers and water quality" => "http://data.europa.eu/bna/c_dd313021",
        "Energy consumption by municipality" => "http://data.europa.eu/bna/c_e1da4e07",
        _ => return None,
    };
    Some((category, (dataset.index / 8) % 4 != 1))
}

fn write_hvd(dataset: &Dataset, writer: &mut RdfWriter) {
    if let Some((category, _)) = hvd_of(dataset) {
        writer.property(DCATAP_APPLICABLE_LEGISLATION, Object::Iri(HVD_REGULATION));
        writer.property(DCATAP_HVD_CATEGORY, Object::Iri(category));
    }
}

fn write_distribution(dataset: &Dataset, distribution: &Distribution, writer: &mut RdfWriter) {
    if let Some((_, true)) = hvd_of(dataset) {
        writer.property(DCATAP_APPLICABLE_LEGISLATION, Object::Iri(HVD_REGULATION));
    }
    let format = distribution.format;
    if distribution.titled {
        writer.property(DCT_TITLE, Object::Lang(format.title(), "fr"));
    }
    writer.property(DCAT_ACCESS_URL, Object::Iri(&distribution.access_url));
    if let Some(download_url) = &distribution.download_url {
        writer.property(DCAT_DOWNLOAD_URL, Object::Iri(download_url));
    }
    if distribution.free_text_format {
        writer.property(DCT_FORMAT, Object::Plain(format.free_text()));
    } else {
        writer.property(DCT_FORMAT, Object::Iri(format.iri()));
    }
    if let Some(media_type) = format.media_type().filter(|_| distribution.media_type) {
        writer.property(DCAT_MEDIA_TYPE, Object::Iri(media_type));
    }
    if let Some(byte_size) = distribution
        .byte_size
        .filter(|_| format.extension().is_some())
    {
        writer.property(
            DCAT_BYTE_SIZE,
            Object::Typed(&byte_size.to_string(), XSD_NON_NEGATIVE_INTEGER),
        );
    }
    if let Some(licence) = dataset.licence {
        writer.property(DCT_LICENSE, Object::Iri(licence.iri));
    }
    if distribution.dated {
        writer.property(
            DCT_MODIFIED,
            Object::Typed(&date(dataset.modified), XSD_DATE),
        );
    }
}

/// Writes data service `index` of the context's source (a WMS or WFS endpoint serving a
/// few of the source's datasets).
pub(super) fn write_service(context: &Context<'_>, index: usize, writer: &mut RdfWriter) {
    let source = context.source;
    let served = served_datasets(source, index);
    let (head, _) = DatasetHead::draw(context, served.start);
    let mut rng = Prng::for_record(source.seed, SERVICE_STREAM, index as u64);
    let (format, standard) = if index.is_multiple_of(2) {
        (FileFormat::Wms, OGC_WMS)
    } else {
        (FileFormat::Wfs, OGC_WFS)
    };
    let service = format.service().unwrap_or("WMS");
    let layer = head.topic.code.to_ascii_lowercase();
    let endpoint = format!("{}geoserver/{layer}/ows", context.files);
    let title = format!("Service {service} – {}", head.base_title);
    let description = format!(
        "{} publiant les couches « {} » (producteur : {}).",
        format.title(),
        head.base_title,
        source.name
    );
    writer.begin_node(
        Subject::Iri(&context.service_iri(index)),
        &[DCAT_DATA_SERVICE],
    );
    writer.property(DCT_TITLE, Object::Lang(&title, "fr"));
    writer.property(DCT_DESCRIPTION, Object::Lang(&description, "fr"));
    writer.property(DCAT_KEYWORD, Object::Lang(service, "fr"));
    writer.property(DCAT_KEYWORD, Object::Lang(head.topic.keywords[0], "fr"));
    writer.property(DCAT_THEME, Object::Iri(head.topic.themes[0]));
    writer.property(DCT_PUBLISHER, Object::Iri(&context.publisher_iri));
    write_contact(context, Defects::default(), &mut rng, writer);
    writer.property(DCAT_ENDPOINT_URL, Object::Iri(&endpoint));
    let capabilities = format!("{endpoint}?SERVICE={service}&REQUEST=GetCapabilities");
    writer.property(DCAT_ENDPOINT_DESCRIPTION, Object::Iri(&capabilities));
    writer.property(DCT_CONFORMS_TO, Object::Iri(standard));
    writer.property(DCT_LICENSE, Object::Iri(ETALAB_2_0));
    writer.property(DCT_ACCESS_RIGHTS, Object::Iri(ACCESS_PUBLIC));
    for dataset in served {
        writer.property(
            DCAT_SERVES_DATASET,
            Object::Iri(&context.dataset_iri(dataset)),
        );
    }
    writer.end_node();
}

#[cfg(test)]
mod tests {
    use super::super::territory::DEPARTEMENTS;
    use super::super::{DemoFormat, DemoSource};
    use super::*;

    fn source(id: &str, kind: &str, territory: Option<&str>, datasets: usize) -> DemoSource {
        DemoSource {
            id: id.to_owned(),
            name: format!("Source {id}"),
            publisher_kind: kind.to_owned(),
            territory: territory.map(str::to_owned),
            format: DemoFormat::Turtle,
            page_size: None,
            datasets,
            seed: fnv1a(id),
            revision: 0,
        }
    }

    #[test]
    fn about_a_quarter_of_records_are_defective() {
        let source = source("ddt-29", "DDT", Some("29"), 2000);
        let context = Context::new(&source, "http://127.0.0.1:1/");
        let defective = (0..2000)
            .filter(|&index| !DatasetHead::draw(&context, index).0.defects.is_empty())
            .count();
        assert!(
            (400..=600).contains(&defective),
            "{defective} defective records of 2000"
        );
    }

    #[test]
    fn dreal_republishes_records_of_its_ddts() {
        let ddt = source("ddt-29", "DDT", Some("29"), 200);
        let dreal = source("dreal-bretagne", "DREAL", Some("53"), 500);
        let ddt_context = Context::new(&ddt, "http://127.0.0.1:1/");
        let dreal_context = Context::new(&dreal, "http://127.0.0.1:1/");
        let originals: Vec<(String, String)> = (0..ddt.datasets)
            .map(|index| DatasetHead::draw(&ddt_context, index).0)
            .filter(|head| head.duplicate)
            .map(|head| (head.identifier, head.title))
            .collect();
        let republished = (0..dreal.datasets)
            .map(|index| DatasetHead::draw(&dreal_context, index).0)
            .filter(|head| originals.contains(&(head.identifier.clone(), head.title.clone())))
            .count();
        assert!(republished >= 3, "only {republished} duplicates");
        assert_ne!(ddt_context.dataset_iri(5), dreal_context.dataset_iri(9));
    }

    #[test]
    fn a_revision_changes_one_dataset_in_a_hundred() {
        let first = source("ddt-29", "DDT", Some("29"), 1000);
        let revised = DemoSource {
            revision: 1,
            ..first.clone()
        };
        let (a, b) = (
            Context::new(&first, "http://127.0.0.1:1/"),
            Context::new(&revised, "http://127.0.0.1:1/"),
        );
        let changed: Vec<usize> = (0..1000)
            .filter(|&i| Dataset::draw(&a, i).0.modified != Dataset::draw(&b, i).0.modified)
            .collect();
        assert_eq!(changed.len(), 10);
        assert!(changed.iter().all(|i| i % 100 == 0), "{changed:?}");
        assert_eq!(Dataset::draw(&a, 7).0.iri, Dataset::draw(&b, 7).0.iri);
    }

    #[test]
    fn bracketed_titles_carry_the_departement_code() {
        let title = compose_title(
            "Zones humides effectives",
            Place::Departement(&DEPARTEMENTS[0]),
            3,
            2019,
        );
        assert_eq!(title, "[29] Zones humides effectives");
    }
}
