//! Language analysis: which language a text is in, the analyzers that turn text into index
//! terms, the cues that tell what a question asks for and what a text holds, and the
//! bilingual dictionary with the translation of question words. Nothing here reads the
//! corpus or the index.

pub mod analyzer;
mod cue_words;
pub mod cues;
pub mod dictionary;
pub mod family;
pub mod thesaurus;
pub mod translate;

pub use dictionary::Dictionary;
pub use thesaurus::Thesaurus;

use serde::{Deserialize, Serialize};

/// A language kiosque reads: of an article, of a question, of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Reads a `lang:` value such as `fr`, `fr-FR`, `en`, `English`.
    pub fn parse(value: &str) -> Option<Lang> {
        let v = value.trim().to_lowercase();
        let primary = v.split(['-', '_']).next().unwrap_or("");
        match primary {
            "fr" | "fra" | "fre" | "french" | "français" | "francais" => Some(Lang::Fr),
            "en" | "eng" | "english" | "anglais" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Function words of English with no French twin ("a", "on", "me", "or" and "but" are French
/// words too): articles, pronouns, auxiliaries, prepositions, conjunctions, question words.
const ENGLISH_WORDS: &[&str] = &[
    "the", "an", "of", "to", "in", "at", "by", "for", "with", "from", "and", "is", "are", "was",
    "were", "be", "been", "did", "does", "do", "who", "what", "when", "where", "which", "why",
    "how", "whose", "whom", "this", "that", "these", "those", "it", "its", "their", "has", "have",
    "had", "will", "would", "can", "could", "about", "into", "between", "against", "after",
    "because", "before", "there", "than", "not", "any", "many", "much", "they", "he", "she", "his",
    "her", "during", "since", "over", "under", "say", "said", "tell",
];
/// Function words of French with no English twin ("s" is also English's "'s").
const FRENCH_WORDS: &[&str] = &[
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "est", "sont",
    "était", "au", "aux", "en", "dans", "sur", "par", "pour", "avec", "qui", "que", "qu", "quoi",
    "quand", "où", "quel", "quelle", "quels", "quelles", "comment", "combien", "pourquoi", "ce",
    "cette", "ces", "il", "elle", "ils", "elles", "nous", "se", "sa", "ses", "leur", "leurs", "ne",
    "pas", "mais", "entre", "contre", "après", "avant", "depuis", "lors", "été", "ont", "c", "y",
];

/// How many English and French function words the first `limit` words of `text` hold.
fn function_words(text: &str, limit: usize) -> (usize, usize) {
    let (mut en, mut fr) = (0, 0);
    for word in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(limit)
    {
        let w = word.to_lowercase();
        en += ENGLISH_WORDS.contains(&w.as_str()) as usize;
        fr += FRENCH_WORDS.contains(&w.as_str()) as usize;
    }
    (en, fr)
}

/// The language of a question (or any short text someone typed: a mention, a direct
/// message). Function words decide ("who", "the" against "qui", "la"); a question without
/// any (a name, a few nouns) is French unless the language detector is sure of English:
/// French is the language of most articles, and of the search as before. The search, the
/// replies and the direct-message path all use this one function.
pub fn question_lang(question: &str) -> Lang {
    let (en, fr) = function_words(question, usize::MAX);
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

/// The language of an article's text: French unless it reads clearly as English (at least
/// three English function words, and more than twice as many as French ones, in its first
/// 2,000 words). An article says more than a question, so the bar is higher: a French article
/// quoting an English phrase stays French.
pub fn article_lang(body: &str) -> Lang {
    let (en, fr) = function_words(body, 2000);
    if en > fr * 2 && en >= 3 {
        Lang::En
    } else {
        Lang::Fr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_say_their_language() {
        assert_eq!(
            article_lang("The minister said that the border was closed and the army of the north was sent to the region."),
            Lang::En
        );
        assert_eq!(
            article_lang("Le ministre a dit que la frontière est fermée."),
            Lang::Fr
        );
        assert_eq!(article_lang("Who led it?"), Lang::Fr, "too short to tell");
    }

    #[test]
    fn short_questions_say_their_language() {
        assert_eq!(question_lang("Who led the delegation?"), Lang::En);
        assert_eq!(question_lang("Qui dirigeait la délégation ?"), Lang::Fr);
        assert_eq!(question_lang("Modibo Koné"), Lang::Fr);
    }

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
}
