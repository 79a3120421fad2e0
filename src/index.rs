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
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analyzer;
use crate::corpus::{Corpus, CorpusError, Failure, FileStamp, Lang, Listing};
use crate::cues;
use crate::passage;

/// Bumped whenever the schema, the analyzers or the passage rules change: an index of another
/// version is rebuilt.
pub const FORMAT_VERSION: u32 = 4;
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
    /// An empty catalog of this format, dated now.
    fn new(skipped: Vec<String>) -> Catalog {
        Catalog {
            version: FORMAT_VERSION,
            built_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            skipped,
            ..Default::default()
        }
    }

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
        let index = Index::open_in_dir(dir).map_err(|e| unusable(e.to_string()))?;
        // the catalog of this commit, named in its payload
        let name = index
            .load_metas()
            .map_err(|e| unusable(e.to_string()))?
            .payload
            .filter(|n| {
                n.starts_with("catalog-") && n.ends_with(".json") && !n.contains(['/', '\\'])
            })
            .ok_or_else(|| unusable("no catalog".to_string()))?;
        let bytes = fs::read(dir.join(&name)).map_err(|e| unusable(format!("catalog: {e}")))?;
        let catalog: Catalog =
            serde_json::from_slice(&bytes).map_err(|e| unusable(format!("catalog: {e}")))?;
        if catalog.version != FORMAT_VERSION {
            return Err(IndexError::Outdated(dir.to_path_buf()));
        }
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

/// What changed in the corpus since a catalog, file by file.
pub struct Plan {
    /// Files to read and index: added, changed, and failed before but touched since.
    read: Vec<FileStamp>,
    /// Articles whose passages go (changed, removed, or unreadable now).
    drop_ids: Vec<String>,
    /// Catalog entries that stay, their stamps brought up to date.
    keep: Vec<ArticleEntry>,
    /// Failures that stay.
    failed: Vec<FailedEntry>,
    counts: Changes,
}

/// Compares the corpus listing with a catalog: by size and modification time first, and by
/// content hash for files whose stamp moved (a touched file is not a change).
fn plan(corpus: &Corpus, listing: &Listing, catalog: &Catalog) -> Plan {
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
    let mut p = Plan {
        read: vec![],
        drop_ids: vec![],
        keep: vec![],
        failed: vec![],
        counts: Changes::default(),
    };
    let mut seen = std::collections::HashSet::new();
    for stamp in &listing.files {
        seen.insert(stamp.path.as_str());
        if let Some(entry) = known.get(stamp.path.as_str()) {
            if entry.size == stamp.size && entry.mtime_ns == stamp.mtime_ns {
                p.counts.unchanged += 1;
                p.keep.push((*entry).clone());
                continue;
            }
            match fs::read(corpus.path_of(&stamp.path)) {
                Ok(bytes) if content_hash(&bytes) == entry.hash => {
                    p.counts.unchanged += 1;
                    p.keep.push(ArticleEntry {
                        size: stamp.size,
                        mtime_ns: stamp.mtime_ns,
                        ..(*entry).clone()
                    });
                }
                _ => {
                    p.counts.changed += 1;
                    p.drop_ids.push(entry.id.clone());
                    p.read.push(stamp.clone());
                }
            }
        } else if let Some(f) = known_failed.get(stamp.path.as_str()) {
            if f.size == stamp.size && f.mtime_ns == stamp.mtime_ns {
                p.failed.push((*f).clone());
            } else {
                p.counts.failures_changed = true;
                p.read.push(stamp.clone());
            }
        } else {
            p.counts.added += 1;
            p.read.push(stamp.clone());
        }
    }
    for (stamp, failure) in &listing.failed {
        seen.insert(stamp.path.as_str());
        if let Some(entry) = known.get(stamp.path.as_str()) {
            p.counts.removed += 1; // an article that became unreadable
            p.drop_ids.push(entry.id.clone());
        } else if !known_failed.contains_key(stamp.path.as_str()) {
            p.counts.failures_changed = true;
        }
        p.failed.push(failed_entry(stamp, failure.reason.clone()));
    }
    for entry in &catalog.articles {
        if !seen.contains(entry.path.as_str()) {
            p.counts.removed += 1;
            p.drop_ids.push(entry.id.clone());
        }
    }
    if catalog
        .failed
        .iter()
        .any(|f| !seen.contains(f.path.as_str()))
    {
        p.counts.failures_changed = true;
    }
    p
}

/// Articles added, changed, removed and unchanged from one catalog to the next (by path and
/// content hash): only indexed articles count, failed files are reported apart.
fn compare(old: &Catalog, new: &Catalog, report: &mut BuildReport) {
    let before: HashMap<&str, &str> = old
        .articles
        .iter()
        .map(|a| (a.path.as_str(), a.hash.as_str()))
        .collect();
    let (mut added, mut changed, mut unchanged) = (0, 0, 0);
    for a in &new.articles {
        match before.get(a.path.as_str()) {
            None => added += 1,
            Some(h) if *h == a.hash => unchanged += 1,
            Some(_) => changed += 1,
        }
    }
    report.added = added;
    report.changed = changed;
    report.unchanged = unchanged;
    report.removed = old.articles.len() - (changed + unchanged);
}

/// How the corpus differs from a catalog, in counts.
pub fn changes(corpus: &Corpus, listing: &Listing, catalog: &Catalog) -> Changes {
    plan(corpus, listing, catalog).counts
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
        progress: Progress,
    ) -> Result<(Snapshot, BuildReport), IndexError> {
        let started = Instant::now();
        let listing = corpus.list()?;
        let mut report = BuildReport {
            skipped: listing.skipped.clone(),
            ..Default::default()
        };
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = self
            .root
            .join(format!("tmp-{}-{nanos}", std::process::id()));
        let result = self.write_generation(corpus, &listing, &tmp, &mut report, progress);
        let catalog = match result {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        compare(
            previous.unwrap_or(&Catalog::default()),
            &catalog,
            &mut report,
        );
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

    /// Whether a snapshot is the generation `CURRENT` names (not a fallback).
    pub fn is_current(&self, snapshot: &Snapshot) -> bool {
        self.current().is_some_and(|c| c == snapshot.dir)
    }

    /// Applies what changed in the corpus to the current generation in place: the passages of
    /// changed and removed articles are deleted, added and changed articles are indexed, and
    /// one tantivy commit makes it visible together with the new catalog (named in the
    /// commit's payload). A crash before that commit leaves the previous commit whole. The
    /// caller holds the lock.
    pub fn update(
        &self,
        corpus: &Corpus,
        current: &Snapshot,
        listing: Listing,
        plan: Plan,
        _lock: &File,
        progress: Progress,
    ) -> Result<(Snapshot, BuildReport), IndexError> {
        let started = Instant::now();
        let f = current.fields;
        let threads = if plan.read.len() > 1000 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .clamp(1, 4)
        } else {
            1
        };
        let mut writer: IndexWriter = current
            .index
            .writer_with_num_threads(threads, 50_000_000 * threads)?;
        // Each update adds a small segment; merge small ones as soon as there are two, so
        // questions do not slow down as updates pile up (the large segment is left alone).
        let mut policy = tantivy::merge_policy::LogMergePolicy::default();
        policy.set_min_num_segments(2);
        writer.set_merge_policy(Box::new(policy));
        for id in &plan.drop_ids {
            writer.delete_term(Term::from_field_text(f.article, id));
        }
        let mut ids: HashMap<String, String> = plan
            .keep
            .iter()
            .map(|a| (a.id.clone(), a.path.clone()))
            .collect();
        let mut report = BuildReport {
            skipped: listing.skipped.clone(),
            ..Default::default()
        };
        let mut catalog = Catalog {
            articles: plan.keep,
            failed: plan.failed,
            ..Catalog::new(listing.skipped)
        };
        add_all(
            &writer,
            &f,
            corpus,
            &plan.read,
            &mut ids,
            &mut catalog,
            &mut report,
            progress,
        )?;
        commit_with_catalog(&mut writer, &current.dir, &catalog)?;
        writer.wait_merging_threads()?;
        sync_dir(&current.dir);
        compare(&current.catalog, &catalog, &mut report);
        let snapshot = Snapshot::open(&current.dir)?;
        report.articles = catalog.articles.len();
        report.passages = catalog.passages;
        report.failed = failures(&catalog);
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
        progress: Progress,
    ) -> Result<Catalog, IndexError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let (schema, f) = schema();
        // Passages are stored uncompressed, in small blocks: every hit reads its passage,
        // and decompressing LZ4 blocks was 7% of a question's time. The store is 1.75 times
        // larger (41 MB against 23 MB for 25,000 articles); questions are 8% faster.
        let settings = tantivy::IndexSettings {
            docstore_blocksize: 4096,
            docstore_compression: tantivy::store::Compressor::None,
            ..Default::default()
        };
        let index = Index::builder()
            .schema(schema)
            .settings(settings)
            .create_in_dir(dir)?;
        analyzer::register(&index);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut writer = index.writer_with_num_threads(threads, 64_000_000 * threads)?;
        let mut catalog = Catalog::new(listing.skipped.clone());
        for (stamp, failure) in &listing.failed {
            catalog
                .failed
                .push(failed_entry(stamp, failure.reason.clone()));
        }
        let mut ids: HashMap<String, String> = HashMap::new();
        add_all(
            &writer,
            &f,
            corpus,
            &listing.files,
            &mut ids,
            &mut catalog,
            report,
            progress,
        )?;
        commit_with_catalog(&mut writer, dir, &catalog)?;
        // One segment answers faster than several: every question opens each segment's
        // postings. The index is read far more often than it is written. (A merge keeps the
        // commit's payload, so the catalog stays named.)
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        sync_dir(dir);
        report.failed = failures(&catalog);
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

/// Reports how far a build is: articles done, articles in all.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// No progress report.
pub fn quiet(_: usize, _: usize) {}

fn failures(catalog: &Catalog) -> Vec<Failure> {
    catalog
        .failed
        .iter()
        .map(|f| Failure {
            path: f.path.clone(),
            reason: f.reason.clone(),
        })
        .collect()
}

/// Reads and indexes `stamps` into `catalog` (articles, failures, passages, in path order),
/// noting decodings in the report and the progress as it goes.
#[allow(clippy::too_many_arguments)]
fn add_all(
    writer: &IndexWriter,
    f: &Fields,
    corpus: &Corpus,
    stamps: &[FileStamp],
    ids: &mut HashMap<String, String>,
    catalog: &mut Catalog,
    report: &mut BuildReport,
    progress: Progress,
) -> Result<(), IndexError> {
    let total = stamps.len();
    for (done, stamp) in stamps.iter().enumerate() {
        progress(done, total);
        match add_article(writer, f, corpus, stamp, ids)? {
            Ok((entry, decoding)) => {
                if let Some(d) = decoding {
                    report.decoded.push(Failure {
                        path: stamp.path.clone(),
                        reason: d.to_string(),
                    });
                }
                catalog.articles.push(entry);
            }
            Err(failed) => catalog.failed.push(failed),
        }
    }
    progress(total, total);
    catalog.articles.sort_by(|a, b| a.path.cmp(&b.path));
    catalog.failed.sort_by(|a, b| a.path.cmp(&b.path));
    catalog.passages = catalog.articles.iter().map(|a| a.passages as u64).sum();
    Ok(())
}

/// Reads one article and adds its passages. The outer error is the index's; the inner one is
/// the file's (reported, never fatal).
fn add_article(
    writer: &IndexWriter,
    f: &Fields,
    corpus: &Corpus,
    stamp: &FileStamp,
    ids: &mut HashMap<String, String>,
) -> Result<Result<(ArticleEntry, Option<&'static str>), FailedEntry>, IndexError> {
    let (bytes, article) = match corpus.read(stamp) {
        Ok(x) => x,
        Err(failure) => {
            tracing::warn!("{}: {}", failure.path, failure.reason);
            return Ok(Err(failed_entry(stamp, failure.reason)));
        }
    };
    if let Some(first) = ids.get(&article.id) {
        let reason = format!("same article id as {first}");
        tracing::warn!("{}: {reason}", stamp.path);
        return Ok(Err(failed_entry(stamp, reason)));
    }
    let passages = passage::split(&article.body);
    if passages.is_empty() {
        return Ok(Err(failed_entry(stamp, "no text".into())));
    }
    ids.insert(article.id.clone(), stamp.path.clone());
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
    Ok(Ok((
        ArticleEntry {
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
        },
        article.decoding,
    )))
}

/// Writes the catalog to a new file, then commits the index with that file's name as the
/// commit's payload: tantivy writes meta.json atomically, so the index and its catalog change
/// together or not at all. Catalogs no commit names any more are removed.
fn commit_with_catalog(
    writer: &mut IndexWriter,
    dir: &Path,
    catalog: &Catalog,
) -> Result<(), IndexError> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!("catalog-{nanos:032}.json");
    let path = dir.join(&name);
    let json = serde_json::to_vec(catalog).map_err(|e| IndexError::Io {
        path: path.clone(),
        source: e.into(),
    })?;
    write_synced(&path, &json)?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&name);
    prepared.commit()?;
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let other = entry.file_name().to_string_lossy().into_owned();
        if other.starts_with("catalog-") && other != name {
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
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

/// Brings the index up to date with the corpus under the lock held: in place when the
/// current generation is usable and `full` is not asked, in a new generation otherwise.
fn bring_up_to_date(
    corpus: &Corpus,
    store: &Store,
    lock: &File,
    full: bool,
    progress: Progress,
) -> Result<(Snapshot, Option<BuildReport>), IndexError> {
    match store.open() {
        Some(s) if !full && store.is_current(&s) => {
            let listing = corpus.list()?;
            let plan = plan(corpus, &listing, &s.catalog);
            if !plan.counts.any() {
                return Ok((s, None));
            }
            let (snapshot, report) = store.update(corpus, &s, listing, plan, lock, progress)?;
            Ok((snapshot, Some(report)))
        }
        previous => {
            let (snapshot, report) = store.build(
                corpus,
                previous.as_ref().map(|s| &*s.catalog),
                lock,
                progress,
            )?;
            Ok((snapshot, Some(report)))
        }
    }
}

/// Opens the index in `store`, building it when there is none or it is not usable, and
/// bringing it up to date first when `refresh` is set and the corpus changed since.
pub fn open_or_build(
    corpus: &Corpus,
    store: &Store,
    refresh: bool,
) -> Result<(Snapshot, Opened), IndexError> {
    let existing = match store.open() {
        Some(s) if !refresh => return Ok((s, Opened::Fresh)),
        Some(s) => {
            if store.is_current(&s) && !changes(corpus, &corpus.list()?, &s.catalog).any() {
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
    // under the lock: another process may have brought it up to date meanwhile
    match bring_up_to_date(corpus, store, &lock, false, &quiet)? {
        (s, None) => Ok((s, Opened::Fresh)),
        (s, Some(report)) => Ok((s, Opened::Built(report))),
    }
}

/// Builds or refreshes the index (always a new generation with `full`), holding the build
/// lock; says so when another build holds it.
pub fn refresh(
    corpus: &Corpus,
    store: &Store,
    full: bool,
    progress: Progress,
) -> Result<(Snapshot, BuildReport), IndexError> {
    let started = Instant::now();
    let lock = store.lock()?;
    match bring_up_to_date(corpus, store, &lock, full, progress)? {
        (s, Some(report)) => Ok((s, report)),
        (s, None) => {
            let listing = corpus.list()?;
            let report = BuildReport {
                articles: s.catalog.articles.len(),
                passages: s.catalog.passages,
                unchanged: s.catalog.articles.len(),
                failed: failures(&s.catalog),
                skipped: listing.skipped,
                seconds: started.elapsed().as_secs_f64(),
                ..Default::default()
            };
            Ok((s, report))
        }
    }
}
