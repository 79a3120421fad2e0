//! Quality at scale: the sample questions must still show their seed passage first when the
//! two seed articles sit among at least 20,000 other French articles, and our own literal
//! questions (tests/fixtures/dev-questions.jsonl) nearly all of theirs; most of them
//! answered. The large corpus is not
//! in the repository: `python3 scripts/fetch-bench-corpus.py target/bench-corpus --articles
//! 20000` builds it (`.ci/run` does), or KIOSQUE_SCALE_CORPUS names another directory. The
//! test is ignored by a plain `cargo test`; run with `-- --include-ignored` (as CI does), it
//! fails when the corpus is missing.

mod common;

use std::path::{Path, PathBuf};

use kiosque::engine::{Engine, Services};

const MIN_ARTICLES: usize = 20_000;
/// Our literal questions that must show their passage first at scale (as an answer or a
/// related passage), of 30: 26 (the misses left are a passage of another article that names
/// every word, and one-word questions).
const MIN_DEV_FIRST: usize = 26;
/// ... and that must be answered with it first: the learned claim answers fewer at scale
/// than among the two articles alone (measured 22 of 30, 7 of the 8 sample questions).
const MIN_DEV_ANSWERED: usize = 21;
const MIN_SAMPLE_ANSWERED: usize = 7;

fn scale_corpus() -> PathBuf {
    std::env::var_os("KIOSQUE_SCALE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus"))
}

#[test]
#[ignore = "needs the benchmark corpus: python3 scripts/fetch-bench-corpus.py target/bench-corpus --articles 20000 (or KIOSQUE_SCALE_CORPUS)"]
fn literal_questions_still_first_among_20000_articles() {
    let source = scale_corpus();
    let files: Vec<PathBuf> = std::fs::read_dir(&source)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        files.len() >= MIN_ARTICLES,
        "quality at scale needs {MIN_ARTICLES} articles in {} (found {}): run \
         `python3 scripts/fetch-bench-corpus.py target/bench-corpus --articles {MIN_ARTICLES}` \
         or set KIOSQUE_SCALE_CORPUS to a directory that has them",
        source.display(),
        files.len()
    );
    let ws = common::Workspace::new();
    for f in &files {
        std::fs::copy(f, ws.corpus().join(f.file_name().unwrap())).unwrap();
    }
    let engine = Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap();
    let articles = engine.articles(1, 1).total;
    assert!(articles >= MIN_ARTICLES + 2);

    let (sample_first, sample_answered, sample_asked, sample_misses) =
        first_hits(&engine, "tests/fixtures/sample-questions.jsonl");
    let (dev_first, dev_answered, dev_asked, dev_misses) =
        first_hits(&engine, "tests/fixtures/dev-questions.jsonl");
    eprintln!(
        "quality at scale among {articles} articles: {sample_first}/{sample_asked} sample \
         questions first ({sample_answered} answered), {dev_first}/{dev_asked} of ours \
         ({dev_answered} answered)"
    );
    assert_eq!(sample_asked, 8);
    assert!(sample_misses.is_empty(), "{sample_misses:#?}");
    assert!(
        sample_answered >= MIN_SAMPLE_ANSWERED,
        "{sample_answered} answered"
    );
    assert_eq!(dev_asked, 30);
    assert!(
        dev_first >= MIN_DEV_FIRST,
        "{dev_first}/{dev_asked} of our questions first, at least {MIN_DEV_FIRST} expected; \
         missed: {dev_misses:#?}"
    );
    assert!(dev_answered >= MIN_DEV_ANSWERED, "{dev_answered} answered");
}

/// Asks the literal questions (kind `answer`) of a question file: how many show their
/// passage first (answering or related), how many are answered with it first, how many were
/// asked, and the misses with what came first.
fn first_hits(engine: &Engine, file: &str) -> (usize, usize, usize, Vec<String>) {
    let questions =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let mut misses = vec![];
    let (mut asked, mut answered) = (0, 0);
    for line in questions.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        if case["kind"] != "answer" {
            continue;
        }
        asked += 1;
        let q = case["q"].as_str().unwrap();
        let answer = engine.ask(q, 3).unwrap();
        let expect: Vec<&str> = case["expect_any"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let first = answer.hits.iter().chain(&answer.related).next();
        let ok = first.is_some_and(|h| {
            h.article.id == case["source"].as_str().unwrap()
                && expect.iter().any(|e| norm(&h.passage).contains(&norm(e)))
        });
        answered += usize::from(ok && answer.answered);
        if !ok {
            misses.push(format!(
                "{q} → {:?}",
                first.map(|h| (&h.article.id, &h.article.title))
            ));
        }
    }
    (asked - misses.len(), answered, asked, misses)
}

/// Text as the scorer compares it: lower case, one kind of apostrophe and of space.
fn norm(text: &str) -> String {
    text.to_lowercase()
        .replace('\u{2019}', "'")
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
