//! Word families: French words of one root that the stemmer keeps apart, a noun and its
//! adjective ("frontière", "frontalier"), a noun and its verb ("arrestation", "arrêter"),
//! "sécurité", "sécuritaire" and "sécuriser". Both words are compared as the index holds
//! them (accents folded, then stemmed): each loses at most one derivational suffix of
//! French morphology, and the roots left must be the same and long enough to say
//! something. A root's "es", "os"... before a "t" is the circumflex of its inherited
//! form ("arrêt", "forêt" against the learned "arrestation", "forestier"): roots are
//! compared with that "s" dropped.
//!
//! The rules are morphology, not a list of words: they also join some words that only
//! share their origin ("front" and "frontière"), which is why a family member counts for
//! less than the word itself.

/// Shortest root a family may have: shorter ones ("port", "mand") join unrelated words.
pub const MIN_ROOT: usize = 5;

/// Derivational endings as the stemmer leaves them on folded text, longest first within
/// a family so that the longest one that leaves a root long enough is taken.
const SUFFIXES: &[(&str, usize)] = &[
    // -itaire adjectives of -ité nouns ("sécuritaire"); not any -aire, as "militaire" is
    // no family of "militer"
    ("itair", MIN_ROOT),
    // -ementale adjectives of -ement nouns ("gouvernemental")
    ("emental", MIN_ROOT),
    // -alier, -alière of nouns in -ière ("frontalier", "frontalière")
    ("alier", MIN_ROOT),
    ("ali", MIN_ROOT),
    // -ière nouns, folded: the stemmer only takes "e" off "frontiere"
    ("ier", MIN_ROOT),
    // -isation and -iser ("sécurisation", "sécuriser" both stem to "securis")
    ("isat", MIN_ROOT),
    ("is", MIN_ROOT),
    // -ateur, -atrice, -ation, -atoire ("producteur", "migration", "migratoire")
    ("ateur", MIN_ROOT),
    ("atric", MIN_ROOT),
    ("atoir", MIN_ROOT),
    ("ation", MIN_ROOT),
    ("eur", MIN_ROOT),
    ("oir", MIN_ROOT),
    ("ion", MIN_ROOT),
    ("at", MIN_ROOT),
    // -ité, folded: the stemmer leaves "securit" of "securite"
    ("it", MIN_ROOT),
    // -al, -el adjectives ("régional", "national")
    ("al", MIN_ROOT),
    ("el", MIN_ROOT),
    // -if, -ive
    ("if", MIN_ROOT),
    ("iv", MIN_ROOT),
    // -ier of masculine nouns, which the stemmer leaves as "i" ("forestier"): only on a
    // longer root, as "chantier" and "quartier" are no family of "chant" and "quart"
    ("i", MIN_ROOT + 1),
];

/// The root of an index term (folded and stemmed): the term without the longest
/// derivational suffix that leaves a root long enough. A term with none is its own root.
fn strip(term: &str) -> &str {
    if !term.is_ascii() {
        return term;
    }
    for (suffix, min) in SUFFIXES {
        if let Some(root) = term.strip_suffix(suffix) {
            if root.len() >= *min {
                return root;
            }
        }
    }
    term
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// A root with every "s" between a vowel and a "t" dropped ("arrest" and "arret" meet).
fn inherited(root: &str) -> String {
    let b = root.as_bytes();
    let mut out = String::with_capacity(root.len());
    for (i, &c) in b.iter().enumerate() {
        let dropped = c == b's' && i > 0 && is_vowel(b[i - 1]) && b.get(i + 1) == Some(&b't');
        if !dropped {
            out.push(c as char);
        }
    }
    out
}

/// The family key of an index term: two terms with the same key are one family. `None`
/// for a term too short or not plain ASCII (the French analyzer folds accents), which
/// has no family.
pub fn key(term: &str) -> Option<String> {
    if !term.is_ascii() || term.len() < MIN_ROOT {
        return None;
    }
    Some(inherited(strip(term)))
}

/// The prefixes under which the index terms of `term`'s family are found: its root, and
/// its root with an "s" put back before a "t" that follows a vowel ("arret" → "arrest").
pub fn prefixes(term: &str) -> Vec<String> {
    let Some(_) = key(term) else {
        return vec![];
    };
    let root = strip(term);
    let mut out = vec![root.to_string()];
    let plain = inherited(root);
    if plain != root {
        out.push(plain.clone());
    }
    let b = plain.as_bytes();
    for i in 1..b.len() {
        if b[i] == b't' && is_vowel(b[i - 1]) {
            let mut with_s = plain.clone();
            with_s.insert(i, 's');
            if !out.contains(&with_s) {
                out.push(with_s);
            }
        }
    }
    out.truncate(3);
    out
}

/// Whether two index terms are of one family (and not the same term).
pub fn related(a: &str, b: &str) -> bool {
    a != b && key(a).is_some_and(|k| key(b).as_deref() == Some(k.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::analyzer;

    fn term(word: &str) -> String {
        let mut fr = analyzer::french();
        let t = analyzer::terms(&mut fr, word);
        assert_eq!(t.len(), 1, "{word} is one term");
        t[0].clone()
    }

    fn meet(a: &str, b: &str) -> bool {
        related(&term(a), &term(b))
    }

    #[test]
    fn nouns_adjectives_and_verbs_of_one_root_meet() {
        for (a, b) in [
            ("frontière", "frontalière"),
            ("frontières", "frontaliers"),
            ("frontalier", "frontière"),
            ("sécurité", "sécuritaire"),
            ("sécuritaires", "sécurité"),
            ("sécurisation", "sécurité"),
            ("arrestation", "arrêter"),
            ("arrestations", "arrêt"),
            ("forêt", "forestier"),
            ("migration", "migratoire"),
            ("région", "régional"),
            ("nation", "national"),
            ("producteur", "production"),
            ("gouvernemental", "gouvernement"),
        ] {
            assert!(meet(a, b), "{a} and {b} should meet");
            assert!(meet(b, a), "{b} and {a} should meet");
        }
    }

    #[test]
    fn unrelated_words_do_not_meet() {
        for (a, b) in [
            ("frontière", "fronton"),
            ("sécurité", "secours"),
            ("arrêt", "arrière"),
            ("militaire", "militant"),
            ("nation", "natation"),
            ("production", "produit"),
            ("port", "portière"),
            ("mandat", "mandarine"),
            ("chantier", "chant"),
            ("quartier", "quart"),
            ("frontière", "frontière"),
        ] {
            assert!(!meet(a, b), "{a} and {b} should not meet");
        }
    }

    #[test]
    fn short_roots_have_no_family() {
        assert_eq!(key("port"), None);
        assert_eq!(key("migr"), None);
        // "mandat" would leave "mand"
        assert_eq!(key("mandat").as_deref(), Some("mandat"));
    }

    #[test]
    fn prefixes_find_the_learned_form() {
        let p = prefixes(&term("arrêter"));
        assert!(p.contains(&"arret".to_string()), "{p:?}");
        assert!(p.contains(&"arrest".to_string()), "{p:?}");
        let p = prefixes(&term("arrestation"));
        assert!(p.contains(&"arret".to_string()), "{p:?}");
        assert_eq!(prefixes(&term("frontalière")), vec!["front".to_string()]);
    }
}
