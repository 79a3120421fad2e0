//! Stage 4: deciding between three outcomes: the passages answer; they do not, but some are
//! close enough to be worth reading (related passages); or nothing is. A passage answers when
//! it covers enough of the question's weight, close together; a question asking for a date
//! or a number also needs one in the passage (or a passage that covers it very well), and
//! then in the sentence that answers. The thresholds are fitted on our development sets by
//! `scripts/dev-eval.py --fit --write`, which writes `decision.json` beside this file.

use std::sync::OnceLock;

use serde::Deserialize;

use super::fuse::Meaning;
use super::question::Question;
use super::rerank::Candidate;
use crate::lang::cues::{self, Asks};

/// A passage without the date or number a question asks for answers only when it covers
/// this share of the question.
const MIN_COVERAGE_WITHOUT_CUE: f32 = 0.95;
/// Other passages are shown with the best when they reach this share of its bar ...
const OTHERS_BAR: f32 = 0.8;
/// ... and this share of its score.
const OTHERS_SCORE: f32 = 0.2;

/// The thresholds of the decision, on the best candidate's confidence (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Thresholds {
    /// Lexical confidence needed to answer.
    pub answer: f32,
    /// Lexical confidence needed to show related passages.
    pub related: f32,
    /// By meaning, when the words do not answer: how far above the last of the closest
    /// passages the best must stand to answer (above 1: never by meaning) ...
    pub answer_semantic: f32,
    /// ... its cosine with the question ...
    #[serde(default = "never")]
    pub answer_cosine: f32,
    /// ... and how far above the next closest passage.
    #[serde(default = "never")]
    pub answer_gap: f32,
    /// How far above the last of the closest passages a passage must stand to be shown as
    /// related.
    pub related_semantic: f32,
}

fn never() -> f32 {
    2.0
}

/// The thresholds fitted on the development sets, compiled in.
pub fn thresholds() -> Thresholds {
    static FITTED: OnceLock<Thresholds> = OnceLock::new();
    *FITTED.get_or_init(|| {
        serde_json::from_str(include_str!("decision.json")).unwrap_or(Thresholds {
            // decision.json is checked by a unit test; these are its first values
            answer: 0.5,
            related: 0.5,
            answer_semantic: 2.0,
            answer_cosine: 2.0,
            answer_gap: 2.0,
            related_semantic: 2.0,
        })
    })
}

/// What was decided.
pub(crate) struct Decision {
    pub answered: bool,
    /// Whether the passages shown were chosen by meaning rather than by the words.
    pub by_meaning: bool,
    /// How well the best passage covers the question (0 to 1), rounded.
    pub confidence: f32,
    /// The candidates to show, best first: passages that answer, or, when none does,
    /// related passages (possibly none).
    pub shown: Vec<usize>,
}

/// Whether a candidate may answer at all: a question asking for a date or a number needs
/// one in the passage, unless the passage covers the question very well.
pub(crate) fn answerable(q: &Question, c: &Candidate) -> bool {
    let needs_cue = matches!(q.asks, Asks::Date | Asks::Number);
    !needs_cue || c.cues.has(q.asks) || c.confidence() >= MIN_COVERAGE_WITHOUT_CUE
}

/// Decides from the ranked candidates (best first) and, when the question was searched by
/// meaning, their meaning signals (see [`super::fuse`]; empty otherwise).
pub(crate) fn decide(
    q: &Question,
    ranked: &[Candidate],
    meaning: &[Meaning],
    t: &Thresholds,
) -> Decision {
    let Some(best) = ranked.first() else {
        return Decision {
            answered: false,
            by_meaning: false,
            confidence: 0.0,
            shown: vec![],
        };
    };
    let meant = |i: usize| meaning.get(i).map_or(0.0, |m| m.above);
    // answering by meaning asks more: the kind of fact asked for must be there, and the
    // passage must be close to the question and closer than the others
    let answers_by_meaning = |i: usize, c: &Candidate| {
        meaning.get(i).is_some_and(|m| {
            m.above >= t.answer_semantic && m.cosine >= t.answer_cosine && m.gap >= t.answer_gap
        }) && answerable(q, c)
            && (q.asks == Asks::Other || c.cues.has(q.asks))
    };
    // the bar a candidate must pass to answer
    let bar = |c: &Candidate| {
        if answerable(q, c) {
            t.answer
        } else {
            MIN_COVERAGE_WITHOUT_CUE.max(t.answer)
        }
    };
    let by_words = best.confidence() >= bar(best);
    let by_meaning = !by_words && answers_by_meaning(0, best);
    let answered = by_words || by_meaning;
    let words_close = |c: &Candidate, bar: f32| {
        c.confidence() >= bar && c.coverage > 0.0 && c.score >= best.score * OTHERS_SCORE
    };
    let shown: Vec<usize> = ranked
        .iter()
        .enumerate()
        .filter(|&(i, c)| {
            if by_words {
                words_close(c, bar(c) * OTHERS_BAR)
            } else if by_meaning {
                i == 0
                    || (answerable(q, c)
                        && meant(i) >= t.answer_semantic
                        && meant(i) >= meant(0) * OTHERS_BAR)
            } else {
                words_close(c, t.related) || meant(i) >= t.related_semantic
            }
        })
        .map(|(i, _)| i)
        .collect();
    // related passages are by meaning when the first of them is close only by meaning
    let related_by_meaning = !answered
        && shown
            .first()
            .is_some_and(|&i| !words_close(&ranked[i], t.related));
    Decision {
        answered,
        by_meaning: by_meaning || related_by_meaning,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fitted_thresholds_are_read() {
        let parsed: Thresholds = serde_json::from_str(include_str!("decision.json")).unwrap();
        assert_eq!(parsed, thresholds());
        assert!(parsed.related <= parsed.answer, "{parsed:?}");
        assert!((0.0..=1.0).contains(&parsed.answer));
    }
}
