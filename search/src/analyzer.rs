//! French analysis: tokens split on anything not alphanumeric (so elisions such as `l'`,
//! `d'`, `qu'` become separate tokens, dropped as stop words), lowercased, French stop
//! words removed, accents folded, then French Snowball stemming (plurals and inflections),
//! so that "Écologie", "ecologie" and "écologies" meet. Folding comes first so that a word
//! typed without its accents stems like the accented one ("tourbieres" and "tourbières").

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};

/// The name the French analyzer is registered under in the index.
pub const FRENCH: &str = "moisson_fr";

/// Words that say nothing in a catalogue of data ("données sur…", "jeu de…"), elided
/// articles and pronouns, on top of the Snowball French stop words.
const EXTRA_STOP_WORDS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quelqu", "donnée",
    "données", "donnee", "donnees", "jeu", "jeux", "dataset", "datasets", "mon", "ma", "mes",
    "notre", "nos", "votre", "vos", "pour", "sur", "tout", "tous", "toutes", "toute", "les", "une",
    "un", "a", "à", "y", "quoi", "quel", "quels", "quelle", "quelles",
];

/// Returns the French analyzer.
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(stop_words()))
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::French))
        .build()
}

/// The stop words, with their accent-folded forms (users often type without accents).
fn stop_words() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in FRENCH_STOP_WORDS.iter().chain(EXTRA_STOP_WORDS) {
        out.push((*w).to_owned());
        let folded = fold_accents(w);
        if folded != *w {
            out.push(folded);
        }
    }
    out
}

fn fold_accents(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'à' | 'â' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' => 'u',
            other => other,
        })
        .collect()
}

/// The Snowball French stop word list (the common words of French: articles,
/// prepositions, pronouns, auxiliary forms).
const FRENCH_STOP_WORDS: &[&str] = &[
    "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux", "il",
    "je", "la", "le", "leur", "lui", "ma", "mais", "me", "même", "mes", "moi", "mon", "ne", "nos",
    "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses",
    "son", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre", "vous", "c",
    "d", "j", "l", "à", "m", "n", "s", "t", "y", "été", "étée", "étées", "étés", "étant", "suis",
    "es", "est", "sommes", "êtes", "sont", "serai", "seras", "sera", "serons", "serez", "seront",
    "serais", "serait", "serions", "seriez", "seraient", "étais", "était", "étions", "étiez",
    "étaient", "fus", "fut", "fûmes", "fûtes", "furent", "sois", "soit", "soyons", "soyez",
    "soient", "fusse", "fusses", "fût", "fussions", "fussiez", "fussent", "ayant", "eu", "eue",
    "eues", "eus", "ai", "as", "avons", "avez", "ont", "aurai", "auras", "aura", "aurons", "aurez",
    "auront", "aurais", "aurait", "aurions", "auriez", "auraient", "avais", "avait", "avions",
    "aviez", "avaient", "eut", "eûmes", "eûtes", "eurent", "aie", "aies", "ait", "ayons", "ayez",
    "aient", "eusse", "eusses", "eût", "eussions", "eussiez", "eussent", "ceci", "cela", "celà",
    "cet", "cette", "ici", "ils", "les", "leurs", "quel", "quels", "quelle", "quelles", "sans",
    "soi",
];

/// Returns the tokens `analyzer` makes of `text`, in order.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    positioned_tokens(analyzer, text)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

/// Returns the tokens `analyzer` makes of `text` with their positions: removed stop words
/// leave gaps, as they do in the index, so a phrase keeps its shape ("zones humides de
/// Bretagne" matches a title with any one word between "humides" and "Bretagne").
pub fn positioned_tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        out.push((token.position, token.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str) -> Vec<String> {
        tokens(&mut french(), text)
    }

    #[test]
    fn plurals_meet_singulars() {
        assert_eq!(analyze("zones humides"), analyze("zone humide"));
        assert_eq!(analyze("inondations"), analyze("inondation"));
        assert_eq!(analyze("rivières"), analyze("rivière"));
    }

    #[test]
    fn words_typed_without_accents_stem_like_accented_ones() {
        assert_eq!(analyze("tourbieres"), analyze("tourbières"));
        assert_eq!(analyze("electricite"), analyze("électricité"));
    }

    #[test]
    fn accents_and_case_fold() {
        assert_eq!(analyze("Écologie"), analyze("ecologie"));
        assert_eq!(analyze("ÉNERGIE"), analyze("énergie"));
        assert_eq!(analyze("Qualité"), analyze("qualite"));
    }

    #[test]
    fn stop_words_leave_a_gap_in_positions() {
        let tokens = positioned_tokens(&mut french(), "zones humides de Bretagne");
        let positions: Vec<usize> = tokens.iter().map(|(p, _)| *p).collect();
        assert_eq!(positions, vec![0, 1, 3]);
    }

    #[test]
    fn elisions_and_stop_words_go() {
        assert_eq!(analyze("l'eau"), analyze("eau"));
        assert_eq!(analyze("qualité de l’air"), analyze("qualité air"));
        assert_eq!(analyze("d'inondation"), analyze("inondation"));
        assert!(analyze("données pour mon").is_empty());
        assert_eq!(analyze("qu'un PPRI"), analyze("ppri"));
    }
}
