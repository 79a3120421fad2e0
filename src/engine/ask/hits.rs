//! Stage 5: the hits. Each shown passage is loaded from the store with its article's title
//! and source, given its article's date, site and url from the catalog, and given its spans:
//! the byte ranges of the matched words and of the sentence that best answers. The front
//! ends render those spans; nothing here writes Markdown.

use std::ops::Range;

use tantivy::schema::Value;
use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};
use tantivy::{Searcher, TantivyDocument};

use super::rerank::Candidate;
use super::terms::Terms;
use super::Hit;
use crate::articles::text;
use crate::articles::ArticleRef;
use crate::engine::index::catalog::ArticleEntry;
use crate::engine::index::snapshot::Snapshot;
use crate::lang::cues::{self, Asks};

fn field_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// What the sentence that best answers says: the share of the question's weight it holds,
/// and whether it holds the kind of fact asked for (always, for other questions).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sentence {
    pub share: f32,
    pub cue: bool,
}

/// Loads a hit's stored fields and marks its words and best sentence.
pub(crate) fn hit(
    snapshot: &Snapshot,
    searcher: &Searcher,
    terms: Option<&Terms>,
    c: &Candidate,
    asks: Asks,
) -> tantivy::Result<(Hit, Sentence)> {
    let f = &snapshot.fields;
    let doc: TantivyDocument = searcher.doc(c.address)?;
    let passage = field_str(&doc, f.passage);
    let (marks, answer_span, sentence) = match terms {
        Some(t) => mark(&passage, &c.spots, &t.weights(), t.total, asks),
        None => (vec![], None, Sentence::default()),
    };
    let id = field_str(&doc, f.article);
    // the date, site and url from the catalog; the id, title and source as indexed
    let article = ArticleRef {
        title: field_str(&doc, f.title),
        source: field_str(&doc, f.source),
        ..snapshot
            .entry(&id)
            .map(ArticleEntry::reference)
            .unwrap_or_default()
    };
    let article = ArticleRef { id, ..article };
    let hit = Hit {
        article,
        paragraph: doc
            .get_first(f.paragraph)
            .and_then(|v| v.as_u64())
            .unwrap_or(0),
        answer: answer_span.clone().map(|r| passage[r].to_string()),
        passage,
        score: (c.p * 1000.0).round() / 1000.0,
        marks,
        answer_span,
    };
    Ok((hit, sentence))
}

/// The text a reading model reads for a stored passage: its article's title, then the
/// passage (as it is embedded).
pub(crate) fn stored_text(snapshot: &Snapshot, doc: &TantivyDocument) -> String {
    let f = &snapshot.fields;
    format!("{}\n{}", field_str(doc, f.title), field_str(doc, f.passage))
}

/// The title of a candidate's article.
pub(crate) fn title(
    snapshot: &Snapshot,
    searcher: &Searcher,
    c: &Candidate,
) -> tantivy::Result<String> {
    let doc: TantivyDocument = searcher.doc(c.address)?;
    Ok(field_str(&doc, snapshot.fields.title))
}

/// The matched words of a passage and its best sentence: the one holding the most question
/// weight, with a bonus when it holds what the question asks for. `spots` are the word
/// positions the index gave for the question's words; the analyzers keep the tokenizer's
/// positions, so the n-th run of letters and digits in the passage is position n, and the
/// passage needs no second analysis.
fn mark(
    passage: &str,
    spots: &[(u32, usize)],
    weights: &[f32],
    total: f32,
    asks: Asks,
) -> (Vec<Range<usize>>, Option<Range<usize>>, Sentence) {
    // each matched word: its bytes and which question word it is
    let mut marked: Vec<(Range<usize>, usize)> = Vec::with_capacity(spots.len());
    let mut tokenizer = SimpleTokenizer::default();
    let mut stream = tokenizer.token_stream(passage);
    let mut next = spots.iter().peekable();
    while next.peek().is_some() && stream.advance() {
        let token = stream.token();
        let position = token.position as u32;
        while next.next_if(|s| s.0 < position).is_some() {}
        while let Some(&(_, word)) = next.next_if(|s| s.0 == position) {
            marked.push((token.offset_from..token.offset_to, word));
        }
    }
    let sentences = text::sentences(passage);
    let mut best: Option<(f32, Range<usize>, Sentence)> = None;
    let max_weight = weights.iter().copied().fold(0.0, f32::max);
    for s in &sentences {
        let mut seen = vec![false; weights.len()];
        let mut held = 0.0;
        for (r, i) in &marked {
            if r.start >= s.start && r.end <= s.end && !seen[*i] {
                seen[*i] = true;
                held += weights[*i];
            }
        }
        let cue = asks == Asks::Other || cues::cues(&passage[s.clone()]).has(asks);
        let mut score = held;
        if held > 0.0 && asks != Asks::Other && cue {
            score += 0.6 * max_weight;
        }
        if held > 0.0 && best.as_ref().is_none_or(|(b, _, _)| score > *b) {
            let share = (held / total.max(f32::EPSILON)).min(1.0);
            best = Some((score, s.clone(), Sentence { share, cue }));
        }
    }
    let mut marks: Vec<Range<usize>> = marked.into_iter().map(|(r, _)| r).collect();
    // a word that is two question words' relative is marked once
    marks.dedup();
    let sentence = best.as_ref().map(|b| b.2).unwrap_or_default();
    // a passage of one sentence has no best sentence to point at
    let span = best.filter(|_| sentences.len() > 1).map(|(_, r, _)| r);
    (marks, span, sentence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::analyzer;

    #[test]
    fn index_positions_point_at_the_words() {
        // stop words, elisions and over-long words keep the tokenizer's positions, so the
        // positions the index stores find the words in the stored text
        let passage = format!(
            "L’armée {} du Mali patrouille. Puis, à la frontière, l'armée s'arrête.",
            "x".repeat(60)
        );
        let mut fr = analyzer::french();
        let words = analyzer::words(&mut fr, &passage);
        let wanted = ["arme", "frontier"];
        let mut spots: Vec<(u32, usize)> = words
            .iter()
            .filter_map(|w| {
                let i = wanted.iter().position(|t| w.term == *t)?;
                Some((w.position as u32, i))
            })
            .collect();
        spots.sort_unstable();
        assert_eq!(spots.len(), 3, "{words:?}");
        let (marks, best, sentence) = mark(&passage, &spots, &[1.0, 2.0], 3.0, Asks::Other);
        // the second sentence holds both words: all of the question's weight
        assert_eq!(sentence.share, 1.0);
        let marked: Vec<&str> = marks.iter().map(|r| &passage[r.clone()]).collect();
        assert_eq!(marked, ["armée", "frontière", "armée"]);
        assert!(passage[best.unwrap()].starts_with("Puis"));
    }
}
