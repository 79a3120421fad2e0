//! The text analyzers, by name: French (elision, stop words, accent folding, then stemming)
//! and English. The same analyzer reads the articles when indexing and the questions when
//! searching, so both meet on the same terms. Tantivy keeps analyzers by name outside the
//! index files: [`register`] must run on every `Index` that is created or opened.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::Index;

use crate::lang::Lang;

pub const FRENCH: &str = "kiosque_fr";
pub const ENGLISH: &str = "kiosque_en";

/// French stop words: tantivy's list (Snowball's) plus the elided forms the tokenizer leaves
/// when it splits at apostrophes (l', d', qu', jusqu', lorsqu', puisqu'...), question words
/// and the most common verbs, which say nothing of a topic.
const FRENCH_EXTRA: &[&str] = &[
    "jusqu",
    "lorsqu",
    "puisqu",
    "quoiqu",
    "presqu",
    "quelqu",
    "a",
    "as",
    "est",
    "été",
    "être",
    "avoir",
    "où",
    "quand",
    "comment",
    "combien",
    "pourquoi",
    "quoi",
    "dont",
    "lequel",
    "laquelle",
    "lesquels",
    "lesquelles",
    "duquel",
    "auquel",
    "auxquels",
    "auxquelles",
    "ceux",
    "celle",
    "celles",
    "celui",
    "ça",
    "si",
    "ni",
    "or",
    "donc",
    "car",
    "cet",
    "ont",
    "très",
    "plus",
    "aussi",
    "alors",
    "ainsi",
    "tout",
    "tous",
    "toute",
    "toutes",
    "fait",
    "faire",
    "peut",
    "entre",
    "selon",
    "depuis",
    "chez",
    "vers",
    "sous",
    "après",
    "avant",
    "comme",
    "quelque",
    "quelques",
    "autre",
    "autres",
    "bien",
    "encore",
    "déjà",
    "toujours",
    "là",
    "cela",
    "ceci",
    "y",
    "voici",
    "voilà",
    "sont",
    "était",
    "étaient",
    "elles",
    "chacun",
    "chacune",
    "rien",
    "aucun",
    "aucune",
    "tel",
    "telle",
    "tels",
    "telles",
    "lors",
    "afin",
    // the same typed without accents, as people do in chat
    "ete",
    "etre",
    "ou",
    "tres",
    "apres",
    "deja",
    "la",
    "ca",
    "meme",
    "etait",
    "etaient",
];

/// English stop words: Lucene's list plus question words and auxiliaries.
const ENGLISH_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with", "who", "whom", "whose", "what", "which", "when",
    "where", "why", "how", "do", "does", "did", "has", "have", "had", "been", "were", "its", "his",
    "her", "he", "she", "we", "you", "i", "from", "about", "many", "much", "s",
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
        "vous", "c", "d", "j", "l", "à", "m", "n", "s", "t", "y", "étée", "étées", "étant", "suis",
        "es", "êtes", "sont", "serai", "seras", "sera", "serons", "serez", "seront", "serais",
        "serait", "serions", "seriez", "seraient", "étais", "était", "étions", "étiez", "étaient",
        "fus", "fut", "fûmes", "fûtes", "furent", "sois", "soit", "soyons", "soyez", "soient",
        "fusse", "fusses", "fussions", "fussiez", "fussent", "ayant", "eu", "eue", "eues", "eus",
        "ai", "avons", "avez", "ont", "aurai", "aurons", "aurez", "auront", "aurais", "aurait",
        "aurions", "auriez", "auraient", "avais", "avait", "aviez", "avaient", "eut", "eûmes",
        "eûtes", "eurent", "aie", "aies", "ait", "ayons", "ayez", "aient", "eusse", "eusses",
        "eût", "eussions", "eussiez", "eussent", "ceci", "cela", "celà", "cet", "cette", "ici",
        "ils", "les", "leurs", "quel", "quels", "quelle", "quelles", "sans", "soi",
    ]
    .iter()
    .map(|w| w.to_string())
    .collect()
}

/// Demonyms and the place they name, so that "l’armée malienne" and "le Mali" meet. News
/// text says either, and a question may say the other. Each stem takes its French endings
/// (-ien: -ien, -ienne, -iens, -iennes; -ais, -ain, -ois likewise).
const FRENCH_DEMONYMS: &[(&str, &str)] = &[
    ("malien", "mali"),
    ("mauritanien", "mauritanie"),
    ("nigérien", "niger"),
    ("algérien", "algérie"),
    ("tunisien", "tunisie"),
    ("libyen", "libye"),
    ("tchadien", "tchad"),
    ("guinéen", "guinée"),
    ("ivoirien", "ivoire"),
    ("égyptien", "égypte"),
    ("ukrainien", "ukraine"),
    ("italien", "italie"),
    ("iranien", "iran"),
    ("israélien", "israël"),
    ("palestinien", "palestine"),
    ("syrien", "syrie"),
    ("irakien", "irak"),
    ("ghanéen", "ghana"),
    ("gambien", "gambie"),
    ("sahélien", "sahel"),
    ("européen", "europe"),
    ("nigérian", "nigeria"),
    ("sénégalais", "sénégal"),
    ("français", "france"),
    ("camerounais", "cameroun"),
    ("soudanais", "soudan"),
    ("libanais", "liban"),
    ("togolais", "togo"),
    ("marocain", "maroc"),
    ("africain", "afrique"),
    ("américain", "amérique"),
    ("chinois", "chine"),
    ("béninois", "bénin"),
    ("bamakois", "bamako"),
    ("burkinabè", "burkina"),
    ("burkinabé", "burkina"),
    ("burkinabe", "burkina"),
    ("russe", "russie"),
    ("allemand", "allemagne"),
    ("espagnol", "espagne"),
    ("turc", "turquie"),
    ("turque", "turquie"),
];
const ENGLISH_DEMONYMS: &[(&str, &str)] = &[
    ("malian", "mali"),
    ("mauritanian", "mauritania"),
    ("nigerien", "niger"),
    ("algerian", "algeria"),
    ("tunisian", "tunisia"),
    ("libyan", "libya"),
    ("chadian", "chad"),
    ("senegalese", "senegal"),
    ("moroccan", "morocco"),
    ("sahelian", "sahel"),
    ("african", "africa"),
    ("european", "europe"),
    ("french", "france"),
    ("russian", "russia"),
    ("burkinabe", "burkina"),
    ("egyptian", "egypt"),
    ("ukrainian", "ukraine"),
    ("nigerian", "nigeria"),
    ("chinese", "china"),
    ("american", "america"),
];

fn demonyms(table: &[(&str, &str)], french: bool) -> Arc<HashMap<String, String>> {
    let mut map = HashMap::new();
    for (stem, place) in table {
        let forms: Vec<String> = if !french {
            vec![stem.to_string(), format!("{stem}s")]
        } else if stem.ends_with("ien") || stem.ends_with("éen") {
            vec![
                stem.to_string(),
                format!("{stem}ne"),
                format!("{stem}s"),
                format!("{stem}nes"),
            ]
        } else if stem.ends_with('s') {
            vec![stem.to_string(), format!("{stem}e"), format!("{stem}es")]
        } else if stem.ends_with('e') || stem.ends_with('è') || stem.ends_with('é') {
            vec![stem.to_string(), format!("{stem}s")]
        } else {
            vec![
                stem.to_string(),
                format!("{stem}e"),
                format!("{stem}s"),
                format!("{stem}es"),
            ]
        };
        for form in forms {
            map.insert(form, place.to_string());
        }
    }
    Arc::new(map)
}

/// Replaces a word by another when a table says so (demonyms by their place).
#[derive(Clone)]
pub struct Rewrite {
    map: Arc<HashMap<String, String>>,
}

impl Rewrite {
    fn french() -> Rewrite {
        static MAP: OnceLock<Arc<HashMap<String, String>>> = OnceLock::new();
        Rewrite {
            map: MAP.get_or_init(|| demonyms(FRENCH_DEMONYMS, true)).clone(),
        }
    }

    fn english() -> Rewrite {
        static MAP: OnceLock<Arc<HashMap<String, String>>> = OnceLock::new();
        Rewrite {
            map: MAP
                .get_or_init(|| demonyms(ENGLISH_DEMONYMS, false))
                .clone(),
        }
    }
}

impl TokenFilter for Rewrite {
    type Tokenizer<T: Tokenizer> = RewriteFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RewriteFilter<T> {
        RewriteFilter {
            map: self.map,
            inner,
        }
    }
}

#[derive(Clone)]
pub struct RewriteFilter<T> {
    map: Arc<HashMap<String, String>>,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RewriteFilter<T> {
    type TokenStream<'a> = RewriteStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewriteStream {
            map: &self.map,
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct RewriteStream<'a, S> {
    map: &'a HashMap<String, String>,
    tail: S,
}

impl<S: TokenStream> TokenStream for RewriteStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        if let Some(to) = self.map.get(&self.tail.token().text) {
            let token = self.tail.token_mut();
            token.text.clear();
            token.text.push_str(to);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// French stop words, built once.
fn french_stop_filter() -> StopWordFilter {
    static FILTER: OnceLock<StopWordFilter> = OnceLock::new();
    FILTER
        .get_or_init(|| StopWordFilter::remove(french_stop_words()))
        .clone()
}

/// English stop words, built once.
fn english_stop_filter() -> StopWordFilter {
    static FILTER: OnceLock<StopWordFilter> = OnceLock::new();
    FILTER
        .get_or_init(|| StopWordFilter::remove(ENGLISH_WORDS.iter().map(|w| w.to_string())))
        .clone()
}

/// The French analyzer: words split at anything not a letter or digit (so "l’armée" gives
/// "l" and "armée"), lower-cased, elided articles and stop words dropped, demonyms turned
/// into their place, accents folded, then Snowball's French stemmer.
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(french_stop_filter())
        .filter(Rewrite::french())
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::French))
        .build()
}

/// The English analyzer: the same steps with English stop words and stemmer.
pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(english_stop_filter())
        .filter(Rewrite::english())
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
        assert!(terms(
            &mut fr,
            "jusqu'à lorsqu'il puisqu'on qu'il n'est s'est j'ai"
        )
        .is_empty());
        assert!(terms(&mut fr, "Qui est le chef de la délégation ?").len() == 2);
    }

    #[test]
    fn stemming_meets_plurals_and_feminines() {
        let mut fr = french();
        assert_eq!(terms(&mut fr, "frontières"), terms(&mut fr, "frontière"));
        assert_eq!(terms(&mut fr, "malienne"), terms(&mut fr, "malien"));
        assert_eq!(terms(&mut fr, "délégations"), terms(&mut fr, "délégation"));
        assert_eq!(terms(&mut fr, "maliennes"), terms(&mut fr, "Mali"));
        assert_eq!(terms(&mut fr, "sénégalaise"), terms(&mut fr, "Sénégal"));
        assert_eq!(terms(&mut fr, "Burkinabè"), terms(&mut fr, "burkina"));
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
        assert_eq!(
            w[1].position - w[0].position,
            3,
            "stop words keep their places"
        );
    }
}
