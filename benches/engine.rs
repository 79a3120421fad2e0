//! Micro-benchmarks (`cargo bench`): the French analyzer's throughput, passage splitting,
//! answering with ranking and highlights, and the summary of a long article. The texts are
//! the bundled articles, repeated where a bigger input is needed.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kiosque::articles::{parse_file, Article};
use kiosque::engine::{Engine, Services};

fn seed_texts() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// About `words` words of real French news text, as one article.
fn long_article(words: usize) -> Article {
    let texts = seed_texts();
    let mut body = String::new();
    let mut n = 0;
    while n < words {
        for (name, bytes) in &texts {
            let a = parse_file(name, bytes, "corpus").unwrap();
            n += a.body.split_whitespace().count();
            body.push_str(&a.body);
            body.push_str("\n\n");
        }
    }
    let mut article = parse_file("long.txt", b"Long\n\nx.", "corpus").unwrap();
    article.body = body;
    article
}

fn analyzer(c: &mut Criterion) {
    let text = long_article(5000).body;
    let mut group = c.benchmark_group("analyzer");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("french", |b| {
        let mut fr = kiosque::lang::analyzer::french();
        b.iter(|| black_box(kiosque::lang::analyzer::terms(&mut fr, black_box(&text)).len()))
    });
    group.finish();
}

fn passages(c: &mut Criterion) {
    let body = long_article(5000).body;
    let mut group = c.benchmark_group("passages");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("split_5000_words", |b| {
        b.iter(|| black_box(kiosque::articles::passage::split(black_box(&body)).len()))
    });
    group.finish();
}

fn ask(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let engine = Engine::open(&corpus_dir, &dir.path().join("index"), Services::default()).unwrap();
    let mut group = c.benchmark_group("ask");
    for q in [
        "Qui dirigeait la délégation militaire malienne ?",
        "A quelle date la délégation militaire est-elle venue en Mauritanie ?",
        "Quel est le PIB de la Mauritanie ?",
    ] {
        group.bench_function(q, |b| {
            b.iter(|| black_box(engine.ask(black_box(q), 3).unwrap()))
        });
    }
    group.finish();
}

fn summary(c: &mut Criterion) {
    let article = long_article(5000);
    c.bench_function("summary_5000_words", |b| {
        b.iter(|| black_box(kiosque::engine::summarize(black_box(&article), 5)))
    });
}

criterion_group!(benches, analyzer, passages, ask, summary);
criterion_main!(benches);
