//! A lease in a key-value bucket whose entries expire: the local build lock's counterpart
//! for machines that share an index. The holder creates the key (refused when it exists) and
//! renews it by compare-and-set every [`RENEW`]; a holder that dies stops renewing, and the
//! entry expires after [`TTL`], so a killed holder never leaves its lease behind for longer
//! than that.
//!
//! A renewal can go unanswered: when a NATS node dies, JetStream elects a new leader for
//! each bucket that had its leader there, and nats-server waits 4 to 9 s for a lost leader
//! before it campaigns. Nobody can take the lease meanwhile (nobody can write), but the entry
//! may have expired by the time a leader answers. What a holder does then depends on its
//! [`Patience`]:
//!
//! - [`Patience::Strict`] (the gateway: two processes must never both reply) counts the
//!   lease lost once it went a whole TTL without a renewal;
//! - [`Patience::Patient`] (the writer, whose publications are ordered by the lease's epoch,
//!   so that replicas ignore a deposed writer's) keeps trying, and when an answer comes,
//!   takes the lease again if its entry expired and nobody else took it.
//!
//! Either way, an entry someone else holds means the lease is lost, and the holder is told.

use std::sync::atomic::{AtomicU64, Ordering};
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
/// The longest a patient holder goes without any answer from NATS before it gives up.
const PATIENT_FOR: Duration = Duration::from_secs(60);

/// What a holder does when its renewals go unanswered (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    Strict,
    Patient,
}

/// A lease, held and renewed in the background until released or lost.
pub struct Held {
    store: kv::Store,
    key: String,
    /// The entry's revision after the last renewal.
    revision: Arc<AtomicU64>,
    /// The revision at which this holder last created the entry: it grows each time the
    /// lease changes hands, so it orders what successive holders did.
    epoch: Arc<AtomicU64>,
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

/// What this process writes in a lease's entry: its name, and a mark of this process, so
/// that it knows its own entry from another process's of the same name.
fn mark(holder: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{holder} (pid {}, {nanos:08x})", std::process::id())
}

/// Takes the lease `key` for `holder` now; None when someone holds it.
pub async fn try_take(
    store: &kv::Store,
    key: &str,
    holder: &str,
    patience: Patience,
) -> Result<Option<Held>, ClusterError> {
    let value = mark(holder);
    match store.create(key, value.clone().into()).await {
        Ok(revision) => Ok(Some(keep(store.clone(), key, value, revision, patience))),
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(nats(e)),
    }
}

/// Takes the lease `key` for `holder`, waiting for as long as someone else holds it (said
/// once in the log) or NATS cannot be reached (said once too).
pub async fn take(store: &kv::Store, key: &str, holder: &str, patience: Patience) -> Held {
    let mut said = false;
    loop {
        match try_take(store, key, holder, patience).await {
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

/// What one attempt to renew found.
enum Renewal {
    Renewed(u64),
    /// The entry expired and this holder created it again.
    Retaken(u64),
    /// Someone else's entry is there.
    Lost(String),
    /// No answer, or not one that settles it.
    Unsure(String),
}

/// One renewal of the entry at `revision`, holding `value`.
async fn renew(store: &kv::Store, key: &str, value: &str, revision: u64) -> Renewal {
    let update = tokio::time::timeout(RENEW, store.update(key, value.to_string().into(), revision));
    match update.await {
        Ok(Ok(next)) => return Renewal::Renewed(next),
        Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {}
        Ok(Err(e)) => return Renewal::Unsure(e.to_string()),
        Err(_) => return Renewal::Unsure("NATS did not answer".to_string()),
    }
    // not at that revision: a renewal that went unanswered may have landed after all, or the
    // entry expired, or someone else took it
    match tokio::time::timeout(RENEW, store.entry(key)).await {
        Ok(Ok(Some(e))) if e.operation == kv::Operation::Put => {
            if e.value.as_ref() == value.as_bytes() {
                Renewal::Renewed(e.revision)
            } else {
                Renewal::Lost(format!(
                    "its entry is {:?}'s now",
                    String::from_utf8_lossy(&e.value)
                ))
            }
        }
        Ok(Ok(_)) => match store.create(key, value.to_string().into()).await {
            Ok(revision) => Renewal::Retaken(revision),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                Renewal::Lost("someone else took it as it expired".to_string())
            }
            Err(e) => Renewal::Unsure(e.to_string()),
        },
        Ok(Err(e)) => Renewal::Unsure(e.to_string()),
        Err(_) => Renewal::Unsure("NATS did not answer".to_string()),
    }
}

/// Renews a lease just created at `revision` in the background.
fn keep(store: kv::Store, key: &str, value: String, revision: u64, patience: Patience) -> Held {
    let (tx, rx) = watch::channel(None);
    let shared = Arc::new(AtomicU64::new(revision));
    let epoch = Arc::new(AtomicU64::new(revision));
    let renewal = {
        let (store, key, shared, epoch) = (
            store.clone(),
            key.to_string(),
            shared.clone(),
            epoch.clone(),
        );
        tokio::spawn(async move {
            let mut renewed = Instant::now();
            let mut unsure = false;
            loop {
                tokio::time::sleep(RENEW).await;
                let revision = shared.load(Ordering::Acquire);
                let why = match renew(&store, &key, &value, revision).await {
                    Renewal::Renewed(next) => {
                        shared.store(next, Ordering::Release);
                        renewed = Instant::now();
                        if std::mem::take(&mut unsure) {
                            tracing::info!("renewed the {key} lease again");
                        }
                        continue;
                    }
                    Renewal::Retaken(next) => {
                        shared.store(next, Ordering::Release);
                        epoch.store(next, Ordering::Release);
                        renewed = Instant::now();
                        unsure = false;
                        tracing::warn!(
                            "the {key} lease expired while NATS did not answer, and nobody took it: took it again"
                        );
                        continue;
                    }
                    Renewal::Lost(why) => {
                        let _ = tx.send(Some(why));
                        return;
                    }
                    Renewal::Unsure(why) => why,
                };
                let given_up = match patience {
                    // it may still be ours: what is sure is that after TTL it may not be
                    Patience::Strict => renewed.elapsed() + RENEW >= TTL,
                    Patience::Patient => renewed.elapsed() >= PATIENT_FOR,
                };
                if given_up {
                    let _ = tx.send(Some(format!(
                        "not renewed for {} s: {why}",
                        renewed.elapsed().as_secs()
                    )));
                    return;
                }
                if !std::mem::replace(&mut unsure, true) {
                    tracing::warn!("could not renew the {key} lease: {why}; trying again");
                }
            }
        })
    };
    Held {
        store,
        key: key.to_string(),
        revision: shared,
        epoch,
        lost: rx,
        renewal,
    }
}

impl Held {
    /// Whether it is still held (or, for a patient holder, not known to be lost).
    pub fn is_held(&self) -> bool {
        self.lost.borrow().is_none() && !self.renewal.is_finished()
    }

    /// The revision at which this holder last created the lease's entry: it grows each time
    /// the lease changes hands.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A view of it, for a task that needs to know whether it is still held.
    pub fn view(&self) -> View {
        View {
            lost: self.lost.clone(),
            epoch: self.epoch.clone(),
        }
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
        let revision = self.revision.load(Ordering::Acquire);
        if let Err(e) = self
            .store
            .delete_expect_revision(&self.key, Some(revision))
            .await
        {
            tracing::debug!("letting the {} lease go: {e}", self.key);
        }
    }
}

/// What a task sees of a [`Held`] lease.
#[derive(Clone)]
pub struct View {
    lost: watch::Receiver<Option<String>>,
    epoch: Arc<AtomicU64>,
}

impl View {
    /// Whether the lease is still held (not known to be lost).
    pub fn is_held(&self) -> bool {
        // the sender goes when the renewal task ends, which only happens once it is lost
        self.lost.borrow().is_none() && self.lost.has_changed().is_ok()
    }

    /// See [`Held::epoch`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}
