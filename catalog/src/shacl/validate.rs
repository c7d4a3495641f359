//! The SHACL Core validator: focus nodes from targets, value nodes from paths, one check
//! per constraint component, results as in the SHACL validation report.
//!
//! Recursion through `sh:node`, `sh:not`, logical and qualified shapes is bounded
//! (recursive shapes are outside SHACL Core; a cycle ends as a failed conformance).

use oxigraph::model::{Graph, Literal, NamedNode, NamedNodeRef, Term, TermRef};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::str::FromStr;

use super::shapes::{as_subject, Constraint, Path, Shape, Shapes, Target};
use super::vocab::{rdf, rdfs, sh};

const MAX_DEPTH: usize = 48;

/// One validation result.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationResult {
    /// `sh:focusNode`.
    pub focus: Term,
    /// `sh:resultPath`.
    pub path: Option<Path>,
    /// `sh:value`.
    pub value: Option<Term>,
    /// `sh:sourceConstraintComponent`.
    pub component: NamedNode,
    /// `sh:sourceShape`.
    pub shape: Term,
    /// `sh:resultSeverity`.
    pub severity: NamedNode,
    /// `sh:resultMessage` (from the shape's `sh:message`).
    pub messages: Vec<Literal>,
}

impl ValidationResult {
    /// Returns the message in `lang` (then any), or a generated one.
    pub fn message(&self, lang: &str) -> String {
        let pick = self
            .messages
            .iter()
            .find(|m| m.language().is_some_and(|l| l.eq_ignore_ascii_case(lang)))
            .or_else(|| self.messages.first());
        if let Some(m) = pick {
            return m.value().to_owned();
        }
        let component = self
            .component
            .as_str()
            .trim_start_matches("http://www.w3.org/ns/shacl#");
        match (&self.path, &self.value) {
            (Some(p), Some(v)) => format!("{component} on {p}: {v}"),
            (Some(p), None) => format!("{component} on {p}"),
            (None, Some(v)) => format!("{component}: {v}"),
            (None, None) => component.to_owned(),
        }
    }

    /// Returns `violation`, `warning` or `info`.
    pub fn severity_name(&self) -> &'static str {
        match self.severity.as_str() {
            sh::WARNING => "warning",
            sh::INFO => "info",
            _ => "violation",
        }
    }
}

/// A SHACL validation report.
#[derive(Debug, Clone, Default)]
pub struct ValidationReport {
    /// Every result, in shape order.
    pub results: Vec<ValidationResult>,
}

impl ValidationReport {
    /// Returns true when there is no result (`sh:conforms true`).
    pub fn conforms(&self) -> bool {
        self.results.is_empty()
    }

    /// Returns the number of results of severity `sh:Violation`.
    pub fn violations(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.severity.as_str() == sh::VIOLATION)
            .count()
    }
}

fn n(iri: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(iri)
}

struct Engine<'a> {
    shapes: &'a Shapes,
    data: &'a Graph,
}

impl Shapes {
    /// Validates `data` against every shape.
    pub fn validate(&self, data: &Graph) -> ValidationReport {
        let engine = Engine { shapes: self, data };
        let mut results = Vec::new();
        for (i, shape) in self.shapes.iter().enumerate() {
            if shape.deactivated || shape.targets.is_empty() {
                continue;
            }
            for focus in engine.focus_nodes(shape) {
                engine.validate_shape(i, &focus, &mut results, 0);
            }
        }
        ValidationReport { results }
    }
}

impl Engine<'_> {
    fn focus_nodes(&self, shape: &Shape) -> Vec<Term> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut push = |t: Term, out: &mut Vec<Term>| {
            if seen.insert(t.clone()) {
                out.push(t);
            }
        };
        for target in &shape.targets {
            match target {
                Target::Node(t) => push(t.clone(), &mut out),
                Target::Class(c) => {
                    for class in self.subclasses(c) {
                        for s in self
                            .data
                            .subjects_for_predicate_object(n(rdf::TYPE), class.as_ref())
                        {
                            push(s.into_owned().into(), &mut out);
                        }
                    }
                }
                Target::SubjectsOf(p) => {
                    for t in self.data.triples_for_predicate(p) {
                        push(t.subject.into_owned().into(), &mut out);
                    }
                }
                Target::ObjectsOf(p) => {
                    for t in self.data.triples_for_predicate(p) {
                        push(t.object.into_owned(), &mut out);
                    }
                }
            }
        }
        out
    }

    /// `class` and every class that is a subclass of it (transitively), in the data graph.
    fn subclasses(&self, class: &Term) -> Vec<Term> {
        let mut out = vec![class.clone()];
        let mut i = 0;
        while i < out.len() && out.len() < 10_000 {
            let current = out[i].clone();
            for s in self
                .data
                .subjects_for_predicate_object(n(rdfs::SUB_CLASS_OF), current.as_ref())
            {
                let t: Term = s.into_owned().into();
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            i += 1;
        }
        out
    }

    fn is_instance_of(&self, node: &Term, class: &Term) -> bool {
        let Some(subject) = as_subject(node) else {
            return false;
        };
        let mut queue: Vec<Term> = self
            .data
            .objects_for_subject_predicate(subject, n(rdf::TYPE))
            .map(TermRef::into_owned)
            .collect();
        let mut seen: HashSet<Term> = HashSet::new();
        while let Some(t) = queue.pop() {
            if &t == class {
                return true;
            }
            if !seen.insert(t.clone()) || seen.len() > 10_000 {
                continue;
            }
            if let Some(s) = as_subject(&t) {
                queue.extend(
                    self.data
                        .objects_for_subject_predicate(s, n(rdfs::SUB_CLASS_OF))
                        .map(TermRef::into_owned),
                );
            }
        }
        false
    }

    fn path_values(&self, path: &Path, node: &Term, inverse: bool) -> Vec<Term> {
        let mut out = Vec::new();
        self.walk(path, node, inverse, &mut out);
        let mut seen = HashSet::new();
        out.retain(|t| seen.insert(t.clone()));
        out
    }

    fn walk(&self, path: &Path, node: &Term, inverse: bool, out: &mut Vec<Term>) {
        match path {
            Path::Predicate(p) => {
                if inverse {
                    for s in self.data.subjects_for_predicate_object(p, node.as_ref()) {
                        out.push(s.into_owned().into());
                    }
                } else if let Some(s) = as_subject(node) {
                    out.extend(
                        self.data
                            .objects_for_subject_predicate(s, p)
                            .map(TermRef::into_owned),
                    );
                }
            }
            Path::Inverse(p) => self.walk(p, node, !inverse, out),
            Path::Sequence(steps) => {
                let mut current = vec![node.clone()];
                let ordered: Vec<&Path> = if inverse {
                    steps.iter().rev().collect()
                } else {
                    steps.iter().collect()
                };
                for step in ordered {
                    let mut next = Vec::new();
                    for c in &current {
                        next.extend(self.path_values(step, c, inverse));
                    }
                    let mut seen = HashSet::new();
                    next.retain(|t| seen.insert(t.clone()));
                    current = next;
                }
                out.extend(current);
            }
            Path::Alternative(options) => {
                for o in options {
                    self.walk(o, node, inverse, out);
                }
            }
            Path::ZeroOrOne(p) => {
                out.push(node.clone());
                self.walk(p, node, inverse, out);
            }
            Path::ZeroOrMore(p) | Path::OneOrMore(p) => {
                let mut reached: Vec<Term> = Vec::new();
                let mut seen = HashSet::new();
                if matches!(path, Path::ZeroOrMore(_)) {
                    seen.insert(node.clone());
                    reached.push(node.clone());
                }
                let mut frontier = vec![node.clone()];
                while let Some(current) = frontier.pop() {
                    for v in self.path_values(p, &current, inverse) {
                        if seen.insert(v.clone()) {
                            reached.push(v.clone());
                            frontier.push(v);
                        }
                    }
                    if seen.len() > 100_000 {
                        break;
                    }
                }
                out.extend(reached);
            }
        }
    }

    fn conforms(&self, shape: usize, node: &Term, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let mut results = Vec::new();
        self.validate_shape(shape, node, &mut results, depth + 1);
        results.is_empty()
    }

    fn validate_shape(
        &self,
        index: usize,
        focus: &Term,
        out: &mut Vec<ValidationResult>,
        depth: usize,
    ) {
        let shape = &self.shapes.shapes[index];
        if shape.deactivated {
            return;
        }
        if depth > MAX_DEPTH {
            out.push(self.result(shape, focus, None, &Constraint::Node(index), None));
            return;
        }
        let values = match &shape.path {
            Some(p) => self.path_values(p, focus, false),
            None => vec![focus.clone()],
        };
        for c in &shape.constraints {
            self.check(shape, c, focus, &values, out, depth);
        }
    }

    fn result(
        &self,
        shape: &Shape,
        focus: &Term,
        value: Option<&Term>,
        c: &Constraint,
        path: Option<Path>,
    ) -> ValidationResult {
        ValidationResult {
            focus: focus.clone(),
            path: path.or_else(|| shape.path.clone()),
            value: value.cloned(),
            component: NamedNode::new_unchecked(c.component()),
            shape: shape.id.clone(),
            severity: shape.severity.clone(),
            messages: shape.messages.clone(),
        }
    }

    fn check(
        &self,
        shape: &Shape,
        c: &Constraint,
        focus: &Term,
        values: &[Term],
        out: &mut Vec<ValidationResult>,
        depth: usize,
    ) {
        let each = |fails: &dyn Fn(&Term) -> bool, out: &mut Vec<ValidationResult>| {
            for v in values {
                if fails(v) {
                    out.push(self.result(shape, focus, Some(v), c, None));
                }
            }
        };
        match c {
            Constraint::Class(class) => each(&|v| !self.is_instance_of(v, class), out),
            Constraint::Datatype(d) => each(&|v| !has_datatype(v, d), out),
            Constraint::NodeKind(k) => each(&|v| !has_node_kind(v, k.as_str()), out),
            Constraint::MinCount(min) => {
                if values.len() < *min {
                    out.push(self.result(shape, focus, None, c, None));
                }
            }
            Constraint::MaxCount(max) => {
                if values.len() > *max {
                    out.push(self.result(shape, focus, None, c, None));
                }
            }
            Constraint::MinExclusive(b) => each(&|v| compare(v, b) != Some(Ordering::Greater), out),
            Constraint::MinInclusive(b) => each(
                &|v| !matches!(compare(v, b), Some(Ordering::Greater | Ordering::Equal)),
                out,
            ),
            Constraint::MaxExclusive(b) => each(&|v| compare(v, b) != Some(Ordering::Less), out),
            Constraint::MaxInclusive(b) => each(
                &|v| !matches!(compare(v, b), Some(Ordering::Less | Ordering::Equal)),
                out,
            ),
            Constraint::MinLength(min) => each(
                &|v| lexical(v).is_none_or(|s| s.chars().count() < *min),
                out,
            ),
            Constraint::MaxLength(max) => each(
                &|v| lexical(v).is_none_or(|s| s.chars().count() > *max),
                out,
            ),
            Constraint::Pattern(re) => each(&|v| lexical(v).is_none_or(|s| !re.is_match(s)), out),
            Constraint::LanguageIn(tags) => each(
                &|v| match v {
                    Term::Literal(l) => l
                        .language()
                        .is_none_or(|lang| !tags.iter().any(|t| lang_matches(lang, t))),
                    _ => true,
                },
                out,
            ),
            Constraint::UniqueLang => {
                let mut seen = HashSet::new();
                let mut reported = HashSet::new();
                for v in values {
                    if let Term::Literal(l) = v {
                        if let Some(lang) = l.language() {
                            let lang = lang.to_ascii_lowercase();
                            if !seen.insert(lang.clone()) && reported.insert(lang) {
                                out.push(self.result(shape, focus, None, c, None));
                            }
                        }
                    }
                }
            }
            Constraint::Equals(p) => {
                let others = self.path_values(&Path::Predicate(p.clone()), focus, false);
                for v in values.iter().filter(|v| !others.contains(v)) {
                    out.push(self.result(shape, focus, Some(v), c, None));
                }
                for o in others.iter().filter(|o| !values.contains(o)) {
                    out.push(self.result(shape, focus, Some(o), c, None));
                }
            }
            Constraint::Disjoint(p) => {
                let others = self.path_values(&Path::Predicate(p.clone()), focus, false);
                each(&|v| others.contains(v), out);
            }
            Constraint::LessThan(p) | Constraint::LessThanOrEquals(p) => {
                let others = self.path_values(&Path::Predicate(p.clone()), focus, false);
                let strict = matches!(c, Constraint::LessThan(_));
                // One result per (value, other value) pair that is not in order.
                for v in values {
                    for o in &others {
                        let ordered = match compare(v, o) {
                            Some(Ordering::Less) => true,
                            Some(Ordering::Equal) => !strict,
                            _ => false,
                        };
                        if !ordered {
                            out.push(self.result(shape, focus, Some(v), c, None));
                        }
                    }
                }
            }
            Constraint::Not(s) => each(&|v| self.conforms(*s, v, depth), out),
            Constraint::And(list) => {
                each(&|v| !list.iter().all(|s| self.conforms(*s, v, depth)), out)
            }
            Constraint::Or(list) => {
                each(&|v| !list.iter().any(|s| self.conforms(*s, v, depth)), out)
            }
            Constraint::Xone(list) => each(
                &|v| list.iter().filter(|s| self.conforms(**s, v, depth)).count() != 1,
                out,
            ),
            Constraint::Node(s) => each(&|v| !self.conforms(*s, v, depth), out),
            Constraint::Property(s) => {
                for v in values {
                    self.validate_shape(*s, v, out, depth + 1);
                }
            }
            Constraint::Qualified {
                shape: q,
                min,
                max,
                siblings,
            } => {
                let count = values
                    .iter()
                    .filter(|v| {
                        self.conforms(*q, v, depth)
                            && !siblings.iter().any(|s| self.conforms(*s, v, depth))
                    })
                    .count();
                if min.is_some_and(|m| count < m) || max.is_some_and(|m| count > m) {
                    out.push(self.result(shape, focus, None, c, None));
                }
            }
            Constraint::Closed { allowed } => {
                for v in values {
                    let Some(s) = as_subject(v) else { continue };
                    for t in self.data.triples_for_subject(s) {
                        if !allowed.iter().any(|a| a.as_ref() == t.predicate) {
                            let value = t.object.into_owned();
                            let path = Some(Path::Predicate(t.predicate.into_owned()));
                            out.push(self.result(shape, v, Some(&value), c, path));
                        }
                    }
                }
            }
            Constraint::HasValue(t) => {
                if !values.contains(t) {
                    out.push(self.result(shape, focus, None, c, None));
                }
            }
            Constraint::In(list) => each(&|v| !list.contains(v), out),
        }
    }
}

fn lexical(t: &Term) -> Option<&str> {
    match t {
        Term::NamedNode(x) => Some(x.as_str()),
        Term::Literal(l) => Some(l.value()),
        Term::BlankNode(_) => None,
    }
}

fn lang_matches(lang: &str, range: &str) -> bool {
    let lang = lang.to_ascii_lowercase();
    range == "*" || lang == range || lang.starts_with(&format!("{range}-"))
}

fn has_node_kind(t: &Term, kind: &str) -> bool {
    let (iri, blank, literal) = match t {
        Term::NamedNode(_) => (true, false, false),
        Term::BlankNode(_) => (false, true, false),
        Term::Literal(_) => (false, false, true),
    };
    match kind {
        sh::IRI => iri,
        sh::BLANK_NODE => blank,
        sh::LITERAL => literal,
        sh::BLANK_NODE_OR_IRI => blank || iri,
        sh::BLANK_NODE_OR_LITERAL => blank || literal,
        sh::IRI_OR_LITERAL => iri || literal,
        _ => false,
    }
}

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// Returns true when `t` is a literal of datatype `d` whose lexical form is valid.
fn has_datatype(t: &Term, d: &NamedNode) -> bool {
    let Term::Literal(l) = t else { return false };
    if l.datatype() != d.as_ref() {
        return false;
    }
    if d.as_str() == rdf::LANG_STRING {
        return l.language().is_some();
    }
    let Some(local) = d.as_str().strip_prefix(XSD) else {
        return true;
    };
    well_formed(local, l.value())
}

fn well_formed(local: &str, v: &str) -> bool {
    use oxsdatatypes::{
        Boolean, Date, DateTime, Decimal, Double, Duration, Float, GYear, GYearMonth, Integer, Time,
    };
    let int_in = |min: i128, max: i128| {
        v.trim().parse::<i128>().is_ok_and(|x| x >= min && x <= max) && Integer::from_str(v).is_ok()
    };
    match local {
        "boolean" => Boolean::from_str(v).is_ok(),
        "integer" => Integer::from_str(v).is_ok(),
        "decimal" => Decimal::from_str(v).is_ok(),
        "double" => Double::from_str(v).is_ok(),
        "float" => Float::from_str(v).is_ok(),
        "date" => Date::from_str(v).is_ok(),
        "dateTime" => DateTime::from_str(v).is_ok(),
        "time" => Time::from_str(v).is_ok(),
        "gYear" => GYear::from_str(v).is_ok(),
        "gYearMonth" => GYearMonth::from_str(v).is_ok(),
        "duration" => Duration::from_str(v).is_ok(),
        "nonNegativeInteger" => int_in(0, i128::MAX),
        "positiveInteger" => int_in(1, i128::MAX),
        "nonPositiveInteger" => int_in(i128::MIN, 0),
        "negativeInteger" => int_in(i128::MIN, -1),
        "long" => int_in(i64::MIN.into(), i64::MAX.into()),
        "int" => int_in(i32::MIN.into(), i32::MAX.into()),
        "short" => int_in(i16::MIN.into(), i16::MAX.into()),
        "byte" => int_in(i8::MIN.into(), i8::MAX.into()),
        "unsignedLong" => int_in(0, u64::MAX.into()),
        "unsignedInt" => int_in(0, u32::MAX.into()),
        "unsignedShort" => int_in(0, u16::MAX.into()),
        "unsignedByte" => int_in(0, u8::MAX.into()),
        _ => true,
    }
}

fn numeric(l: &Literal) -> Option<f64> {
    let local = l.datatype().as_str().strip_prefix(XSD)?;
    let numeric = matches!(
        local,
        "integer"
            | "decimal"
            | "double"
            | "float"
            | "int"
            | "long"
            | "short"
            | "byte"
            | "nonNegativeInteger"
            | "positiveInteger"
            | "nonPositiveInteger"
            | "negativeInteger"
            | "unsignedLong"
            | "unsignedInt"
            | "unsignedShort"
            | "unsignedByte"
    );
    if !numeric || !well_formed(local, l.value()) {
        return None;
    }
    l.value()
        .trim()
        .parse()
        .ok()
        .or_else(|| match l.value().trim() {
            "INF" => Some(f64::INFINITY),
            "-INF" => Some(f64::NEG_INFINITY),
            _ => None,
        })
}

/// Compares two literals when SPARQL could (numbers, dates, strings of the same kind).
fn compare(a: &Term, b: &impl AsLiteral) -> Option<Ordering> {
    let (Term::Literal(a), Some(b)) = (a, b.as_literal()) else {
        return None;
    };
    if let (Some(x), Some(y)) = (numeric(a), numeric(b)) {
        return x.partial_cmp(&y);
    }
    if a.datatype() != b.datatype() {
        return None;
    }
    let local = a.datatype().as_str().strip_prefix(XSD).unwrap_or_default();
    match local {
        "dateTime" => oxsdatatypes::DateTime::from_str(a.value())
            .ok()?
            .partial_cmp(&oxsdatatypes::DateTime::from_str(b.value()).ok()?),
        "date" => oxsdatatypes::Date::from_str(a.value())
            .ok()?
            .partial_cmp(&oxsdatatypes::Date::from_str(b.value()).ok()?),
        "time" => oxsdatatypes::Time::from_str(a.value())
            .ok()?
            .partial_cmp(&oxsdatatypes::Time::from_str(b.value()).ok()?),
        "string" => Some(a.value().cmp(b.value())),
        _ if a.datatype().as_str() == rdf::LANG_STRING && a.language() == b.language() => {
            Some(a.value().cmp(b.value()))
        }
        _ => None,
    }
}

trait AsLiteral {
    fn as_literal(&self) -> Option<&Literal>;
}

impl AsLiteral for Literal {
    fn as_literal(&self) -> Option<&Literal> {
        Some(self)
    }
}

impl AsLiteral for Term {
    fn as_literal(&self) -> Option<&Literal> {
        match self {
            Term::Literal(l) => Some(l),
            _ => None,
        }
    }
}
