//! Shapes compiled from a shapes graph: targets, path, severity, constraint components.
//!
//! Every node that is a shape (typed `sh:NodeShape`/`sh:PropertyShape`, carrying a target
//! or a path, or referenced by `sh:node`, `sh:property`, `sh:not`, `sh:and`, `sh:or`,
//! `sh:xone`, `sh:qualifiedValueShape`) gets an index; constraints refer to shapes by
//! index, so recursion through shapes never clones them.

use oxigraph::model::{
    Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef,
};
use regex::Regex;
use std::collections::HashMap;

use super::vocab::{rdf, rdfs, sh};
use super::ShaclError;

/// A SHACL property path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Path {
    /// A predicate.
    Predicate(NamedNode),
    /// `sh:inversePath`.
    Inverse(Box<Path>),
    /// A sequence path (RDF list).
    Sequence(Vec<Path>),
    /// `sh:alternativePath`.
    Alternative(Vec<Path>),
    /// `sh:zeroOrMorePath`.
    ZeroOrMore(Box<Path>),
    /// `sh:oneOrMorePath`.
    OneOrMore(Box<Path>),
    /// `sh:zeroOrOnePath`.
    ZeroOrOne(Box<Path>),
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |f: &mut std::fmt::Formatter<'_>, ps: &[Path], sep: &str| -> std::fmt::Result {
            write!(f, "(")?;
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    write!(f, "{sep}")?;
                }
                write!(f, "{p}")?;
            }
            write!(f, ")")
        };
        match self {
            Self::Predicate(p) => write!(f, "<{}>", p.as_str()),
            Self::Inverse(p) => write!(f, "^{p}"),
            Self::Sequence(ps) => join(f, ps, "/"),
            Self::Alternative(ps) => join(f, ps, "|"),
            Self::ZeroOrMore(p) => write!(f, "{p}*"),
            Self::OneOrMore(p) => write!(f, "{p}+"),
            Self::ZeroOrOne(p) => write!(f, "{p}?"),
        }
    }
}

/// A target declaration.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Node(Term),
    Class(Term),
    SubjectsOf(NamedNode),
    ObjectsOf(NamedNode),
}

/// One constraint component with its parameters.
#[derive(Debug, Clone)]
pub(crate) enum Constraint {
    Class(Term),
    Datatype(NamedNode),
    NodeKind(NamedNode),
    MinCount(usize),
    MaxCount(usize),
    MinExclusive(Literal),
    MinInclusive(Literal),
    MaxExclusive(Literal),
    MaxInclusive(Literal),
    MinLength(usize),
    MaxLength(usize),
    Pattern(Regex),
    LanguageIn(Vec<String>),
    UniqueLang,
    Equals(NamedNode),
    Disjoint(NamedNode),
    LessThan(NamedNode),
    LessThanOrEquals(NamedNode),
    Not(usize),
    And(Vec<usize>),
    Or(Vec<usize>),
    Xone(Vec<usize>),
    Node(usize),
    Property(usize),
    Qualified {
        shape: usize,
        min: Option<usize>,
        max: Option<usize>,
        siblings: Vec<usize>,
    },
    Closed {
        allowed: Vec<NamedNode>,
    },
    HasValue(Term),
    In(Vec<Term>),
}

impl Constraint {
    /// The IRI of the constraint component.
    pub(crate) fn component(&self) -> &'static str {
        match self {
            Self::Class(_) => sh::CLASS_CC,
            Self::Datatype(_) => sh::DATATYPE_CC,
            Self::NodeKind(_) => sh::NODE_KIND_CC,
            Self::MinCount(_) => sh::MIN_COUNT_CC,
            Self::MaxCount(_) => sh::MAX_COUNT_CC,
            Self::MinExclusive(_) => sh::MIN_EXCLUSIVE_CC,
            Self::MinInclusive(_) => sh::MIN_INCLUSIVE_CC,
            Self::MaxExclusive(_) => sh::MAX_EXCLUSIVE_CC,
            Self::MaxInclusive(_) => sh::MAX_INCLUSIVE_CC,
            Self::MinLength(_) => sh::MIN_LENGTH_CC,
            Self::MaxLength(_) => sh::MAX_LENGTH_CC,
            Self::Pattern(_) => sh::PATTERN_CC,
            Self::LanguageIn(_) => sh::LANGUAGE_IN_CC,
            Self::UniqueLang => sh::UNIQUE_LANG_CC,
            Self::Equals(_) => sh::EQUALS_CC,
            Self::Disjoint(_) => sh::DISJOINT_CC,
            Self::LessThan(_) => sh::LESS_THAN_CC,
            Self::LessThanOrEquals(_) => sh::LESS_THAN_OR_EQUALS_CC,
            Self::Not(_) => sh::NOT_CC,
            Self::And(_) => sh::AND_CC,
            Self::Or(_) => sh::OR_CC,
            Self::Xone(_) => sh::XONE_CC,
            Self::Node(_) => sh::NODE_CC,
            Self::Property(_) => sh::PROPERTY_CC,
            Self::Qualified { min: Some(_), .. } => sh::QUALIFIED_MIN_COUNT_CC,
            Self::Qualified { .. } => sh::QUALIFIED_MAX_COUNT_CC,
            Self::Closed { .. } => sh::CLOSED_CC,
            Self::HasValue(_) => sh::HAS_VALUE_CC,
            Self::In(_) => sh::IN_CC,
        }
    }
}

/// One compiled shape.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) id: Term,
    pub(crate) targets: Vec<Target>,
    pub(crate) path: Option<Path>,
    pub(crate) severity: NamedNode,
    pub(crate) messages: Vec<Literal>,
    pub(crate) deactivated: bool,
    pub(crate) constraints: Vec<Constraint>,
}

/// A compiled shapes graph.
#[derive(Debug, Clone)]
pub struct Shapes {
    pub(crate) shapes: Vec<Shape>,
}

fn n(iri: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(iri)
}

fn subject_of(term: &Term) -> Option<NamedOrBlankNodeRef<'_>> {
    match term {
        Term::NamedNode(x) => Some(x.as_ref().into()),
        Term::BlankNode(x) => Some(x.as_ref().into()),
        Term::Literal(_) => None,
    }
}

fn objects(g: &Graph, s: &Term, p: &str) -> Vec<Term> {
    let Some(s) = subject_of(s) else {
        return Vec::new();
    };
    g.objects_for_subject_predicate(s, n(p))
        .map(TermRef::into_owned)
        .collect()
}

/// Reads an RDF list starting at `head`; errors on a malformed or cyclic list.
pub(crate) fn read_list(g: &Graph, head: &Term) -> Result<Vec<Term>, ShaclError> {
    let mut out = Vec::new();
    let mut node = head.clone();
    for _ in 0..100_000 {
        if node == Term::NamedNode(NamedNode::new_unchecked(rdf::NIL)) {
            return Ok(out);
        }
        let first = objects(g, &node, rdf::FIRST);
        let rest = objects(g, &node, rdf::REST);
        let (Some(first), Some(rest)) = (first.into_iter().next(), rest.into_iter().next()) else {
            return Err(ShaclError::shapes(format!("malformed RDF list at {node}")));
        };
        out.push(first);
        node = rest;
    }
    Err(ShaclError::shapes("RDF list too long or cyclic"))
}

fn parse_path(g: &Graph, node: &Term, depth: usize) -> Result<Path, ShaclError> {
    if depth > 32 {
        return Err(ShaclError::shapes("property path nested too deeply"));
    }
    match node {
        Term::NamedNode(p) => return Ok(Path::Predicate(p.clone())),
        Term::Literal(l) => return Err(ShaclError::shapes(format!("literal {l} used as a path"))),
        Term::BlankNode(_) => {}
    }
    let one = |p: &str| objects(g, node, p).into_iter().next();
    // A list is a sequence path, whatever else the node carries (W3C path-strange).
    if one(rdf::FIRST).is_some() {
        let items = read_list(g, node)?;
        let paths = items
            .iter()
            .map(|i| parse_path(g, i, depth + 1))
            .collect::<Result<_, _>>()?;
        return Ok(Path::Sequence(paths));
    }
    if let Some(inner) = one(sh::INVERSE_PATH) {
        return Ok(Path::Inverse(Box::new(parse_path(g, &inner, depth + 1)?)));
    }
    if let Some(inner) = one(sh::ALTERNATIVE_PATH) {
        let items = read_list(g, &inner)?;
        let paths = items
            .iter()
            .map(|i| parse_path(g, i, depth + 1))
            .collect::<Result<_, _>>()?;
        return Ok(Path::Alternative(paths));
    }
    if let Some(inner) = one(sh::ZERO_OR_MORE_PATH) {
        return Ok(Path::ZeroOrMore(Box::new(parse_path(
            g,
            &inner,
            depth + 1,
        )?)));
    }
    if let Some(inner) = one(sh::ONE_OR_MORE_PATH) {
        return Ok(Path::OneOrMore(Box::new(parse_path(g, &inner, depth + 1)?)));
    }
    if let Some(inner) = one(sh::ZERO_OR_ONE_PATH) {
        return Ok(Path::ZeroOrOne(Box::new(parse_path(g, &inner, depth + 1)?)));
    }
    Err(ShaclError::shapes(format!("unsupported path node {node}")))
}

/// Parses a SHACL path from its RDF form (used by the test suite on expected results).
pub fn path_from_graph(g: &Graph, node: &Term) -> Result<Path, ShaclError> {
    parse_path(g, node, 0)
}

impl Shapes {
    /// Compiles every shape of `g`.
    pub fn from_graph(g: &Graph) -> Result<Self, ShaclError> {
        let ids = shape_ids(g)?;
        let index: HashMap<Term, usize> = ids
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, t)| (t, i))
            .collect();
        let mut shapes = Vec::with_capacity(ids.len());
        for id in &ids {
            shapes.push(compile(g, id, &index)?);
        }
        Ok(Self { shapes })
    }

    /// Returns the number of shapes.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// Returns true when there is no shape.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

fn shape_ids(g: &Graph) -> Result<Vec<Term>, ShaclError> {
    let mut ids: Vec<Term> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |t: Term, ids: &mut Vec<Term>| {
        if !matches!(t, Term::Literal(_)) && seen.insert(t.clone()) {
            ids.push(t);
        }
    };
    for class in [sh::NODE_SHAPE, sh::PROPERTY_SHAPE] {
        for s in g.subjects_for_predicate_object(n(rdf::TYPE), n(class)) {
            push(s.into_owned().into(), &mut ids);
        }
    }
    for p in [
        sh::TARGET_CLASS,
        sh::TARGET_NODE,
        sh::TARGET_SUBJECTS_OF,
        sh::TARGET_OBJECTS_OF,
        sh::PATH,
    ] {
        for t in g.triples_for_predicate(n(p)) {
            push(t.subject.into_owned().into(), &mut ids);
        }
    }
    for p in [sh::NODE, sh::PROPERTY, sh::NOT, sh::QUALIFIED_VALUE_SHAPE] {
        for t in g.triples_for_predicate(n(p)) {
            push(t.object.into_owned(), &mut ids);
        }
    }
    for p in [sh::AND, sh::OR, sh::XONE] {
        let heads: Vec<Term> = g
            .triples_for_predicate(n(p))
            .map(|t| t.object.into_owned())
            .collect();
        for head in heads {
            for member in read_list(g, &head)? {
                push(member, &mut ids);
            }
        }
    }
    Ok(ids)
}

fn literal_usize(t: &Term, what: &str) -> Result<usize, ShaclError> {
    match t {
        Term::Literal(l) => {
            l.value().trim().parse().map_err(|_| {
                ShaclError::shapes(format!("{what} is not a non-negative integer: {l}"))
            })
        }
        _ => Err(ShaclError::shapes(format!("{what} is not a literal: {t}"))),
    }
}

fn named(t: &Term, what: &str) -> Result<NamedNode, ShaclError> {
    match t {
        Term::NamedNode(x) => Ok(x.clone()),
        _ => Err(ShaclError::shapes(format!(
            "{what} must be an IRI, got {t}"
        ))),
    }
}

fn literal(t: &Term, what: &str) -> Result<Literal, ShaclError> {
    match t {
        Term::Literal(x) => Ok(x.clone()),
        _ => Err(ShaclError::shapes(format!(
            "{what} must be a literal, got {t}"
        ))),
    }
}

fn shape_ref(index: &HashMap<Term, usize>, t: &Term) -> Result<usize, ShaclError> {
    index
        .get(t)
        .copied()
        .ok_or_else(|| ShaclError::shapes(format!("{t} is used as a shape but is not one")))
}

fn compile(g: &Graph, id: &Term, index: &HashMap<Term, usize>) -> Result<Shape, ShaclError> {
    let get = |p: &str| objects(g, id, p);
    let mut targets = Vec::new();
    for t in get(sh::TARGET_NODE) {
        targets.push(Target::Node(t));
    }
    for t in get(sh::TARGET_CLASS) {
        targets.push(Target::Class(t));
    }
    let is_class = objects(g, id, rdf::TYPE)
        .iter()
        .any(|t| matches!(t, Term::NamedNode(c) if c.as_str() == rdfs::CLASS || c.as_str() == "http://www.w3.org/2002/07/owl#Class"));
    if is_class {
        targets.push(Target::Class(id.clone()));
    }
    for t in get(sh::TARGET_SUBJECTS_OF) {
        targets.push(Target::SubjectsOf(named(&t, "sh:targetSubjectsOf")?));
    }
    for t in get(sh::TARGET_OBJECTS_OF) {
        targets.push(Target::ObjectsOf(named(&t, "sh:targetObjectsOf")?));
    }
    let path = get(sh::PATH)
        .first()
        .map(|p| parse_path(g, p, 0))
        .transpose()?;
    let severity = match get(sh::SEVERITY).first() {
        Some(t) => named(t, "sh:severity")?,
        None => NamedNode::new_unchecked(sh::VIOLATION),
    };
    let messages = get(sh::MESSAGE)
        .into_iter()
        .filter_map(|t| match t {
            Term::Literal(l) => Some(l),
            _ => None,
        })
        .collect();
    let deactivated = get(sh::DEACTIVATED)
        .iter()
        .any(|t| matches!(t, Term::Literal(l) if l.value() == "true" || l.value() == "1"));
    let constraints = constraints(g, id, index, &path)?;
    Ok(Shape {
        id: id.clone(),
        targets,
        path,
        severity,
        messages,
        deactivated,
        constraints,
    })
}

fn constraints(
    g: &Graph,
    id: &Term,
    index: &HashMap<Term, usize>,
    path: &Option<Path>,
) -> Result<Vec<Constraint>, ShaclError> {
    let get = |p: &str| objects(g, id, p);
    let mut out = Vec::new();
    for t in get(sh::CLASS) {
        out.push(Constraint::Class(t));
    }
    for t in get(sh::DATATYPE) {
        out.push(Constraint::Datatype(named(&t, "sh:datatype")?));
    }
    for t in get(sh::NODE_KIND) {
        out.push(Constraint::NodeKind(named(&t, "sh:nodeKind")?));
    }
    if path.is_some() {
        for t in get(sh::MIN_COUNT) {
            out.push(Constraint::MinCount(literal_usize(&t, "sh:minCount")?));
        }
        for t in get(sh::MAX_COUNT) {
            out.push(Constraint::MaxCount(literal_usize(&t, "sh:maxCount")?));
        }
        for t in get(sh::UNIQUE_LANG) {
            if matches!(&t, Term::Literal(l) if l.value() == "true") {
                out.push(Constraint::UniqueLang);
            }
        }
        let qualified_min = get(sh::QUALIFIED_MIN_COUNT)
            .first()
            .map(|t| literal_usize(t, "sh:qualifiedMinCount"))
            .transpose()?;
        let qualified_max = get(sh::QUALIFIED_MAX_COUNT)
            .first()
            .map(|t| literal_usize(t, "sh:qualifiedMaxCount"))
            .transpose()?;
        for q in get(sh::QUALIFIED_VALUE_SHAPE) {
            let shape = shape_ref(index, &q)?;
            let disjoint = get(sh::QUALIFIED_VALUE_SHAPES_DISJOINT)
                .iter()
                .any(|t| matches!(t, Term::Literal(l) if l.value() == "true"));
            let siblings = if disjoint {
                sibling_shapes(g, id, &q, index)?
            } else {
                Vec::new()
            };
            if qualified_min.is_some() {
                out.push(Constraint::Qualified {
                    shape,
                    min: qualified_min,
                    max: None,
                    siblings: siblings.clone(),
                });
            }
            if qualified_max.is_some() {
                out.push(Constraint::Qualified {
                    shape,
                    min: None,
                    max: qualified_max,
                    siblings,
                });
            }
        }
    }
    for (p, make) in [
        (
            sh::MIN_EXCLUSIVE,
            Constraint::MinExclusive as fn(Literal) -> Constraint,
        ),
        (sh::MIN_INCLUSIVE, Constraint::MinInclusive),
        (sh::MAX_EXCLUSIVE, Constraint::MaxExclusive),
        (sh::MAX_INCLUSIVE, Constraint::MaxInclusive),
    ] {
        for t in get(p) {
            out.push(make(literal(&t, p)?));
        }
    }
    for t in get(sh::MIN_LENGTH) {
        out.push(Constraint::MinLength(literal_usize(&t, "sh:minLength")?));
    }
    for t in get(sh::MAX_LENGTH) {
        out.push(Constraint::MaxLength(literal_usize(&t, "sh:maxLength")?));
    }
    let flags = get(sh::FLAGS)
        .first()
        .map(|t| literal(t, "sh:flags").map(|l| l.value().to_owned()))
        .transpose()?;
    for t in get(sh::PATTERN) {
        out.push(Constraint::Pattern(pattern(
            &literal(&t, "sh:pattern")?,
            flags.as_deref(),
        )?));
    }
    for t in get(sh::LANGUAGE_IN) {
        let tags = read_list(g, &t)?
            .iter()
            .map(|x| literal(x, "sh:languageIn member").map(|l| l.value().to_ascii_lowercase()))
            .collect::<Result<_, _>>()?;
        out.push(Constraint::LanguageIn(tags));
    }
    for (p, make) in [
        (
            sh::EQUALS,
            Constraint::Equals as fn(NamedNode) -> Constraint,
        ),
        (sh::DISJOINT, Constraint::Disjoint),
        (sh::LESS_THAN, Constraint::LessThan),
        (sh::LESS_THAN_OR_EQUALS, Constraint::LessThanOrEquals),
    ] {
        for t in get(p) {
            out.push(make(named(&t, p)?));
        }
    }
    for t in get(sh::NOT) {
        out.push(Constraint::Not(shape_ref(index, &t)?));
    }
    for (p, make) in [
        (sh::AND, Constraint::And as fn(Vec<usize>) -> Constraint),
        (sh::OR, Constraint::Or),
        (sh::XONE, Constraint::Xone),
    ] {
        for t in get(p) {
            let members = read_list(g, &t)?
                .iter()
                .map(|m| shape_ref(index, m))
                .collect::<Result<_, _>>()?;
            out.push(make(members));
        }
    }
    for t in get(sh::NODE) {
        out.push(Constraint::Node(shape_ref(index, &t)?));
    }
    for t in get(sh::PROPERTY) {
        out.push(Constraint::Property(shape_ref(index, &t)?));
    }
    if get(sh::CLOSED)
        .iter()
        .any(|t| matches!(t, Term::Literal(l) if l.value() == "true"))
    {
        let mut allowed = Vec::new();
        for p in get(sh::PROPERTY) {
            for path in objects(g, &p, sh::PATH) {
                if let Term::NamedNode(x) = path {
                    allowed.push(x);
                }
            }
        }
        for list in get(sh::IGNORED_PROPERTIES) {
            for t in read_list(g, &list)? {
                allowed.push(named(&t, "sh:ignoredProperties member")?);
            }
        }
        out.push(Constraint::Closed { allowed });
    }
    for t in get(sh::HAS_VALUE) {
        out.push(Constraint::HasValue(t));
    }
    for t in get(sh::IN) {
        out.push(Constraint::In(read_list(g, &t)?));
    }
    Ok(out)
}

/// The other qualified value shapes of the property shapes of the parents of `shape`.
fn sibling_shapes(
    g: &Graph,
    shape: &Term,
    own: &Term,
    index: &HashMap<Term, usize>,
) -> Result<Vec<usize>, ShaclError> {
    let mut out = Vec::new();
    let Some(shape_subject) = subject_of(shape) else {
        return Ok(out);
    };
    let shape_term: TermRef<'_> = shape_subject.into();
    for parent in g.subjects_for_predicate_object(n(sh::PROPERTY), shape_term) {
        let parent: Term = parent.into_owned().into();
        for sibling in objects(g, &parent, sh::PROPERTY) {
            for q in objects(g, &sibling, sh::QUALIFIED_VALUE_SHAPE) {
                if &q != own {
                    out.push(shape_ref(index, &q)?);
                }
            }
        }
    }
    Ok(out)
}

fn pattern(p: &Literal, flags: Option<&str>) -> Result<Regex, ShaclError> {
    let mut prefix = String::new();
    for f in flags.unwrap_or_default().chars() {
        match f {
            'i' | 'm' | 's' | 'x' => prefix.push(f),
            'q' => {}
            other => {
                return Err(ShaclError::shapes(format!(
                    "unsupported regex flag {other:?}"
                )))
            }
        }
    }
    let source = if prefix.is_empty() {
        p.value().to_owned()
    } else {
        format!("(?{prefix}){}", p.value())
    };
    regex::RegexBuilder::new(&source)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| ShaclError::shapes(format!("invalid sh:pattern {:?}: {e}", p.value())))
}

/// Returns the subject form of a term, for the validator.
pub(crate) fn as_subject(t: &Term) -> Option<NamedOrBlankNodeRef<'_>> {
    subject_of(t)
}
