//! `kiosque bench`: measures, in-process, what a user waits for: a full build (seconds and
//! MB/s of article text), opening an existing index, answering questions with highlights
//! (p50/p95/p99), the same questions as a bare tantivy BM25 top-10 search on the same index
//! (the floor), and the process's peak memory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::articles::{text, Article};
use crate::engine::{
    bench_vector_search, quiet, summarize, EmbedError, Embedder, Engine, IndexError, Kind,
    ReindexError, Services, Style, MAX_QUESTION_CHARS,
};
use crate::lang::{Dictionary, Lang};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Reindex(#[from] ReindexError),
    #[error("cannot copy the corpus to {0}: {1}")]
    Copy(PathBuf, std::io::Error),
}

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
    /// Median time of a search for the 50 closest among 100,000 passage vectors of 384
    /// numbers (multilingual-e5-small's), made up for the measure (signs first, then the
    /// closest few hundred exactly, past 20,000 vectors).
    pub vector_search_100k_ms: f64,
    /// A question searched by meaning too, less the question's embedding: the vector search,
    /// the meaning list in the pool, and the scorer; over vectors made up for the measure (a
    /// hash of each text), so no server is needed and the corpus is not embedded for hours.
    pub ask_meaning_p50_ms: f64,
    pub ask_meaning_p99_ms: f64,
    /// With an embedding server: passages it embeds a second, in batches of 16 of the
    /// corpus' own paragraphs, and the median time to embed one question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_passages_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_question_p50_ms: Option<f64>,
    /// Why the embedding server could not be measured, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_failed: Option<String>,
    pub threads: usize,
}

/// A directory removed when dropped: the benchmark's copy of the corpus and its index.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the corpus directory (files, subdirectories and links as they are; hidden
/// entries skipped, as the corpus reader skips them).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Runs the benchmark on a copy of the corpus in a new directory under `scratch_parent`
/// (removed afterwards), with its own index
/// (the corpus and its index are never touched). `extra` questions come first; the rest are
/// drawn from the corpus itself.
pub fn run(
    corpus_dir: &Path,
    scratch_parent: &Path,
    services: &Services,
    extra: &[String],
    count: usize,
) -> Result<BenchReport, BenchError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let scratch =
        Scratch(scratch_parent.join(format!("kiosque-bench-{}-{nanos}", std::process::id())));
    let corpus = scratch.0.join("corpus");
    let index = scratch.0.join("index");
    copy_tree(corpus_dir, &corpus).map_err(|e| BenchError::Copy(corpus.clone(), e))?;

    let started = Instant::now();
    let (engine, _) = Engine::build(&corpus, &index, services.clone(), true, &quiet)?;
    let build_seconds = started.elapsed().as_secs_f64();
    // the article list a page at a time, so the bench holds no copy of the catalog
    let (mut bytes, mut page) = (0u64, 1);
    let listed = loop {
        let p = engine.articles(page, 1000);
        bytes += p.articles.iter().map(|a| a.bytes).sum::<u64>();
        if p.page == p.pages {
            break p;
        }
        page += 1;
    };
    let corpus_mb = bytes as f64 / 1e6;
    drop(engine);

    // what `kiosque ask` pays before it can answer: open the index, check the corpus
    let mut startups = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let engine = Engine::open(&corpus, &index, services.clone())?;
        startups.push(ms(t));
        drop(engine);
    }
    let startup_ms = percentile(&mut startups, 0.5);
    let engine = Engine::open(&corpus, &index, services.clone())?;
    let reindex_one_ms = round(reindex_one(&engine, &corpus)?);

    let mut questions: Vec<String> = extra.to_vec();
    questions.extend(questions_from(
        &engine,
        listed.total,
        count.saturating_sub(questions.len()),
    ));

    // warm the caches the way a running bot has them warm
    for q in questions.iter().take(200) {
        let _ = engine.ask(q, 3);
    }
    let mut ask_ms = Vec::with_capacity(questions.len());
    let mut answered = 0;
    for q in &questions {
        let t = Instant::now();
        if let Ok(a) = engine.ask(q, 3) {
            answered += a.answered as usize;
        }
        ask_ms.push(ms(t));
    }
    let mut raw_ms = raw_tantivy(&engine, &questions);

    let ask_p50_ms = percentile(&mut ask_ms, 0.5);
    let english = services
        .dictionary
        .as_deref()
        .map(|dict| english_cost(&engine, &questions, dict));
    let summary_5000_words_ms = round(summary_time(&engine));
    let raw_p50 = percentile(&mut raw_ms, 0.5);
    let embedding = services
        .embedder
        .as_deref()
        .map(|e| embedding_cost(&engine, e, &questions));
    drop(engine);
    let mut meaning_ms = meaning_cost(&corpus, &index, services, &questions)?;
    Ok(BenchReport {
        articles: listed.total,
        passages: listed.passages,
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
        vector_search_100k_ms: round(bench_vector_search(100_000, 384)),
        ask_meaning_p50_ms: round(percentile(&mut meaning_ms, 0.5)),
        ask_meaning_p99_ms: round(percentile(&mut meaning_ms, 0.99)),
        embed_passages_per_s: embedding
            .as_ref()
            .and_then(|e| e.as_ref().ok())
            .map(|e| round(e.0)),
        embed_question_p50_ms: embedding
            .as_ref()
            .and_then(|e| e.as_ref().ok())
            .map(|e| round(e.1)),
        embed_failed: embedding.and_then(|e| e.err()).map(|e| e.to_string()),
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    })
}

/// Vectors made up for the measure of the search by meaning: each text's are numbers drawn
/// from a hash of it, the dimension of multilingual-e5-small's, at no cost.
#[derive(Debug)]
struct MadeUp;

impl Embedder for MadeUp {
    fn model(&self) -> &str {
        "made-up-for-the-bench"
    }

    fn style(&self) -> Style {
        Style::Plain
    }

    fn embed(&self, texts: &[&str], _kind: Kind) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut x = xxhash_rust::xxh3::xxh3_64(t.as_bytes()) | 1;
                (0..384)
                    .map(|_| {
                        // xorshift64
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                    })
                    .collect()
            })
            .collect())
    }
}

/// The time of each question searched by meaning too, less its embedding (see
/// [`BenchReport::ask_meaning_p50_ms`]).
fn meaning_cost(
    corpus: &Path,
    index: &Path,
    services: &Services,
    questions: &[String],
) -> Result<Vec<f64>, BenchError> {
    let services = Services {
        embedder: Some(std::sync::Arc::new(MadeUp)),
        ..services.clone()
    };
    let engine = Engine::open(corpus, index, services)?;
    engine.embed(&quiet);
    for q in questions.iter().take(200) {
        let _ = engine.ask(q, 3);
    }
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let t = Instant::now();
        let _ = engine.ask(q, 3);
        out.push(ms(t));
    }
    Ok(out)
}

/// The embedding server's speed: passages a second (batches of 16 of the corpus' own
/// paragraphs, 64 at most) and the median time to embed one question (20 at most).
fn embedding_cost(
    engine: &Engine,
    embedder: &dyn Embedder,
    questions: &[String],
) -> Result<(f64, f64), EmbedError> {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut k = 0;
    while paragraphs.len() < 64 {
        let Some(entry) = article_at(engine, k) else {
            break;
        };
        k += 1;
        if let Ok(a) = engine.article(&entry.article.id) {
            paragraphs.extend(
                a.body
                    .split("\n\n")
                    .map(str::trim)
                    .filter(|p| p.len() > 40)
                    .map(|p| text::truncate_chars(p, 1500)),
            );
        }
    }
    paragraphs.truncate(64);
    let t = Instant::now();
    for batch in paragraphs.chunks(16) {
        let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
        embedder.embed(&refs, Kind::Passage)?;
    }
    let per_s = paragraphs.len() as f64 / t.elapsed().as_secs_f64().max(1e-9);
    let mut times = Vec::new();
    for q in questions.iter().take(20) {
        let t = Instant::now();
        embedder.embed(&[q.as_str()], Kind::Query)?;
        times.push(ms(t));
    }
    Ok((per_s, percentile(&mut times, 0.5)))
}

/// Median times of the questions asked in French and put word for word into English (the
/// dictionary's first translation of each word, names and numbers kept), both as the
/// language they are in, so the English ones are translated back.
fn english_cost(engine: &Engine, questions: &[String], dict: &Dictionary) -> (f64, f64) {
    let english: Vec<String> = questions
        .iter()
        .map(|q| dict.word_for_word(Lang::Fr, q))
        .collect();
    let time = |qs: &[String], lang: Lang| {
        let mut out = Vec::with_capacity(qs.len());
        for q in qs.iter().take(200) {
            let _ = engine.ask_in(q, 3, lang);
        }
        for q in qs {
            let t = Instant::now();
            let _ = engine.ask_in(q, 3, lang);
            out.push(ms(t));
        }
        percentile(&mut out, 0.5)
    };
    let french = time(questions, Lang::Fr);
    let english = time(&english, Lang::En);
    (english, french)
}

/// Edits one article of the copy (a line added at its end) and brings the index up to
/// date, five times; the median of the updates.
fn reindex_one(engine: &Engine, corpus: &Path) -> Result<f64, BenchError> {
    let Some(entry) = article_at(engine, 0) else {
        return Ok(0.0);
    };
    let path = corpus.join(&entry.path);
    let copy_err = |e| BenchError::Copy(path.clone(), e);
    let original = std::fs::read(&path).map_err(copy_err)?;
    let mut times = Vec::new();
    for i in 0..5 {
        let mut edited = original.clone();
        edited.extend_from_slice(format!("\nModification {i} pour la mesure.\n").as_bytes());
        std::fs::write(&path, &edited).map_err(copy_err)?;
        let t = Instant::now();
        engine.reindex(false, &quiet)?;
        times.push(ms(t));
    }
    std::fs::write(&path, &original).map_err(copy_err)?;
    engine.reindex(false, &quiet)?;
    Ok(percentile(&mut times, 0.5))
}

/// The median of 20 summaries of one long article (5,000 words from the corpus' first
/// articles, repeated if the corpus is small).
fn summary_time(engine: &Engine) -> f64 {
    let mut body = String::new();
    let mut words = 0;
    'outer: for _ in 0..1000 {
        for a in engine.articles(1, 200).articles {
            let Ok(article) = engine.article(&a.article.id) else {
                continue;
            };
            for line in article.body.lines().filter(|l| !l.trim().is_empty()) {
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
    let article = Article {
        id: "bench".into(),
        source: "bench".into(),
        title: "bench".into(),
        url: None,
        date: None,
        author: None,
        site: None,
        lang: Lang::Fr,
        body,
        explicit_title: true,
        decoding: None,
    };
    let mut times: Vec<f64> = (0..20)
        .map(|_| {
            let t = Instant::now();
            let s = summarize(&article, 5);
            std::hint::black_box(s);
            ms(t)
        })
        .collect();
    percentile(&mut times, 0.5)
}

/// The floor: the same questions through tantivy's own lenient parser, BM25 top 10 on the
/// French passage text, no highlights.
fn raw_tantivy(engine: &Engine, questions: &[String]) -> Vec<f64> {
    for q in questions.iter().take(200) {
        let _ = engine.baseline(q);
    }
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let t = Instant::now();
        let _ = engine.baseline(q);
        out.push(ms(t));
    }
    out
}

/// Questions drawn from the corpus, the same on every run: article titles, and runs of a few
/// words from a sentence of an article, as someone who half remembers it would ask.
fn questions_from(engine: &Engine, articles: usize, count: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(count);
    if articles == 0 {
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
        let Some(a) = article_at(engine, (next() % articles as u64) as usize) else {
            continue;
        };
        if next() % 3 == 0 {
            out.push(a.article.title.clone());
            continue;
        }
        let Ok(article) = engine.article(&a.article.id) else {
            continue;
        };
        let body = article.body;
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
        out.push(text::truncate_chars(&q, MAX_QUESTION_CHARS));
    }
    out
}

/// The `k`-th indexed article (0-based).
fn article_at(engine: &Engine, k: usize) -> Option<crate::engine::Listed> {
    engine.articles(k + 1, 1).articles.into_iter().next()
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
         summary of a 5,000-word article: {:.2} ms\n\
         vector search, 50 closest of 100,000 × 384: {:.2} ms\n\
         ask by meaning too, less the question's embedding: p50 {:.3} ms, p99 {:.3} ms\n",
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
        r.summary_5000_words_ms,
        r.vector_search_100k_ms,
        r.ask_meaning_p50_ms,
        r.ask_meaning_p99_ms
    ) + &match (r.ask_english_p50_ms, r.english_over_french_p50) {
        (Some(en), Some(ratio)) => {
            format!(
                "English questions about French articles: p50 {en:.3} ms ({ratio:.2} × French)\n"
            )
        }
        _ => "English questions: no bilingual dictionary installed\n".to_string(),
    } + &match (
        r.embed_passages_per_s,
        r.embed_question_p50_ms,
        &r.embed_failed,
    ) {
        (Some(p), Some(q), _) => {
            format!("embedding server: {p:.1} passages/s, a question in {q:.1} ms (p50)\n")
        }
        (_, _, Some(why)) => format!("embedding server: not measured ({why})\n"),
        _ => "embedding server: none set (KIOSQUE_EMBEDDINGS_URL)\n".to_string(),
    }
}
