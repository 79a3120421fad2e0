//! Stage 4: deciding whether the best passages answer. A passage answers when it covers
//! enough of the question's weight, close together; a question asking for a date or a
//! number also needs one in the passage (or a passage that covers it very well), and then in
//! the sentence that answers. Otherwise the articles do not answer, rather than noise.

use super::question::Question;
use super::rerank::Candidate;
use crate::lang::cues::{self, Asks};

/// A passage answers when it covers at least this share of the question's weight.
const MIN_COVERAGE: f32 = 0.5;
/// ... and this share when the question asks for a date or a number the passage lacks.
const MIN_COVERAGE_WITHOUT_CUE: f32 = 0.95;
/// Other passages are shown with the best when they reach this share of its bar ...
const OTHERS_BAR: f32 = 0.8;
/// ... and this share of its score.
const OTHERS_SCORE: f32 = 0.2;

/// What was decided.
pub(crate) struct Decision {
    pub answered: bool,
    /// How well the best passage covers the question (0 to 1), rounded.
    pub confidence: f32,
    /// The candidates good enough to show, best first (empty when not answered).
    pub shown: Vec<usize>,
}

/// Decides from the ranked candidates (best first).
pub(crate) fn decide(q: &Question, ranked: &[Candidate]) -> Decision {
    let Some(best) = ranked.first() else {
        return Decision {
            answered: false,
            confidence: 0.0,
            shown: vec![],
        };
    };
    let needs_cue = matches!(q.asks, Asks::Date | Asks::Number);
    // A date or a number must stand in the passage, or the passage must cover the question
    // very well.
    let bar = |c: &Candidate| {
        if needs_cue && !c.cues.has(q.asks) {
            MIN_COVERAGE_WITHOUT_CUE
        } else {
            MIN_COVERAGE
        }
    };
    let answered = best.confidence() >= bar(best);
    let shown = if answered {
        ranked
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.confidence() >= bar(c) * OTHERS_BAR && c.score >= best.score * OTHERS_SCORE
            })
            .map(|(i, _)| i)
            .collect()
    } else {
        vec![]
    };
    Decision {
        answered,
        confidence: (best.confidence() * 1000.0).round() / 1000.0,
        shown,
    }
}

/// Whether the answer holds once its best sentence is known: a question asking for a date or
/// a number is answered only when that sentence has one, unless the passage covers the
/// question very well.
pub(crate) fn confirmed(q: &Question, best: &Candidate, sentence: &str) -> bool {
    let needs_cue = matches!(q.asks, Asks::Date | Asks::Number);
    !needs_cue || cues::cues(sentence).has(q.asks) || best.confidence() >= MIN_COVERAGE_WITHOUT_CUE
}
