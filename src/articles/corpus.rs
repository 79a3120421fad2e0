//! The corpus directory: which of its files are articles (listed with their size and
//! modification time, so a change is noticed without reading them), and reading one listed
//! file into an [`Article`]. A file that cannot be read is reported, never fatal.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::parse::{parse_file, Article};

/// Files larger than this are refused: no news article is 8 MiB of text.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Extensions read as articles.
pub const EXTENSIONS: [&str; 2] = ["txt", "md"];

/// A file of the corpus, as listed before reading: enough to notice a change cheaply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Relative to the corpus directory, with `/` separators.
    pub path: String,
    pub size: u64,
    pub mtime_ns: u128,
}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub path: String,
    pub reason: String,
}

/// What a scan of the corpus directory found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Candidate articles (by extension), sorted by path.
    pub files: Vec<FileStamp>,
    /// Files that are not articles by their extension (path relative to the corpus).
    pub skipped: Vec<String>,
    /// Entries that cannot be articles (links out of the corpus, unreadable entries).
    pub failed: Vec<(FileStamp, Failure)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("corpus directory not found: {0}")]
    Missing(PathBuf),
    #[error("corpus is not a directory: {0}")]
    NotADirectory(PathBuf),
    #[error("cannot read corpus directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The corpus directory and what follows from it.
#[derive(Debug, Clone)]
pub struct Corpus {
    root: PathBuf,
    /// Canonical root, to tell links that leave the corpus.
    canonical: PathBuf,
    /// The name sources start with: the corpus directory's own name.
    prefix: String,
}

impl Corpus {
    pub fn open(root: &Path) -> Result<Corpus, CorpusError> {
        let meta = fs::metadata(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CorpusError::Missing(root.to_path_buf()),
            _ => CorpusError::Io {
                path: root.to_path_buf(),
                source: e,
            },
        })?;
        if !meta.is_dir() {
            return Err(CorpusError::NotADirectory(root.to_path_buf()));
        }
        let canonical = fs::canonicalize(root).map_err(|source| CorpusError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let prefix = canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "corpus".to_string());
        Ok(Corpus {
            root: root.to_path_buf(),
            canonical,
            prefix,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn canonical(&self) -> &Path {
        &self.canonical
    }

    /// Lists the corpus, recursively, without reading file contents.
    pub fn list(&self) -> Result<Listing, CorpusError> {
        let mut listing = Listing::default();
        self.walk(&self.root.clone(), "", &mut listing, 0)?;
        listing.files.sort_by(|a, b| a.path.cmp(&b.path));
        listing.skipped.sort();
        listing.failed.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        Ok(listing)
    }

    fn walk(
        &self,
        dir: &Path,
        rel: &str,
        listing: &mut Listing,
        depth: usize,
    ) -> Result<(), CorpusError> {
        let entries = fs::read_dir(dir).map_err(|source| CorpusError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("cannot read an entry of {}: {e}", dir.display());
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // hidden files: editors' swap files, .gitkeep, .DS_Store
            }
            let rel_path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let path = entry.path();
            let stamp = |size: u64, mtime_ns: u128| FileStamp {
                path: rel_path.clone(),
                size,
                mtime_ns,
            };
            let fail = |listing: &mut Listing, reason: String| {
                listing.failed.push((
                    stamp(0, 0),
                    Failure {
                        path: rel_path.clone(),
                        reason,
                    },
                ))
            };
            // Follow links, but only to places inside the corpus.
            let is_link = entry.file_type().map(|t| t.is_symlink()).unwrap_or(false);
            if is_link {
                match fs::canonicalize(&path) {
                    Ok(target) if target.starts_with(&self.canonical) => {}
                    Ok(_) => {
                        fail(listing, "link leads outside the corpus".to_string());
                        continue;
                    }
                    Err(_) => {
                        fail(listing, "broken link".to_string());
                        continue;
                    }
                }
            }
            let meta = match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    fail(listing, format!("cannot read: {e}"));
                    continue;
                }
            };
            if meta.is_dir() {
                if depth >= 16 || is_link {
                    // a link to a directory inside the corpus would list it twice
                    continue;
                }
                self.walk(&path, &rel_path, listing, depth + 1)?;
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let ext = Path::new(&name)
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if !EXTENSIONS.contains(&ext.as_str()) {
                listing.skipped.push(rel_path);
                continue;
            }
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            listing.files.push(stamp(meta.len(), mtime_ns));
        }
        Ok(())
    }

    /// The absolute-or-relative path of a listed file.
    pub fn path_of(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Reads one listed file: its bytes (for the content hash) and the parsed article.
    pub fn read(&self, stamp: &FileStamp) -> Result<(Vec<u8>, Article), Failure> {
        let fail = |reason: String| Failure {
            path: stamp.path.clone(),
            reason,
        };
        let path = self.path_of(&stamp.path);
        let meta = fs::metadata(&path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(fail(format!(
                "file too large ({} bytes, the limit is {MAX_FILE_BYTES})",
                meta.len()
            )));
        }
        let bytes = fs::read(&path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let article = parse_file(&stamp.path, &bytes, &self.prefix).map_err(fail)?;
        Ok((bytes, article))
    }
}
