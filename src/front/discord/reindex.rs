//! /reindex: admins rebuild the index after changing the corpus; questions keep being
//! answered from the previous index meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::reply::{self, Reply, Say};
use super::{edit, lang_of, send, Context, Error};
use crate::engine::ReindexError;

/// The permissions and roles of the member who ran the command, from the interaction.
pub(super) fn member_rights(ctx: Context<'_>) -> (u64, Vec<u64>) {
    match ctx {
        poise::Context::Application(app) => match app.interaction.member.as_ref() {
            Some(m) => (
                m.permissions.map_or(0, |p| p.bits()),
                m.roles.iter().map(|r| r.get()).collect(),
            ),
            None => (0, vec![]),
        },
        poise::Context::Prefix(_) => (0, vec![]),
    }
}

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
    let data = ctx.data();
    let (permissions, roles) = member_rights(ctx);
    if !data
        .config
        .may_reindex(permissions, &roles, ctx.author().id.get())
    {
        send(ctx, &private(reply::say(lang, Say::NotAdmin))).await?;
        return Ok(());
    }
    if data.engine.is_reindexing() {
        send(ctx, &private(reply::say(lang, Say::ReindexRunning))).await?;
        return Ok(());
    }
    ctx.defer_ephemeral().await?;
    let engine = data.engine.clone();
    let progress = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let counter = progress.clone();
    let mut job = tokio::task::spawn_blocking(move || {
        engine.reindex(false, &|done, total| {
            counter.0.store(done, Ordering::Relaxed);
            counter.1.store(total, Ordering::Relaxed);
        })
    });
    // a long build shows how far it is, every few seconds
    let mut handle = None;
    let every = data.config.progress_every;
    let result = loop {
        tokio::select! {
            r = &mut job => break r?,
            _ = tokio::time::sleep(every) => {
                let (done, total) = (progress.0.load(Ordering::Relaxed), progress.1.load(Ordering::Relaxed));
                let r = private(reply::say(lang, Say::Reindexing(done, total)));
                match &handle {
                    None => handle = Some(send(ctx, &r).await?),
                    Some(h) => edit(ctx, h, &r).await?,
                }
            }
        }
    };
    let r = match result {
        Ok(report) => reply::reindex(&report, lang),
        Err(ReindexError::Running) => private(reply::say(lang, Say::ReindexRunning)),
        Err(e) => return Err(e.into()),
    };
    match &handle {
        None => {
            send(ctx, &r).await?;
        }
        Some(h) => edit(ctx, h, &r).await?,
    }
    Ok(())
}

pub(super) fn private(text: String) -> Reply {
    Reply {
        content: Some(text),
        embeds: vec![],
        ephemeral: true,
    }
}
