//! Several machines sharing one index through NATS JetStream, the way Quickwit's searchers
//! share immutable splits: one writer builds generations and publishes them, any number of
//! stateless replicas copy each one and answer from it. What is shared, in JetStream:
//!
//! - the key-value bucket `kiosque-state`: `CURRENT`, the [`Manifest`] of the generation to
//!   answer from, switched by compare-and-set only once every file it names is uploaded, and
//!   `replica.<name>`, what each replica answers from;
//! - the key-value bucket `kiosque-leases`, whose entries expire: `writer`, the [`lease`] of
//!   the one process allowed to publish, and `gateway`, of the one `serve` connected to
//!   Discord's gateway (mentions and direct messages; the others stand by);
//! - the key-value bucket `kiosque-limits`, whose entries expire: each user's recent
//!   questions, for the per-user limit every replica applies ([`limits`]);
//! - the work queue `kiosque-jobs`: admin commands that came over HTTP, for the writer
//!   ([`jobs`]);
//! - the object store `kiosque-files`: each generation's files (never rewritten: a new commit
//!   writes new ones) and the corpus files by content hash, for summaries.
//!
//! And, in plain NATS (no JetStream), the writer's announcements: each generation on
//! [`ANNOUNCE`] as soon as it is committed, its small new files carried inline, and its latest
//! one to any replica that asks on [`LATEST`]. JetStream needs a leader for each bucket, and
//! when a NATS node dies the buckets that had theirs there have none for 4 to 9 s (nats-server
//! waits that long for a lost leader before electing another); plain NATS goes on through
//! the other nodes at once. So a new article reaches the replicas within a second even then,
//! and `CURRENT` catches up when JetStream has its leaders again.
//!
//! The parts: [`lease`] (a lease in a key-value bucket), [`manifest`] (what `CURRENT` holds,
//! and the checks a replica makes of it), [`publish`] (the writer), [`replica`] (a replica
//! following `CURRENT`). The engine knows nothing of NATS: it gives its generation as files
//! and adopts one copied in place ([`crate::engine::Generation`]).

pub mod jobs;
pub mod lease;
pub mod limits;
pub mod manifest;
pub mod publish;
pub mod replica;
pub mod vectors;

use std::time::Duration;

use async_nats::jetstream::{self, kv, object_store};

pub use manifest::Manifest;

/// Where the NATS servers are, and how shared state is kept there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The servers, `nats://host:port`; one is enough, the client learns the others.
    pub urls: Vec<String>,
    /// Copies JetStream keeps of each bucket (1, or 3 on a three-node cluster).
    pub replicas: usize,
    /// This process, as the lease and the replicas' reports name it.
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot reach NATS at {0}: {1}")]
    Connect(String, String),
    #[error("NATS: {0}")]
    Nats(String),
    #[error("the writer's lease was lost: {0}")]
    LeaseLost(String),
    #[error("{0}")]
    Manifest(String),
    #[error(transparent)]
    Index(#[from] crate::engine::IndexError),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Any NATS error, said as it is.
pub(crate) fn nats(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Nats(e.to_string())
}

pub(crate) const STATE: &str = "kiosque-state";
pub(crate) const LEASES: &str = "kiosque-leases";
pub(crate) const FILES: &str = "kiosque-files";
/// The key of the generation to answer from, in [`STATE`].
pub(crate) const CURRENT: &str = "CURRENT";
/// Where the writer announces each generation it commits (a [`Manifest`]).
pub(crate) const ANNOUNCE: &str = "kiosque.generation";
/// Where a replica asks the writer for its latest generation: the request holds the
/// replica's [`Manifest::key`] (or nothing), the answer a later manifest, or nothing.
pub(crate) const LATEST: &str = "kiosque.generation.latest";

/// A connection to NATS and the buckets kiosque shares there.
#[derive(Clone)]
pub struct Shared {
    pub(crate) client: async_nats::Client,
    pub(crate) js: jetstream::Context,
    pub(crate) state: kv::Store,
    pub(crate) leases: kv::Store,
    pub(crate) files: object_store::ObjectStore,
    pub(crate) settings: Settings,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("urls", &self.settings.urls)
            .finish()
    }
}

impl Shared {
    /// Connects, and opens the buckets (creating those that are missing). The client then
    /// reconnects by itself, to any server of the cluster, for as long as the process runs.
    pub async fn connect(settings: &Settings) -> Result<Shared, ClusterError> {
        Shared::open(connect_client(settings).await?, settings).await
    }

    /// Opens the buckets over a connected `client` (creating those that are missing). This
    /// needs JetStream's leaders, which a NATS node's death takes seconds to replace.
    pub async fn open(
        client: async_nats::Client,
        settings: &Settings,
    ) -> Result<Shared, ClusterError> {
        let mut js = jetstream::new(client.clone());
        js.set_timeout(Duration::from_secs(5));
        let state = key_value(&js, STATE, Duration::ZERO, settings.replicas).await?;
        let leases = key_value(&js, LEASES, lease::TTL, settings.replicas).await?;
        let files = match js.get_object_store(FILES).await {
            Ok(store) => store,
            Err(_) => js
                .create_object_store(object_store::Config {
                    bucket: FILES.to_string(),
                    num_replicas: settings.replicas,
                    ..Default::default()
                })
                .await
                .or(match js.get_object_store(FILES).await {
                    // another process created it first
                    Ok(store) => Ok(store),
                    Err(e) => Err(nats(e)),
                })?,
        };
        Ok(Shared {
            client,
            js,
            state,
            leases,
            files,
            settings: settings.clone(),
        })
    }

    /// Takes the writer's lease, waiting while another process holds it.
    pub async fn take_writer_lease(&self) -> lease::Held {
        lease::take(
            &self.leases,
            "writer",
            &self.settings.name,
            lease::Patience::Patient,
        )
        .await
    }

    /// Takes the writer's lease now; None while another process holds it.
    pub async fn try_writer_lease(&self) -> Result<Option<lease::Held>, ClusterError> {
        lease::try_take(
            &self.leases,
            "writer",
            &self.settings.name,
            lease::Patience::Strict,
        )
        .await
    }

    /// Who holds the writer's lease, if anyone.
    pub async fn writer(&self) -> Option<String> {
        lease::holder(&self.leases, "writer").await
    }

    /// Takes the gateway's lease (one process connected to Discord's gateway, so that a
    /// mention is answered once), waiting while another process holds it.
    pub async fn take_gateway_lease(&self) -> lease::Held {
        lease::take(
            &self.leases,
            "gateway",
            &self.settings.name,
            lease::Patience::Strict,
        )
        .await
    }

    /// The manifest `CURRENT` holds, with its revision; None when nothing was published.
    pub async fn current(&self) -> Result<Option<(Manifest, u64)>, ClusterError> {
        match self.state.entry(CURRENT).await.map_err(nats)? {
            Some(e) if e.operation == kv::Operation::Put => {
                Ok(Some((Manifest::parse(&e.value)?, e.revision)))
            }
            _ => Ok(None),
        }
    }
}

/// Connects to NATS (plain NATS: what the writer's announcements need, nothing of
/// JetStream). The client then reconnects by itself, to any server of the cluster, for as
/// long as the process runs.
pub async fn connect_client(settings: &Settings) -> Result<async_nats::Client, ClusterError> {
    let addrs: Vec<async_nats::ServerAddr> = settings
        .urls
        .iter()
        .map(|u| u.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| ClusterError::Connect(settings.urls.join(","), format!("{e}")))?;
    async_nats::ConnectOptions::new()
        .name(&settings.name)
        .connection_timeout(Duration::from_secs(2))
        .connect(addrs)
        .await
        .map_err(|e| ClusterError::Connect(settings.urls.join(","), e.to_string()))
}

/// Opens the key-value bucket `bucket`, creating it when missing (entries expire after
/// `max_age` unless it is zero; one value a key is kept).
async fn key_value(
    js: &jetstream::Context,
    bucket: &str,
    max_age: Duration,
    replicas: usize,
) -> Result<kv::Store, ClusterError> {
    key_value_in(
        js,
        bucket,
        max_age,
        replicas,
        jetstream::stream::StorageType::File,
    )
    .await
}

/// [`key_value`] kept in `storage`.
async fn key_value_in(
    js: &jetstream::Context,
    bucket: &str,
    max_age: Duration,
    replicas: usize,
    storage: jetstream::stream::StorageType,
) -> Result<kv::Store, ClusterError> {
    if let Ok(store) = js.get_key_value(bucket).await {
        return Ok(store);
    }
    let created = js
        .create_key_value(kv::Config {
            bucket: bucket.to_string(),
            history: 1,
            max_age,
            num_replicas: replicas.max(1),
            storage,
            ..Default::default()
        })
        .await;
    match created {
        Ok(store) => Ok(store),
        // another process created it first
        Err(e) => js.get_key_value(bucket).await.map_err(|_| nats(e)),
    }
}

/// The current time in milliseconds since 1970, as manifests and reports carry it.
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
