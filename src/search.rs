//! Questions to answers: a question is checked and analysed as plain words (never query
//! syntax), tantivy's BM25 gathers candidate passages, and a second pass over the
//! candidates' term positions prefers the passage that covers the question's rarer words,
//! close together, and holds the kind of fact the question asks for (a person, a date, a
//! number, a place). A question the best passage does not cover gets no answer rather than
//! noise. Each hit comes with its matched words and its best sentence marked.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::{SimpleTokenizer, TokenStream, Tokenizer};
use tantivy::{DocAddress, DocId, DocSet, Searcher, TantivyDocument, Term, TERMINATED};

use crate::analyzer;
use crate::corpus::Lang;
use crate::cues::{self, Asks, Cues};
use crate::dictionary::{self, Dictionary};
use crate::index::{Snapshot, ENGLISH_FLAG};
use crate::text;
use crate::translate;

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 1000;
/// Most hits one answer may carry.
pub const MAX_TOP: usize = 10;
/// Candidates re-ranked per question. 20 ranks the sample and our own questions as 30
/// did, among 25,000 articles too, and saves a tenth of the time.
const CANDIDATES: usize = 20;
/// A passage answers when it covers at least this share of the question's weight.
const MIN_COVERAGE: f32 = 0.5;
/// ... and this share when the question asks for a date or a number the passage lacks.
const MIN_COVERAGE_WITHOUT_CUE: f32 = 0.95;
/// Words of the title count this much towards coverage: the title is every passage's context.
const TITLE_SHARE: f32 = 0.8;
/// Words that only name the kind of answer ("date", "longueur") weigh this much.
const FOCUS_WEIGHT: f32 = 0.3;
/// Matched words closer than this (in word positions) count as one stretch of text.
const WINDOW: u32 = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("the question is empty")]
    Empty,
    #[error("the question is too long ({0} characters, at most {MAX_QUESTION_CHARS})")]
    TooLong(usize),
    #[error("the question is made of control characters only")]
    ControlOnly,
}

#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error(transparent)]
    Question(#[from] QuestionError),
    #[error("search failed: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// Checks a question and returns it cleaned: control characters become spaces, invisible
/// format characters go, white space is collapsed.
pub fn clean_question(raw: &str) -> Result<String, QuestionError> {
    let chars = raw.trim().chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(QuestionError::TooLong(chars));
    }
    let mut had_control = false;
    let cleaned: String = raw
        .chars()
        .filter_map(|c| {
            if c.is_control() {
                had_control |= !c.is_whitespace();
                Some(' ')
            } else if matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
                None
            } else {
                Some(c)
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(if had_control {
            QuestionError::ControlOnly
        } else {
            QuestionError::Empty
        });
    }
    Ok(cleaned)
}

/// One passage that answers.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub article: String,
    pub title: String,
    pub source: String,
    pub paragraph: u64,
    pub passage: String,
    /// The passage as Markdown: matched words in `**bold**`, the best sentence in `__…__`.
    pub highlight: String,
    /// The sentence that best answers, when the passage has more than one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub score: f32,
    /// Byte ranges of the matched words in `passage`.
    #[serde(skip)]
    pub marks: Vec<Range<usize>>,
    /// Byte range of `answer` in `passage`.
    #[serde(skip)]
    pub answer_span: Option<Range<usize>>,
}

/// The answer to one question.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub answered: bool,
    pub hits: Vec<Hit>,
    /// What the question asks for.
    pub asks: Asks,
    /// How well the best passage covers the question, 0 to 1: its share of the question's
    /// weighted words, and how close together they stand.
    pub confidence: f32,
    /// When not answered: titles of the articles that came closest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<String>,
    /// The language the question is in.
    pub lang: Lang,
    /// The question's words searched in the other language, and what they were taken for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub translations: Vec<Translated>,
    pub took_ms: f64,
}

/// A question word searched in the articles' language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Translated {
    /// As asked ("border").
    pub word: String,
    /// What it was searched as, the likeliest first ("frontière", "lisière").
    pub into: Vec<String>,
}

/// Another form that counts for a question word, and how much.
struct Other {
    term: Term,
    share: f32,
    /// Whether it gathers candidates too, or only counts in the second pass.
    gather: bool,
}

/// A question's words in one language, with their weights.
struct Terms {
    lang: Lang,
    text: Vec<Term>,
    title: Vec<Term>,
    /// Other forms of each word: index words that share its first letters
    /// ("gouvernemental" for "gouvern"), derived words the stemmer keeps apart; the other
    /// translations of a translated word.
    others: Vec<Vec<Other>>,
    /// The analysed word, for highlighting.
    words: Vec<String>,
    /// The word's place in the question.
    places: Vec<usize>,
    weights: Vec<f32>,
    /// Whether the word only names the kind of answer wanted.
    focus: Vec<bool>,
    /// Whether no passage has the word itself (only relatives, or nothing).
    absent: Vec<bool>,
    total: f32,
    /// For a question in another language: what its words were searched as.
    translated: Vec<Translated>,
}

impl Terms {
    fn new(lang: Lang) -> Terms {
        Terms {
            lang,
            text: vec![],
            title: vec![],
            others: vec![],
            words: vec![],
            places: vec![],
            weights: vec![],
            focus: vec![],
            absent: vec![],
            total: 0.0,
            translated: vec![],
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        fields: &crate::index::Fields,
        term: &str,
        others: Vec<Other>,
        place: usize,
        weight: f32,
        focus: bool,
        absent: bool,
    ) {
        self.text
            .push(Term::from_field_text(fields.text(self.lang), term));
        self.title
            .push(Term::from_field_text(fields.title_terms(self.lang), term));
        self.others.push(others);
        self.words.push(term.to_string());
        self.places.push(place);
        self.weights.push(weight);
        self.focus.push(focus);
        self.absent.push(absent);
        self.total += weight;
    }
}

fn idf(df: u64, n: u64) -> f32 {
    // A word no passage has weighs like the rarest word there is.
    let df = df.max(1) as f32;
    let n = n.max(1) as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln().max(0.05)
}

/// How much a verb no passage has counts, against a noun no passage has.
const UNKNOWN_VERB_WEIGHT: f32 = 0.3;

/// Whether a French word has a verb's ending: an infinitive, a past participle, a
/// conjugated third person. Nouns can end so too; this only lowers a weight.
fn reads_as_verb(word: &str) -> bool {
    const ENDINGS: [&str; 14] = [
        "er", "é", "ée", "és", "ées", "ent", "ait", "aient", "it", "ir", "u", "ue", "us", "ues",
    ];
    let w = word.to_lowercase();
    w.chars().count() >= 4 && !w.ends_with("ment") && ENDINGS.iter().any(|e| w.ends_with(e))
}

/// The first letters two words must share to be relatives, and the shortest word that has any.
const RELATIVE_PREFIX: usize = 6;
const RELATIVE_MIN: usize = 5;
/// Relatives kept per word (the most frequent), and how much a relative counts.
const MAX_RELATIVES: usize = 3;
const RELATIVE_SHARE: f32 = 0.6;

/// Index words of `field` that start like `word`, with their document frequencies.
fn relatives(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    word: &str,
) -> tantivy::Result<Vec<(String, u64)>> {
    starting_like(searcher, field, word, RELATIVE_PREFIX)
}

/// Index words of `field` that share the first `prefix` letters of `word`, with their
/// document frequencies, the most frequent first.
fn starting_like(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    word: &str,
    prefix_chars: usize,
) -> tantivy::Result<Vec<(String, u64)>> {
    if word.chars().count() < RELATIVE_MIN {
        return Ok(vec![]);
    }
    let end = word
        .char_indices()
        .nth(prefix_chars)
        .map(|(i, _)| i)
        .unwrap_or(word.len());
    let prefix = &word.as_bytes()[..end];
    let mut upper = prefix.to_vec();
    // the first key after every key that starts with the prefix
    while let Some(last) = upper.pop() {
        if last < 0xff {
            upper.push(last + 1);
            break;
        }
    }
    let mut found: Vec<(String, u64)> = Vec::new();
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let mut range = index.terms().range().ge(prefix);
        if !upper.is_empty() {
            range = range.lt(&upper);
        }
        let mut stream = range.into_stream()?;
        let mut seen = 0;
        while stream.advance() && seen < 64 {
            seen += 1;
            let Ok(key) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if key == word {
                continue;
            }
            let df = stream.value().doc_freq as u64;
            match found.iter_mut().find(|(k, _)| k == key) {
                Some((_, n)) => *n += df,
                None => found.push((key.to_string(), df)),
            }
        }
    }
    // shorter index words the word starts with ("longu" for "longueur")
    let cuts: Vec<usize> = word
        .char_indices()
        .map(|(i, _)| i)
        .filter(|&i| word[..i].chars().count() >= RELATIVE_MIN)
        .collect();
    for cut in cuts {
        let shorter = &word[..cut];
        if found.iter().any(|(k, _)| k == shorter) {
            continue;
        }
        let df = searcher.doc_freq(&Term::from_field_text(field, shorter))?;
        if df > 0 {
            found.push((shorter.to_string(), df));
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    found.truncate(MAX_RELATIVES);
    Ok(found)
}

fn question_terms(
    snapshot: &Snapshot,
    searcher: &Searcher,
    question: &str,
    lang: Lang,
) -> tantivy::Result<Terms> {
    let mut analyzer = analyzer::for_lang(lang);
    let fields = &snapshot.fields;
    let n = searcher.num_docs();
    let mut t = Terms::new(lang);
    for w in analyzer::words(&mut analyzer, question) {
        if t.words.contains(&w.term) {
            continue;
        }
        let text_term = Term::from_field_text(fields.text(lang), &w.term);
        let focus = cues::is_focus_word(&cues::fold(&question[w.start..w.end]));
        let df = searcher.doc_freq(&text_term)?;
        let rel = relatives(searcher, fields.text(lang), &w.term)?;
        // a word only its relatives have weighs as they do
        let absent = df == 0;
        let df = if absent {
            rel.iter().map(|r| r.1).max().unwrap_or(0)
        } else {
            df
        };
        let mut weight = idf(df, n);
        if focus {
            weight *= FOCUS_WEIGHT;
        } else if df == 0 && reads_as_verb(&question[w.start..w.end]) {
            // Questions say in their own verbs what the articles say in others ("conduit"
            // for "dirigé"): a verb no article uses says little about whether they answer.
            weight *= UNKNOWN_VERB_WEIGHT;
        }
        tracing::debug!(term = w.term, weight, focus, ?rel, "question word");
        // Relatives gather candidates only for a word the index lacks as such: when it has
        // the word, its passages are gathered by it, and the second pass still credits
        // relatives. Fewer clauses make the search about a fifth faster.
        let others = rel
            .iter()
            .map(|(k, _)| Other {
                term: Term::from_field_text(fields.text(lang), k),
                share: RELATIVE_SHARE,
                gather: absent,
            })
            .collect();
        t.push(fields, &w.term, others, w.position, weight, focus, absent);
    }
    Ok(t)
}

/// Translations tried per question word: the likeliest that the index holds.
const MAX_CHOICES: usize = 3;
/// How much a word counts that has no translation the articles hold: asked in another
/// language, a word the dictionary lacks says little about whether the articles answer.
const UNTRANSLATED_WEIGHT: f32 = 0.3;
/// Letters an untranslated word must share with an index word to be tried as it.
const LOOKALIKE_PREFIX: usize = 5;
/// How much a word counts at least when its translation is not its likeliest one.
const LOOKALIKE_WEIGHT: f32 = 0.6;

/// The words of a question in language `from`, searched in language `lang`: each word as
/// its likeliest translations the index holds (the word itself for names and numbers).
fn translated_terms(
    snapshot: &Snapshot,
    searcher: &Searcher,
    question: &str,
    from: Lang,
    lang: Lang,
    dict: &Dictionary,
) -> tantivy::Result<Terms> {
    let mut from_analyzer = analyzer::for_lang(from);
    let mut analyzer = analyzer::for_lang(lang);
    let fields = &snapshot.fields;
    let n = searcher.num_docs();
    let mut t = Terms::new(lang);
    let mut seen: Vec<String> = Vec::new();
    for w in analyzer::words(&mut from_analyzer, question) {
        if seen.contains(&w.term) {
            continue;
        }
        seen.push(w.term.clone());
        let surface = &question[w.start..w.end];
        let focus = cues::is_focus_word(&cues::fold(surface));
        let choices = translate::choices(dict, from, &w.term, surface, &mut analyzer);
        let mut found: Vec<(translate::Choice, u64)> = Vec::new();
        for c in &choices {
            if found.iter().any(|(f, _)| f.term == c.term) || t.words.contains(&c.term) {
                continue;
            }
            let df = searcher.doc_freq(&Term::from_field_text(fields.text(lang), &c.term))?;
            if df > 0 {
                found.push((c.clone(), df));
                if found.len() == MAX_CHOICES {
                    break;
                }
            }
        }
        if found.is_empty() && !surface.chars().any(|c| c.is_ascii_digit()) {
            // No translation the articles hold: words that start alike in both languages
            // ("patrol" and "patrouille", "govern" and "gouverner") are tried, for less.
            let folded = cues::fold(surface);
            for (k, df) in starting_like(searcher, fields.text(lang), &folded, LOOKALIKE_PREFIX)? {
                if !t.words.contains(&k) && found.len() < MAX_CHOICES {
                    let choice = translate::Choice {
                        word: format!("{k}…"),
                        term: k,
                        weight: 0.5,
                    };
                    found.push((choice, df));
                }
            }
        }
        let Some((primary, df)) = found.first().cloned() else {
            // nothing the articles hold: the word still counts, a little, so that a question
            // about something else is not answered by its one translated word
            if let Some(c) = choices.first() {
                if !t.words.contains(&c.term) {
                    let weight = idf(0, n) * UNTRANSLATED_WEIGHT;
                    t.push(fields, &c.term, vec![], w.position, weight, focus, true);
                }
            }
            continue;
        };
        let mut weight = idf(df, n);
        if focus {
            weight *= FOCUS_WEIGHT;
        }
        if primary.weight < 1.0 {
            weight *= LOOKALIKE_WEIGHT.max(primary.weight);
        }
        let others = found[1..]
            .iter()
            .map(|(c, _)| Other {
                term: Term::from_field_text(fields.text(lang), &c.term),
                share: (c.weight / primary.weight).clamp(0.3, 1.0),
                gather: true,
            })
            .collect();
        tracing::debug!(word = surface, ?found, weight, "translated question word");
        // the word searched as itself alone (a name, a number) is no translation to show
        let into: Vec<String> = found.iter().map(|(c, _)| c.word.clone()).collect();
        if into
            .iter()
            .any(|x| x.to_lowercase() != surface.to_lowercase())
        {
            t.translated.push(Translated {
                word: surface.to_string(),
                into,
            });
        }
        t.push(
            fields,
            &primary.term,
            others,
            w.position,
            weight,
            focus,
            false,
        );
    }
    Ok(t)
}

/// A candidate passage and what the second pass learnt of it.
struct Candidate {
    address: DocAddress,
    bm25: f32,
    /// Share of the question's weight the passage holds (title words count half).
    coverage: f32,
    /// Share of the question's weight found within one stretch of a few words.
    proximity: f32,
    cues: Cues,
    score: f32,
    /// Where the question's words (or their relatives) stand in the passage: (word
    /// position, question word), sorted.
    spots: Vec<(u32, usize)>,
}

impl Candidate {
    /// How sure the passage answers: its coverage, and how close together its words are.
    fn confidence(&self) -> f32 {
        0.5 * self.coverage + 0.5 * self.proximity
    }
}

/// Answers a question with at most `top` hits, translating it with the installed
/// dictionary when it is in another language than some of the articles.
pub fn ask(snapshot: &Snapshot, question: &str, top: usize) -> Result<Answer, AskError> {
    let dict = dictionary::installed();
    ask_with(snapshot, question, top, dict.as_deref(), None)
}

/// [`ask`] with a given dictionary (none: no translation), and the question's language when
/// the caller knows it (none: detected).
pub fn ask_with(
    snapshot: &Snapshot,
    question: &str,
    top: usize,
    dict: Option<&Dictionary>,
    lang: Option<Lang>,
) -> Result<Answer, AskError> {
    let started = Instant::now();
    let question = clean_question(question)?;
    let top = top.clamp(1, MAX_TOP);
    let asks = cues::asks(&question);
    let question_lang = lang.unwrap_or_else(|| translate::question_lang(&question));
    let searcher = snapshot.reader.searcher();
    let mut article_langs = vec![Lang::Fr];
    if snapshot.has_english {
        article_langs.push(Lang::En);
    }
    // the question as it is for articles in its language, translated for the others
    let mut langs = Vec::with_capacity(article_langs.len());
    for lang in article_langs {
        langs.push(match dict {
            Some(d) if lang != question_lang => {
                translated_terms(snapshot, &searcher, &question, question_lang, lang, d)?
            }
            _ => question_terms(snapshot, &searcher, &question, lang)?,
        });
    }
    langs.retain(|t| !t.text.is_empty());
    let translations: Vec<Translated> = langs
        .iter()
        .flat_map(|t| t.translated.iter().cloned())
        .collect();
    let mut answer = Answer {
        question: question.clone(),
        answered: false,
        hits: vec![],
        asks,
        confidence: 0.0,
        closest: vec![],
        lang: question_lang,
        translations,
        took_ms: 0.0,
    };
    if langs.is_empty() {
        answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok(answer);
    }
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
    for t in &langs {
        for i in 0..t.text.len() {
            let boost = if t.focus[i] { FOCUS_WEIGHT } else { 1.0 };
            add(&t.text[i], boost);
            add(&t.title[i], boost * 0.4);
            for o in t.others[i].iter().filter(|o| o.gather) {
                add(&o.term, boost * o.share * 0.5);
            }
        }
    }
    let query = BooleanQuery::new(clauses);
    let top_docs = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())?;
    let mut candidates = rerank(&searcher, &langs, &top_docs, asks)?;
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.bm25.total_cmp(&a.bm25)));

    let Some(best) = candidates.first() else {
        answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok(answer);
    };
    let needs_cue = matches!(asks, Asks::Date | Asks::Number);
    // A date or a number must stand in the passage, or the passage must cover the question
    // very well.
    let bar = |c: &Candidate| {
        if needs_cue && !c.cues.has(asks) {
            MIN_COVERAGE_WITHOUT_CUE
        } else {
            MIN_COVERAGE
        }
    };
    answer.confidence = (best.confidence() * 1000.0).round() / 1000.0;
    answer.answered = best.confidence() >= bar(best);
    if answer.answered {
        let best_score = best.score;
        let good = candidates
            .iter()
            .filter(|c| c.confidence() >= bar(c) * 0.8 && c.score >= best_score * 0.2);
        for c in good {
            let h = hit(snapshot, &searcher, &langs, c, asks)?;
            // the same text twice (a copied article, a repeated paragraph) is shown once
            if answer.hits.iter().all(|k| k.passage != h.passage) {
                answer.hits.push(h);
            }
            if answer.hits.len() == top {
                break;
            }
        }
        // ... and in the sentence that answers, not elsewhere in the passage.
        if let Some(h) = answer.hits.first() {
            let sentence = h
                .answer_span
                .clone()
                .map_or(&h.passage[..], |r| &h.passage[r]);
            if needs_cue
                && !cues::cues(sentence).has(asks)
                && best.confidence() < MIN_COVERAGE_WITHOUT_CUE
            {
                answer.answered = false;
                answer.closest = vec![h.title.clone()];
                answer.hits.clear();
            }
        }
    }
    if !answer.answered {
        for c in candidates.iter().filter(|c| c.coverage > 0.0) {
            let doc: TantivyDocument = searcher.doc(c.address)?;
            let title = field_str(&doc, snapshot.fields.title);
            if !answer.closest.contains(&title) {
                answer.closest.push(title);
            }
            if answer.closest.len() == 3 {
                break;
            }
        }
    }
    answer.took_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(answer)
}

/// The postings of one question word in one segment.
struct WordPostings {
    text: Option<SegmentPostings>,
    /// The word's other forms, with their shares.
    others: Vec<(SegmentPostings, f32)>,
    title: Option<SegmentPostings>,
}

/// Reads the candidates' term positions from the index and scores them.
fn rerank(
    searcher: &Searcher,
    langs: &[Terms],
    top_docs: &[(f32, DocAddress)],
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
            let text_index = segment.inverted_index(t.text[0].field())?;
            let title_index = segment.inverted_index(t.title[0].field())?;
            let with_positions = IndexRecordOption::WithFreqsAndPositions;
            let mut per_word = Vec::with_capacity(t.text.len());
            for i in 0..t.text.len() {
                let mut others = Vec::new();
                for o in &t.others[i] {
                    if let Some(p) = text_index.read_postings(&o.term, with_positions)? {
                        others.push((p, o.share));
                    }
                }
                per_word.push(WordPostings {
                    text: text_index.read_postings(&t.text[i], with_positions)?,
                    others,
                    title: title_index.read_postings(&t.title[i], IndexRecordOption::Basic)?,
                });
            }
            postings.push(per_word);
        }
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
            let mut matched = 0.0;
            let mut spots: Vec<(u32, usize)> = Vec::new();
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
                    for (o, o_share) in p.others.iter_mut() {
                        if seek_to(o, doc) {
                            o.positions(&mut positions);
                            spots.extend(positions.iter().map(|&pos| (pos, i)));
                            share = share.max(*o_share);
                        }
                    }
                }
                if share == 0.0 && p.title.as_mut().is_some_and(|p| seek_to(p, doc)) {
                    share = TITLE_SHARE;
                }
                matched += t.weights[i] * share;
            }
            let coverage = (matched / t.total).min(1.0);
            spots.sort_unstable();
            let proximity = (cluster_weight(&spots, &t.weights) / t.total).min(coverage);
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
    order.sort_by_key(|&i| t.places[i]);
    let (mut found, mut all) = (0.0, 0.0);
    for pair in order.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let gap = (t.places[b] - t.places[a]) as u32;
        let weight = t.weights[a].min(t.weights[b]);
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

fn field_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// Loads a hit's stored fields and marks its words and best sentence.
fn hit(
    snapshot: &Snapshot,
    searcher: &Searcher,
    langs: &[Terms],
    c: &Candidate,
    asks: Asks,
) -> tantivy::Result<Hit> {
    let f = &snapshot.fields;
    let doc: TantivyDocument = searcher.doc(c.address)?;
    let passage = field_str(&doc, f.passage);
    let lang = if c.cues.0 & ENGLISH_FLAG != 0 {
        Lang::En
    } else {
        Lang::Fr
    };
    let (marks, answer_span) = match langs.iter().find(|t| t.lang == lang) {
        Some(t) => mark(&passage, &c.spots, t, asks),
        None => (vec![], None),
    };
    Ok(Hit {
        article: field_str(&doc, f.article),
        title: field_str(&doc, f.title),
        source: field_str(&doc, f.source),
        paragraph: doc
            .get_first(f.paragraph)
            .and_then(|v| v.as_u64())
            .unwrap_or(0),
        highlight: markdown(&passage, &marks, answer_span.clone()),
        answer: answer_span.clone().map(|r| passage[r].to_string()),
        passage,
        score: (c.score * 1000.0).round() / 1000.0,
        marks,
        answer_span,
    })
}

/// The matched words of a passage and its best sentence: the one holding the most question
/// weight, with a bonus when it holds what the question asks for. `spots` are the word
/// positions the index gave for the question's words; the analyzers keep the tokenizer's
/// positions, so the n-th run of letters and digits in the passage is position n, and the
/// passage needs no second analysis.
fn mark(
    passage: &str,
    spots: &[(u32, usize)],
    t: &Terms,
    asks: Asks,
) -> (Vec<Range<usize>>, Option<Range<usize>>) {
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
    let mut best: Option<(f32, Range<usize>)> = None;
    if sentences.len() > 1 {
        let max_weight = t.weights.iter().copied().fold(0.0, f32::max);
        for s in &sentences {
            let mut seen = vec![false; t.words.len()];
            let mut score = 0.0;
            for (r, i) in &marked {
                if r.start >= s.start && r.end <= s.end && !seen[*i] {
                    seen[*i] = true;
                    score += t.weights[*i];
                }
            }
            if score > 0.0 && asks != Asks::Other && cues::cues(&passage[s.clone()]).has(asks) {
                score += 0.6 * max_weight;
            }
            if score > 0.0 && best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, s.clone()));
            }
        }
    }
    let mut marks: Vec<Range<usize>> = marked.into_iter().map(|(r, _)| r).collect();
    // a word that is two question words' relative is marked once
    marks.dedup();
    (marks, best.map(|(_, r)| r))
}

/// Escapes Markdown's special characters in corpus text.
pub fn escape_markdown(s: &str, out: &mut String) {
    let mut from = 0;
    // the special characters are ASCII, so byte indices are character boundaries
    for (i, b) in s.bytes().enumerate() {
        if matches!(
            b,
            b'\\' | b'*' | b'_' | b'~' | b'`' | b'|' | b'>' | b'#' | b'[' | b']'
        ) {
            out.push_str(&s[from..i]);
            out.push('\\');
            from = i;
        }
    }
    out.push_str(&s[from..]);
}

/// The passage as Markdown: `**word**` for matches, `__sentence__` for the best sentence.
fn markdown(text: &str, marks: &[Range<usize>], answer: Option<Range<usize>>) -> String {
    // (position, order at that position, marker): closings before openings.
    let mut events: Vec<(usize, u8, &str)> = Vec::with_capacity(marks.len() * 2 + 2);
    for m in marks {
        events.push((m.start, 3, "**"));
        events.push((m.end, 0, "**"));
    }
    if let Some(a) = answer {
        events.push((a.start, 2, "__"));
        events.push((a.end, 1, "__"));
    }
    events.sort();
    let mut out = String::with_capacity(text.len() + events.len() * 2 + 16);
    let mut at = 0;
    for (pos, _, marker) in events {
        escape_markdown(&text[at..pos], &mut out);
        out.push_str(marker);
        at = pos;
    }
    escape_markdown(&text[at..], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_checked() {
        assert_eq!(clean_question(""), Err(QuestionError::Empty));
        assert_eq!(clean_question("  \n\t "), Err(QuestionError::Empty));
        assert_eq!(
            clean_question("\u{1}\u{2}\u{7f}"),
            Err(QuestionError::ControlOnly)
        );
        assert_eq!(
            clean_question(&"a".repeat(1001)),
            Err(QuestionError::TooLong(1001))
        );
        assert!(clean_question(&"é".repeat(1000)).is_ok());
        assert_eq!(
            clean_question(" Qui\u{0}  est\u{200b}-il ?\n").unwrap(),
            "Qui est-il ?"
        );
    }

    #[test]
    fn markdown_marks_words_and_sentence() {
        let text = "Le *Mali* avance. La frontière_nord est longue.";
        let start = text.find("La").unwrap();
        let word = start..text.find("_nord").unwrap();
        let md = markdown(text, std::slice::from_ref(&word), Some(start..text.len()));
        assert_eq!(
            md,
            "Le \\*Mali\\* avance. __**La frontière**\\_nord est longue.__"
        );
    }

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
        let t = Terms {
            lang: Lang::Fr,
            text: vec![],
            title: vec![],
            others: vec![],
            words: wanted.iter().map(|w| w.to_string()).collect(),
            places: vec![0, 1],
            weights: vec![1.0, 2.0],
            focus: vec![false; 2],
            absent: vec![false; 2],
            total: 3.0,
            translated: vec![],
        };
        let (marks, best) = mark(&passage, &spots, &t, Asks::Other);
        let marked: Vec<&str> = marks.iter().map(|r| &passage[r.clone()]).collect();
        assert_eq!(marked, ["armée", "frontière", "armée"]);
        assert!(passage[best.unwrap()].starts_with("Puis"));
    }

    #[test]
    fn clusters_weigh_words_close_together() {
        let weights = [1.0, 2.0, 4.0];
        let spots = vec![(0, 0), (3, 1), (40, 2), (45, 1)];
        assert_eq!(cluster_weight(&spots, &weights), 6.0);
        assert_eq!(cluster_weight(&[], &weights), 0.0);
    }
}
