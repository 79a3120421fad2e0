//! The engine a long-running process shares between tasks: the current index snapshot,
//! swapped atomically after a reindex so questions are answered from the previous index
//! until the new one is committed, and a guard so that one reindex runs at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::corpus::Corpus;
use crate::index::{self, ArticleEntry, BuildReport, IndexError, Snapshot, Store};
use crate::search::{self, Answer, AskError};

#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    #[error("a reindex is already running")]
    Running,
    #[error(transparent)]
    Index(#[from] IndexError),
}

pub struct Engine {
    corpus_dir: PathBuf,
    store: Store,
    current: RwLock<Arc<Snapshot>>,
    reindexing: AtomicBool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("corpus", &self.corpus_dir)
            .field("index", &self.store.root())
            .finish()
    }
}

/// Clears the reindexing flag however the reindex ends.
struct Running<'a>(&'a AtomicBool);
impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Engine {
    /// Opens the index, building or refreshing it first when the corpus changed.
    pub fn open(corpus_dir: &Path, index_dir: &Path) -> Result<Engine, IndexError> {
        let corpus = Corpus::open(corpus_dir)?;
        let store = Store::new(index_dir);
        let (snapshot, _) = index::open_or_build(&corpus, &store, true)?;
        Ok(Engine {
            corpus_dir: corpus_dir.to_path_buf(),
            store,
            current: RwLock::new(Arc::new(snapshot)),
            reindexing: AtomicBool::new(false),
        })
    }

    /// The index questions are answered from now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a writer panicked between two plain assignments: the
        // value inside is still a whole snapshot.
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn ask(&self, question: &str, top: usize) -> Result<Answer, AskError> {
        search::ask(&self.snapshot(), question, top)
    }

    pub fn articles(&self) -> Vec<ArticleEntry> {
        self.snapshot().catalog.articles.clone()
    }

    pub fn corpus_dir(&self) -> &Path {
        &self.corpus_dir
    }

    pub fn is_reindexing(&self) -> bool {
        self.reindexing.load(Ordering::Acquire)
    }

    /// Rebuilds the index when the corpus changed (or always, with `full`) and switches
    /// questions to it. Blocking: run it off the async threads.
    pub fn reindex(
        &self,
        full: bool,
        progress: index::Progress,
    ) -> Result<BuildReport, ReindexError> {
        if self
            .reindexing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ReindexError::Running);
        }
        let _running = Running(&self.reindexing);
        let corpus = Corpus::open(&self.corpus_dir).map_err(IndexError::from)?;
        let (snapshot, report) = match index::refresh(&corpus, &self.store, full, progress) {
            Err(IndexError::Busy(_)) => return Err(ReindexError::Running),
            other => other?,
        };
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(snapshot);
        Ok(report)
    }
}
