//! What a question asks for (a person, a date, a number, a place) and which of those a piece
//! of text contains, told from the words alone: question words, month names, digits, titles
//! before names, prepositions before place names. Cheap enough to run on every passage when
//! indexing and on every sentence of a hit when answering.

use super::cue_words::{
    DATE_NOUNS, DAYS, MONTHS, NUMBER_NOUNS, NUMBER_WORDS, PERSON_NOUNS, PLACE_NOUNS, PLACE_PREPS,
    PLACE_WORDS, TITLES,
};

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Asks {
    Person,
    Date,
    Number,
    Place,
    Other,
}

/// The kinds of facts a text contains, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cues(pub u64);

impl Cues {
    pub const PERSON: u64 = 1;
    pub const DATE: u64 = 2;
    pub const NUMBER: u64 = 4;
    pub const PLACE: u64 = 8;

    pub fn has(self, asks: Asks) -> bool {
        let bit = match asks {
            Asks::Person => Self::PERSON,
            Asks::Date => Self::DATE,
            Asks::Number => Self::NUMBER,
            Asks::Place => Self::PLACE,
            Asks::Other => return false,
        };
        self.0 & bit != 0
    }
}

/// Lower-cases and folds the accents of the few letters French uses, for matching cue words.
pub fn fold(word: &str) -> String {
    word.chars()
        .flat_map(|c| c.to_lowercase())
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '’' => '\'',
            c => c,
        })
        .collect()
}

/// Words that, in a question, only say what kind of answer is wanted ("à quelle *date*",
/// "quelle *longueur*"): they weigh less when judging whether a passage covers the question.
/// They are the time nouns, and the generic nouns for a name, a place, a count and a
/// dimension, French and English; not nouns such as "prix" or "population", which are as
/// much the topic as the kind of answer.
pub fn is_focus_word(folded: &str) -> bool {
    DATE_NOUNS.contains(&folded)
        || matches!(
            folded,
            "nom"
                | "lieu"
                | "endroit"
                | "nombre"
                | "quantite"
                | "longueur"
                | "largeur"
                | "hauteur"
                | "profondeur"
                | "distance"
                | "superficie"
                | "taille"
                | "duree"
                | "name"
                | "place"
                | "location"
                | "number"
                | "quantity"
                | "length"
                | "width"
                | "height"
                | "depth"
                | "size"
                | "duration"
        )
}

/// What a question asks for, from its first words.
pub fn asks(question: &str) -> Asks {
    let words: Vec<String> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(fold)
        .collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let has = |s: &str| w.contains(&s);
    let first = w.first().copied().unwrap_or("");
    let head = &w[..w.len().min(4)];
    // "quel/quelle/what/which ... NOUN": the noun after the question word decides
    let noun_after_which = || {
        let i = w.iter().position(|x| {
            matches!(
                *x,
                "quel"
                    | "quelle"
                    | "quels"
                    | "quelles"
                    | "lequel"
                    | "laquelle"
                    | "lesquels"
                    | "lesquelles"
                    | "what"
                    | "which"
            )
        })?;
        w.iter()
            .skip(i + 1)
            .find(|x| {
                !matches!(
                    **x,
                    "est"
                        | "sont"
                        | "etait"
                        | "etaient"
                        | "le"
                        | "la"
                        | "les"
                        | "l"
                        | "is"
                        | "are"
                        | "was"
                        | "were"
                        | "the"
                        | "a"
                        | "an"
                        | "fut"
                        | "sera"
                        | "seront"
                        | "serait"
                        | "will"
                        | "be"
                        | "s"
                        | "t"
                        | "il"
                        | "elle"
                )
            })
            .copied()
    };
    if first == "combien"
        || (first == "how"
            && matches!(
                w.get(1),
                Some(
                    &("many"
                        | "much"
                        | "long"
                        | "far"
                        | "big"
                        | "old"
                        | "large"
                        | "tall"
                        | "high"
                        | "deep"
                        | "wide"
                        | "heavy")
                )
            ))
    {
        return Asks::Number;
    }
    if head.contains(&"quand") || first == "when" {
        return Asks::Date;
    }
    if head.contains(&"ou") && (first == "ou" || w.get(1) == Some(&"ou")) || first == "where" {
        return Asks::Place;
    }
    if first == "qui"
        || (head.contains(&"qui")
            && matches!(
                first,
                "par" | "a" | "de" | "avec" | "pour" | "contre" | "chez" | "selon"
            ))
        || first == "who"
        || first == "whom"
    {
        return Asks::Person;
    }
    if let Some(noun) = noun_after_which() {
        if DATE_NOUNS.contains(&noun) {
            return Asks::Date;
        }
        if NUMBER_NOUNS.contains(&noun) {
            return Asks::Number;
        }
        if PLACE_NOUNS.contains(&noun) {
            return Asks::Place;
        }
        if PERSON_NOUNS.contains(&noun) {
            return Asks::Person;
        }
    }
    if has("comment") && (has("appelle") || has("nomme")) {
        return Asks::Person;
    }
    Asks::Other
}

/// The cues in a text.
pub fn cues(text: &str) -> Cues {
    let mut bits = 0u64;
    let mut prev_folded = String::new();
    let mut prev_cap = false;
    let mut since_title = usize::MAX;
    let mut sentence_start = true;
    let raws: Vec<&str> = text
        .split(|c: char| {
            c.is_whitespace()
                || matches!(c, ',' | ';' | '(' | ')' | '«' | '»' | '"' | '“' | '”' | '•')
        })
        .filter(|r| !r.is_empty())
        .collect();
    for (i, raw) in raws.iter().enumerate() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let ends = raw.ends_with(['.', '!', '?', ':']);
        if word.is_empty() {
            sentence_start |= ends;
            continue;
        }
        // "l’État", "d’Oumar": look past an elided article
        let core = match word.split_once(['\'', '’']) {
            Some((head, tail)) if head.chars().count() <= 6 && !tail.is_empty() => tail,
            _ => word,
        };
        let folded = fold(core);
        let cap = core.chars().next().is_some_and(char::is_uppercase)
            && core.chars().skip(1).any(char::is_lowercase);
        if MONTHS.contains(&folded.as_str())
            && (folded != "mai" || prev_folded.parse::<u32>().is_ok() || !cap)
            && folded != "may"
            && folded != "march"
            || DAYS.contains(&folded.as_str())
            || (folded.len() == 4
                && folded
                    .parse::<u32>()
                    .is_ok_and(|y| (1800..=2100).contains(&y)))
        {
            bits |= Cues::DATE;
        }
        if NUMBER_WORDS.contains(&folded.as_str()) {
            bits |= Cues::NUMBER;
        }
        // A figure is a number unless it is part of a date: a year, or a day before a month.
        if folded.starts_with(|c: char| c.is_ascii_digit()) {
            let next = raws
                .get(i + 1)
                .map(|n| fold(n.trim_matches(|c: char| !c.is_alphanumeric())));
            let year = folded.len() == 4
                && folded
                    .parse::<u32>()
                    .is_ok_and(|y| (1800..=2100).contains(&y));
            let day = next.is_some_and(|n| MONTHS.contains(&n.as_str()))
                || MONTHS.contains(&prev_folded.as_str()) && folded.len() <= 2;
            if !(year || day) {
                bits |= Cues::NUMBER;
            }
        }
        if cap && !sentence_start {
            if since_title <= 4 || (prev_cap && !PLACE_PREPS.contains(&prev_folded.as_str())) {
                bits |= Cues::PERSON;
            }
            if PLACE_PREPS.contains(&prev_folded.as_str()) {
                bits |= Cues::PLACE;
            }
        }
        if PLACE_WORDS.contains(&folded.as_str()) {
            bits |= Cues::PLACE;
        }
        if TITLES.contains(&folded.as_str()) {
            since_title = 0;
        } else {
            since_title = since_title.saturating_add(1);
        }
        prev_cap = cap && !sentence_start;
        prev_folded = folded;
        sentence_start = ends;
    }
    Cues(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_kinds() {
        assert_eq!(
            asks("Qui dirigeait la délégation militaire malienne ?"),
            Asks::Person
        );
        assert_eq!(
            asks("Par qui la délégation était-elle conduite ?"),
            Asks::Person
        );
        assert_eq!(asks("Quand la visite a-t-elle eu lieu ?"), Asks::Date);
        assert_eq!(
            asks("A quelle date la délégation est-elle venue ?"),
            Asks::Date
        );
        assert_eq!(asks("En quelle année ?"), Asks::Date);
        assert_eq!(
            asks("Combien de kilomètres mesure la frontière ?"),
            Asks::Number
        );
        assert_eq!(
            asks("Quelle est la longueur de la frontière ?"),
            Asks::Number
        );
        assert_eq!(asks("Quelle longueur fait la frontière ?"), Asks::Number);
        assert_eq!(asks("Quel est le PIB de la Mauritanie ?"), Asks::Number);
        assert_eq!(asks("Où se sont tenues les rencontres ?"), Asks::Place);
        assert_eq!(
            asks("Dans quelle ville la visite a-t-elle eu lieu ?"),
            Asks::Place
        );
        assert_eq!(asks("Quels groupes opèrent dans la région ?"), Asks::Other);
        assert_eq!(asks("coordination migratoire"), Asks::Other);
        assert_eq!(asks("Who led the delegation?"), Asks::Person);
        assert_eq!(asks("How long is the border?"), Asks::Number);
        assert_eq!(asks("When did it start?"), Asks::Date);
        assert_eq!(asks("Where did they meet?"), Asks::Place);
        assert_eq!(asks(""), Asks::Other);
    }

    #[test]
    fn text_cues() {
        let c = cues("Une délégation dirigée par le Général de division Oumar Diarra est arrivée à Nouakchott le jeudi 9 mai 2024.");
        assert!(c.has(Asks::Person) && c.has(Asks::Date) && c.has(Asks::Place));
        assert!(!c.has(Asks::Number), "a date is not a number");
        assert!(cues("1 500 soldats en 2023").has(Asks::Number));
        let c = cues("Les deux pays partagent une frontière longue de plus de 2 200 kilomètres.");
        assert!(c.has(Asks::Number) && !c.has(Asks::Date) && !c.has(Asks::Person));
        let c = cues("Les discussions ont porté sur la coordination des politiques migratoires.");
        assert_eq!(c, Cues(0));
        assert!(cues("la visite du général Modibo Koné").has(Asks::Person));
        assert_eq!(cues(""), Cues(0));
    }
}
