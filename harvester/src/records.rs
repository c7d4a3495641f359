//! From the triples of one page to records: a record is one `dcat:Dataset`,
//! `dcat:DataService` or `dcat:DatasetSeries` with the closure of what describes it
//! (distributions, agents, contact points, locations, blank nodes, its catalog record).
//!
//! Invariants:
//! - The page's triples are held once, interned (three `u32` per triple).
//! - Blank nodes get skolem IRIs derived from the record and their own content, so an
//!   unchanged record gets the same triples and the same content hash on every harvest.
//! - The content hash does not depend on triple order or on blank node labels.
//! - No literal or IRI longer than `max_literal_bytes` enters the page graph; each one
//!   left out becomes a warning of the record that would have held it.
//! - The records of a page hold at most `max_expansion_ratio` times the page's triples
//!   (a node shared by many records is copied into each): past that budget, the records
//!   that would copy more are rejected, so a small page cannot fill the store.

use oxigraph::model::{
    NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple, TripleRef,
};
use std::collections::{HashMap, HashSet};

use moisson_catalog::vocab::{dcat, dct, foaf, hydra, moisson, rdf};
use moisson_catalog::RecordKind;

use crate::limits::ParseLimits;
use crate::terms::TermTable;

/// Most triples one record may hold; larger records are rejected.
pub const MAX_RECORD_TRIPLES: usize = 20_000;

type Hash128 = [u8; 16];

/// Notes kept of the triples left out of one page for an over-long term.
const MAX_DROPPED_NOTES: usize = 1000;

/// The triples of one page, interned.
#[derive(Default)]
pub struct PageGraph {
    terms: TermTable,
    triples: Vec<[u32; 3]>,
    /// Triples left out for an over-long term: (subject id when kept, message).
    dropped: Vec<(Option<u32>, String)>,
    /// Triples left out, counting those beyond the notes kept.
    dropped_total: usize,
    /// Set when the triples are grouped into records.
    grouping: Grouping,
    /// The id of the subject of the last triple added or left out (`None` when that
    /// subject was too long to be kept): a page describes a subject in a run of triples,
    /// so most subjects are found here without a lookup.
    last_subject: Option<u32>,
}

/// Bit of [`Grouping::flags`]: the term is a record's root.
const ROOT: u8 = 1;
/// Bit of [`Grouping::flags`]: the term is the catalogue or a paging node, which records
/// never absorb.
const STRUCTURAL: u8 = 2;

/// What grouping knows of each term of a page: 9 bytes a term, where hash maps keyed by
/// subject took about 60.
#[derive(Default)]
struct Grouping {
    /// Subject `s`'s triples are `triples[first[s]..first[s + 1]]` (the triples sorted).
    first: Vec<usize>,
    /// [`ROOT`] and [`STRUCTURAL`] bits of each term.
    flags: Vec<u8>,
}

impl PageGraph {
    /// Returns an empty page graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns an empty page graph to be appended to this one ([`Self::append`]).
    pub fn joinable(&self) -> Self {
        Self {
            terms: crate::terms::TermTable::with_hasher(self.terms.hasher().clone()),
            ..Self::default()
        }
    }

    fn intern(&mut self, term: TermRef<'_>) -> u32 {
        self.terms.intern(term)
    }

    /// Adds a triple.
    pub fn push(&mut self, triple: Triple) {
        let s = self.subject_of(&triple.subject);
        let p = self.intern(triple.predicate.as_ref().into());
        let o = self.intern(triple.object.as_ref());
        self.triples.push([s, p, o]);
    }

    /// The id of `subject`, interned.
    fn subject_of(&mut self, subject: &NamedOrBlankNode) -> u32 {
        if let Some(id) = self
            .last_subject
            .filter(|&id| self.terms.is_subject(id, subject.as_ref()))
        {
            return id;
        }
        let id = self.intern(subject.as_ref().into());
        self.last_subject = Some(id);
        id
    }

    /// The id of the subject of the last triple added or left out, when it was kept.
    pub fn last_subject(&self) -> Option<u32> {
        self.last_subject
    }

    /// Adds a triple unless one of its terms is longer than `max_term_bytes` (a literal's
    /// value or an IRI, in UTF-8 bytes); a triple left out is noted for a warning of the
    /// record holding its subject, and false is returned.
    pub fn push_within(&mut self, triple: Triple, max_term_bytes: usize) -> bool {
        let subject_len = match &triple.subject {
            NamedOrBlankNode::NamedNode(n) => n.as_str().len(),
            NamedOrBlankNode::BlankNode(b) => b.as_str().len(),
        };
        let (what, len) = match &triple.object {
            Term::Literal(l) => ("littéral", l.value().len()),
            Term::NamedNode(n) => ("IRI d'objet", n.as_str().len()),
            Term::BlankNode(b) => ("nœud anonyme", b.as_str().len()),
        };
        let (what, len) = [
            (what, len),
            ("IRI de sujet", subject_len),
            ("IRI de propriété", triple.predicate.as_str().len()),
        ]
        .into_iter()
        .max_by_key(|(_, len)| *len)
        .unwrap_or((what, len));
        if len <= max_term_bytes {
            self.push(triple);
            return true;
        }
        self.dropped_total += 1;
        let subject = (subject_len <= max_term_bytes).then(|| self.subject_of(&triple.subject));
        if subject.is_none() {
            self.last_subject = None;
        }
        if self.dropped.len() < MAX_DROPPED_NOTES {
            let predicate: String = triple.predicate.as_str().chars().take(200).collect();
            self.dropped.push((
                subject,
                format!(
                    "triplet ignoré pour <{predicate}> : son {what} fait {len} octets, plus que la limite max_literal_bytes ({max_term_bytes} octets) ; il n'est pas enregistré"
                ),
            ));
        }
        false
    }

    /// Adds the triples of `other` (a later part of the same page, parsed apart) after
    /// those of `self`: its terms get the ids a parse of the whole page would have given
    /// them (in order of first use), and what it left out is noted as if read here.
    /// A graph made by [`Self::joinable`] from this one is joined without hashing its
    /// terms again; any other is joined too, hashing them.
    pub fn append(&mut self, other: PageGraph) {
        let ids = self.terms.append(&other.terms);
        self.triples.reserve(other.triples.len());
        self.triples.extend(
            other
                .triples
                .iter()
                .map(|&[s, p, o]| [ids[s as usize], ids[p as usize], ids[o as usize]]),
        );
        for (subject, message) in other.dropped {
            if self.dropped.len() < MAX_DROPPED_NOTES {
                self.dropped
                    .push((subject.map(|s| ids[s as usize]), message));
            }
        }
        self.dropped_total += other.dropped_total;
    }

    /// Returns how many triples were left out for an over-long term.
    pub fn dropped_count(&self) -> usize {
        self.dropped_total
    }

    /// Returns the number of distinct terms.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// Returns the number of triples added.
    pub fn len(&self) -> usize {
        self.triples.len()
    }

    /// Returns true when no triple was added.
    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    fn id_of_iri(&self, iri: &str) -> Option<u32> {
        self.terms.iri_id(iri)
    }

    pub(crate) fn term(&self, id: u32) -> TermRef<'_> {
        self.terms.get(id)
    }

    /// The triples of subject `s` (none before grouping).
    fn range(&self, s: u32) -> &[[u32; 3]] {
        let first = &self.grouping.first;
        match (first.get(s as usize), first.get(s as usize + 1)) {
            (Some(&start), Some(&end)) => &self.triples[start..end],
            _ => &[],
        }
    }

    fn flagged(&self, id: u32, flag: u8) -> bool {
        self.grouping
            .flags
            .get(id as usize)
            .is_some_and(|f| f & flag != 0)
    }

    /// The triples of `node` in the record of root `root`: a shared described node (an
    /// agent, a concept) keeps only what describes it, not its links to other records.
    fn node_triples(&self, root: u32, node: u32) -> impl Iterator<Item = [u32; 3]> + '_ {
        let shared_iri = node != root && self.terms.is_iri(node);
        self.range(node)
            .iter()
            .copied()
            .filter(move |t| !(shared_iri && t[2] != root && self.flagged(t[2], ROOT)))
    }

    /// Returns the id of the subject term `subject` if it appears in the page.
    pub fn subject_id(&self, subject: &NamedOrBlankNode) -> Option<u32> {
        self.terms.id_of(subject.as_ref().into())
    }
}

/// One record found in a page.
pub struct ExtractedRecord {
    /// The record IRI (a skolem IRI when the record is a blank node).
    pub iri: String,
    /// What it describes.
    pub kind: RecordKind,
    /// Content hash, hex.
    pub hash: String,
    /// The record's root in the page graph.
    root: u32,
    /// The nodes of the page graph whose triples the record holds, in the order they are
    /// read (see [`PageGraph::node_triples`]): the record's triples are read from the page
    /// graph again when needed, never copied per record.
    nodes: Vec<u32>,
    /// The record's blank nodes and the hash their skolem IRI is made of, sorted.
    skolem: Vec<(u32, Hash128)>,
    /// Number of triples.
    triple_count: usize,
}

/// A record that could not be taken, and why.
pub struct RejectedRecord {
    /// The record IRI (or blank node label).
    pub iri: String,
    /// Why.
    pub message: String,
}

/// What a page holds besides its records: paging links and counts.
#[derive(Debug, Default, Clone)]
pub struct PageLinks {
    /// `hydra:next` / `hydra:nextPage` values (IRIs or literals), unresolved.
    pub next: Vec<(Option<String>, String)>,
    /// `hydra:totalItems`, when given.
    pub total_items: Option<u64>,
}

/// A warning about one record (or a subject outside any record) of a page.
pub struct RecordWarning {
    /// The record IRI, or the subject (N-Triples) when no record holds it.
    pub iri: String,
    /// What was left out and why, for the producer (French).
    pub message: String,
}

/// The records of one page.
pub struct PageRecords {
    /// Records taken.
    pub records: Vec<ExtractedRecord>,
    /// Records rejected.
    pub rejected: Vec<RejectedRecord>,
    /// What was left out of the records taken.
    pub warnings: Vec<RecordWarning>,
    /// Paging links.
    pub links: PageLinks,
}

impl ExtractedRecord {
    /// The record's triples, with term ids of the page graph (blank nodes still blank).
    fn triples<'a>(&'a self, graph: &'a PageGraph) -> impl Iterator<Item = [u32; 3]> + 'a {
        self.nodes
            .iter()
            .flat_map(move |&n| graph.node_triples(self.root, n))
    }

    /// Returns the record's triples with blank nodes replaced by their skolem IRIs.
    pub fn materialize(&self, graph: &PageGraph) -> Vec<Triple> {
        self.with_triples(graph, |triples| {
            triples.iter().map(|t| t.into_owned()).collect()
        })
    }

    /// Calls `f` with the record's triples, borrowed from `graph` (only its blank nodes'
    /// skolem IRIs are built): the same triples in the same order as [`Self::materialize`],
    /// without an owned copy of each term.
    pub fn with_triples<T>(&self, graph: &PageGraph, f: impl FnOnce(&[TripleRef<'_>]) -> T) -> T {
        let skolem: Vec<NamedNode> = self.skolem.iter().map(|(_, h)| skolem_iri(h)).collect();
        let term = |id: u32| -> TermRef<'_> {
            match self.skolem.binary_search_by_key(&id, |(b, _)| *b) {
                Ok(k) => skolem[k].as_ref().into(),
                Err(_) => graph.term(id),
            }
        };
        let mut out = Vec::with_capacity(self.triple_count);
        for [s, p, o] in self.triples(graph) {
            let subject = match term(s) {
                TermRef::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n),
                TermRef::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b),
                TermRef::Literal(_) => continue,
            };
            let TermRef::NamedNode(predicate) = graph.term(p) else {
                continue;
            };
            out.push(TripleRef::new(subject, predicate, term(o)));
        }
        f(&out)
    }

    /// Returns the record's literals whose lexical form does not match their XSD datatype,
    /// described as `"2010-01-35"^^xsd:date for <predicate>`.
    pub fn ill_typed_literals(&self, graph: &PageGraph) -> Vec<String> {
        let mut out = Vec::new();
        for [_, p, o] in self.triples(graph) {
            if let TermRef::Literal(l) = graph.term(o) {
                if !lexical_form_is_valid(l.datatype().as_str(), l.value()) {
                    let local = l
                        .datatype()
                        .as_str()
                        .rsplit('#')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    out.push(format!(
                        "{:?}^^xsd:{local} for {}",
                        l.value(),
                        graph.term(p)
                    ));
                }
            }
        }
        out
    }

    /// Returns the number of triples of the record.
    pub fn len(&self) -> usize {
        self.triple_count
    }

    /// Returns true when the record holds no triple.
    pub fn is_empty(&self) -> bool {
        self.triple_count == 0
    }
}

/// Ids of the vocabulary terms grouping needs (absent from the page when `None`).
struct Ids {
    rdf_type: Option<u32>,
    dataset: Option<u32>,
    service: Option<u32>,
    series: Option<u32>,
    catalog: Option<u32>,
    primary_topic: Option<u32>,
    identifier: Option<u32>,
    hydra_types: Vec<u32>,
    hydra_next: Vec<u32>,
    hydra_total: Vec<u32>,
    catalog_links: Vec<u32>,
}

impl Ids {
    fn new(g: &PageGraph) -> Self {
        let ids = |iris: &[&str]| {
            iris.iter()
                .filter_map(|i| g.id_of_iri(i))
                .collect::<Vec<_>>()
        };
        let legacy = |local: &str| format!("{}{local}", hydra::NS_LEGACY);
        Self {
            rdf_type: g.id_of_iri(rdf::TYPE),
            dataset: g.id_of_iri(dcat::DATASET),
            service: g.id_of_iri(dcat::DATA_SERVICE),
            series: g.id_of_iri(dcat::DATASET_SERIES),
            catalog: g.id_of_iri(dcat::CATALOG),
            primary_topic: g.id_of_iri(foaf::PRIMARY_TOPIC),
            identifier: g.id_of_iri(dct::IDENTIFIER),
            hydra_types: ids(&[
                hydra::COLLECTION,
                hydra::PARTIAL_COLLECTION_VIEW,
                hydra::PAGED_COLLECTION,
                &legacy("Collection"),
                &legacy("PartialCollectionView"),
                &legacy("PagedCollection"),
            ]),
            hydra_next: ids(&[
                hydra::NEXT,
                hydra::NEXT_PAGE,
                &legacy("next"),
                &legacy("nextPage"),
            ]),
            hydra_total: ids(&[hydra::TOTAL_ITEMS, &legacy("totalItems")]),
            catalog_links: ids(&[
                dcat::DATASET_PROP,
                dcat::SERVICE_PROP,
                dcat::RECORD_PROP,
                dcat::CATALOG_PROP,
                hydra::MEMBER,
            ]),
        }
    }
}

/// Groups the page's triples into records, within the default [`ParseLimits`].
pub fn extract_records(graph: &mut PageGraph, poisoned: &HashMap<u32, String>) -> PageRecords {
    extract_records_within(graph, poisoned, &ParseLimits::default())
}

/// Groups the page's triples into records.
///
/// `poisoned` holds subjects that a parse error touched: the records whose closure
/// contains one of them are rejected with the matching message. Records are taken in
/// page order until they hold `limits.expansion_budget` triples in all; the records that
/// would go past it are rejected.
pub fn extract_records_within(
    graph: &mut PageGraph,
    poisoned: &HashMap<u32, String>,
    limits: &ParseLimits,
) -> PageRecords {
    graph.triples.sort_unstable();
    graph.triples.dedup();
    graph.triples.shrink_to_fit();
    // Subject s's triples start at first[s] (the triples are sorted by subject).
    let mut first = vec![0usize; graph.terms.len() + 1];
    for t in &graph.triples {
        first[t[0] as usize + 1] += 1;
    }
    for i in 1..first.len() {
        first[i] += first[i - 1];
    }
    let ids = Ids::new(graph);
    let triples = &graph.triples;

    let mut roots: Vec<(u32, RecordKind)> = Vec::new();
    let mut structural: Vec<u32> = Vec::new();
    let mut reverse_topic: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut links = PageLinks::default();
    for &[s, p, o] in triples.iter() {
        if Some(p) == ids.rdf_type {
            if Some(o) == ids.dataset {
                roots.push((s, RecordKind::Dataset));
            } else if Some(o) == ids.service {
                roots.push((s, RecordKind::Service));
            } else if Some(o) == ids.series {
                roots.push((s, RecordKind::Series));
            } else if Some(o) == ids.catalog || ids.hydra_types.contains(&o) {
                structural.push(s);
            }
        } else if Some(p) == ids.primary_topic {
            reverse_topic.entry(o).or_default().push(s);
        } else if ids.hydra_next.contains(&p) {
            let from = match graph.term(s) {
                TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            };
            let target = match graph.term(o) {
                TermRef::NamedNode(n) => n.as_str().to_owned(),
                TermRef::Literal(l) => l.value().trim().to_owned(),
                TermRef::BlankNode(_) => continue,
            };
            if !target.is_empty() {
                links.next.push((from, target));
            }
        } else if ids.hydra_total.contains(&p) {
            if let TermRef::Literal(l) = graph.term(o) {
                links.total_items = l.value().trim().parse().ok().or(links.total_items);
            }
        } else if ids.catalog_links.contains(&p) {
            structural.push(s);
        }
    }
    // A node typed both Dataset and Series is a Dataset; keep one root per subject.
    roots.sort_by_key(|(s, kind)| (*s, kind_rank(*kind)));
    roots.dedup_by_key(|(s, _)| *s);
    let mut flags = vec![0u8; graph.terms.len()];
    for s in structural {
        flags[s as usize] = STRUCTURAL;
    }
    // Records never absorb the catalogue or paging nodes, even when they are typed as such.
    for &(r, _) in &roots {
        flags[r as usize] = ROOT;
    }
    graph.grouping = Grouping { first, flags };
    let graph = &*graph;
    let triples = &graph.triples;

    let mut accepted: Vec<(u32, RecordKind, Closure)> = Vec::with_capacity(roots.len());
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    let mut dropped: HashMap<u32, Vec<&str>> = HashMap::new();
    let mut dropped_elsewhere: Vec<(Option<u32>, &str)> = Vec::new();
    for (subject, message) in &graph.dropped {
        match subject {
            Some(s) => dropped.entry(*s).or_default().push(message.as_str()),
            None => dropped_elsewhere.push((None, message.as_str())),
        }
    }
    let mut noted: HashSet<u32> = HashSet::new();
    let budget = limits.expansion_budget(triples.len());
    let mut held = 0u64;
    for (root, kind) in roots {
        let remaining = usize::try_from(budget.saturating_sub(held)).unwrap_or(usize::MAX);
        let closure = match closure(graph, &reverse_topic, root, remaining) {
            Ok(c) => c,
            Err(too_large) => {
                let message = match too_large {
                    TooLarge::Record => {
                        format!("record holds more than {MAX_RECORD_TRIPLES} triples")
                    }
                    TooLarge::Page => format!(
                        "la page dépasse son budget d'expansion : ses fiches recopieraient plus de {budget} triplets pour {} triplets lus (limite max_expansion_ratio = {}) ; un nœud partagé par de nombreuses fiches y est recopié dans chacune, cette fiche n'est pas enregistrée",
                        triples.len(),
                        limits.max_expansion_ratio
                    ),
                };
                rejected.push(RejectedRecord {
                    iri: graph.term(root).to_string(),
                    message,
                });
                continue;
            }
        };
        if let Some(message) = closure.nodes.iter().find_map(|n| poisoned.get(n)) {
            rejected.push(RejectedRecord {
                iri: graph.term(root).to_string(),
                message: message.clone(),
            });
            continue;
        }
        held = held.saturating_add(closure.triples as u64);
        accepted.push((root, kind, closure));
    }
    // Each record is hashed on its own: on every core for a large page.
    let hasher = TermHasher::new(graph);
    let threads = crate::parallel::threads_for(accepted.len(), PARALLEL_HASH_MIN_RECORDS);
    let finished = crate::parallel::run_parts(threads, |part| {
        accepted[crate::parallel::share(accepted.len(), threads, part)]
            .iter()
            .map(|(root, kind, closure)| {
                finish_record(
                    *root,
                    *kind,
                    closure.read_order.clone(),
                    graph,
                    &ids,
                    &hasher,
                )
            })
            .collect::<Vec<_>>()
    });
    drop(hasher);
    let mut records = Vec::with_capacity(accepted.len());
    for part in finished {
        records.extend(part.expect("hashing records does not panic"));
    }
    if !dropped.is_empty() {
        for (record, (_, _, closure)) in records.iter().zip(&accepted) {
            for node in &closure.nodes {
                for message in dropped.get(node).into_iter().flatten() {
                    noted.insert(*node);
                    warnings.push(RecordWarning {
                        iri: record.iri.clone(),
                        message: (*message).to_owned(),
                    });
                }
            }
        }
    }
    for (subject, messages) in &dropped {
        if !noted.contains(subject) {
            dropped_elsewhere.extend(messages.iter().map(|m| (Some(*subject), *m)));
        }
    }
    for (subject, message) in dropped_elsewhere {
        warnings.push(RecordWarning {
            iri: subject.map_or_else(
                || "(sujet trop long)".to_owned(),
                |s| graph.term(s).to_string(),
            ),
            message: message.to_owned(),
        });
    }
    let beyond_notes = graph.dropped_total.saturating_sub(graph.dropped.len());
    if beyond_notes > 0 {
        warnings.push(RecordWarning {
            iri: "(page)".to_owned(),
            message: format!(
                "{beyond_notes} autres triplets ignorés pour un terme plus long que la limite max_literal_bytes ({} octets)",
                limits.max_literal_bytes
            ),
        });
    }
    PageRecords {
        records,
        rejected,
        warnings,
        links,
    }
}

fn kind_rank(kind: RecordKind) -> u8 {
    match kind {
        RecordKind::Dataset => 0,
        RecordKind::Service => 1,
        RecordKind::Series => 2,
    }
}

/// Returns false when `value` is not a valid lexical form of XSD datatype `datatype`
/// (datatypes outside XSD's dates and numbers are always accepted).
pub fn lexical_form_is_valid(datatype: &str, value: &str) -> bool {
    use oxsdatatypes::{Boolean, Date, DateTime, Decimal, Double, GYear, GYearMonth, Integer};
    use std::str::FromStr;
    let Some(local) = datatype.strip_prefix("http://www.w3.org/2001/XMLSchema#") else {
        return true;
    };
    match local {
        "date" => Date::from_str(value).is_ok(),
        "dateTime" => DateTime::from_str(value).is_ok(),
        "gYear" => GYear::from_str(value).is_ok(),
        "gYearMonth" => GYearMonth::from_str(value).is_ok(),
        "integer" | "long" | "int" => Integer::from_str(value).is_ok(),
        "nonNegativeInteger" | "positiveInteger" | "unsignedLong" | "unsignedInt" => {
            Integer::from_str(value).is_ok() && !value.trim_start().starts_with('-')
        }
        "decimal" => Decimal::from_str(value).is_ok(),
        "double" | "float" => Double::from_str(value).is_ok(),
        "boolean" => Boolean::from_str(value).is_ok(),
        _ => true,
    }
}

struct Closure {
    /// Number of triples.
    triples: usize,
    /// The nodes described, root first.
    nodes: Vec<u32>,
    /// The same nodes in the order their triples were read: the order of the record's
    /// triples.
    read_order: Vec<u32>,
}

/// Why a record's closure was not taken.
enum TooLarge {
    /// More than [`MAX_RECORD_TRIPLES`].
    Record,
    /// More than what is left of the page's expansion budget.
    Page,
}

/// The closure of `root` in the grouped `graph`, given up past `MAX_RECORD_TRIPLES` or
/// `budget` triples. `reverse_topic` gives the catalog records whose `foaf:primaryTopic`
/// each node is.
fn closure(
    graph: &PageGraph,
    reverse_topic: &HashMap<u32, Vec<u32>>,
    root: u32,
    budget: usize,
) -> Result<Closure, TooLarge> {
    let mut count = 0usize;
    let mut visited: HashSet<u32> = HashSet::from([root]);
    let mut nodes: Vec<u32> = vec![root];
    let mut stack: Vec<u32> = vec![root];
    let mut read_order: Vec<u32> = Vec::new();
    let absorbed = |n: u32| !graph.flagged(n, ROOT | STRUCTURAL);
    if let Some(records) = reverse_topic.get(&root) {
        for &r in records {
            if absorbed(r) && visited.insert(r) {
                nodes.push(r);
                stack.push(r);
            }
        }
    }
    while let Some(node) = stack.pop() {
        read_order.push(node);
        for [_, _, o] in graph.node_triples(root, node) {
            count += 1;
            if count > MAX_RECORD_TRIPLES {
                return Err(TooLarge::Record);
            }
            if count > budget {
                return Err(TooLarge::Page);
            }
            if o == root || !absorbed(o) || graph.range(o).is_empty() || !visited.insert(o) {
                continue;
            }
            nodes.push(o);
            stack.push(o);
        }
    }
    Ok(Closure {
        triples: count,
        nodes,
        read_order,
    })
}

/// Terms below which a page's term hashes are computed by one thread.
const PARALLEL_HASH_MIN_TERMS: usize = 50_000;
/// Records below which a page's records are hashed by one thread.
const PARALLEL_HASH_MIN_RECORDS: usize = 256;

/// The hash of every term of a page (of its N-Triples form), computed once per page,
/// on every core for a large page.
struct TermHasher {
    hashes: Vec<Hash128>,
}

impl TermHasher {
    fn new(graph: &PageGraph) -> Self {
        let len = graph.terms.len();
        let mut hashes = vec![Hash128::default(); len];
        let threads = crate::parallel::threads_for(len, PARALLEL_HASH_MIN_TERMS);
        let fill = |first: usize, out: &mut [Hash128]| {
            let mut text = Vec::new();
            for (k, slot) in out.iter_mut().enumerate() {
                graph.terms.write_ntriples((first + k) as u32, &mut text);
                *slot = hash128(&[&text]);
            }
        };
        if threads <= 1 {
            fill(0, &mut hashes);
        } else {
            let size = len.div_ceil(threads);
            std::thread::scope(|scope| {
                let fill = &fill;
                for (k, chunk) in hashes.chunks_mut(size).enumerate() {
                    scope.spawn(move || fill(k * size, chunk));
                }
            });
        }
        Self { hashes }
    }

    fn term(&self, id: u32) -> Hash128 {
        self.hashes[id as usize]
    }
}

fn hash128(parts: &[&[u8]]) -> Hash128 {
    let mut hasher = blake3::Hasher::new();
    for p in parts {
        hasher.update(p);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

/// Appends `bytes` to `out` in lowercase hex (a `format!` per byte was 3 % of a harvest).
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// The skolem IRI of hash `h`: a constant prefix and hex digits, an IRI by construction
/// (checked in tests and debug builds; a check per blank node cost a harvest 1 %).
fn skolem_iri(h: &Hash128) -> NamedNode {
    let mut text = String::with_capacity(moisson::GENID_PREFIX.len() + 2 * h.len());
    text.push_str(moisson::GENID_PREFIX);
    push_hex(&mut text, h);
    debug_assert!(NamedNode::new(text.as_str()).is_ok());
    NamedNode::new_unchecked(text)
}

fn finish_record(
    root: u32,
    kind: RecordKind,
    nodes: Vec<u32>,
    graph: &PageGraph,
    ids: &Ids,
    hasher: &TermHasher,
) -> ExtractedRecord {
    let triples: Vec<[u32; 3]> = nodes
        .iter()
        .flat_map(|&n| graph.node_triples(root, n))
        .collect();
    // Blank node signatures: hash of their sorted (predicate, object) pairs, recursively.
    let mut by_subject: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
    for &[s, p, o] in &triples {
        if graph.terms.is_blank(s) {
            by_subject.entry(s).or_default().push((p, o));
        }
    }
    let mut signatures: HashMap<u32, Hash128> = HashMap::new();
    let blanks: Vec<u32> = by_subject.keys().copied().collect();
    for b in &blanks {
        let mut in_progress = Vec::new();
        signature(
            *b,
            graph,
            &by_subject,
            &mut signatures,
            &mut in_progress,
            hasher,
        );
    }
    // The record IRI: its own, or for a blank-node record, one minted from its identifier
    // (stable across harvests) or else from its content.
    let mut root_basis = Hash128::default();
    let iri = match graph.term(root) {
        TermRef::NamedNode(n) => n.as_str().to_owned(),
        _ => {
            let identifier = ids.identifier.and_then(|idp| {
                triples.iter().find_map(|&[s, p, o]| {
                    (s == root && p == idp).then(|| match graph.term(o) {
                        TermRef::Literal(l) => l.value().to_owned(),
                        other => other.to_string(),
                    })
                })
            });
            let basis = match identifier {
                Some(id) => hash128(&[b"identifier|", id.as_bytes()]),
                None => signatures.get(&root).copied().unwrap_or_default(),
            };
            root_basis = basis;
            // The record IRI is the skolem IRI of `basis`: the root's own.
            skolem_iri(&basis).as_str().to_owned()
        }
    };
    // Each blank node's skolem IRI is `skolem_iri` of this hash.
    let mut skolem: HashMap<u32, Hash128> = HashMap::new();
    for b in blanks {
        if b == root {
            skolem.insert(b, root_basis);
            continue;
        }
        let sig = signatures.get(&b).copied().unwrap_or_default();
        skolem.insert(b, hash128(&[iri.as_bytes(), b"|", &sig]));
    }
    // Blank nodes only used as objects (no description) still need a stable name.
    for &[_, _, o] in &triples {
        if graph.terms.is_blank(o) && !skolem.contains_key(&o) {
            skolem.insert(o, hash128(&[iri.as_bytes(), b"|empty"]));
        }
    }
    if !skolem.contains_key(&root) && graph.terms.is_blank(root) {
        skolem.insert(root, root_basis);
    }
    let skolem_term_hashes: HashMap<u32, Hash128> = skolem
        .iter()
        .map(|(&b, h)| (b, hash128(&[b"<", skolem_iri(h).as_str().as_bytes(), b">"])))
        .collect();
    let term_hash = |id: u32, hasher: &TermHasher| -> Hash128 {
        match skolem_term_hashes.get(&id) {
            Some(h) => *h,
            None => hasher.term(id),
        }
    };
    let mut triple_hashes: Vec<Hash128> = Vec::with_capacity(triples.len());
    for &[s, p, o] in &triples {
        let hs = term_hash(s, hasher);
        let hp = term_hash(p, hasher);
        let ho = term_hash(o, hasher);
        triple_hashes.push(hash128(&[&hs, &hp, &ho]));
    }
    triple_hashes.sort_unstable();
    triple_hashes.dedup();
    let mut content = blake3::Hasher::new();
    content.update(iri.as_bytes());
    for h in &triple_hashes {
        content.update(h);
    }
    let hash = content.finalize().to_hex()[..32].to_owned();
    let mut skolem: Vec<(u32, Hash128)> = skolem.into_iter().collect();
    skolem.sort_unstable();
    ExtractedRecord {
        iri,
        kind,
        hash,
        root,
        nodes,
        skolem,
        triple_count: triples.len(),
    }
}

fn signature(
    node: u32,
    graph: &PageGraph,
    by_subject: &HashMap<u32, Vec<(u32, u32)>>,
    done: &mut HashMap<u32, Hash128>,
    in_progress: &mut Vec<u32>,
    hasher: &TermHasher,
) -> Hash128 {
    if let Some(h) = done.get(&node) {
        return *h;
    }
    if in_progress.contains(&node) || in_progress.len() > 32 {
        return hash128(&[b"cycle"]);
    }
    in_progress.push(node);
    let mut parts: Vec<Hash128> = Vec::new();
    for &(p, o) in by_subject.get(&node).map(Vec::as_slice).unwrap_or_default() {
        let hp = hasher.term(p);
        let ho = if graph.terms.is_blank(o) {
            signature(o, graph, by_subject, done, in_progress, hasher)
        } else {
            hasher.term(o)
        };
        parts.push(hash128(&[&hp, &ho]));
    }
    parts.sort_unstable();
    let mut h = blake3::Hasher::new();
    for p in &parts {
        h.update(p);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    in_progress.pop();
    done.insert(node, out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    fn page(ttl: &str) -> PageGraph {
        let mut g = PageGraph::new();
        for q in RdfParser::from_format(RdfFormat::Turtle).for_slice(ttl) {
            let q = q.expect("valid turtle");
            g.push(Triple::new(q.subject, q.predicate, q.object));
        }
        g
    }

    const DOC: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://ex/cat> a dcat:Catalog ; dcat:dataset <http://ex/d1>, <http://ex/d2> ; dct:publisher <http://ex/org> .
<http://ex/org> a foaf:Agent ; foaf:name "DDT" .
<http://ex/d1> a dcat:Dataset ; dct:title "Un" ; dct:publisher <http://ex/org> ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <http://ex/f1> ] ;
  dct:relation <http://ex/d2> .
<http://ex/d2> a dcat:Dataset ; dct:title "Deux" ; dct:spatial [ dcat:bbox "POLYGON((0 0,1 0,1 1,0 0))" ] .
[] a dcat:Dataset ; dct:identifier "x-3" ; dct:title "Trois" .
"#;

    #[test]
    fn groups_records_with_their_closure() {
        let mut g = page(DOC);
        let recs = extract_records(&mut g, &HashMap::new());
        assert_eq!(recs.records.len(), 3);
        let d1 = recs
            .records
            .iter()
            .find(|r| r.iri == "http://ex/d1")
            .expect("d1");
        let triples = d1.materialize(&g);
        // d1: type, title, publisher, distribution, relation + agent (2) + distribution (2)
        assert_eq!(triples.len(), 9, "{triples:#?}");
        assert!(triples
            .iter()
            .all(|t| t.subject.to_string() != "<http://ex/d2>"));
        assert!(triples
            .iter()
            .all(|t| t.subject.to_string() != "<http://ex/cat>"));
        let blank = recs
            .records
            .iter()
            .find(|r| r.iri.starts_with(moisson::GENID_PREFIX))
            .expect("blank record");
        assert_eq!(blank.materialize(&g).len(), 3);
    }

    #[test]
    fn hashes_and_skolem_iris_are_stable_across_labels_and_order() {
        let other = DOC.replace(
            "<http://ex/d2> a dcat:Dataset ; dct:title \"Deux\" ; dct:spatial [ dcat:bbox \"POLYGON((0 0,1 0,1 1,0 0))\" ] .",
            "_:zz dcat:bbox \"POLYGON((0 0,1 0,1 1,0 0))\" . <http://ex/d2> dct:spatial _:zz ; dct:title \"Deux\" ; a dcat:Dataset .",
        );
        assert_ne!(other, DOC);
        let (mut a, mut b) = (page(DOC), page(&other));
        let ra = extract_records(&mut a, &HashMap::new());
        let rb = extract_records(&mut b, &HashMap::new());
        let find = |r: &PageRecords, iri: &str| -> (String, Vec<String>) {
            let rec = r.records.iter().find(|x| x.iri == iri).expect("present");
            let g = if std::ptr::eq(r, &ra) { &a } else { &b };
            let mut lines: Vec<String> =
                rec.materialize(g).iter().map(ToString::to_string).collect();
            lines.sort();
            (rec.hash.clone(), lines)
        };
        assert_eq!(find(&ra, "http://ex/d2"), find(&rb, "http://ex/d2"));
        let mut changed = page(&DOC.replace("\"Deux\"", "\"Deux bis\""));
        let rc = extract_records(&mut changed, &HashMap::new());
        let h = |r: &PageRecords| {
            r.records
                .iter()
                .find(|x| x.iri == "http://ex/d2")
                .map(|x| x.hash.clone())
        };
        assert_ne!(h(&ra), h(&rc));
        assert_eq!(
            ra.records
                .iter()
                .find(|x| x.iri == "http://ex/d1")
                .map(|x| &x.hash),
            rc.records
                .iter()
                .find(|x| x.iri == "http://ex/d1")
                .map(|x| &x.hash)
        );
    }

    #[test]
    fn a_shared_node_is_copied_within_the_page_budget() {
        let mut ttl = String::from("@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n<http://ex/org> a foaf:Agent");
        for i in 0..100 {
            ttl.push_str(&format!(" ; foaf:nick \"n{i}\""));
        }
        ttl.push_str(" .\n");
        for i in 0..500 {
            ttl.push_str(&format!(
                "<http://ex/d{i}> a dcat:Dataset ; dct:publisher <http://ex/org> .\n"
            ));
        }
        let mut g = page(&ttl);
        let limits = ParseLimits {
            max_expansion_ratio: 2,
            ..ParseLimits::default()
        };
        let recs = extract_records_within(&mut g, &HashMap::new(), &limits);
        let held: usize = recs.records.iter().map(ExtractedRecord::len).sum();
        assert!(held as u64 <= limits.expansion_budget(g.len()), "{held}");
        assert_eq!(recs.records.len(), 118);
        assert_eq!(recs.records.len() + recs.rejected.len(), 500);
        assert!(
            recs.rejected[0].message.contains("budget d'expansion"),
            "{}",
            recs.rejected[0].message
        );
        // The default ratio takes a hundred of them: 100 copies of 103 triples stay under
        // 10 times the page's 301 triples plus 10,000.
        let end = ttl.find("<http://ex/d100>").expect("dataset 100");
        let mut g = page(&ttl[..end]);
        let all = extract_records(&mut g, &HashMap::new());
        assert_eq!((all.records.len(), all.rejected.len()), (100, 0));
    }

    #[test]
    fn over_long_terms_become_warnings_of_their_record() {
        let mut g = PageGraph::new();
        let long = "x".repeat(2000);
        let d = NamedNode::new_unchecked("http://ex/d");
        let ty = NamedNode::new_unchecked(rdf::TYPE);
        let title = NamedNode::new_unchecked(dct::TITLE);
        let description = NamedNode::new_unchecked(dct::DESCRIPTION);
        let class = NamedNode::new_unchecked(dcat::DATASET);
        assert!(g.push_within(Triple::new(d.clone(), ty, class), 1024));
        assert!(g.push_within(
            Triple::new(
                d.clone(),
                title,
                oxigraph::model::Literal::new_simple_literal("T")
            ),
            1024
        ));
        assert!(!g.push_within(
            Triple::new(
                d,
                description,
                oxigraph::model::Literal::new_simple_literal(long)
            ),
            1024
        ));
        let recs = extract_records(&mut g, &HashMap::new());
        assert_eq!(recs.records[0].len(), 2);
        assert_eq!(recs.warnings.len(), 1);
        assert_eq!(recs.warnings[0].iri, "http://ex/d");
        assert!(recs.warnings[0].message.contains("2000 octets"));
    }

    #[test]
    fn poisoned_records_are_rejected_alone() {
        let mut g = page(DOC);
        let d2 = g.id_of_iri("http://ex/d2").expect("d2 interned");
        let poisoned = HashMap::from([(d2, "bad literal".to_owned())]);
        let recs = extract_records(&mut g, &poisoned);
        assert_eq!(recs.records.len(), 2);
        assert_eq!(recs.rejected.len(), 1);
        assert_eq!(recs.rejected[0].message, "bad literal");
    }
}
