//! Answers, summaries, article lists and reindex reports as Discord messages, described
//! without Discord types: text and embeds in the asker's language, a hit's passage rendered
//! from its spans, corpus text escaped and every part fitted to Discord's limits ([`fit`]).
//! The `discord` module only turns these into serenity builders.

use crate::articles::text;
use crate::engine::{Answer, ArticlePage, BuildReport, Hit, Summary, TopicSummary};
use crate::front::highlight::{self, MARKDOWN};
use crate::lang::Lang;

use super::fit::cut;
pub(crate) use super::fit::{escape, fit, limits, Embed, Field, Reply};
use super::origin;

/// Articles per page of /articles.
pub const ARTICLES_PER_PAGE: usize = 10;
const COLOR: u32 = 0x2b6cb0;

/// The reply language for a Discord locale ("fr", "fr-FR", "en-US"...): its language when
/// kiosque speaks it, English otherwise.
pub fn lang_of_locale(locale: &str) -> Lang {
    Lang::parse(locale).unwrap_or(Lang::En)
}

/// A hit's passage for Discord: matched words bold, the best sentence underlined, at most
/// `max` characters. A long passage is cut around its best sentence, at word boundaries.
pub fn highlight(hit: &Hit, max: usize) -> String {
    let passage = &hit.passage;
    let mut budget = max;
    for _ in 0..6 {
        let (start, end) = window(passage, hit.answer_span.clone(), budget);
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.push_str(&highlight::render(hit, start..end, &MARKDOWN, &|s, out| {
            out.push_str(&escape(s))
        }));
        if end < passage.len() {
            out.push('…');
        }
        let len = out.chars().count();
        if len <= max {
            return out;
        }
        budget = budget.saturating_sub(len - max + 16).max(16);
    }
    cut(&escape(passage), max)
}

/// The byte range of `passage` to show in about `budget` characters: all of it when it fits,
/// else a stretch around the answer, cut at spaces.
fn window(passage: &str, answer: Option<std::ops::Range<usize>>, budget: usize) -> (usize, usize) {
    if passage.chars().count() <= budget {
        return (0, passage.len());
    }
    let anchor = answer.map_or(0, |a| a.start);
    // start a little before the answer, on a char boundary
    let before = budget / 5;
    let start = passage[..anchor]
        .char_indices()
        .rev()
        .take(before)
        .last()
        .map_or(anchor, |(i, _)| i);
    // from the next word on, so no word is cut
    let start = if start > 0 {
        passage[start..]
            .find(char::is_whitespace)
            .map_or(start, |i| start + i + 1)
            .min(anchor)
    } else {
        start
    };
    let end = passage[start..]
        .char_indices()
        .nth(budget)
        .map_or(passage.len(), |(i, _)| start + i);
    let end = if end < passage.len() {
        passage[start..end]
            .rfind(char::is_whitespace)
            .map_or(end, |i| start + i)
    } else {
        end
    };
    (start, end.max(start))
}

struct Words {
    no_answer: &'static str,
    related: &'static str,
    closest: &'static str,
    paragraph: &'static str,
    articles_title: &'static str,
    passages: &'static str,
    page: &'static str,
    no_articles: &'static str,
    summary_footer: &'static str,
    translated: &'static str,
    by_meaning: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::Fr => Words {
            no_answer: "Les articles ne répondent pas à cette question.",
            related: "Pas de réponse directe dans les articles ; passages proches :",
            closest: "Articles les plus proches",
            paragraph: "paragraphe",
            articles_title: "Articles indexés",
            passages: "passages",
            page: "page",
            no_articles: "Aucun article n’est indexé.",
            summary_footer: "Résumé",
            translated: "Mots traduits :",
            by_meaning:
                "-# Trouvé par le sens (recherche sémantique), pas par les mots de la question.",
        },
        Lang::En => Words {
            no_answer: "The articles do not answer this question.",
            related: "No direct answer in the articles; related passages:",
            closest: "Closest articles",
            paragraph: "paragraph",
            articles_title: "Indexed articles",
            passages: "passages",
            page: "page",
            no_articles: "No articles are indexed.",
            summary_footer: "Summary",
            translated: "Translated words:",
            by_meaning: "-# Found by meaning (semantic search), not by the question's words.",
        },
    }
}

/// The answer to /ask or a mention: one embed per passage (title linked to the article's
/// url when it has one, site, source and paragraph in the footer, the article's date as the
/// timestamp, search time in the last footer); related passages the same way under a
/// heading saying they do not answer directly; a line saying so when they were found by
/// meaning; or a sentence saying the articles do not answer.
pub fn answer(answer: &Answer, lang: Lang, ephemeral: bool) -> Reply {
    let w = words(lang);
    // which of the question's words were searched as what, so the asker sees why it matched
    let translated = (!answer.translations.is_empty()).then(|| {
        let list: Vec<String> = answer
            .translations
            .iter()
            .map(|t| format!("{} → {}", escape(&t.word), escape(&t.into.join(", "))))
            .collect();
        text::truncate_chars(
            &format!("-# {} {}", w.translated, list.join(" · ")),
            limits::CONTENT / 2,
        )
    });
    let (hits, heading) = if answer.answered && !answer.hits.is_empty() {
        (&answer.hits, None)
    } else {
        (&answer.related, Some(w.related))
    };
    if hits.is_empty() {
        let mut content = w.no_answer.to_string();
        if let Some(t) = &translated {
            content = format!("{content}\n{t}");
        }
        if !answer.closest.is_empty() {
            content.push_str(
                &format!("\n{} :", w.closest)
                    .replace(" :", if lang == Lang::Fr { " :" } else { ":" }),
            );
            for t in &answer.closest {
                content.push_str(&format!("\n• {}", escape(t)));
            }
        }
        let mut reply = Reply {
            content: Some(content),
            embeds: vec![],
            ephemeral,
        };
        fit(&mut reply);
        return reply;
    }
    let n = hits.len().min(limits::EMBEDS);
    let mut embeds: Vec<Embed> = hits
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, hit)| {
            let mut footer = format!(
                "{} · {} {}",
                source(hit.article.site.as_deref(), &hit.article.source),
                w.paragraph,
                hit.paragraph
            );
            if i + 1 == n {
                footer.push_str(&format!(" · {:.2} ms", answer.took_ms));
            }
            Embed {
                title: Some(text::truncate_chars(&hit.article.title, limits::TITLE)),
                url: url_of(&hit.article.source),
                description: None,
                fields: vec![],
                footer: Some(text::truncate_chars(&footer, limits::FOOTER)),
                color: Some(COLOR),
                timestamp: hit.article.date.as_deref().and_then(origin::timestamp),
            }
        })
        .collect();
    // room for each passage once titles and footers are counted
    let overhead: usize = embeds.iter().map(Embed::len).sum();
    let per_hit =
        (limits::EMBEDS_TOTAL.saturating_sub(overhead) / n.max(1)).min(limits::DESCRIPTION);
    for (e, hit) in embeds.iter_mut().zip(hits) {
        e.description = Some(highlight(hit, per_hit));
    }
    // related passages come under their heading, never as answers; passages found by
    // meaning say so
    let lines: Vec<&str> = [
        heading,
        answer.by_meaning.then_some(w.by_meaning),
        translated.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let content = (!lines.is_empty()).then(|| lines.join("\n"));
    let mut reply = Reply {
        content,
        embeds,
        ephemeral,
    };
    fit(&mut reply);
    reply
}

fn url_of(source: &str) -> Option<String> {
    (source.starts_with("https://") || source.starts_with("http://")).then(|| source.to_string())
}

/// Where a passage comes from, for a footer: its site, when the article names one, then
/// its source; neither can ping.
fn source(site: Option<&str>, source: &str) -> String {
    match site {
        Some(s) => format!("{} · {}", origin::site(s), origin::unmention(source)),
        None => origin::unmention(source),
    }
}

/// A summary: the sentences in the article's order, with the title, site, source and date.
pub fn summary(s: &Summary, lang: Lang) -> Reply {
    let w = words(lang);
    let body = s
        .sentences
        .iter()
        .map(|x| escape(&x.text))
        .collect::<Vec<_>>()
        .join(" ");
    let mut reply = Reply {
        content: None,
        embeds: vec![Embed {
            title: Some(s.article.title.clone()),
            url: s.article.url.clone().or_else(|| url_of(&s.article.source)),
            description: Some(body),
            fields: vec![],
            footer: Some(format!(
                "{} · {}",
                w.summary_footer,
                source(s.article.site.as_deref(), &s.article.source)
            )),
            color: Some(COLOR),
            timestamp: s.article.date.as_deref().and_then(origin::timestamp),
        }],
        ephemeral: false,
    };
    fit(&mut reply);
    reply
}

/// A topic summary: each sentence with its article (a link when it has a url).
pub fn topic(t: &TopicSummary, lang: Lang) -> Reply {
    let w = words(lang);
    if t.sentences.is_empty() {
        return Reply {
            content: Some(w.no_answer.to_string()),
            embeds: vec![],
            ephemeral: true,
        };
    }
    let fields = t
        .sentences
        .iter()
        .map(|s| Field {
            name: s.article.title.clone(),
            value: match &s.article.site {
                Some(site) => format!(
                    "{}\n— {} · {}",
                    escape(&s.text),
                    escape(&origin::short(site)),
                    escape(&s.article.source)
                ),
                None => format!("{}\n— {}", escape(&s.text), escape(&s.article.source)),
            },
            inline: false,
        })
        .collect();
    let mut reply = Reply {
        content: None,
        embeds: vec![Embed {
            title: Some(
                format!("{} : {}", w.summary_footer, t.topic)
                    .replace(" : ", if lang == Lang::Fr { " : " } else { ": " }),
            ),
            url: None,
            description: None,
            fields,
            footer: None,
            color: Some(COLOR),
            timestamp: None,
        }],
        ephemeral: false,
    };
    fit(&mut reply);
    reply
}

/// One page (1-based) of the article list; pages past the end show the last.
pub fn articles(page: &ArticlePage, lang: Lang) -> Reply {
    let w = words(lang);
    if page.articles.is_empty() {
        return Reply {
            content: Some(w.no_articles.to_string()),
            ..Default::default()
        };
    }
    let (pages, total) = (page.pages, page.passages);
    let page_no = page.page;
    let fields = page
        .articles
        .iter()
        .map(|a| Field {
            name: a.article.title.clone(),
            value: format!(
                "{} · {} {} · `{}`",
                escape(&a.article.source),
                a.passages,
                w.passages,
                a.article.id.replace('`', "'")
            ),
            inline: false,
        })
        .collect();
    let mut reply = Reply {
        content: None,
        embeds: vec![Embed {
            title: Some(format!("{} ({})", w.articles_title, page.total)),
            url: None,
            description: None,
            fields,
            footer: Some(format!(
                "{} {page_no}/{pages} · {total} {} · /articles page:{}",
                w.page,
                w.passages,
                if page_no < pages { page_no + 1 } else { 1 }
            )),
            color: Some(COLOR),
            timestamp: None,
        }],
        ephemeral: false,
    };
    fit(&mut reply);
    reply
}

/// The report of a reindex.
pub fn reindex(report: &BuildReport, lang: Lang) -> Reply {
    let mut text = match lang {
        Lang::Fr => format!(
            "Réindexation terminée en {:.2} s : {} articles ({} passages) ; {} ajoutés, {} modifiés, {} retirés, {} inchangés, {} en échec.",
            report.seconds, report.articles, report.passages, report.added, report.changed,
            report.removed, report.unchanged, report.failed.len()
        ),
        Lang::En => format!(
            "Reindex done in {:.2} s: {} articles ({} passages); {} added, {} changed, {} removed, {} unchanged, {} failed.",
            report.seconds, report.articles, report.passages, report.added, report.changed,
            report.removed, report.unchanged, report.failed.len()
        ),
    };
    for f in &report.failed {
        text.push_str(&format!("\n• {} : {}", escape(&f.path), escape(&f.reason)));
    }
    let mut reply = Reply {
        content: Some(text),
        embeds: vec![],
        ephemeral: true,
    };
    fit(&mut reply);
    reply
}

/// Short messages, in the asker's language.
pub fn say(lang: Lang, what: Say) -> String {
    match (lang, what) {
        (Lang::Fr, Say::RateLimited(s)) => format!("Doucement : trop de questions d’un coup. Réessayez dans {s} s."),
        (Lang::En, Say::RateLimited(s)) => format!("Easy there: too many questions at once. Try again in {s} s."),
        (Lang::Fr, Say::Error(id)) => format!("Désolé, une erreur s’est produite (erreur {id})."),
        (Lang::En, Say::Error(id)) => format!("Sorry, something went wrong (error {id})."),
        (Lang::Fr, Say::NotAdmin) => "Seuls les administrateurs peuvent réindexer.".into(),
        (Lang::En, Say::NotAdmin) => "Only admins can reindex.".into(),
        (Lang::Fr, Say::ReindexRunning) => "Une réindexation est déjà en cours.".into(),
        (Lang::En, Say::ReindexRunning) => "A reindex is already running.".into(),
        (Lang::Fr, Say::ReindexOnWriter) => "Cet index est une copie de celui du rédacteur (kiosque writer) : c’est lui qui réindexe, dès que son corpus change.".into(),
        (Lang::En, Say::ReindexOnWriter) => "This index is a copy of the writer’s (kiosque writer): the writer reindexes, as soon as its corpus changes.".into(),
        (Lang::Fr, Say::Rejected(why)) => format!("Question refusée : {why}."),
        (Lang::En, Say::Rejected(why)) => format!("Question refused: {why}."),
        (Lang::Fr, Say::NoArticle(closest)) => format!("Aucun article ne correspond.{}", list_after(" Les plus proches :", &closest)),
        (Lang::En, Say::NoArticle(closest)) => format!("No article matches.{}", list_after(" Closest:", &closest)),
        (Lang::Fr, Say::Ambiguous(matches)) => format!("Plusieurs articles correspondent :{}", list_after("", &matches)),
        (Lang::En, Say::Ambiguous(matches)) => format!("Several articles match:{}", list_after("", &matches)),
        (Lang::Fr, Say::Reindexing(done, total)) => format!("Réindexation en cours : {done}/{total} articles…"),
        (Lang::En, Say::Reindexing(done, total)) => format!("Reindexing: {done}/{total} articles…"),
        (Lang::Fr, Say::SummaryNeedsSomething) => "Indiquez un article ou un sujet.".into(),
        (Lang::En, Say::SummaryNeedsSomething) => "Give an article or a topic.".into(),
        (Lang::Fr, Say::EmptyMention) => "Posez votre question après la mention, par exemple : @kiosque Qui dirigeait la délégation ?".into(),
        (Lang::En, Say::EmptyMention) => "Ask your question after the mention, for example: @kiosque Who led the delegation?".into(),
        #[cfg(feature = "interactions")]
        (Lang::Fr, Say::NotHandled) => "Ce type d’interaction n’est pas pris en charge.".into(),
        #[cfg(feature = "interactions")]
        (Lang::En, Say::NotHandled) => "This kind of interaction is not handled.".into(),
        #[cfg(feature = "interactions")]
        (Lang::Fr, Say::NotOverHttp(name)) => format!("/{} passe par le bot connecté (kiosque serve) ou la ligne de commande, pas encore par ce point d’accès HTTP.", escape(&name)),
        #[cfg(feature = "interactions")]
        (Lang::En, Say::NotOverHttp(name)) => format!("/{} runs through the connected bot (kiosque serve) or the command line, not yet over this HTTP endpoint.", escape(&name)),
        #[cfg(feature = "interactions")]
        (Lang::Fr, Say::UnknownCommand(name)) => format!("Commande inconnue : /{}.", escape(&name)),
        #[cfg(feature = "interactions")]
        (Lang::En, Say::UnknownCommand(name)) => format!("Unknown command: /{}.", escape(&name)),
    }
}

fn list_after(head: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = head.to_string();
    for i in items {
        s.push_str("\n• ");
        s.push_str(&escape(i));
    }
    s
}

/// What [`say`] can say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Say {
    RateLimited(u64),
    Error(String),
    NotAdmin,
    ReindexRunning,
    /// /reindex on a process that answers from the writer's generations.
    ReindexOnWriter,
    Rejected(String),
    NoArticle(Vec<String>),
    Ambiguous(Vec<String>),
    EmptyMention,
    SummaryNeedsSomething,
    Reindexing(usize, usize),
    /// An interaction of a type the HTTP endpoint does not handle (a button, a modal).
    #[cfg(feature = "interactions")]
    NotHandled,
    /// A command this process does not run.
    #[cfg(feature = "interactions")]
    UnknownCommand(String),
    /// An admin command, which the HTTP endpoint does not run yet.
    #[cfg(feature = "interactions")]
    NotOverHttp(String),
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
