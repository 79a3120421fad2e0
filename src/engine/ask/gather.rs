//! Stage 2: gathering candidates. tantivy's BM25 finds the passages holding the question's
//! words (in the text, less in the title, still less in the article's lead; a word's other
//! forms for less) in one boolean query of term clauses: the question is never parsed as
//! query syntax. Passages closest by meaning join them in [`super::ask`].

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, Term};

use super::question::Question;
use super::terms::FOCUS_WEIGHT;

/// Candidates re-ranked per question. 20 ranks the sample and our own questions as 30
/// did, among 25,000 articles too, and saves a tenth of the time.
const CANDIDATES: usize = 20;

/// How much a word in the lead of a passage's article counts in the first pass, against the
/// word in the passage (1) and in the title (0.4): a passage that says "les deux pays"
/// belongs to an article that names them.
const LEAD_BOOST: f32 = 0.2;

/// A passage found by the first pass, with its BM25 score.
pub(crate) type Found = (f32, DocAddress);

/// The best passages for the question's words, by BM25.
pub(crate) fn gather(searcher: &Searcher, q: &Question) -> tantivy::Result<Vec<Found>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut add = |term: &Term, boost: f32| {
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                boost,
            )),
        ));
    };
    for t in &q.terms {
        for w in &t.words {
            let boost = if w.focus { FOCUS_WEIGHT } else { 1.0 };
            add(&w.text, boost);
            add(&w.title, boost * 0.4);
            if w.lead_gathers {
                add(&w.lead, boost * LEAD_BOOST);
            }
            for o in w.others.iter().filter(|o| o.gather) {
                add(&o.term, boost * o.share * 0.5);
            }
        }
    }
    let query = BooleanQuery::new(clauses);
    searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())
}
