//! Questions to answers, as a pipeline of stages with one type between each:
//!
//! 1. [`question`]: the raw text becomes a [`question::Question`] (cleaned, its language,
//!    what it asks for, its weighted words per article language, translated when needed);
//! 2. [`gather`]: tantivy's BM25 finds candidate passages ([`gather::Found`]), joined by
//!    the passages closest by meaning when an embedding server is set;
//! 3. [`rerank`]: a second pass over their term positions scores them
//!    ([`rerank::Candidate`], best first); when the words alone do not answer, the ranks by
//!    words and by meaning are fused ([`fuse`]);
//! 4. [`decide`]: whether they answer, and which to show ([`decide::Decision`]);
//! 5. [`hits`]: the shown passages with their spans ([`Hit`]), or the closest articles.
//!
//! The [`Answer`] is plain data: the front ends render it.

pub mod decide;
pub mod fuse;
pub mod gather;
pub mod hits;
pub mod question;
pub mod rerank;
pub mod terms;

use std::ops::Range;
use std::time::Instant;

use serde::Serialize;
use tantivy::DocAddress;

pub use question::{clean_question, QuestionError, MAX_QUESTION_CHARS};

use crate::engine::snapshot::Snapshot;
use crate::engine::Services;
use crate::lang::cues::Asks;
use crate::lang::Lang;

/// Most hits one answer may carry.
pub const MAX_TOP: usize = 10;
/// Most closest articles named when the articles do not answer.
const MAX_CLOSEST: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error(transparent)]
    Question(#[from] QuestionError),
    #[error("search failed: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// One passage that answers.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub article: String,
    pub title: String,
    pub source: String,
    /// The article's date as its front matter gives it (ISO 8601 for fetched articles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The site that published the article ("Le Monde").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The article's url, when its front matter gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub paragraph: u64,
    pub passage: String,
    /// The sentence that best answers, when the passage has more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub score: f32,
    /// Byte ranges of the matched words in `passage`, in order.
    #[serde(skip)]
    pub marks: Vec<Range<usize>>,
    /// Byte range of `answer` in `passage`.
    #[serde(skip)]
    pub answer_span: Option<Range<usize>>,
}

/// The answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub answered: bool,
    pub hits: Vec<Hit>,
    /// What the question asks for.
    pub asks: Asks,
    /// How well the best passage covers the question, 0 to 1: its share of the question's
    /// weighted words, and how close together they stand.
    pub confidence: f32,
    /// When not answered: the passages close enough to be worth reading (never answers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Hit>,
    /// When not answered: titles of the articles that came closest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<String>,
    /// The language the question is in.
    pub lang: Lang,
    /// The question's words searched in the other language, and what they were taken for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<Translated>,
    pub took_ms: f64,
    /// Whether the question was also searched by meaning (an embedding server answered).
    pub semantic: bool,
    /// Whether what is shown was found by meaning rather than by the question's words.
    pub by_meaning: bool,
    /// With [`Explain::Yes`]: the best candidates whatever was decided, with their signals,
    /// for the script that fits the decision's thresholds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Explained>,
}

/// Whether an answer carries its candidates and their signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    No,
    Yes,
}

/// A candidate passage and the signals the decision reads.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub article: String,
    pub passage: String,
    /// Lexical confidence, 0 to 1.
    pub confidence: f32,
    pub score: f32,
    /// Whether it may answer at all (a date or a number asked for is there).
    pub answerable: bool,
    /// By meaning: how much closer to the question than the passages around it (the
    /// cosine above the last of the nearest passages), when searched by meaning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<f32>,
    /// By meaning: its cosine with the question, and its rank among the closest passages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cosine: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning_rank: Option<usize>,
    /// By meaning: its cosine above the best of the other closest passages'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning_gap: Option<f32>,
    /// Whether it holds the kind of fact asked for (a person, a date, a number, a place;
    /// always for other questions).
    pub holds_asked: bool,
    /// Share of the question's weight it holds, and how close together.
    pub coverage: f32,
    pub proximity: f32,
}

/// Candidates an explained answer carries.
const EXPLAINED: usize = 5;

/// A question word searched in the articles' language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Translated {
    /// As asked ("border").
    pub word: String,
    /// What it was searched as, the likeliest first ("frontière", "lisière").
    pub into: Vec<String>,
}

/// Answers a question from one snapshot with at most `top` hits, with the engine's
/// services (the dictionary translates the question for articles in the other language,
/// the thesaurus adds synonyms); `lang` is the question's language when the caller knows it
/// (none: told from the question).
pub(crate) fn ask(
    snapshot: &Snapshot,
    services: &Services,
    question: &str,
    top: usize,
    lang: Option<Lang>,
    explain: Explain,
    nearest: Option<Vec<(DocAddress, f32)>>,
) -> Result<Answer, AskError> {
    let started = Instant::now();
    let top = top.clamp(1, MAX_TOP);
    let searcher = snapshot.reader.searcher();
    let q = question::understand(snapshot, &searcher, question, lang, services)?;
    let mut answer = Answer {
        question: q.text.clone(),
        answered: false,
        hits: vec![],
        asks: q.asks,
        confidence: 0.0,
        related: vec![],
        closest: vec![],
        lang: q.lang,
        translations: q.translations(),
        took_ms: 0.0,
        semantic: nearest.is_some(),
        by_meaning: false,
        candidates: vec![],
    };
    if !q.terms.is_empty() {
        let t = decide::thresholds();
        let mut found = gather::gather(&searcher, &q)?;
        if let Some(near) = &nearest {
            for &(address, _) in near {
                if found.iter().all(|f| f.1 != address) {
                    found.push((0.0, address));
                }
            }
        }
        let mut ranked = rerank::rerank(&searcher, &q, &found)?;
        let meaning = match &nearest {
            Some(near) => fuse::fuse(&q, &mut ranked, near, &t),
            None => vec![],
        };
        let decision = decide::decide(&q, &ranked, &meaning, &t);
        answer.confidence = decision.confidence;
        answer.answered = decision.answered;
        answer.by_meaning = decision.by_meaning;
        let mut shown: Vec<Hit> = Vec::with_capacity(top);
        for &i in &decision.shown {
            let c = &ranked[i];
            let h = hits::hit(snapshot, &searcher, q.terms_for(c.lang()), c, q.asks)?;
            // the same text twice (a copied article, a repeated paragraph) is shown once
            if shown.iter().all(|k| k.passage != h.passage) {
                shown.push(h);
            }
            if shown.len() == top {
                break;
            }
        }
        // ... and the answer must stand in the sentence that answers, not elsewhere
        if let (true, Some(h), Some(best)) = (answer.answered, shown.first(), ranked.first()) {
            let sentence = h
                .answer_span
                .clone()
                .map_or(&h.passage[..], |r| &h.passage[r]);
            if !decide::confirmed(&q, best, sentence) {
                answer.answered = false;
                answer.closest = vec![h.title.clone()];
            }
        }
        if answer.answered {
            answer.hits = shown;
        } else {
            answer.related = shown;
        }
        if explain == Explain::Yes {
            for (i, c) in ranked.iter().enumerate().take(EXPLAINED) {
                let h = hits::hit(snapshot, &searcher, q.terms_for(c.lang()), c, q.asks)?;
                answer.candidates.push(Explained {
                    article: h.article,
                    passage: h.passage,
                    confidence: (c.confidence() * 1000.0).round() / 1000.0,
                    score: h.score,
                    answerable: decide::answerable(&q, c),
                    meaning: meaning.get(i).map(|m| (m.above * 1000.0).round() / 1000.0),
                    cosine: meaning.get(i).map(|m| (m.cosine * 1000.0).round() / 1000.0),
                    meaning_rank: meaning.get(i).and_then(|m| m.rank),
                    meaning_gap: meaning.get(i).map(|m| (m.gap * 1000.0).round() / 1000.0),
                    holds_asked: q.asks == Asks::Other || c.cues.has(q.asks),
                    coverage: (c.coverage * 1000.0).round() / 1000.0,
                    proximity: (c.proximity * 1000.0).round() / 1000.0,
                });
            }
        }
        if !answer.answered {
            for c in ranked.iter().filter(|c| c.coverage > 0.0) {
                let title = hits::title(snapshot, &searcher, c)?;
                if !answer.closest.contains(&title) {
                    answer.closest.push(title);
                }
                if answer.closest.len() == MAX_CLOSEST {
                    break;
                }
            }
        }
    }
    answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(answer)
}
