//! /articles: the indexed articles, a page at a time.

use super::{lang_of, send, Context, Error};
use crate::reply;

/// List the indexed articles
#[poise::command(
    slash_command,
    name_localized("fr", "articles"),
    description_localized("fr", "Lister les articles indexés")
)]
pub async fn articles(
    ctx: Context<'_>,
    #[description = "Page number (10 articles a page)"]
    #[name_localized("fr", "page")]
    #[description_localized("fr", "Numéro de page (10 articles par page)")]
    #[min = 1]
    page: Option<u32>,
) -> Result<(), Error> {
    let lang = lang_of(ctx);
    let list = ctx.data().engine.articles();
    let r = reply::articles(&list, page.unwrap_or(1) as usize, lang);
    send(ctx, &r).await?;
    Ok(())
}
