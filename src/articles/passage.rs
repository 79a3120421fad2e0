//! Splitting an article's body into passages that read on their own: paragraphs, with a
//! heading or a line ending in ':' joined to the text it introduces, bullet lists kept with
//! their lead-in, and over-long paragraphs cut into overlapping windows of sentences.

use crate::articles::text;

/// A passage longer than this (in characters) is cut into windows.
pub const MAX_PASSAGE_CHARS: usize = 1200;
/// Windows aim at this many characters.
const WINDOW_CHARS: usize = 700;

/// What a paragraph is, for grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    LeadIn,
    Bullet,
    Text,
}

/// One passage of an article: its place (1-based) and text (lines joined by `\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub paragraph: u32,
    pub text: String,
}

/// Splits a body into passages.
pub fn split(body: &str) -> Vec<Passage> {
    let paragraphs = paragraphs(body);
    let groups = group(&paragraphs);
    let mut out = Vec::new();
    for g in groups {
        let text = g.join("\n");
        if text.chars().count() <= MAX_PASSAGE_CHARS {
            out.push(text);
        } else {
            out.extend(windows(&text));
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(i, text)| Passage {
            paragraph: i as u32 + 1,
            text,
        })
        .collect()
}

fn is_bullet(line: &str) -> bool {
    let t = line.trim_start();
    let mut chars = t.chars();
    match chars.next() {
        Some('•' | '·' | '▪' | '►' | '◦' | '‣' | '○' | '●' | '■' | '□' | '➢' | '✓') => {
            true
        }
        Some('-' | '*' | '–' | '—' | '+') => chars.next().is_some_and(|c| c.is_whitespace()),
        Some(c) if c.is_ascii_digit() => {
            let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
            let after = &t[digits..];
            digits <= 3 && (after.starts_with(". ") || after.starts_with(") "))
        }
        _ => false,
    }
}

/// A short line with no final punctuation that starts with a capital or a digit.
fn is_heading(line: &str) -> bool {
    let t = line.trim();
    let words = t.split_whitespace().count();
    let first = t.chars().next();
    (1..=14).contains(&words)
        && t.chars().count() <= 120
        && !t.ends_with(['.', ',', ';', ':', '!', '?', '…', '»', '"', ')'])
        && first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && !is_bullet(t)
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end()
        .ends_with(['.', '!', '?', '…', ':', ';', '»', '"', '”', ')'])
}

/// The paragraphs of a body. Blank lines separate blocks; inside a block, a line break ends a
/// paragraph when the line ends a sentence, is a heading or a bullet, or the next line is a
/// bullet; otherwise the text was wrapped and the lines are joined.
fn paragraphs(body: &str) -> Vec<(Kind, String)> {
    let mut out: Vec<(Kind, String)> = Vec::new();
    for block in body.split("\n\n").flat_map(|b| b.split("\n \n")) {
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut current = String::new();
        for (i, line) in lines.iter().enumerate() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(line);
            let next_bullet = lines.get(i + 1).is_some_and(|n| is_bullet(n));
            // a wrapped line goes on in lower case
            let next_upper = lines
                .get(i + 1)
                .is_none_or(|n| n.chars().next().is_some_and(|c| !c.is_lowercase()));
            let last = i + 1 == lines.len();
            let single = current.len() == line.len();
            if last
                || ends_sentence(line)
                || next_bullet
                || is_bullet(line)
                || (single && is_heading(line) && next_upper)
            {
                let kind = if is_bullet(&current) {
                    Kind::Bullet
                } else if current.trim_end().ends_with(':') {
                    Kind::LeadIn
                } else if is_heading(&current) {
                    Kind::Heading
                } else {
                    Kind::Text
                };
                out.push((kind, std::mem::take(&mut current)));
            }
        }
    }
    out
}

/// Groups paragraphs into passages: headings and lead-ins join what follows, bullets stay with
/// their lead-in and with each other.
fn group(paragraphs: &[(Kind, String)]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    // Headings and lead-ins waiting for the text they introduce.
    let mut pending: Vec<String> = Vec::new();
    // Whether the last group may take more bullets.
    let mut open_list = false;
    for (kind, text) in paragraphs {
        match kind {
            Kind::Heading => {
                open_list = false;
                pending.push(text.clone());
            }
            Kind::LeadIn => {
                let mut g = std::mem::take(&mut pending);
                g.push(text.clone());
                groups.push(g);
                open_list = true;
            }
            Kind::Bullet => {
                if open_list && pending.is_empty() {
                    if let Some(last) = groups.last_mut() {
                        last.push(text.clone());
                        continue;
                    }
                }
                let mut g = std::mem::take(&mut pending);
                g.push(text.clone());
                groups.push(g);
                open_list = true;
            }
            Kind::Text => {
                let mut g = std::mem::take(&mut pending);
                g.push(text.clone());
                groups.push(g);
                open_list = false;
            }
        }
    }
    if !pending.is_empty() {
        // Headings with nothing after them: keep their words with the text before them.
        match groups.last_mut() {
            Some(last) => last.extend(pending),
            None => groups.push(pending),
        }
    }
    groups
}

/// Cuts a long text into windows of whole sentences, each starting with the last sentence of
/// the window before it. A sentence longer than a window is cut at word boundaries.
fn windows(text: &str) -> Vec<String> {
    let mut pieces: Vec<&str> = Vec::new();
    for r in text::sentences(text) {
        let s = &text[r];
        if s.chars().count() <= WINDOW_CHARS {
            pieces.push(s);
        } else {
            pieces.extend(word_chunks(s, WINDOW_CHARS / 2));
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let mut len = 0;
        let mut j = i;
        while j < pieces.len() && (j == i || len + pieces[j].chars().count() <= WINDOW_CHARS) {
            len += pieces[j].chars().count() + 1;
            j += 1;
        }
        out.push(pieces[i..j].join(" "));
        if j >= pieces.len() {
            break;
        }
        // overlap by one piece, but always move forward
        i = if j - i > 1 { j - 1 } else { j };
    }
    out
}

/// Splits `s` into chunks of at most about `max` characters at spaces (inside a word when a
/// word alone is longer).
fn word_chunks(s: &str, max: usize) -> Vec<&str> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut start = 0; // byte offset of the current chunk
    let mut count = 0; // its length in characters
    let mut last_space = None; // byte offset of its last space, and the characters before it
    for (i, c) in s.char_indices() {
        if count >= max {
            let (cut, before) = last_space.unwrap_or((i, count));
            out.push(s[start..cut].trim());
            start = cut;
            count -= before;
            last_space = None;
        }
        if c.is_whitespace() {
            last_space = Some((i, count));
        }
        count += 1;
    }
    out.push(s[start..].trim());
    out.retain(|c| !c.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Vec<String> {
        split(body).into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn one_paragraph_per_line_with_headings_and_lists() {
        let body = "Premier paragraphe.\nUn intertitre\nLe texte sous l’intertitre.\nLes axes :\n•Un.\n•Deux.\n• Trois.\nFin du texte.";
        assert_eq!(
            texts(body),
            vec![
                "Premier paragraphe.",
                "Un intertitre\nLe texte sous l’intertitre.",
                "Les axes :\n•Un.\n•Deux.\n• Trois.",
                "Fin du texte.",
            ]
        );
        let numbers: Vec<u32> = split(body).iter().map(|p| p.paragraph).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4]);
    }

    #[test]
    fn heading_before_a_lead_in_joins_the_list() {
        let body =
            "Une volonté politique\nLors de la visite, trois axes :\n- un\n- deux\nLa suite.";
        assert_eq!(
            texts(body),
            vec![
                "Une volonté politique\nLors de la visite, trois axes :\n- un\n- deux",
                "La suite."
            ]
        );
    }

    #[test]
    fn wrapped_lines_are_joined() {
        let body = "Le renforcement de la coopération entre le Mali et\nla Mauritanie a franchi une étape.\n\nUn autre paragraphe\nqui continue ici.";
        assert_eq!(
            texts(body),
            vec![
                "Le renforcement de la coopération entre le Mali et la Mauritanie a franchi une étape.",
                "Un autre paragraphe qui continue ici."
            ]
        );
    }

    #[test]
    fn long_paragraphs_are_windowed_with_overlap() {
        let sentence =
            "La frontière entre les deux pays est longue et difficile à contrôler dans le désert. ";
        let body = sentence.repeat(40);
        let passages = texts(&body);
        assert!(passages.len() > 2, "{}", passages.len());
        for p in &passages {
            assert!(p.chars().count() <= MAX_PASSAGE_CHARS, "{}", p.len());
        }
        // every window after the first starts with the last sentence of the one before
        for pair in passages.windows(2) {
            let last = text::sentences(&pair[0]).last().cloned().unwrap();
            assert!(pair[1].starts_with(&pair[0][last]));
        }
    }

    #[test]
    fn one_huge_word_never_panics() {
        let body = "é".repeat(5000);
        let passages = texts(&body);
        assert!(!passages.is_empty());
        assert_eq!(
            passages.concat().chars().filter(|&c| c == 'é').count(),
            5000
        );
    }

    #[test]
    fn empty_body_has_no_passage() {
        assert!(texts("").is_empty());
        assert!(texts("\n\n  \n").is_empty());
    }
}
