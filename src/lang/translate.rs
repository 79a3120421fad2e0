//! Questions in another language than the articles': what each of their words may be in the articles' language, from the bilingual dictionary,
//! from the word itself (names, numbers, words both languages share) and from look-alike
//! endings ("military" and "militaire"). The search keeps the choices its index holds.

use tantivy::tokenizer::TextAnalyzer;

use super::Lang;
use crate::lang::analyzer;
use crate::lang::dictionary::{self, Dictionary};

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
    use crate::lang::dictionary::Entry;

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
