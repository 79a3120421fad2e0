//! How a file's bytes become an [`Article`]: decoding (UTF-8, with or without BOM, else
//! Windows-1252), the title (a title line, front matter or a Markdown heading, else the start
//! of the first sentence), front matter metadata (url, date, author, site, lang), Markdown
//! marks removed, and the article's language.

use std::collections::BTreeMap;

use super::{front_matter, text};
use crate::lang::{self, Lang};

/// A titles longer than this (in characters) is not a title but a sentence.
const MAX_TITLE_CHARS: usize = 150;
/// A title taken from the first sentence is cut to about this many characters.
const DERIVED_TITLE_CHARS: usize = 90;

/// One article, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The path relative to the corpus directory without its extension: the file stem for a
    /// file at the top of the corpus.
    pub id: String,
    /// The url from front matter, or the path relative to the corpus' parent.
    pub source: String,
    pub title: String,
    pub url: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    /// The site or newspaper that published it ("Le Monde"), from front matter.
    pub site: Option<String>,
    pub lang: Lang,
    /// The text after the title line or front matter.
    pub body: String,
    /// The title was read from the file (a title line or front matter), not derived from the
    /// first sentence; such a title is not part of the body.
    pub explicit_title: bool,
    /// How the bytes were decoded, when not plain UTF-8 (for the build report).
    pub decoding: Option<&'static str>,
}

impl Article {
    /// How the article is named where it is shown.
    pub fn reference(&self) -> super::ArticleRef {
        super::ArticleRef {
            id: self.id.clone(),
            title: self.title.clone(),
            source: self.source.clone(),
            date: self.date.clone(),
            site: self.site.clone(),
            url: self.url.clone(),
        }
    }
}

/// Turns a file's bytes into text: UTF-8 (with or without BOM), else Windows-1252. Binary
/// content is refused. Line ends become `\n`.
pub fn decode(bytes: &[u8]) -> Result<(String, Option<&'static str>), String> {
    let (text, decoding) = match std::str::from_utf8(bytes) {
        Ok(s) => match s.strip_prefix('\u{feff}') {
            Some(rest) => (rest.to_string(), Some("UTF-8 with BOM")),
            None => (s.to_string(), None),
        },
        Err(_) => {
            if bytes.contains(&0) {
                return Err("not text (binary content)".to_string());
            }
            (decode_cp1252(bytes), Some("Windows-1252"))
        }
    };
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if text.contains('\0') || controls * 20 > text.chars().count().max(1) {
        return Err("not text (binary content)".to_string());
    }
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    };
    Ok((text, decoding))
}

/// Windows-1252, with the decoder pages from the web use too (`encoding_rs`, WHATWG's
/// mapping: Latin-1 but for 0x80–0x9F).
fn decode_cp1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// Parses one article file. `rel` is its path relative to the corpus, `prefix` the corpus
/// directory's name (sources are relative to the corpus' parent).
pub fn parse_file(rel: &str, bytes: &[u8], prefix: &str) -> Result<Article, String> {
    let (text, decoding) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err("empty file".to_string());
    }
    let is_md = rel.to_lowercase().ends_with(".md");
    let id = match rel.rfind('.') {
        Some(dot) if !rel[dot..].contains('/') => rel[..dot].to_string(),
        _ => rel.to_string(),
    };
    let (meta, body) = if is_md {
        front_matter::read(&text)
    } else {
        (BTreeMap::new(), text.as_str())
    };
    let body = if is_md {
        strip_markdown(body)
    } else {
        body.to_string()
    };
    let mut explicit_title = false;
    let mut title = meta.get("title").cloned().filter(|t| !t.is_empty());
    let mut body = body;
    if title.is_some() {
        explicit_title = true;
    } else if let Some((first, rest)) = first_line(&body) {
        if reads_as_title(first) || (is_md && md_heading_line(&text, first)) {
            title = Some(first.trim().to_string());
            explicit_title = true;
            body = rest.to_string();
        }
    }
    if body.trim().is_empty() {
        if explicit_title && title.is_some() {
            return Err("no text besides the title".to_string());
        }
        return Err("empty file".to_string());
    }
    let title = match title {
        Some(t) => text::truncate_chars(&collapse_ws(&t), MAX_TITLE_CHARS),
        None => derived_title(&body),
    };
    // a body of punctuation gives no title: the id stands in
    let title = if title.trim().is_empty() {
        id.clone()
    } else {
        title
    };
    let lang = match meta.get("lang").or_else(|| meta.get("language")) {
        Some(v) => Lang::parse(v).unwrap_or_else(|| {
            tracing::warn!("{rel}: unknown lang {v:?}, read as French");
            Lang::Fr
        }),
        None => lang::article_lang(&body),
    };
    let url = meta.get("url").cloned().filter(|u| !u.is_empty());
    let source = url.clone().unwrap_or_else(|| format!("{prefix}/{rel}"));
    Ok(Article {
        id,
        source,
        title,
        url,
        date: meta.get("date").cloned().filter(|v| !v.is_empty()),
        author: meta.get("author").cloned().filter(|v| !v.is_empty()),
        site: meta
            .get("site")
            .map(|v| collapse_ws(v))
            .filter(|v| !v.is_empty()),
        lang,
        body,
        explicit_title,
        decoding,
    })
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first non-empty line and the text after it.
fn first_line(text: &str) -> Option<(&str, &str)> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if rest.is_empty() {
        return None;
    }
    let end = rest.find('\n').unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

/// A line reads as a title when it is short, has few words and no final period.
pub fn reads_as_title(line: &str) -> bool {
    let line = line.trim();
    let chars = line.chars().count();
    let words = line.split_whitespace().count();
    chars > 0
        && chars <= MAX_TITLE_CHARS
        && words <= 25
        && !line.ends_with(['.', ',', ';', ':'])
        && line.chars().any(|c| c.is_alphabetic())
}

/// Whether `line` was a `# heading` in the original markdown (headings lose their `#` when
/// the markdown is stripped).
fn md_heading_line(original: &str, line: &str) -> bool {
    original
        .lines()
        .any(|l| l.trim_start().starts_with('#') && l.trim_start_matches('#').trim() == line.trim())
}

/// A title from the start of the first sentence, cut at a word boundary.
fn derived_title(body: &str) -> String {
    let trimmed = body.trim_start();
    let first = text::sentences(trimmed)
        .into_iter()
        .next()
        .map(|r| &trimmed[r])
        .unwrap_or(trimmed);
    let first = collapse_ws(first);
    let first = first.trim_end_matches(['.', ' ']);
    text::truncate_words(first, DERIVED_TITLE_CHARS)
}

/// Markdown to plain text, line by line: heading marks, emphasis, links and images, code
/// fences and html comments go; the words stay.
fn strip_markdown(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_fence = false;
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        let line = if in_fence {
            line.to_string()
        } else {
            let mut l = t.trim_start_matches('#').trim_start().to_string();
            if t.starts_with('>') {
                l = t.trim_start_matches('>').trim_start().to_string();
            }
            if l.trim_start().starts_with(['-', '*', '+'])
                && l.trim_start().chars().nth(1) == Some(' ')
            {
                l = format!("• {}", l.trim_start()[2..].trim_start());
            }
            if l.chars().all(|c| matches!(c, '-' | '*' | '_' | '=' | ' ')) && l.len() >= 3 {
                l = String::new(); // a rule
            }
            strip_inline_markdown(&l)
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn strip_inline_markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        // ![alt](url) and [text](url) keep their text.
        if c == '!' || c == '[' {
            let open = if c == '!' { 1 } else { 0 };
            if rest[open..].starts_with('[') {
                if let Some(close) = rest[open..].find("](") {
                    let close = open + close;
                    if let Some(end) = rest[close..].find(')') {
                        out.push_str(&rest[open + 1..close]);
                        rest = &rest[close + end + 1..];
                        continue;
                    }
                }
            }
        }
        if rest.starts_with("**") || rest.starts_with("__") {
            rest = &rest[2..];
            continue;
        }
        if c == '`' {
            rest = &rest[1..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_title_line_is_the_title() {
        let a = parse_file("a.txt", b"\nMali : un titre\nLe corps du texte.", "corpus").unwrap();
        assert_eq!(a.title, "Mali : un titre");
        assert!(a.explicit_title);
        assert_eq!(a.body.trim(), "Le corps du texte.");
        assert_eq!(a.id, "a");
        assert_eq!(a.source, "corpus/a.txt");
        assert_eq!(a.lang, Lang::Fr);
    }

    #[test]
    fn txt_sentence_first_line_gives_a_derived_title() {
        let text = "Une délégation militaire malienne dirigée par le Chef d’état-major général des armées, le Général de division Oumar Diarra, a débuté une visite stratégique à Nouakchott. Suite.";
        let a = parse_file("b.txt", text.as_bytes(), "corpus").unwrap();
        assert!(!a.explicit_title);
        assert!(a.title.starts_with("Une délégation militaire malienne"));
        assert!(a.title.ends_with('…'), "{}", a.title);
        assert!(a.title.chars().count() <= DERIVED_TITLE_CHARS + 1);
        assert_eq!(a.body, text, "the first sentence stays in the body");
    }

    #[test]
    fn md_front_matter() {
        let text = "---\ntitle: \"Un titre\"\nurl: https://example.org/a\ndate: 2024-05-09\nauthor: A. B.\nlang: en\n---\n# Heading\n\nThe **body** with a [link](https://x.y).\n";
        let a = parse_file("sub/c.md", text.as_bytes(), "corpus").unwrap();
        assert_eq!(a.id, "sub/c");
        assert_eq!(a.title, "Un titre");
        assert_eq!(a.url.as_deref(), Some("https://example.org/a"));
        assert_eq!(a.source, "https://example.org/a");
        assert_eq!(a.date.as_deref(), Some("2024-05-09"));
        assert_eq!(a.author.as_deref(), Some("A. B."));
        assert_eq!(a.lang, Lang::En);
        assert!(a.body.contains("The body with a link."), "{}", a.body);
        assert!(a.body.contains("Heading"));
        assert_eq!(a.site, None);
    }

    #[test]
    fn md_front_matter_site() {
        let text = "---\ntitle: Un titre\nurl: https://www.lemonde.fr/a\ndate: 2024-05-09T10:30:00+02:00\nsite: \"Le  Monde\"\nfetched: 2024-05-10T08:00:00Z\n---\nLe corps du texte.\n";
        let a = parse_file("m.md", text.as_bytes(), "corpus").unwrap();
        assert_eq!(a.site.as_deref(), Some("Le Monde"));
        assert_eq!(a.date.as_deref(), Some("2024-05-09T10:30:00+02:00"));
        assert_eq!(a.url.as_deref(), Some("https://www.lemonde.fr/a"));
        // an empty site is no site; a .txt file has no front matter
        let empty = parse_file("n.md", b"---\nsite:  \n---\nDu texte.", "c").unwrap();
        assert_eq!(empty.site, None);
        let txt = parse_file("t.txt", b"site: Le Monde\nDu texte ici.", "c").unwrap();
        assert_eq!(txt.site, None);
    }

    #[test]
    fn md_heading_is_the_title_without_front_matter() {
        let a = parse_file("d.md", "# Le titre.\n\nDu texte ici.".as_bytes(), "c").unwrap();
        assert_eq!(a.title, "Le titre.");
        assert_eq!(a.body.trim(), "Du texte ici.");
    }

    #[test]
    fn unclosed_front_matter_is_text() {
        let a = parse_file("e.md", b"---\ntitle: x\nDu texte sans fin.", "c").unwrap();
        assert!(a.body.contains("Du texte sans fin."));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert_eq!(parse_file("e.txt", b"", "c").unwrap_err(), "empty file");
        assert_eq!(
            parse_file("e.txt", b" \n\t\n", "c").unwrap_err(),
            "empty file"
        );
        assert!(parse_file("e.txt", b"\x7fELF\x00\x01\x02", "c")
            .unwrap_err()
            .contains("not text"));
        assert!(
            parse_file("e.txt", &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06], "c")
                .unwrap_err()
                .contains("not text")
        );
        assert_eq!(
            parse_file("e.md", b"---\ntitle: t\n---\n", "c").unwrap_err(),
            "no text besides the title"
        );
    }

    #[test]
    fn windows_1252_and_crlf_are_decoded() {
        let bytes = b"Titre\r\nLa s\xe9curit\xe9 \x96 l\x92arm\xe9e.\r\n";
        let a = parse_file("w.txt", bytes, "c").unwrap();
        assert_eq!(a.body.trim(), "La sécurité – l’armée.");
        assert_eq!(a.decoding, Some("Windows-1252"));
        let bom = parse_file("b.txt", "\u{feff}Titre\nTexte.".as_bytes(), "c").unwrap();
        assert_eq!(bom.title, "Titre");
        assert_eq!(bom.decoding, Some("UTF-8 with BOM"));
    }
}
