//! Questions to answers, as a pipeline of stages with one owned type passed between them:
//!
//! 1. [`question`]: the raw text becomes a [`question::Question`] (cleaned, its language,
//!    what it asks for, its weighted words per article language, translated when needed);
//! 2. [`gather`]: independent lists of candidates (BM25 on the words, on the words with the
//!    article's title and lead, on their other forms, on their translation, and the passages
//!    closest by meaning when an embedding server answered) fused into one pool
//!    ([`gather::Pooled`]);
//! 3. [`rerank`]: the evidence of each pooled passage read from the index
//!    ([`rerank::Candidate`]);
//! 4. [`decide`]: the learned [`scorer`] orders the candidates by the probability that they
//!    answer ([`features`] are what it reads); an optional reading model
//!    (`KIOSQUE_RERANK_URL`) reorders the first twenty; the best passage's answering
//!    sentence is read, and the scorer claims an answer or not ([`decide::Decision`]);
//! 5. [`hits`]: the shown passages with their spans ([`Hit`]), or the closest articles.
//!
//! The [`Answer`] is plain data: the front ends render it.

mod decide;
mod features;
mod gather;
mod hits;
mod question;
mod rerank;
mod scorer;
mod terms;

use crate::articles::ArticleRef;
use std::ops::Range;
use std::time::Instant;

use serde::Serialize;
use tantivy::DocAddress;

pub use question::{clean_question, QuestionError, MAX_QUESTION_CHARS};

use crate::engine::index::snapshot::Snapshot;
use crate::engine::Services;
use crate::lang::cues::Asks;
use crate::lang::Lang;
use rerank::Candidate;

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
    /// Its article: id, title, source, date, site, url.
    #[serde(flatten)]
    pub article: ArticleRef,
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

/// A candidate passage, where the lists ranked it, its features and its probability.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub article: String,
    pub paragraph: u64,
    pub passage: String,
    /// The scorer's probability that it answers.
    pub p: f32,
    /// Its rank (0 first) in each list that found it, by the list's name.
    pub lists: std::collections::BTreeMap<&'static str, u32>,
    /// The scorer's features, by name.
    pub features: std::collections::BTreeMap<&'static str, f32>,
    /// Its answering sentence: the share of the question's weight it holds, and whether it
    /// holds the kind of fact asked for (the claim reads these of the best candidate).
    pub sentence: f32,
    pub sentence_cue: bool,
}

/// Candidates an explained answer carries: the whole pool.
const EXPLAINED: usize = gather::POOL;

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
/// the thesaurus adds synonyms, the reader scores the best candidates); `lang` is the
/// question's language when the caller knows it (none: told from the question); `nearest`
/// the passages closest by meaning, when the question was searched by meaning.
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
    if q.terms.is_empty() && nearest.is_none() {
        answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok(answer);
    }
    let near = nearest.as_deref();
    let (pool, tops) = gather::gather(&searcher, &q, near)?;
    let mut candidates = rerank::read(&searcher, &q, pool, near)?;
    let x = features::Context::new(&q, &candidates, tops, nearest.is_some());
    let s = scorer::scorer();
    decide::order(&q, &mut candidates, &x, s);
    if let Some(reader) = services.reader.as_deref() {
        read_by_model(snapshot, &searcher, reader, &q.text, &mut candidates)?;
    }
    // the best passage is read whatever is decided (it is shown unless nothing is related):
    // its answering sentence is evidence for the claim
    let first = match candidates.first() {
        Some(c) => Some(hits::hit(
            snapshot,
            &searcher,
            q.terms_for(c.lang),
            c,
            q.asks,
        )?),
        None => None,
    };
    let sentence = first.as_ref().map(|f| f.1).unwrap_or_default();
    let decision = decide::decide(&q, &candidates, sentence, &x, s);
    answer.confidence = (decision.claim * 1000.0).round() / 1000.0;
    answer.answered = decision.outcome == decide::Outcome::Answer;
    answer.by_meaning = decision.by_meaning;
    let mut shown: Vec<Hit> = Vec::with_capacity(top);
    let mut first = first.map(|f| f.0);
    for c in candidates.iter().take(decision.shown) {
        let h = match first.take() {
            Some(h) => h,
            None => hits::hit(snapshot, &searcher, q.terms_for(c.lang), c, q.asks)?.0,
        };
        // the same text twice (a copied article, a repeated paragraph) is shown once
        if shown.iter().all(|k| k.passage != h.passage) {
            shown.push(h);
        }
        if shown.len() == top {
            break;
        }
    }
    if answer.answered {
        answer.hits = shown;
    } else {
        answer.related = shown;
        for c in candidates.iter().filter(|c| c.coverage > 0.0) {
            let title = hits::title(snapshot, &searcher, c)?;
            if !answer.closest.contains(&title) {
                answer.closest.push(title);
            }
            if answer.closest.len() == MAX_CLOSEST {
                break;
            }
        }
    }
    if explain == Explain::Yes {
        for c in candidates.iter().take(EXPLAINED) {
            let (h, sentence) = hits::hit(snapshot, &searcher, q.terms_for(c.lang), c, q.asks)?;
            let values = features::candidate(&q, c, &x);
            answer.candidates.push(Explained {
                article: h.article.id,
                paragraph: h.paragraph,
                passage: h.passage,
                p: c.p,
                lists: gather::List::ALL
                    .iter()
                    .filter_map(|&l| c.in_list(l).map(|(rank, _)| (l.name(), rank)))
                    .collect(),
                features: features::CANDIDATE.iter().copied().zip(values).collect(),
                sentence: sentence.share,
                sentence_cue: sentence.cue,
            });
        }
    }
    answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(answer)
}

/// Candidates the reading model reads: the scorer's best.
const READ: usize = 20;

/// Asks the reading model to score the scorer's first candidates, and puts those in the
/// model's order (a cross-encoder reads the question with each passage, which our features
/// cannot: where one is run, its order is the better one; it cannot be fitted here, as no
/// registry ships reranker weights). A server that fails leaves the scorer's order.
fn read_by_model(
    snapshot: &Snapshot,
    searcher: &tantivy::Searcher,
    reader: &dyn crate::engine::meaning::reader::Reader,
    question: &str,
    candidates: &mut [Candidate],
) -> Result<(), AskError> {
    let n = candidates.len().min(READ);
    let mut texts = Vec::with_capacity(n);
    for c in &candidates[..n] {
        let doc: tantivy::TantivyDocument = searcher.doc(c.address)?;
        texts.push(hits::stored_text(snapshot, &doc));
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // an outage is logged when it starts and when it ends, not at every question
    static DOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    use std::sync::atomic::Ordering::AcqRel;
    match reader.rerank(question, &refs) {
        Ok(scores) => {
            if DOWN.swap(false, AcqRel) {
                tracing::info!("the reading model answers again");
            }
            for (c, s) in candidates.iter_mut().zip(scores) {
                c.reader = s;
            }
            // stable: passages the model left out keep the scorer's order, after the others
            candidates[..n].sort_by(|a, b| match (a.reader, b.reader) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
        }
        Err(e) => {
            if !DOWN.swap(true, AcqRel) {
                tracing::warn!("the scorer's order stands until the reading model answers: {e}");
            }
        }
    }
    Ok(())
}
