//! A poll of 50 feeds with nothing new: every feed answers 304 to the validators of its last
//! answer, so no feed is downloaded again and no page is fetched, and the round takes about
//! the time of its 50 requests. The feeds are served on 50 loopback addresses (50 hosts),
//! against `one conditional request` for the time of a request alone. The fetcher's pace
//! (one request per second per host) is set to zero so that criterion's back-to-back rounds
//! measure the requests, not the politeness.
//!
//! `cargo bench --bench poll`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kiosque::engine::{quiet, Engine, FeedOutcome, Newsroom, Services};
use kiosque::services::fetch::{Allow, HttpFetcher, Limits};
use kiosque::web::{Fetch, Fetched, Validators, Want};

#[path = "../tests/common/site.rs"]
#[allow(dead_code)]
mod site;
use site::{Body, Response, Site};

const FEEDS: usize = 50;

fn feed(base: &str) -> String {
    let items: String = (0..3)
        .map(|i| format!("<item><title>Item {i}</title><link>{base}/a{i}</link><guid>{base}/a{i}</guid></item>"))
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed</title>{items}</channel></rss>")
}

/// A page of its own for each URL (the same text twice would be one article).
fn page(url: &str) -> String {
    let words = "Les pêcheurs de Nouadhibou réclament des quotas de poulpe pour les pirogues artisanales du port. ".repeat(8);
    format!("<html lang=\"fr\"><head><title>Article {url}</title></head><body><article><h1>Article {url}</h1><p>Depuis {url} : {words}</p><p>{words}</p></article></body></html>")
}

fn bench(c: &mut Criterion) {
    let full = Arc::new(AtomicUsize::new(0));
    let sites: Vec<Site> = (0..FEEDS)
        .map(|i| {
            let full = full.clone();
            Site::start_at(&format!("127.0.0.{}", i + 2), move |r| {
                let base = format!("http://{}", r.header("host").unwrap_or(""));
                match r.path.as_str() {
                    "/feed.xml" if r.header("if-none-match") == Some("\"v1\"") => Response {
                        status: 304,
                        headers: vec![("ETag".into(), "\"v1\"".into())],
                        body: Body::Bytes(vec![]),
                    },
                    "/feed.xml" => {
                        full.fetch_add(1, Ordering::Relaxed);
                        Response::new(200, "application/rss+xml", feed(&base))
                            .header("ETag", "\"v1\"")
                    }
                    p if p.starts_with("/a") => Response::html(page(&format!("{base}{p}"))),
                    _ => Response::not_found(),
                }
            })
        })
        .collect();
    let feeds: Vec<String> = sites.iter().map(|s| s.url("/feed.xml")).collect();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("the corpus directory");
    std::fs::write(
        corpus.join("a.txt"),
        "Titre\n\nUn article pour que l'index ne soit pas vide.\n",
    )
    .expect("an article");
    let limits = Limits {
        pace: Duration::ZERO,
        ..Limits::default()
    };
    let fetcher = Arc::new(
        HttpFetcher::with_limits(Allow::parse("127.0.0.0/8").expect("a range"), limits)
            .expect("the fetcher"),
    );
    let list = dir.path().join("feeds.txt");
    std::fs::write(&list, feeds.join("\n") + "\n").expect("the feed list");
    let services = Services {
        news: Some(Newsroom {
            fetch: fetcher.clone(),
            state: dir.path().join("state"),
            feeds: list,
        }),
        ..Services::default()
    };
    let engine = Engine::open(&corpus, &dir.path().join("index"), services).expect("the index");
    // the first round downloads every feed and its pages
    let first = engine.poll(false, &quiet).expect("the first round");
    assert_eq!(
        first.pages.added.len(),
        FEEDS * 3,
        "every item's page is added once"
    );
    let downloads = full.load(Ordering::Relaxed);
    c.bench_function("one conditional request (304)", |b| {
        let v = Validators {
            etag: Some("\"v1\"".into()),
            last_modified: None,
        };
        b.iter(|| {
            assert!(matches!(
                fetcher.fetch(&feeds[0], Want::Feed, &v),
                Ok(Fetched::NotModified)
            ))
        })
    });
    let mut g = c.benchmark_group("poll");
    g.sample_size(20);
    g.bench_function("50 feeds, nothing new (all 304)", |b| {
        b.iter(|| {
            let r = engine.poll(false, &quiet).expect("a round");
            assert!(r.feeds.iter().all(|f| f.status == FeedOutcome::NotModified));
        })
    });
    g.finish();
    assert_eq!(
        full.load(Ordering::Relaxed),
        downloads,
        "no feed was downloaded again after the first round"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
