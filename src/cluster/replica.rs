//! A replica's side: following `CURRENT`. Each manifest it names is copied into the local
//! index directory (only the files not already there; the generation's `meta.json` last,
//! since it names the others), the corpus files its catalog names are copied into the local
//! corpus (for summaries), and the engine adopts it, which opens and checks it before
//! questions go to it. The replica then says in `replica.<name>` what it answers from.
//!
//! A replica that cannot reach NATS keeps answering from the generation it has, and catches
//! up when NATS is back; one that cannot copy a generation (a file missing from the store, a
//! full disk) keeps the one it has and tries again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use super::manifest::{corpus_object, is_hash, Manifest};
use super::{nats, ClusterError, Settings, Shared, CURRENT};
use crate::engine::{content_hash, corpus_in_catalog, Engine};

/// How often `CURRENT` is read even when the watch says nothing: a watch whose server died
/// is silent until its missed heartbeats are noticed, seconds later. A read is one small
/// request a replica makes twice a second.
const LOOK_EVERY: Duration = Duration::from_millis(500);
/// Files fetched at once.
const PARALLEL: usize = 4;

/// What one copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// Files of the index and of the corpus fetched, and their bytes.
    pub files: usize,
    pub bytes: u64,
    /// Corpus files the store did not have (their articles cannot be summarised here).
    pub missing: usize,
}

/// Follows `CURRENT` for as long as the process runs: connects (again and again while NATS
/// cannot be reached), adopts the generation it names and every one after. The client
/// reconnects by itself after that, to any server of the cluster; a broken watch is opened
/// again.
pub async fn follow(settings: Settings, engine: Arc<Engine>) {
    let mut said = false;
    let started = Instant::now();
    let shared = loop {
        match Shared::connect(&settings).await {
            Ok(shared) => {
                tracing::debug!("connected to NATS in {} ms", started.elapsed().as_millis());
                break shared;
            }
            Err(e) => {
                if !said {
                    tracing::warn!("{e}: answering from the generation in hand until it answers");
                    said = true;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    if said {
        tracing::info!("NATS answers: following the published index");
    }
    follow_with(&shared, &engine).await;
}

/// The longest wait for one read of `CURRENT`: a request to a server that just died is not
/// answered, and the next tick tries again.
const READ_WITHIN: Duration = Duration::from_secs(1);

/// Watches `CURRENT` in a task of its own, sending each value and revision to `tx`; a watch
/// that breaks is opened again. Opening one can take seconds while a NATS node is down: the
/// follower reads `CURRENT` meanwhile.
fn watch_current(shared: Shared, tx: tokio::sync::mpsc::Sender<(bytes::Bytes, u64)>) {
    tokio::spawn(async move {
        loop {
            match shared.state.watch_with_history(CURRENT).await {
                Ok(mut watch) => {
                    while let Some(entry) = watch.next().await {
                        match entry {
                            Ok(e) if e.operation == kv::Operation::Put => {
                                if tx.send((e.value, e.revision)).await.is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::debug!("the watch of CURRENT broke: {e}");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!("watching CURRENT: {e}"),
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    });
}

/// Follows `CURRENT`: what its watch says, and what a read every [`LOOK_EVERY`] says; adopts
/// each new generation, for as long as the process runs.
async fn follow_with(shared: &Shared, engine: &Arc<Engine>) {
    // the revision of CURRENT adopted last
    let adopted = &mut None;
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    watch_current(shared.clone(), tx);
    let mut look = tokio::time::interval(LOOK_EVERY);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let read = tokio::time::timeout(READ_WITHIN, shared.state.entry(CURRENT));
        let (value, revision) = tokio::select! {
            Some(seen) = rx.recv() => seen,
            _ = look.tick() => match read.await {
                Ok(Ok(Some(e))) if e.operation == kv::Operation::Put && Some(e.revision) != *adopted => {
                    (e.value, e.revision)
                }
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => {
                    tracing::debug!("reading CURRENT: {e}");
                    continue;
                }
                Err(_) => {
                    tracing::debug!("reading CURRENT: no answer within {READ_WITHIN:?}");
                    continue;
                }
            },
        };
        if Some(revision) == *adopted {
            continue;
        }
        let manifest = match Manifest::parse(&value) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("{e}; answering from the generation in hand");
                *adopted = Some(revision);
                continue;
            }
        };
        let started = Instant::now();
        match adopt(shared, engine, &manifest).await {
            Ok(copied) => {
                *adopted = Some(revision);
                if copied != Copied::default() {
                    tracing::info!(
                        "answering from generation #{} ({}, {} articles): {} files copied ({} bytes) in {:.2} s, {} ms after it was published",
                        manifest.seq,
                        manifest.generation,
                        manifest.articles,
                        copied.files,
                        copied.bytes,
                        started.elapsed().as_secs_f64(),
                        super::unix_ms().saturating_sub(manifest.published_ms)
                    );
                }
                if copied.missing > 0 {
                    tracing::warn!(
                        "{} corpus files were not in the store: their articles cannot be summarised here",
                        copied.missing
                    );
                }
                report(shared, &manifest).await;
            }
            Err(e) => tracing::warn!(
                "cannot adopt generation #{} yet (trying again): {e}",
                manifest.seq
            ),
        }
    }
}

/// Says in `replica.<name>` which generation this replica answers from.
async fn report(shared: &Shared, manifest: &Manifest) {
    let key = format!("replica.{}", key_part(&shared.settings.name));
    let value = serde_json::json!({
        "seq": manifest.seq,
        "generation": manifest.generation,
        "published_ms": manifest.published_ms,
        "adopted_ms": super::unix_ms(),
    });
    if let Err(e) = shared.state.put(key, value.to_string().into()).await {
        tracing::debug!("reporting the generation: {e}");
    }
}

/// A name made fit for a key: letters, digits, `-` and `_` kept, anything else `_`.
pub fn key_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Copies the generation `manifest` names (what is not already here) and adopts it.
pub async fn adopt(
    shared: &Shared,
    engine: &Arc<Engine>,
    manifest: &Manifest,
) -> Result<Copied, ClusterError> {
    let current = engine.generation();
    if current.name == manifest.generation && manifest.is(&current.files) {
        return Ok(Copied::default());
    }
    let copied = copy(shared, engine.index_dir(), engine.corpus_dir(), manifest).await?;
    let (engine, name) = (Arc::clone(engine), manifest.generation.clone());
    tokio::task::spawn_blocking(move || engine.adopt(&name))
        .await
        .map_err(nats)??;
    Ok(copied)
}

/// Opens the replica's engine over `index_dir`, its copy of the corpus in `corpus_dir`, and
/// follows `CURRENT` from then on. When it has no generation yet, it waits for NATS and the
/// writer's first one (said in the log): a replica never answers from an empty index.
pub async fn start(
    settings: Settings,
    index_dir: &Path,
    corpus_dir: &Path,
    services: crate::engine::Services,
) -> Result<Arc<Engine>, ClusterError> {
    std::fs::create_dir_all(corpus_dir).map_err(io(corpus_dir))?;
    let open = || Engine::open_built(corpus_dir, index_dir, services.clone());
    let engine = match open() {
        Ok(engine) => engine,
        Err(crate::engine::IndexError::Empty(_)) => {
            tracing::info!("no generation here yet: waiting for the writer's first one");
            let mut said = false;
            loop {
                let first = async {
                    let shared = Shared::connect(&settings).await?;
                    let Some((manifest, _)) = shared.current().await? else {
                        return Err(ClusterError::Nats("nothing is published yet".into()));
                    };
                    copy(&shared, index_dir, corpus_dir, &manifest).await?;
                    let (dir, name) = (index_dir.to_path_buf(), manifest.generation.clone());
                    tokio::task::spawn_blocking(move || crate::engine::install(&dir, &name))
                        .await
                        .map_err(nats)??;
                    Ok::<_, ClusterError>(manifest)
                };
                match first.await {
                    Ok(m) => {
                        tracing::info!("copied generation #{} ({} articles)", m.seq, m.articles);
                        break;
                    }
                    Err(e) if !said => {
                        tracing::info!("still waiting for a first generation: {e}");
                        said = true;
                    }
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            open()?
        }
        Err(e) => return Err(e.into()),
    };
    let engine = Arc::new(engine);
    tokio::spawn(follow(settings, Arc::clone(&engine)));
    Ok(engine)
}

/// Copies what this machine lacks of the generation `manifest` names into `index_dir`, and
/// of the corpus files its catalog names into `corpus_dir`; `meta.json` last.
async fn copy(
    shared: &Shared,
    index_dir: &Path,
    corpus_dir: &Path,
    manifest: &Manifest,
) -> Result<Copied, ClusterError> {
    let mut copied = Copied::default();
    let dir = crate::engine::generation_dir(index_dir, &manifest.generation)?;
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    // owned, so that the fetches' futures borrow nothing (they are sent between threads)
    let missing: Vec<(PathBuf, String, u64)> = manifest
        .files
        .iter()
        .filter(|f| !std::fs::metadata(dir.join(&f.name)).is_ok_and(|m| m.len() == f.size))
        .map(|f| (dir.join(&f.name), manifest.object(&f.name), f.size))
        .collect();
    let fetched: Vec<Result<u64, ClusterError>> = futures_util::stream::iter(missing)
        .map(|(path, object, expected)| {
            let shared = shared.clone();
            let carried = manifest.carried(&object);
            async move {
                let bytes = match carried {
                    Some(bytes) => bytes,
                    None => fetch(&shared, &object).await?,
                };
                let size = bytes.len() as u64;
                if size != expected {
                    return Err(ClusterError::Manifest(format!(
                        "{object} has {size} bytes in the store, the manifest says {expected}"
                    )));
                }
                write_new(&path, bytes).await?;
                Ok(size)
            }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    for size in fetched {
        copied.bytes += size?;
        copied.files += 1;
    }
    // the corpus files the catalog names, for summaries
    let catalog = dir.join(&manifest.catalog);
    let bytes = std::fs::read(&catalog).map_err(io(&catalog))?;
    for file in corpus_in_catalog(&bytes).map_err(ClusterError::Manifest)? {
        let path = corpus_dir.join(&file.path);
        if !is_hash(&file.hash) || has(&path, file.size, &file.hash) {
            continue;
        }
        let object = corpus_object(&file.hash);
        let bytes = match manifest.carried(&object) {
            Some(bytes) => Ok(bytes),
            None => fetch(shared, &object).await,
        };
        match bytes {
            Ok(bytes) if content_hash(&bytes) == file.hash => {
                copied.bytes += bytes.len() as u64;
                copied.files += 1;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(io(parent))?;
                }
                write_new(&path, bytes).await?;
            }
            // the writer did not send it (it changed under it): its next generation will
            _ => copied.missing += 1,
        }
    }
    // meta.json last: it names the files above, all in place now
    write_new(&dir.join("meta.json"), manifest.meta.clone().into_bytes()).await?;
    Ok(copied)
}

/// Whether `path` holds `size` bytes whose hash is `hash`.
fn has(path: &Path, size: u64, hash: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == size)
        && std::fs::read(path).is_ok_and(|b| content_hash(&b) == hash)
}

/// An object's bytes (the object store checks their digest as they are read).
async fn fetch(shared: &Shared, object: &str) -> Result<Vec<u8>, ClusterError> {
    let started = Instant::now();
    let mut reader = shared
        .files
        .get(object)
        .await
        .map_err(|e| ClusterError::Nats(format!("{object}: {e}")))?;
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ClusterError::Nats(format!("{object}: {e}")))?;
    tracing::debug!(
        "fetched {object} ({} bytes) in {} ms",
        bytes.len(),
        started.elapsed().as_millis()
    );
    Ok(bytes)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, synced, then
/// renamed over it.
async fn write_new(path: &Path, bytes: Vec<u8>) -> Result<(), ClusterError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let part = path.with_file_name(format!(".{name}.part"));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&part)?;
            std::io::Write::write_all(&mut file, &bytes)?;
            file.sync_all()?;
            std::fs::rename(&part, &path)
        };
        write().map_err(io(&path))
    })
    .await
    .map_err(nats)?
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    let path: PathBuf = path.to_path_buf();
    move |source| ClusterError::Io { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_becomes_a_key() {
        assert_eq!(key_part("127.0.0.2:8080"), "127_0_0_2_8080");
        assert_eq!(key_part("a-b_c"), "a-b_c");
        assert_eq!(key_part("é/*>"), "____");
    }
}
