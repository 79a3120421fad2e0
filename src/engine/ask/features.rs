//! The scorer's features: what the evidence of a candidate says, as numbers, and what the
//! best candidates together say of the question (for the claim that they answer it). Names
//! are the contract with `scripts/train-ranker.py`, which learns a weight for each and
//! writes them into `ranker.json` by name; `kiosque ask --json --explain` prints them.

use super::gather::{List, Tops};
use super::hits::Sentence;
use super::question::Question;
use super::rerank::Candidate;
use crate::lang::cues::Asks;

/// The features of one candidate, in this order.
pub(crate) const CANDIDATE: [&str; 38] = [
    "coverage",
    "exact",
    "proximity",
    "phrase",
    "title",
    "lead",
    "holds_asked",
    "lacks_asked",
    "asks_person",
    "asks_date",
    "asks_number",
    "asks_place",
    "rrf",
    "rank_words",
    "rank_context",
    "rank_expansion",
    "rank_translated",
    "rank_meaning",
    "score_words",
    "score_context",
    "score_expansion",
    "score_translated",
    "cosine",
    "above",
    "gap",
    "semantic",
    "same_lang",
    "first_passage",
    "place",
    "length",
    "heuristic",
    "coverage_behind",
    "words",
    "rarest",
    "article_coverage",
    "article_share",
    "article_passages",
    "unknown",
];

/// The features of a question's best candidates, for the claim that they answer it.
pub(crate) const CLAIM: [&str; 20] = [
    "p1",
    "p_any",
    "logit1",
    "p2",
    "p3",
    "margin",
    "coverage1",
    "exact1",
    "proximity1",
    "holds1",
    "lacks1",
    "cosine1",
    "above1",
    "gap1",
    "semantic",
    "words",
    "unknown",
    "article1",
    "sentence1",
    "cue1",
];

/// What is shared by every candidate of a question.
pub(crate) struct Context {
    pub tops: Tops,
    pub best_coverage: f32,
    pub best_heuristic: f32,
    pub semantic: bool,
    /// ln(1 + the question's words).
    pub words: f32,
    /// Share of the question's weight no passage holds in any form (in the question's own
    /// language).
    pub unknown: f32,
}

impl Context {
    pub fn new(q: &Question, candidates: &[Candidate], tops: Tops, semantic: bool) -> Context {
        let max = |f: fn(&Candidate) -> f32| candidates.iter().map(f).fold(0.0f32, f32::max);
        let words = q.terms.iter().map(|t| t.words.len()).max().unwrap_or(0);
        Context {
            tops,
            best_coverage: max(|c| c.coverage),
            best_heuristic: max(|c| c.heuristic),
            semantic,
            words: (1.0 + words as f32).ln(),
            unknown: q
                .terms
                .iter()
                .find(|t| t.lang == q.lang)
                .or(q.terms.first())
                .map_or(1.0, |t| t.unknown()),
        }
    }
}

fn flag(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// A rank's credit: 1 for the first, less after, 0 when not in the list.
fn rank_credit(rank: Option<u32>) -> f32 {
    rank.map_or(0.0, |r| 1.0 / (1.0 + r as f32))
}

/// The features of one candidate, in the order of [`CANDIDATE`].
pub(crate) fn candidate(q: &Question, c: &Candidate, x: &Context) -> [f32; CANDIDATE.len()] {
    let asked = q.asks != Asks::Other;
    let holds = !asked || c.cues.has(q.asks);
    let rank = |l: List| rank_credit(c.in_list(l).map(|(r, _)| r));
    let score = |l: List| {
        let top = x.tops[l as usize];
        c.in_list(l)
            .map_or(0.0, |(_, s)| if top > 0.0 { s / top } else { 0.0 })
    };
    [
        c.coverage,
        c.exact,
        c.proximity,
        c.phrase,
        c.title,
        c.lead,
        flag(holds),
        flag(asked && !holds),
        flag(q.asks == Asks::Person),
        flag(q.asks == Asks::Date),
        flag(q.asks == Asks::Number),
        flag(q.asks == Asks::Place),
        c.pooled.rrf * 30.0,
        rank(List::Words),
        rank(List::Context),
        rank(List::Expansion),
        rank(List::Translated),
        rank(List::Meaning),
        score(List::Words),
        score(List::Context),
        score(List::Expansion),
        score(List::Translated),
        c.meaning.cosine,
        c.meaning.above,
        c.meaning.gap,
        flag(x.semantic),
        flag(c.lang == q.lang),
        flag(c.paragraph <= 1),
        1.0 / c.paragraph.max(1) as f32,
        (1.0 + c.length as f32).ln() / 5.0,
        if x.best_heuristic > 0.0 {
            c.heuristic / x.best_heuristic
        } else {
            0.0
        },
        x.best_coverage - c.coverage,
        x.words,
        flag(c.rarest),
        c.article_coverage,
        c.article_share,
        (c.article_passages as f32).ln_1p(),
        x.unknown,
    ]
}

/// The features of the claim, from the candidates ordered by the scorer (best first).
pub(crate) fn claim(
    q: &Question,
    ranked: &[Candidate],
    sentence: Sentence,
    x: &Context,
) -> [f32; CLAIM.len()] {
    let p = |i: usize| ranked.get(i).map_or(0.0, |c| c.p);
    let Some(best) = ranked.first() else {
        return [0.0; CLAIM.len()];
    };
    let asked = q.asks != Asks::Other;
    let holds = !asked || best.cues.has(q.asks);
    let logit = |p: f32| {
        let p = p.clamp(1e-6, 1.0 - 1e-6);
        (p / (1.0 - p)).ln()
    };
    [
        p(0),
        1.0 - (1.0 - p(0)) * (1.0 - p(1)) * (1.0 - p(2)),
        logit(p(0)),
        p(1),
        p(2),
        p(0) - p(1),
        best.coverage,
        best.exact,
        best.proximity,
        flag(holds),
        flag(asked && !holds),
        best.meaning.cosine,
        best.meaning.above,
        best.meaning.gap,
        flag(x.semantic),
        x.words,
        x.unknown,
        best.article_coverage,
        sentence.share,
        flag(sentence.cue),
    ]
}
