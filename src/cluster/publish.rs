//! The writer's side: publishing the engine's generation. Every file it is made of goes to
//! the object store first (files are never rewritten, so one already there is not sent
//! again), then the corpus files its catalog names, by content hash; only then is `CURRENT`
//! switched, by compare-and-set, to its manifest. A writer killed halfway leaves `CURRENT`
//! on the last whole generation, and the objects it sent are reused by the next attempt.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use futures_util::StreamExt;

use super::lease::Held;
use super::manifest::{corpus_object, is_hash, Manifest};
use super::{nats, ClusterError, Shared, CURRENT};
use crate::engine::{content_hash, Engine};

/// Objects sent at once.
const PARALLEL: usize = 8;
/// The longest a new writer waits for the list of published files.
const LIST_WITHIN: Duration = Duration::from_secs(2);
/// How often objects no published generation needs are removed, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Publishes generations: what was sent, and what `CURRENT` holds.
pub struct Publisher {
    shared: Shared,
    /// Objects known to be in the store.
    sent: HashSet<String>,
    /// What `CURRENT` holds, with its revision, as this writer last saw it.
    last: Option<(Manifest, u64)>,
    /// The objects the last two published generations need.
    needed: [HashSet<String>; 2],
    swept: Option<Instant>,
}

/// What one publication did.
#[derive(Debug, Clone)]
pub struct Published {
    pub manifest: Manifest,
    /// Objects sent, and their bytes.
    pub sent: usize,
    pub bytes: u64,
    pub seconds: f64,
}

impl Publisher {
    /// A publisher over `shared`: it learns what the store holds and what `CURRENT` is.
    pub async fn new(shared: Shared) -> Result<Publisher, ClusterError> {
        // what the store holds spares sending it again; when it cannot be listed quickly (a
        // node just died), objects are sent again, which is only slower
        let listed = tokio::time::timeout(LIST_WITHIN, async {
            let mut sent = HashSet::new();
            let mut list = shared.files.list().await.map_err(nats)?;
            while let Some(info) = list.next().await {
                let info = info.map_err(nats)?;
                if !info.deleted {
                    sent.insert(info.name);
                }
            }
            Ok::<_, ClusterError>(sent)
        })
        .await;
        let sent = match listed {
            Ok(Ok(sent)) => sent,
            Ok(Err(e)) => {
                tracing::debug!("listing the published files: {e}");
                HashSet::new()
            }
            Err(_) => {
                tracing::debug!("listing the published files: no answer within {LIST_WITHIN:?}");
                HashSet::new()
            }
        };
        let last = shared.current().await?;
        Ok(Publisher {
            shared,
            sent,
            last,
            needed: Default::default(),
            swept: None,
        })
    }

    /// The manifest `CURRENT` held when last seen.
    pub fn current(&self) -> Option<&Manifest> {
        self.last.as_ref().map(|(m, _)| m)
    }

    /// Publishes the engine's generation, unless `CURRENT` already names it (None). Refused
    /// once the lease is lost, before `CURRENT` is touched.
    pub async fn publish(
        &mut self,
        engine: &Engine,
        lease: &Held,
    ) -> Result<Option<Published>, ClusterError> {
        let generation = engine.generation();
        if let Some((m, _)) = &self.last {
            if m.generation == generation.name && m.is(&generation.files) {
                return Ok(None);
            }
        }
        let started = Instant::now();
        let mut manifest = Manifest::of(&generation, 0, &self.shared.settings.name);
        let mut wanted: Vec<(String, std::path::PathBuf, Option<String>)> = manifest
            .files
            .iter()
            .map(|f| (manifest.object(&f.name), generation.dir.join(&f.name), None))
            .collect();
        let corpus = engine.corpus_dir().to_path_buf();
        for file in generation.corpus() {
            if is_hash(&file.hash) {
                wanted.push((
                    corpus_object(&file.hash),
                    corpus.join(&file.path),
                    Some(file.hash),
                ));
            }
        }
        let needed: HashSet<String> = wanted.iter().map(|(o, _, _)| o.clone()).collect();
        let to_send: Vec<_> = wanted
            .into_iter()
            .filter(|(object, _, _)| !self.sent.contains(object))
            .collect();
        let files = self.shared.files.clone();
        let results: Vec<Result<Option<Sent>, ClusterError>> = futures_util::stream::iter(to_send)
            .map(|(object, path, hash)| {
                let files = files.clone();
                async move { send(&files, object, &path, hash.as_deref()).await }
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let (mut sent, mut bytes) = (0, 0);
        for r in results {
            if let Some((object, content)) = r? {
                manifest.carry(&object, &content);
                self.sent.insert(object);
                sent += 1;
                bytes += content.len() as u64;
            }
        }
        // every file is there: switch CURRENT, unless another writer did meanwhile
        for _ in 0..3 {
            if !lease.is_held() {
                return Err(ClusterError::LeaseLost(
                    "not publishing: the lease went while the files were sent".into(),
                ));
            }
            manifest.seq = self.last.as_ref().map_or(1, |(m, _)| m.seq + 1);
            manifest.published_ms = super::unix_ms();
            let value = serde_json::to_vec(&manifest).map_err(nats)?;
            let switched = match &self.last {
                Some((_, revision)) => self
                    .shared
                    .state
                    .update(CURRENT, value.into(), *revision)
                    .await
                    .map_err(|e| (e.kind() == kv::UpdateErrorKind::WrongLastRevision, nats(e))),
                None => self
                    .shared
                    .state
                    .create(CURRENT, value.into())
                    .await
                    .map_err(|e| (e.kind() == kv::CreateErrorKind::AlreadyExists, nats(e))),
            };
            match switched {
                Ok(revision) => {
                    self.last = Some((manifest.clone(), revision));
                    let [_, previous] = std::mem::take(&mut self.needed);
                    self.needed = [needed, previous];
                    let published = Published {
                        manifest,
                        sent,
                        bytes,
                        seconds: started.elapsed().as_secs_f64(),
                    };
                    self.sweep().await;
                    return Ok(Some(published));
                }
                // CURRENT moved under us: look again, and number after it
                Err((true, _)) => self.last = self.shared.current().await?,
                Err((false, e)) => return Err(e),
            }
        }
        Err(ClusterError::Nats(
            "CURRENT kept changing while publishing: is another writer running without the lease?"
                .into(),
        ))
    }

    /// Removes the objects neither of the last two published generations needs, once a
    /// minute at most (a replica still copying the one before finds its files).
    async fn sweep(&mut self) {
        if self.swept.is_some_and(|t| t.elapsed() < SWEEP_EVERY) || self.needed[1].is_empty() {
            return;
        }
        self.swept = Some(Instant::now());
        let stale: Vec<String> = self
            .sent
            .iter()
            .filter(|o| !self.needed[0].contains(*o) && !self.needed[1].contains(*o))
            .cloned()
            .collect();
        for object in stale {
            match self.shared.files.delete(&object).await {
                Ok(()) => {
                    self.sent.remove(&object);
                }
                Err(e) => tracing::debug!("removing {object}: {e}"),
            }
        }
    }
}

/// An object sent, and its bytes.
type Sent = (String, Vec<u8>);

/// Sends one file as `object`, and gives its bytes back. A corpus file whose bytes no longer have the hash the catalog
/// says (it changed since it was indexed) is not sent: the next generation will have it.
async fn send(
    files: &async_nats::jetstream::object_store::ObjectStore,
    object: String,
    path: &Path,
    hash: Option<&str>,
) -> Result<Option<Sent>, ClusterError> {
    let owned = path.to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(&owned))
        .await
        .map_err(nats)?
        .map_err(|source| ClusterError::Io {
            path: path.to_path_buf(),
            source,
        });
    let bytes = match (bytes, hash) {
        (Ok(b), Some(h)) if content_hash(&b) != h => return Ok(None),
        // a corpus file removed since it was indexed, likewise
        (Err(_), Some(_)) => return Ok(None),
        (b, _) => b?,
    };
    files
        .put(object.as_str(), &mut bytes.as_slice())
        .await
        .map_err(nats)?;
    Ok(Some((object, bytes)))
}

/// Publishes the engine's generation now and whenever it changes, for as long as the lease
/// is held; each publication is said in the log. Returns when `shutdown` completes (the lease
/// is let go) or when the lease is lost (an error: the caller stops writing).
pub async fn run(
    shared: Shared,
    engine: Arc<Engine>,
    mut lease: Held,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ClusterError> {
    tokio::pin!(shutdown);
    // NATS may be electing leaders (a node just died or came back): try again, lease in hand
    let mut said = false;
    let mut publisher = loop {
        match Publisher::new(shared.clone()).await {
            Ok(p) => break p,
            Err(e) => {
                if !said {
                    tracing::warn!("cannot read what is published yet (trying again): {e}");
                    said = true;
                }
            }
        }
        tokio::select! {
            () = &mut shutdown => {
                lease.release().await;
                return Ok(());
            }
            why = lease.lost() => return Err(ClusterError::LeaseLost(why)),
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    };
    let mut wait = Duration::ZERO;
    loop {
        tokio::select! {
            () = &mut shutdown => {
                lease.release().await;
                return Ok(());
            }
            why = lease.lost() => return Err(ClusterError::LeaseLost(why)),
            () = tokio::time::sleep(wait) => {}
        }
        match publisher.publish(&engine, &lease).await {
            Ok(Some(p)) => {
                wait = Duration::from_millis(100);
                tracing::info!(
                    "published generation #{} ({}, {} articles, {} passages): {} files sent ({} bytes) in {:.2} s",
                    p.manifest.seq,
                    p.manifest.generation,
                    p.manifest.articles,
                    p.manifest.passages,
                    p.sent,
                    p.bytes,
                    p.seconds
                );
            }
            Ok(None) => wait = Duration::from_millis(100),
            Err(e @ ClusterError::LeaseLost(_)) => return Err(e),
            Err(e) => {
                wait = (wait * 2).clamp(Duration::from_millis(500), Duration::from_secs(5));
                tracing::warn!(
                    "could not publish the index (trying again in {:.1} s): {e}",
                    wait.as_secs_f64()
                );
            }
        }
    }
}
