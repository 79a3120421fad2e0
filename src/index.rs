//! The passage index on disk: its schema, how it is built from the corpus, and how it is
//! opened. Each build writes a new generation directory and switches the `CURRENT` pointer to
//! it only after tantivy's commit and the catalog are on disk, so a failed or killed build
//! never leaves a broken index; an index that cannot be opened falls back to the previous
//! generation, or is rebuilt. The catalog beside each generation lists the articles with
//! their content hashes, which is how a changed corpus is noticed.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::analyzer;
use crate::corpus::{Corpus, CorpusError, Failure, FileStamp, Lang, Listing};
use crate::cues;
use crate::passage;

/// Bumped whenever the schema, the analyzers or the passage rules change: an index of another
/// version is rebuilt.
pub const FORMAT_VERSION: u32 = 3;
const CATALOG: &str = "catalog.json";
const CURRENT: &str = "CURRENT";
const LOCK: &str = "build.lock";
/// The flags fast field holds the cue bits and, at this bit, whether the passage is English.
pub const ENGLISH_FLAG: u64 = 1 << 8;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("index directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the index in {0} cannot be used: {1}")]
    Unusable(PathBuf, String),
    #[error("the index in {0} was built by another version of kiosque")]
    Outdated(PathBuf),
    #[error("another build of the index in {0} is running")]
    Busy(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The schema's fields, kept typed.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub article: Field,
    pub paragraph: Field,
    pub title: Field,
    pub source: Field,
    pub passage: Field,
    pub text_fr: Field,
    pub text_en: Field,
    pub title_fr: Field,
    pub title_en: Field,
    pub flags: Field,
}

impl Fields {
    pub fn text(&self, lang: Lang) -> Field {
        match lang {
            Lang::Fr => self.text_fr,
            Lang::En => self.text_en,
        }
    }

    pub fn title_terms(&self, lang: Lang) -> Field {
        match lang {
            Lang::Fr => self.title_fr,
            Lang::En => self.title_en,
        }
    }
}

/// Builds the schema: one document per passage.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        article: b.add_text_field("article", STRING | STORED),
        paragraph: b.add_u64_field("paragraph", NumericOptions::default().set_stored()),
        title: b.add_text_field("title", STORED),
        source: b.add_text_field("source", STORED),
        passage: b.add_text_field("passage", STORED),
        text_fr: b.add_text_field("text_fr", analysed(analyzer::FRENCH)),
        text_en: b.add_text_field("text_en", analysed(analyzer::ENGLISH)),
        title_fr: b.add_text_field("title_fr", analysed(analyzer::FRENCH)),
        title_en: b.add_text_field("title_en", analysed(analyzer::ENGLISH)),
        flags: b.add_u64_field("flags", NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

/// An indexed article, as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleEntry {
    pub id: String,
    /// Relative to the corpus directory.
    pub path: String,
    pub title: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub lang: Lang,
    pub passages: u32,
    pub size: u64,
    pub mtime_ns: u128,
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoding: Option<String>,
}

/// A file the last build could not index, kept with its stamp so that it does not look like
/// a change at every question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedEntry {
    pub path: String,
    pub reason: String,
    pub size: u64,
    pub mtime_ns: u128,
}

/// What a generation holds besides tantivy's files.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub version: u32,
    pub built_unix: u64,
    pub articles: Vec<ArticleEntry>,
    pub failed: Vec<FailedEntry>,
    pub skipped: Vec<String>,
    pub passages: u64,
}

impl Catalog {
    pub fn has_english(&self) -> bool {
        self.articles.iter().any(|a| a.lang == Lang::En)
    }
}

/// An open generation of the index: searchable and immutable.
pub struct Snapshot {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub catalog: Arc<Catalog>,
    pub dir: PathBuf,
    /// Whether any article is English: questions are then analysed in English too.
    pub has_english: bool,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("dir", &self.dir)
            .field("articles", &self.catalog.articles.len())
            .field("passages", &self.catalog.passages)
            .finish()
    }
}

impl Snapshot {
    /// Opens one generation directory.
    pub fn open(dir: &Path) -> Result<Snapshot, IndexError> {
        let unusable = |why: String| IndexError::Unusable(dir.to_path_buf(), why);
        let bytes = fs::read(dir.join(CATALOG)).map_err(|e| unusable(format!("catalog: {e}")))?;
        let catalog: Catalog =
            serde_json::from_slice(&bytes).map_err(|e| unusable(format!("catalog: {e}")))?;
        if catalog.version != FORMAT_VERSION {
            return Err(IndexError::Outdated(dir.to_path_buf()));
        }
        let index = Index::open_in_dir(dir).map_err(|e| unusable(e.to_string()))?;
        analyzer::register(&index);
        let (expected, fields) = schema();
        if index.schema() != expected {
            return Err(unusable("schema differs".to_string()));
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| unusable(e.to_string()))?;
        let searcher = reader.searcher();
        if searcher.num_docs() != catalog.passages {
            return Err(unusable(format!(
                "{} passages in the index, {} in the catalog",
                searcher.num_docs(),
                catalog.passages
            )));
        }
        // Read every segment's stored data once: a truncated file fails here, not mid-answer.
        for segment in searcher.segment_readers() {
            segment
                .get_store_reader(1)
                .map_err(|e| unusable(e.to_string()))?;
            segment
                .fast_fields()
                .u64("flags")
                .map_err(|e| unusable(e.to_string()))?;
        }
        Ok(Snapshot {
            index,
            reader,
            fields,
            has_english: catalog.has_english(),
            catalog: Arc::new(catalog),
            dir: dir.to_path_buf(),
        })
    }
}

/// What a build did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    pub articles: usize,
    pub passages: u64,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub failed: Vec<Failure>,
    pub skipped: Vec<String>,
    /// Articles read in another encoding than plain UTF-8: path and encoding.
    pub decoded: Vec<Failure>,
    pub seconds: f64,
    /// Whether a new index was written (false when it was up to date).
    pub rebuilt: bool,
}

/// How the corpus differs from a catalog.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Failed files that appeared, changed or went away.
    pub failures_changed: bool,
}

impl Changes {
    pub fn any(&self) -> bool {
        self.added + self.changed + self.removed > 0 || self.failures_changed
    }
}

/// The content hash kept for each article.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Compares the corpus listing with a catalog: by size and modification time first, and by
/// content hash for files whose stamp moved (a touched file is not a change).
pub fn changes(corpus: &Corpus, listing: &Listing, catalog: &Catalog) -> Changes {
    let known: HashMap<&str, &ArticleEntry> = catalog
        .articles
        .iter()
        .map(|a| (a.path.as_str(), a))
        .collect();
    let known_failed: HashMap<&str, &FailedEntry> = catalog
        .failed
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut c = Changes::default();
    let mut seen = 0;
    let mut seen_failed = 0;
    for stamp in &listing.files {
        if let Some(entry) = known.get(stamp.path.as_str()) {
            seen += 1;
            if entry.size == stamp.size && entry.mtime_ns == stamp.mtime_ns {
                c.unchanged += 1;
                continue;
            }
            match fs::read(corpus.path_of(&stamp.path)) {
                Ok(bytes) if content_hash(&bytes) == entry.hash => c.unchanged += 1,
                _ => c.changed += 1,
            }
        } else if let Some(f) = known_failed.get(stamp.path.as_str()) {
            seen_failed += 1;
            if f.size != stamp.size || f.mtime_ns != stamp.mtime_ns {
                c.failures_changed = true;
            }
        } else {
            c.added += 1;
        }
    }
    for (stamp, _) in &listing.failed {
        if known_failed.contains_key(stamp.path.as_str()) {
            seen_failed += 1;
        } else if let Some(_entry) = known.get(stamp.path.as_str()) {
            seen += 1;
            c.changed += 1; // an article that became unreadable
        } else {
            c.failures_changed = true;
        }
    }
    c.removed = known.len().saturating_sub(seen);
    if seen_failed != known_failed.len() {
        c.failures_changed = true;
    }
    c
}

/// The index directory: generations, the pointer to the current one, and the build lock.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: &Path) -> Store {
        Store {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The generation `CURRENT` names, if any.
    fn current(&self) -> Option<PathBuf> {
        let name = fs::read_to_string(self.root.join(CURRENT)).ok()?;
        let name = name.trim();
        if name.starts_with("gen-") && !name.contains(['/', '\\']) {
            Some(self.root.join(name))
        } else {
            None
        }
    }

    /// All generation directories, newest first.
    fn generations(&self) -> Vec<PathBuf> {
        let mut gens: Vec<PathBuf> = fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_dir()
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("gen-"))
            })
            .collect();
        gens.sort();
        gens.reverse();
        gens
    }

    /// Opens the current generation; when it cannot be used, the newest one that can, with a
    /// warning. `None` when there is no usable index.
    pub fn open(&self) -> Option<Snapshot> {
        let current = self.current();
        if let Some(dir) = &current {
            match Snapshot::open(dir) {
                Ok(s) => return Some(s),
                Err(IndexError::Outdated(_)) => {
                    tracing::info!(
                        "the index was built by another version of kiosque: rebuilding it"
                    );
                    return None;
                }
                Err(e) => tracing::warn!("{e}; trying an earlier index"),
            }
        } else if self.root.join(CURRENT).exists() {
            tracing::warn!("{} is unreadable; trying an earlier index", CURRENT);
        }
        for dir in self.generations() {
            if Some(&dir) == current.as_ref() {
                continue;
            }
            match Snapshot::open(&dir) {
                Ok(s) => {
                    tracing::warn!("using the earlier index {}", dir.display());
                    return Some(s);
                }
                Err(e) => tracing::warn!("{e}"),
            }
        }
        None
    }

    /// Takes the build lock, or says that another build holds it. The lock goes with the
    /// process, so a killed build does not leave it behind.
    pub fn lock(&self) -> Result<File, IndexError> {
        fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;
        let path = self.root.join(LOCK);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(IndexError::Busy(self.root.clone())),
            Err(std::fs::TryLockError::Error(e)) => Err(io_err(&path)(e)),
        }
    }

    /// Builds a new generation from the whole corpus and makes it current. The caller holds
    /// the lock. `previous` is the catalog the report compares with.
    pub fn build(
        &self,
        corpus: &Corpus,
        previous: Option<&Catalog>,
        _lock: &File,
    ) -> Result<(Snapshot, BuildReport), IndexError> {
        let started = Instant::now();
        let listing = corpus.list()?;
        let mut report = BuildReport {
            skipped: listing.skipped.clone(),
            ..Default::default()
        };
        if let Some(prev) = previous {
            let c = changes(corpus, &listing, prev);
            report.added = c.added;
            report.changed = c.changed;
            report.removed = c.removed;
            report.unchanged = c.unchanged;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = self
            .root
            .join(format!("tmp-{}-{nanos}", std::process::id()));
        let result = self.write_generation(corpus, &listing, &tmp, &mut report);
        let catalog = match result {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        if previous.is_none() {
            report.added = catalog.articles.len();
        }
        let gen = self.root.join(format!("gen-{nanos:032}"));
        fs::rename(&tmp, &gen).map_err(io_err(&gen))?;
        self.point_to(&gen)?;
        self.clean(&gen);
        let snapshot = Snapshot::open(&gen)?;
        report.articles = catalog.articles.len();
        report.passages = catalog.passages;
        report.rebuilt = true;
        report.seconds = started.elapsed().as_secs_f64();
        Ok((snapshot, report))
    }

    fn write_generation(
        &self,
        corpus: &Corpus,
        listing: &Listing,
        dir: &Path,
        report: &mut BuildReport,
    ) -> Result<Catalog, IndexError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let (schema, f) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        analyzer::register(&index);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut writer = index.writer_with_num_threads(threads, 64_000_000 * threads)?;
        let mut catalog = Catalog {
            version: FORMAT_VERSION,
            built_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            skipped: listing.skipped.clone(),
            ..Default::default()
        };
        let mut ids: HashMap<String, String> = HashMap::new();
        for (stamp, failure) in &listing.failed {
            catalog
                .failed
                .push(failed_entry(stamp, failure.reason.clone()));
        }
        for stamp in &listing.files {
            let (bytes, article) = match corpus.read(stamp) {
                Ok(x) => x,
                Err(failure) => {
                    tracing::warn!("{}: {}", failure.path, failure.reason);
                    catalog.failed.push(failed_entry(stamp, failure.reason));
                    continue;
                }
            };
            if let Some(first) = ids.get(&article.id) {
                let reason = format!("same article id as {first}");
                tracing::warn!("{}: {reason}", stamp.path);
                catalog.failed.push(failed_entry(stamp, reason));
                continue;
            }
            ids.insert(article.id.clone(), stamp.path.clone());
            let passages = passage::split(&article.body);
            if passages.is_empty() {
                catalog.failed.push(failed_entry(stamp, "no text".into()));
                continue;
            }
            for p in &passages {
                let mut doc = TantivyDocument::default();
                doc.add_text(f.article, &article.id);
                doc.add_u64(f.paragraph, p.paragraph as u64);
                doc.add_text(f.title, &article.title);
                doc.add_text(f.source, &article.source);
                doc.add_text(f.passage, &p.text);
                doc.add_text(f.text(article.lang), &p.text);
                doc.add_text(f.title_terms(article.lang), &article.title);
                let mut flags = cues::cues(&p.text).0;
                if article.lang == Lang::En {
                    flags |= ENGLISH_FLAG;
                }
                doc.add_u64(f.flags, flags);
                writer.add_document(doc)?;
            }
            if let Some(d) = article.decoding {
                report.decoded.push(Failure {
                    path: stamp.path.clone(),
                    reason: d.to_string(),
                });
            }
            catalog.passages += passages.len() as u64;
            catalog.articles.push(ArticleEntry {
                id: article.id,
                path: stamp.path.clone(),
                title: article.title,
                source: article.source,
                url: article.url,
                date: article.date,
                author: article.author,
                lang: article.lang,
                passages: passages.len() as u32,
                size: bytes.len() as u64,
                mtime_ns: stamp.mtime_ns,
                hash: content_hash(&bytes),
                decoding: article.decoding.map(str::to_string),
            });
        }
        writer.commit()?;
        // One segment answers faster than several: every question opens each segment's
        // postings. The index is read far more often than it is written.
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        catalog.failed.sort_by(|a, b| a.path.cmp(&b.path));
        report.failed = catalog
            .failed
            .iter()
            .map(|f| Failure {
                path: f.path.clone(),
                reason: f.reason.clone(),
            })
            .collect();
        let path = dir.join(CATALOG);
        let json = serde_json::to_vec(&catalog).map_err(|e| IndexError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        write_synced(&path, &json)?;
        sync_dir(dir);
        Ok(catalog)
    }

    /// Points `CURRENT` at a generation: write a temporary file, sync, rename over.
    fn point_to(&self, gen: &Path) -> Result<(), IndexError> {
        let name = gen
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = self.root.join(format!("{CURRENT}.tmp"));
        write_synced(&tmp, format!("{name}\n").as_bytes())?;
        let current = self.root.join(CURRENT);
        fs::rename(&tmp, &current).map_err(io_err(&current))?;
        sync_dir(&self.root);
        Ok(())
    }

    /// Removes what builds left: generations older than the one before `keep`, and
    /// temporary directories of builds that died (the lock is held, so none is running).
    fn clean(&self, keep: &Path) {
        for (i, dir) in self.generations().into_iter().enumerate() {
            if dir != keep && i >= 2 {
                if let Err(e) = fs::remove_dir_all(&dir) {
                    tracing::warn!("cannot remove the old index {}: {e}", dir.display());
                }
            }
        }
        for entry in fs::read_dir(&self.root).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("tmp-") {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn failed_entry(stamp: &FileStamp, reason: String) -> FailedEntry {
    FailedEntry {
        path: stamp.path.clone(),
        reason,
        size: stamp.size,
        mtime_ns: stamp.mtime_ns,
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let mut file = File::create(path).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// How [`open_or_build`] got its index.
#[derive(Debug)]
pub enum Opened {
    /// The index was up to date.
    Fresh,
    /// It was built or refreshed.
    Built(BuildReport),
    /// The corpus changed but another process is building: the index in use is the last one.
    Stale,
}

/// Opens the index in `store`, building it when there is none or it is not usable, and
/// refreshing it first when `refresh` is set and the corpus changed since it was built.
pub fn open_or_build(
    corpus: &Corpus,
    store: &Store,
    refresh: bool,
) -> Result<(Snapshot, Opened), IndexError> {
    let existing = match store.open() {
        Some(s) if !refresh => return Ok((s, Opened::Fresh)),
        Some(s) => {
            if !changes(corpus, &corpus.list()?, &s.catalog).any() {
                return Ok((s, Opened::Fresh));
            }
            Some(s)
        }
        None => None,
    };
    let lock = match store.lock() {
        Ok(lock) => lock,
        Err(IndexError::Busy(dir)) => {
            return match existing {
                Some(s) => {
                    tracing::warn!("an index build is running; answering from the last index");
                    Ok((s, Opened::Stale))
                }
                None => Err(IndexError::Busy(dir)),
            };
        }
        Err(e) => return Err(e),
    };
    drop(existing);
    // Another process may have built while we looked: look again, under the lock.
    let previous = store.open();
    if let Some(s) = previous {
        if !changes(corpus, &corpus.list()?, &s.catalog).any() {
            return Ok((s, Opened::Fresh));
        }
        let (snapshot, report) = store.build(corpus, Some(&s.catalog), &lock)?;
        return Ok((snapshot, Opened::Built(report)));
    }
    let (snapshot, report) = store.build(corpus, None, &lock)?;
    Ok((snapshot, Opened::Built(report)))
}

/// Builds the index when the corpus changed since the last build (or always, with `full`),
/// holding the build lock; says so when another build holds it.
pub fn refresh(
    corpus: &Corpus,
    store: &Store,
    full: bool,
) -> Result<(Snapshot, BuildReport), IndexError> {
    let started = Instant::now();
    let lock = store.lock()?;
    let previous = match store.open() {
        Some(s) if !full => {
            let listing = corpus.list()?;
            let c = changes(corpus, &listing, &s.catalog);
            if !c.any() {
                let report = BuildReport {
                    articles: s.catalog.articles.len(),
                    passages: s.catalog.passages,
                    unchanged: c.unchanged,
                    failed: s
                        .catalog
                        .failed
                        .iter()
                        .map(|f| Failure {
                            path: f.path.clone(),
                            reason: f.reason.clone(),
                        })
                        .collect(),
                    skipped: listing.skipped,
                    seconds: started.elapsed().as_secs_f64(),
                    ..Default::default()
                };
                return Ok((s, report));
            }
            Some(s)
        }
        other => other,
    };
    store.build(corpus, previous.as_ref().map(|s| &*s.catalog), &lock)
}
