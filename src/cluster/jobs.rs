//! Admin commands that came over HTTP, as jobs for the writer: a replica puts each on the
//! `kiosque-jobs` work queue and answers Discord with a deferral; the process holding the
//! writer's lease takes them one at a time, runs each, edits the deferred reply, and only
//! then acknowledges it. A job whose writer died before acknowledging it is delivered again
//! (after [`ACK_WAIT`]) to the next writer, which edits the same message: a redelivered job
//! rewrites its reply, it never adds a second one. Jobs older than an interaction token's
//! life (15 minutes) are dropped: their reply could not be edited any more.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::{nats, ClusterError, Shared};
use crate::lang::Lang;

const STREAM: &str = "kiosque-jobs";
const SUBJECT: &str = "kiosque.jobs";
const CONSUMER: &str = "writer";
/// How long a taken job waits for its acknowledgement before it is delivered again.
pub const ACK_WAIT: Duration = Duration::from_secs(60);
/// An interaction token's life: a job older than that cannot edit its reply.
const TOKEN_LIFE: Duration = Duration::from_secs(15 * 60);

/// What an admin asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// /reindex
    Reindex { full: bool },
    /// /add: an article by its address (checked by the writer's fetcher, as any URL).
    Add { url: String },
    /// /feeds list
    Feeds,
    /// /feeds add (`follow`) or /feeds remove
    Follow { url: String, follow: bool },
}

/// A job: the task, and the interaction whose deferred reply it edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub task: Task,
    pub application_id: u64,
    pub token: String,
    pub lang: Lang,
}

async fn queue(js: &jetstream::Context, replicas: usize) -> Result<stream::Stream, ClusterError> {
    js.get_or_create_stream(stream::Config {
        name: STREAM.to_string(),
        subjects: vec![SUBJECT.to_string()],
        retention: stream::RetentionPolicy::WorkQueue,
        max_age: TOKEN_LIFE,
        num_replicas: replicas.max(1),
        ..Default::default()
    })
    .await
    .map_err(nats)
}

/// Puts `job` on the queue; Ok once JetStream has stored it.
pub async fn submit(shared: &Shared, job: &Job) -> Result<(), ClusterError> {
    queue(&shared.js, shared.settings.replicas).await?;
    let body = serde_json::to_vec(job).map_err(nats)?;
    shared
        .js
        .publish(SUBJECT, body.into())
        .await
        .map_err(nats)?
        .await
        .map_err(nats)?;
    Ok(())
}

/// Takes the jobs one at a time for as long as the process runs, each handed to `run`, and
/// acknowledged once `run` returns. A job that cannot be read is dropped (said in the log).
pub async fn take<F, Fut>(shared: Shared, mut run: F)
where
    F: FnMut(Job) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        let taken = async {
            let stream = queue(&shared.js, shared.settings.replicas).await?;
            let consumer: consumer::PullConsumer = stream
                .get_or_create_consumer(
                    CONSUMER,
                    consumer::pull::Config {
                        durable_name: Some(CONSUMER.to_string()),
                        ack_policy: consumer::AckPolicy::Explicit,
                        ack_wait: ACK_WAIT,
                        max_deliver: 5,
                        ..Default::default()
                    },
                )
                .await
                .map_err(nats)?;
            consumer.messages().await.map_err(nats)
        };
        let mut messages = match taken.await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("cannot take the admin jobs yet: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::debug!("the admin jobs: {e}");
                    break;
                }
            };
            match serde_json::from_slice::<Job>(&message.payload) {
                Ok(job) => run(job).await,
                Err(e) => tracing::warn!("an admin job that cannot be read, dropped: {e}"),
            }
            if let Err(e) = message.ack().await {
                tracing::warn!("acknowledging an admin job: {e}");
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_reads_back() {
        let job = Job {
            task: Task::Reindex { full: false },
            application_id: 7,
            token: "tok".into(),
            lang: Lang::En,
        };
        let json = serde_json::to_string(&job).unwrap();
        assert!(json.contains(r#""kind":"reindex""#), "{json}");
        assert_eq!(serde_json::from_str::<Job>(&json).unwrap(), job);
    }
}
