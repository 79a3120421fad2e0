//! Writing the index: a whole new generation from the corpus, or an update in place of the
//! current one (the passages of changed and removed articles deleted, added and changed
//! articles indexed). Either way one tantivy commit makes the passages visible together with
//! their catalog, named in the commit's payload.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use super::catalog::{
    compare, content_hash, failed_entry, failures, ArticleEntry, BuildReport, Catalog, FailedEntry,
};
use super::plan::Plan;
use super::schema::{schema, Fields, PassageFlags};
use super::snapshot::Snapshot;
use super::store::Store;
use super::{io_err, sync_dir, write_synced, IndexError, Progress};
use crate::articles::{passage, Corpus, Failure, FileStamp, Listing};
use crate::engine::lease::Lease;
use crate::engine::meaning::embed;
use crate::lang::{analyzer, cues};

impl Store {
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
        _lock: &Lease,
        progress: Progress,
    ) -> Result<(Snapshot, BuildReport), IndexError> {
        let started = Instant::now();
        let f = current.fields;
        let threads = writer_threads(plan.read.len());
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

    pub(super) fn write_generation(
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
        // A small corpus is indexed by one thread, in a few milliseconds: its index is then
        // always the same (threads share documents out by timing, and which segment holds a
        // passage changes the words its relatives are looked up among), so the training
        // script's features, and ranker.json, are reproducible.
        let threads = writer_threads(listing.files.len());
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
    // not empty: checked above
    let lead = &passages[0].text;
    for (i, p) in passages.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.article, &article.id);
        doc.add_u64(f.paragraph, p.paragraph as u64);
        doc.add_u64(f.akey, article_key(&article.id));
        doc.add_text(f.title, &article.title);
        doc.add_text(f.source, &article.source);
        doc.add_text(f.passage, &p.text);
        doc.add_text(f.text(article.lang), &p.text);
        doc.add_text(f.title_terms(article.lang), &article.title);
        // the lead is every later passage's context; the lead itself has its own words
        if i > 0 {
            doc.add_text(f.lead(article.lang), lead);
        }
        let flags = PassageFlags {
            cues: cues::cues(&p.text),
            lang: article.lang,
        };
        doc.add_u64(f.flags, flags.encode());
        doc.add_u64(
            f.vkey,
            embed::text_key(&embed::passage_text(&article.title, &p.text)),
        );
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
            site: article.site,
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

/// Articles up to which an index is built by one thread.
const SMALL_CORPUS: usize = 1000;

/// Indexing threads for `articles` articles: one for a small corpus, else one a core (at
/// most four).
fn writer_threads(articles: usize) -> usize {
    if articles > SMALL_CORPUS {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4)
    } else {
        1
    }
}

/// The article key of the index's `akey` fast field: a hash of the article id.
pub(crate) fn article_key(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}
