//! The engine a running bot shares: one reindex at a time, questions answered meanwhile, and
//! the new index used as soon as it is committed.

mod common;

use std::time::{Duration, Instant};

use kiosque::engine::{Answer, Engine, ReindexError, Services};

#[test]
fn one_reindex_at_a_time_and_questions_meanwhile() {
    let ws = common::Workspace::new();
    let engine = Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap();
    assert!(engine.ask("relations fraternelles", 3).unwrap().answered);

    // another build holds the lock (another process, or a reindex in flight)
    let lock = std::fs::File::options()
        .write(true)
        .open(ws.index().join("build.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    ws.write(
        "002_puits.txt",
        "Les puits\n\nLes puits du désert sont à sec.\n".as_bytes(),
    );
    assert!(matches!(
        engine.reindex(false, &kiosque::engine::quiet),
        Err(ReindexError::Running)
    ));
    assert!(
        !engine.is_reindexing(),
        "the flag is cleared after a refusal"
    );
    // questions are still answered, from the index in use
    assert!(engine.ask("relations fraternelles", 3).unwrap().answered);
    assert!(!engine.ask("puits du désert à sec", 3).unwrap().answered);

    drop(lock);
    let report = engine.reindex(false, &kiosque::engine::quiet).unwrap();
    assert_eq!(report.added, 1);
    assert_eq!(report.articles, 3);
    let answer = engine.ask("puits du désert à sec", 3).unwrap();
    assert_eq!(
        answer.hits[0].article.id, "002_puits",
        "the new index answers at once"
    );

    // two reindexes at once from two threads: one runs, the other is told
    std::thread::scope(|s| {
        let a = s.spawn(|| engine.reindex(true, &kiosque::engine::quiet));
        let b = s.spawn(|| engine.reindex(true, &kiosque::engine::quiet));
        let results = [a.join().unwrap(), b.join().unwrap()];
        assert!(results.iter().any(|r| r.is_ok()));
        for r in &results {
            assert!(matches!(r, Ok(_) | Err(ReindexError::Running)), "{r:?}");
        }
    });
}

#[test]
fn the_watcher_reindexes_after_changes() {
    let ws = common::Workspace::new();
    let engine =
        std::sync::Arc::new(Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap());
    let _watch = kiosque::engine::watch(engine.clone(), Duration::from_millis(300)).unwrap();
    ws.write(
        "002_caravane.txt",
        "La caravane\n\nLa caravane de sel arrive à Tombouctou.\n".as_bytes(),
    );
    asks_until(&engine, "the new article was never indexed", |answer| {
        answer.answered && answer.hits[0].article.id == "002_caravane"
    });
    // a removal too
    std::fs::remove_file(ws.corpus().join("002_caravane.txt")).unwrap();
    asks_until(&engine, "the removed article stays", |answer| {
        !answer.answered
    });
}

/// Asks about the caravan until `done` holds of the answer, as the watcher reindexes in a
/// thread of its own after 300 ms without changes; fails saying `what` after 20 s.
fn asks_until(engine: &Engine, what: &str, done: impl Fn(&Answer) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(&engine.ask("caravane de sel Tombouctou", 3).unwrap()) {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
