//! The Discord bot: serenity and poise set up over the engine. Commands live one group per
//! file; this module builds the framework, answers mentions and direct messages, turns
//! [`crate::front::discord::reply::Reply`] values into Discord messages (always with allowed mentions set to
//! none), reports errors to users with an id only, and shuts down on Ctrl-C or SIGTERM.
//! Nothing outside this module knows about serenity. [`endpoint`] serves the same commands
//! over Discord's HTTP interactions endpoint (`kiosque serve-http`).

mod admin;
mod articles;
mod ask;
#[cfg(feature = "interactions")]
pub mod endpoint;
mod fit;
#[cfg(feature = "web")]
mod news;
mod origin;
mod ratelimit;
mod reindex;
mod reply;
mod summary;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use crate::config::Discord as Config;
use crate::engine::Engine;
use crate::lang::{self, Lang};
use ratelimit::RateLimiter;
use reply::{Reply, Say};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// What every command and event sees.
pub struct Data {
    pub engine: Arc<Engine>,
    pub config: Config,
    pub limiter: RateLimiter,
}

/// Questions per user per window.
pub const RATE_MAX: usize = 5;
pub const RATE_WINDOW: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("Discord rejected DISCORD_TOKEN: check the bot token (see .env.example)")]
    TokenRejected,
    #[error("Discord: {0}")]
    Discord(#[from] serenity::Error),
}

/// All commands, for the framework and for registration.
pub fn commands() -> Vec<poise::Command<Data, Error>> {
    vec![
        ask::ask(),
        summary::summary(),
        articles::articles(),
        reindex::reindex(),
        #[cfg(feature = "web")]
        news::add(),
        #[cfg(feature = "web")]
        news::feeds(),
    ]
}

/// Runs the bot until Ctrl-C or SIGTERM.
pub async fn run(config: Config, engine: Arc<Engine>) -> Result<(), ServeError> {
    let mut http = serenity::HttpBuilder::new(config.token.expose());
    if let Some(base) = &config.api_base {
        // serenity's rate limiter only knows Discord's own host: off behind a proxy
        http = http.proxy(base.as_str()).ratelimiter_disabled(true);
    }
    let http = http.build();
    let intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES;
    let guild_id = config.guild_id;
    let data = Data {
        engine,
        config,
        limiter: RateLimiter::new(RATE_MAX, RATE_WINDOW),
    };
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |ctx, event| Box::pin(on_event(ctx, event)),
            ..Default::default()
        })
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                let body = registration_body(commands)?;
                match guild_id {
                    Some(id) => {
                        ctx.http
                            .create_guild_commands(serenity::GuildId::new(id), &body)
                            .await?
                    }
                    None => ctx.http.create_global_commands(&body).await?,
                };
                tracing::info!(
                    "connected as {} ({} commands registered {})",
                    ready.user.name,
                    commands.len(),
                    if guild_id.is_some() {
                        "in the server"
                    } else {
                        "globally"
                    }
                );
                Ok(data)
            })
        })
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .await?;
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        shards.shutdown_all().await;
    });
    match client.start().await {
        Ok(()) => Ok(()),
        Err(serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)) => {
            Err(ServeError::TokenRejected)
        }
        Err(serenity::Error::Http(e)) if e.status_code().is_some_and(|s| s.as_u16() == 401) => {
            Err(ServeError::TokenRejected)
        }
        Err(e) => Err(e.into()),
    }
}

/// The body that registers the commands. serenity writes `default_member_permissions` as a
/// string; Discord's OpenAPI description has it as an integer, which Discord takes too: the
/// body follows the description.
pub fn registration_body(
    commands: &[poise::Command<Data, Error>],
) -> Result<serde_json::Value, Error> {
    let mut body = serde_json::to_value(poise::builtins::create_application_commands(commands))?;
    if let Some(list) = body.as_array_mut() {
        for command in list {
            let as_int = command
                .get("default_member_permissions")
                .and_then(|p| p.as_str())
                .and_then(|p| p.parse::<u64>().ok());
            if let Some(bits) = as_int {
                command["default_member_permissions"] = bits.into();
            }
        }
    }
    Ok(body)
}

/// Completes at Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A short id to find an error in the log.
pub(crate) fn error_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("{:08x}", (t ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) as u32)
}

/// The reply language of a command's asker.
pub fn lang_of(ctx: Context<'_>) -> Lang {
    reply::lang_of_locale(ctx.locale().unwrap_or("en"))
}

/// Errors: the user gets an apology and an id, the log gets the details.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Setup { error, .. } => {
            tracing::error!("setup failed: {error}");
        }
        poise::FrameworkError::Command { error, ctx, .. } => {
            let id = error_id();
            tracing::error!(error_id = %id, command = %ctx.command().name, "{error}");
            let text = reply::say(lang_of(ctx), Say::Error(id));
            let _ = send(
                ctx,
                &Reply {
                    content: Some(text),
                    embeds: vec![],
                    ephemeral: true,
                },
            )
            .await;
        }
        poise::FrameworkError::EventHandler { error, event, .. } => {
            tracing::error!(error_id = %error_id(), event = event.snake_case_name(), "{error}");
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!("while handling an error: {e}");
            }
        }
    }
}

/// No pings, ever: not @everyone, not roles, not users, not the person replied to.
pub fn no_mentions() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .replied_user(false)
}

fn embed(e: &reply::Embed) -> serenity::CreateEmbed {
    let mut b = serenity::CreateEmbed::new();
    if let Some(t) = &e.title {
        b = b.title(t);
    }
    if let Some(u) = &e.url {
        b = b.url(u);
    }
    if let Some(d) = &e.description {
        b = b.description(d);
    }
    for f in &e.fields {
        b = b.field(&f.name, &f.value, f.inline);
    }
    if let Some(f) = &e.footer {
        b = b.footer(serenity::CreateEmbedFooter::new(f));
    }
    if let Some(c) = e.color {
        b = b.colour(c);
    }
    // a date out of Discord's range is no timestamp
    if let Some(t) = e
        .timestamp
        .and_then(|s| serenity::Timestamp::from_unix_timestamp(s).ok())
    {
        b = b.timestamp(t);
    }
    b
}

pub(crate) fn poise_reply(r: &Reply) -> poise::CreateReply {
    let mut out = poise::CreateReply::default()
        .ephemeral(r.ephemeral)
        .allowed_mentions(no_mentions());
    if let Some(c) = &r.content {
        out = out.content(c);
    }
    for e in &r.embeds {
        out = out.embed(embed(e));
    }
    out
}

/// Sends a reply to a command.
pub async fn send<'a>(ctx: Context<'a>, r: &Reply) -> Result<poise::ReplyHandle<'a>, Error> {
    Ok(ctx.send(poise_reply(r)).await?)
}

/// Edits a reply already sent.
pub async fn edit<'a>(
    ctx: Context<'a>,
    handle: &poise::ReplyHandle<'a>,
    r: &Reply,
) -> Result<(), Error> {
    handle.edit(ctx, poise_reply(r)).await?;
    Ok(())
}

/// Whether `user` may ask now; when not, the polite refusal to send (privately).
pub fn limited(limiter: &RateLimiter, user: u64, lang: Lang) -> Option<Reply> {
    limiter
        .check(user, Instant::now())
        .err()
        .map(|wait| refusal(wait, lang))
}

/// The polite refusal of a question over the limit, `wait` before the next is allowed.
pub(crate) fn refusal(wait: std::time::Duration, lang: Lang) -> Reply {
    Reply {
        content: Some(reply::say(lang, Say::RateLimited(wait.as_secs().max(1)))),
        embeds: vec![],
        ephemeral: true,
    }
}

/// The question in a message that mentions the bot: the text without the mention(s).
pub fn question_after_mention(content: &str, bot_id: u64) -> String {
    content
        .replace(&format!("<@{bot_id}>"), " ")
        .replace(&format!("<@!{bot_id}>"), " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn on_event(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    let serenity::FullEvent::Message { new_message: msg } = event else {
        return Ok(());
    };
    let ctx = framework.serenity_context;
    let bot_id = ctx.cache.current_user().id;
    if msg.author.bot || msg.author.id == bot_id {
        return Ok(());
    }
    let in_dm = msg.guild_id.is_none();
    if !in_dm && !msg.mentions.iter().any(|u| u.id == bot_id) {
        return Ok(());
    }
    let question = question_after_mention(&msg.content, bot_id.get());
    // a mention replies in the server's language; a DM in the language of the question
    let lang = match msg
        .guild_id
        .and_then(|g| ctx.cache.guild(g).map(|g| g.preferred_locale.clone()))
    {
        Some(locale) => reply::lang_of_locale(&locale),
        None if in_dm => lang::question_lang(&question),
        None => Lang::Fr,
    };
    let data = framework.user_data;
    let r = if question.is_empty() {
        Reply {
            content: Some(reply::say(lang, Say::EmptyMention)),
            ..Default::default()
        }
    } else {
        let user = msg.author.id.get();
        ask::answer(&data.engine, &data.limiter, user, question, 3, lang, false).await?
    };
    let mut m = serenity::CreateMessage::new()
        .reference_message(msg)
        .allowed_mentions(no_mentions());
    if let Some(c) = &r.content {
        m = m.content(c);
    }
    // `embed` would replace the embeds set before it: every passage goes, not the last one
    m = m.embeds(r.embeds.iter().map(embed).collect());
    msg.channel_id.send_message(&ctx.http, m).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mention_is_removed_from_the_question() {
        assert_eq!(
            question_after_mention("<@42> Qui dirigeait ?", 42),
            "Qui dirigeait ?"
        );
        assert_eq!(question_after_mention("Dis <@!42>  qui ?", 42), "Dis qui ?");
        assert_eq!(question_after_mention("<@42>", 42), "");
        assert_eq!(question_after_mention("<@43> x", 42), "<@43> x");
    }

    #[test]
    fn registration_body_has_integer_permissions() {
        let body = registration_body(&commands()).unwrap();
        let list = body.as_array().unwrap();
        assert_eq!(list.len(), if cfg!(feature = "web") { 6 } else { 4 });
        let admin = if cfg!(feature = "web") {
            &["reindex", "add", "feeds"][..]
        } else {
            &["reindex"][..]
        };
        for name in admin {
            let c = list.iter().find(|c| c["name"] == *name).unwrap();
            assert_eq!(c["default_member_permissions"], 32, "{name}");
            assert_eq!(c["contexts"], serde_json::json!([0]), "{name}: guild only");
        }
    }

    #[test]
    fn error_ids_differ() {
        assert_ne!(error_id(), error_id());
        assert_eq!(error_id().len(), 8);
    }

    #[test]
    fn commands_have_french_and_english() {
        for c in commands() {
            assert!(c.description.is_some(), "{}", c.name);
            assert!(
                c.description_localizations.iter().any(|(l, _)| l == "fr"),
                "{}",
                c.name
            );
            assert!(
                c.name_localizations.iter().any(|(l, _)| l == "fr"),
                "{}",
                c.name
            );
            for p in &c.parameters {
                assert!(p.description.is_some(), "{}.{}", c.name, p.name);
                assert!(
                    p.description_localizations.iter().any(|(l, _)| l == "fr"),
                    "{}.{}",
                    c.name,
                    p.name
                );
                assert!(
                    p.name_localizations.iter().any(|(l, _)| l == "fr"),
                    "{}.{}",
                    c.name,
                    p.name
                );
            }
        }
    }
}
