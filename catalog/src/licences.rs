//! Licences, recognised one way everywhere: the licence facet of search, the « licence
//! connue » indicator of quality and the ISO 19139 mapping of use constraints all ask
//! [`recognise`]. (They used to disagree: an SPDX licence was « connue » for quality and
//! « Autre licence » in search; a data.gouv.fr page naming the Licence Ouverte was the
//! Licence Ouverte in search and unknown to quality.)

/// Etalab Licence Ouverte 2.0.
pub const ETALAB_2_0: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";
/// Etalab Licence Ouverte 1.0.
pub const ETALAB_1_0: &str =
    "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf";
/// Open Database License 1.0.
pub const ODBL: &str = "https://opendatacommons.org/licenses/odbl/1-0/";
/// Creative Commons Zero 1.0.
pub const CC0: &str = "https://creativecommons.org/publicdomain/zero/1.0/";
/// The EU licence authority table.
pub const EU_TABLE: &str = "http://publications.europa.eu/resource/authority/licence/";

/// A recognised licence: a stable code (the search facet value) and its French label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Licence {
    /// `lo-2.0`, `lo-1.0`, `odbl`, `cc0`, `cc-by-sa`, `cc-by`, or `autre` for a licence
    /// named in a licence register (SPDX, the EU table, Creative Commons, Open Data
    /// Commons) that has no facet of its own.
    pub code: &'static str,
    /// Its French label.
    pub label: &'static str,
}

const fn licence(code: &'static str, label: &'static str) -> Licence {
    Licence { code, label }
}

/// Registers whose IRIs name licences.
const REGISTERS: [&str; 9] = [
    EU_TABLE,
    "https://spdx.org/licenses/",
    "http://spdx.org/licenses/",
    "https://creativecommons.org/licenses/",
    "http://creativecommons.org/licenses/",
    "https://creativecommons.org/publicdomain/",
    "http://creativecommons.org/publicdomain/",
    "https://opendatacommons.org/licenses/",
    "http://opendatacommons.org/licenses/",
];

/// Lowercases, folds French accents and turns every other character into one space:
/// `Licence Ouverte / Open Licence v2.0` → `licence ouverte open licence v2 0`.
fn key(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => ' ',
        };
        if c != ' ' || !out.ends_with(' ') {
            out.push(c);
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Recognises the licence `raw` names: an IRI (Etalab, the EU table, SPDX, Creative
/// Commons, Open Data Commons, or any address that spells the licence's name) or a label
/// (`Licence Ouverte v2.0`, `ODbL`, `CC-BY 4.0`).
pub fn recognise(raw: &str) -> Option<Licence> {
    let k = key(raw);
    let has = |w: &str| k.contains(w);
    if has("etalab")
        || has("licence ouverte")
        || has("open licence")
        || has(" lo 2")
        || has(" lo 1 ")
    {
        let v1 =
            has(" 1 0 ") || has(" v1 ") || has("v1 0") || has(" 2014 ") || k.ends_with(" lo 1 ");
        return Some(if v1 {
            licence("lo-1.0", "Licence Ouverte 1.0")
        } else {
            licence("lo-2.0", "Licence Ouverte 2.0 (Etalab)")
        });
    }
    if has("odbl") || has("open database licen") {
        return Some(licence("odbl", "ODbL"));
    }
    if has("cc0") || has("publicdomain zero") || has("cc zero") || has("public domain dedication") {
        return Some(licence("cc0", "CC0"));
    }
    let creative_commons = has(" cc ") || has("creativecommons") || has("creative common");
    if creative_commons && (has(" by sa ") || has("sharealike") || has("share alike")) {
        return Some(licence("cc-by-sa", "CC BY-SA"));
    }
    if (creative_commons && (has(" by ") || has("attribution"))) || has("licenses by ") {
        return Some(licence("cc-by", "CC BY"));
    }
    let trimmed = raw.trim();
    if REGISTERS.iter().any(|r| trimmed.starts_with(r)) {
        return Some(licence("autre", "Autre licence"));
    }
    None
}

/// The licence's canonical IRI, for an ISO 19139 use constraint with anchor `href` and
/// text `text`: the anchor when it is a register's IRI, else the canonical address of the
/// licence recognised (Creative Commons with the version the text gives, 4.0 by default).
pub fn canonical_iri(href: Option<&str>, text: &str) -> Option<String> {
    let href = href.map(str::trim).filter(|h| h.starts_with("http"));
    let named = href.and_then(recognise);
    let found = named.or_else(|| recognise(text))?;
    let versions = key(&format!("{} {text}", href.unwrap_or_default()));
    Some(match found.code {
        "lo-1.0" => ETALAB_1_0.to_owned(),
        "lo-2.0" => ETALAB_2_0.to_owned(),
        // A register's own address for the licence is canonical already.
        _ if named.is_some() && !href.unwrap_or_default().contains("etalab") => {
            href.unwrap_or_default().to_owned()
        }
        "odbl" => ODBL.to_owned(),
        "cc0" => CC0.to_owned(),
        code @ ("cc-by" | "cc-by-sa") => {
            let version = if versions.contains(" 3 0 ") {
                "3.0"
            } else if versions.contains(" 2 0 ") {
                "2.0"
            } else {
                "4.0"
            };
            let kind = &code[3..];
            format!("https://creativecommons.org/licenses/{kind}/{version}/")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> Option<&'static str> {
        recognise(raw).map(|l| l.code)
    }

    #[test]
    fn licences_are_recognised_from_iris_and_labels() {
        assert_eq!(code(ETALAB_2_0), Some("lo-2.0"));
        assert_eq!(code(ETALAB_1_0), Some("lo-1.0"));
        assert_eq!(
            code("Licence Ouverte / Open Licence version 2.0"),
            Some("lo-2.0")
        );
        assert_eq!(code("Licence ouverte / Open licence v1.0"), Some("lo-1.0"));
        assert_eq!(
            code("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"),
            Some("cc-by")
        );
        assert_eq!(
            code("http://publications.europa.eu/resource/authority/licence/ODBL"),
            Some("odbl")
        );
        assert_eq!(
            code("https://opendatacommons.org/licenses/odbl/1-0/"),
            Some("odbl")
        );
        assert_eq!(code("CC-BY-SA 3.0"), Some("cc-by-sa"));
        assert_eq!(
            code("https://creativecommons.org/licenses/by/4.0/"),
            Some("cc-by")
        );
        assert_eq!(code("https://spdx.org/licenses/MIT"), Some("autre"));
        assert_eq!(
            code("https://www.data.gouv.fr/fr/licences/licence-ouverte"),
            Some("lo-2.0")
        );
        for unknown in [
            "https://example.org/ma-licence",
            "propriétaire",
            "Pas de condition d'utilisation",
            "",
        ] {
            assert_eq!(code(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn iso_use_constraints_get_canonical_iris() {
        assert_eq!(
            canonical_iri(None, "Licence Ouverte version 2.0").as_deref(),
            Some(ETALAB_2_0)
        );
        assert_eq!(canonical_iri(None, "ODbL").as_deref(), Some(ODBL));
        assert_eq!(
            canonical_iri(None, "CC-BY 3.0").as_deref(),
            Some("https://creativecommons.org/licenses/by/3.0/")
        );
        assert_eq!(
            canonical_iri(Some("https://spdx.org/licenses/MIT"), "MIT").as_deref(),
            Some("https://spdx.org/licenses/MIT")
        );
        assert_eq!(
            canonical_iri(
                Some("https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf"),
                ""
            )
            .as_deref(),
            Some(ETALAB_1_0)
        );
        assert_eq!(canonical_iri(None, "usage interne"), None);
    }
}
