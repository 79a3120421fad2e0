//! Questions in another language than the articles': which language a question is in, and
//! what each of its words may be in the articles' language, from the bilingual dictionary,
//! from the word itself (names, numbers, words both languages share) and from look-alike
//! endings ("military" and "militaire"). The search keeps the choices its index holds.

use tantivy::tokenizer::TextAnalyzer;

use crate::analyzer;
use crate::corpus::Lang;
use crate::dictionary::{self, Dictionary};

/// Words that only English questions use, with no French twin ("a", "on", "me" and "or" are
/// French words too): articles, pronouns, prepositions, auxiliaries, question words.
const ENGLISH_WORDS: &[&str] = &[
    "the", "an", "of", "to", "in", "at", "by", "for", "with", "from", "and", "is", "are", "was",
    "were", "be", "been", "did", "does", "do", "who", "what", "when", "where", "which", "why",
    "how", "whose", "whom", "this", "that", "these", "those", "it", "its", "their", "has", "have",
    "had", "will", "would", "can", "could", "about", "into", "between", "against", "after",
    "before", "there", "than", "not", "any", "many", "much", "they", "he", "she", "his", "her",
    "during", "since", "over", "under", "say", "said", "tell",
];
/// Words that only French questions use, with no English twin ("s" is also English's "'s"):
/// articles, pronouns, prepositions, auxiliaries, question words.
const FRENCH_WORDS: &[&str] = &[
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "est", "sont",
    "était", "au", "aux", "en", "dans", "sur", "par", "pour", "avec", "qui", "que", "qu", "quoi",
    "quand", "où", "quel", "quelle", "quels", "quelles", "comment", "combien", "pourquoi", "ce",
    "cette", "ces", "il", "elle", "ils", "elles", "se", "sa", "ses", "leur", "leurs", "ne", "pas",
    "entre", "contre", "après", "avant", "depuis", "lors", "été", "ont", "c", "y",
];

/// The language of a question. Function words decide ("who", "the" against "qui", "la");
/// a question without any (a name, a few nouns) is French unless the language detector is
/// sure of English: French is the language of most articles, and of the search as before.
pub fn question_lang(question: &str) -> Lang {
    let (mut en, mut fr) = (0, 0);
    for word in question
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        let w = word.to_lowercase();
        en += ENGLISH_WORDS.contains(&w.as_str()) as usize;
        fr += FRENCH_WORDS.contains(&w.as_str()) as usize;
    }
    if en != fr {
        return if en > fr { Lang::En } else { Lang::Fr };
    }
    let detector =
        whatlang::Detector::with_allowlist(vec![whatlang::Lang::Eng, whatlang::Lang::Fra]);
    match detector.detect(question) {
        Some(info) if info.lang() == whatlang::Lang::Eng && info.confidence() >= 0.9 => Lang::En,
        _ => Lang::Fr,
    }
}

/// One thing a question word may be in the other language.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// As shown to the asker ("frontière").
    pub word: String,
    /// As the index holds it ("frontier").
    pub term: String,
    pub weight: f32,
}

/// How much the word itself counts when the dictionary knows it ("border" is French too,
/// but rarely what "border" means) and when it does not (a name, a number).
const ITSELF_KNOWN: f32 = 0.5;
const ITSELF_UNKNOWN: f32 = 1.0;
/// How much a look-alike ("militaire" for "military") counts.
const LOOKALIKE_KNOWN: f32 = 0.5;
const LOOKALIKE_UNKNOWN: f32 = 0.8;

/// What the question word `surface` (analysed as `term` in language `from`) may be in the
/// other language, analysed by `to_analyzer`, the likeliest first.
pub fn choices(
    dict: &Dictionary,
    from: Lang,
    term: &str,
    surface: &str,
    to_analyzer: &mut TextAnalyzer,
) -> Vec<Choice> {
    let mut out: Vec<Choice> = dict
        .translate(from, term)
        .iter()
        .map(|t| Choice {
            word: t.word.clone(),
            term: t.term.clone(),
            weight: t.weight,
        })
        .collect();
    let known = !out.is_empty();
    let mut add = |word: &str, weight: f32, out: &mut Vec<Choice>| {
        let terms = analyzer::terms(to_analyzer, word);
        let [term] = terms.as_slice() else {
            return;
        };
        match out.iter_mut().find(|c| &c.term == term) {
            Some(c) => c.weight = c.weight.max(weight),
            None => out.push(Choice {
                word: word.to_string(),
                term: term.clone(),
                weight,
            }),
        }
    };
    add(
        surface,
        if known { ITSELF_KNOWN } else { ITSELF_UNKNOWN },
        &mut out,
    );
    if from == Lang::En {
        for lookalike in dictionary::french_lookalikes(surface) {
            let weight = if known {
                LOOKALIKE_KNOWN
            } else {
                LOOKALIKE_UNKNOWN
            };
            add(&lookalike, weight, &mut out);
        }
    }
    out.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Entry;

    #[test]
    fn questions_say_their_language() {
        for q in [
            "Who is the Malian security minister who visited Nouakchott?",
            "When did the military delegation arrive in Mauritania?",
            "What are the Wagner fighters accused of?",
            "joint patrols at the border",
            "how long is the border",
        ] {
            assert_eq!(question_lang(q), Lang::En, "{q}");
        }
        for q in [
            "Qui dirigeait la délégation militaire malienne ?",
            "Quand la délégation est-elle arrivée à Nouakchott ?",
            "patrouilles mixtes",
            "Modibo Koné",
            "Mali",
            "échange de renseignements entre les forces de sécurité",
            "Wagner",
            "sécurité frontière",
        ] {
            assert_eq!(question_lang(q), Lang::Fr, "{q}");
        }
    }

    #[test]
    fn choices_keep_names_and_weigh_the_dictionary_first() {
        let dict = Dictionary::from_entries(
            Lang::En,
            &[Entry {
                headword: "border".into(),
                senses: vec![vec!["lisière".into()], vec!["frontière".into()]],
            }],
        );
        let mut fr = analyzer::french();
        let mut en = analyzer::english();
        let term = |a: &mut TextAnalyzer, w: &str| analyzer::terms(a, w).pop().unwrap();

        let border = choices(
            &dict,
            Lang::En,
            &term(&mut en, "borders"),
            "borders",
            &mut fr,
        );
        let words: Vec<&str> = border.iter().map(|c| c.word.as_str()).collect();
        assert_eq!(&words[..2], ["lisière", "frontière"]);
        assert!(border[0].weight > border[1].weight);

        let name = choices(
            &dict,
            Lang::En,
            &term(&mut en, "Nouakchott"),
            "Nouakchott",
            &mut fr,
        );
        assert_eq!(name[0].term, term(&mut fr, "Nouakchott"));
        assert_eq!(name[0].weight, ITSELF_UNKNOWN);

        let military = choices(
            &dict,
            Lang::En,
            &term(&mut en, "military"),
            "military",
            &mut fr,
        );
        assert!(military
            .iter()
            .any(|c| c.term == term(&mut fr, "militaires")));
    }
}
