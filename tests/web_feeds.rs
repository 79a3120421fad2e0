//! `kiosque feeds` through the real binary, against a web site the tests serve on 127.0.0.1
//! (tests/common/site.rs) with RSS, Atom and JSON feeds written here: each new article is
//! brought once, an unchanged or re-dated feed brings nothing, what a person deleted stays
//! deleted, and a broken feed is reported, retried and listed with its reason.

mod common;
#[path = "harness/web.rs"]
mod harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::site::{Body, Response, Site};
use common::{json, stderr, stdout, Workspace};
use harness::{robots_allow_all, run, web_files};
use serde_json::Value;

/// A news page with a title, a date (when given), a site name, and paragraphs.
fn news_page(title: &str, date: Option<&str>, paragraphs: &[&str]) -> String {
    let date = date
        .map(|d| format!("<meta property=\"article:published_time\" content=\"{d}\">"))
        .unwrap_or_default();
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta property=\"og:site_name\" content=\"Sahel Hebdo\">{date}</head><body>\
         <nav><a href=\"/\">Accueil</a> <a href=\"/monde/\">Monde</a></nav>\
         <article><h1>{title}</h1>\n{body}</article><footer>© Sahel Hebdo</footer></body></html>"
    )
}

/// The articles the feeds list: (path, title, date, paragraphs).
const ITEMS: &[(&str, &str, Option<&str>, &[&str])] = &[
    ("/2025/01/10/kaedi-pont", "À Kaédi, le pont sur le fleuve Sénégal ouvre aux camions", Some("2025-01-10T08:00:00+00:00"), &[
        "Le nouveau pont de Kaédi, long de sept cents mètres, a été ouvert lundi aux camions de marchandises après trois ans de travaux menés par une entreprise chinoise.",
        "Les transporteurs saluent un gain de plusieurs heures sur la route entre Nouakchott et Dakar, jusque-là dépendante d'un bac souvent en panne pendant la saison des pluies.",
        "Le gouverneur du Gorgol a promis que le péage resterait modeste pour les agriculteurs de la vallée, qui exportent riz et légumes vers les marchés sénégalais.",
    ]),
    ("/2025/01/11/atar-dattes", "À Atar, la récolte de dattes bat un record", None, &[
        "Les palmeraies de l'Adrar ont livré cette saison une récolte de dattes exceptionnelle, estimée à vingt-deux mille tonnes par la coopérative régionale d'Atar.",
        "La guetna, la saison de la cueillette, a attiré des milliers de familles venues de Nouakchott, comme chaque été, pour profiter des fruits et de la fraîcheur relative des oasis.",
        "Les producteurs réclament pourtant des chambres froides afin de vendre leurs dattes toute l'année au lieu de les brader au moment de la récolte.",
    ]),
    ("/2025/01/12/nouadhibou-peche", "Nouadhibou : les pêcheurs artisanaux réclament des quotas", Some("2025-01-12"), &[
        "Plusieurs centaines de pêcheurs artisanaux ont manifesté mardi sur le port de Nouadhibou pour réclamer des quotas de poulpe réservés aux pirogues.",
        "Ils accusent les chalutiers étrangers de vider les fonds du banc d'Arguin et demandent au ministère des Pêches de publier les licences accordées cette année.",
        "Le délégué du port a reçu une délégation et promis une réunion avec les armateurs avant la fin du mois, sans prendre d'engagement sur les quotas.",
    ]),
    ("/2025/01/13/chinguetti-manuscrits", "Chinguetti numérise ses manuscrits anciens", Some("2025-01-13T12:00:00Z"), &[
        "Les bibliothèques familiales de Chinguetti ont commencé à numériser leurs manuscrits anciens, dont certains remontent au onzième siècle, avec l'aide d'une fondation marocaine.",
        "Quatre mille pages ont déjà été photographiées et seront consultables en ligne, ce qui doit protéger ces textes de l'ensablement et de l'humidité qui les menacent.",
        "Les familles gardiennes restent propriétaires des originaux et décident seules des documents qui seront rendus publics sur le site de la fondation.",
    ]),
    ("/2025/01/14/zouerate-train", "Le train du désert reprend la ligne de Zouérate", Some("2025-01-14T06:30:00+01:00"), &[
        "Le train minéralier de la SNIM, l'un des plus longs du monde avec plus de deux kilomètres de wagons, a repris lundi la ligne entre Zouérate et Nouadhibou après une semaine d'arrêt.",
        "Une tempête de sable avait recouvert la voie sur près de quarante kilomètres, obligeant les équipes à dégager les rails à la main et au bulldozer.",
        "Les voyageurs qui montent gratuitement sur les wagons de minerai de fer ont de nouveau pu rejoindre la côte, une tradition que la société tolère depuis des décennies.",
    ]),
];

fn rss(base: &str, items: &[usize], tracking: bool, redated: bool) -> String {
    let entries: String = items
        .iter()
        .map(|&i| {
            let (path, title, date, _) = ITEMS[i];
            let link = if tracking { format!("{base}{path}?utm_source=rss&amp;xtor=RSS-1") } else { format!("{base}{path}") };
            let date = match (date, redated) {
                (Some(_), true) => "<pubDate>Mon, 20 Jan 2025 10:00:00 +0000</pubDate>".to_string(),
                (Some(_), false) => "<pubDate>Fri, 10 Jan 2025 08:00:00 +0000</pubDate>".to_string(),
                (None, _) => String::new(),
            };
            format!("<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">sahel-{i}</guid>{date}</item>")
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Sahel Hebdo</title><link>{base}/</link><description>Actualité</description>{entries}</channel></rss>")
}

fn atom(base: &str, i: usize) -> String {
    let (path, title, _, _) = ITEMS[i];
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Sahel Hebdo Culture</title><id>urn:sahel:culture</id><updated>2025-01-13T12:00:00Z</updated><entry><title>{title}</title><id>urn:sahel:{i}</id><link rel=\"alternate\" href=\"{base}{path}\"/><updated>2025-01-13T12:00:00Z</updated></entry></feed>")
}

fn json_feed(base: &str, i: usize) -> String {
    let (path, title, _, _) = ITEMS[i];
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Sahel Hebdo Économie",
        "items": [{"id": format!("json-{i}"), "url": format!("{base}{path}"), "title": title, "date_published": "2025-01-12T00:00:00Z"}]
    })
    .to_string()
}

/// The site of the feeds and their articles, and the RSS feed's version it serves: 1 (items
/// 0, 1), 2 (re-dated, tracking parameters), 3 (item 4 too).
fn feeds_site() -> (Site, Arc<AtomicUsize>) {
    let version = Arc::new(AtomicUsize::new(1));
    let v = version.clone();
    let site = Site::start(move |r| {
        if let Some(robots) = robots_allow_all(r) {
            return robots;
        }
        let base = format!("http://{}", r.header("host").unwrap_or(""));
        let conditional = |etag: String, body: String, ctype: &str| {
            if r.header("if-none-match") == Some(etag.as_str()) {
                Response {
                    status: 304,
                    headers: vec![("ETag".into(), etag)],
                    body: Body::Bytes(vec![]),
                }
            } else {
                Response::new(200, ctype, body).header("ETag", &etag)
            }
        };
        let path = r.path.split('?').next().unwrap_or("");
        match path {
            "/rss.xml" => {
                let n = v.load(Ordering::SeqCst);
                let body = match n {
                    1 => rss(&base, &[0, 1], false, false),
                    2 => rss(&base, &[0, 1], true, true),
                    _ => rss(&base, &[4, 0, 1], true, true),
                };
                conditional(format!("\"rss-{n}\""), body, "application/rss+xml")
            }
            "/atom.xml" => conditional("\"atom-1\"".into(), atom(&base, 3), "application/atom+xml"),
            "/feed.json" => conditional(
                "\"json-1\"".into(),
                json_feed(&base, 2),
                "application/feed+json",
            ),
            "/broken.xml" => Response::new(
                200,
                "application/xml",
                "<rss><channel><item><title>unclosed",
            ),
            "/not-a-feed" => Response::html(news_page("Une page", None, &["Pas un flux."])),
            p => match ITEMS.iter().find(|(path, ..)| *path == p) {
                Some((_, title, date, paragraphs)) => {
                    Response::html(news_page(title, *date, paragraphs))
                }
                None => Response::not_found(),
            },
        }
    });
    (site, version)
}

/// Adds the RSS, Atom and JSON feeds to the list.
fn add_feeds(ws: &Workspace, site: &Site) {
    for feed in ["/rss.xml", "/atom.xml", "/feed.json"] {
        let out = run(ws, &["feeds", "add", &site.url(feed)]);
        assert!(
            out.status.success() && stdout(&out).contains("added to"),
            "{}",
            stderr(&out)
        );
    }
}

/// Polls the feeds the first time: the four articles, one file each. Returns the report.
fn first_poll(ws: &Workspace) -> Value {
    let out = run(ws, &["feeds", "poll", "--json"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json(stdout(&out).trim());
    assert_eq!(report["added"].as_array().unwrap().len(), 4, "{report}");
    assert_eq!(web_files(ws).len(), 4, "{:?}", web_files(ws));
    report
}

#[test]
fn feeds_are_listed_once_and_their_first_poll_brings_every_article() {
    let (site, _version) = feeds_site();
    let ws = Workspace::new();
    add_feeds(&ws, &site);
    let out = run(&ws, &["feeds", "add", &site.url("/rss.xml")]);
    assert!(stdout(&out).contains("already in"), "{}", stdout(&out));
    let list = std::fs::read_to_string(ws.dir.path().join("feeds.txt")).unwrap();
    assert_eq!(
        list.lines().filter(|l| l.starts_with("http")).count(),
        3,
        "{list}"
    );

    // first poll: the four articles, one file each
    let report = first_poll(&ws);
    let news: Vec<_> = report["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_string(),
                f["new"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        news,
        vec![("ok".to_string(), 2), ("ok".into(), 1), ("ok".into(), 1)],
        "{report}"
    );
    // the item without a date is kept, without a date
    let undated = report["added"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == ITEMS[1].1)
        .expect("the undated item");
    let text = std::fs::read_to_string(undated["path"].as_str().unwrap()).unwrap();
    assert!(
        !text.contains("\ndate:") && text.contains("guetna"),
        "{text}"
    );
}

#[test]
fn polls_bring_each_new_article_once_and_never_what_a_person_deleted() {
    let (site, version) = feeds_site();
    let ws = Workspace::new();
    add_feeds(&ws, &site);
    first_poll(&ws);

    // second poll: nothing changed, 304s, no page fetched
    let pages_before = site
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/2025/"))
        .count();
    let out = run(&ws, &["feeds", "poll", "--json"]);
    let report = json(stdout(&out).trim());
    assert!(
        report["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "not modified"),
        "{report}"
    );
    assert_eq!(report["added"].as_array().unwrap().len(), 0);
    let feed_hits = site.requests_for("/rss.xml");
    assert_eq!(
        feed_hits.last().unwrap().header("if-none-match"),
        Some("\"rss-1\"")
    );

    // the feed re-dates its items and adds tracking parameters: nothing new, nothing fetched
    version.store(2, Ordering::SeqCst);
    let out = run(&ws, &["feeds", "poll", "--json"]);
    let report = json(stdout(&out).trim());
    assert_eq!(report["feeds"][0]["status"], "ok", "{report}");
    assert_eq!(report["feeds"][0]["new"], 0, "{report}");
    assert_eq!(
        site.requests()
            .iter()
            .filter(|r| r.path.starts_with("/2025/"))
            .count(),
        pages_before
    );

    // a person deletes an article; a new item comes: it is added, the deleted one stays deleted
    let deleted = ws.corpus().join("web/127.0.0.1/kaedi-pont.md");
    assert!(deleted.exists(), "{:?}", web_files(&ws));
    std::fs::remove_file(&deleted).unwrap();
    version.store(3, Ordering::SeqCst);
    let out = run(&ws, &["feeds", "poll", "--json"]);
    let report = json(stdout(&out).trim());
    assert_eq!(report["feeds"][0]["new"], 1, "{report}");
    assert_eq!(report["added"][0]["title"], ITEMS[4].1, "{report}");
    assert!(!deleted.exists());

    // the new article is answered, with its date and site
    let out = ws.run(
        &[
            "ask",
            "--json",
            "Sur combien de kilomètres la tempête de sable avait-elle recouvert la voie du train ?",
        ],
        None,
    );
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["answered"], true, "{answer}");
    assert_eq!(answer["hits"][0]["site"], "Sahel Hebdo", "{answer}");
    assert_eq!(
        answer["hits"][0]["date"], "2025-01-14T06:30:00+01:00",
        "{answer}"
    );
}

#[test]
fn a_broken_feed_is_reported_retried_and_listed_and_removing_a_feed_keeps_its_articles() {
    let (site, _version) = feeds_site();
    let ws = Workspace::new();
    add_feeds(&ws, &site);
    first_poll(&ws);

    // a broken feed: reported, retried later, its reason in the list; the others still polled
    let out = run(&ws, &["feeds", "add", &site.url("/broken.xml")]);
    assert!(out.status.success());
    let out = run(&ws, &["feeds", "poll", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = json(stdout(&out).trim());
    let broken = report["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == site.url("/broken.xml"))
        .unwrap()
        .clone();
    assert_eq!(broken["status"], "failed");
    assert!(
        broken["reason"].as_str().unwrap().contains("not a feed"),
        "{broken}"
    );
    // an HTML page given as a feed is not read as one
    let out = run(&ws, &["feeds", "add", &site.url("/not-a-feed")]);
    assert!(out.status.success());
    let out = run(&ws, &["feeds", "poll", "--json"]);
    let report = json(stdout(&out).trim());
    let html = report["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == site.url("/not-a-feed"))
        .unwrap()
        .clone();
    assert_eq!(html["status"], "failed", "{html}");
    let why = html["reason"].as_str().unwrap();
    assert!(
        why.contains("not a feed (Content-Type: text/html)"),
        "{html}"
    );
    let out = run(&ws, &["feeds", "remove", &site.url("/not-a-feed")]);
    assert!(out.status.success());
    let out = run(&ws, &["feeds", "list", "--json"]);
    let list = json(stdout(&out).trim());
    let b = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == site.url("/broken.xml"))
        .unwrap();
    assert_eq!(b["failures"], 2, "two polls, two failures in a row: {b}");
    assert!(b["next_try"].is_string(), "{b}");
    let ok = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == site.url("/atom.xml"))
        .unwrap();
    assert_eq!(ok["failures"], 0, "{ok}");
    assert!(ok["last_poll"].is_string(), "{ok}");
    let out = run(&ws, &["feeds", "list"]);
    assert!(
        stdout(&out).contains("failing (2 in a row): not a feed"),
        "{}",
        stdout(&out)
    );

    // removing a feed keeps its articles
    let out = run(&ws, &["feeds", "remove", &site.url("/broken.xml")]);
    assert!(
        out.status.success() && stdout(&out).contains("removed"),
        "{}",
        stdout(&out)
    );
    let out = run(&ws, &["feeds", "remove", &site.url("/broken.xml")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(web_files(&ws).len(), 4);
}
