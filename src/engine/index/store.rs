//! The index directory: its generations, the `CURRENT` pointer, and the build lock. Each
//! full build writes a new generation directory and switches `CURRENT` to it only after
//! tantivy's commit and the catalog are on disk, so a failed or killed build never leaves a
//! broken index; an index that cannot be opened falls back to the previous generation, or is
//! rebuilt. [`open_or_build`] and [`refresh`] are how the engine gets an up-to-date index.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::catalog::{compare, failures, BuildReport, Catalog};
use super::plan::{changes, plan};
use super::snapshot::Snapshot;
use super::{io_err, quiet, sync_dir, write_synced, IndexError, Progress};
use crate::articles::Corpus;
use crate::engine::lease::Lease;

const CURRENT: &str = "CURRENT";
const LOCK: &str = "build.lock";

/// The index directory: generations, the pointer to the current one, and the build lock.
#[derive(Debug, Clone)]
pub struct Store {
    pub(super) root: PathBuf,
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

    /// Takes the build lease, or says that another build holds it. It goes with the
    /// process, so a killed build does not leave it behind.
    pub fn lock(&self) -> Result<Lease, IndexError> {
        fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;
        let path = self.root.join(LOCK);
        Lease::try_take(&path)
            .map_err(io_err(&path))?
            .ok_or_else(|| IndexError::Busy(self.root.clone()))
    }

    /// Builds a new generation from the whole corpus and makes it current. The caller holds
    /// the lock. `previous` is the catalog the report compares with.
    pub fn build(
        &self,
        corpus: &Corpus,
        previous: Option<&Catalog>,
        _lock: &Lease,
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

    /// The directory of the generation `name`: a name builds give (`gen-` and digits), so
    /// one received from elsewhere cannot leave the index directory.
    pub fn generation_dir(&self, name: &str) -> Result<PathBuf, IndexError> {
        let digits = name.strip_prefix("gen-").unwrap_or_default();
        if digits.is_empty() || digits.len() > 40 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IndexError::Unusable(
                self.root.clone(),
                format!("{name:?} is not the name of a generation"),
            ));
        }
        Ok(self.root.join(name))
    }

    /// Makes the generation `name`, whose files were put in place by a copy from another
    /// machine, the current one: it is opened first (a partial or broken copy fails here and
    /// `CURRENT` stays), then `CURRENT` points at it. Generations older than the one before
    /// it go, and so do files of its directory that its commit no longer names. Nothing else
    /// writes this index directory: the caller holds the lock.
    pub fn adopt(&self, name: &str, _lock: &Lease) -> Result<Snapshot, IndexError> {
        let dir = self.generation_dir(name)?;
        let snapshot = Snapshot::open(&dir)?;
        self.point_to(&dir)?;
        self.clean(&dir);
        // files an earlier commit of this generation named: segments merged since, catalogs
        // (questions still reading them keep them open: removing a file does not close it)
        let named: std::collections::HashSet<&str> = snapshot
            .files
            .names
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let tantivys = file.len() > 33
                && file.as_bytes()[32] == b'.'
                && file[..32].bytes().all(|b| b.is_ascii_hexdigit());
            if (tantivys || file.starts_with("catalog-")) && !named.contains(file.as_str()) {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(snapshot)
    }

    /// Whether a snapshot is the generation `CURRENT` names (not a fallback).
    pub fn is_current(&self, snapshot: &Snapshot) -> bool {
        self.current().is_some_and(|c| c == snapshot.dir)
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
    lock: &Lease,
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
