//! The vector cache, shared: the writer embeds the passages, and the replicas take its
//! vectors instead of asking an embedding server for them again (they still embed each
//! question by meaning). The cache is an append-only file per model; the writer sends what
//! each file gained in whole records to the object store as a part (`vectors/{epoch}/{file}/
//! {offset}`), then the list of parts to `VECTORS` in `kiosque-state` and on
//! [`SUBJECT`] in plain NATS. A replica appends the parts it lacks to its own copy, byte for
//! byte, and lets the current generation use them. A new writer (a new epoch) has its own
//! cache: replicas start their copies anew from its parts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::replica::{fetch, opened, Jet};
use super::{nats, ClusterError, Shared};
use crate::engine::Engine;

/// The key of the list of parts, in `kiosque-state`.
const VECTORS: &str = "VECTORS";
/// Where the writer says the list when it grows.
const SUBJECT: &str = "kiosque.vectors";
/// How often the writer looks at its cache files, and a replica reads the list.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// The largest part sent at once.
const PART_MAX: u64 = 8 << 20;

/// The parts of the writer's cache files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parts {
    /// The writer's lease epoch: a new writer's cache is another file.
    pub epoch: u64,
    pub files: BTreeMap<String, Vec<Part>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub offset: u64,
    pub len: u64,
}

impl Parts {
    fn object(&self, file: &str, offset: u64) -> String {
        format!("vectors/{}/{file}/{offset}", self.epoch)
    }

    /// Where the parts of `file` end.
    fn end(&self, file: &str) -> u64 {
        self.files
            .get(file)
            .and_then(|p| p.last())
            .map_or(0, |p| p.offset + p.len)
    }
}

/// The writer's side, for as long as it runs: every [`LOOK_EVERY`], what its cache files
/// gained in whole records is sent, then the list.
pub async fn share(shared: Shared, engine: Arc<Engine>, epoch: u64) {
    let mut parts = Parts {
        epoch,
        files: BTreeMap::new(),
    };
    let mut unsaid = false;
    loop {
        tokio::time::sleep(LOOK_EVERY).await;
        let files = {
            let engine = engine.clone();
            tokio::task::spawn_blocking(move || engine.vector_files())
                .await
                .unwrap_or_default()
        };
        for file in files {
            let mut end = parts.end(&file.name);
            if file.whole < end {
                // the file was started anew (a model's header changed): so are its parts
                parts.files.remove(&file.name);
                end = 0;
                unsaid = true;
            }
            if file.whole <= end {
                continue;
            }
            let len = (file.whole - end).min(PART_MAX);
            let sent = async {
                let bytes = read_part(&file.path, end, len).await?;
                let object = parts.object(&file.name, end);
                shared
                    .files
                    .put(object.as_str(), &mut bytes.as_slice())
                    .await
                    .map_err(nats)
            };
            match sent.await {
                Ok(_) => {
                    parts
                        .files
                        .entry(file.name.clone())
                        .or_default()
                        .push(Part { offset: end, len });
                    unsaid = true;
                }
                Err(e) => tracing::debug!("sending vectors of {}: {e}", file.name),
            }
        }
        if unsaid {
            let Ok(value) = serde_json::to_vec(&parts) else {
                continue;
            };
            let put =
                tokio::time::timeout(LOOK_EVERY, shared.state.put(VECTORS, value.clone().into()));
            if let Ok(Ok(_)) = put.await {
                unsaid = false;
            }
            if let Err(e) = shared.client.publish(SUBJECT, value.into()).await {
                tracing::debug!("saying the vectors' parts: {e}");
            }
        }
    }
}

/// `len` bytes of `path` from `offset`.
async fn read_part(path: &std::path::Path, offset: u64, len: u64) -> Result<Vec<u8>, ClusterError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(&owned)?;
        file.seek(std::io::SeekFrom::Start(offset))?;
        let mut bytes = vec![0; len as usize];
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    })
    .await
    .map_err(nats)?
    .map_err(|source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A replica's side, for as long as it runs: the list as the writer says it, or as read
/// every [`LOOK_EVERY`]; the parts this machine lacks appended to its copies, in order.
pub async fn follow(client: async_nats::Client, jet: Jet, engine: Arc<Engine>) {
    let mut said = match client.subscribe(SUBJECT).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::debug!("hearing the vectors' parts: {e}");
            None
        }
    };
    let mut look = tokio::time::interval(LOOK_EVERY);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // the epoch whose parts the copies are made of
    let mut copied: Option<u64> = None;
    loop {
        let heard = async {
            match said.as_mut() {
                Some(s) => s.next().await.map(|m| m.payload),
                None => std::future::pending().await,
            }
        };
        let value = tokio::select! {
            Some(value) = heard => Some(value),
            _ = look.tick() => read_list(&jet).await,
        };
        let Some(parts) = value.and_then(|v| serde_json::from_slice::<Parts>(&v).ok()) else {
            continue;
        };
        let Some(shared) = opened(&jet) else {
            continue;
        };
        let (taken, whole) = take(&shared, &engine, &parts, copied != Some(parts.epoch)).await;
        if whole {
            copied = Some(parts.epoch);
        }
        if taken > 0 {
            let engine = engine.clone();
            let _ = tokio::task::spawn_blocking(move || engine.reload_vectors()).await;
            tracing::info!("took {taken} bytes of vectors from the writer");
        }
    }
}

/// `VECTORS`, when JetStream answers within a second.
async fn read_list(jet: &Jet) -> Option<bytes::Bytes> {
    let shared = opened(jet)?;
    match tokio::time::timeout(LOOK_EVERY, shared.state.entry(VECTORS)).await {
        Ok(Ok(Some(e))) if e.operation == kv::Operation::Put => Some(e.value),
        _ => None,
    }
}

/// Appends what this machine's copies lack of `parts` (every file anew with `anew`): the
/// bytes taken, and whether every file is whole now.
async fn take(shared: &Shared, engine: &Arc<Engine>, parts: &Parts, anew: bool) -> (u64, bool) {
    let (mut taken, mut whole) = (0, true);
    for (name, list) in &parts.files {
        let mut have = if anew {
            0
        } else {
            engine.vector_file_len(name)
        };
        // a copy that does not end where a part starts or the last ends went another way
        if have != parts.end(name) && !list.iter().any(|p| p.offset == have) {
            have = 0;
        }
        let start = have;
        for part in list.iter().filter(|p| p.offset >= start) {
            let fetched = fetch(Some(shared), &parts.object(name, part.offset)).await;
            let Ok(bytes) = fetched.map_err(|e| tracing::debug!("vectors of {name}: {e}")) else {
                whole = false;
                break;
            };
            if part.offset != have || bytes.len() as u64 != part.len {
                whole = false;
                break;
            }
            let (engine, file, offset) = (engine.clone(), name.clone(), part.offset);
            let written =
                tokio::task::spawn_blocking(move || engine.write_vectors(&file, offset, &bytes))
                    .await;
            match written {
                Ok(Ok(true)) => {
                    have += part.len;
                    taken += part.len;
                }
                other => {
                    tracing::debug!("writing vectors of {name}: {other:?}");
                    whole = false;
                    break;
                }
            }
        }
    }
    (taken, whole)
}
