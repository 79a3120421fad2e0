//! A generation of the index as files, for machines that share one: what a writer publishes
//! ([`Engine::generation`]) and how a replica that copied one in place switches to it
//! ([`Engine::adopt`]). Where the files travel is not the engine's business (the `cluster`
//! module sends them through NATS); that a copy is whole before it is answered from is: a
//! generation is opened, and so checked, before `CURRENT` names it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::index::catalog::Catalog;
use super::index::snapshot::Files;
use super::index::store::Store;
use super::index::IndexError;
use super::meaning::vectors::{is_cache_name, whole_len, write_copy};
use super::{Engine, Services};

/// The current generation: its name, where its files are, and what it is made of.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The directory's name (`gen-` and digits): the same on every machine.
    pub name: String,
    pub dir: PathBuf,
    pub files: Arc<Files>,
    catalog: Arc<Catalog>,
    /// Held so that the files stay while the generation is copied: tantivy keeps the
    /// segments an open snapshot reads.
    _snapshot: Arc<super::index::snapshot::Snapshot>,
}

/// An article's file in the corpus, as a catalog names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusFile {
    /// Relative to the corpus directory, with `/` between parts.
    pub path: String,
    /// The content hash of its bytes (see [`content_hash`]).
    pub hash: String,
    pub size: u64,
}

impl Generation {
    /// The corpus files its articles were read from.
    pub fn corpus(&self) -> Vec<CorpusFile> {
        corpus_of(&self.catalog)
    }

    /// Articles and passages in it.
    pub fn counts(&self) -> (usize, u64) {
        (self.catalog.articles.len(), self.catalog.passages)
    }
}

fn corpus_of(catalog: &Catalog) -> Vec<CorpusFile> {
    catalog
        .articles
        .iter()
        .map(|a| CorpusFile {
            path: a.path.clone(),
            hash: a.hash.clone(),
            size: a.size,
        })
        .collect()
}

/// The corpus files a catalog file (as a generation's files hold it) names. A path that
/// would leave the corpus directory (absolute, or with `..`) is refused: the catalog may come
/// from another machine.
pub fn corpus_in_catalog(bytes: &[u8]) -> Result<Vec<CorpusFile>, String> {
    let catalog: Catalog = serde_json::from_slice(bytes).map_err(|e| format!("catalog: {e}"))?;
    let files = corpus_of(&catalog);
    if let Some(bad) = files.iter().find(|f| !is_relative_inside(&f.path)) {
        return Err(format!(
            "catalog: {:?} is not a path inside a corpus",
            bad.path
        ));
    }
    Ok(files)
}

/// Whether `path` is relative and stays inside the directory it is joined to.
fn is_relative_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains('\0')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// The hash a catalog keeps of a file's bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    super::index::catalog::content_hash(bytes)
}

/// Where the files of the generation `name` go in the index directory `index_dir`, before
/// [`install`]; refused when `name` is not a generation's name.
pub fn generation_dir(index_dir: &Path, name: &str) -> Result<PathBuf, IndexError> {
    Store::new(index_dir).generation_dir(name)
}

/// Makes the generation `name`, copied into `index_dir`, the one an engine opened there
/// answers from (a replica's first generation, before it has an engine): checked by opening
/// it first, like [`Engine::adopt`].
pub fn install(index_dir: &Path, name: &str) -> Result<(), IndexError> {
    let store = Store::new(index_dir);
    let lock = store.lock()?;
    store.adopt(name, &lock).map(drop)
}

impl Engine {
    /// The generation questions are answered from now.
    pub fn generation(&self) -> Generation {
        let snapshot = self.snapshot();
        Generation {
            name: snapshot
                .dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            dir: snapshot.dir.clone(),
            files: Arc::clone(&snapshot.files),
            catalog: Arc::clone(&snapshot.catalog),
            _snapshot: snapshot,
        }
    }

    /// Opens the index `index_dir` holds, never building it: a replica answers only from
    /// generations a writer made. Its corpus directory is where the articles' files are
    /// copied, for summaries.
    pub fn open_built(
        corpus_dir: &Path,
        index_dir: &Path,
        services: Services,
    ) -> Result<Engine, IndexError> {
        let store = Store::new(index_dir);
        let snapshot = store
            .open()
            .ok_or_else(|| IndexError::Empty(index_dir.to_path_buf()))?;
        let mut engine = Engine::with(corpus_dir, store, snapshot, services);
        engine.replica = true;
        Ok(engine)
    }

    /// Where the files of the generation `name` go before [`Engine::adopt`]; refused when
    /// `name` is not a generation's name.
    pub fn generation_dir(&self, name: &str) -> Result<PathBuf, IndexError> {
        self.store.generation_dir(name)
    }

    /// The index directory.
    pub fn index_dir(&self) -> &Path {
        self.store.root()
    }

    /// Switches questions to the generation `name`, whose files were copied in place. It is
    /// opened (and so checked) first: when it cannot be, questions stay on the current one
    /// and the error says why.
    pub fn adopt(&self, name: &str) -> Result<(), IndexError> {
        let lock = self.store.lock()?;
        let snapshot = self.store.adopt(name, &lock)?;
        let snapshot = self.with_cached_vectors(&snapshot);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(snapshot);
        Ok(())
    }

    /// The vector cache's files, each with how many of its bytes are whole records: what a
    /// writer shares with the replicas (the file names and their prefixes, byte for byte).
    pub fn vector_files(&self) -> Vec<VectorFile> {
        let dir = self.vector_dir();
        let mut files: Vec<VectorFile> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                is_cache_name(&name).then(|| VectorFile {
                    whole: whole_len(&e.path()).unwrap_or(0),
                    path: e.path(),
                    name,
                })
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    }

    /// How many bytes of the vector cache file `name` this machine has (0 when none).
    pub fn vector_file_len(&self, name: &str) -> u64 {
        if !is_cache_name(name) {
            return 0;
        }
        std::fs::metadata(self.vector_dir().join(name)).map_or(0, |m| m.len())
    }

    /// Writes a part of a writer's vector cache file into this machine's copy (see
    /// [`write_copy`]: from 0 it starts anew; false when the copy does not end at `offset`).
    /// The current generation takes the new vectors with [`Engine::reload_vectors`].
    pub fn write_vectors(&self, name: &str, offset: u64, bytes: &[u8]) -> std::io::Result<bool> {
        write_copy(&self.vector_dir(), name, offset, bytes)
    }

    /// Lets questions use the vectors the cache holds now for the current generation's
    /// passages (a replica, after copying the writer's). Blocking: it reads the cache.
    pub fn reload_vectors(&self) {
        let snapshot = self.snapshot();
        let with = Arc::new(self.with_cached_vectors(&snapshot));
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // a generation adopted meanwhile took the cache's vectors as it opened
        if Arc::ptr_eq(&current, &snapshot) {
            *current = with;
        }
    }
}

/// A vector cache file: its name, where it is, and how many of its bytes are whole records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorFile {
    pub name: String,
    pub path: PathBuf,
    pub whole: u64,
}

/// Opens an index directory without building (a restart's first step).
#[cfg(test)]
fn open(dir: &Path) -> Option<super::index::snapshot::Snapshot> {
    Store::new(dir).open()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_paths_that_leave_the_corpus_are_refused() {
        for bad in [
            "/etc/passwd",
            "../x.txt",
            "a/../../x.txt",
            "",
            "a\\b.txt",
            "./a.txt",
        ] {
            assert!(!is_relative_inside(bad), "{bad:?}");
        }
        for good in ["a.txt", "web/lemonde.fr/x.md", "é/ü.txt"] {
            assert!(is_relative_inside(good), "{good:?}");
        }
        let json = br#"{"version":1,"built_unix":0,"articles":[{"id":"x","path":"../../etc/x.txt","title":"t","source":"s","lang":"fr","passages":1,"size":1,"mtime_ns":0,"hash":"00"}],"failed":[],"skipped":[],"passages":1}"#;
        let err = corpus_in_catalog(json).unwrap_err();
        assert!(err.contains("not a path inside"), "{err}");
        assert!(corpus_in_catalog(b"{").is_err());
    }

    /// The passages of `text` the engine finds for a question, answered or only related.
    fn finds(engine: &Engine, question: &str, text: &str) -> bool {
        let answer = engine.ask(question, 3).unwrap();
        answer
            .hits
            .iter()
            .chain(&answer.related)
            .any(|h| h.passage.contains(text))
    }

    #[test]
    fn a_copied_generation_is_adopted_and_a_partial_copy_is_refused() {
        let corpus = tempfile::tempdir().unwrap();
        std::fs::write(
            corpus.path().join("a.txt"),
            "Titre un\n\nLe Mali et la Mauritanie coopèrent pour la sécurité du Sahel.\n",
        )
        .unwrap();
        let writer_dir = tempfile::tempdir().unwrap();
        let (writer, _) = Engine::build(
            corpus.path(),
            writer_dir.path(),
            Services::default(),
            false,
            &super::super::quiet,
        )
        .unwrap();
        let gen = writer.generation();
        assert!(gen.name.starts_with("gen-"));
        assert!(gen.files.names.iter().any(|(n, _)| n == &gen.files.catalog));
        assert_eq!(gen.corpus().len(), 1);

        // a replica with an older index of its own, copied from the writer's first commit
        let replica_dir = tempfile::tempdir().unwrap();
        let copy = |to: &Path, files: &Files, meta: bool| {
            std::fs::create_dir_all(to).unwrap();
            for (n, _) in &files.names {
                std::fs::copy(gen.dir.join(n), to.join(n)).unwrap();
            }
            if meta {
                std::fs::write(to.join("meta.json"), &files.meta).unwrap();
            }
        };
        copy(&replica_dir.path().join(&gen.name), &gen.files, true);
        let replica =
            Engine::open_built(corpus.path(), replica_dir.path(), Services::default()).unwrap();
        assert_eq!(replica.generation().files, gen.files);
        assert!(finds(&replica, "Mauritanie sécurité", "coopèrent"));
        // its index is the writer's: it never rebuilds it from its copy of the corpus
        assert!(matches!(
            replica.reindex(true, &super::super::quiet),
            Err(super::super::ReindexError::Replica)
        ));

        // a second article, published by the writer
        std::fs::write(
            corpus.path().join("b.txt"),
            "Titre deux\n\nLes pêcheurs de Nouadhibou vendent leurs poulpes au marché.\n",
        )
        .unwrap();
        writer.reindex(false, &super::super::quiet).unwrap();
        let next = writer.generation();
        assert_ne!(next.files, gen.files);
        // a copy without its meta.json is not adopted: questions stay on what they had
        let partial = replica_dir.path().join("gen-1");
        copy(&partial, &next.files, false);
        assert!(replica.adopt("gen-1").is_err());
        assert!(!finds(&replica, "poulpes Nouadhibou", "poulpes"));
        assert!(replica.adopt("../gen-1").is_err());
        assert!(replica.adopt("gen-1/..").is_err());
        // the whole copy is
        let dir = replica.generation_dir(&next.name).unwrap();
        copy(&dir, &next.files, true);
        replica.adopt(&next.name).unwrap();
        assert!(finds(&replica, "poulpes Nouadhibou", "poulpes"));
        assert_eq!(replica.generation().files, next.files);
        // and a restart opens it
        drop(replica);
        let again = open(replica_dir.path()).unwrap();
        assert_eq!(*again.files, *next.files);
    }
}
