//! The kinds of data each use case needs, as the gap view lists them: a French label and
//! the search that finds that kind of data. Built from the use-case definitions of
//! `catalog/vocab/use-cases.ttl` (and `reference/vocabularies.md`). The count shown is
//! the total of the linked search. A query is an exact phrase (quoted) when it has no
//! French stop word; otherwise its words are required without quotes, because the index
//! drops stop words and a quoted phrase containing one never matches.
//!
//! This table is presentation knowledge of the gap view; when other parts need it (the
//! API, the CLI), it belongs in the use-case vocabulary as one more property per concept.

/// One kind of data a use case needs.
pub(crate) struct Need {
    /// What it is, in French.
    pub(crate) label: &'static str,
    /// The search text that finds it.
    pub(crate) query: &'static str,
}

const fn need(label: &'static str, query: &'static str) -> Need {
    Need { label, query }
}

const PCAET: &[Need] = &[
    need("Émissions de gaz à effet de serre", "gaz effet serre"),
    need("Consommations d'énergie", "consommations énergie"),
    need(
        "Production d'énergies renouvelables",
        "\"énergie renouvelable\"",
    ),
    need("Qualité de l'air", "qualité air"),
    need("Précarité énergétique", "\"précarité énergétique\""),
    need("Séquestration carbone", "\"séquestration carbone\""),
    need(
        "Vulnérabilité au changement climatique",
        "\"changement climatique\"",
    ),
];

const PPRI: &[Need] = &[
    need("Atlas des zones inondables (AZI)", "\"zones inondables\""),
    need(
        "Territoires à risque important d'inondation (TRI)",
        "risque important inondation",
    ),
    need(
        "Enveloppes approchées des inondations potentielles (EAIP)",
        "\"inondations potentielles\"",
    ),
    need("Repères de crues", "repères crues"),
    need("Plans de prévention approuvés (PPRI)", "\"PPRI\""),
    need("Submersion marine", "\"submersion marine\""),
    need("Cours d'eau", "cours eau"),
    need("Modèle numérique de terrain", "modèle numérique terrain"),
];

const BILAN_CARBONE: &[Need] = &[
    need("Émissions de GES par secteur", "émissions GES"),
    need("Bilan carbone du territoire", "\"bilan carbone\""),
    need("Consommations d'énergie", "consommations énergie"),
    need(
        "Stockage et séquestration du carbone",
        "\"séquestration carbone\"",
    ),
];

const ABC: &[Need] = &[
    need("ZNIEFF", "\"ZNIEFF\""),
    need("Sites Natura 2000", "\"Natura 2000\""),
    need("Zones humides", "\"zones humides\""),
    need("Trame verte et bleue", "trame verte bleue"),
    need("Espèces protégées", "\"espèces protégées\""),
    need("Observations naturalistes", "\"observations naturalistes\""),
    need("Haies et bocage", "\"haies\""),
];

const RENOVATION: &[Need] = &[
    need(
        "Diagnostics de performance énergétique (DPE)",
        "\"performance énergétique\"",
    ),
    need("Passoires thermiques", "\"passoires thermiques\""),
    need(
        "Aides à la rénovation (MaPrimeRénov')",
        "\"rénovation énergétique\"",
    ),
    need(
        "Précarité énergétique des ménages",
        "\"précarité énergétique\"",
    ),
    need("Parc de logements", "\"logements\""),
];

const SOBRIETE_FONCIERE: &[Need] = &[
    need("Occupation du sol", "occupation sol"),
    need("Artificialisation des sols", "\"artificialisation\""),
    need(
        "Consommation d'espaces naturels, agricoles et forestiers",
        "consommation espaces",
    ),
    need("Friches", "\"friches\""),
];

const PLANIFICATION: &[Need] = &[
    need(
        "Plans locaux d'urbanisme (PLU, PLUi)",
        "plan local urbanisme",
    ),
    need("Documents d'urbanisme en vigueur", "documents urbanisme"),
    need(
        "Servitudes d'utilité publique",
        "servitudes utilité publique",
    ),
    need("Schémas de cohérence territoriale (SCoT)", "\"SCoT\""),
];

const EAU: &[Need] = &[
    need("Masses d'eau", "masses eau"),
    need("Cours d'eau", "cours eau"),
    need("Qualité des eaux", "qualité cours eau"),
    need("Zones humides", "\"zones humides\""),
    need("Zones vulnérables aux nitrates", "\"nitrates\""),
    need("Obstacles à l'écoulement", "obstacles écoulement"),
];

const ENR: &[Need] = &[
    need("Parcs éoliens", "\"éoliens\""),
    need("Installations photovoltaïques", "\"photovoltaïques\""),
    need("Potentiel solaire", "\"potentiel solaire\""),
    need(
        "Zones d'accélération des énergies renouvelables",
        "zones accélération",
    ),
    need(
        "Installations de production d'énergie renouvelable",
        "\"énergie renouvelable\"",
    ),
];

const MOBILITE: &[Need] = &[
    need("Aménagements cyclables", "\"cyclables\""),
    need("Transports collectifs", "transports commun"),
    need("Covoiturage", "\"covoiturage\""),
    need("Bornes de recharge (IRVE)", "bornes recharge"),
];

const RISQUES_TECHNO: &[Need] = &[
    need(
        "Installations classées (ICPE)",
        "\"installations classées\"",
    ),
    need("Établissements Seveso", "\"Seveso\""),
    need(
        "Plans de prévention des risques technologiques (PPRT)",
        "\"PPRT\"",
    ),
    need("Sites et sols pollués", "\"sols pollués\""),
    need(
        "Canalisations de matières dangereuses",
        "\"matières dangereuses\"",
    ),
];

const TRAIT_DE_COTE: &[Need] = &[
    need("Évolution du trait de côte", "trait côte"),
    need("Érosion côtière", "\"érosion côtière\""),
    need("Submersion marine", "\"submersion marine\""),
    need("Domaine public maritime", "\"domaine public maritime\""),
];

const FORET: &[Need] = &[
    need("Forêts publiques", "\"forêts publiques\""),
    need("Peuplements forestiers", "\"peuplements forestiers\""),
    need("Risque incendie de forêt", "\"risque incendie\""),
    need(
        "Obligations légales de débroussaillement",
        "\"débroussaillement\"",
    ),
];

const AGRICULTURE: &[Need] = &[
    need(
        "Registre parcellaire graphique (RPG)",
        "\"registre parcellaire graphique\"",
    ),
    need("Agriculture biologique", "\"agriculture biologique\""),
    need("Zones agricoles protégées", "\"zones agricoles protégées\""),
    need("Plans d'épandage", "\"épandage\""),
];

const AIR: &[Need] = &[
    need("Stations de mesure de la qualité de l'air", "qualité air"),
    need("Concentrations de polluants (NO2, particules)", "\"NO2\""),
    need("Cartes de bruit", "cartes bruit"),
    need(
        "Classement sonore des infrastructures",
        "\"classement sonore\"",
    ),
    need("Plans de prévention du bruit (PPBE)", "\"PPBE\""),
];

/// Returns the kinds of data the use case `slug` needs (empty for a group or an unknown
/// slug).
pub(crate) fn needs_of(slug: &str) -> &'static [Need] {
    match slug {
        "pcaet" => PCAET,
        "ppri" => PPRI,
        "bilan-carbone" => BILAN_CARBONE,
        "abc" => ABC,
        "renovation-energetique" => RENOVATION,
        "sobriete-fonciere" => SOBRIETE_FONCIERE,
        "planification-territoriale" => PLANIFICATION,
        "gestion-de-l-eau" => EAU,
        "energies-renouvelables" => ENR,
        "mobilite-durable" => MOBILITE,
        "risques-technologiques" => RISQUES_TECHNO,
        "trait-de-cote" => TRAIT_DE_COTE,
        "foret-incendies" => FORET,
        "agriculture-alimentation" => AGRICULTURE,
        "qualite-de-l-air" => AIR,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_use_case_of_the_vocabulary_has_its_needs() {
        let scheme = &moisson_catalog::vocab::vocabularies().use_cases;
        for c in scheme.concepts().iter().filter(|c| c.parent.is_some()) {
            assert!(
                needs_of(&c.slug).len() >= 3,
                "use case {} lists no kinds of data for the gap view",
                c.slug
            );
        }
    }

    #[test]
    fn quoted_queries_keep_every_word() {
        // The index drops stop words, so a quoted phrase with one never matches.
        let mut analyzer = moisson_search::analyzer::french();
        let scheme = &moisson_catalog::vocab::vocabularies().use_cases;
        for c in scheme.concepts() {
            for need in needs_of(&c.slug) {
                if let Some(phrase) = need
                    .query
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                {
                    let tokens = moisson_search::analyzer::tokens(&mut analyzer, phrase);
                    assert_eq!(
                        tokens.len(),
                        phrase.split_whitespace().count(),
                        "{}: {phrase:?} has a stop word",
                        c.slug
                    );
                }
            }
        }
    }
}
