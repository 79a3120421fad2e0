//! A lease in a key-value bucket whose entries expire: the local build lock's counterpart
//! for machines that share an index. The holder creates the key (refused when it exists) and
//! renews it by compare-and-set every [`RENEW`]; a holder that dies stops renewing, and the
//! entry expires after [`TTL`], so a killed writer never leaves its lease behind for longer
//! than that. A holder whose renewal is refused (someone else's entry is there) or that
//! could not renew for a whole TTL has lost it, and is told so.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use tokio::sync::watch;

use super::{nats, ClusterError};

/// How long a lease outlives its holder's last renewal.
pub const TTL: Duration = Duration::from_secs(6);
/// How often a holder renews.
pub const RENEW: Duration = Duration::from_secs(2);
/// How often a process waiting for a lease looks again.
const RETRY: Duration = Duration::from_millis(500);

/// A lease, held and renewed in the background until released or lost.
pub struct Held {
    store: kv::Store,
    key: String,
    revision: Arc<std::sync::atomic::AtomicU64>,
    lost: watch::Receiver<Option<String>>,
    renewal: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held").field("key", &self.key).finish()
    }
}

/// Who holds the lease `key`, if anyone.
pub async fn holder(store: &kv::Store, key: &str) -> Option<String> {
    match store.entry(key).await {
        Ok(Some(e)) if e.operation == kv::Operation::Put => {
            Some(String::from_utf8_lossy(&e.value).into_owned())
        }
        _ => None,
    }
}

/// Takes the lease `key` for `holder` now; None when someone holds it.
pub async fn try_take(
    store: &kv::Store,
    key: &str,
    holder: &str,
) -> Result<Option<Held>, ClusterError> {
    match store.create(key, holder.to_string().into()).await {
        Ok(revision) => Ok(Some(keep(store.clone(), key, holder, revision))),
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(nats(e)),
    }
}

/// Takes the lease `key` for `holder`, waiting for as long as someone else holds it (said
/// once in the log) or NATS cannot be reached (said once too).
pub async fn take(store: &kv::Store, key: &str, holder: &str) -> Held {
    let mut said = false;
    loop {
        match try_take(store, key, holder).await {
            Ok(Some(held)) => {
                if said {
                    tracing::info!("took the {key} lease");
                }
                return held;
            }
            Ok(None) => {
                if !said {
                    let by = self::holder(store, key).await.unwrap_or_default();
                    tracing::info!(
                        "the {key} lease is held by {by:?}: standing by until it is let go or expires (within {} s of its holder's end)",
                        TTL.as_secs()
                    );
                    said = true;
                }
            }
            Err(e) => {
                if !said {
                    tracing::warn!("cannot take the {key} lease yet: {e}");
                    said = true;
                }
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Renews a lease just taken at `revision` in the background.
fn keep(store: kv::Store, key: &str, holder: &str, revision: u64) -> Held {
    let (tx, rx) = watch::channel(None);
    let shared = Arc::new(std::sync::atomic::AtomicU64::new(revision));
    let renewal = {
        let (store, key, holder, shared) = (
            store.clone(),
            key.to_string(),
            holder.to_string(),
            shared.clone(),
        );
        tokio::spawn(async move {
            let mut renewed = Instant::now();
            loop {
                tokio::time::sleep(RENEW).await;
                let revision = shared.load(std::sync::atomic::Ordering::Acquire);
                let update = tokio::time::timeout(
                    RENEW,
                    store.update(&key, holder.clone().into(), revision),
                )
                .await;
                let why = match update {
                    Ok(Ok(next)) => {
                        shared.store(next, std::sync::atomic::Ordering::Release);
                        renewed = Instant::now();
                        continue;
                    }
                    Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                        format!("its entry is not ours any more ({e})")
                    }
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "NATS did not answer".to_string(),
                };
                // it may still be ours: what is sure is that after TTL it is not
                if why.starts_with("its entry") || renewed.elapsed() + RENEW >= TTL {
                    let _ = tx.send(Some(why));
                    return;
                }
                tracing::warn!("could not renew the {key} lease: {why}; trying again");
            }
        })
    };
    Held {
        store,
        key: key.to_string(),
        revision: shared,
        lost: rx,
        renewal,
    }
}

impl Held {
    /// Whether it is still held.
    pub fn is_held(&self) -> bool {
        self.lost.borrow().is_none() && !self.renewal.is_finished()
    }

    /// Waits until it is lost, and says why.
    pub async fn lost(&mut self) -> String {
        loop {
            if let Some(why) = self.lost.borrow().clone() {
                return why;
            }
            if self.lost.changed().await.is_err() {
                return "its renewal stopped".to_string();
            }
        }
    }

    /// Lets it go now, so the next holder need not wait for it to expire.
    pub async fn release(self) {
        self.renewal.abort();
        let revision = self.revision.load(std::sync::atomic::Ordering::Acquire);
        if let Err(e) = self
            .store
            .delete_expect_revision(&self.key, Some(revision))
            .await
        {
            tracing::debug!("letting the {} lease go: {e}", self.key);
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}
