//! The index: what is stored on disk and how it changes. The [`schema`] and its typed fields,
//! the [`catalog`] of indexed articles, the change `plan`, the generation [`store`] with its
//! `CURRENT` pointer and build lock, the `build` that writes a generation, the [`snapshot`]
//! of one generation that questions read, and `semantic`: a generation's passages embedded
//! into the vector cache. The index and its catalog change together or not at all.
//!
//! Edges: `index` uses `meaning` (the vector cache, the embedder) and `lease` (the build
//! lease), nothing else of the engine.

mod build;
pub(crate) mod catalog;
mod plan;
pub(crate) mod schema;
pub(crate) mod semantic;
pub(crate) mod snapshot;
pub(crate) mod store;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use catalog::{ArticleEntry, BuildReport};
pub use semantic::EmbedReport;

use crate::articles::CorpusError;

/// Reports how far a build is: articles done, articles in all.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// No progress report.
pub fn quiet(_: usize, _: usize) {}

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
    #[error("there is no index in {0} yet")]
    Empty(PathBuf),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let mut file = File::create(path).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))?;
    Ok(())
}

pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
