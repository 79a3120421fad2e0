//! An open generation of the index: tantivy's index and its one reader, the typed fields, and
//! the catalog its commit names. Opening checks everything a question will need, so a broken
//! generation fails here and not in the middle of an answer.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use tantivy::{Index, IndexReader, ReloadPolicy};

use super::catalog::Catalog;
use super::schema::{schema, Fields, FORMAT_VERSION};
use super::IndexError;
use crate::engine::meaning::vectors::VectorSet;
use crate::lang::analyzer;

/// An open generation of the index: searchable and immutable.
pub struct Snapshot {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub catalog: Arc<Catalog>,
    pub dir: PathBuf,
    /// Whether any article is English: questions are then analysed in English too.
    pub has_english: bool,
    /// Each article's title and id folded (case and accents), for autocompletion: computed
    /// at the first keystroke, once per snapshot.
    folded: OnceLock<Vec<(String, String)>>,
    /// Article id → its place in the catalog: built at the first lookup, once per snapshot.
    by_id: OnceLock<std::collections::HashMap<String, usize>>,
    /// Its passages' vectors for semantic search, when there are any. Never changed: new
    /// vectors (from the cache when the generation opens, then when the passages the cache
    /// lacked are embedded) make a new snapshot, swapped in like a new generation.
    vectors: Option<Arc<VectorSet>>,
    /// The files this commit is made of, for copying it to another machine.
    pub files: Arc<Files>,
}

/// A commit of a generation as files: what a writer publishes and a replica copies.
#[derive(Debug, Clone, PartialEq)]
pub struct Files {
    /// Tantivy's `meta.json` of this commit, as loaded: it names the segments, so it is the
    /// file written last.
    pub meta: Vec<u8>,
    /// Every other file of the commit (each segment's files and the catalog), with its size
    /// in bytes, by name. They are never rewritten: a later commit writes new ones.
    pub names: Vec<(String, u64)>,
    /// The catalog's file name (one of `names`).
    pub catalog: String,
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

/// The files of the commit `metas` describes in `dir`, its catalog named `catalog`.
fn files_of(dir: &Path, metas: &tantivy::IndexMeta, catalog: &str) -> Result<Files, IndexError> {
    let unusable = |why: String| IndexError::Unusable(dir.to_path_buf(), why);
    let meta = serde_json::to_vec_pretty(metas).map_err(|e| unusable(e.to_string()))?;
    // tantivy lists what a segment may have: those it does not have are left out
    let mut names: Vec<(String, u64)> = metas
        .list_segment_files()
        .into_iter()
        .chain([PathBuf::from(catalog)])
        .filter_map(|p| {
            let size = fs::metadata(dir.join(&p)).ok()?.len();
            Some((p.to_str()?.to_string(), size))
        })
        .collect();
    names.sort();
    Ok(Files {
        meta,
        names,
        catalog: catalog.to_string(),
    })
}

impl Snapshot {
    /// Opens one generation directory.
    pub fn open(dir: &Path) -> Result<Snapshot, IndexError> {
        let unusable = |why: String| IndexError::Unusable(dir.to_path_buf(), why);
        let index = Index::open_in_dir(dir).map_err(|e| unusable(e.to_string()))?;
        // the catalog of this commit, named in its payload
        let metas = index.load_metas().map_err(|e| unusable(e.to_string()))?;
        let name = metas
            .payload
            .clone()
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
        let files = Arc::new(files_of(dir, &metas, &name)?);
        Ok(Snapshot {
            files,
            index,
            reader,
            fields,
            has_english: catalog.has_english(),
            catalog: Arc::new(catalog),
            dir: dir.to_path_buf(),
            folded: OnceLock::new(),
            by_id: OnceLock::new(),
            vectors: None,
        })
    }

    /// The vectors of this generation's passages, if any.
    pub fn vectors(&self) -> Option<Arc<VectorSet>> {
        self.vectors.clone()
    }

    /// The same generation with these vectors: a new snapshot (the index, its reader and
    /// the catalog are shared, not copied).
    pub fn with_vectors(&self, set: Option<VectorSet>) -> Snapshot {
        Snapshot {
            index: self.index.clone(),
            reader: self.reader.clone(),
            fields: self.fields,
            catalog: Arc::clone(&self.catalog),
            dir: self.dir.clone(),
            has_english: self.has_english,
            folded: OnceLock::new(),
            by_id: OnceLock::new(),
            vectors: set.map(Arc::new),
            files: Arc::clone(&self.files),
        }
    }

    /// The catalog's entry of an article, by its exact id. Answers look up each hit's article
    /// (its date, site and url): a map, not a scan of 25,000 entries per hit.
    pub fn entry(&self, id: &str) -> Option<&super::catalog::ArticleEntry> {
        let by_id = self.by_id.get_or_init(|| {
            self.catalog
                .articles
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id.clone(), i))
                .collect()
        });
        by_id.get(id).and_then(|&i| self.catalog.articles.get(i))
    }

    /// The articles (title and id, at most `max`) whose folded title or id contains the
    /// folded `partial`; the first ones when `partial` is empty.
    pub fn complete(&self, partial: &str, max: usize) -> Vec<(String, String)> {
        let wanted = crate::lang::cues::fold(partial.trim());
        let folded = self.folded.get_or_init(|| {
            self.catalog
                .articles
                .iter()
                .map(|a| {
                    (
                        crate::lang::cues::fold(&a.title),
                        crate::lang::cues::fold(&a.id),
                    )
                })
                .collect()
        });
        self.catalog
            .articles
            .iter()
            .zip(folded)
            .filter(|(_, (title, id))| {
                wanted.is_empty() || title.contains(&wanted) || id.contains(&wanted)
            })
            .take(max)
            .map(|(a, _)| (a.title.clone(), a.id.clone()))
            .collect()
    }
}
