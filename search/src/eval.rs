//! Scoring the classifier against hand-labelled records (`search/eval/dev-set.jsonl`):
//! micro precision and recall of top themes, sub-themes and use cases, territory
//! accuracy, a table per theme and per use case, and the confusions, each with the
//! record it comes from.
//!
//! The labels' conventions are those of `search/eval/README.md`: theme labels name the
//! most specific concept (a sub-theme implies its theme); territories are
//! `commune:CODE`, `departement:CODE`, `region:CODE`, `epci:SIREN`, `national`,
//! `foreign` or `none`, compared at the levels Moisson classifies into (départements
//! and régions).

use moisson_catalog::vocab::{ConceptScheme, Vocabularies};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::classify::{territory_by_key, Assignment, Classification};
use moisson_catalog::vocab::geography::{geography, NATIONAL};
use moisson_catalog::vocab::places::parents_of;

/// One hand-labelled record.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Label {
    /// Stable name of the label.
    pub id: String,
    /// Corpus file holding the record, relative to the corpus folder.
    pub file: String,
    /// Kind of document (`dcat-rdfxml`, `csw-iso19139`…).
    #[serde(default)]
    pub kind: String,
    /// Record IRI, when it has an absolute one.
    #[serde(default)]
    pub record: Option<String>,
    /// A `dct:identifier` of the record.
    #[serde(default)]
    pub identifier: Option<String>,
    /// The record's title.
    #[serde(default)]
    pub title: Option<String>,
    /// Expected theme slugs.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Expected use-case slugs.
    #[serde(default)]
    pub use_cases: Vec<String>,
    /// Expected territory codes.
    #[serde(default)]
    pub territory: Vec<String>,
    /// Why.
    #[serde(default)]
    pub why: String,
}

/// Why a labelled set could not be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LabelError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a labelled set: one JSON object per line, blank lines ignored. Every slug and
/// territory code is checked against `vocab`, so a typo fails loudly instead of scoring
/// as an error of the classifier.
pub fn read_labels(text: &str, vocab: &Vocabularies) -> Result<Vec<Label>, LabelError> {
    let mut labels = Vec::new();
    let mut ids = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fail = |message: String| LabelError {
            line: n + 1,
            message,
        };
        let label: Label = serde_json::from_str(line).map_err(|e| fail(e.to_string()))?;
        if !ids.insert(label.id.clone()) {
            return Err(fail(format!("duplicate id {:?}", label.id)));
        }
        for slug in &label.themes {
            if vocab.themes.get(slug).is_none() {
                return Err(fail(format!("unknown theme {slug:?}")));
            }
        }
        for slug in &label.use_cases {
            if vocab.use_cases.get(slug).is_none() {
                return Err(fail(format!("unknown use case {slug:?}")));
            }
        }
        for code in &label.territory {
            if !territory_code_is_valid(code, vocab) {
                return Err(fail(format!("unknown territory {code:?}")));
            }
        }
        labels.push(label);
    }
    Ok(labels)
}

fn territory_code_is_valid(code: &str, vocab: &Vocabularies) -> bool {
    match code.split_once(':') {
        Some(("commune", c)) => c.len() == 5 && geography().commune(c).is_some(),
        Some(("departement", c)) => territory_by_key(vocab, c).is_some(),
        Some(("region", c)) => territory_by_key(vocab, &format!("region-{c}")).is_some(),
        Some(("epci", c)) => geography().epci(c).is_some(),
        None => matches!(code, "national" | "foreign" | "none"),
        Some(_) => false,
    }
}

/// The département code of an INSEE commune code (`97411` is in `974`, `2A004` in `2A`).
fn commune_departement(code: &str) -> &str {
    let len = if code.starts_with("97") { 3 } else { 2 };
    code.get(..len).unwrap_or(code)
}

/// A record of a labelled file as Moisson read and classified it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Record IRI (a skolem IRI for a blank-node record).
    pub iri: String,
    /// Its `dct:identifier` values.
    pub identifiers: Vec<String>,
    /// Its title.
    pub title: Option<String>,
    /// What Moisson gave it.
    pub classification: Classification,
}

/// Returns the candidate `label` designates: by record IRI, else by identifier (a
/// `dct:identifier`, or the `id` of the `GetRecordById` IRI Moisson gives a CSW record),
/// else by exact title.
pub fn find<'c>(label: &Label, candidates: &'c [Candidate]) -> Option<&'c Candidate> {
    if let Some(iri) = &label.record {
        if let Some(c) = candidates.iter().find(|c| &c.iri == iri) {
            return Some(c);
        }
    }
    if let Some(id) = &label.identifier {
        let id = id.trim();
        if let Some(c) = candidates
            .iter()
            .find(|c| c.identifiers.iter().any(|i| i.trim() == id) || has_id_parameter(&c.iri, id))
        {
            return Some(c);
        }
    }
    let title = label.title.as_deref()?.trim();
    candidates
        .iter()
        .find(|c| c.title.as_deref().map(str::trim) == Some(title))
}

/// Whether `iri` has the query parameter `id=<id>` (identifiers that need no escaping).
fn has_id_parameter(iri: &str, id: &str) -> bool {
    let Some((_, query)) = iri.split_once('?') else {
        return false;
    };
    query
        .split('&')
        .any(|pair| pair.strip_prefix("id=") == Some(id))
}

/// True positives, false positives and false negatives of one measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Values given and expected.
    pub true_positives: usize,
    /// Values given, not expected.
    pub false_positives: usize,
    /// Values expected, not given.
    pub false_negatives: usize,
}

impl Counts {
    /// Share of given values that were expected (`None` when nothing was given).
    pub fn precision(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Share of expected values that were given (`None` when nothing was expected).
    pub fn recall(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        (p + r > 0.0).then(|| 2.0 * p * r / (p + r))
    }

    fn add(&mut self, expected: &BTreeSet<String>, given: &BTreeSet<String>) {
        self.true_positives += expected.intersection(given).count();
        self.false_positives += given.difference(expected).count();
        self.false_negatives += expected.difference(given).count();
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The counts of one theme or use case over the whole set.
#[derive(Debug, Clone, Serialize)]
pub struct ValueRow {
    /// Slug.
    pub value: String,
    /// French label.
    pub label: String,
    /// `theme`, `sub-theme` or `use-case`.
    pub level: &'static str,
    /// Its counts.
    pub counts: Counts,
}

/// What kind of mistake a confusion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mistake {
    /// Given, not expected.
    FalsePositive,
    /// Expected, not given.
    FalseNegative,
    /// A territory set that differs from the label's.
    WrongTerritory,
}

/// One mistake on one record.
#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    /// The label id.
    pub record: String,
    /// The record's title.
    pub title: String,
    /// `theme`, `sub-theme`, `use-case` or `territory`.
    pub axis: &'static str,
    /// The kind of mistake.
    pub mistake: Mistake,
    /// The slug (or, for territories, `expected → given`).
    pub value: String,
    /// Moisson's reasons for a value it gave.
    pub reasons: Vec<String>,
}

/// Territory accuracy.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct TerritoryCounts {
    /// Records scored.
    pub records: usize,
    /// Records whose territories equal the label's.
    pub exact: usize,
    /// Records whose territories all lie inside the labelled area (and are present
    /// whenever one is expected).
    pub compatible: usize,
    /// Records whose territories equal the label's at every level (commune, EPCI,
    /// département, région, national), each set reduced to its finest places; a commune
    /// or EPCI inside a labelled département counts as that département (labels give
    /// the département when the commune is not certain).
    pub all_levels: usize,
}

/// The score of a classifier on a labelled set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Labelled records.
    pub records: usize,
    /// Ids of labels whose record was not found in its file (scored as all missed).
    pub missing: Vec<String>,
    /// Top themes (a sub-theme counts for its theme).
    pub top_themes: Counts,
    /// Sub-themes.
    pub sub_themes: Counts,
    /// Use cases.
    pub use_cases: Counts,
    /// Territories.
    pub territory: TerritoryCounts,
    /// Per theme and sub-theme, in vocabulary order.
    pub per_theme: Vec<ValueRow>,
    /// Per use case, in vocabulary order.
    pub per_use_case: Vec<ValueRow>,
    /// Every mistake, by record.
    pub confusions: Vec<Confusion>,
}

/// Scores `outcomes`: each label with what Moisson gave its record (`None` when the
/// record was not found).
pub fn score(outcomes: &[(Label, Option<Classification>)], vocab: &Vocabularies) -> Report {
    let mut report = Report {
        records: outcomes.len(),
        ..Report::default()
    };
    let empty = Classification::default();
    let mut per_value: BTreeMap<(&'static str, String), Counts> = BTreeMap::new();
    for (label, classification) in outcomes {
        if classification.is_none() {
            report.missing.push(label.id.clone());
        }
        let given = classification.as_ref().unwrap_or(&empty);
        let (top, sub) = expected_themes(&label.themes, &vocab.themes);
        let given_top = level_of(&given.themes, false);
        let given_sub = level_of(&given.themes, true);
        let expected_uses: BTreeSet<String> = label.use_cases.iter().cloned().collect();
        let given_uses = level_of(&given.use_cases, true);
        for (axis, counts, expected, got, assignments) in [
            (
                "theme",
                &mut report.top_themes,
                &top,
                &given_top,
                &given.themes,
            ),
            (
                "sub-theme",
                &mut report.sub_themes,
                &sub,
                &given_sub,
                &given.themes,
            ),
            (
                "use-case",
                &mut report.use_cases,
                &expected_uses,
                &given_uses,
                &given.use_cases,
            ),
        ] {
            counts.add(expected, got);
            for value in expected.union(got) {
                let row = per_value.entry((axis, value.clone())).or_default();
                let one = |v: &str| BTreeSet::from([v.to_owned()]);
                row.add(
                    &if expected.contains(value) {
                        one(value)
                    } else {
                        BTreeSet::new()
                    },
                    &if got.contains(value) {
                        one(value)
                    } else {
                        BTreeSet::new()
                    },
                );
                let mistake = match (expected.contains(value), got.contains(value)) {
                    (true, false) => Mistake::FalseNegative,
                    (false, true) => Mistake::FalsePositive,
                    _ => continue,
                };
                report.confusions.push(Confusion {
                    record: label.id.clone(),
                    title: label.title.clone().unwrap_or_default(),
                    axis,
                    mistake,
                    value: value.clone(),
                    reasons: reasons_of(assignments, value),
                });
            }
        }
        score_territory(label, given, classification.is_some(), vocab, &mut report);
    }
    report.per_theme = rows(&per_value, &vocab.themes, &["theme", "sub-theme"]);
    report.per_use_case = rows(&per_value, &vocab.use_cases, &["use-case"]);
    report
}

/// The labelled themes split into top themes (with each sub-theme's theme) and sub-themes.
fn expected_themes(
    themes: &[String],
    scheme: &ConceptScheme,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut top = BTreeSet::new();
    let mut sub = BTreeSet::new();
    for slug in themes {
        match scheme.get(slug).and_then(|c| c.parent.clone()) {
            Some(parent) => {
                sub.insert(slug.clone());
                top.insert(parent);
            }
            None => {
                top.insert(slug.clone());
            }
        }
    }
    (top, sub)
}

/// The values of `assignments` at one level: children (with a parent) or top concepts
/// (with the parents of the children).
fn level_of(assignments: &[Assignment], children: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in assignments {
        match (&a.parent, children) {
            (Some(_), true) | (None, false) => {
                out.insert(a.value.clone());
            }
            (Some(parent), false) => {
                out.insert(parent.clone());
            }
            (None, true) => {}
        }
    }
    out
}

fn reasons_of(assignments: &[Assignment], value: &str) -> Vec<String> {
    assignments
        .iter()
        .find(|a| a.value == value)
        .map(|a| a.reasons.clone())
        .unwrap_or_default()
}

fn rows(
    per_value: &BTreeMap<(&'static str, String), Counts>,
    scheme: &ConceptScheme,
    axes: &[&'static str],
) -> Vec<ValueRow> {
    let mut out = Vec::new();
    for concept in scheme.concepts() {
        for &axis in axes {
            if let Some(counts) = per_value.get(&(axis, concept.slug.clone())) {
                out.push(ValueRow {
                    value: concept.slug.clone(),
                    label: concept.label.clone(),
                    level: axis,
                    counts: *counts,
                });
            }
        }
    }
    out
}

/// The labelled territory as Moisson's département and région keys (`29`,
/// `region-53`): communes count as their département; EPCIs, `national`, `foreign` and
/// `none` add nothing.
fn expected_territories(codes: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for code in codes {
        match code.split_once(':') {
            Some(("commune", c)) => {
                out.insert(commune_departement(c).to_owned());
            }
            Some(("departement", c)) => {
                out.insert(c.to_owned());
            }
            Some(("region", c)) => {
                out.insert(format!("region-{c}"));
            }
            _ => {}
        }
    }
    out
}

/// Moisson's most specific départements and régions: a région is dropped when one of
/// its départements is there; finer places (communes, EPCIs) are left out, their
/// départements being listed as their parents.
fn given_territories(assignments: &[Assignment]) -> BTreeSet<String> {
    let is_coarse = |v: &str| !v.contains("commune-") && !v.contains("epci-") && v != NATIONAL;
    let parents: BTreeSet<&str> = assignments
        .iter()
        .filter(|a| is_coarse(&a.value))
        .filter_map(|a| a.parent.as_deref())
        .collect();
    assignments
        .iter()
        .filter(|a| is_coarse(&a.value) && !parents.contains(a.value.as_str()))
        .map(|a| a.value.clone())
        .collect()
}

/// Place keys without those holding another of the set (its finest places).
fn finest(keys: BTreeSet<String>) -> BTreeSet<String> {
    let held: BTreeSet<String> = keys.iter().flat_map(|k| parents_of(k)).collect();
    keys.into_iter().filter(|k| !held.contains(k)).collect()
}

/// The label as place keys at every level, finest places only.
fn expected_places(codes: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for code in codes {
        match code.split_once(':') {
            Some(("commune", c)) => out.insert(format!("commune-{c}")),
            Some(("epci", c)) => out.insert(format!("epci-{c}")),
            Some(("departement", c)) => out.insert(c.to_owned()),
            Some(("region", c)) => out.insert(format!("region-{c}")),
            _ if code == NATIONAL => out.insert(NATIONAL.to_owned()),
            _ => false,
        };
    }
    finest(out)
}

/// Whether `given` names the labelled places exactly, a commune or EPCI standing for the
/// labelled département holding it.
fn same_places(expected: &BTreeSet<String>, given: &BTreeSet<String>) -> bool {
    let stands_for = |g: &String, e: &String| {
        g == e || (!e.contains('-') && e != NATIONAL && parents_of(g).contains(e))
    };
    given
        .iter()
        .all(|g| expected.iter().any(|e| stands_for(g, e)))
        && expected
            .iter()
            .all(|e| given.iter().any(|g| stands_for(g, e)))
}

/// Whether every territory of `given` lies inside the area `expected` names.
fn compatible(expected: &BTreeSet<String>, given: &BTreeSet<String>, vocab: &Vocabularies) -> bool {
    if expected.is_empty() || given.is_empty() {
        return expected.is_empty() && given.is_empty();
    }
    let region_of = |key: &str| {
        territory_by_key(vocab, key)
            .and_then(|t| t.region.as_ref())
            .map(|r| format!("region-{r}"))
    };
    given.iter().all(|g| {
        if expected.contains(g) {
            return true;
        }
        if region_of(g).is_some_and(|r| expected.contains(&r)) {
            return true;
        }
        // A région holding every labelled département (and no other area).
        g.starts_with("region-")
            && expected
                .iter()
                .all(|e| region_of(e).as_deref() == Some(g.as_str()))
    })
}

fn score_territory(
    label: &Label,
    given: &Classification,
    found: bool,
    vocab: &Vocabularies,
    report: &mut Report,
) {
    let expected = expected_territories(&label.territory);
    let got = given_territories(&given.territories);
    report.territory.records += 1;
    if found && expected == got {
        report.territory.exact += 1;
    }
    if found && compatible(&expected, &got, vocab) {
        report.territory.compatible += 1;
    }
    let expected = expected_places(&label.territory);
    // The places found directly (a parent added « via » a finer place is not one).
    let direct = given
        .territories
        .iter()
        .filter(|a| a.reasons.iter().any(|r| !r.starts_with("via ")))
        .map(|a| a.value.clone())
        .collect();
    let got = finest(direct);
    if found && same_places(&expected, &got) {
        report.territory.all_levels += 1;
        return;
    }
    let show = |set: &BTreeSet<String>| {
        if set.is_empty() {
            "∅".to_owned()
        } else {
            set.iter().cloned().collect::<Vec<_>>().join(",")
        }
    };
    let reasons = given
        .territories
        .iter()
        .filter(|a| got.contains(&a.value))
        .flat_map(|a| a.reasons.iter().map(move |r| format!("{}: {r}", a.value)))
        .collect();
    report.confusions.push(Confusion {
        record: label.id.clone(),
        title: label.title.clone().unwrap_or_default(),
        axis: "territory",
        mistake: Mistake::WrongTerritory,
        value: format!("{} → {}", show(&expected), show(&got)),
        reasons,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::vocab::vocabularies;

    fn assignment(value: &str, parent: Option<&str>) -> Assignment {
        Assignment {
            value: value.into(),
            label: value.into(),
            parent: parent.map(Into::into),
            reasons: vec![format!("règle {value}")],
            weights: Vec::new(),
        }
    }

    fn label(themes: &[&str], use_cases: &[&str], territory: &[&str]) -> Label {
        Label {
            id: "r1".into(),
            file: "f.ttl".into(),
            kind: "dcat-turtle".into(),
            record: Some("http://example.org/r1".into()),
            identifier: None,
            title: Some("Titre".into()),
            themes: themes.iter().map(|s| (*s).into()).collect(),
            use_cases: use_cases.iter().map(|s| (*s).into()).collect(),
            territory: territory.iter().map(|s| (*s).into()).collect(),
            why: String::new(),
        }
    }

    #[test]
    fn a_sub_theme_counts_for_its_theme_and_an_extra_theme_is_a_false_positive() {
        let given = Classification {
            themes: vec![
                assignment("amenagement-et-urbanisme", None),
                assignment("planification", Some("amenagement-et-urbanisme")),
                assignment("foncier-et-occupation-du-sol", None),
                assignment("occupation-du-sol", Some("foncier-et-occupation-du-sol")),
            ],
            use_cases: vec![assignment("sobriete-fonciere", Some("transverse"))],
            territories: vec![],
        };
        let l = label(
            &["planification"],
            &["planification-territoriale"],
            &["national"],
        );
        let r = score(&[(l, Some(given))], vocabularies());
        assert_eq!(
            r.top_themes,
            Counts {
                true_positives: 1,
                false_positives: 1,
                false_negatives: 0
            }
        );
        assert_eq!(r.sub_themes.precision(), Some(0.5));
        assert_eq!(r.sub_themes.recall(), Some(1.0));
        assert_eq!(r.use_cases.recall(), Some(0.0));
        assert_eq!(r.territory.exact, 1);
        let fp: Vec<&str> = r
            .confusions
            .iter()
            .filter(|c| c.mistake == Mistake::FalsePositive)
            .map(|c| c.value.as_str())
            .collect();
        assert_eq!(
            fp,
            [
                "foncier-et-occupation-du-sol",
                "occupation-du-sol",
                "sobriete-fonciere"
            ]
        );
        assert_eq!(
            r.confusions[0].reasons,
            ["règle foncier-et-occupation-du-sol"]
        );
    }

    #[test]
    fn territories_compare_at_departement_level_with_regions_of_departements_dropped() {
        let given = Classification {
            territories: vec![
                assignment("region-75", None),
                assignment("64", Some("region-75")),
            ],
            ..Classification::default()
        };
        let commune = label(&[], &[], &["commune:64399"]);
        let r = score(&[(commune, Some(given.clone()))], vocabularies());
        assert_eq!((r.territory.exact, r.territory.compatible), (1, 1));
        let national = label(&[], &[], &["national"]);
        let r = score(&[(national, Some(given))], vocabularies());
        assert_eq!((r.territory.exact, r.territory.compatible), (0, 0));
        assert_eq!(r.confusions[0].value, "national → 64");
    }

    #[test]
    fn all_levels_compare_finest_places_and_accept_a_commune_for_its_departement() {
        let commune = |code: &str| Assignment {
            value: format!("commune-{code}"),
            label: String::new(),
            parent: None,
            reasons: vec!["titre".into()],
            weights: Vec::new(),
        };
        let given = Classification {
            territories: vec![
                assignment("region-32", None),
                assignment("80", Some("region-32")),
                commune("80176"),
            ],
            ..Classification::default()
        };
        let dep = label(&[], &[], &["departement:80"]);
        let r = score(&[(dep, Some(given.clone()))], vocabularies());
        assert_eq!(r.territory.all_levels, 1);
        let other = label(&[], &[], &["commune:80001"]);
        let r = score(&[(other, Some(given))], vocabularies());
        assert_eq!(r.territory.all_levels, 0);
        let mgp = label(
            &[],
            &[],
            &["epci:200054781", "departement:75", "departement:92"],
        );
        let epci = Classification {
            territories: vec![Assignment {
                value: "epci-200054781".into(),
                label: String::new(),
                parent: None,
                reasons: vec!["emprise".into()],
                weights: Vec::new(),
            }],
            ..Classification::default()
        };
        let r = score(&[(mgp, Some(epci))], vocabularies());
        assert_eq!(r.territory.all_levels, 1);
    }

    #[test]
    fn a_region_holding_the_labelled_departements_is_compatible_not_exact() {
        let given = Classification {
            territories: vec![assignment("region-11", None)],
            ..Classification::default()
        };
        let mgp = label(
            &[],
            &[],
            &["epci:200054781", "departement:75", "departement:92"],
        );
        let r = score(&[(mgp, Some(given.clone()))], vocabularies());
        assert_eq!((r.territory.exact, r.territory.compatible), (0, 1));
        let elsewhere = label(&[], &[], &["departement:29"]);
        let r = score(&[(elsewhere, Some(given))], vocabularies());
        assert_eq!(r.territory.compatible, 0);
    }

    #[test]
    fn a_record_not_found_misses_everything_it_expects() {
        let l = label(&["bruit"], &["qualite-de-l-air"], &["departement:24"]);
        let r = score(&[(l, None)], vocabularies());
        assert_eq!(r.missing, ["r1"]);
        assert_eq!(r.sub_themes.recall(), Some(0.0));
        assert_eq!(r.sub_themes.precision(), None);
        assert_eq!(r.territory.compatible, 0);
    }

    #[test]
    fn labels_are_checked_against_the_vocabularies() {
        let ok =
            r#"{"id":"a","file":"f","themes":["bruit"],"territory":["commune:2A004","region:94"]}"#;
        assert_eq!(read_labels(ok, vocabularies()).expect("valid").len(), 1);
        for bad in [
            r#"{"id":"a","file":"f","themes":["bruits"]}"#,
            r#"{"id":"a","file":"f","use_cases":["ppr"]}"#,
            r#"{"id":"a","file":"f","territory":["departement:99"]}"#,
            r#"{"id":"a","file":"f","territory":["paris"]}"#,
        ] {
            let e = read_labels(bad, vocabularies()).expect_err(bad);
            assert_eq!(e.line, 1);
        }
        let twice = format!("{ok}\n\n{ok}");
        assert_eq!(
            read_labels(&twice, vocabularies()).expect_err("dup").line,
            3
        );
    }

    #[test]
    fn a_label_finds_its_record_by_iri_then_identifier_then_title() {
        let candidate = |iri: &str, id: &str, title: &str| Candidate {
            iri: iri.into(),
            identifiers: vec![id.into()],
            title: Some(title.into()),
            classification: Classification::default(),
        };
        let candidates = [
            candidate("http://example.org/a", "id-a", "Titre"),
            candidate("urn:skolem:b", "id-b", "Autre"),
        ];
        let mut l = label(&[], &[], &[]);
        l.record = Some("http://example.org/a".into());
        assert_eq!(
            find(&l, &candidates).map(|c| c.iri.as_str()),
            Some("http://example.org/a")
        );
        l.record = None;
        l.identifier = Some("id-b".into());
        assert_eq!(
            find(&l, &candidates).map(|c| c.iri.as_str()),
            Some("urn:skolem:b")
        );
        l.identifier = Some("fr-120066022-ldd-1".into());
        l.title = None;
        assert!(find(&l, &candidates).is_none());
        let csw = [candidate(
            "file:///corpus/page.xml?service=CSW&request=GetRecordById&id=fr-120066022-ldd-1&outputSchema=x",
            "http://catalogue.example.org/other",
            "PLU",
        )];
        assert!(find(&l, &csw).is_some());
        l.identifier = None;
        l.title = Some("Autre".into());
        assert_eq!(
            find(&l, &candidates).map(|c| c.iri.as_str()),
            Some("urn:skolem:b")
        );
        l.title = Some("Absent".into());
        assert!(find(&l, &candidates).is_none());
    }
}
