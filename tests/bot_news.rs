//! The bot and the web: admins add an article by its URL (`/add`) and manage the feed list
//! (`/feeds`), others are refused privately, and `kiosque serve` polls the feeds by itself so
//! that a new article is answered without a restart, with its date and site. Against a fake
//! Discord and a web site, both on 127.0.0.1.

mod common;
mod fake_discord;
#[path = "harness/bot.rs"]
mod harness;

use std::time::Duration;

use common::site::{Body, Request, Response, Site};
use fake_discord::{Asker, FakeDiscord};
use harness::{ask, check_messages, command, connected, is_private, opts, text_of, Bot};
use serde_json::{json, Value};

const PAGE: &str = "/2025/02/03/rosso-bac";

/// A news page of the site: a ferry story no bundled article tells.
fn page() -> String {
    let p = [
        "Le bac de Rosso, qui relie la Mauritanie au Sénégal sur le fleuve, a repris lundi ses rotations après deux semaines d'arrêt dû à une panne de moteur.",
        "Les commerçants de Rosso estiment avoir perdu plusieurs millions d'ouguiyas pendant l'arrêt, les camions ayant dû attendre sur les deux rives ou faire un long détour.",
        "La société du bac annonce l'arrivée d'un second moteur de secours avant la saison des pluies, pour que le passage ne soit plus jamais interrompu aussi longtemps.",
    ];
    let body: String = p.iter().map(|t| format!("<p>{t}</p>")).collect();
    format!(
        "<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Le bac de Rosso reprend du service</title>\
         <meta property=\"og:site_name\" content=\"Fleuve Info\">\
         <meta property=\"article:published_time\" content=\"2025-02-03T07:15:00+00:00\"></head>\
         <body><nav><a href=\"/\">Accueil</a></nav><article><h1>Le bac de Rosso reprend du service</h1>{body}</article></body></html>"
    )
}

fn routes(r: &Request) -> Response {
    let base = format!("http://{}", r.header("host").unwrap_or(""));
    match r.path.split('?').next().unwrap_or_default() {
        "/robots.txt" => Response::new(200, "text/plain", "User-agent: *\nAllow: /\n"),
        PAGE => Response::html(page()),
        // a server that never finishes its answer
        "/slow" => Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: Body::Trickle,
        },
        "/rss.xml" => Response::new(
            200,
            "application/rss+xml",
            format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Fleuve Info</title>\
                 <item><title>Le bac de Rosso reprend du service</title><link>{base}{PAGE}?utm_source=rss</link></item>\
                 </channel></rss>"
            ),
        ),
        _ => Response::not_found(),
    }
}

fn subcommand(name: &str, pairs: &[(&str, Value)]) -> Value {
    json!([{"name": name, "type": 1, "options": opts(pairs)}])
}

/// The private follow-up of a deferred command (its token's webhook) once the work is done,
/// past the progress messages.
async fn follow_up(fake: &FakeDiscord, token: &str) -> Value {
    let t = format!("/{token}");
    fake.wait_request(
        move |r| {
            r.route().starts_with("/webhooks/")
                && r.path.contains(&t)
                && !text_of(&r.body).contains("Récupération de la page")
        },
        Duration::from_secs(60),
    )
    .await
    .expect("the follow-up")
    .body
}

/// The bot on `ws`, with 9002 an admin, fetching allowed from 127.0.0.1, no polls of its own,
/// and progress said every second.
async fn news_bot(ws: &common::Workspace) -> (FakeDiscord, Bot) {
    connected(
        ws,
        &[
            ("KIOSQUE_ADMIN_USER_IDS", "9002"),
            ("KIOSQUE_FETCH_ALLOW", "127.0.0.1"),
            ("KIOSQUE_FEEDS_EVERY", "off"),
            ("KIOSQUE_PROGRESS_SECONDS", "1"),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_a_page_and_it_is_answered_at_once_with_its_date_and_site() {
    let site = Site::start(routes);
    let ws = common::Workspace::new();
    let (fake, _bot) = news_bot(&ws).await;
    let url = site.url(PAGE);

    // a member: refused privately, nothing fetched
    let add = opts(&[("url", json!(url))]);
    let r = command(&fake, 21, "add", add.clone(), &Asker::member(9001)).await;
    assert_eq!(r.body["type"], 4);
    assert!(is_private(&r.body["data"]));
    assert!(text_of(&r.body).contains("administrateurs"), "{}", r.body);
    assert!(site.requests().is_empty());

    // an admin: deferred privately, then what was added
    let r = command(&fake, 22, "add", add, &Asker::member(9002)).await;
    assert_eq!(r.body["type"], 5, "{}", r.body);
    assert!(is_private(&r.body["data"]));
    let done = follow_up(&fake, "t22").await;
    let content = done["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("Ajouté") && content.contains("Le bac de Rosso reprend du service"),
        "{done}"
    );

    // and it is answered at once, with its date and site
    let r = ask(
        &fake,
        23,
        "Pourquoi le bac de Rosso s'est-il arrêté pendant deux semaines ?",
        &Asker::member(9003),
    )
    .await;
    let embed = &r.body["data"]["embeds"][0];
    assert!(text_of(&r.body).contains("panne de moteur"), "{}", r.body);
    assert!(
        embed["footer"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Fleuve Info"),
        "{embed}"
    );
    assert!(
        embed["timestamp"]
            .as_str()
            .unwrap_or_default()
            .starts_with("2025-02-03T07:15:00"),
        "{embed}"
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_says_why_it_refuses_an_address_or_gives_up_on_a_page_and_answers_meanwhile() {
    let site = Site::start(routes);
    let ws = common::Workspace::new();
    let (fake, bot) = news_bot(&ws).await;

    // an internal address: said why, privately
    let r = command(
        &fake,
        24,
        "add",
        opts(&[("url", json!("http://169.254.169.254/latest/"))]),
        &Asker::member(9002),
    )
    .await;
    assert_eq!(r.body["type"], 5);
    let done = follow_up(&fake, "t24").await;
    let content = done["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("Pas ajouté") && content.contains("not a public address"),
        "{done}"
    );

    // a page that never finishes: the bot keeps answering meanwhile, the admin sees the
    // fetch going on, then why it failed
    let add_slow = opts(&[("url", json!(site.url("/slow")))]);
    let r = command(&fake, 29, "add", add_slow, &Asker::member(9002)).await;
    assert_eq!(r.body["type"], 5);
    let r = ask(
        &fake,
        30,
        "Qui dirigeait la délégation militaire malienne ?",
        &Asker::member(9003),
    )
    .await;
    assert!(text_of(&r.body).contains("Oumar Diarra"), "{}", r.body);
    let progress = fake
        .wait_request(
            |r| r.path.contains("/t29") && text_of(&r.body).contains("Récupération de la page"),
            Duration::from_secs(30),
        )
        .await;
    assert!(progress.is_some(), "no progress shown");
    let done = fake
        .wait_request(
            |r| r.path.contains("/t29") && text_of(&r.body).contains("too slow"),
            Duration::from_secs(30),
        )
        .await
        .expect("the fetch's end");
    assert!(text_of(&done.body).contains("Pas ajouté"), "{}", done.body);
    // the question was answered while the page was still being fetched: before the bot gave
    // up on it (after its 10 s limit; the answer takes well under a second)
    let requests = fake.requests();
    let at =
        |pred: &dyn Fn(&fake_discord::Request) -> bool| requests.iter().position(pred).unwrap();
    let answered_at = at(&|r| r.is_interaction_callback() && r.path.contains("/interactions/30/"));
    let gave_up_at = at(&|r| r.path.contains("/t29") && text_of(&r.body).contains("too slow"));
    assert!(
        answered_at < gave_up_at,
        "the question was answered only once the fetch had failed: {}",
        bot.log()
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_list_and_remove_feeds_and_members_may_not() {
    let site = Site::start(routes);
    let ws = common::Workspace::new();
    let (fake, _bot) = news_bot(&ws).await;
    let feed = site.url("/rss.xml");
    let r = command(
        &fake,
        25,
        "feeds",
        subcommand("add", &[("url", json!(feed))]),
        &Asker::member(9002),
    )
    .await;
    assert!(text_of(&r.body).contains("Flux ajouté"), "{}", r.body);
    assert!(std::fs::read_to_string(ws.dir.path().join("feeds.txt"))
        .unwrap()
        .contains(&feed));
    let list = subcommand("list", &[]);
    let r = command(&fake, 26, "feeds", list.clone(), &Asker::member(9002)).await;
    assert!(
        text_of(&r.body).contains("1 flux suivis") && text_of(&r.body).contains(&feed),
        "{}",
        r.body
    );
    let r = command(&fake, 27, "feeds", list, &Asker::member(9001)).await;
    assert!(text_of(&r.body).contains("administrateurs"), "{}", r.body);
    let r = command(
        &fake,
        28,
        "feeds",
        subcommand("remove", &[("url", json!(feed))]),
        &Asker::member(9002),
    )
    .await;
    assert!(text_of(&r.body).contains("Flux retiré"), "{}", r.body);
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_polls_the_feeds_and_new_articles_are_answered_without_a_restart() {
    let site = Site::start(routes);
    let ws = common::Workspace::new();
    std::fs::write(
        ws.dir.path().join("feeds.txt"),
        format!("# test\n{}\n", site.url("/rss.xml")),
    )
    .unwrap();
    let (fake, bot) = connected(
        &ws,
        &[
            ("KIOSQUE_FETCH_ALLOW", "127.0.0.1"),
            ("KIOSQUE_FEEDS_EVERY", "10s"),
        ],
    )
    .await;
    // the poll at start brings the feed's article and reindexes before it says so
    assert!(
        bot.wait_log("feeds: 1 articles added", Duration::from_secs(90))
            .await,
        "the feed's article never came: {}",
        bot.log()
    );
    let r = ask(
        &fake,
        31,
        "Pourquoi le bac de Rosso s'est-il arrêté ?",
        &Asker::member(9003),
    )
    .await;
    assert!(text_of(&r.body).contains("panne de moteur"), "{}", r.body);
    assert!(!site.requests_for("/rss.xml").is_empty());
    check_messages(&fake);
}
