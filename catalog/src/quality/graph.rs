//! Read helpers over one record graph: values of a property, the preferred text of a
//! literal property, the distributions of a dataset, dates.

use chrono::NaiveDate;
use oxigraph::model::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Quad, TermRef, TripleRef};

/// A record graph indexed for lookups (triples only; the graph name is dropped).
pub struct RecordGraph {
    graph: Graph,
}

impl RecordGraph {
    /// Indexes the quads of one record graph.
    pub fn from_quads(quads: &[Quad]) -> Self {
        let mut graph = Graph::new();
        for q in quads {
            graph.insert(TripleRef::new(&q.subject, &q.predicate, &q.object));
        }
        Self { graph }
    }

    /// Returns the indexed triples.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Returns the objects of `subject`'s `predicate` in a fixed order (IRIs, blank
    /// nodes, then literals, each by value): the in-memory graph's own order depends on
    /// its interning, which differs between two reads of the same record, and an
    /// assessment (which value is read first, the order of the specifics) must not.
    pub(crate) fn objects<'a>(
        &'a self,
        subject: NamedOrBlankNodeRef<'a>,
        predicate: &'a str,
    ) -> impl Iterator<Item = TermRef<'a>> + 'a {
        let mut objects: Vec<TermRef<'a>> = self
            .graph
            .objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(predicate))
            .collect();
        if objects.len() > 1 {
            objects.sort_by(|a, b| term_key(a).cmp(&term_key(b)));
        }
        objects.into_iter()
    }

    /// Returns true when `subject` has at least one non-empty value for `predicate`.
    pub(crate) fn has(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &str) -> bool {
        self.objects(subject, predicate).any(|o| match o {
            TermRef::Literal(l) => !l.value().trim().is_empty(),
            _ => true,
        })
    }

    /// Returns the value of `predicate` in the preferred language: French, then no
    /// language, then any.
    pub(crate) fn text(&self, subject: NamedOrBlankNodeRef<'_>, predicate: &str) -> Option<String> {
        let mut best: Option<(u8, &str)> = None;
        for o in self.objects(subject, predicate) {
            let TermRef::Literal(l) = o else { continue };
            let rank = match l.language() {
                Some(lang) if lang.eq_ignore_ascii_case("fr") || lang.starts_with("fr-") => 0,
                None => 1,
                Some(_) => 2,
            };
            if best.is_none_or(|(r, v)| rank < r || (rank == r && l.value() < v)) {
                best = Some((rank, l.value()));
            }
        }
        best.map(|(_, v)| v.to_owned())
    }

    /// Returns the nodes `subject` links to with `predicate` (IRIs or blank nodes).
    pub(crate) fn nodes<'a>(
        &'a self,
        subject: NamedOrBlankNodeRef<'a>,
        predicate: &'a str,
    ) -> Vec<NamedOrBlankNodeRef<'a>> {
        let mut out: Vec<NamedOrBlankNodeRef<'a>> = Vec::new();
        for o in self.objects(subject, predicate) {
            let node = match o {
                TermRef::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n),
                TermRef::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b),
                TermRef::Literal(_) => continue,
            };
            if !out.contains(&node) {
                out.push(node);
            }
        }
        out
    }

    /// Returns the IRIs or literal values of `predicate`, with whether each is an IRI.
    pub(crate) fn values(
        &self,
        subject: NamedOrBlankNodeRef<'_>,
        predicate: &str,
    ) -> Vec<(String, bool)> {
        self.objects(subject, predicate)
            .filter_map(|o| match o {
                TermRef::NamedNode(n) => Some((n.as_str().to_owned(), true)),
                TermRef::Literal(l) if !l.value().trim().is_empty() => {
                    Some((l.value().to_owned(), false))
                }
                _ => None,
            })
            .collect()
    }
}

/// The order of [`RecordGraph::objects`].
fn term_key<'a>(t: &TermRef<'a>) -> (u8, &'a str, &'a str) {
    match *t {
        TermRef::NamedNode(n) => (0, n.as_str(), ""),
        TermRef::BlankNode(b) => (1, b.as_str(), ""),
        TermRef::Literal(l) => (2, l.value(), l.language().unwrap_or(l.datatype().as_str())),
        #[allow(unreachable_patterns)]
        _ => (3, "", ""),
    }
}

/// A date value as read from the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateValue {
    /// A parseable date (a year alone counts as 1 January).
    Valid(NaiveDate),
    /// Present but unparseable or ill-typed.
    Invalid,
}

/// Parses a literal date as every part of Moisson does ([`crate::dates::parse_date`]).
pub(crate) fn parse_date(text: &str) -> DateValue {
    crate::dates::parse_date(text).map_or(DateValue::Invalid, DateValue::Valid)
}

/// Removes markup tags and collapses whitespace, for length checks.
pub(crate) fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_by_the_one_reader() {
        // Every form is tested in `crate::dates`; here, only the mapping to `DateValue`.
        let valid = NaiveDate::from_ymd_opt(2020, 3, 4).expect("valid");
        assert_eq!(parse_date("2020-03-04"), DateValue::Valid(valid));
        assert_eq!(parse_date("2010-01-35"), DateValue::Invalid);
    }

    /// The same triples given in any order are read in one order: an assessment made
    /// twice of the same record gives the same specifics.
    #[test]
    fn values_come_in_one_order_whatever_the_order_given() {
        use oxigraph::model::{GraphName, Literal, NamedNode};
        let s = NamedNode::new_unchecked("https://ex.org/jdd/1");
        let p = NamedNode::new_unchecked("http://purl.org/dc/terms/format");
        let quad =
            |o: oxigraph::model::Term| Quad::new(s.clone(), p.clone(), o, GraphName::DefaultGraph);
        let mut quads = vec![
            quad(Literal::new_simple_literal("zip").into()),
            quad(NamedNode::new_unchecked("https://ex.org/ft/CSV").into()),
            quad(Literal::new_simple_literal("bin").into()),
            quad(Literal::new_language_tagged_literal_unchecked("bin", "fr").into()),
            quad(NamedNode::new_unchecked("https://ex.org/ft/AAA").into()),
        ];
        let read =
            |quads: &[Quad]| RecordGraph::from_quads(quads).values(s.as_ref().into(), p.as_str());
        let first = read(&quads);
        assert_eq!(
            first.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(),
            [
                "https://ex.org/ft/AAA",
                "https://ex.org/ft/CSV",
                "bin",
                "bin",
                "zip"
            ]
        );
        for _ in 0..8 {
            quads.rotate_left(2);
            quads.swap(0, 3);
            assert_eq!(read(&quads), first);
        }
    }

    #[test]
    fn plain_text_drops_tags() {
        assert_eq!(
            plain_text("<p>Bonjour  <b>le</b>\n monde</p>"),
            "Bonjour le monde"
        );
    }
}
