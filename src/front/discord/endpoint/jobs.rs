//! The writer's side of the admin jobs that came over HTTP (`cluster::jobs`): each is run on
//! the writer's engine and its deferred reply edited through Discord's API into the same
//! report the gateway bot gives.

use std::sync::Arc;
use std::time::Duration;

use super::dispatch::deliver_to;
use crate::cluster::jobs::{take, Task};
use crate::cluster::Shared;
use crate::engine::{quiet, Engine, ReindexError};
use crate::front::discord::error_id;
use crate::front::discord::reply::{self, Say};
use crate::front::discord::summary::ephemeral as private;

/// Runs the admin jobs for as long as the process runs. `api_base` is Discord's (None) or a
/// proxy's.
pub async fn run(shared: Shared, engine: Arc<Engine>, api_base: Option<String>) {
    let base = api_base.as_deref().unwrap_or("https://discord.com");
    let api = format!("{}/api/v10", base.trim_end_matches('/'));
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("no HTTP client for the admin jobs' replies: {e}");
            return;
        }
    };
    take(shared, |job| {
        let (engine, client, api) = (engine.clone(), client.clone(), api.clone());
        async move {
            let lang = job.lang;
            let reply = match job.task {
                Task::Reindex { full } => {
                    let reindexed =
                        tokio::task::spawn_blocking(move || engine.reindex(full, &quiet)).await;
                    match reindexed {
                        Ok(Ok(report)) => {
                            tracing::info!(
                                "reindexed for an admin over HTTP: {} added, {} changed, {} removed",
                                report.added,
                                report.changed,
                                report.removed
                            );
                            reply::reindex(&report, lang)
                        }
                        Ok(Err(ReindexError::Running)) => {
                            private(reply::say(lang, Say::ReindexRunning))
                        }
                        Ok(Err(e)) => apology(&e.to_string(), lang),
                        Err(e) => apology(&e.to_string(), lang),
                    }
                }
            };
            deliver_to(&client, &api, job.application_id, &job.token, &reply).await;
        }
    })
    .await;
}

/// The gateway bot's apology, the error in the log under its id.
fn apology(error: &str, lang: crate::lang::Lang) -> reply::Reply {
    let id = error_id();
    tracing::error!(error_id = %id, "an admin job: {error}");
    private(reply::say(lang, Say::Error(id)))
}
