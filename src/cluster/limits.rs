//! The per-user limit on questions, shared by the replicas: at most `max` questions in any
//! `window` whoever answers them. Each user's recent questions are one entry of the
//! `kiosque-limits` key-value bucket (their times, in ms), changed by compare-and-set; entries
//! expire a window after their last change, so the bucket holds only the users of the last
//! seconds. The bucket is one copy in memory: it is written at every question, and a lost
//! count only lets someone ask a little more. When NATS does not answer within a moment the
//! caller counts locally instead: a limit is not worth a question unanswered. After such a
//! miss, the next [`REST`] of questions are counted locally without asking: while a NATS node
//! is down or JetStream elects a leader, every question would otherwise wait for nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_nats::jetstream::kv;

use super::{nats, ClusterError, Settings, Shared};

const BUCKET: &str = "kiosque-limits";
/// The longest a check may wait for NATS.
const WITHIN: Duration = Duration::from_millis(250);
/// How long questions are counted locally after NATS missed a check.
const REST: Duration = Duration::from_secs(3);

/// The shared limit; usable once connected (connecting goes on in the background). Its
/// connection also carries the admin jobs a replica hands to the writer ([`Limits::shared`]).
#[derive(Clone)]
pub struct Limits {
    store: Arc<OnceLock<(Shared, kv::Store)>>,
    /// Until when (ms since 1970) questions are counted locally, after a miss.
    resting: Arc<AtomicU64>,
    max: usize,
    window: Duration,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("connected", &self.store.get().is_some())
            .finish()
    }
}

impl Limits {
    /// `max` questions per `window` for each user, across every process with these settings.
    /// Connects in the background, again and again until NATS answers.
    pub fn start(settings: Settings, max: usize, window: Duration) -> Limits {
        let limits = Limits {
            store: Arc::new(OnceLock::new()),
            resting: Arc::new(AtomicU64::new(0)),
            max: max.max(1),
            window,
        };
        let store = Arc::clone(&limits.store);
        tokio::spawn(async move {
            loop {
                match connect(&settings, window).await {
                    Ok(linked) => {
                        let _ = store.set(linked);
                        return;
                    }
                    Err(e) => tracing::debug!("the shared limit: {e}"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        limits
    }

    /// Counts a question from `user`: `Some(Ok)` when allowed, `Some(Err(wait))` when over the
    /// limit (with how long until the next is allowed; the refused one does not count), None
    /// when NATS could not say (the caller counts locally).
    pub async fn check(&self, user: u64) -> Option<Result<(), Duration>> {
        let (_, store) = self.store.get()?;
        if super::unix_ms() < self.resting.load(Ordering::Relaxed) {
            return None;
        }
        let missed = match tokio::time::timeout(WITHIN, self.count(store, user)).await {
            Ok(Ok(verdict)) => return Some(verdict),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {WITHIN:?}"),
        };
        tracing::debug!(
            "the shared limit: {missed}; counting locally for {} s",
            REST.as_secs()
        );
        self.resting.store(
            super::unix_ms() + REST.as_millis() as u64,
            Ordering::Relaxed,
        );
        None
    }

    async fn count(
        &self,
        store: &kv::Store,
        user: u64,
    ) -> Result<Result<(), Duration>, ClusterError> {
        let key = format!("user.{user}");
        let window = self.window.as_millis() as u64;
        for _ in 0..5 {
            let now = super::unix_ms();
            let entry = store.entry(&key).await.map_err(nats)?;
            let (mut times, revision) = match entry {
                Some(e) if e.operation == kv::Operation::Put => (
                    serde_json::from_slice::<Vec<u64>>(&e.value).unwrap_or_default(),
                    Some(e.revision),
                ),
                Some(e) => (Vec::new(), Some(e.revision)),
                None => (Vec::new(), None),
            };
            times.retain(|&t| now.saturating_sub(t) < window);
            if times.len() >= self.max {
                let oldest = times.iter().min().copied().unwrap_or(now);
                let wait = window.saturating_sub(now.saturating_sub(oldest));
                return Ok(Err(Duration::from_millis(wait)));
            }
            times.push(now);
            let value = serde_json::to_vec(&times).map_err(nats)?;
            let written = match revision {
                Some(r) => store
                    .update(&key, value.into(), r)
                    .await
                    .map(drop)
                    .map_err(|e| (e.kind() == kv::UpdateErrorKind::WrongLastRevision, nats(e))),
                None => store
                    .create(&key, value.into())
                    .await
                    .map(drop)
                    .map_err(|e| (e.kind() == kv::CreateErrorKind::AlreadyExists, nats(e))),
            };
            match written {
                Ok(()) => return Ok(Ok(())),
                // another replica counted a question of this user meanwhile: count again
                Err((true, _)) => continue,
                Err((false, e)) => return Err(e),
            }
        }
        Err(ClusterError::Nats("the shared limit kept changing".into()))
    }
}

impl Limits {
    /// The connection to NATS, once there is one.
    pub fn shared(&self) -> Option<&Shared> {
        self.store.get().map(|(shared, _)| shared)
    }
}

async fn connect(
    settings: &Settings,
    window: Duration,
) -> Result<(Shared, kv::Store), ClusterError> {
    let shared = Shared::connect(settings).await?;
    // soft state, written at every question: one copy in memory, not a replicated file (a
    // node that dies forgets some counts, and the replicas count locally until it is back)
    let store = super::key_value_in(
        &shared.js,
        BUCKET,
        window,
        1,
        async_nats::jetstream::stream::StorageType::Memory,
    )
    .await?;
    Ok((shared, store))
}
