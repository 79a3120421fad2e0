//! /add and /feeds: admins add an article by its URL and manage the feed list from Discord.
//! The work runs off the async threads; a long fetch edits its private reply with how long
//! it has taken. The replies are built by the plain functions below, fitted to Discord's
//! message limit, with web text escaped so it never pings or renders as Markdown.

use super::admin::{self, private};
use super::fit::escape;
use super::{lang_of, send, Context, Error};
use crate::articles::text;
use crate::engine::{AddReport, Engine, FeedInfo};
use crate::lang::Lang;

/// Discord's limit for a message's content, with room to spare.
const MAX_CONTENT: usize = 1900;
/// Lines of a list shown before "… and N more".
const MAX_LINES: usize = 15;

/// Whether the member may run admin commands; says so privately when not. The engine when
/// this kiosque fetches news at all.
async fn admin_news(ctx: Context<'_>) -> Result<Option<std::sync::Arc<Engine>>, Error> {
    let lang = lang_of(ctx);
    if !admin::allowed(ctx, || private(not_admin(lang))).await? {
        return Ok(None);
    }
    let data = ctx.data();
    if data.engine.has_news() {
        Ok(Some(data.engine.clone()))
    } else {
        send(ctx, &private(no_fetching(lang))).await?;
        Ok(None)
    }
}

/// Add an article to the corpus from its web address (admins)
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    name_localized("fr", "ajouter"),
    description_localized("fr", "Ajouter au corpus un article du web, par son adresse (admins)")
)]
pub async fn add(
    ctx: Context<'_>,
    #[description = "The article's address (http or https)"]
    #[description_localized("fr", "L’adresse de l’article (http ou https)")]
    #[name_localized("fr", "adresse")]
    #[max_length = 2000]
    url: String,
) -> Result<(), Error> {
    let lang = lang_of(ctx);
    let Some(engine) = admin_news(ctx).await? else {
        return Ok(());
    };
    ctx.defer_ephemeral().await?;
    let urls = vec![url.trim().to_string()];
    admin::run(
        ctx,
        move |progress| engine.add(&urls, progress),
        |p| private(fetching(lang, p.seconds)),
        |result| {
            Ok(private(match result {
                Ok(report) => add_reply(&report, lang),
                Err(e) => failed(lang, &e.to_string()),
            }))
        },
    )
    .await
}

/// The news feeds kiosque follows (admins)
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("list", "follow", "unfollow"),
    subcommand_required,
    name_localized("fr", "flux"),
    description_localized("fr", "Les flux d’actualités que suit kiosque (admins)")
)]
pub async fn feeds(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// The feeds, when each was last polled, and why one fails
#[poise::command(
    slash_command,
    guild_only,
    name_localized("fr", "liste"),
    description_localized("fr", "Les flux, leur dernière lecture, et pourquoi l’un échoue")
)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let lang = lang_of(ctx);
    let Some(engine) = admin_news(ctx).await? else {
        return Ok(());
    };
    let info = tokio::task::spawn_blocking(move || engine.feeds()).await?;
    let text = match info {
        Ok(info) => feeds_reply(&info, lang),
        Err(e) => failed(lang, &e.to_string()),
    };
    send(ctx, &private(text)).await?;
    Ok(())
}

/// Follow a feed (RSS, Atom or JSON Feed): its new articles are added as they come
#[poise::command(
    slash_command,
    guild_only,
    rename = "add",
    name_localized("fr", "ajouter"),
    description_localized(
        "fr",
        "Suivre un flux (RSS, Atom, JSON Feed) : ses nouveaux articles sont ajoutés"
    )
)]
async fn follow(
    ctx: Context<'_>,
    #[description = "The feed's address (http or https)"]
    #[description_localized("fr", "L’adresse du flux (http ou https)")]
    #[name_localized("fr", "adresse")]
    #[max_length = 2000]
    url: String,
) -> Result<(), Error> {
    change_list(ctx, url, true).await
}

/// Stop following a feed (its articles stay)
#[poise::command(
    slash_command,
    guild_only,
    rename = "remove",
    name_localized("fr", "retirer"),
    description_localized("fr", "Ne plus suivre un flux (ses articles restent)")
)]
async fn unfollow(
    ctx: Context<'_>,
    #[description = "The feed's address, as listed"]
    #[description_localized("fr", "L’adresse du flux, telle que listée")]
    #[name_localized("fr", "adresse")]
    #[max_length = 2000]
    url: String,
) -> Result<(), Error> {
    change_list(ctx, url, false).await
}

/// Adds a feed to the list (`follow`) or removes it, and says so privately.
async fn change_list(ctx: Context<'_>, url: String, follow: bool) -> Result<(), Error> {
    let lang = lang_of(ctx);
    let Some(engine) = admin_news(ctx).await? else {
        return Ok(());
    };
    let u = url.clone();
    let done = tokio::task::spawn_blocking(move || {
        if follow {
            engine.follow(&u)
        } else {
            engine.unfollow(&u)
        }
    })
    .await?;
    let text = match done {
        Ok(changed) => followed(lang, &url, changed, follow),
        Err(e) => failed(lang, &e.to_string()),
    };
    send(ctx, &private(text)).await?;
    Ok(())
}

/// A URL shown as a link that Discord does not preview.
fn link(url: &str) -> String {
    let clean: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '>' && *c != '<')
        .take(300)
        .collect();
    format!("<{clean}>")
}

/// Lines, at most [`MAX_LINES`] of them and the message's length.
fn fitted(head: String, lines: Vec<String>, lang: Lang) -> String {
    let mut out = head;
    let total = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let more = match lang {
            Lang::Fr => format!("\n… et {} de plus", total - i),
            Lang::En => format!("\n… and {} more", total - i),
        };
        if i == MAX_LINES || out.chars().count() + line.chars().count() + more.len() > MAX_CONTENT {
            out.push_str(&more);
            break;
        }
        out.push('\n');
        out.push_str(&line);
    }
    text::truncate_chars(&out, MAX_CONTENT)
}

/// What /add did.
pub fn add_reply(report: &AddReport, lang: Lang) -> String {
    let mut lines = Vec::new();
    let (added, changed, unchanged, failed) = match lang {
        Lang::Fr => ("Ajouté", "Mis à jour", "Déjà là, inchangé", "Pas ajouté"),
        Lang::En => ("Added", "Updated", "Already there, unchanged", "Not added"),
    };
    for (what, list) in [
        (added, &report.added),
        (changed, &report.changed),
        (unchanged, &report.unchanged),
    ] {
        for a in list {
            lines.push(format!(
                "✅ {what} : **{}** — `{}` {}",
                escape(&a.title),
                a.article.replace('`', "'"),
                link(&a.url)
            ));
        }
    }
    for f in &report.failed {
        lines.push(format!(
            "❌ {failed} : {} — {}",
            link(&f.url),
            escape(&f.reason)
        ));
    }
    let head = match (lang, &report.index) {
        (Lang::Fr, Some(r)) => format!("L’index est à jour : {} articles.", r.articles),
        (Lang::En, Some(r)) => format!("The index is up to date: {} articles.", r.articles),
        (_, None) => String::new(),
    };
    let text = fitted(String::new(), lines, lang);
    format!("{}\n{head}", text.trim_start())
        .trim_end()
        .to_string()
}

/// The feed list, for /feeds list.
pub fn feeds_reply(info: &[FeedInfo], lang: Lang) -> String {
    if info.is_empty() {
        return match lang {
            Lang::Fr => "Aucun flux suivi : ajoutez-en un avec /feeds add.".into(),
            Lang::En => "No feeds followed: add one with /feeds add.".into(),
        };
    }
    let lines = info
        .iter()
        .map(|f| {
            let r = &f.record;
            let title = r
                .title
                .as_deref()
                .map(|t| format!(" — {}", escape(t)))
                .unwrap_or_default();
            let polled = r.last_poll.as_deref().unwrap_or(match lang {
                Lang::Fr => "jamais",
                Lang::En => "never",
            });
            let state = match (lang, r.failures) {
                (Lang::Fr, 0) => format!("lu : {polled}"),
                (Lang::En, 0) => format!("polled: {polled}"),
                (Lang::Fr, n) => format!(
                    "⚠️ échoue ({n} de suite) : {}",
                    escape(r.reason.as_deref().unwrap_or("?"))
                ),
                (Lang::En, n) => format!(
                    "⚠️ failing ({n} in a row): {}",
                    escape(r.reason.as_deref().unwrap_or("?"))
                ),
            };
            format!("• {}{title} ({state})", link(&f.feed))
        })
        .collect();
    let head = match lang {
        Lang::Fr => format!("{} flux suivis :", info.len()),
        Lang::En => format!("{} feeds followed:", info.len()),
    };
    fitted(head, lines, lang)
}

pub(super) fn followed(lang: Lang, url: &str, done: bool, adding: bool) -> String {
    let u = link(url);
    match (lang, adding, done) {
        (Lang::Fr, true, true) => {
            format!("Flux ajouté : {u}. Ses nouveaux articles arriveront au prochain passage.")
        }
        (Lang::En, true, true) => {
            format!("Feed added: {u}. Its new articles come in at the next round.")
        }
        (Lang::Fr, true, false) => format!("Ce flux est déjà suivi : {u}"),
        (Lang::En, true, false) => format!("This feed is followed already: {u}"),
        (Lang::Fr, false, true) => {
            format!("Flux retiré : {u} (ses articles restent dans le corpus).")
        }
        (Lang::En, false, true) => format!("Feed removed: {u} (its articles stay in the corpus)."),
        (Lang::Fr, false, false) => format!("Ce flux n’est pas suivi : {u}"),
        (Lang::En, false, false) => format!("This feed is not followed: {u}"),
    }
}

fn fetching(lang: Lang, seconds: u64) -> String {
    match lang {
        Lang::Fr => format!("Récupération de la page… ({seconds} s)"),
        Lang::En => format!("Fetching the page… ({seconds} s)"),
    }
}

pub(super) fn failed(lang: Lang, why: &str) -> String {
    let why = text::truncate_chars(&escape(why), 1500);
    match lang {
        Lang::Fr => format!("Échec : {why}"),
        Lang::En => format!("Failed: {why}"),
    }
}

fn not_admin(lang: Lang) -> String {
    match lang {
        Lang::Fr => {
            "Seuls les administrateurs peuvent ajouter des articles ou gérer les flux.".into()
        }
        Lang::En => "Only admins can add articles or manage feeds.".into(),
    }
}

pub(super) fn no_fetching(lang: Lang) -> String {
    match lang {
        Lang::Fr => {
            "Ce kiosque ne récupère rien sur le web (compilé sans la fonction `web`).".into()
        }
        Lang::En => {
            "This kiosque fetches nothing from the web (built without the `web` feature).".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{FeedRecord, NotSaved, Saved};

    fn saved(i: usize, title: &str) -> Saved {
        Saved {
            url: format!("https://example.org/a{i}"),
            article: format!("web/example.org/a{i}"),
            title: title.into(),
            path: format!("corpus/web/example.org/a{i}.md"),
        }
    }

    #[test]
    fn add_replies_say_what_was_added_and_why_not_without_pinging() {
        let report = AddReport {
            added: vec![saved(1, "@everyone Nouakchott inaugure <@123>")],
            failed: vec![NotSaved {
                url: "http://127.0.0.2/x".into(),
                reason: "refused: 127.0.0.2 is not a public address".into(),
            }],
            ..AddReport::default()
        };
        let fr = add_reply(&report, Lang::Fr);
        assert!(
            fr.contains("Ajouté") && fr.contains("<https://example.org/a1>"),
            "{fr}"
        );
        assert!(
            fr.contains("Pas ajouté") && fr.contains("127.0.0.2 is not a public"),
            "{fr}"
        );
        assert!(!fr.contains("@everyone") && !fr.contains("<@123>"), "{fr}");
        let en = add_reply(&report, Lang::En);
        assert!(en.contains("Added") && en.contains("Not added"), "{en}");
    }

    #[test]
    fn long_lists_fit_one_message() {
        let report = AddReport {
            added: (0..200)
                .map(|i| saved(i, &"titre très long ".repeat(20)))
                .collect(),
            ..AddReport::default()
        };
        let r = add_reply(&report, Lang::En);
        assert!(r.chars().count() <= MAX_CONTENT, "{}", r.chars().count());
        assert!(r.contains("more"), "{r}");
        let info: Vec<FeedInfo> = (0..100)
            .map(|i| FeedInfo {
                feed: format!("https://example.org/{i}/{}", "x".repeat(200)),
                record: FeedRecord {
                    failures: 2,
                    reason: Some("the server answered HTTP 500".repeat(10)),
                    ..FeedRecord::default()
                },
            })
            .collect();
        let r = feeds_reply(&info, Lang::Fr);
        assert!(
            r.chars().count() <= MAX_CONTENT && r.contains("de plus"),
            "{r}"
        );
        assert!(r.contains("échoue (2 de suite)"), "{r}");
    }

    #[test]
    fn links_are_not_previewed_and_cannot_break_out() {
        assert_eq!(
            link("https://e.org/a b>@everyone"),
            "<https://e.org/ab@everyone>"
        );
        assert!(feeds_reply(&[], Lang::En).contains("/feeds add"));
        assert!(followed(Lang::Fr, "https://e.org/rss", true, true).starts_with("Flux ajouté"));
        assert!(followed(Lang::En, "https://e.org/rss", false, false).contains("not followed"));
    }
}
