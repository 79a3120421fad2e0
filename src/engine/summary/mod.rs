//! Article summaries that a reader can trust: real sentences of the article, verbatim, in the
//! article's order. Sentences are ranked by LexRank (a PageRank over how much sentences share
//! their words, read with the index's analyzer) with a lead bias, since news puts the main
//! fact first; near-duplicates are dropped. A topic summary takes the best sentences about a
//! question across all articles, from the answer engine's passages.

use std::collections::HashMap;

use serde::Serialize;

use crate::articles::{text, Article, ArticleRef, Corpus, FileStamp};
use crate::engine::ask::Answer;
use crate::engine::index::ArticleEntry;
use crate::lang::{analyzer, Lang};

/// Sentences a summary may hold.
pub const MAX_SENTENCES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummarySentence {
    pub text: String,
    /// The sentence's 1-based place among the article's sentences.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub article: ArticleRef,
    pub sentences: Vec<SummarySentence>,
}

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("no article matches {name:?}")]
    NotFound { name: String, closest: Vec<String> },
    #[error("{name:?} matches several articles")]
    Ambiguous { name: String, matches: Vec<String> },
    #[error("the article {0} cannot be read: {1}")]
    Unreadable(String, String),
}

fn fold(s: &str) -> String {
    crate::lang::cues::fold(s.trim())
}

/// Finds an article by id, title, or an unambiguous prefix of either (case and accents
/// ignored).
pub fn find<'a>(
    articles: &'a [ArticleEntry],
    name: &str,
) -> Result<&'a ArticleEntry, SummaryError> {
    let wanted = fold(name);
    if let Some(a) = articles
        .iter()
        .find(|a| fold(&a.id) == wanted || fold(&a.title) == wanted)
    {
        return Ok(a);
    }
    let matches: Vec<&ArticleEntry> = articles
        .iter()
        .filter(|a| {
            !wanted.is_empty()
                && (fold(&a.id).starts_with(&wanted) || fold(&a.title).starts_with(&wanted))
        })
        .collect();
    match matches.len() {
        1 => Ok(matches[0]),
        0 => {
            let closest: Vec<&ArticleEntry> = articles
                .iter()
                .filter(|a| {
                    wanted
                        .split_whitespace()
                        .any(|w| w.chars().count() > 2 && fold(&a.title).contains(w))
                })
                .take(5)
                .collect();
            Err(SummaryError::NotFound {
                name: name.to_string(),
                closest: closest
                    .iter()
                    .map(|a| format!("{} ({})", a.title, a.id))
                    .collect(),
            })
        }
        _ => Err(SummaryError::Ambiguous {
            name: name.to_string(),
            matches: matches
                .iter()
                .take(5)
                .map(|a| format!("{} ({})", a.title, a.id))
                .collect(),
        }),
    }
}

/// How much repeating what the summary already says costs a sentence.
const REDUNDANCY: f64 = 0.7;
/// Two sentences sharing more than this share of their words are near-duplicates.
const DUPLICATE: f64 = 0.6;
/// LexRank: damping, iterations, and the similarity below which sentences are not linked.
const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 40;
const LINK: f64 = 0.08;
/// How much the lead counts. The first sentence of a news article carries its main fact, so
/// it always opens the summary; for the others centrality is scaled so the average sentence
/// scores 1, and the second sentence gets LEAD more, the third LEAD/2...
const LEAD: f64 = 1.0;

/// The `n` sentences that best sum an article up, in the article's order.
pub fn extract(article: &Article, n: usize) -> Vec<SummarySentence> {
    let all = sentences(article);
    let n = n.clamp(1, MAX_SENTENCES);
    if all.len() <= n {
        return all;
    }
    let mut analyzer = analyzer::for_lang(article.lang);
    let bags: Vec<HashMap<String, f64>> = all
        .iter()
        .map(|s| {
            let mut bag = HashMap::new();
            for t in analyzer::terms(&mut analyzer, &s.text) {
                *bag.entry(t).or_insert(0.0) += 1.0;
            }
            bag
        })
        .collect();
    let (scores, vectors) = lexrank(&bags);
    let count = all.len() as f64;
    // centrality scaled so the average sentence scores 1, plus the lead bias
    let merit: Vec<f64> = (0..all.len())
        .map(|i| scores[i] * count + if i == 0 { 0.0 } else { LEAD / i as f64 })
        .collect();
    let best = merit.iter().copied().fold(f64::MIN, f64::max).max(1e-9);
    tracing::debug!(?merit, "sentence merit");
    // the lead first, then greedily the sentence worth most that repeats least of what is
    // chosen (maximal marginal relevance); near-duplicates never
    let mut chosen: Vec<usize> = vec![0];
    while chosen.len() < n {
        let mut pick: Option<(f64, usize)> = None;
        for i in 1..all.len() {
            if chosen.contains(&i)
                || chosen
                    .iter()
                    .any(|&c| overlap(&bags[c], &bags[i]) > DUPLICATE)
            {
                continue;
            }
            let repeat = chosen
                .iter()
                .map(|&c| dot(&vectors[c], &vectors[i]))
                .fold(0.0, f64::max);
            let value = merit[i] / best - REDUNDANCY * repeat;
            if pick.is_none_or(|(v, _)| value > v) {
                pick = Some((value, i));
            }
        }
        match pick {
            Some((_, i)) => chosen.push(i),
            None => break,
        }
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| all[i].clone()).collect()
}

/// Share of the smaller bag's words found in the other.
fn overlap(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> f64 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return 1.0; // a sentence of stop words says nothing new
    }
    small.keys().filter(|k| large.contains_key(*k)).count() as f64 / small.len() as f64
}

/// LexRank scores: tf-idf cosine similarity between sentences, linked above a threshold,
/// then PageRank by power iteration. Deterministic.
/// A sentence as a unit tf-idf vector, sorted by term.
type Vector<'a> = Vec<(&'a str, f64)>;

fn lexrank(bags: &[HashMap<String, f64>]) -> (Vec<f64>, Vec<Vector<'_>>) {
    let n = bags.len();
    let mut df: HashMap<&str, f64> = HashMap::new();
    for bag in bags {
        for k in bag.keys() {
            *df.entry(k.as_str()).or_insert(0.0) += 1.0;
        }
    }
    let vectors: Vec<Vector> = bags
        .iter()
        .map(|bag| {
            let mut v: Vec<(&str, f64)> = bag
                .iter()
                .map(|(k, tf)| (k.as_str(), tf * ((n as f64 + 1.0) / df[k.as_str()]).ln()))
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt().max(1e-9);
            for x in v.iter_mut() {
                x.1 /= norm;
            }
            v.sort_by(|a, b| a.0.cmp(b.0));
            v
        })
        .collect();
    // sparse links
    let mut links: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in (i + 1)..n {
            let sim = dot(&vectors[i], &vectors[j]);
            if sim > LINK {
                links[i].push((j, sim));
                links[j].push((i, sim));
            }
        }
    }
    let out_weight: Vec<f64> = links.iter().map(|l| l.iter().map(|x| x.1).sum()).collect();
    let mut rank = vec![1.0 / n as f64; n];
    for _ in 0..ITERATIONS {
        let mut next = vec![(1.0 - DAMPING) / n as f64; n];
        // sentences with no link spread their rank evenly
        let dangling: f64 = (0..n)
            .filter(|&i| out_weight[i] == 0.0)
            .map(|i| rank[i])
            .sum();
        for x in next.iter_mut() {
            *x += DAMPING * dangling / n as f64;
        }
        for i in 0..n {
            for &(j, w) in &links[i] {
                next[j] += DAMPING * rank[i] * w / out_weight[i];
            }
        }
        rank = next;
    }
    (rank, vectors)
}

fn dot(a: &[(&str, f64)], b: &[(&str, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// The article's sentences, numbered, without headings and bullet fragments.
pub fn sentences(article: &Article) -> Vec<SummarySentence> {
    let body = &article.body;
    text::sentences(body)
        .into_iter()
        .enumerate()
        .map(|(i, r)| (i + 1, &body[r]))
        .filter(|(_, s)| {
            let t = s.trim();
            t.ends_with(['.', '!', '?', '…', '»', '"', '”'])
                && !t.starts_with(['•', '-', '*', '–', '—', '·'])
                && t.split_whitespace().count() >= 4
        })
        .map(|(position, s)| SummarySentence {
            text: s.to_string(),
            position,
        })
        .collect()
}

/// Reads an indexed article back from the corpus and summarises it.
pub fn summary(corpus: &Corpus, entry: &ArticleEntry, n: usize) -> Result<Summary, SummaryError> {
    let article = read(corpus, entry)?;
    Ok(Summary {
        article: entry.reference(),
        sentences: extract(&article, n),
    })
}

/// A sentence of a topic summary, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSentence {
    pub text: String,
    /// The article it comes from.
    #[serde(flatten)]
    pub article: ArticleRef,
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSummary {
    pub topic: String,
    pub sentences: Vec<TopicSentence>,
}

/// The best sentences about a topic across all articles: the answer engine found the
/// passages (`answer`), and each passage gives its best sentence, best first, without
/// near-duplicates. `catalog` lists the articles, to read the articles back from `corpus`.
pub fn topic<'a>(
    answer: &Answer,
    entry: impl Fn(&str) -> Option<&'a ArticleEntry>,
    corpus: &Corpus,
    n: usize,
) -> TopicSummary {
    let n = n.clamp(1, MAX_SENTENCES);
    let mut out = TopicSummary {
        topic: answer.question.clone(),
        sentences: vec![],
    };
    let mut articles: HashMap<String, Vec<SummarySentence>> = HashMap::new();
    let mut seen: Vec<HashMap<String, f64>> = Vec::new();
    // one analyzer a language, made when a hit of that language comes
    let mut analyzers: HashMap<Lang, tantivy::tokenizer::TextAnalyzer> = HashMap::new();
    for hit in &answer.hits {
        let Some(text) = hit.answer.clone().or_else(|| Some(hit.passage.clone())) else {
            continue;
        };
        let found_entry = entry(&hit.article.id);
        let lang = found_entry.map_or(answer.lang, |e| e.lang);
        let analyze = analyzers
            .entry(lang)
            .or_insert_with(|| analyzer::for_lang(lang));
        let mut bag = HashMap::new();
        for t in analyzer::terms(analyze, &text) {
            bag.insert(t, 1.0);
        }
        if seen.iter().any(|b| overlap(b, &bag) > DUPLICATE) {
            continue;
        }
        // its place among the article's sentences
        let list = articles.entry(hit.article.id.clone()).or_insert_with(|| {
            found_entry
                .and_then(|e| read(corpus, e).ok())
                .map(|a| sentences(&a))
                .unwrap_or_default()
        });
        let Some(found) = list
            .iter()
            .find(|s| s.text == text || text.contains(&s.text))
        else {
            continue; // a heading or fragment: not a sentence of its own
        };
        seen.push(bag);
        out.sentences.push(TopicSentence {
            text: found.text.clone(),
            article: hit.article.clone(),
            position: found.position,
        });
        if out.sentences.len() == n {
            break;
        }
    }
    out
}

/// Reads an indexed article back from the corpus.
pub fn read(corpus: &Corpus, entry: &ArticleEntry) -> Result<Article, SummaryError> {
    let stamp = FileStamp {
        path: entry.path.clone(),
        size: entry.size,
        mtime_ns: entry.mtime_ns,
    };
    corpus
        .read(&stamp)
        .map(|(_, a)| a)
        .map_err(|f| SummaryError::Unreadable(entry.id.clone(), f.reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::articles::parse_file;

    #[test]
    fn sentences_skip_headings_and_bullets() {
        let a = parse_file(
            "a.txt",
            "Titre\nPremière phrase du texte. Deuxième phrase du texte ici.\nUn intertitre\n•Une puce.\nTroisième phrase du texte.".as_bytes(),
            "c",
        )
        .unwrap();
        let l = sentences(&a);
        let texts: Vec<&str> = l.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Première phrase du texte.",
                "Deuxième phrase du texte ici.",
                "Troisième phrase du texte."
            ]
        );
        assert_eq!(l[2].position, 5);
    }
}
