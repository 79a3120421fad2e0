//! Watching the corpus directory while the bot runs: after files are added, edited or removed
//! and the directory has been quiet for a moment (so a copy of many files is one reindex, not
//! hundreds), the engine reindexes by itself. Questions are answered throughout.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};

use super::{quiet as no_progress, Engine, ReindexError};

/// Keeps the watch alive; dropping it stops watching.
pub struct CorpusWatcher {
    _watcher: notify::RecommendedWatcher,
}

/// Starts watching the engine's corpus directory; reindexes after `quiet` without changes.
pub fn watch(engine: Arc<Engine>, quiet: Duration) -> Result<CorpusWatcher, notify::Error> {
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    watcher.watch(engine.corpus_dir(), RecursiveMode::Recursive)?;
    std::thread::Builder::new()
        .name("corpus-watch".into())
        .spawn(move || {
            let mut pending = false;
            loop {
                let event = if pending {
                    rx.recv_timeout(quiet)
                } else {
                    rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
                };
                match event {
                    Ok(Ok(e)) => {
                        // reading a file is not a change
                        if !matches!(e.kind, EventKind::Access(_)) {
                            pending = true;
                        }
                    }
                    Ok(Err(e)) => tracing::warn!("watching the corpus: {e}"),
                    Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => match engine.reindex(false, &no_progress) {
                        Ok(report) => {
                            pending = false;
                            if report.rebuilt {
                                tracing::info!(
                                    "the corpus changed: reindexed in {:.2} s ({} added, {} changed, {} removed, {} failed; {} articles)",
                                    report.seconds,
                                    report.added,
                                    report.changed,
                                    report.removed,
                                    report.failed.len(),
                                    report.articles
                                );
                            }
                        }
                        // someone else is reindexing: look again once it is quiet
                        Err(ReindexError::Running) => {}
                        Err(e) => {
                            pending = false;
                            tracing::warn!("automatic reindex failed: {e}");
                        }
                    },
                }
            }
        })
        .map_err(notify::Error::io)?;
    Ok(CorpusWatcher { _watcher: watcher })
}
