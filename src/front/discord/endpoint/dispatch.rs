//! A signed interaction to its response: PING → PONG; /ask, /summary and /articles through the
//! gateway bot's reply builders; autocomplete of article titles; anything else, a clear
//! private message. The response body is what serenity would send for the same reply over
//! the gateway, byte for byte (the same builders, serialized the same way).
//!
//! What answers within [`INLINE_BUDGET`] goes back in the response (type 4). A question by
//! meaning, and anything slower, is deferred (type 5) and finished by editing `@original`.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{
    CommandInteraction, CreateInteractionResponse, CreateInteractionResponseMessage,
    EditInteractionResponse, Interaction, ResolvedValue,
};

use super::Endpoint;
use crate::front::discord::reply::{self, Reply, Say};
use crate::front::discord::summary::{self, ephemeral as private};
use crate::front::discord::{ask, error_id, poise_reply, refusal, Error};
use crate::lang::Lang;

/// How long a reply may take before it is deferred: Discord waits three seconds.
pub const INLINE_BUDGET: Duration = Duration::from_secs(2);

/// How often delivering a deferred reply is tried, and the first wait between tries.
const TRIES: u32 = 5;
const FIRST_WAIT: Duration = Duration::from_millis(500);

/// The response to a verified request's body; `Err` when the body is not an interaction.
pub async fn interaction(endpoint: &Arc<Endpoint>, body: &[u8]) -> Result<Vec<u8>, Error> {
    let raw: serde_json::Value = serde_json::from_slice(body)?;
    let kind = raw
        .get("type")
        .and_then(|t| t.as_u64())
        .ok_or("no interaction type")?;
    if kind == 1 {
        // serenity writes PONG with `"data": null`; Discord's description has no data
        return Ok(br#"{"type":1}"#.to_vec());
    }
    if kind != 2 && kind != 4 {
        // a button, a modal, or a type newer than this code: said privately, whatever its shape
        let lang = raw["locale"]
            .as_str()
            .map_or(Lang::En, reply::lang_of_locale);
        let response = message(&private(reply::say(lang, Say::NotHandled)));
        return Ok(serde_json::to_vec(&response)?);
    }
    let response = match serde_json::from_value::<Interaction>(raw)? {
        Interaction::Command(command) => self::command(endpoint, command).await,
        Interaction::Autocomplete(command) => autocomplete(endpoint, &command),
        _ => return Err("an interaction of type 2 or 4 that is neither".into()),
    };
    Ok(serde_json::to_vec(&response)?)
}

/// A reply as an immediate response, as poise sends it.
fn message(r: &Reply) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        poise_reply(r).to_slash_initial_response(CreateInteractionResponseMessage::new()),
    )
}

/// The value of the option `name`, when `pick` takes it (of the type expected).
fn option<T>(
    command: &CommandInteraction,
    name: &str,
    pick: impl Fn(ResolvedValue<'_>) -> Option<T>,
) -> Option<T> {
    command
        .data
        .options()
        .into_iter()
        .filter(|o| o.name == name)
        .find_map(|o| pick(o.value))
}

fn text(v: ResolvedValue<'_>) -> Option<String> {
    match v {
        ResolvedValue::String(s) => Some(s.to_string()),
        _ => None,
    }
}

fn integer(v: ResolvedValue<'_>) -> Option<i64> {
    match v {
        ResolvedValue::Integer(i) => Some(i),
        _ => None,
    }
}

async fn command(
    endpoint: &Arc<Endpoint>,
    command: CommandInteraction,
) -> CreateInteractionResponse {
    let lang = reply::lang_of_locale(&command.locale);
    let engine = endpoint.engine.clone();
    let token = command.token.clone();
    match command.data.name.as_str() {
        "ask" => {
            let question = option(&command, "question", text).unwrap_or_default();
            let top = option(&command, "results", integer)
                .unwrap_or(3)
                .clamp(1, 5) as usize;
            let private = option(&command, "private", |v| match v {
                ResolvedValue::Boolean(b) => Some(b),
                _ => None,
            })
            .unwrap_or(false);
            let user = command.user.id.get();
            if let Err(wait) = endpoint.limit(user).await {
                return message(&refusal(wait, lang));
            }
            let work = async move { ask::reply_to(&engine, question, top, lang, private).await };
            if endpoint.engine.has_embedder() {
                // a question by meaning waits for the embedding server: always deferred
                defer(endpoint, token, private, lang, work)
            } else {
                within_budget(endpoint, token, private, lang, work).await
            }
        }
        "summary" => {
            let article = option(&command, "article", text);
            let topic = option(&command, "topic", text);
            let sentences = option(&command, "sentences", integer).map(|n| n.clamp(1, 10) as u8);
            let work = summary::summarize(engine, article, topic, sentences, lang);
            within_budget(endpoint, token, false, lang, work).await
        }
        "articles" => {
            let page = option(&command, "page", integer).unwrap_or(1).max(1) as usize;
            let page = endpoint.engine.articles(page, reply::ARTICLES_PER_PAGE);
            message(&reply::articles(&page, lang))
        }
        #[cfg(feature = "cluster")]
        admin @ ("reindex" | "add" | "feeds") if endpoint.jobs().is_some() => {
            match admin_task(admin, &command) {
                Some(task) => job(endpoint, &command, task, lang, token).await,
                None => message(&private(reply::say(
                    lang,
                    Say::UnknownCommand(admin.to_string()),
                ))),
            }
        }
        admin @ ("reindex" | "add" | "feeds") => message(&private(reply::say(
            lang,
            Say::NotOverHttp(admin.to_string()),
        ))),
        other => message(&private(reply::say(
            lang,
            Say::UnknownCommand(other.to_string()),
        ))),
    }
}

fn autocomplete(endpoint: &Endpoint, command: &CommandInteraction) -> CreateInteractionResponse {
    let partial = match command.data.autocomplete() {
        Some(focused) if command.data.name == "summary" && focused.name == "article" => {
            focused.value.to_string()
        }
        _ => return CreateInteractionResponse::Autocomplete(Default::default()),
    };
    CreateInteractionResponse::Autocomplete(summary::article_choices(&endpoint.engine, &partial))
}

/// The reply of `work` when it comes within [`INLINE_BUDGET`]; otherwise a deferral, and
/// the reply when it comes, as an edit of the original response.
async fn within_budget(
    endpoint: &Arc<Endpoint>,
    token: String,
    private: bool,
    lang: Lang,
    work: impl Future<Output = Result<Reply, Error>> + Send + 'static,
) -> CreateInteractionResponse {
    let mut task = tokio::spawn(work);
    match tokio::time::timeout(INLINE_BUDGET, &mut task).await {
        Ok(done) => message(&settled(done.map_err(Error::from).and_then(|r| r), lang)),
        Err(_) => defer(endpoint, token, private, lang, async move { task.await? }),
    }
}

/// A deferral (Discord shows "thinking…"), and `work`'s reply delivered when it comes.
fn defer(
    endpoint: &Arc<Endpoint>,
    token: String,
    private: bool,
    lang: Lang,
    work: impl Future<Output = Result<Reply, Error>> + Send + 'static,
) -> CreateInteractionResponse {
    if !path_safe(&token) {
        // the reply could only be delivered to a URL the token would bend: said now instead
        let error = Err("an interaction token that cannot be in a URL path".into());
        return message(&settled(error, lang));
    }
    endpoint.pending.fetch_add(1, Ordering::SeqCst);
    let endpoint = endpoint.clone();
    tokio::spawn(async move {
        let r = settled(work.await, lang);
        deliver(&endpoint, &token, &r).await;
        endpoint.pending.fetch_sub(1, Ordering::SeqCst);
    });
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(private))
}

/// `/reindex` over HTTP, with NATS: for members with Manage Server (or Administrator), a job
/// on the writer's queue and a private deferral, which the writer edits into its report.
#[cfg(feature = "cluster")]
/// The job an admin command asks for; None when its options are not the command's (a
/// subcommand unknown, an address missing or longer than Discord allows).
#[cfg(feature = "cluster")]
fn admin_task(name: &str, command: &CommandInteraction) -> Option<crate::cluster::jobs::Task> {
    use crate::cluster::jobs::Task;
    /// Discord's limit for the address options (`max_length` in their definitions).
    const URL_MAX: usize = 2000;
    let url = |options: &[serenity::ResolvedOption<'_>]| {
        options
            .iter()
            .filter(|o| o.name == "url")
            .find_map(|o| match &o.value {
                ResolvedValue::String(s) => Some(s.trim().to_string()),
                _ => None,
            })
            .filter(|u| !u.is_empty() && u.chars().count() <= URL_MAX)
    };
    match name {
        "reindex" => Some(Task::Reindex { full: false }),
        "add" => Some(Task::Add {
            url: url(&command.data.options())?,
        }),
        "feeds" => {
            let options = command.data.options();
            let first = options.into_iter().next()?;
            let ResolvedValue::SubCommand(sub) = first.value else {
                return None;
            };
            match first.name {
                "list" => Some(Task::Feeds),
                "add" => Some(Task::Follow {
                    url: url(&sub)?,
                    follow: true,
                }),
                "remove" => Some(Task::Follow {
                    url: url(&sub)?,
                    follow: false,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An admin command as a job for the writer: refused to members without Manage Server, else
/// put on the queue and answered with a private deferral, which the writer edits.
#[cfg(feature = "cluster")]
async fn job(
    endpoint: &Arc<Endpoint>,
    command: &CommandInteraction,
    task: crate::cluster::jobs::Task,
    lang: Lang,
    token: String,
) -> CreateInteractionResponse {
    use crate::cluster::jobs::{submit, Job};
    let admin = command
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.administrator() || p.manage_guild());
    if !admin {
        return message(&private(reply::say(lang, Say::NotAdmin)));
    }
    let Some(shared) = endpoint.jobs() else {
        return message(&private(reply::say(
            lang,
            Say::NotOverHttp(command.data.name.clone()),
        )));
    };
    if !path_safe(&token) {
        let error = Err("an interaction token that cannot be in a URL path".into());
        return message(&settled(error, lang));
    }
    let job = Job {
        task,
        application_id: endpoint.application_id,
        token,
        lang,
    };
    match submit(shared, &job).await {
        Ok(()) => CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(true),
        ),
        Err(e) => message(&settled(Err(e.into()), lang)),
    }
}

/// Whether an interaction token may go into the path of `…/webhooks/{app}/{token}/…` as it
/// is: Discord's tokens are letters, digits, `-`, `_` and `.`; nothing that would add a path
/// segment, a query or a host.
fn path_safe(token: &str) -> bool {
    (1..=1000).contains(&token.len())
        && !token.starts_with('.')
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A reply, or the apology with an error id that the gateway bot gives.
fn settled(r: Result<Reply, Error>, lang: Lang) -> Reply {
    r.unwrap_or_else(|e| {
        let id = error_id();
        tracing::error!(error_id = %id, "{e}");
        private(reply::say(lang, Say::Error(id)))
    })
}

/// Edits the original response into `r`, trying again on a network error, a 5xx, a 429, and
/// a 404: the edit may reach Discord before the deferral it edits has been taken in.
async fn deliver(endpoint: &Endpoint, token: &str, r: &Reply) {
    deliver_to(
        &endpoint.client,
        &endpoint.api,
        endpoint.application_id,
        token,
        r,
    )
    .await
}

/// Edits the deferred reply of the interaction `token` of the application `application_id`
/// into `r`, through Discord's API at `api` (up to and with `/api/v10`).
pub(crate) async fn deliver_to(
    client: &reqwest::Client,
    api: &str,
    application_id: u64,
    token: &str,
    r: &Reply,
) {
    if !path_safe(token) {
        tracing::error!("a deferred reply whose token cannot be in a URL path: not sent");
        return;
    }
    let body = poise_reply(r).to_slash_initial_response_edit(EditInteractionResponse::new());
    let body = match serde_json::to_vec(&body) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("a deferred reply could not be written: {e}");
            return;
        }
    };
    let url = format!("{api}/webhooks/{application_id}/{token}/messages/@original");
    let mut wait = FIRST_WAIT;
    for attempt in 1..=TRIES {
        let sent = client
            .patch(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return,
            Ok(response)
                if !(response.status().is_server_error()
                    || matches!(response.status().as_u16(), 404 | 429)) =>
            {
                tracing::error!("Discord refused a deferred reply: {}", response.status());
                return;
            }
            Ok(response) => {
                tracing::warn!("a deferred reply, try {attempt}: {}", response.status())
            }
            Err(e) => tracing::warn!("a deferred reply, try {attempt}: {e}"),
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
    tracing::error!("a deferred reply was not delivered after {TRIES} tries");
}

#[cfg(test)]
mod tests {
    use super::path_safe;

    #[test]
    fn only_plain_tokens_go_into_a_url_path() {
        assert!(path_safe("aW50ZXJhY3Rpb246MTIz.abc-DEF_9"));
        for bent in [
            "", "..", "../../x", "a/b", "a?b", "a#b", "a b", "a%2Fb", "é", "@x",
        ] {
            assert!(!path_safe(bent), "{bent:?}");
        }
        assert!(!path_safe(&"a".repeat(1001)));
    }
}
