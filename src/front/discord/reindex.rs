//! /reindex: admins rebuild the index after changing the corpus; questions keep being
//! answered from the previous index meanwhile.

use super::admin::{self, private};
use super::reply::{self, Say};
use super::{lang_of, send, Context, Error};
use crate::engine::ReindexError;

/// Rebuild the index after adding or changing articles (admins)
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    name_localized("fr", "réindexer"),
    description_localized(
        "fr",
        "Reconstruire l’index après avoir ajouté ou modifié des articles (admins)"
    )
)]
pub async fn reindex(ctx: Context<'_>) -> Result<(), Error> {
    let lang = lang_of(ctx);
    if !admin::allowed(ctx, || private(reply::say(lang, Say::NotAdmin))).await? {
        return Ok(());
    }
    let engine = ctx.data().engine.clone();
    if engine.is_reindexing() {
        send(ctx, &private(reply::say(lang, Say::ReindexRunning))).await?;
        return Ok(());
    }
    ctx.defer_ephemeral().await?;
    admin::run(
        ctx,
        move |progress| engine.reindex(false, progress),
        |p| private(reply::say(lang, Say::Reindexing(p.done, p.total))),
        |result| match result {
            Ok(report) => Ok(reply::reindex(&report, lang)),
            Err(ReindexError::Running) => Ok(private(reply::say(lang, Say::ReindexRunning))),
            Err(ReindexError::Replica) => Ok(private(reply::say(lang, Say::ReindexOnWriter))),
            Err(e) => Err(e.into()),
        },
    )
    .await
}
