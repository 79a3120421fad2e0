//! Stage 2: gathering candidates from independent lists, each with its ranks and scores, and
//! fusing them into one pool by reciprocal-rank fusion:
//!
//! - [`List::Words`]: BM25 on the passage text, the question's words as asked;
//! - [`List::Context`]: BM25 on the text, the article's title and its lead (a passage that
//!   says « les deux pays » belongs to an article that names them), with the word forms the
//!   index lacks as asked;
//! - [`List::Expansion`]: the question's other forms (relatives, word families, synonyms)
//!   with its words, when it has any the index holds;
//! - [`List::Translated`]: the question translated for articles in the other language;
//! - [`List::Meaning`]: the passages closest by meaning, when an embedding server answered.
//!
//! Each list is one boolean query of term clauses: the question is never parsed as query
//! syntax. The first passages of the words' own lists always stay in the pool, so a literal
//! question's answer is never pushed out by an expansion or a translation.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, Term};

use super::question::Question;
use super::terms::{Terms, FOCUS_WEIGHT};

/// The lists candidates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    Words = 0,
    Context = 1,
    Expansion = 2,
    Translated = 3,
    Meaning = 4,
}

/// How many lists there are.
pub(crate) const LISTS: usize = 5;

impl List {
    pub const ALL: [List; LISTS] = [
        List::Words,
        List::Context,
        List::Expansion,
        List::Translated,
        List::Meaning,
    ];

    pub fn name(self) -> &'static str {
        match self {
            List::Words => "words",
            List::Context => "context",
            List::Expansion => "expansion",
            List::Translated => "translated",
            List::Meaning => "meaning",
        }
    }
}

/// Passages each lexical list returns.
const PER_LIST: usize = 20;
/// Candidates kept after fusion.
pub(crate) const POOL: usize = 50;
/// Reciprocal-rank fusion's constant: a rank's credit is 1 / (K + rank).
const RRF_K: f32 = 60.0;
/// The first passages of the words' own lists (words, context) and of meaning that always
/// stay.
const KEPT_FIRST: u32 = 3;
/// How much a word in the lead of a passage's article counts in the context list, against
/// the word in the passage (1) and in the title (0.4).
const LEAD_BOOST: f32 = 0.2;
const TITLE_BOOST: f32 = 0.4;

/// A passage in the pool: where each list ranked it (0 first) and with what score, and its
/// fused score.
#[derive(Debug, Clone)]
pub(crate) struct Pooled {
    pub address: DocAddress,
    pub lists: [Option<(u32, f32)>; LISTS],
    pub rrf: f32,
}

/// Each list's best score, to put a candidate's score in proportion.
pub(crate) type Tops = [f32; LISTS];

/// Gathers the pool: every list's passages fused, best first, at most [`POOL`].
pub(crate) fn gather(
    searcher: &Searcher,
    q: &Question,
    nearest: Option<&[(DocAddress, f32)]>,
) -> tantivy::Result<(Vec<Pooled>, Tops)> {
    let mut found: Vec<(List, Vec<(f32, DocAddress)>)> = Vec::with_capacity(LISTS);
    for t in &q.terms {
        if t.lang != q.lang {
            found.push((List::Translated, search(searcher, context_query(t))?));
            continue;
        }
        found.push((List::Words, search(searcher, words_query(t))?));
        found.push((List::Context, search(searcher, context_query(t))?));
        if let Some(query) = expansion_query(t) {
            found.push((List::Expansion, search(searcher, query)?));
        }
    }
    if let Some(near) = nearest {
        found.push((List::Meaning, near.iter().map(|&(a, s)| (s, a)).collect()));
    }
    let mut tops: Tops = [0.0; LISTS];
    let mut pool: HashMap<DocAddress, Pooled> = HashMap::new();
    for (list, docs) in found {
        let i = list as usize;
        for (rank, (score, address)) in docs.into_iter().enumerate() {
            tops[i] = tops[i].max(score);
            let p = pool.entry(address).or_insert_with(|| Pooled {
                address,
                lists: [None; LISTS],
                rrf: 0.0,
            });
            // a list searched for two languages (never today) keeps its better rank
            if p.lists[i].is_none() {
                p.lists[i] = Some((rank as u32, score));
                p.rrf += 1.0 / (RRF_K + rank as f32 + 1.0);
            }
        }
    }
    let kept = |p: &Pooled| {
        [List::Words, List::Context, List::Meaning]
            .iter()
            .any(|&l| p.lists[l as usize].is_some_and(|(rank, _)| rank < KEPT_FIRST))
    };
    let mut pool: Vec<Pooled> = pool.into_values().collect();
    // the kept first, then by fused score; ties by address, so a question always gets the
    // same pool
    pool.sort_by(|a, b| {
        kept(b)
            .cmp(&kept(a))
            .then(b.rrf.total_cmp(&a.rrf))
            .then(a.address.cmp(&b.address))
    });
    pool.truncate(POOL);
    pool.sort_by(|a, b| b.rrf.total_cmp(&a.rrf).then(a.address.cmp(&b.address)));
    Ok((pool, tops))
}

fn search(
    searcher: &Searcher,
    clauses: Vec<(Term, f32)>,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    if clauses.is_empty() {
        return Ok(vec![]);
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = clauses
        .into_iter()
        .map(|(term, boost)| {
            let q: Box<dyn Query> = Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                boost,
            ));
            (Occur::Should, q)
        })
        .collect();
    searcher.search(
        &BooleanQuery::new(clauses),
        &TopDocs::with_limit(PER_LIST).order_by_score(),
    )
}

fn boost(focus: bool) -> f32 {
    if focus {
        FOCUS_WEIGHT
    } else {
        1.0
    }
}

/// The words as asked, in the passage text.
fn words_query(t: &Terms) -> Vec<(Term, f32)> {
    t.words
        .iter()
        .map(|w| (w.text.clone(), boost(w.focus)))
        .collect()
}

/// The words in the text, the title and the lead, with the forms that stand for a word the
/// index lacks.
fn context_query(t: &Terms) -> Vec<(Term, f32)> {
    let mut out = Vec::new();
    for w in &t.words {
        let b = boost(w.focus);
        out.push((w.text.clone(), b));
        out.push((w.title.clone(), b * TITLE_BOOST));
        if w.lead_gathers {
            out.push((w.lead.clone(), b * LEAD_BOOST));
        }
        for o in w.others.iter().filter(|o| o.gather) {
            out.push((o.term.clone(), b * o.share * 0.5));
        }
    }
    out
}

/// The words with the other forms that stand for a word the index lacks as asked (or
/// that the articles use more than the word asked), when some word has any: the forms a
/// question in other words needs. Every form of every word would be a clause each (a
/// word's synonyms, relatives and family: up to a dozen), and made a question four times
/// slower; the evidence still credits them all.
fn expansion_query(t: &Terms) -> Option<Vec<(Term, f32)>> {
    if t.words.iter().all(|w| w.others.iter().all(|o| !o.gather)) {
        return None;
    }
    let mut out = Vec::new();
    for w in &t.words {
        let b = boost(w.focus);
        out.push((w.text.clone(), b * 0.5));
        for o in w.others.iter().filter(|o| o.gather) {
            out.push((o.term.clone(), b * o.share));
        }
    }
    Some(out)
}
