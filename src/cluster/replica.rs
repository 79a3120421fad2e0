//! A replica's side: following `CURRENT`. Each manifest it names is copied into the local
//! index directory (only the files not already there; the generation's `meta.json` last,
//! since it names the others), the corpus files its catalog names are copied into the local
//! corpus (for summaries), and the engine adopts it, which opens and checks it before
//! questions go to it. The replica then says in `replica.<name>` what it answers from.
//!
//! A replica that cannot reach NATS keeps answering from the generation it has, and catches
//! up when NATS is back; one that cannot copy a generation (a file missing from the store, a
//! full disk) keeps the one it has and tries again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;

use super::manifest::{corpus_object, is_hash, unpack, Manifest};
use super::{nats, ClusterError, Settings, Shared, ANNOUNCE, CURRENT, LATEST};
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

/// Follows the published generations for as long as the process runs: connects (again and
/// again while NATS cannot be reached), then hears the writer's announcements at once, and
/// follows `CURRENT` as soon as JetStream answers (seconds after a NATS node's death). The
/// client reconnects by itself after that, to any server of the cluster; a broken watch is
/// opened again.
pub async fn follow(settings: Settings, engine: Arc<Engine>) {
    let mut said = false;
    let started = Instant::now();
    let client = loop {
        match super::connect_client(&settings).await {
            Ok(client) => {
                tracing::debug!("connected to NATS in {} ms", started.elapsed().as_millis());
                break client;
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
    let (tx, jet) = tokio::sync::watch::channel(None);
    {
        let client = client.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            loop {
                match Shared::open(client.clone(), &settings).await {
                    Ok(shared) => {
                        tracing::debug!(
                            "JetStream answered in {} ms",
                            started.elapsed().as_millis()
                        );
                        let _ = tx.send(Some(shared));
                        return;
                    }
                    Err(e) => tracing::debug!("opening the buckets: {e}"),
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    if engine.has_embedder() {
        // the writer embeds the passages; questions are embedded here
        tokio::spawn(super::vectors::follow(
            client.clone(),
            jet.clone(),
            Arc::clone(&engine),
        ));
    }
    follow_with(&client, jet, &engine).await;
}

/// JetStream's buckets once they are open.
pub(super) type Jet = tokio::sync::watch::Receiver<Option<Shared>>;

/// The buckets, when open.
pub(super) fn opened(jet: &Jet) -> Option<Shared> {
    jet.borrow().clone()
}

/// The longest wait for one read of `CURRENT`: a request to a server that just died is not
/// answered, and the next tick tries again.
const READ_WITHIN: Duration = Duration::from_secs(1);

/// The key of the generation a replica holds (none yet, after a start), and the revision of
/// `CURRENT` it adopted last.
type Held = (Option<(u64, u64)>, Option<u64>);

/// What the follower is told: a manifest's bytes, and where they came from.
type Seen = (bytes::Bytes, Source);

/// Watches `CURRENT` in a task of its own, sending each value to `tx`; a watch that breaks
/// is opened again. Opening one can take seconds while a NATS node is down: the follower
/// hears the writer and reads `CURRENT` meanwhile.
fn watch_current(mut jet: Jet, tx: tokio::sync::mpsc::Sender<Seen>) {
    tokio::spawn(async move {
        let Ok(shared) = jet.wait_for(Option::is_some).await.map(|s| s.clone()) else {
            return;
        };
        let Some(shared) = shared else {
            return;
        };
        loop {
            match shared.state.watch_with_history(CURRENT).await {
                Ok(mut watch) => {
                    while let Some(entry) = watch.next().await {
                        match entry {
                            Ok(e) if e.operation == kv::Operation::Put => {
                                let seen = (e.value, Source::Current(e.revision));
                                if tx.send(seen).await.is_err() {
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

/// Where a manifest came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `CURRENT`, at this revision: published, every file in the store.
    Current(u64),
    /// The writer's announcement, or its answer when asked.
    Writer,
}

/// Whether a replica holding the generation of key `held` (none yet, after a start) takes
/// `manifest` from `source`: anything later than what it holds, and `CURRENT` also when it
/// has the same key (the writer's announcement of it, then its publication, are one
/// generation: taking it again costs a comparison). Never an earlier one: while JetStream
/// elects a leader, `CURRENT` may lag behind what the writer announced.
fn takes(held: Option<(u64, u64)>, manifest: &Manifest, source: Source) -> bool {
    match held {
        None => true,
        Some(held) => {
            manifest.key() > held
                || (manifest.key() == held && matches!(source, Source::Current(_)))
        }
    }
}

/// Asks the writer for a generation later than `held`; None when it has none, or does not
/// answer.
async fn ask_writer(client: &async_nats::Client, held: Option<(u64, u64)>) -> Option<bytes::Bytes> {
    let question = serde_json::to_vec(&held).unwrap_or_default();
    match tokio::time::timeout(READ_WITHIN, client.request(LATEST, question.into())).await {
        Ok(Ok(answer)) if !answer.payload.is_empty() => Some(answer.payload),
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::debug!("asking the writer for its latest generation: {e}");
            None
        }
        Err(_) => None,
    }
}

/// Reads `CURRENT`; None when it has not changed since `adopted`, or cannot be read now.
async fn read_current(jet: &Jet, adopted: Option<u64>) -> Option<(bytes::Bytes, u64)> {
    let shared = opened(jet)?;
    match tokio::time::timeout(READ_WITHIN, shared.state.entry(CURRENT)).await {
        Ok(Ok(Some(e))) if e.operation == kv::Operation::Put && Some(e.revision) != adopted => {
            Some((e.value, e.revision))
        }
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::debug!("reading CURRENT: {e}");
            None
        }
        Err(_) => {
            tracing::debug!("reading CURRENT: no answer within {READ_WITHIN:?}");
            None
        }
    }
}

/// Hears the writer's announcements in a task of its own, sending each to `tx`.
fn hear_writer(client: async_nats::Client, tx: tokio::sync::mpsc::Sender<Seen>) {
    tokio::spawn(async move {
        let mut announced = match client.subscribe(ANNOUNCE).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot hear the writer's announcements (CURRENT only): {e}");
                return;
            }
        };
        while let Some(message) = announced.next().await {
            if tx.send((message.payload, Source::Writer)).await.is_err() {
                return;
            }
        }
    });
}

/// Every [`LOOK_EVERY`], in a task of its own, reads `CURRENT` and asks the writer for a
/// generation later than the one held, sending what is new to `tx`. Either may go
/// unanswered for a while (a read waits up to [`READ_WITHIN`]): the follower does not wait
/// for them.
fn look_again(
    client: async_nats::Client,
    jet: Jet,
    held: tokio::sync::watch::Receiver<Held>,
    tx: tokio::sync::mpsc::Sender<Seen>,
) {
    tokio::spawn(async move {
        let mut look = tokio::time::interval(LOOK_EVERY);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            look.tick().await;
            let (key, revision) = *held.borrow();
            let (current, latest) =
                tokio::join!(read_current(&jet, revision), ask_writer(&client, key));
            for seen in [
                latest.map(|v| (v, Source::Writer)),
                current.map(|(v, r)| (v, Source::Current(r))),
            ]
            .into_iter()
            .flatten()
            {
                if tx.send(seen).await.is_err() {
                    return;
                }
            }
        }
    });
}

/// Follows the published generations: the writer's announcements, `CURRENT`'s watch, and
/// every [`LOOK_EVERY`] a read of `CURRENT` and a question to the writer; adopts each later
/// generation, for as long as the process runs.
async fn follow_with(client: &async_nats::Client, jet: Jet, engine: &Arc<Engine>) {
    // the key of the generation held, and the revision of CURRENT seen last
    let mut held: Option<(u64, u64)> = None;
    let mut adopted: Option<u64> = None;
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let (tell, told) = tokio::sync::watch::channel((held, adopted));
    watch_current(jet.clone(), tx.clone());
    hear_writer(client.clone(), tx.clone());
    look_again(client.clone(), jet.clone(), told, tx);
    while let Some((value, source)) = rx.recv().await {
        if let Source::Current(revision) = source {
            if Some(revision) == adopted {
                continue;
            }
        }
        let manifest = match Manifest::parse(&value) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("{e}; answering from the generation in hand");
                if let Source::Current(revision) = source {
                    adopted = Some(revision);
                }
                continue;
            }
        };
        if !takes(held, &manifest, source) {
            continue;
        }
        let started = Instant::now();
        let shared = opened(&jet);
        match adopt(shared.as_ref(), engine, &manifest).await {
            Ok(copied) => {
                held = Some(manifest.key());
                if let Source::Current(revision) = source {
                    adopted = Some(revision);
                }
                tell.send_replace((held, adopted));
                if copied != Copied::default() {
                    tracing::info!(
                        "answering from generation #{} ({}, {} articles, {}): {} files copied ({} bytes) in {:.2} s, {} ms after the writer made it ready",
                        manifest.seq,
                        manifest.generation,
                        manifest.articles,
                        match source {
                            Source::Current(_) => "published",
                            Source::Writer => "announced",
                        },
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
                // in a task: JetStream may be electing a leader, and the next generation
                // must not wait for this report
                if let Some(shared) = shared {
                    tokio::spawn(report(shared, manifest));
                }
            }
            Err(e) => tracing::warn!(
                "cannot adopt generation #{} yet (trying again): {e}",
                manifest.seq
            ),
        }
    }
}

/// Says in `replica.<name>` which generation this replica answers from.
async fn report(shared: Shared, manifest: Manifest) {
    let key = format!("replica.{}", key_part(&shared.settings.name));
    let value = serde_json::json!({
        "seq": manifest.seq,
        "epoch": manifest.epoch,
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
    shared: Option<&Shared>,
    engine: &Arc<Engine>,
    manifest: &Manifest,
) -> Result<Copied, ClusterError> {
    let current = engine.generation();
    if current.name == manifest.generation && manifest.is(&current.files) {
        return Ok(Copied::default());
    }
    // the corpus files of the generation in hand are here already: only the others are
    // looked at (reading and hashing 20,000 files at every commit took most of a second)
    let known: HashSet<(String, String)> = current
        .corpus()
        .into_iter()
        .map(|f| (f.path, f.hash))
        .collect();
    let copied = copy(
        shared,
        engine.index_dir(),
        engine.corpus_dir(),
        manifest,
        &known,
    )
    .await?;
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
                    let known = HashSet::new();
                    copy(Some(&shared), index_dir, corpus_dir, &manifest, &known).await?;
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
    shared: Option<&Shared>,
    index_dir: &Path,
    corpus_dir: &Path,
    manifest: &Manifest,
    known: &HashSet<(String, String)>,
) -> Result<Copied, ClusterError> {
    let mut copied = Copied::default();
    let dir = crate::engine::generation_dir(index_dir, &manifest.generation)?;
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    // owned, so that the fetches' futures borrow nothing (they are sent between threads)
    let missing: Vec<(PathBuf, String, u64)> = manifest
        .files
        .iter()
        .filter(|f| !std::fs::metadata(dir.join(&f.name)).is_ok_and(|m| m.len() == f.size))
        .map(|f| (dir.join(&f.name), manifest.object_of(f), f.size))
        .collect();
    let fetched: Vec<Result<u64, ClusterError>> = futures_util::stream::iter(missing)
        .map(|(path, object, expected)| {
            let shared = shared.cloned();
            let carried = manifest.carried(&object);
            async move {
                let stored = match carried {
                    Some(bytes) => bytes,
                    None => fetch(shared.as_ref(), &object).await?,
                };
                let sent = stored.len() as u64;
                let bytes = tokio::task::spawn_blocking(move || unpack(&object, stored, expected))
                    .await
                    .map_err(nats)??;
                write_new(&path, bytes).await?;
                Ok(sent)
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
        if !is_hash(&file.hash) {
            continue;
        }
        // a file of the generation in hand, still its size, is taken as it was checked then
        let kept = known.contains(&(file.path.clone(), file.hash.clone()))
            && std::fs::metadata(&path).is_ok_and(|m| m.len() == file.size);
        if kept || has(&path, file.size, &file.hash) {
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
pub(super) async fn fetch(shared: Option<&Shared>, object: &str) -> Result<Vec<u8>, ClusterError> {
    let Some(shared) = shared else {
        return Err(ClusterError::Nats(format!(
            "{object}: the object store does not answer yet"
        )));
    };
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

    fn numbered(epoch: u64, seq: u64) -> Manifest {
        let mut m: Manifest = serde_json::from_value(serde_json::json!({
            "format": super::super::manifest::FORMAT,
            "seq": seq,
            "generation": "gen-1",
            "meta": "{}",
            "files": [{"name": "catalog-1.json", "size": 1}],
            "catalog": "catalog-1.json",
            "articles": 1,
            "passages": 1,
            "published_ms": 0,
            "writer": "w"
        }))
        .unwrap();
        m.epoch = epoch;
        m
    }

    #[test]
    fn a_replica_takes_later_generations_only() {
        let (writer, current) = (Source::Writer, Source::Current(9));
        // after a start, whatever comes first
        assert!(takes(None, &numbered(0, 1), writer));
        // a later number, or a later writer whatever its numbers
        assert!(takes(Some((5, 3)), &numbered(5, 4), writer));
        assert!(takes(Some((5, 3)), &numbered(6, 1), current));
        // never back: CURRENT lagging behind what the writer announced, or a deposed writer
        assert!(!takes(Some((5, 4)), &numbered(5, 3), current));
        assert!(!takes(Some((6, 1)), &numbered(5, 9), writer));
        // the announcement of what is held is nothing new; its publication is looked at
        assert!(!takes(Some((5, 4)), &numbered(5, 4), writer));
        assert!(takes(Some((5, 4)), &numbered(5, 4), current));
    }

    #[test]
    fn a_manifest_without_an_epoch_comes_before_any_with_one() {
        let mut old = serde_json::to_value(numbered(0, 40)).unwrap();
        old.as_object_mut().unwrap().remove("epoch");
        let old = Manifest::parse(old.to_string().as_bytes()).unwrap();
        assert_eq!(old.key(), (0, 40));
        assert!(takes(Some(old.key()), &numbered(1, 1), Source::Writer));
    }

    #[test]
    fn a_name_becomes_a_key() {
        assert_eq!(key_part("127.0.0.2:8080"), "127_0_0_2_8080");
        assert_eq!(key_part("a-b_c"), "a-b_c");
        assert_eq!(key_part("é/*>"), "____");
    }
}
