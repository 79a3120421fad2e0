//! The engine, and the one door to it: [`Engine`]. The terminal, the benchmark and the
//! Discord bot call only its methods — ask, summary, topic, articles, reindex, embed, and
//! with the `web` feature add, poll and the feed list — and never open the index, the
//! catalog, the corpus or the news state themselves. Outside services (the bilingual
//! dictionary, the thesaurus, the embedding server, the reader, the fetcher of news) are
//! values handed to it when it is built, in [`Services`].
//!
//! A long-running process shares one engine between tasks: it holds the current index
//! snapshot, swapped atomically after a reindex (or when new passage vectors arrive) so
//! questions are answered from the previous one until the new one is whole, and a guard so
//! that one reindex runs at a time.
//!
//! Inside, one folder a part; an arrow is a `use` between them, and there is no cycle:
//! - `index/`: the schema, the catalog, the change plan, the generation store, the build,
//!   the snapshot of a generation, and its passages embedded (→ `meaning`);
//! - `meaning/`: the embedder and reader traits and the passage vectors (uses only `lease`);
//! - `ask/`: the question pipeline (→ `index`, `meaning`);
//! - `summary/`: summaries of an article and of a topic (→ `ask`, `index`);
//! - `news/` (`web` feature): articles fetched from the web into the corpus, and the feeds
//!   (→ this module's `Engine`);
//! - `watch`: the corpus watched for changes (→ this module's `Engine`);
//! - `generation`: the current generation as files, and a copied one adopted, for machines
//!   that share generations (→ `index`, this module's `Engine`);
//! - `lease`: the one lock scheme (builds, a vector cache's writes, the news state), used by
//!   `index`, `meaning` and `news`; it uses nothing.

pub(crate) mod ask;
mod generation;
pub(crate) mod index;
mod lease;
pub(crate) mod meaning;
#[cfg(feature = "web")]
pub(crate) mod news;
pub(crate) mod summary;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;

pub use ask::{
    clean_question, Answer, AskError, Explain, Explained, Hit, QuestionError, Translated,
    MAX_QUESTION_CHARS, MAX_TOP,
};
pub use generation::{
    content_hash, corpus_in_catalog, generation_dir, install, CorpusFile, Generation, VectorFile,
};
pub use index::snapshot::Files as GenerationFiles;
pub use index::{quiet, BuildReport, EmbedReport, IndexError, Progress};
pub use meaning::vectors::bench_vector_search;
pub use meaning::{EmbedError, Embedder, Kind, Reader, RerankError, Style};
#[cfg(feature = "web")]
pub use news::{
    AddError, AddReport, FeedInfo, FeedListError, FeedOutcome, FeedRecord, FeedStatus, Newsroom,
    NotSaved, Origin, PollReport, Saved,
};
pub use summary::{
    extract as summarize, Summary, SummaryError, SummarySentence, TopicSentence, TopicSummary,
};
pub use watch::{watch, CorpusWatcher};

use crate::articles::{Article, ArticleRef, Corpus};
use crate::lang::{Dictionary, Lang, Thesaurus};
use index::semantic;
use index::snapshot::Snapshot;
use index::store::{self, Opened, Store};

/// The outside services the engine uses, handed to it when it is built.
#[derive(Debug, Clone, Default)]
pub struct Services {
    /// FreeDict's bilingual dictionary: questions in another language than some articles are
    /// translated for them. None: questions are searched as written.
    pub dictionary: Option<Arc<Dictionary>>,
    /// The French thesaurus: question words also find their synonyms. None: only the words
    /// themselves and their derived forms.
    pub thesaurus: Option<Arc<Thesaurus>>,
    /// The embedding server: passages are also found by meaning. None: words only.
    pub embedder: Option<Arc<dyn Embedder>>,
    /// A reading model (a cross-encoder behind the `/rerank` API): it reorders the scorer's
    /// best candidates. None: not read.
    pub reader: Option<Arc<dyn Reader>>,
    /// Where news come from (the fetcher of web pages and feeds) and where what is known of
    /// them is kept. None: `add`, `poll` and the feed list say so.
    #[cfg(feature = "web")]
    pub news: Option<Newsroom>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    #[error("a reindex is already running")]
    Running,
    #[error("this index is a copy of the writer's: the writer reindexes (kiosque writer, which follows its corpus)")]
    Replica,
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// An article of the list: how it is named, and what the list says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub article: ArticleRef,
    pub author: Option<String>,
    pub lang: Lang,
    /// Its passages in the index.
    pub passages: u32,
    /// Its file, relative to the corpus directory, and the file's size in bytes.
    pub path: String,
    pub bytes: u64,
}

impl Listed {
    fn of(entry: &index::ArticleEntry) -> Listed {
        Listed {
            article: entry.reference(),
            author: entry.author.clone(),
            lang: entry.lang,
            passages: entry.passages,
            path: entry.path.clone(),
            bytes: entry.size,
        }
    }
}

/// One page of the article list.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticlePage {
    /// The articles of this page, in path order.
    pub articles: Vec<Listed>,
    /// This page, 1-based: the last one when a later one was asked.
    pub page: usize,
    pub pages: usize,
    /// Articles and passages in the whole index.
    pub total: usize,
    pub passages: u64,
}

pub struct Engine {
    corpus_dir: PathBuf,
    store: Store,
    current: RwLock<Arc<Snapshot>>,
    reindexing: AtomicBool,
    services: Services,
    /// Whether passages are being embedded (one run at a time).
    embedding: AtomicBool,
    /// The snapshot whose passages were last embedded without failure (held weakly): a
    /// newer one needs embedding.
    embedded_for: std::sync::Mutex<std::sync::Weak<Snapshot>>,
    /// Whether the last question could not be embedded: an outage is logged once, when it
    /// starts, and once when it ends.
    meaning_down: AtomicBool,
    /// Whether its generations come from a writer on another machine ([`Engine::open_built`]):
    /// it never builds one of its own.
    replica: bool,
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
    /// Opens the index of `corpus_dir` in `index_dir`, building it when there is none, or
    /// refreshing it first when the corpus changed since (said in the log).
    pub fn open(
        corpus_dir: &Path,
        index_dir: &Path,
        services: Services,
    ) -> Result<Engine, IndexError> {
        let corpus = Corpus::open(corpus_dir)?;
        let store = Store::new(index_dir);
        let (snapshot, opened) = store::open_or_build(&corpus, &store, true)?;
        if let Opened::Built(report) = &opened {
            let first = report.added == report.articles && report.unchanged + report.changed == 0;
            tracing::info!(
                "{} in {:.2} s ({} articles, {} passages, {} failed)",
                if first {
                    "no index yet: built it"
                } else {
                    "the corpus changed: index refreshed"
                },
                report.seconds,
                report.articles,
                report.passages,
                report.failed.len()
            );
            for f in &report.failed {
                tracing::warn!("not indexed: {}: {}", f.path, f.reason);
            }
        }
        Ok(Engine::with(corpus_dir, store, snapshot, services))
    }

    fn with(corpus_dir: &Path, store: Store, snapshot: Snapshot, services: Services) -> Engine {
        let mut engine = Engine {
            corpus_dir: corpus_dir.to_path_buf(),
            store,
            current: RwLock::new(Arc::new(snapshot)),
            reindexing: AtomicBool::new(false),
            services,
            embedding: AtomicBool::new(false),
            embedded_for: std::sync::Mutex::new(std::sync::Weak::new()),
            meaning_down: AtomicBool::new(false),
            replica: false,
        };
        let snapshot = engine.with_cached_vectors(&engine.snapshot());
        engine.current = RwLock::new(Arc::new(snapshot));
        engine
    }

    /// Where passage vectors are cached, beside the index's generations.
    fn vector_dir(&self) -> PathBuf {
        self.store.root().join("vectors")
    }

    /// The snapshot with the vectors the cache has for its passages (without any when no
    /// embedding server is set).
    fn with_cached_vectors(&self, snapshot: &Snapshot) -> Snapshot {
        let set = self
            .services
            .embedder
            .as_ref()
            .and_then(|e| semantic::cached(snapshot, &self.vector_dir(), e.as_ref()));
        snapshot.with_vectors(set)
    }

    /// Whether questions are also searched by meaning (an embedding server is set).
    pub fn has_embedder(&self) -> bool {
        self.services.embedder.is_some()
    }

    /// Embeds the passages of the current index the vector cache lacks, reporting progress
    /// (texts embedded, texts to embed), and lets questions use them. None when no embedding
    /// server is set, or when this process is already embedding. Blocking: run it off the
    /// async threads. A server failure leaves the passages it could not embed to the words
    /// alone, said in the report.
    pub fn embed(&self, progress: Progress) -> Option<EmbedReport> {
        let embedder = self.services.embedder.as_ref()?;
        if self
            .embedding
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return None;
        }
        let _running = Running(&self.embedding);
        let snapshot = self.snapshot();
        // every passage got its vector from the cache when the index opened: nothing to read
        // or ask again
        let passages = snapshot.catalog.passages as usize;
        if let Some(set) = snapshot.vectors().filter(|s| s.len() == passages) {
            *self.embedded_for.lock().unwrap_or_else(|p| p.into_inner()) =
                Arc::downgrade(&snapshot);
            return Some(EmbedReport {
                passages,
                with_vectors: set.len(),
                ..EmbedReport::default()
            });
        }
        let (set, report) =
            semantic::embed_all(&snapshot, &self.vector_dir(), embedder.as_ref(), progress);
        let embedded = Arc::new(snapshot.with_vectors(set));
        {
            let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
            // a reindex that finished meanwhile took the cache's vectors when it opened:
            // its snapshot stays, and is embedded next time
            if Arc::ptr_eq(&current, &snapshot) {
                *current = Arc::clone(&embedded);
            }
        }
        if report.failed.is_none() {
            *self.embedded_for.lock().unwrap_or_else(|p| p.into_inner()) =
                Arc::downgrade(&embedded);
        }
        Some(report)
    }

    /// Whether the current index has passages to embed: an embedding server is set and the
    /// current index was not embedded in full since it was opened.
    pub fn needs_embedding(&self) -> bool {
        let done = self
            .embedded_for
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.services.embedder.is_some()
            && !std::sync::Weak::ptr_eq(&done, &Arc::downgrade(&self.snapshot()))
    }

    /// Opens the index of `corpus_dir` in `index_dir` for `kiosque index`: brings it up to
    /// date (everything rebuilt with `full`), reporting progress, and says what it did.
    pub fn build(
        corpus_dir: &Path,
        index_dir: &Path,
        services: Services,
        full: bool,
        progress: Progress,
    ) -> Result<(Engine, BuildReport), ReindexError> {
        let corpus = Corpus::open(corpus_dir).map_err(IndexError::from)?;
        let store = Store::new(index_dir);
        // another build running is said as the index says it: which directory is busy
        let (snapshot, report) = store::refresh(&corpus, &store, full, progress)?;
        Ok((Engine::with(corpus_dir, store, snapshot, services), report))
    }

    /// The index questions are answered from now.
    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a writer panicked between two plain assignments: the
        // value inside is still a whole snapshot.
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Answers a question with at most `top` passages (1 to [`MAX_TOP`]).
    pub fn ask(&self, question: &str, top: usize) -> Result<Answer, AskError> {
        self.ask_with(question, top, None, Explain::No)
    }

    /// [`Engine::ask`], the answer carrying its best candidates and their signals whatever
    /// was decided (for `scripts/dev-eval.py`, which fits the decision's thresholds).
    pub fn ask_explained(&self, question: &str, top: usize) -> Result<Answer, AskError> {
        self.ask_with(question, top, None, Explain::Yes)
    }

    /// [`Engine::ask`] for a question the caller knows to be in `lang`.
    pub fn ask_in(&self, question: &str, top: usize, lang: Lang) -> Result<Answer, AskError> {
        self.ask_with(question, top, Some(lang), Explain::No)
    }

    fn ask_with(
        &self,
        question: &str,
        top: usize,
        lang: Option<Lang>,
        explain: Explain,
    ) -> Result<Answer, AskError> {
        let snapshot = self.snapshot();
        let nearest = self.nearest(&snapshot, question);
        ask::ask(
            &snapshot,
            &self.services,
            question,
            top,
            lang,
            explain,
            nearest,
        )
    }

    /// The passages closest to the question by meaning, when the embedding server is set,
    /// the passages have vectors, and the server answers within its budget; otherwise none,
    /// and the question is answered from its words (an outage is logged when it starts and
    /// when it ends, not at every question).
    fn nearest(
        &self,
        snapshot: &Snapshot,
        question: &str,
    ) -> Option<Vec<(tantivy::DocAddress, f32)>> {
        let embedder = self.services.embedder.as_ref()?;
        let set = snapshot.vectors()?;
        let text = clean_question(question).ok()?;
        match semantic::nearest(&set, embedder.as_ref(), &text) {
            Ok(found) => {
                if self.meaning_down.swap(false, Ordering::AcqRel) {
                    tracing::info!(
                        "the embedding server answers again: questions are searched by meaning too"
                    );
                }
                Some(found)
            }
            Err(e) => {
                if !self.meaning_down.swap(true, Ordering::AcqRel) {
                    tracing::warn!("questions are answered from their words alone until the embedding server answers: {e}");
                }
                None
            }
        }
    }

    /// The summary of an article named by its id, its title, or an unambiguous prefix of
    /// either (case and accents ignored), in `n` sentences.
    pub fn summary(&self, name: &str, n: usize) -> Result<Summary, SummaryError> {
        let snapshot = self.snapshot();
        let entry = summary::find(&snapshot.catalog.articles, name)?;
        let corpus = Corpus::open(&self.corpus_dir)
            .map_err(|e| SummaryError::Unreadable(entry.id.clone(), e.to_string()))?;
        summary::summary(&corpus, entry, n)
    }

    /// The `n` best sentences about a topic across the articles, each with its article.
    pub fn topic(&self, question: &str, n: usize) -> Result<TopicSummary, AskError> {
        let snapshot = self.snapshot();
        let nearest = self.nearest(&snapshot, question);
        let answer = ask::ask(
            &snapshot,
            &self.services,
            question,
            MAX_TOP,
            None,
            Explain::No,
            nearest,
        )?;
        let sentences = match Corpus::open(&self.corpus_dir) {
            Ok(corpus) => summary::topic(&answer, |id| snapshot.entry(id), &corpus, n),
            Err(e) => {
                tracing::warn!("topic summary: {e}");
                TopicSummary {
                    topic: answer.question.clone(),
                    sentences: vec![],
                }
            }
        };
        Ok(sentences)
    }

    /// Page `page` (1-based; past the end, the last) of the indexed articles, `per_page` a
    /// page. Only that page's entries are copied.
    pub fn articles(&self, page: usize, per_page: usize) -> ArticlePage {
        let snapshot = self.snapshot();
        let all = &snapshot.catalog.articles;
        let per_page = per_page.max(1);
        let pages = all.len().div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        ArticlePage {
            articles: all
                .iter()
                .skip((page - 1).saturating_mul(per_page))
                .take(per_page)
                .map(Listed::of)
                .collect(),
            page,
            pages,
            total: all.len(),
            passages: snapshot.catalog.passages,
        }
    }

    /// Articles whose title or id contains `partial` (case and accents ignored), at most
    /// `max`, as (title, id).
    pub fn complete_article(&self, partial: &str, max: usize) -> Vec<(String, String)> {
        self.snapshot().complete(partial, max)
    }

    /// An indexed article read back from the corpus, by its exact id.
    pub fn article(&self, id: &str) -> Result<Article, SummaryError> {
        let snapshot = self.snapshot();
        let entry = snapshot.entry(id).ok_or_else(|| SummaryError::NotFound {
            name: id.to_string(),
            closest: vec![],
        })?;
        let corpus = Corpus::open(&self.corpus_dir)
            .map_err(|e| SummaryError::Unreadable(id.to_string(), e.to_string()))?;
        summary::read(&corpus, entry)
    }

    /// The floor a question cannot beat, for the benchmark: the question through tantivy's
    /// own lenient query parser, a BM25 top 10 over the French passage text, no second pass
    /// and no highlights. Returns how many passages it found.
    pub fn baseline(&self, question: &str) -> Result<usize, AskError> {
        let snapshot = self.snapshot();
        let parser = QueryParser::for_index(&snapshot.index, vec![snapshot.fields.text_fr]);
        let (query, _) = parser.parse_query_lenient(question);
        let found = snapshot
            .reader
            .searcher()
            .search(&query, &TopDocs::with_limit(10).order_by_score())?;
        Ok(found.len())
    }

    pub fn corpus_dir(&self) -> &Path {
        &self.corpus_dir
    }

    pub fn is_reindexing(&self) -> bool {
        self.reindexing.load(Ordering::Acquire)
    }

    /// Rebuilds the index when the corpus changed (or always, with `full`) and switches
    /// questions to it. Blocking: run it off the async threads.
    pub fn reindex(&self, full: bool, progress: Progress) -> Result<BuildReport, ReindexError> {
        if self.replica {
            return Err(ReindexError::Replica);
        }
        if self
            .reindexing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(ReindexError::Running);
        }
        let _running = Running(&self.reindexing);
        let corpus = Corpus::open(&self.corpus_dir).map_err(IndexError::from)?;
        let (snapshot, report) = match store::refresh(&corpus, &self.store, full, progress) {
            Err(IndexError::Busy(_)) => return Err(ReindexError::Running),
            other => other?,
        };
        // questions keep their meaning for the passages whose vectors are cached; the
        // others wait for Engine::embed
        let snapshot = self.with_cached_vectors(&snapshot);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(snapshot);
        Ok(report)
    }
}
