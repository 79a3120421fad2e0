//! The text analyzers, by name: French (elision, stop words, accent folding, then stemming)
//! and English. The same analyzer reads the articles when indexing and the questions when
//! searching, so both meet on the same terms. Tantivy keeps analyzers by name outside the
//! index files: [`register`] must run on every `Index` that is created or opened.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};
use tantivy::Index;

use crate::corpus::Lang;

pub const FRENCH: &str = "kiosque_fr";
pub const ENGLISH: &str = "kiosque_en";

/// French stop words: tantivy's list (Snowball's) plus the elided forms the tokenizer leaves
/// when it splits at apostrophes (l', d', qu', jusqu', lorsqu', puisqu'...), question words
/// and the most common verbs, which say nothing of a topic.
const FRENCH_EXTRA: &[&str] = &[
    "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu", "a", "as", "est", "été", "être",
    "avoir", "où", "quand", "comment", "combien", "pourquoi", "quoi", "dont", "lequel",
    "laquelle", "lesquels", "lesquelles", "duquel", "auquel", "auxquels", "auxquelles", "ceux",
    "celle", "celles", "celui", "ça", "si", "ni", "or", "donc", "car", "cet", "ont", "très",
    "plus", "aussi", "alors", "ainsi", "tout", "tous", "toute", "toutes", "fait", "faire", "peut",
    "entre", "selon", "depuis", "chez", "vers", "sous", "après", "avant", "comme", "quelque",
    "quelques", "autre", "autres", "bien", "encore", "déjà", "toujours", "là", "cela", "ceci",
    "y", "voici", "voilà", "sont", "était", "étaient",
    // the same typed without accents, as people do in chat
    "ete", "etre", "ou", "tres", "apres", "deja", "la", "ca", "meme", "etait", "etaient",
];

/// English stop words: Lucene's list plus question words and auxiliaries.
const ENGLISH_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with", "who", "whom", "whose", "what", "which", "when",
    "where", "why", "how", "do", "does", "did", "has", "have", "had", "been", "were", "its",
    "his", "her", "he", "she", "we", "you", "i", "from", "about", "many", "much", "s",
];

fn french_stop_words() -> Vec<String> {
    let mut words: Vec<String> = tantivy_french_stop_words();
    words.extend(FRENCH_EXTRA.iter().map(|w| w.to_string()));
    words
}

/// Snowball's French list as tantivy ships it, written out: tantivy does not expose it.
fn tantivy_french_stop_words() -> Vec<String> {
    [
        "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux",
        "il", "je", "la", "le", "leur", "lui", "ma", "mais", "me", "même", "mes", "moi", "mon",
        "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa",
        "se", "ses", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre",
        "vous", "c", "d", "j", "l", "à", "m", "n", "s", "t", "y", "étée", "étées", "étant",
        "suis", "es", "êtes", "sont", "serai", "seras", "sera", "serons", "serez", "seront",
        "serais", "serait", "serions", "seriez", "seraient", "étais", "était", "étions", "étiez",
        "étaient", "fus", "fut", "fûmes", "fûtes", "furent", "sois", "soit", "soyons", "soyez",
        "soient", "fusse", "fusses", "fussions", "fussiez", "fussent", "ayant", "eu", "eue",
        "eues", "eus", "ai", "avons", "avez", "ont", "aurai", "aurons", "aurez", "auront",
        "aurais", "aurait", "aurions", "auriez", "auraient", "avais", "avait", "aviez", "avaient",
        "eut", "eûmes", "eûtes", "eurent", "aie", "aies", "ait", "ayons", "ayez", "aient",
        "eusse", "eusses", "eût", "eussions", "eussiez", "eussent", "ceci", "cela", "celà", "cet",
        "cette", "ici", "ils", "les", "leurs", "quel", "quels", "quelle", "quelles", "sans",
        "soi",
    ]
    .iter()
    .map(|w| w.to_string())
    .collect()
}

/// The French analyzer: words split at anything not a letter or digit (so "l’armée" gives
/// "l" and "armée"), lower-cased, elided articles and stop words dropped, accents folded,
/// then Snowball's French stemmer.
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(french_stop_words()))
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::French))
        .build()
}

/// The English analyzer: the same steps with English stop words and stemmer.
pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            ENGLISH_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub fn for_lang(lang: Lang) -> TextAnalyzer {
    match lang {
        Lang::Fr => french(),
        Lang::En => english(),
    }
}

/// Registers the analyzers on an index; needed after every create and open.
pub fn register(index: &Index) {
    index.tokenizers().register(FRENCH, french());
    index.tokenizers().register(ENGLISH, english());
}

/// One analysed word: its term, its place among the words, and its bytes in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub term: String,
    pub position: usize,
    pub start: usize,
    pub end: usize,
}

/// Runs an analyzer over `text`.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Word {
            term: t.text.clone(),
            position: t.position,
            start: t.offset_from,
            end: t.offset_to,
        });
    }
    out
}

/// The terms of `text`, in order.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    words(analyzer, text).into_iter().map(|w| w.term).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_meet() {
        let mut fr = french();
        let a = terms(&mut fr, "sécurité");
        assert_eq!(a.len(), 1);
        assert_eq!(terms(&mut fr, "securite"), a);
        assert_eq!(terms(&mut fr, "Sécurité"), a);
        assert_eq!(terms(&mut fr, "SÉCURITÉ"), a);
    }

    #[test]
    fn elision_and_stop_words() {
        let mut fr = french();
        assert_eq!(terms(&mut fr, "l’armée"), terms(&mut fr, "armée"));
        assert_eq!(terms(&mut fr, "l'armée"), terms(&mut fr, "armée"));
        assert_eq!(terms(&mut fr, "d'exactions"), terms(&mut fr, "exactions"));
        assert!(terms(&mut fr, "jusqu'à lorsqu'il puisqu'on qu'il n'est s'est j'ai").is_empty());
        assert!(terms(&mut fr, "Qui est le chef de la délégation ?").len() == 2);
    }

    #[test]
    fn stemming_meets_plurals_and_feminines() {
        let mut fr = french();
        assert_eq!(terms(&mut fr, "frontières"), terms(&mut fr, "frontière"));
        assert_eq!(terms(&mut fr, "malienne"), terms(&mut fr, "malien"));
        assert_eq!(terms(&mut fr, "délégations"), terms(&mut fr, "délégation"));
        let mut en = english();
        assert_eq!(terms(&mut en, "borders"), terms(&mut en, "border"));
        assert!(terms(&mut en, "the of and").is_empty());
    }

    #[test]
    fn offsets_point_into_the_text() {
        let mut fr = french();
        let text = "La sécurité de l’État";
        let w = words(&mut fr, text);
        assert_eq!(&text[w[0].start..w[0].end], "sécurité");
        assert_eq!(&text[w[1].start..w[1].end], "État");
        assert_eq!(w[1].position - w[0].position, 3, "stop words keep their places");
    }
}
