//! Answers, article lists, summaries and build reports as text for a terminal: emphasis in
//! ANSI codes on a terminal and in Markdown markers elsewhere, and every string that comes
//! from the corpus or the asker stripped of control characters. Nothing here searches or
//! reads files: it only formats what the engine returns.

use crate::engine::{Answer, ArticleEntry, BuildReport, EmbedReport, Hit, Summary, TopicSummary};
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
            strip_controls(&hit.title),
            hit.paragraph,
            strip_controls(&hit.source)
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
pub fn articles_text(articles: &[ArticleEntry]) -> String {
    if articles.is_empty() {
        return "No articles are indexed.\n".to_string();
    }
    let id_width = articles
        .iter()
        .map(|a| a.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut out = format!("{:<id_width$}  {:>8}  TITLE / SOURCE\n", "ID", "PASSAGES");
    for a in articles {
        out.push_str(&format!(
            "{:<id_width$}  {:>8}  {}\n{:<id_width$}  {:>8}  {}\n",
            strip_controls(&a.id),
            a.passages,
            strip_controls(&a.title),
            "",
            "",
            strip_controls(&a.source)
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

/// An article's summary: its title, its source, then its sentences.
pub fn summary_text(s: &Summary) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        strip_controls(&s.title),
        strip_controls(&s.source)
    );
    for sentence in &s.sentences {
        out.push_str(&strip_controls(&sentence.text));
        out.push('\n');
    }
    out
}

/// A topic summary: each sentence with its article and source.
pub fn topic_text(t: &TopicSummary) -> String {
    if t.sentences.is_empty() {
        return "The articles say nothing about this topic.\n".to_string();
    }
    let mut out = String::new();
    for x in &t.sentences {
        out.push_str(&format!(
            "{}\n   — {} ({})\n",
            strip_controls(&x.text),
            strip_controls(&x.title),
            strip_controls(&x.source)
        ));
    }
    out
}
