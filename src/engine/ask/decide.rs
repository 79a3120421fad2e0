//! Stage 5: ordering and deciding. The scorer gives each candidate the probability that it
//! answers, and the candidates are ordered by it; the claim model then gives the probability
//! that the first passages hold the answer. Three outcomes:
//!
//! - **answer**: the claim reaches the threshold fitted on the check parts (and, for a date
//!   or a number, the best passage holds one);
//! - **related**: it does not, but the best passage is related at all (it shares a word with
//!   the question, or it is close by meaning): the best passages are shown as related;
//! - **no answer**: nothing in the corpus is related.

use super::features::{self, Context};
use super::gather::List;
use super::hits::Sentence;
use super::question::Question;
use super::rerank::Candidate;
use super::scorer::Scorer;
use crate::lang::cues::Asks;

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Answer,
    Related,
    Nothing,
}

/// The decision: the candidates in the scorer's order, the claim, and what to show.
pub(crate) struct Decision {
    pub outcome: Outcome,
    /// The probability that the first passages hold the answer.
    pub claim: f32,
    /// Whether the first passage shown was found by meaning rather than by the words.
    pub by_meaning: bool,
    /// How many of the first candidates may be shown (the caller shows at most its `top`).
    pub shown: usize,
}

/// Whether a candidate is related to the question at all: a word in common, or close by
/// meaning.
fn related(c: &Candidate, s: &Scorer) -> bool {
    c.coverage > 0.0 || c.meaning.cosine >= s.related_cosine
}

/// Scores the candidates and orders them best first (in place).
pub(crate) fn order(q: &Question, candidates: &mut [Candidate], x: &Context, s: &Scorer) {
    let m = s.models(x.semantic);
    for c in candidates.iter_mut() {
        c.p = m.rank.p(&features::candidate(q, c, x));
    }
    // equal probabilities keep the fused order (the pool's), so a question always gets the
    // same reply
    candidates.sort_by(|a, b| {
        b.p.total_cmp(&a.p)
            .then(b.pooled.rrf.total_cmp(&a.pooled.rrf))
    });
}

/// Decides from the ordered candidates and what the best one's answering sentence says.
pub(crate) fn decide(
    q: &Question,
    candidates: &[Candidate],
    sentence: Sentence,
    x: &Context,
    s: &Scorer,
) -> Decision {
    let m = s.models(x.semantic);
    let claim = m.claim.p(&features::claim(q, candidates, sentence, x));
    let Some(best) = candidates.first() else {
        return Decision {
            outcome: Outcome::Nothing,
            claim: 0.0,
            by_meaning: false,
            shown: 0,
        };
    };
    // a date or a number asked for must be in the passage that answers: digits and dates are
    // told reliably, and a passage without one does not answer "Quand ?" or "Combien ?"
    let lacks = matches!(q.asks, Asks::Date | Asks::Number) && !best.cues.has(q.asks);
    let outcome = if claim >= m.threshold && !lacks {
        Outcome::Answer
    } else if related(best, s) {
        Outcome::Related
    } else {
        Outcome::Nothing
    };
    let shown = match outcome {
        Outcome::Nothing => 0,
        _ => {
            1 + candidates[1..]
                .iter()
                .take_while(|c| c.p >= s.show && related(c, s))
                .count()
        }
    };
    let lexical_first = |c: &Candidate| {
        [
            List::Words,
            List::Context,
            List::Expansion,
            List::Translated,
        ]
        .iter()
        .any(|&l| c.in_list(l).is_some_and(|(rank, _)| rank < 3))
    };
    let by_meaning = outcome != Outcome::Nothing
        && best.in_list(List::Meaning).is_some()
        && !lexical_first(best);
    Decision {
        outcome,
        claim,
        by_meaning,
        shown,
    }
}
