//! Plain-text helpers shared by the engine and the renderers: sentence boundaries in French
//! and English news text, and cutting text at character or word boundaries.

use std::ops::Range;

/// Words that end with a period without ending a sentence (compared lower-cased, without
/// the period).
const ABBREVIATIONS: &[&str] = &[
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "mgr", "gal", "gén", "gen", "col",
    "cdt", "lt", "sgt", "st", "ste", "av", "apr", "j.-c", "janv", "févr", "fév", "avr", "juil",
    "sept", "oct", "nov", "déc", "ex", "cf", "p", "pp", "vol", "n°", "no", "art", "al", "env",
    "réf", "tél", "vs", "mr", "mrs", "ms", "jr", "sr", "inc", "ltd", "co", "corp", "dept", "e.g",
    "i.e", "fig", "approx",
];

/// The byte ranges of the sentences of `text`, trimmed, in order. A line break always ends a
/// sentence; so does `.`, `!`, `?` or `…` followed by a space and an upper-case letter, a
/// digit or an opening quote, unless the period ends an abbreviation or an initial.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = i + c.len_utf8();
        let boundary = match c {
            '\n' => Some(i),
            '.' | '!' | '?' | '…' => {
                // take closing quotes and brackets and repeated marks with the sentence
                let mut j = end;
                while let Some(&(k, n)) = iter.peek() {
                    if matches!(n, '.' | '!' | '?' | '…' | '»' | '"' | '”' | '’' | ')' | ']')
                        || matches!(n, ' ' | '\u{a0}' | '\u{202f}')
                            && text[k + n.len_utf8()..].starts_with('»')
                    {
                        j = k + n.len_utf8();
                        iter.next();
                    } else {
                        break;
                    }
                }
                let rest = &text[j..];
                let after_space = rest.trim_start_matches([' ', '\t', '\u{a0}', '\u{202f}']);
                let spaced = after_space.len() < rest.len();
                let next = after_space.chars().next();
                let opens = match next {
                    None => true,
                    Some('\n') => true,
                    Some(n) => {
                        spaced
                            && (n.is_uppercase()
                                || n.is_ascii_digit()
                                || matches!(n, '«' | '"' | '“' | '(' | '—' | '–' | '-' | '•'))
                    }
                };
                if opens && !(c == '.' && is_abbreviation(&text[start..i], j - end > 0)) {
                    Some(j)
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(b) = boundary {
            push_trimmed(&mut out, text, start, b);
            start = b;
        }
    }
    push_trimmed(&mut out, text, start, text.len());
    out
}

fn push_trimmed(out: &mut Vec<Range<usize>>, text: &str, start: usize, end: usize) {
    let Some(s) = text.get(start..end) else {
        return;
    };
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail < s.len() {
        out.push(start + lead..end - trail);
    }
}

/// Whether the text before a period ends with an abbreviation or an initial ("M", "J.-C",
/// "A" in "A. Diallo").
fn is_abbreviation(before: &str, followed_by_more_marks: bool) -> bool {
    if followed_by_more_marks {
        return false; // "etc.)." and the like end here
    }
    let word = before
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '«' | '"' | '“' | '\''))
        .next()
        .unwrap_or("");
    if word.is_empty() {
        return false;
    }
    let mut chars = word.chars();
    if let (Some(first), None) = (chars.next(), chars.next()) {
        return first.is_uppercase(); // an initial
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

/// `s` cut to at most `max` characters (not bytes), with `…` when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let end = s
        .char_indices()
        .nth(keep)
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    format!("{}…", s[..end].trim_end())
}

/// `s` cut at a word boundary to at most `max` characters, with `…` when cut.
pub fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let end = s
        .char_indices()
        .nth(keep)
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let cut = &s[..end];
    let cut = match cut.rfind(char::is_whitespace) {
        Some(space) if space > end / 2 => &cut[..space],
        _ => cut,
    };
    format!(
        "{}…",
        cut.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '–'))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn splits_plain_sentences() {
        assert_eq!(
            split("Le Mali et la Mauritanie. Une visite ! Pourquoi ? Oui…"),
            vec![
                "Le Mali et la Mauritanie.",
                "Une visite !",
                "Pourquoi ?",
                "Oui…"
            ]
        );
    }

    #[test]
    fn keeps_abbreviations_numbers_and_initials() {
        assert_eq!(
            split("M. Koné et Mme Diallo sont venus le 9 mai 2024. La frontière fait 2 200 km. Le Gal. A. Diarra a parlé."),
            vec![
                "M. Koné et Mme Diallo sont venus le 9 mai 2024.",
                "La frontière fait 2 200 km.",
                "Le Gal. A. Diarra a parlé."
            ]
        );
        assert_eq!(
            split("Il y avait 2.529 soldats. Fin."),
            vec!["Il y avait 2.529 soldats.", "Fin."]
        );
    }

    #[test]
    fn quotes_and_line_breaks() {
        assert_eq!(
            split("Il a dit « Nous viendrons. » Puis il est parti.\nTitre sans point\nSuite"),
            vec![
                "Il a dit « Nous viendrons. »",
                "Puis il est parti.",
                "Titre sans point",
                "Suite"
            ]
        );
    }

    #[test]
    fn tricky_french_news_text() {
        // abbreviations, initials, titles, dates, numbers, ellipses, quotes, bullets, headings
        let text = "MM. Koné et Diarra, ainsi que le Gén. A. B. Traoré, sont arrivés le 9 mai 2024 à 10 h.             Le bilan fait état de 2 200 km de frontière et de 2.529 soldats, p. ex. à Nioro.             Des trafics (armes, drogues, etc.) persistent depuis l’an 300 apr. J.-C. selon lui.             Il a lancé : « Nous tiendrons… » Puis il est reparti.             Le dossier n° 12 avance... mais lentement. Fin de l’article !";
        assert_eq!(
            split(text),
            vec![
                "MM. Koné et Diarra, ainsi que le Gén. A. B. Traoré, sont arrivés le 9 mai 2024 à 10 h.",
                "Le bilan fait état de 2 200 km de frontière et de 2.529 soldats, p. ex. à Nioro.",
                "Des trafics (armes, drogues, etc.) persistent depuis l’an 300 apr. J.-C. selon lui.",
                "Il a lancé : « Nous tiendrons… »",
                "Puis il est reparti.",
                "Le dossier n° 12 avance... mais lentement.",
                "Fin de l’article !",
            ]
        );
        assert_eq!(
            split("Une volonté politique affichée\n•Le renforcement des échanges.\n• Des patrouilles mixtes.\nSuite. Fin, etc. Le lendemain, rien."),
            vec![
                "Une volonté politique affichée",
                "•Le renforcement des échanges.",
                "• Des patrouilles mixtes.",
                "Suite.",
                "Fin, etc.",
                "Le lendemain, rien."
            ]
        );
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("sécurité", 4), "séc…");
        assert_eq!(truncate_chars("sécurité", 8), "sécurité");
        assert_eq!(
            truncate_words("la sécurité des frontières", 14),
            "la sécurité…"
        );
        assert_eq!(truncate_chars("", 0), "");
    }
}
