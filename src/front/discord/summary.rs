//! /summary: an article's summary, with autocomplete over titles and ids.

use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::reply::{self, limits, Reply, Say};
use super::{lang_of, send, Context, Error};
use crate::articles::text;
use crate::engine::{AskError, Engine, SummaryError};
use crate::lang::Lang;

/// The articles whose title or id starts like `partial`, as autocomplete choices.
pub fn article_choices(engine: &Engine, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = engine
        .complete_article(partial, limits::CHOICES)
        .into_iter()
        .map(|(title, id)| {
            let name = text::truncate_chars(&title, limits::CHOICE_NAME);
            serenity::AutocompleteChoice::new(name, id)
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_article(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    article_choices(&ctx.data().engine, partial)
}

/// Summarise an article, or a topic across the articles
#[poise::command(
    slash_command,
    name_localized("fr", "résumé"),
    description_localized("fr", "Résumer un article, ou un sujet à travers les articles")
)]
pub async fn summary(
    ctx: Context<'_>,
    #[description = "The article (title or id)"]
    #[name_localized("fr", "article")]
    #[description_localized("fr", "L’article (titre ou identifiant)")]
    #[autocomplete = "autocomplete_article"]
    #[max_length = 200]
    article: Option<String>,
    #[description = "Or a topic: the best sentences about it across the articles"]
    #[name_localized("fr", "sujet")]
    #[description_localized(
        "fr",
        "Ou un sujet : les meilleures phrases à son propos dans les articles"
    )]
    #[max_length = 500]
    topic: Option<String>,
    #[description = "How many sentences (1 to 10, 3 by default)"]
    #[name_localized("fr", "phrases")]
    #[description_localized("fr", "Combien de phrases (1 à 10, 3 par défaut)")]
    #[min = 1]
    #[max = 10]
    sentences: Option<u8>,
) -> Result<(), Error> {
    let lang = lang_of(ctx);
    let r = summarize(ctx.data().engine.clone(), article, topic, sentences, lang).await?;
    send(ctx, &r).await?;
    Ok(())
}

/// The reply to /summary: an article's summary, or a topic's best sentences, in `lang`, with
/// `sentences` sentences (1 to 10, 3 by default).
pub async fn summarize(
    engine: Arc<Engine>,
    article: Option<String>,
    topic: Option<String>,
    sentences: Option<u8>,
    lang: Lang,
) -> Result<Reply, Error> {
    let n = sentences.unwrap_or(3).clamp(1, 10) as usize;
    let r = match (article, topic) {
        (Some(article), _) => {
            let result = tokio::task::spawn_blocking(move || engine.summary(&article, n)).await?;
            match result {
                Ok(s) => reply::summary(&s, lang),
                Err(SummaryError::NotFound { closest, .. }) => {
                    ephemeral(reply::say(lang, Say::NoArticle(closest)))
                }
                Err(SummaryError::Ambiguous { matches, .. }) => {
                    ephemeral(reply::say(lang, Say::Ambiguous(matches)))
                }
                Err(e) => return Err(e.into()),
            }
        }
        (None, Some(topic)) => {
            let result = tokio::task::spawn_blocking(move || engine.topic(&topic, n)).await?;
            match result {
                Ok(t) => reply::topic(&t, lang),
                Err(AskError::Question(e)) => {
                    ephemeral(reply::say(lang, Say::Rejected(e.to_string())))
                }
                Err(e) => return Err(e.into()),
            }
        }
        (None, None) => ephemeral(reply::say(lang, Say::SummaryNeedsSomething)),
    };
    Ok(r)
}

/// A short private reply.
pub(crate) fn ephemeral(text: String) -> Reply {
    let mut r = Reply {
        content: Some(text),
        embeds: vec![],
        ephemeral: true,
    };
    reply::fit(&mut r);
    r
}
