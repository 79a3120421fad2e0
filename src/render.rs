//! Answers, article lists and build reports as text for a terminal and as JSON lines. Nothing
//! here searches or reads files: it only formats what the engine returns.

use std::ops::Range;

use serde::Serialize;

use crate::index::{ArticleEntry, BuildReport};
use crate::search::{Answer, Hit};

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
            .map(|t| format!("{} → {}", strip_controls(&t.word), t.into.join(", ")))
            .collect();
        out.push_str(&format!("Translated: {}\n\n", list.join("; ")));
    }
    if !answer.answered {
        out.push_str("The articles do not answer this question.\n");
        if !answer.closest.is_empty() {
            out.push_str("Closest articles:\n");
            for t in &answer.closest {
                out.push_str(&format!("  - {t}\n"));
            }
        }
        return out;
    }
    for (i, hit) in answer.hits.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}. {} (paragraph {})\n   {}\n",
            i + 1,
            hit.title,
            hit.paragraph,
            hit.source
        ));
        let body = match style {
            Style::Markdown => hit.highlight.clone(),
            Style::Ansi => ansi_highlight(hit),
        };
        for line in body.lines() {
            out.push_str("   ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&format!("({:.2} ms)\n", answer.took_ms));
    out
}

/// The passage with ANSI bold for matched words and underline for the best sentence.
fn ansi_highlight(hit: &Hit) -> String {
    const BOLD: &str = "\x1b[1m";
    const NO_BOLD: &str = "\x1b[22m";
    const UNDER: &str = "\x1b[4m";
    const NO_UNDER: &str = "\x1b[24m";
    let mut events: Vec<(usize, u8, &str)> = Vec::new();
    for m in &hit.marks {
        events.push((m.start, 3, BOLD));
        events.push((m.end, 0, NO_BOLD));
    }
    if let Some(Range { start, end }) = hit.answer_span.clone() {
        events.push((start, 2, UNDER));
        events.push((end, 1, NO_UNDER));
    }
    events.sort();
    let text = &hit.passage;
    let mut out = String::with_capacity(text.len() + events.len() * 6);
    let mut at = 0;
    for (pos, _, code) in events {
        if pos < at || pos > text.len() || !text.is_char_boundary(pos) {
            continue;
        }
        out.push_str(&strip_controls(&text[at..pos]));
        out.push_str(code);
        at = pos;
    }
    out.push_str(&strip_controls(&text[at..]));
    out
}

/// Corpus text never sends escape sequences to a terminal.
fn strip_controls(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// An answer as one JSON line.
pub fn answer_json(answer: &Answer) -> String {
    serde_json::to_string(answer).unwrap_or_else(|e| error_json(&answer.question, &e.to_string()))
}

/// A rejected question as one JSON line.
pub fn error_json(question: &str, error: &str) -> String {
    #[derive(Serialize)]
    struct Rejected<'a> {
        question: &'a str,
        error: &'a str,
    }
    // Serialising two strings cannot fail; the fallback keeps the promise of a JSON line.
    serde_json::to_string(&Rejected { question, error })
        .unwrap_or_else(|_| "{\"question\":\"\",\"error\":\"unprintable\"}".to_string())
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
            a.id,
            a.passages,
            strip_controls(&a.title),
            "",
            "",
            a.source
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

/// The article list as one JSON line (an array).
pub fn articles_json(articles: &[ArticleEntry]) -> String {
    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
        title: &'a str,
        source: &'a str,
        passages: u32,
        lang: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        date: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        author: Option<&'a str>,
    }
    let rows: Vec<Row> = articles
        .iter()
        .map(|a| Row {
            id: &a.id,
            title: &a.title,
            source: &a.source,
            passages: a.passages,
            lang: a.lang.code(),
            url: a.url.as_deref(),
            date: a.date.as_deref(),
            author: a.author.as_deref(),
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_string())
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
        out.push_str(&format!("  failed: {}: {}\n", f.path, f.reason));
    }
    for d in &report.decoded {
        out.push_str(&format!("  decoded: {}: read as {}\n", d.path, d.reason));
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "  skipped (not .txt or .md): {}\n",
            report.skipped.join(", ")
        ));
    }
    out
}

/// A build report as one JSON line.
pub fn report_json(report: &BuildReport) -> String {
    serde_json::to_string(report).unwrap_or_else(|_| "{}".to_string())
}
