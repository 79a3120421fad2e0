//! Answers, article lists, summaries and build reports as JSON lines, for scripts: one line
//! each, the shapes the README documents. A hit's `highlight` is Markdown rendered from the
//! engine's spans, with Markdown's characters in corpus text escaped.

use serde::Serialize;

use crate::articles::ArticleRef;
use crate::engine::{Answer, BuildReport, EmbedReport, Explained, Hit, Listed, Translated};
use crate::front::highlight;
use crate::lang::cues::Asks;
use crate::lang::Lang;

/// A hit as JSON: its fields, and its passage as Markdown.
#[derive(Serialize)]
struct HitJson<'a> {
    /// Its article: `article` (the id), `title`, `source`, and `date`, `site` and `url`
    /// when its front matter gives them.
    #[serde(flatten)]
    article: &'a ArticleRef,
    paragraph: u64,
    passage: &'a str,
    /// The passage as Markdown: matched words in `**bold**`, the best sentence in `__…__`.
    highlight: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a str>,
    score: f32,
}

impl<'a> HitJson<'a> {
    fn of(hit: &'a Hit) -> HitJson<'a> {
        HitJson {
            article: &hit.article,
            paragraph: hit.paragraph,
            passage: &hit.passage,
            highlight: highlight::markdown(hit),
            answer: hit.answer.as_deref(),
            score: hit.score,
        }
    }
}

#[derive(Serialize)]
struct AnswerJson<'a> {
    question: &'a str,
    answered: bool,
    hits: Vec<HitJson<'a>>,
    asks: Asks,
    confidence: f32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<HitJson<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    closest: &'a [String],
    lang: Lang,
    #[serde(skip_serializing_if = "<[Translated]>::is_empty")]
    translations: &'a [Translated],
    took_ms: f64,
    /// The question was also searched by meaning.
    semantic: bool,
    /// What is shown was found by meaning rather than by the question's words.
    by_meaning: bool,
    #[serde(skip_serializing_if = "<[Explained]>::is_empty")]
    candidates: &'a [Explained],
}

/// An answer as one JSON line.
pub fn answer_json(answer: &Answer) -> String {
    let view = AnswerJson {
        question: &answer.question,
        answered: answer.answered,
        hits: answer.hits.iter().map(HitJson::of).collect(),
        asks: answer.asks,
        confidence: answer.confidence,
        related: answer.related.iter().map(HitJson::of).collect(),
        closest: &answer.closest,
        lang: answer.lang,
        translations: &answer.translations,
        took_ms: answer.took_ms,
        semantic: answer.semantic,
        by_meaning: answer.by_meaning,
        candidates: &answer.candidates,
    };
    serde_json::to_string(&view).unwrap_or_else(|e| error_json(&answer.question, &e.to_string()))
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

/// The article list as one JSON line (an array).
pub fn articles_json(articles: &[Listed]) -> String {
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
        #[serde(skip_serializing_if = "Option::is_none")]
        site: Option<&'a str>,
    }
    let rows: Vec<Row> = articles
        .iter()
        .map(|a| Row {
            id: &a.article.id,
            title: &a.article.title,
            source: &a.article.source,
            passages: a.passages,
            lang: a.lang.code(),
            url: a.article.url.as_deref(),
            date: a.article.date.as_deref(),
            author: a.author.as_deref(),
            site: a.article.site.as_deref(),
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_string())
}

/// A build report as one JSON line.
/// A build report as one JSON line, with what embedding did when an embedding server is set
/// (under `"embeddings"`: passages, with_vectors, embedded, seconds, failed).
pub fn report_json(report: &BuildReport, embedded: Option<&EmbedReport>) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let (Some(e), Some(map)) = (embedded, value.as_object_mut()) {
        map.insert(
            "embeddings".into(),
            serde_json::json!({
                "passages": e.passages,
                "with_vectors": e.with_vectors,
                "embedded": e.embedded,
                "seconds": (e.seconds * 100.0).round() / 100.0,
                "failed": e.failed,
            }),
        );
    }
    value.to_string()
}

/// Any other value (a summary, a topic summary) as one JSON line.
pub fn value_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| error_json("", &e.to_string()))
}
