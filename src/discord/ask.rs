//! /ask: the passages that answer a question.

use super::{lang_of, limited, send, Context, Error};
use crate::reply::{self, Say};
use crate::search::AskError;

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
    let data = ctx.data();
    if let Some(refusal) = limited(data, ctx.author().id.get(), lang) {
        send(ctx, &refusal).await?;
        return Ok(());
    }
    let top = results.unwrap_or(3).clamp(1, 5) as usize;
    let private = private.unwrap_or(false);
    let engine = data.engine.clone();
    let answer = tokio::task::spawn_blocking(move || engine.ask(&question, top)).await?;
    let r = match answer {
        Ok(answer) => reply::answer(&answer, lang, private),
        Err(AskError::Question(e)) => reply::Reply {
            content: Some(reply::say(lang, Say::Rejected(e.to_string()))),
            embeds: vec![],
            ephemeral: true,
        },
        Err(e) => return Err(e.into()),
    };
    send(ctx, &r).await?;
    Ok(())
}
