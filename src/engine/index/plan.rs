//! What changed in the corpus since a catalog, file by file: by size and modification time
//! first, then by size (a new size is a change, no need to read it), and by content hash
//! only for files whose stamp moved but whose size did not (a touched file is no change).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::catalog::{content_hash, failed_entry, ArticleEntry, Catalog, FailedEntry};
use crate::articles::{Corpus, FileStamp, Listing, MAX_FILE_BYTES};

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

/// What changed in the corpus since a catalog, file by file.
pub struct Plan {
    /// Files to read and index: added, changed, and failed before but touched since.
    pub(super) read: Vec<FileStamp>,
    /// Articles whose passages go (changed, removed, or unreadable now).
    pub(super) drop_ids: Vec<String>,
    /// Catalog entries that stay, their stamps brought up to date.
    pub(super) keep: Vec<ArticleEntry>,
    /// Failures that stay.
    pub(super) failed: Vec<FailedEntry>,
    pub(super) counts: Changes,
}

/// Compares the corpus listing with a catalog: by size and modification time first; a file
/// whose size changed has changed; a file of the same size whose time moved is read (at most
/// [`MAX_FILE_BYTES`]) and compared by content hash (a touched file is not a change).
pub(super) fn plan(corpus: &Corpus, listing: &Listing, catalog: &Catalog) -> Plan {
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
    let mut seen = HashSet::new();
    for stamp in &listing.files {
        seen.insert(stamp.path.as_str());
        if let Some(entry) = known.get(stamp.path.as_str()) {
            if entry.size == stamp.size && entry.mtime_ns == stamp.mtime_ns {
                p.counts.unchanged += 1;
                p.keep.push((*entry).clone());
                continue;
            }
            let same = entry.size == stamp.size
                && read_capped(&corpus.path_of(&stamp.path))
                    .is_some_and(|bytes| content_hash(&bytes) == entry.hash);
            if same {
                p.counts.unchanged += 1;
                p.keep.push(ArticleEntry {
                    size: stamp.size,
                    mtime_ns: stamp.mtime_ns,
                    ..(*entry).clone()
                });
            } else {
                p.counts.changed += 1;
                p.drop_ids.push(entry.id.clone());
                p.read.push(stamp.clone());
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

/// How the corpus differs from a catalog, in counts.
pub fn changes(corpus: &Corpus, listing: &Listing, catalog: &Catalog) -> Changes {
    plan(corpus, listing, catalog).counts
}

/// A file's bytes when it is no larger than an article may be; none when it is larger or
/// cannot be read (either way, it is not the article the catalog holds).
fn read_capped(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)
        .ok()?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_FILE_BYTES).then_some(bytes)
}
