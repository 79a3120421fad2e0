//! /ask, and the one function that answers a question wherever it was asked (/ask, a
//! mention, a direct message): the rate limit, the engine off the async threads, and the
//! answer or the refusal as a reply.

use std::sync::Arc;

use super::ratelimit::RateLimiter;
use super::reply::{self, Reply, Say};
use super::{lang_of, limited, send, Context, Error};
use crate::engine::{AskError, Engine};
use crate::lang::Lang;

/// The reply to `user`'s question, in `lang`, with at most `top` passages: the gateway's
/// commands, mentions and messages and the HTTP endpoint's /ask all answer through it.
pub async fn answer(
    engine: &Arc<Engine>,
    limiter: &RateLimiter,
    user: u64,
    question: String,
    top: usize,
    lang: Lang,
    private: bool,
) -> Result<Reply, Error> {
    if let Some(refusal) = limited(limiter, user, lang) {
        return Ok(refusal);
    }
    reply_to(engine, question, top, lang, private).await
}

/// The reply to a question already let through the per-user limit.
pub async fn reply_to(
    engine: &Arc<Engine>,
    question: String,
    top: usize,
    lang: Lang,
    private: bool,
) -> Result<Reply, Error> {
    let engine = engine.clone();
    let answer = tokio::task::spawn_blocking(move || engine.ask(&question, top)).await?;
    Ok(match answer {
        Ok(answer) => reply::answer(&answer, lang, private),
        Err(AskError::Question(e)) => Reply {
            content: Some(reply::say(lang, Say::Rejected(e.to_string()))),
            embeds: vec![],
            ephemeral: true,
        },
        Err(e) => return Err(e.into()),
    })
}

/// Ask a question about the articles
#[poise::command(
    slash_command,
    name_localized("fr", "question"),
    description_localized("fr", "Poser une question sur les articles")
)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question"]
    #[name_localized("fr", "question")]
    #[description_localized("fr", "Votre question")]
    #[max_length = 500]
    question: String,
    #[description = "How many passages (1 to 5, 3 by default)"]
    #[name_localized("fr", "résultats")]
    #[description_localized("fr", "Combien de passages (1 à 5, 3 par défaut)")]
    #[min = 1]
    #[max = 5]
    results: Option<u8>,
    #[description = "Only you see the answer"]
    #[name_localized("fr", "privé")]
    #[description_localized("fr", "Vous seul voyez la réponse")]
    private: Option<bool>,
) -> Result<(), Error> {
    let lang = lang_of(ctx);
    let top = results.unwrap_or(3).clamp(1, 5) as usize;
    let private = private.unwrap_or(false);
    let user = ctx.author().id.get();
    let data = ctx.data();
    let r = answer(
        &data.engine,
        &data.limiter,
        user,
        question,
        top,
        lang,
        private,
    )
    .await?;
    send(ctx, &r).await?;
    Ok(())
}
