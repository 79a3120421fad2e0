//! `kiosque bench`: measures, in-process, what a user waits for: a full build (seconds and
//! MB/s of article text), opening an existing index, answering questions with highlights
//! (p50/p95/p99), the same questions as a bare tantivy BM25 top-10 search on the same index
//! (the floor), and the process's peak memory.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;

use crate::analyzer;
use crate::corpus::{Corpus, Lang};
use crate::dictionary::{self, Dictionary};
use crate::index::{self, IndexError, Snapshot, Store};
use crate::search;
use crate::text;

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub articles: usize,
    pub passages: u64,
    pub corpus_mb: f64,
    pub build_seconds: f64,
    pub build_mb_per_s: f64,
    pub startup_ms: f64,
    /// Bringing the index up to date after one article changed (median of 5).
    pub reindex_one_ms: f64,
    pub questions: usize,
    pub answered: usize,
    pub ask_p50_ms: f64,
    pub ask_p95_ms: f64,
    pub ask_p99_ms: f64,
    pub raw_tantivy_p50_ms: f64,
    pub raw_tantivy_p99_ms: f64,
    pub ask_over_raw_p50: f64,
    pub peak_rss_mb: f64,
    /// Median time to summarise a 5,000-word article made of the corpus' own sentences.
    pub summary_5000_words_ms: f64,
    /// With the bilingual dictionary installed: the same questions put word for word into
    /// English, asked about the (French) articles, against the French ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ask_english_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub english_over_french_p50: Option<f64>,
    pub threads: usize,
}

/// Runs the benchmark on a corpus, building its index in `index_dir` (replacing what is
/// there). `extra` questions come first; the rest are drawn from the corpus itself.
pub fn run(
    corpus_dir: &Path,
    index_dir: &Path,
    extra: &[String],
    count: usize,
) -> Result<BenchReport, IndexError> {
    let corpus = Corpus::open(corpus_dir)?;
    let store = Store::new(index_dir);

    let lock = store.lock()?;
    let started = Instant::now();
    store.build(&corpus, None, &lock, &index::quiet)?;
    let build_seconds = started.elapsed().as_secs_f64();
    drop(lock);
    let bytes: u64 = report_bytes(&store);
    let corpus_mb = bytes as f64 / 1e6;

    // what `kiosque ask` pays before it can answer: open the index, check the corpus
    let mut startups = Vec::new();
    let mut snapshot = None;
    for _ in 0..5 {
        let t = Instant::now();
        let (s, _) = index::open_or_build(&corpus, &store, true)?;
        startups.push(ms(t));
        snapshot = Some(s);
    }
    let snapshot =
        snapshot.ok_or_else(|| IndexError::Unusable(index_dir.to_path_buf(), "no index".into()))?;
    let startup_ms = percentile(&mut startups, 0.5);
    let reindex_one_ms = round(reindex_one(&corpus, &store, &snapshot)?);
    let (snapshot, _) = index::open_or_build(&corpus, &store, false)?;

    let mut questions: Vec<String> = extra.to_vec();
    questions.extend(questions_from(
        &snapshot,
        &corpus,
        count.saturating_sub(questions.len()),
    ));

    // warm the caches the way a running bot has them warm
    for q in questions.iter().take(200) {
        let _ = search::ask(&snapshot, q, 3);
    }
    let mut ask_ms = Vec::with_capacity(questions.len());
    let mut answered = 0;
    for q in &questions {
        let t = Instant::now();
        if let Ok(a) = search::ask(&snapshot, q, 3) {
            answered += a.answered as usize;
        }
        ask_ms.push(ms(t));
    }
    let mut raw_ms = raw_tantivy(&snapshot, &questions)?;

    let ask_p50_ms = percentile(&mut ask_ms, 0.5);
    let english = dictionary::installed().map(|dict| english_cost(&snapshot, &questions, &dict));
    let summary_5000_words_ms = round(summary_time(&snapshot, &corpus));
    let raw_p50 = percentile(&mut raw_ms, 0.5);
    Ok(BenchReport {
        articles: snapshot.catalog.articles.len(),
        passages: snapshot.catalog.passages,
        corpus_mb: round(corpus_mb),
        build_seconds: round(build_seconds),
        build_mb_per_s: round(corpus_mb / build_seconds.max(1e-9)),
        startup_ms: round(startup_ms),
        reindex_one_ms,
        questions: questions.len(),
        answered,
        ask_p50_ms: round(ask_p50_ms),
        ask_p95_ms: round(percentile(&mut ask_ms, 0.95)),
        ask_p99_ms: round(percentile(&mut ask_ms, 0.99)),
        raw_tantivy_p50_ms: round(raw_p50),
        raw_tantivy_p99_ms: round(percentile(&mut raw_ms, 0.99)),
        ask_over_raw_p50: round(ask_p50_ms / raw_p50.max(1e-9)),
        peak_rss_mb: round(peak_rss_mb()),
        summary_5000_words_ms,
        ask_english_p50_ms: english.map(|(en, _)| round(en)),
        english_over_french_p50: english.map(|(en, fr)| round(en / fr.max(1e-9))),
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    })
}

/// Median times of the questions asked in French and put word for word into English (the
/// dictionary's first translation of each word, names and numbers kept), both as the
/// language they are in, so the English ones are translated back.
fn english_cost(snapshot: &Snapshot, questions: &[String], dict: &Dictionary) -> (f64, f64) {
    let mut fr = analyzer::french();
    let english: Vec<String> = questions
        .iter()
        .map(|q| {
            let words: Vec<String> = q
                .split_whitespace()
                .filter_map(|w| {
                    let terms = analyzer::terms(&mut fr, w);
                    let term = terms.first()?;
                    Some(match dict.translate(Lang::Fr, term).first() {
                        Some(t) => t.word.clone(),
                        None => w.to_string(),
                    })
                })
                .collect();
            words.join(" ")
        })
        .collect();
    let time = |qs: &[String], lang: Lang| {
        let mut out = Vec::with_capacity(qs.len());
        for q in qs.iter().take(200) {
            let _ = search::ask_with(snapshot, q, 3, Some(dict), Some(lang));
        }
        for q in qs {
            let t = Instant::now();
            let _ = search::ask_with(snapshot, q, 3, Some(dict), Some(lang));
            out.push(ms(t));
        }
        percentile(&mut out, 0.5)
    };
    let french = time(questions, Lang::Fr);
    let english = time(&english, Lang::En);
    (english, french)
}

/// Edits one article (a line added at its end), brings the index up to date, and puts the
/// article back, five times; the median of the updates. The corpus is left as it was.
fn reindex_one(corpus: &Corpus, store: &Store, snapshot: &Snapshot) -> Result<f64, IndexError> {
    let Some(entry) = snapshot.catalog.articles.first() else {
        return Ok(0.0);
    };
    let path = corpus.path_of(&entry.path);
    let io = |e: std::io::Error| IndexError::Io {
        path: path.clone(),
        source: e,
    };
    let original = std::fs::read(&path).map_err(io)?;
    let mut times = Vec::new();
    for i in 0..5 {
        let mut edited = original.clone();
        edited.extend_from_slice(format!("\nModification {i} pour la mesure.\n").as_bytes());
        std::fs::write(&path, &edited).map_err(io)?;
        let t = Instant::now();
        let result = index::refresh(corpus, store, false, &index::quiet);
        times.push(ms(t));
        std::fs::write(&path, &original).map_err(io)?;
        result?;
    }
    index::refresh(corpus, store, false, &index::quiet)?;
    Ok(percentile(&mut times, 0.5))
}

/// The median of 20 summaries of one long article (5,000 words from the corpus' first
/// articles, repeated if the corpus is small).
fn summary_time(snapshot: &Snapshot, corpus: &Corpus) -> f64 {
    let mut body = String::new();
    let mut words = 0;
    'outer: for _ in 0..1000 {
        for a in &snapshot.catalog.articles {
            let Ok(text) = std::fs::read_to_string(corpus.path_of(&a.path)) else {
                continue;
            };
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                words += line.split_whitespace().count();
                body.push_str(line);
                body.push_str("\n\n");
                if words >= 5000 {
                    break 'outer;
                }
            }
        }
        if body.is_empty() {
            return 0.0;
        }
    }
    let article = crate::corpus::Article {
        id: "bench".into(),
        source: "bench".into(),
        title: "bench".into(),
        url: None,
        date: None,
        author: None,
        lang: crate::corpus::Lang::Fr,
        body,
        explicit_title: true,
        decoding: None,
    };
    let mut times: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            let s = crate::summarize::extract(&article, 5);
            std::hint::black_box(s);
            ms(t)
        })
        .collect();
    percentile(&mut times, 0.5)
}

fn report_bytes(store: &Store) -> u64 {
    store
        .open()
        .map(|s| s.catalog.articles.iter().map(|a| a.size).sum())
        .unwrap_or(0)
}

/// The floor: the same questions through tantivy's own lenient parser, BM25 top 10 on the
/// French passage text, no highlights.
fn raw_tantivy(snapshot: &Snapshot, questions: &[String]) -> Result<Vec<f64>, IndexError> {
    let parser = QueryParser::for_index(&snapshot.index, vec![snapshot.fields.text_fr]);
    let searcher = snapshot.reader.searcher();
    let collector = TopDocs::with_limit(10).order_by_score();
    let mut out = Vec::with_capacity(questions.len());
    for q in questions.iter().take(200) {
        let (query, _) = parser.parse_query_lenient(q);
        let _ = searcher.search(&query, &collector)?;
    }
    for q in questions {
        let t = Instant::now();
        let (query, _) = parser.parse_query_lenient(q);
        let _ = searcher.search(&query, &collector)?;
        out.push(ms(t));
    }
    Ok(out)
}

/// Questions drawn from the corpus, the same on every run: article titles, and runs of a few
/// words from a sentence of an article, as someone who half remembers it would ask.
fn questions_from(snapshot: &Snapshot, corpus: &Corpus, count: usize) -> Vec<String> {
    let articles = &snapshot.catalog.articles;
    let mut out = Vec::with_capacity(count);
    if articles.is_empty() {
        return out;
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut tries = 0;
    while out.len() < count && tries < count * 4 {
        tries += 1;
        let a = &articles[(next() % articles.len() as u64) as usize];
        if next() % 3 == 0 {
            out.push(a.title.clone());
            continue;
        }
        let Ok(body) = std::fs::read_to_string(corpus.path_of(&a.path)) else {
            continue;
        };
        let sentences = text::sentences(&body);
        if sentences.is_empty() {
            continue;
        }
        let s = &body[sentences[(next() % sentences.len() as u64) as usize].clone()];
        let words: Vec<&str> = s.split_whitespace().collect();
        if words.len() < 4 {
            continue;
        }
        let len = 3 + (next() % 5) as usize;
        let start = (next() % (words.len().saturating_sub(len).max(1)) as u64) as usize;
        let q = words[start..(start + len).min(words.len())].join(" ");
        out.push(text::truncate_chars(&q, search::MAX_QUESTION_CHARS));
    }
    out
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let i = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[i.min(values.len() - 1)]
}

/// The process's peak resident memory, from /proc (0 where there is none).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The report for a terminal.
pub fn report_text(r: &BenchReport) -> String {
    format!(
        "corpus: {} articles, {} passages, {:.1} MB of text ({} threads)\n\
         build: {:.2} s, {:.1} MB/s\n\
         startup with an existing index: {:.1} ms\n\
         reindex after one article changed: {:.1} ms\n\
         ask ({} questions, {} answered): p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms\n\
         raw tantivy BM25 top 10: p50 {:.3} ms, p99 {:.3} ms (ask p50 = {:.1} × raw)\n\
         peak RSS: {:.0} MB\n\
         summary of a 5,000-word article: {:.2} ms\n",
        r.articles,
        r.passages,
        r.corpus_mb,
        r.threads,
        r.build_seconds,
        r.build_mb_per_s,
        r.startup_ms,
        r.reindex_one_ms,
        r.questions,
        r.answered,
        r.ask_p50_ms,
        r.ask_p95_ms,
        r.ask_p99_ms,
        r.raw_tantivy_p50_ms,
        r.raw_tantivy_p99_ms,
        r.ask_over_raw_p50,
        r.peak_rss_mb,
        r.summary_5000_words_ms
    ) + &match (r.ask_english_p50_ms, r.english_over_french_p50) {
        (Some(en), Some(ratio)) => {
            format!(
                "English questions about French articles: p50 {en:.3} ms ({ratio:.2} × French)\n"
            )
        }
        _ => "English questions: no bilingual dictionary installed\n".to_string(),
    }
}
