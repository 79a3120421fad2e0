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
                task => news(&engine, task, lang).await,
            };
            deliver_to(&client, &api, job.application_id, &job.token, &reply).await;
        }
    })
    .await;
}

/// /add and /feeds, as the gateway bot answers them.
#[cfg(feature = "web")]
async fn news(engine: &Arc<Engine>, task: Task, lang: crate::lang::Lang) -> reply::Reply {
    use crate::front::discord::news::{add_reply, failed, feeds_reply, followed, no_fetching};
    if !engine.has_news() {
        return private_text(no_fetching(lang));
    }
    let engine = engine.clone();
    let done = tokio::task::spawn_blocking(move || match task {
        Task::Add { url } => {
            let report = engine.add(std::slice::from_ref(&url), &quiet);
            tracing::info!("an article added for an admin over HTTP: {url}");
            report
                .map(|r| add_reply(&r, lang))
                .map_err(|e| e.to_string())
        }
        Task::Feeds => engine
            .feeds()
            .map(|info| feeds_reply(&info, lang))
            .map_err(|e| e.to_string()),
        Task::Follow { url, follow } => {
            let changed = if follow {
                engine.follow(&url)
            } else {
                engine.unfollow(&url)
            };
            changed
                .map(|changed| followed(lang, &url, changed, follow))
                .map_err(|e| e.to_string())
        }
        // the caller runs these itself
        Task::Reindex { .. } => Err("a reindex is not news".to_string()),
    })
    .await;
    match done {
        Ok(Ok(text)) => private_text(text),
        Ok(Err(e)) => private_text(failed(lang, &e)),
        Err(e) => apology(&e.to_string(), lang),
    }
}

/// Without the `web` feature, /add and /feeds say that this kiosque fetches nothing.
#[cfg(not(feature = "web"))]
async fn news(_: &Arc<Engine>, _: Task, lang: crate::lang::Lang) -> reply::Reply {
    private_text(match lang {
        crate::lang::Lang::Fr => {
            "Ce kiosque ne récupère rien sur le web (compilé sans la fonction `web`).".into()
        }
        crate::lang::Lang::En => {
            "This kiosque fetches nothing from the web (built without the `web` feature).".into()
        }
    })
}

/// A private reply of `text`.
fn private_text(text: String) -> reply::Reply {
    reply::Reply {
        content: Some(text),
        embeds: vec![],
        ephemeral: true,
    }
}

/// The gateway bot's apology, the error in the log under its id.
fn apology(error: &str, lang: crate::lang::Lang) -> reply::Reply {
    let id = error_id();
    tracing::error!(error_id = %id, "an admin job: {error}");
    private(reply::say(lang, Say::Error(id)))
}
