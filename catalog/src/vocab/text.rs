//! French text normalization for classification rules.
//!
//! Rules and record text go through the same [`normalize`], so a rule written
//! "cours d'eau" matches the keyword "Cours d’eau", "COURS D'EAU" or "cours-d-eau":
//! lowercase, accents folded, punctuation turned into spaces, elided articles (`l'`, `d'`,
//! `qu'`…) dropped, and a final plural `s`/`x` removed from words of four letters or more.

/// Returns `text` normalized for matching: words separated by one space.
///
/// ```
/// use moisson_catalog::vocab::text::normalize;
/// assert_eq!(normalize("Cours d’Eau"), "cour eau");
/// assert_eq!(normalize("Zones HUMIDES"), normalize("zone humide"));
/// assert_eq!(normalize("Qualité de l'air"), "qualite de air");
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                push_folded(&mut word, lower);
            }
        } else {
            flush_word(&mut out, &mut word);
        }
    }
    flush_word(&mut out, &mut word);
    out
}

/// Returns true when `needle` (normalized) occurs in `haystack` (normalized) as whole words.
///
/// ```
/// use moisson_catalog::vocab::text::{contains_phrase, normalize};
/// let keyword = normalize("Risque/Inondation");
/// assert!(contains_phrase(&keyword, &normalize("inondations")));
/// assert!(!contains_phrase(&normalize("rivières"), &normalize("rive")));
/// ```
pub fn contains_phrase(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() || haystack.len() < needle.len() {
        return false;
    }
    let mut start = 0;
    while let Some(pos) = haystack[start..].find(needle) {
        let at = start + pos;
        let end = at + needle.len();
        let before_ok = at == 0 || haystack.as_bytes()[at - 1] == b' ';
        let after_ok = end == haystack.len() || haystack.as_bytes()[end] == b' ';
        if before_ok && after_ok {
            return true;
        }
        start = at + 1;
        while !haystack.is_char_boundary(start) {
            start += 1;
        }
    }
    false
}

/// Folds one lowercase character to its ASCII base letter(s) when it is a Latin letter.
fn push_folded(word: &mut String, c: char) {
    let folded = match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
        'ç' => "c",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'î' | 'ï' | 'í' | 'ì' => "i",
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
        'ù' | 'û' | 'ü' | 'ú' => "u",
        'ÿ' => "y",
        'ñ' => "n",
        'œ' => "oe",
        'æ' => "ae",
        other => {
            word.push(other);
            return;
        }
    };
    word.push_str(folded);
}

/// Words dropped because they are elided articles or pronouns (`l'eau` → `eau`).
const ELISIONS: &[&str] = &["l", "d", "j", "m", "n", "s", "t", "c", "qu"];

fn flush_word(out: &mut String, word: &mut String) {
    if word.is_empty() {
        return;
    }
    if !ELISIONS.contains(&word.as_str()) {
        if word.chars().count() >= 4 && (word.ends_with('s') || word.ends_with('x')) {
            word.pop();
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    word.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(normalize("Écologie du LITTORAL"), "ecologie du littoral");
        assert_eq!(normalize("Côtes-d'Armor"), "cote armor");
        assert_eq!(normalize("  œuvre  "), "oeuvre");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("l'"), "");
    }

    #[test]
    fn reduces_plurals_both_sides() {
        assert_eq!(normalize("eaux"), normalize("eau"));
        assert_eq!(normalize("zones inondables"), normalize("zone inondable"));
        assert_eq!(normalize("gaz"), "gaz");
    }

    #[test]
    fn matches_whole_words_only() {
        assert!(contains_phrase("plan de prevention", "prevention"));
        assert!(!contains_phrase("preventions", "prevention"));
        assert!(!contains_phrase("eau", "eaux potable"));
        assert!(contains_phrase("a b a b c", "b c"));
    }
}
