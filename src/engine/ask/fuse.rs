//! Words and meaning together. When the question's words alone answer, their ranking stands:
//! a question asked in the articles' words is answered as without an embedding server. When
//! they do not, the ranks by words and by meaning are fused (reciprocal-rank fusion), so a
//! passage that says the same thing in other words can come first; the decision then also
//! reads how far each passage stands out by meaning.

use std::collections::HashMap;

use tantivy::DocAddress;

use super::decide::{answerable, Thresholds};
use super::question::Question;
use super::rerank::Candidate;

/// Reciprocal-rank fusion's constant: how fast a rank's credit falls (1/(K + rank)). Small,
/// as only the first few of 20 candidates matter.
const RRF_K: f32 = 5.0;

/// What the search by meaning says of a candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Meaning {
    /// Its rank among the passages closest by meaning (none: not among them).
    pub rank: Option<usize>,
    /// Its cosine with the question (0 when not among the closest).
    pub cosine: f32,
    /// Its cosine above the cosine of the last of the closest passages: the question's own
    /// baseline, as a model's cosines crowd in a narrow band.
    pub above: f32,
    /// Its cosine above the best cosine of the other closest passages (negative when
    /// another is closer): how much it stands out from the next.
    pub gap: f32,
}

/// Reorders `ranked` when its words do not answer, and returns what meaning says of each
/// candidate, in the new order.
pub(crate) fn fuse(
    q: &Question,
    ranked: &mut [Candidate],
    near: &[(DocAddress, f32)],
    t: &Thresholds,
) -> Vec<Meaning> {
    let floor = near.iter().map(|n| n.1).fold(f32::INFINITY, f32::min);
    let by_meaning: HashMap<DocAddress, Meaning> = near
        .iter()
        .enumerate()
        .map(|(rank, &(address, cosine))| {
            // `near` is closest first: the next closest of the others is the first, or the
            // second for the first
            let next = near.get(usize::from(rank == 0)).map(|n| n.1);
            let m = Meaning {
                rank: Some(rank),
                cosine,
                above: cosine - floor,
                gap: next.map_or(0.0, |next| cosine - next),
            };
            (address, m)
        })
        .collect();
    let words_answer = ranked
        .first()
        .is_some_and(|b| b.confidence() >= t.answer && answerable(q, b));
    if !words_answer {
        let mut by_words = 0usize;
        let mut fused: HashMap<DocAddress, f32> = HashMap::with_capacity(ranked.len());
        for c in ranked.iter() {
            let mut score = 0.0;
            if c.coverage > 0.0 {
                score += 1.0 / (RRF_K + by_words as f32);
                by_words += 1;
            }
            if let Some(rank) = by_meaning.get(&c.address).and_then(|m| m.rank) {
                score += 1.0 / (RRF_K + rank as f32);
            }
            fused.insert(c.address, score);
        }
        // stable: equal fused scores keep the words' order
        ranked.sort_by(|a, b| fused[&b.address].total_cmp(&fused[&a.address]));
    }
    ranked
        .iter()
        .map(|c| by_meaning.get(&c.address).copied().unwrap_or_default())
        .collect()
}
