//! Answers, article lists, summaries and build reports as text for a terminal: emphasis in
//! ANSI codes on a terminal and in Markdown markers elsewhere, and every string that comes
//! from the corpus or the asker stripped of control characters. Nothing here searches or
//! reads files: it only formats what the engine returns.

use crate::engine::{Answer, BuildReport, EmbedReport, Hit, Listed, Summary, TopicSummary};
pub use crate::front::highlight::strip_controls;
use crate::front::highlight::{self, push_without_controls, Markers};

/// How a terminal shows emphasis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ANSI bold and underline.
    Ansi,
    /// Markdown markers, for pipes and files.
    Markdown,
}

/// An answer for a terminal.
pub fn answer_text(answer: &Answer, style: Style) -> String {
    let mut out = String::new();
    if !answer.translations.is_empty() {
        let list: Vec<String> = answer
            .translations
            .iter()
            .map(|t| {
                format!(
                    "{} → {}",
                    strip_controls(&t.word),
                    strip_controls(&t.into.join(", "))
                )
            })
            .collect();
        out.push_str(&format!("Translated: {}\n\n", list.join("; ")));
    }
    if answer.by_meaning && (answer.answered || !answer.related.is_empty()) {
        out.push_str("Found by meaning (semantic search), not by the question's words.\n\n");
    }
    let hits = if answer.answered {
        &answer.hits
    } else if !answer.related.is_empty() {
        out.push_str("No direct answer in the articles; related passages:\n\n");
        &answer.related
    } else {
        out.push_str("The articles do not answer this question.\n");
        if !answer.closest.is_empty() {
            out.push_str("Closest articles:\n");
            for t in &answer.closest {
                out.push_str(&format!("  - {}\n", strip_controls(t)));
            }
        }
        return out;
    };
    for (i, hit) in hits.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}. {} (paragraph {})\n   {}\n",
            i + 1,
            strip_controls(&hit.article.title),
            hit.paragraph,
            source_line(
                hit.article.site.as_deref(),
                hit.article.date.as_deref(),
                &hit.article.source
            )
        ));
        let body = passage(hit, style);
        for line in body.lines() {
            out.push_str("   ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&format!("({:.2} ms)\n", answer.took_ms));
    out
}

/// Where a passage comes from: the site and the day when the article gives them, then its
/// source ("Le Monde · 2024-05-09 · https://…").
fn source_line(site: Option<&str>, date: Option<&str>, source: &str) -> String {
    [
        site.map(strip_controls),
        date.map(day),
        Some(strip_controls(source)),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join(" · ")
}

/// A date as its day, `YYYY-MM-DD`, when it is an ISO 8601 date (the time of
/// `2024-05-09T10:30:00+02:00` goes); any other date as given.
fn day(date: &str) -> String {
    match crate::articles::date::iso(date) {
        Some(d) => d.day_text(),
        None => strip_controls(date.trim()),
    }
}

/// ANSI bold for matched words and underline for the best sentence.
const ANSI: Markers = Markers {
    word_on: "\x1b[1m",
    word_off: "\x1b[22m",
    answer_on: "\x1b[4m",
    answer_off: "\x1b[24m",
};

/// A hit's passage as the terminal shows it.
fn passage(hit: &Hit, style: Style) -> String {
    let range = 0..hit.passage.len();
    match style {
        Style::Ansi => highlight::render(hit, range, &ANSI, &push_without_controls),
        Style::Markdown => highlight::render(hit, range, &highlight::MARKDOWN, &|s, out| {
            highlight::escape_markdown(&strip_controls(s), out)
        }),
    }
}

/// The article list for a terminal.
pub fn articles_text(articles: &[Listed]) -> String {
    if articles.is_empty() {
        return "No articles are indexed.\n".to_string();
    }
    let id_width = articles
        .iter()
        .map(|a| a.article.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut out = format!("{:<id_width$}  {:>8}  TITLE / SOURCE\n", "ID", "PASSAGES");
    for a in articles {
        out.push_str(&format!(
            "{:<id_width$}  {:>8}  {}\n{:<id_width$}  {:>8}  {}\n",
            strip_controls(&a.article.id),
            a.passages,
            strip_controls(&a.article.title),
            "",
            "",
            source_line(
                a.article.site.as_deref(),
                a.article.date.as_deref(),
                &a.article.source
            )
        ));
    }
    out.push_str(&format!(
        "{} article{}, {} passages\n",
        articles.len(),
        if articles.len() == 1 { "" } else { "s" },
        articles.iter().map(|a| a.passages as u64).sum::<u64>()
    ));
    out
}

/// What embedding the passages did, in words.
pub fn embed_text(report: &EmbedReport) -> String {
    let mut out = format!(
        "Vectors for {} of {} passages: {} embedded now in {:.1} s, the others from the cache.\n",
        report.with_vectors, report.passages, report.embedded, report.seconds
    );
    if let Some(why) = &report.failed {
        out.push_str(&format!(
            "  the others are found by their words only: {}\n",
            strip_controls(why)
        ));
    }
    out
}

/// A build report in words.
pub fn report_text(report: &BuildReport) -> String {
    let mut out = if report.rebuilt {
        format!(
            "Indexed {} article{} ({} passages) in {:.2} s: {} added, {} changed, {} removed, {} unchanged, {} failed.\n",
            report.articles,
            if report.articles == 1 { "" } else { "s" },
            report.passages,
            report.seconds,
            report.added,
            report.changed,
            report.removed,
            report.unchanged,
            report.failed.len()
        )
    } else {
        format!(
            "The index is up to date: {} articles ({} passages), {} failed.\n",
            report.articles,
            report.passages,
            report.failed.len()
        )
    };
    for f in &report.failed {
        out.push_str(&format!(
            "  failed: {}: {}\n",
            strip_controls(&f.path),
            strip_controls(&f.reason)
        ));
    }
    for d in &report.decoded {
        out.push_str(&format!(
            "  decoded: {}: read as {}\n",
            strip_controls(&d.path),
            d.reason
        ));
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "  skipped (not .txt or .md): {}\n",
            strip_controls(&report.skipped.join(", "))
        ));
    }
    out
}

/// An article's summary: its title, its site, day and source, then its sentences.
pub fn summary_text(s: &Summary) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        strip_controls(&s.article.title),
        source_line(
            s.article.site.as_deref(),
            s.article.date.as_deref(),
            &s.article.source
        )
    );
    for sentence in &s.sentences {
        out.push_str(&strip_controls(&sentence.text));
        out.push('\n');
    }
    out
}

/// A topic summary: each sentence with its article and where it comes from.
pub fn topic_text(t: &TopicSummary) -> String {
    if t.sentences.is_empty() {
        return "The articles say nothing about this topic.\n".to_string();
    }
    let mut out = String::new();
    for x in &t.sentences {
        out.push_str(&format!(
            "{}\n   — {} ({})\n",
            strip_controls(&x.text),
            strip_controls(&x.article.title),
            source_line(
                x.article.site.as_deref(),
                x.article.date.as_deref(),
                &x.article.source
            )
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::cues::Asks;
    use crate::lang::Lang;

    fn hit(source: &str, site: Option<&str>, date: Option<&str>) -> Hit {
        Hit {
            article: crate::articles::ArticleRef {
                id: "a".into(),
                title: "Un titre".into(),
                source: source.into(),
                date: date.map(str::to_string),
                site: site.map(str::to_string),
                url: None,
            },
            paragraph: 2,
            passage: "Le texte.".into(),
            answer: None,
            score: 1.0,
            marks: vec![],
            answer_span: None,
        }
    }

    #[test]
    fn source_lines_show_the_site_and_the_day() {
        let answer = Answer {
            question: "q".into(),
            answered: true,
            hits: vec![
                hit(
                    "https://www.lemonde.fr/a",
                    Some("Le Monde"),
                    Some("2024-05-09T10:30:00+02:00"),
                ),
                hit("corpus/b.txt", None, None),
                hit("corpus/c.md", Some("Le\u{1b}[31m Temps"), Some("mai 2024")),
            ],
            asks: Asks::Other,
            confidence: 1.0,
            related: vec![],
            closest: vec![],
            lang: Lang::Fr,
            translations: vec![],
            took_ms: 0.5,
            semantic: false,
            by_meaning: false,
            candidates: vec![],
        };
        let text = answer_text(&answer, Style::Markdown);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "1. Un titre (paragraph 2)");
        assert_eq!(
            lines[1],
            "   Le Monde · 2024-05-09 · https://www.lemonde.fr/a"
        );
        assert_eq!(lines[5], "   corpus/b.txt", "{text}");
        // corpus text loses its control characters; a date that is not ISO stays as given
        assert_eq!(
            lines[9], "   Le[31m Temps · mai 2024 · corpus/c.md",
            "{text}"
        );
    }

    #[test]
    fn the_article_list_shows_site_and_day() {
        let entry = |id: &str, site: Option<&str>, date: Option<&str>| Listed {
            article: crate::articles::ArticleRef {
                id: id.into(),
                title: "Titre".into(),
                source: format!("corpus/{id}.md"),
                url: None,
                date: date.map(str::to_string),
                site: site.map(str::to_string),
            },
            author: None,
            lang: Lang::Fr,
            passages: 3,
            path: format!("{id}.md"),
            bytes: 10,
        };
        let text = articles_text(&[
            entry(
                "web/a",
                Some("Fleuve Info"),
                Some("2025-02-03T07:15:00+00:00"),
            ),
            entry("b", None, None),
        ]);
        assert!(
            text.contains("Fleuve Info · 2025-02-03 · corpus/web/a.md\n"),
            "{text}"
        );
        assert!(text.contains("  corpus/b.md\n"), "{text}");
    }

    #[test]
    fn days() {
        assert_eq!(day("2024-05-09"), "2024-05-09");
        assert_eq!(day("2024-05-09T10:30:00+02:00"), "2024-05-09");
        assert_eq!(day("9 mai 2024"), "9 mai 2024");
        assert_eq!(day("2024-5-9"), "2024-5-9");
        assert_eq!(day("é"), "é");
    }
}
