//! The writer's side: publishing the engine's generation, in two steps.
//!
//! 1. **Announced** as soon as it is committed: its manifest, numbered after the last one and
//!    stamped with the lease's epoch, carrying inline every small file not yet in the object
//!    store, goes out on [`ANNOUNCE`] in plain NATS, and is the answer to replicas that ask on
//!    [`LATEST`]. A generation with a file too big to carry is not announced: `CURRENT` says
//!    it once it is published.
//! 2. **Published**: every file it is made of goes to the object store (files are never
//!    rewritten, so one already there is not sent again), then the corpus files its catalog
//!    names, by content hash; only then is `CURRENT` switched, by compare-and-set, to the same
//!    manifest. A writer killed halfway leaves `CURRENT` on the last whole generation, and the
//!    objects it sent are reused by the next attempt.
//!
//! The second step waits for JetStream, which has no leader for a bucket for seconds after a
//! NATS node dies; the first does not, and goes on announcing each commit meanwhile.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::lease::{Held, View};
use super::manifest::{corpus_object, is_hash, pack, Manifest};
use super::{nats, ClusterError, Shared, ANNOUNCE, CURRENT, LATEST};
use crate::engine::{content_hash, Engine};

/// Objects sent at once.
const PARALLEL: usize = 8;
/// The longest a new writer waits for the list of published files, when it first publishes.
const LIST_WITHIN: Duration = Duration::from_secs(10);
/// The longest a new writer waits for `CURRENT` before it announces.
const READ_WITHIN: Duration = Duration::from_secs(1);
/// How often objects no published generation needs are removed, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// How often the writer looks for a new commit.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// What the announcing and the publishing steps share.
#[derive(Default)]
struct Book {
    /// Objects known to be in the store.
    sent: HashSet<String>,
    /// The greatest number given to a manifest.
    seq: u64,
    /// The last generation announced, for replicas that ask.
    latest: Option<Arc<Manifest>>,
}

/// The book, locked; a panic elsewhere while it was held leaves it usable (it holds sets and
/// numbers only, each update whole).
fn lock(book: &Mutex<Book>) -> std::sync::MutexGuard<'_, Book> {
    book.lock().unwrap_or_else(|e| e.into_inner())
}

/// A generation made ready: its manifest, and the objects to send for it.
pub struct Prepared {
    pub manifest: Manifest,
    /// Object, local file, and content hash for corpus files.
    to_send: Vec<(String, PathBuf, Option<String>)>,
    /// Every object it needs.
    needed: HashSet<String>,
    /// Whether the manifest carries every object not known to be in the store.
    pub complete: bool,
}

/// Publishes generations: what was sent, and what `CURRENT` holds.
pub struct Publisher {
    shared: Shared,
    book: Arc<Mutex<Book>>,
    /// What `CURRENT` holds, with its revision, as this writer last saw it.
    last: Option<(Manifest, u64)>,
    /// The listing of what the store holds, until it is taken into the book.
    listing: Option<tokio::task::JoinHandle<Result<HashSet<String>, ClusterError>>>,
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
    /// A publisher over `shared`: it reads `CURRENT`, and lists what the store holds in a
    /// task of its own. Neither waits for JetStream: while a NATS node's death leaves a
    /// bucket without a leader, `CURRENT` is read again when publishing, and the listing only
    /// spares sending objects again.
    pub async fn new(shared: Shared) -> Publisher {
        let listing = {
            let files = shared.files.clone();
            tokio::spawn(async move {
                let mut sent = HashSet::new();
                let mut list = files.list().await.map_err(nats)?;
                while let Some(info) = list.next().await {
                    let info = info.map_err(nats)?;
                    if !info.deleted {
                        sent.insert(info.name);
                    }
                }
                Ok::<_, ClusterError>(sent)
            })
        };
        let last = match tokio::time::timeout(READ_WITHIN, shared.current()).await {
            Ok(Ok(last)) => last,
            Ok(Err(e)) => {
                tracing::warn!("cannot read CURRENT yet ({e}): it is read again when publishing");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "CURRENT did not answer within {READ_WITHIN:?}: it is read again when publishing"
                );
                None
            }
        };
        let book = Book {
            sent: HashSet::new(),
            seq: last.as_ref().map_or(0, |(m, _)| m.seq),
            latest: None,
        };
        Publisher {
            shared,
            book: Arc::new(Mutex::new(book)),
            last,
            listing: Some(listing),
            needed: Default::default(),
            swept: None,
        }
    }

    /// Waits (a while at most) for the listing of the store, once.
    async fn listed(&mut self) {
        let Some(listing) = self.listing.take() else {
            return;
        };
        let abort = listing.abort_handle();
        match tokio::time::timeout(LIST_WITHIN, listing).await {
            Ok(Ok(Ok(sent))) => lock(&self.book).sent.extend(sent),
            Ok(Ok(Err(e))) => tracing::debug!("listing the published files: {e}"),
            Ok(Err(e)) => tracing::debug!("listing the published files: {e}"),
            Err(_) => {
                abort.abort();
                tracing::debug!("listing the published files: no answer within {LIST_WITHIN:?}");
            }
        }
    }

    /// The manifest `CURRENT` held when last seen.
    pub fn current(&self) -> Option<&Manifest> {
        self.last.as_ref().map(|(m, _)| m)
    }

    /// Publishes a prepared generation: sends the objects the store lacks, then switches
    /// `CURRENT` to its manifest, unless `CURRENT` already has it (None). Refused once the
    /// lease is lost, before `CURRENT` is touched.
    pub async fn publish(
        &mut self,
        prepared: &Prepared,
        lease: &View,
    ) -> Result<Option<Published>, ClusterError> {
        self.listed().await;
        let mut manifest = prepared.manifest.clone();
        if let Some((m, _)) = &self.last {
            if m.key() >= manifest.key() && m.generation == manifest.generation {
                return Ok(None);
            }
        }
        let started = Instant::now();
        let to_send: Vec<_> = {
            let book = lock(&self.book);
            prepared
                .to_send
                .iter()
                .filter(|(object, _, _)| !book.sent.contains(object))
                .cloned()
                .collect()
        };
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
            if let Some((object, size)) = r? {
                lock(&self.book).sent.insert(object);
                sent += 1;
                bytes += size;
            }
        }
        // every file is there: switch CURRENT, unless another writer did meanwhile
        for _ in 0..3 {
            if !lease.is_held() {
                return Err(ClusterError::LeaseLost(
                    "not publishing: the lease went while the files were sent".into(),
                ));
            }
            if let Some((m, _)) = &self.last {
                if m.key() >= manifest.key() {
                    return Err(ClusterError::Nats(format!(
                        "CURRENT holds generation #{} of epoch {}, past this one's #{} of epoch {}: is another writer running without the lease?",
                        m.seq, m.epoch, manifest.seq, manifest.epoch
                    )));
                }
            }
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
                    self.needed = [prepared.needed.clone(), previous];
                    let published = Published {
                        manifest,
                        sent,
                        bytes,
                        seconds: started.elapsed().as_secs_f64(),
                    };
                    self.sweep().await;
                    return Ok(Some(published));
                }
                // CURRENT moved under us (a write of ours whose answer was lost, or a writer
                // before us): look again
                Err((true, _)) => {
                    self.last = self.shared.current().await?;
                    if let Some((m, _)) = &self.last {
                        if m.generation == manifest.generation && m.meta == manifest.meta {
                            return Ok(None);
                        }
                        if m.epoch < manifest.epoch && m.seq >= manifest.seq {
                            // a deposed writer numbered past us: come after it
                            manifest.seq = m.seq + 1;
                            let mut book = lock(&self.book);
                            book.seq = book.seq.max(manifest.seq);
                        }
                    }
                }
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
        let stale: Vec<String> = lock(&self.book)
            .sent
            .iter()
            .filter(|o| !self.needed[0].contains(*o) && !self.needed[1].contains(*o))
            .cloned()
            .collect();
        for object in stale {
            match self.shared.files.delete(&object).await {
                Ok(()) => {
                    lock(&self.book).sent.remove(&object);
                }
                Err(e) => tracing::debug!("removing {object}: {e}"),
            }
        }
    }
}

/// The announcing step: makes each new commit ready, and says it.
pub struct Preparer {
    shared: Shared,
    book: Arc<Mutex<Book>>,
}

impl Preparer {
    /// Makes the engine's generation ready to announce and publish, unless it is the one made
    /// ready last (None): numbers its manifest after every one before, stamps it with
    /// `epoch`, and carries inline the small files the store lacks.
    pub async fn prepare(
        &self,
        engine: &Engine,
        epoch: u64,
        after: Option<&Manifest>,
    ) -> Result<Option<Prepared>, ClusterError> {
        let generation = engine.generation();
        let same = |m: &Manifest| m.generation == generation.name && m.is(&generation.files);
        if after.is_some_and(same) {
            return Ok(None);
        }
        let seq = lock(&self.book).seq + 1;
        let mut manifest = Manifest::of(&generation, seq, &self.shared.settings.name);
        manifest.epoch = epoch;
        let mut wanted: Vec<(String, PathBuf, Option<String>)> = manifest
            .files
            .iter()
            .map(|f| (manifest.object_of(f), generation.dir.join(&f.name), None))
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
        let to_send: Vec<_> = {
            let book = lock(&self.book);
            wanted
                .into_iter()
                .filter(|(object, _, _)| !book.sent.contains(object))
                .collect()
        };
        // carried inline while they fit; past the first that does not, nothing more is read
        let mut complete = true;
        for (object, path, hash) in &to_send {
            match read(object, path, hash.as_deref()).await? {
                Some(bytes) if manifest.carry(object, &bytes) => {}
                Some(_) => {
                    complete = false;
                    break;
                }
                // a corpus file changed or removed since it was indexed: not sent either
                None => {}
            }
        }
        lock(&self.book).seq = seq;
        Ok(Some(Prepared {
            manifest,
            to_send,
            needed,
            complete,
        }))
    }

    /// Says `manifest` on [`ANNOUNCE`], and keeps it as the answer to replicas that ask.
    pub async fn announce(&self, manifest: &Manifest) -> Result<(), ClusterError> {
        lock(&self.book).latest = Some(Arc::new(manifest.clone()));
        let value = serde_json::to_vec(manifest).map_err(nats)?;
        self.shared
            .client
            .publish(ANNOUNCE, value.into())
            .await
            .map_err(nats)
    }
}

/// An object sent, and its size.
type Sent = (String, u64);

/// The bytes of a file to send; None for a corpus file whose bytes no longer have the hash
/// the catalog says (it changed or went since it was indexed: the next generation will have
/// it).
async fn read(
    object: &str,
    path: &Path,
    hash: Option<&str>,
) -> Result<Option<Vec<u8>>, ClusterError> {
    let bytes = tokio::fs::read(path).await;
    let bytes = match (bytes, hash) {
        (Ok(b), Some(h)) if content_hash(&b) != h => return Ok(None),
        (Err(_), Some(_)) => return Ok(None),
        (Ok(b), _) => b,
        (Err(source), None) => {
            return Err(ClusterError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let object = object.to_string();
    tokio::task::spawn_blocking(move || pack(&object, bytes))
        .await
        .map_err(nats)?
        .map(Some)
}

/// Sends one file as `object`, unless it is a corpus file that changed since it was indexed.
async fn send(
    files: &async_nats::jetstream::object_store::ObjectStore,
    object: String,
    path: &Path,
    hash: Option<&str>,
) -> Result<Option<Sent>, ClusterError> {
    let Some(bytes) = read(&object, path, hash).await? else {
        return Ok(None);
    };
    files
        .put(object.as_str(), &mut bytes.as_slice())
        .await
        .map_err(nats)?;
    Ok(Some((object, bytes.len() as u64)))
}

/// Answers replicas asking for the latest generation announced, for as long as it runs.
async fn answer_latest(client: async_nats::Client, book: Arc<Mutex<Book>>) {
    let mut asked = match client.subscribe(LATEST).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot answer replicas asking for the latest generation: {e}");
            return;
        }
    };
    while let Some(message) = asked.next().await {
        let Some(reply) = message.reply else {
            continue;
        };
        let theirs: Option<(u64, u64)> = serde_json::from_slice(&message.payload).ok();
        let latest = lock(&book).latest.clone();
        let answer = match latest {
            Some(m) if theirs.is_none_or(|k| m.key() > k) => {
                serde_json::to_vec(&*m).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        if let Err(e) = client.publish(reply, answer.into()).await {
            tracing::debug!("answering a replica: {e}");
        }
    }
}

/// Publishes what the announcing step makes ready, the latest first, for as long as the
/// lease is held; each publication is said in the log. Returns when the lease is lost.
async fn publish_each(
    mut publisher: Publisher,
    mut ready: watch::Receiver<Option<Arc<Prepared>>>,
    lease: View,
) -> Result<(), ClusterError> {
    let mut wait = Duration::from_millis(250);
    loop {
        let Some(prepared) = ready.borrow_and_update().clone() else {
            ready.changed().await.map_err(nats)?;
            continue;
        };
        match publisher.publish(&prepared, &lease).await {
            Ok(published) => {
                wait = Duration::from_millis(250);
                if let Some(p) = published {
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
                ready.changed().await.map_err(nats)?;
            }
            Err(e @ ClusterError::LeaseLost(_)) => return Err(e),
            Err(e) => {
                tracing::warn!(
                    "could not publish generation #{} (trying again within {:.1} s): {e}",
                    prepared.manifest.seq,
                    wait.as_secs_f64()
                );
                // a newer generation ends the wait: it is the one to publish
                let _ = tokio::time::timeout(wait, ready.changed()).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Announces and publishes the engine's generation once, for `kiosque index`: None when
/// `CURRENT` holds it already.
pub async fn once(
    shared: Shared,
    engine: &Engine,
    lease: &Held,
) -> Result<Option<Published>, ClusterError> {
    let mut publisher = Publisher::new(shared.clone()).await;
    let preparer = Preparer {
        shared,
        book: publisher.book.clone(),
    };
    let Some(prepared) = preparer
        .prepare(engine, lease.epoch(), publisher.current())
        .await?
    else {
        return Ok(None);
    };
    if prepared.complete {
        if let Err(e) = preparer.announce(&prepared.manifest).await {
            tracing::debug!("announcing generation #{}: {e}", prepared.manifest.seq);
        }
    }
    publisher.publish(&prepared, &lease.view()).await
}

/// Announces and publishes the engine's generation now and whenever it changes, for as long
/// as the lease is held; each is said in the log. Returns when `shutdown` completes (the
/// lease is let go) or when the lease is lost (an error: the caller stops writing).
pub async fn run(
    shared: Shared,
    engine: Arc<Engine>,
    mut lease: Held,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ClusterError> {
    tokio::pin!(shutdown);
    let publisher = Publisher::new(shared.clone()).await;
    let preparer = Preparer {
        shared: shared.clone(),
        book: publisher.book.clone(),
    };
    let mut last = publisher.current().cloned();
    let (ready, watched) = watch::channel(None);
    let mut publishing = tokio::spawn(publish_each(publisher, watched, lease.view()));
    let answering = tokio::spawn(answer_latest(shared.client.clone(), preparer.book.clone()));
    // the passages' vectors, when this writer embeds them
    let sharing = engine.has_embedder().then(|| {
        tokio::spawn(super::vectors::share(
            shared.clone(),
            engine.clone(),
            lease.epoch(),
        ))
    });
    let mut wait = Duration::ZERO;
    let outcome = loop {
        tokio::select! {
            () = &mut shutdown => break None,
            why = lease.lost() => break Some(ClusterError::LeaseLost(why)),
            ended = &mut publishing => break Some(match ended {
                Ok(Err(e)) => e,
                Ok(Ok(())) => ClusterError::Nats("publishing stopped".into()),
                Err(e) => nats(e),
            }),
            () = tokio::time::sleep(wait) => {}
        }
        wait = LOOK_EVERY;
        match preparer
            .prepare(&engine, lease.epoch(), last.as_ref())
            .await
        {
            Ok(Some(prepared)) => {
                let m = &prepared.manifest;
                if prepared.complete {
                    match preparer.announce(m).await {
                        Ok(()) => tracing::info!(
                            "announced generation #{} ({}, {} articles, {} passages), {} files carried",
                            m.seq,
                            m.generation,
                            m.articles,
                            m.passages,
                            m.inline.len()
                        ),
                        Err(e) => tracing::debug!("announcing generation #{}: {e}", m.seq),
                    }
                }
                last = Some(m.clone());
                // the publishing step takes the latest, whatever it was doing
                ready.send_replace(Some(Arc::new(prepared)));
            }
            Ok(None) => {}
            Err(e) => {
                wait = Duration::from_secs(1);
                tracing::warn!("could not make the new generation ready (trying again): {e}");
            }
        }
    };
    publishing.abort();
    answering.abort();
    if let Some(sharing) = sharing {
        sharing.abort();
    }
    match outcome {
        None => {
            lease.release().await;
            Ok(())
        }
        Some(e) => Err(e),
    }
}
