//! The bot and the web: admins add an article by its URL (`/add`) and manage the feed list
//! (`/feeds`), others are refused privately, and `kiosque serve` polls the feeds by itself so
//! that a new article is answered without a restart, with its date and site. Against a fake
//! Discord and a web site, both on 127.0.0.1.

mod common;
mod fake_discord;
#[path = "harness/bot.rs"]
mod harness;

use std::time::{Duration, Instant};

use common::site::{Body, Request, Response, Site};
use fake_discord::{slash_command, Asker, FakeDiscord};
use harness::{check_messages, connected, interact, opts, text_of};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_articles_and_manage_feeds_from_discord() {
    let site = Site::start(routes);
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(
        &ws,
        &[
            ("KIOSQUE_ADMIN_USER_IDS", "9002"),
            ("KIOSQUE_FETCH_ALLOW", "127.0.0.1"),
            ("KIOSQUE_FEEDS_EVERY", "off"),
            ("KIOSQUE_PROGRESS_SECONDS", "1"),
        ],
    )
    .await;
    let url = site.url(PAGE);

    // a member: refused privately, nothing fetched
    let r = interact(
        &fake,
        21,
        slash_command(
            21,
            "t21",
            "add",
            opts(&[("url", json!(url))]),
            &Asker::member(9001),
        ),
    )
    .await;
    assert_eq!(r.body["type"], 4);
    assert_eq!(r.body["data"]["flags"].as_u64().unwrap() & 64, 64);
    assert!(text_of(&r.body).contains("administrateurs"), "{}", r.body);
    assert!(site.requests().is_empty());

    // an admin: deferred privately, then what was added
    let r = interact(
        &fake,
        22,
        slash_command(
            22,
            "t22",
            "add",
            opts(&[("url", json!(url))]),
            &Asker::member(9002),
        ),
    )
    .await;
    assert_eq!(r.body["type"], 5, "{}", r.body);
    assert_eq!(r.body["data"]["flags"].as_u64().unwrap() & 64, 64);
    let done = follow_up(&fake, "t22").await;
    let content = done["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("Ajouté") && content.contains("Le bac de Rosso reprend du service"),
        "{done}"
    );

    // and it is answered at once, with its date and site
    let r = interact(
        &fake,
        23,
        slash_command(
            23,
            "t23",
            "ask",
            opts(&[(
                "question",
                json!("Pourquoi le bac de Rosso s'est-il arrêté pendant deux semaines ?"),
            )]),
            &Asker::member(9003),
        ),
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

    // an internal address: said why, privately
    let r = interact(
        &fake,
        24,
        slash_command(
            24,
            "t24",
            "add",
            opts(&[("url", json!("http://169.254.169.254/latest/"))]),
            &Asker::member(9002),
        ),
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
    let r = interact(
        &fake,
        29,
        slash_command(
            29,
            "t29",
            "add",
            opts(&[("url", json!(site.url("/slow")))]),
            &Asker::member(9002),
        ),
    )
    .await;
    assert_eq!(r.body["type"], 5);
    let asked = Instant::now();
    let r = interact(
        &fake,
        30,
        slash_command(
            30,
            "t30",
            "ask",
            opts(&[(
                "question",
                json!("Qui dirigeait la délégation militaire malienne ?"),
            )]),
            &Asker::member(9003),
        ),
    )
    .await;
    assert!(text_of(&r.body).contains("Oumar Diarra"), "{}", r.body);
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
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

    // feeds: add, list, remove
    let feed = site.url("/rss.xml");
    let r = interact(
        &fake,
        25,
        slash_command(
            25,
            "t25",
            "feeds",
            subcommand("add", &[("url", json!(feed))]),
            &Asker::member(9002),
        ),
    )
    .await;
    assert!(text_of(&r.body).contains("Flux ajouté"), "{}", r.body);
    assert!(std::fs::read_to_string(ws.dir.path().join("feeds.txt"))
        .unwrap()
        .contains(&feed));
    let r = interact(
        &fake,
        26,
        slash_command(
            26,
            "t26",
            "feeds",
            subcommand("list", &[]),
            &Asker::member(9002),
        ),
    )
    .await;
    assert!(
        text_of(&r.body).contains("1 flux suivis") && text_of(&r.body).contains(&feed),
        "{}",
        r.body
    );
    let r = interact(
        &fake,
        27,
        slash_command(
            27,
            "t27",
            "feeds",
            subcommand("list", &[]),
            &Asker::member(9001),
        ),
    )
    .await;
    assert!(text_of(&r.body).contains("administrateurs"), "{}", r.body);
    let r = interact(
        &fake,
        28,
        slash_command(
            28,
            "t28",
            "feeds",
            subcommand("remove", &[("url", json!(feed))]),
            &Asker::member(9002),
        ),
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
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut id = 30;
    loop {
        id += 1;
        let token = format!("t{id}");
        let r = interact(
            &fake,
            id,
            slash_command(
                id,
                &token,
                "ask",
                opts(&[(
                    "question",
                    json!("Pourquoi le bac de Rosso s'est-il arrêté ?"),
                )]),
                &Asker::member(9003),
            ),
        )
        .await;
        if text_of(&r.body).contains("panne de moteur") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the feed's article never came: {}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert!(!site.requests_for("/rss.xml").is_empty());
    assert!(
        bot.log().contains("feeds: 1 articles added"),
        "{}",
        bot.log()
    );
    check_messages(&fake);
}
