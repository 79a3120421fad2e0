//! Article summaries. For now the lead: the article's first sentences that read as
//! sentences (headings and bullet fragments are left out), in order, verbatim.

use serde::Serialize;

use crate::corpus::{Article, Corpus};
use crate::index::ArticleEntry;
use crate::text;

/// Sentences a summary may hold.
pub const MAX_SENTENCES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummarySentence {
    pub text: String,
    /// The sentence's 1-based place among the article's sentences.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub article: String,
    pub title: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub sentences: Vec<SummarySentence>,
}

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("no article matches {name:?}")]
    NotFound { name: String, closest: Vec<String> },
    #[error("{name:?} matches several articles")]
    Ambiguous { name: String, matches: Vec<String> },
    #[error("the article {0} cannot be read: {1}")]
    Unreadable(String, String),
}

fn fold(s: &str) -> String {
    crate::cues::fold(s.trim())
}

/// Finds an article by id, title, or an unambiguous prefix of either (case and accents
/// ignored).
pub fn find<'a>(
    articles: &'a [ArticleEntry],
    name: &str,
) -> Result<&'a ArticleEntry, SummaryError> {
    let wanted = fold(name);
    if let Some(a) = articles
        .iter()
        .find(|a| fold(&a.id) == wanted || fold(&a.title) == wanted)
    {
        return Ok(a);
    }
    let matches: Vec<&ArticleEntry> = articles
        .iter()
        .filter(|a| {
            !wanted.is_empty()
                && (fold(&a.id).starts_with(&wanted) || fold(&a.title).starts_with(&wanted))
        })
        .collect();
    match matches.len() {
        1 => Ok(matches[0]),
        0 => {
            let closest: Vec<&ArticleEntry> = articles
                .iter()
                .filter(|a| {
                    wanted
                        .split_whitespace()
                        .any(|w| w.chars().count() > 2 && fold(&a.title).contains(w))
                })
                .take(5)
                .collect();
            Err(SummaryError::NotFound {
                name: name.to_string(),
                closest: closest
                    .iter()
                    .map(|a| format!("{} ({})", a.title, a.id))
                    .collect(),
            })
        }
        _ => Err(SummaryError::Ambiguous {
            name: name.to_string(),
            matches: matches
                .iter()
                .take(5)
                .map(|a| format!("{} ({})", a.title, a.id))
                .collect(),
        }),
    }
}

/// The lead of an article: its first `n` sentences.
pub fn lead(article: &Article, n: usize) -> Vec<SummarySentence> {
    sentences(article)
        .into_iter()
        .take(n.clamp(1, MAX_SENTENCES))
        .collect()
}

/// The article's sentences, numbered, without headings and bullet fragments.
pub fn sentences(article: &Article) -> Vec<SummarySentence> {
    let body = &article.body;
    text::sentences(body)
        .into_iter()
        .enumerate()
        .map(|(i, r)| (i + 1, &body[r]))
        .filter(|(_, s)| {
            let t = s.trim();
            t.ends_with(['.', '!', '?', '…', '»', '"', '”'])
                && !t.starts_with(['•', '-', '*', '–', '—', '·'])
                && t.split_whitespace().count() >= 4
        })
        .map(|(position, s)| SummarySentence {
            text: s.to_string(),
            position,
        })
        .collect()
}

/// Reads an indexed article back from the corpus and summarises it.
pub fn summary(corpus: &Corpus, entry: &ArticleEntry, n: usize) -> Result<Summary, SummaryError> {
    let stamp = crate::corpus::FileStamp {
        path: entry.path.clone(),
        size: entry.size,
        mtime_ns: entry.mtime_ns,
    };
    let (_, article) = corpus
        .read(&stamp)
        .map_err(|f| SummaryError::Unreadable(entry.id.clone(), f.reason))?;
    Ok(Summary {
        article: entry.id.clone(),
        title: entry.title.clone(),
        source: entry.source.clone(),
        url: entry.url.clone(),
        sentences: lead(&article, n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::parse_file;

    #[test]
    fn lead_skips_headings_and_bullets() {
        let a = parse_file(
            "a.txt",
            "Titre\nPremière phrase du texte. Deuxième phrase du texte ici.\nUn intertitre\n•Une puce.\nTroisième phrase du texte.".as_bytes(),
            "c",
        )
        .unwrap();
        let l = lead(&a, 3);
        let texts: Vec<&str> = l.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Première phrase du texte.",
                "Deuxième phrase du texte ici.",
                "Troisième phrase du texte."
            ]
        );
        assert_eq!(l[2].position, 5);
        assert_eq!(lead(&a, 0).len(), 1);
    }
}
