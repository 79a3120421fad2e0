//! Admin commands' common part, in one place: who may run them (said privately when not),
//! and a job run off the async threads with its private reply, which shows how far the job
//! is every few seconds and then becomes its result. /reindex and /add use it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::reply::Reply;
use super::{edit, send, Context, Error};

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

/// Whether the member may run admin commands; when not, `refusal` is said privately.
pub(super) async fn allowed(
    ctx: Context<'_>,
    refusal: impl FnOnce() -> Reply,
) -> Result<bool, Error> {
    let (permissions, roles) = member_rights(ctx);
    let may = ctx
        .data()
        .config
        .may_reindex(permissions, &roles, ctx.author().id.get());
    if !may {
        send(ctx, &refusal()).await?;
    }
    Ok(may)
}

/// How far a job is when its reply is updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Progress {
    /// Steps done and steps in all, as the job reports them (0 and 0 before it does).
    pub done: usize,
    pub total: usize,
    /// Seconds since the job began.
    pub seconds: u64,
}

/// Runs `work` on a blocking thread, handing it a progress callback. While it runs, the
/// command's private reply shows `status` every `progress_every` (a message, then edits of
/// it); when it ends, the reply `done` makes of its result replaces it. The command must
/// have been deferred.
pub(super) async fn run<T: Send + 'static>(
    ctx: Context<'_>,
    work: impl FnOnce(&(dyn Fn(usize, usize) + Sync)) -> T + Send + 'static,
    status: impl Fn(Progress) -> Reply,
    done: impl FnOnce(T) -> Result<Reply, Error>,
) -> Result<(), Error> {
    let counts = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let counter = counts.clone();
    let mut job = tokio::task::spawn_blocking(move || {
        work(&|d, t| {
            counter.0.store(d, Ordering::Relaxed);
            counter.1.store(t, Ordering::Relaxed);
        })
    });
    let started = Instant::now();
    let every = ctx.data().config.progress_every;
    let mut handle = None;
    let result = loop {
        tokio::select! {
            r = &mut job => break r?,
            _ = tokio::time::sleep(every) => {
                let r = status(Progress {
                    done: counts.0.load(Ordering::Relaxed),
                    total: counts.1.load(Ordering::Relaxed),
                    seconds: started.elapsed().as_secs(),
                });
                match &handle {
                    None => handle = Some(send(ctx, &r).await?),
                    Some(h) => edit(ctx, h, &r).await?,
                }
            }
        }
    };
    let r = done(result)?;
    match &handle {
        None => {
            send(ctx, &r).await?;
        }
        Some(h) => edit(ctx, h, &r).await?,
    }
    Ok(())
}

/// A reply only the member who ran the command sees.
pub(super) fn private(text: String) -> Reply {
    Reply {
        content: Some(text),
        embeds: vec![],
        ephemeral: true,
    }
}
