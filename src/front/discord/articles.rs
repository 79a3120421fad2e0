//! /articles: the indexed articles, a page at a time.

use super::reply::{self, ARTICLES_PER_PAGE};
use super::{lang_of, send, Context, Error};

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
    let page = ctx
        .data()
        .engine
        .articles(page.unwrap_or(1) as usize, ARTICLES_PER_PAGE);
    let r = reply::articles(&page, lang);
    send(ctx, &r).await?;
    Ok(())
}
