//! Stage 3: re-ranking. The second pass reads the candidates' term positions from the index
//! and prefers the passage that covers the question's rarer words (the title and the lead
//! counting for every passage of their article, a word's family for less), close together
//! and in the question's order, and that holds the kind of fact the question asks for (a
//! person, a date, a number, a place).

use std::collections::HashMap;

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, TERMINATED};

use super::gather::Found;
use super::question::Question;
use super::terms::Terms;
use crate::engine::schema::ENGLISH_FLAG;
use crate::lang::cues::{Asks, Cues};
use crate::lang::Lang;

/// Words of the title count this much towards coverage: the title is every passage's context.
const TITLE_SHARE: f32 = 0.8;
/// Words of the article's lead (its first passage), for its other passages: the lead names
/// what later passages refer to ("les deux pays"), but says more than the title.
const LEAD_SHARE: f32 = 0.6;
/// A synonym counts when the passage holds at least this share of the question's other
/// words (by weight) as they are asked.
const SYNONYM_CONTEXT: f32 = 0.5;
/// Matched words closer than this (in word positions) count as one stretch of text.
const WINDOW: u32 = 12;

/// A candidate passage and what the second pass learnt of it.
pub(crate) struct Candidate {
    pub address: DocAddress,
    pub bm25: f32,
    /// Share of the question's weight the passage holds (title words count half).
    pub coverage: f32,
    /// Share of the question's weight found within one stretch of a few words.
    pub proximity: f32,
    pub cues: Cues,
    pub score: f32,
    /// Where the question's words (or their relatives) stand in the passage: (word
    /// position, question word), sorted.
    pub spots: Vec<(u32, usize)>,
}

impl Candidate {
    /// How sure the passage answers: its coverage, and how close together its words are.
    pub fn confidence(&self) -> f32 {
        0.5 * self.coverage + 0.5 * self.proximity
    }

    /// The language of the candidate's article.
    pub fn lang(&self) -> Lang {
        if self.cues.0 & ENGLISH_FLAG != 0 {
            Lang::En
        } else {
            Lang::Fr
        }
    }
}

/// Scores the gathered passages, best first.
pub(crate) fn rerank(
    searcher: &Searcher,
    q: &Question,
    found: &[Found],
) -> tantivy::Result<Vec<Candidate>> {
    let mut candidates = score(searcher, &q.terms, found, q.asks)?;
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.bm25.total_cmp(&a.bm25)));
    Ok(candidates)
}

/// The postings of one question word in one segment.
struct WordPostings {
    text: Option<SegmentPostings>,
    /// The word's other forms, with their shares and whether each is a synonym.
    others: Vec<(SegmentPostings, f32, bool)>,
    title: Option<SegmentPostings>,
    lead: Option<SegmentPostings>,
}

/// Reads the candidates' term positions from the index and scores them.
fn score(
    searcher: &Searcher,
    langs: &[Terms],
    top_docs: &[Found],
    asks: Asks,
) -> tantivy::Result<Vec<Candidate>> {
    let mut by_segment: HashMap<u32, Vec<(DocId, f32)>> = HashMap::new();
    for (score, addr) in top_docs {
        by_segment
            .entry(addr.segment_ord)
            .or_default()
            .push((addr.doc_id, *score));
    }
    let mut out = Vec::with_capacity(top_docs.len());
    let mut positions = Vec::new();
    for (segment_ord, mut docs) in by_segment {
        docs.sort_by_key(|d| d.0);
        let segment = searcher.segment_reader(segment_ord);
        let flags = segment.fast_fields().u64("flags")?;
        let mut postings: Vec<Vec<WordPostings>> = Vec::with_capacity(langs.len());
        for t in langs {
            let Some(first) = t.words.first() else {
                postings.push(vec![]);
                continue;
            };
            let text_index = segment.inverted_index(first.text.field())?;
            let title_index = segment.inverted_index(first.title.field())?;
            let lead_index = segment.inverted_index(first.lead.field())?;
            let with_positions = IndexRecordOption::WithFreqsAndPositions;
            let mut per_word = Vec::with_capacity(t.words.len());
            for w in &t.words {
                let mut others = Vec::new();
                for o in &w.others {
                    if let Some(p) = text_index.read_postings(&o.term, with_positions)? {
                        others.push((p, o.share, o.synonym));
                    }
                }
                per_word.push(WordPostings {
                    text: text_index.read_postings(&w.text, with_positions)?,
                    others,
                    title: title_index.read_postings(&w.title, IndexRecordOption::Basic)?,
                    lead: lead_index.read_postings(&w.lead, IndexRecordOption::Basic)?,
                });
            }
            postings.push(per_word);
        }
        let weights: Vec<Vec<f32>> = langs.iter().map(Terms::weights).collect();
        for (doc, bm25) in docs {
            let doc_flags = flags.first(doc).unwrap_or(0);
            let lang = if doc_flags & ENGLISH_FLAG != 0 {
                Lang::En
            } else {
                Lang::Fr
            };
            let Some(li) = langs.iter().position(|t| t.lang == lang) else {
                continue;
            };
            let t = &langs[li];
            let weights = &weights[li];
            let mut matched = 0.0;
            let mut spots: Vec<(u32, usize)> = Vec::new();
            // words found only through a synonym: (word, share, positions), counted once
            // another word of the question is found as itself
            let mut by_synonym: Vec<(usize, f32, Vec<u32>)> = Vec::new();
            let mut direct = false;
            for (i, p) in postings[li].iter_mut().enumerate() {
                let mut share = 0.0f32;
                if let Some(text) = p.text.as_mut() {
                    if seek_to(text, doc) {
                        text.positions(&mut positions);
                        spots.extend(positions.iter().map(|&pos| (pos, i)));
                        share = 1.0;
                    }
                }
                if share == 0.0 {
                    for (o, o_share, _) in p.others.iter_mut().filter(|o| !o.2) {
                        if seek_to(o, doc) {
                            o.positions(&mut positions);
                            spots.extend(positions.iter().map(|&pos| (pos, i)));
                            share = share.max(*o_share);
                        }
                    }
                }
                if share < 1.0 {
                    let mut in_context = 0.0f32;
                    if p.title.as_mut().is_some_and(|p| seek_to(p, doc)) {
                        in_context = TITLE_SHARE;
                    } else if p.lead.as_mut().is_some_and(|p| seek_to(p, doc)) {
                        in_context = LEAD_SHARE;
                    }
                    share = share.max(in_context);
                }
                if share > 0.0 {
                    direct = true;
                    matched += weights[i] * share;
                    continue;
                }
                let mut found = (0.0f32, Vec::new());
                for (o, o_share, _) in p.others.iter_mut().filter(|o| o.2) {
                    if seek_to(o, doc) {
                        o.positions(&mut positions);
                        found.1.extend_from_slice(&positions);
                        found.0 = found.0.max(*o_share);
                    }
                }
                if found.0 > 0.0 {
                    by_synonym.push((i, found.0, found.1));
                }
            }
            // A synonym stands for its word only in a passage that holds most of the rest of
            // the question as it is asked: the other words tell which sense is meant.
            let direct_share = matched;
            for (i, share, at) in by_synonym {
                let rest = t.total - weights[i];
                if direct && rest > 0.0 && direct_share >= SYNONYM_CONTEXT * rest {
                    spots.extend(at.into_iter().map(|pos| (pos, i)));
                    matched += weights[i] * share;
                }
            }
            let coverage = (matched / t.total).min(1.0);
            spots.sort_unstable();
            let proximity = (cluster_weight(&spots, weights) / t.total).min(coverage);
            let phrase = phrase_share(&spots, t);
            let cues = Cues(doc_flags);
            // Digits and dates are told reliably; people and places less so.
            let cue_factor = match asks {
                Asks::Other => 1.0,
                Asks::Date | Asks::Number if cues.has(asks) => 1.5,
                Asks::Date | Asks::Number => 0.6,
                _ if cues.has(asks) => 1.2,
                _ => 0.85,
            };
            let score = bm25
                * (0.25 + coverage).powi(2)
                * (0.6 + proximity)
                * (1.0 + 0.5 * phrase)
                * cue_factor;
            tracing::debug!(
                segment_ord,
                doc,
                bm25,
                coverage,
                proximity,
                phrase,
                cues = cues.0,
                score,
                "candidate"
            );
            out.push(Candidate {
                address: DocAddress::new(segment_ord, doc),
                bm25,
                coverage,
                proximity,
                cues,
                score,
                spots,
            });
        }
    }
    Ok(out)
}

/// Moves postings to `doc` (docs are visited in increasing order); whether `doc` is there.
fn seek_to<P: DocSet>(postings: &mut P, doc: DocId) -> bool {
    let at = postings.doc();
    if at == TERMINATED || at > doc {
        return false;
    }
    postings.seek(doc) == doc
}

/// The share of the question's consecutive word pairs that the passage has in the same
/// order, no further apart than in the question ("sécurisation de la frontière").
fn phrase_share(spots: &[(u32, usize)], t: &Terms) -> f32 {
    if t.words.len() < 2 {
        return 0.0;
    }
    let mut order: Vec<usize> = (0..t.words.len()).collect();
    order.sort_by_key(|&i| t.words[i].place);
    let (mut found, mut all) = (0.0, 0.0);
    for pair in order.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (a_word, b_word) = (&t.words[a], &t.words[b]);
        let gap = b_word.place.saturating_sub(a_word.place) as u32;
        let weight = a_word.weight.min(b_word.weight);
        all += weight;
        let hit = spots.iter().filter(|s| s.1 == a).any(|&(pa, _)| {
            spots
                .iter()
                .any(|&(pb, w)| w == b && pb > pa && pb - pa <= gap)
        });
        if hit {
            found += weight;
        }
    }
    if all > 0.0 {
        found / all
    } else {
        0.0
    }
}

/// The largest weight of distinct words found within one window of positions.
/// `spots` are (position, word) sorted by position.
fn cluster_weight(spots: &[(u32, usize)], weights: &[f32]) -> f32 {
    let mut best = 0.0f32;
    let mut count = vec![0u32; weights.len()];
    let mut sum = 0.0f32;
    let mut lo = 0;
    for hi in 0..spots.len() {
        let (pos, w) = spots[hi];
        if count[w] == 0 {
            sum += weights[w];
        }
        count[w] += 1;
        while spots[lo].0 + WINDOW < pos {
            let lw = spots[lo].1;
            count[lw] -= 1;
            if count[lw] == 0 {
                sum -= weights[lw];
            }
            lo += 1;
        }
        best = best.max(sum);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_weigh_words_close_together() {
        let weights = [1.0, 2.0, 4.0];
        let spots = vec![(0, 0), (3, 1), (40, 2), (45, 1)];
        assert_eq!(cluster_weight(&spots, &weights), 6.0);
        assert_eq!(cluster_weight(&[], &weights), 0.0);
    }
}
