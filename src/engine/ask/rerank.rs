//! Stage 3: reading the evidence. The second pass reads the pooled candidates' term positions
//! from the index and measures, for each, how much of the question's weight it covers (the
//! title and the lead counting for every passage of their article, a word's family for less),
//! how close together and in the question's order, whether it holds the kind of fact the
//! question asks for (a person, a date, a number, a place), where it stands in its article
//! and how long it is. [`super::features`] turns these into the scorer's features.

use std::collections::HashMap;

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, TERMINATED};

use super::gather::{List, Pooled};
use super::question::Question;
use super::terms::Terms;
use crate::engine::index::schema::PassageFlags;
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

/// What the search by meaning says of a candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Meaning {
    /// Its cosine with the question (0 when not among the closest).
    pub cosine: f32,
    /// Its cosine above the cosine of the last of the closest passages: the question's own
    /// baseline, as a model's cosines crowd in a narrow band.
    pub above: f32,
    /// Its cosine above the best cosine of the other closest passages (negative when
    /// another is closer): how much it stands out from the next.
    pub gap: f32,
}

/// A candidate passage and the evidence read for it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub address: DocAddress,
    /// Its ranks and scores in the lists that found it, and its fused score.
    pub pooled: Pooled,
    pub lang: Lang,
    /// Share of the question's weight the passage holds (title and lead words for less).
    pub coverage: f32,
    /// Share of the question's weight the passage text holds as asked (no other forms, no
    /// title, no lead).
    pub exact: f32,
    /// Share of the question's weight in the article's title, and in its lead.
    pub title: f32,
    pub lead: f32,
    /// Share of the question's weight found within one stretch of a few words.
    pub proximity: f32,
    /// Share of the question's word pairs found in the question's order.
    pub phrase: f32,
    pub cues: Cues,
    /// Its place in its article, 1 for the first.
    pub paragraph: u64,
    /// Its article (a hash of the id).
    pub article: u64,
    /// The question words it holds in any form, the title and lead included (bit i: word i).
    pub matched: u64,
    /// Whether its text holds the question's weightiest word (in any form).
    pub rarest: bool,
    /// Share of the question's weight the article's pooled passages hold together.
    pub article_coverage: f32,
    /// Its article's share of the pool's fused score, and how many pooled passages it has.
    pub article_share: f32,
    pub article_passages: u32,
    /// Its length in words (approximate: tantivy's field norm).
    pub length: u32,
    /// The hand-made score of earlier versions: BM25 times coverage, proximity, order and
    /// the kind of answer. One feature among the others.
    pub heuristic: f32,
    pub meaning: Meaning,
    /// The reading model's score, when one is set.
    pub reader: Option<f32>,
    /// The scorer's probability that the passage answers.
    pub p: f32,
    /// Where the question's words (or their relatives) stand in the passage: (word
    /// position, question word), sorted.
    pub spots: Vec<(u32, usize)>,
}

impl Candidate {
    /// The candidate's rank and score in one list.
    pub fn in_list(&self, list: List) -> Option<(u32, f32)> {
        self.pooled.lists[list as usize]
    }
}

/// Reads the evidence for the pooled passages, in the pool's order.
pub(crate) fn read(
    searcher: &Searcher,
    q: &Question,
    pool: Vec<Pooled>,
    nearest: Option<&[(DocAddress, f32)]>,
) -> tantivy::Result<Vec<Candidate>> {
    let mut by_segment: HashMap<u32, Vec<(DocId, usize)>> = HashMap::new();
    for (i, p) in pool.iter().enumerate() {
        by_segment
            .entry(p.address.segment_ord)
            .or_default()
            .push((p.address.doc_id, i));
    }
    let mut out: Vec<Option<Candidate>> = vec![None; pool.len()];
    let mut positions = Vec::new();
    let langs = &q.terms;
    for (segment_ord, mut docs) in by_segment {
        docs.sort_by_key(|d| d.0);
        let segment = searcher.segment_reader(segment_ord);
        let flags = segment.fast_fields().u64("flags")?;
        let paragraphs = segment.fast_fields().u64("paragraph")?;
        let articles = segment.fast_fields().u64("akey")?;
        let mut postings: Vec<Vec<WordPostings>> = Vec::with_capacity(langs.len());
        let mut norms = Vec::with_capacity(langs.len());
        for t in langs {
            let Some(first) = t.words.first() else {
                postings.push(vec![]);
                norms.push(None);
                continue;
            };
            norms.push(segment.get_fieldnorms_reader(first.text.field()).ok());
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
        for (doc, at) in docs {
            let PassageFlags { cues, lang } = PassageFlags::decode(flags.first(doc).unwrap_or(0));
            let pooled = pool[at].clone();
            let mut c = Candidate {
                address: pooled.address,
                pooled,
                lang,
                coverage: 0.0,
                exact: 0.0,
                title: 0.0,
                lead: 0.0,
                proximity: 0.0,
                phrase: 0.0,
                cues,
                paragraph: paragraphs.first(doc).unwrap_or(0),
                article: articles.first(doc).unwrap_or(0),
                matched: 0,
                rarest: false,
                article_coverage: 0.0,
                article_share: 0.0,
                article_passages: 0,
                length: 0,
                heuristic: 0.0,
                meaning: Meaning::default(),
                reader: None,
                p: 0.0,
                spots: vec![],
            };
            if let Some(li) = langs.iter().position(|t| t.lang == lang) {
                if let Some(norms) = &norms[li] {
                    c.length = norms.fieldnorm(doc);
                }
                evidence(
                    &mut c,
                    &langs[li],
                    &mut postings[li],
                    &weights[li],
                    doc,
                    q.asks,
                    &mut positions,
                );
            }
            out[at] = Some(c);
        }
    }
    let mut out: Vec<Candidate> = out.into_iter().flatten().collect();
    if let Some(near) = nearest {
        meaning(&mut out, near);
    }
    articles(&mut out, q);
    Ok(out)
}

/// What each candidate's article says as a whole: the question words its pooled passages
/// hold together, its share of the fused score, how many of its passages are pooled.
fn articles(candidates: &mut [Candidate], q: &Question) {
    let mut by_article: HashMap<u64, (u64, f32, u32)> = HashMap::new();
    let mut total = 0.0f32;
    for c in candidates.iter() {
        let a = by_article.entry(c.article).or_default();
        a.0 |= c.matched;
        a.1 += c.pooled.rrf;
        a.2 += 1;
        total += c.pooled.rrf;
    }
    for c in candidates.iter_mut() {
        let (matched, rrf, n) = by_article[&c.article];
        if let Some(t) = q.terms.iter().find(|t| t.lang == c.lang) {
            let held: f32 = t
                .words
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 64 && matched & (1 << i) != 0)
                .map(|(_, w)| w.weight)
                .sum();
            c.article_coverage = (held / t.total.max(f32::EPSILON)).min(1.0);
        }
        c.article_share = if total > 0.0 { rrf / total } else { 0.0 };
        c.article_passages = n;
    }
}

/// What meaning says of each candidate, from the closest passages (closest first).
fn meaning(candidates: &mut [Candidate], near: &[(DocAddress, f32)]) {
    let floor = near.iter().map(|n| n.1).fold(f32::INFINITY, f32::min);
    let by_address: HashMap<DocAddress, (usize, f32)> = near
        .iter()
        .enumerate()
        .map(|(rank, &(a, cosine))| (a, (rank, cosine)))
        .collect();
    for c in candidates {
        if let Some(&(rank, cosine)) = by_address.get(&c.address) {
            // the next closest of the others: the first, or the second for the first
            let next = near.get(usize::from(rank == 0)).map(|n| n.1);
            c.meaning = Meaning {
                cosine,
                above: cosine - floor,
                gap: next.map_or(0.0, |next| cosine - next),
            };
        }
    }
}

/// The postings of one question word in one segment.
struct WordPostings {
    text: Option<SegmentPostings>,
    /// The word's other forms, with their shares and whether each is a synonym.
    others: Vec<(SegmentPostings, f32, bool)>,
    title: Option<SegmentPostings>,
    lead: Option<SegmentPostings>,
}

/// Reads one candidate's word positions and measures its coverage, proximity and order.
fn evidence(
    c: &mut Candidate,
    t: &Terms,
    postings: &mut [WordPostings],
    weights: &[f32],
    doc: DocId,
    asks: Asks,
    positions: &mut Vec<u32>,
) {
    let mut matched = 0.0;
    let (mut exact, mut in_title, mut in_lead) = (0.0, 0.0, 0.0);
    let mut spots: Vec<(u32, usize)> = Vec::new();
    // words found only through a synonym: (word, share, positions), counted once another
    // word of the question is found as itself
    let mut by_synonym: Vec<(usize, f32, Vec<u32>)> = Vec::new();
    let mut direct = false;
    for (i, p) in postings.iter_mut().enumerate() {
        let mut share = 0.0f32;
        if let Some(text) = p.text.as_mut() {
            if seek_to(text, doc) {
                text.positions(positions);
                spots.extend(positions.iter().map(|&pos| (pos, i)));
                share = 1.0;
                exact += weights[i];
            }
        }
        if share == 0.0 {
            for (o, o_share, _) in p.others.iter_mut().filter(|o| !o.2) {
                if seek_to(o, doc) {
                    o.positions(positions);
                    spots.extend(positions.iter().map(|&pos| (pos, i)));
                    share = share.max(*o_share);
                }
            }
        }
        let title = p.title.as_mut().is_some_and(|p| seek_to(p, doc));
        let lead = p.lead.as_mut().is_some_and(|p| seek_to(p, doc));
        if title {
            in_title += weights[i];
        }
        if lead {
            in_lead += weights[i];
        }
        if share < 1.0 {
            let in_context = if title {
                TITLE_SHARE
            } else if lead {
                LEAD_SHARE
            } else {
                0.0
            };
            share = share.max(in_context);
        }
        if share > 0.0 {
            direct = true;
            matched += weights[i] * share;
            if i < 64 {
                c.matched |= 1 << i;
            }
            continue;
        }
        let mut found = (0.0f32, Vec::new());
        for (o, o_share, _) in p.others.iter_mut().filter(|o| o.2) {
            if seek_to(o, doc) {
                o.positions(positions);
                found.1.extend_from_slice(positions);
                found.0 = found.0.max(*o_share);
            }
        }
        if found.0 > 0.0 {
            by_synonym.push((i, found.0, found.1));
        }
    }
    // A synonym stands for its word only in a passage that holds most of the rest of the
    // question as it is asked: the other words tell which sense is meant.
    let direct_share = matched;
    for (i, share, at) in by_synonym {
        let rest = t.total - weights[i];
        if direct && rest > 0.0 && direct_share >= SYNONYM_CONTEXT * rest {
            spots.extend(at.into_iter().map(|pos| (pos, i)));
            matched += weights[i] * share;
            if i < 64 {
                c.matched |= 1 << i;
            }
        }
    }
    // the weightiest word that is not only the kind of answer asked for
    let rarest = t
        .words
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.focus)
        .max_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
        .map(|(i, _)| i);
    c.rarest = rarest.is_some_and(|r| spots.iter().any(|s| s.1 == r));
    let total = t.total.max(f32::EPSILON);
    c.coverage = (matched / total).min(1.0);
    c.exact = (exact / total).min(1.0);
    c.title = (in_title / total).min(1.0);
    c.lead = (in_lead / total).min(1.0);
    spots.sort_unstable();
    c.proximity = (cluster_weight(&spots, weights) / total).min(c.coverage);
    c.phrase = phrase_share(&spots, t);
    // Digits and dates are told reliably; people and places less so.
    let cue_factor = match asks {
        Asks::Other => 1.0,
        Asks::Date | Asks::Number if c.cues.has(asks) => 1.5,
        Asks::Date | Asks::Number => 0.6,
        _ if c.cues.has(asks) => 1.2,
        _ => 0.85,
    };
    let bm25 = [List::Context, List::Translated, List::Words]
        .iter()
        .find_map(|&l| c.in_list(l))
        .map_or(0.0, |(_, s)| s);
    c.heuristic = bm25
        * (0.25 + c.coverage).powi(2)
        * (0.6 + c.proximity)
        * (1.0 + 0.5 * c.phrase)
        * cue_factor;
    c.spots = spots;
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
