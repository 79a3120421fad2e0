//! `kiosque add` and `kiosque feeds` through the real binary, against a web site the tests
//! serve on 127.0.0.1 (tests/common/site.rs) with the pages of tests/fixtures/web/ and pages
//! and feeds written here: what is saved and how, duplicates, characters, what is refused
//! and why, bad servers, and answers that say their article's date and site.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::site::{Body, Request, Response, Site};
use common::{json, stderr, stdout, Workspace};

const ALLOW: (&str, &str) = ("KIOSQUE_FETCH_ALLOW", "127.0.0.1");
/// The canonical URL `article-fr.html` names (a site of its own, replaced by the test site's).
const FIXTURE_CANONICAL: &str =
    "https://www.courrier-sahel.example/economie/2024/03/14/nouakchott-usine-dessalement-tevragh-zeina";
const ARTICLE_PATH: &str = "/economie/2024/03/14/nouakchott-usine-dessalement-tevragh-zeina";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/web")
            .join(name),
    )
    .unwrap()
}

/// `article-fr.html` as served by `site`: its canonical URL on the test site.
fn article_fr(site_url: &str) -> String {
    String::from_utf8(fixture("article-fr.html"))
        .unwrap()
        .replace(FIXTURE_CANONICAL, &format!("{site_url}{ARTICLE_PATH}"))
}

/// Runs `kiosque ARGS` with fetching allowed from 127.0.0.1.
fn run(ws: &Workspace, args: &[&str]) -> std::process::Output {
    ws.run_with(args, None, &[ALLOW])
}

/// The files under the corpus' `web/` directory, relative to it, sorted.
fn web_files(ws: &Workspace) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let root = ws.corpus().join("web");
    let mut out = vec![];
    walk(&root, &root, &mut out);
    out.sort();
    out
}

fn robots_allow_all(r: &Request) -> Option<Response> {
    (r.path == "/robots.txt")
        .then(|| Response::new(200, "text/plain", "User-agent: *\nDisallow: /private/\n"))
}

#[test]
fn a_page_is_added_once_however_it_is_reached_and_answers_say_its_date_and_site() {
    let version = Arc::new(AtomicUsize::new(1));
    let v = version.clone();
    let site = Site::start(move |r| {
        if let Some(robots) = robots_allow_all(r) {
            return robots;
        }
        let base = format!(
            "http://127.0.0.1:{}",
            r.header("host")
                .unwrap_or("")
                .rsplit(':')
                .next()
                .unwrap_or("")
        );
        let page = article_fr(&base);
        let path = r.path.split(['?', '#']).next().unwrap_or("");
        match path.trim_end_matches('/') {
            ARTICLE_PATH if v.load(Ordering::SeqCst) == 1 => Response::html(page),
            ARTICLE_PATH => Response::html(page.replace(
                "Sans eau courante",
                "Mise à jour : la seconde tranche a été approuvée vendredi par le conseil des ministres. Sans eau courante",
            )),
            p if p == format!("{ARTICLE_PATH}/amp") => Response::html(
                String::from_utf8(fixture("amp.html"))
                    .unwrap()
                    .replace(FIXTURE_CANONICAL, &format!("{base}{ARTICLE_PATH}")),
            ),
            _ => Response::not_found(),
        }
    });
    let ws = Workspace::new();
    let tracked = site.url(&format!(
        "{ARTICLE_PATH}?utm_source=newsletter&xtor=RSS-3#commentaires"
    ));
    let out = run(&ws, &["add", "--json", &tracked]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json(stdout(&out).trim());
    let added = &report["added"][0];
    assert_eq!(added["url"], tracked.as_str());
    let id = added["article"].as_str().unwrap().to_string();
    assert!(id.starts_with("web/127.0.0.1/"), "{id}");
    assert_eq!(
        added["title"],
        "À Nouakchott, l’usine de dessalement de Tevragh-Zeina entre en service"
    );
    let path = PathBuf::from(added["path"].as_str().unwrap());
    assert_eq!(path, ws.corpus().join(format!("{id}.md")));
    assert_eq!(
        web_files(&ws),
        vec![format!("{}.md", id.trim_start_matches("web/"))]
    );

    // the file: front matter, then the article's text and nothing around it
    let text = std::fs::read_to_string(&path).unwrap();
    let canonical = site.url(ARTICLE_PATH);
    for line in [
        "title: \"À Nouakchott, l’usine de dessalement de Tevragh-Zeina entre en service\""
            .to_string(),
        format!("url: \"{canonical}\""),
        "date: \"2024-03-14T09:30:00+00:00\"".into(),
        "author: \"Aminetou Mint Sidi\"".into(),
        "lang: \"fr\"".into(),
        "site: \"Le Courrier du Sahel\"".into(),
    ] {
        assert!(text.contains(&line), "{line} missing in\n{text}");
    }
    assert!(text.contains("\nfetched: \"20"), "{text}");
    assert!(
        text.contains("150 000 mètres cubes d’eau potable par jour"),
        "{text}"
    );
    assert!(text.contains("Mamadou Ba"), "{text}");
    for noise in [
        "Tout accepter",
        "S’abonner",
        "Je m’inscris",
        "À lire aussi",
        "Brahim_75",
        "Mentions légales",
        "utm_source",
    ] {
        assert!(
            !text.contains(noise),
            "{noise:?} is not the article's:\n{text}"
        );
    }
    // one robots.txt, a User-Agent naming kiosque and its version
    assert_eq!(site.requests_for("/robots.txt").len(), 1);
    let ua = site.requests()[1]
        .header("user-agent")
        .unwrap_or("")
        .to_string();
    assert!(
        ua.contains(&format!("kiosque/{}", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );

    // a question about it is answered from it, with its date and site
    let out = ws.run(&["ask", "--json", "Combien de mètres cubes d'eau potable l'usine de dessalement produira-t-elle par jour ?"], None);
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["answered"], true, "{answer}");
    let hit = &answer["hits"][0];
    assert_eq!(hit["article"], id.as_str(), "{answer}");
    assert_eq!(hit["date"], "2024-03-14T09:30:00+00:00", "{hit}");
    assert_eq!(hit["site"], "Le Courrier du Sahel", "{hit}");
    assert_eq!(hit["url"], canonical.as_str(), "{hit}");
    let out = ws.run(&["ask", "Combien de mètres cubes d'eau potable l'usine de dessalement produira-t-elle par jour ?"], None);
    let shown = stdout(&out);
    assert!(
        shown.contains("Le Courrier du Sahel") && shown.contains("2024-03-14"),
        "{shown}"
    );

    // the same article by other URLs: http/https aside, a trailing slash, its AMP page
    let variants = [
        format!("{canonical}/"),
        format!("{canonical}?fbclid=abc&gclid=x"),
        format!("{canonical}/amp"),
    ];
    let mut args = vec!["add", "--json"];
    args.extend(variants.iter().map(String::as_str));
    let out = run(&ws, &args);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json(stdout(&out).trim());
    assert_eq!(report["unchanged"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(report["added"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(web_files(&ws).len(), 1, "{:?}", web_files(&ws));

    // new text at the same URL: changed, rewritten, reindexed
    version.store(2, Ordering::SeqCst);
    let out = run(&ws, &["add", "--json", &canonical]);
    let report = json(stdout(&out).trim());
    assert_eq!(report["changed"][0]["article"], id.as_str(), "{report}");
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("approuvée vendredi"));
    let out = ws.run(
        &[
            "ask",
            "--json",
            "Quand la seconde tranche a-t-elle été approuvée par le conseil des ministres ?",
        ],
        None,
    );
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["hits"][0]["article"], id.as_str(), "{answer}");

    // a person deleted it and asks for it again: it comes back
    std::fs::remove_file(&path).unwrap();
    let out = run(&ws, &["add", "--json", &canonical]);
    let report = json(stdout(&out).trim());
    assert_eq!(report["added"][0]["article"], id.as_str(), "{report}");
    assert!(path.exists());
}

#[test]
fn windows_1252_pages_are_read_right_declared_or_not() {
    let site = Site::start(|r| {
        if let Some(robots) = robots_allow_all(r) {
            return robots;
        }
        match r.path.as_str() {
            // no charset in the header: the page's <meta charset>, or detection
            "/lyon/fete-des-lumieres" => {
                Response::new(200, "text/html", fixture("article-cp1252.html"))
            }
            "/undeclared" => {
                Response::new(200, "text/html", fixture("article-cp1252-undeclared.html"))
            }
            // a server that says UTF-8 in front of Windows-1252 bytes
            "/lying" => Response::new(
                200,
                "text/html; charset=utf-8",
                fixture("article-cp1252-undeclared.html"),
            ),
            _ => Response::not_found(),
        }
    });
    // a proxy in the environment is not used: fetches go straight to the site
    let proxy = Site::start(|_| Response::new(502, "text/plain", "proxied"));
    let ws = Workspace::new();
    let out = ws.run_with(
        &[
            "add",
            "--json",
            &site.url("/lyon/fete-des-lumieres"),
            &site.url("/undeclared"),
            &site.url("/lying"),
        ],
        None,
        &[
            ALLOW,
            ("HTTP_PROXY", &proxy.url("")),
            ("http_proxy", &proxy.url("")),
            ("HTTPS_PROXY", &proxy.url("")),
            ("ALL_PROXY", &proxy.url("")),
        ],
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    let report = json(stdout(&out).trim());
    // the undeclared page and the same page behind a lying header are one article
    assert_eq!(report["added"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["unchanged"].as_array().unwrap().len(), 1, "{report}");
    let first = std::fs::read_to_string(report["added"][0]["path"].as_str().unwrap()).unwrap();
    for word in [
        "Hélène Garçon",
        "cœur",
        "€",
        "« qui passe, regarde et repart sans rien acheter »",
    ] {
        assert!(first.contains(word), "{word:?} not in\n{first}");
    }
    let second = std::fs::read_to_string(report["added"][1]["path"].as_str().unwrap()).unwrap();
    assert!(
        !second.contains('\u{fffd}') && second.contains('é'),
        "{second}"
    );
    // the file name is the URL's last segment
    assert!(
        report["added"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("/fete-des-lumieres.md"),
        "{report}"
    );
}

/// Serves every bad input of issue 13's points 6 and 8 beside one good article.
fn bad_site() -> Site {
    Site::start(|r| {
        let good = || {
            let base = format!("http://{}", r.header("host").unwrap_or(""));
            Response::html(article_fr(&base))
        };
        let port = r
            .header("host")
            .unwrap_or("")
            .rsplit(':')
            .next()
            .unwrap_or("")
            .to_string();
        match r.path.as_str() {
            "/robots.txt" => {
                Response::new(200, "text/plain", "User-agent: *\nDisallow: /private/\n")
            }
            ARTICLE_PATH => good(),
            "/teaser" => Response::html(fixture("teaser.html")),
            "/home" => Response::html(fixture("not-article.html")),
            "/image.png" => Response::new(
                200,
                "image/png",
                vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0, 1, 2],
            ),
            "/binary-html" => Response::new(200, "text/html", vec![0u8; 4096]),
            "/huge" => Response::html(format!(
                "<html><body><p>{}</p></body></html>",
                "mot ".repeat(1_600_000)
            )),
            "/bomb" => {
                use std::io::Write;
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gz.write_all(b"<html><body><p>").unwrap();
                let zeros = vec![b'a'; 1 << 20];
                for _ in 0..64 {
                    gz.write_all(&zeros).unwrap(); // 64 MiB once inflated
                }
                Response::html(gz.finish().unwrap()).header("Content-Encoding", "gzip")
            }
            "/slow" => Response {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: Body::Trickle,
            },
            "/private/page" => good(),
            "/loop" => Response::redirect("/loop2"),
            "/loop2" => Response::redirect("/loop"),
            "/to-internal" => Response::redirect(&format!("http://127.0.0.2:{port}{ARTICLE_PATH}")),
            "/to-file" => Response::redirect("file:///etc/passwd"),
            "/gone" => Response::new(410, "text/html", "<p>gone</p>"),
            _ => Response::not_found(),
        }
    })
}

#[test]
fn bad_inputs_are_reported_with_a_reason_and_nothing_half_written_lands() {
    let site = bad_site();
    let ws = Workspace::new();
    let cases: &[(&str, &str)] = &[
        ("/teaser", "too short (paywall, or not an article?)"),
        ("/home", "not an article"),
        ("/image.png", "not an HTML page"),
        ("/binary-html", "binary"),
        ("/huge", "too large"),
        ("/bomb", "too large"),
        ("/slow", "too slow"),
        ("/private/page", "robots.txt"),
        ("/loop", "too many redirects"),
        ("/to-internal", "127.0.0.2"),
        ("/to-file", "refused"),
        ("/gone", "HTTP 410"),
    ];
    let mut args: Vec<String> = vec!["add".into(), "--json".into(), site.url(ARTICLE_PATH)];
    args.extend(cases.iter().map(|(p, _)| site.url(p)));
    args.push("not a url".into());
    args.push("ftp://127.0.0.1/file".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let out = run(&ws, &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let report = json(stdout(&out).trim());
    // the good one is saved all the same
    assert_eq!(report["added"].as_array().unwrap().len(), 1, "{report}");
    let failed = report["failed"].as_array().unwrap();
    let reason = |url: &str| {
        failed
            .iter()
            .find(|f| f["url"] == url)
            .map(|f| f["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{url} not among the failures: {report}"))
    };
    for (path, why) in cases {
        let r = reason(&site.url(path));
        assert!(r.contains(why), "{path}: {r:?} should say {why:?}");
    }
    assert!(reason("not a url").contains("not a URL"));
    assert!(
        reason("ftp://127.0.0.1/file").contains("http"),
        "{}",
        reason("ftp://127.0.0.1/file")
    );
    // never connected to 127.0.0.2, never read /etc/passwd
    assert!(site
        .requests()
        .iter()
        .all(|r| !r.header("host").unwrap_or("").starts_with("127.0.0.2")));
    // nothing of the failures in the corpus, no temporary file
    assert_eq!(web_files(&ws).len(), 1, "{:?}", web_files(&ws));
    // the slow server was given up on at the deadline, not waited for
    assert!(started.elapsed().as_secs() < 90, "{:?}", started.elapsed());
    // and the index still answers
    let out = ws.run(
        &[
            "ask",
            "--json",
            "Qui dirige la délégation militaire malienne ?",
        ],
        None,
    );
    assert_eq!(json(stdout(&out).trim())["answered"], true);
}

#[test]
fn internal_addresses_are_refused_in_every_spelling_before_anything_connects() {
    let site = bad_site();
    let ws = Workspace::new();
    let port = site.port();
    let urls: Vec<String> = [
        format!("http://127.0.0.1:{port}{ARTICLE_PATH}"),
        format!("http://2130706433:{port}{ARTICLE_PATH}"),
        format!("http://0x7f000001:{port}{ARTICLE_PATH}"),
        format!("http://127.1:{port}{ARTICLE_PATH}"),
        format!("http://0177.0.0.1:{port}{ARTICLE_PATH}"),
        format!("http://[::ffff:127.0.0.1]:{port}{ARTICLE_PATH}"),
        format!("http://[::1]:{port}/"),
        format!("http://localhost:{port}{ARTICLE_PATH}"),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://10.0.0.1/".into(),
        "http://192.168.1.1/".into(),
        "http://100.64.0.1/".into(),
        "http://[fd00::1]/".into(),
        "http://0.0.0.0/".into(),
        "file:///etc/passwd".into(),
    ]
    .into();
    let mut args = vec!["add", "--json"];
    args.extend(urls.iter().map(String::as_str));
    // no KIOSQUE_FETCH_ALLOW: public addresses only
    let out = ws.run_with(&args, None, &[("KIOSQUE_FETCH_ALLOW", "")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let report = json(stdout(&out).trim());
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), urls.len(), "{report}");
    for f in failed {
        assert!(f["reason"].as_str().unwrap().starts_with("refused"), "{f}");
    }
    assert!(
        site.requests().is_empty(),
        "nothing connected: {:?}",
        site.requests()
    );
    // a bad allow list is a configuration error, said as such
    let out = ws.run_with(
        &["add", "https://example.org/"],
        None,
        &[("KIOSQUE_FETCH_ALLOW", "10.0.0.0/99")],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Invalid KIOSQUE_FETCH_ALLOW"),
        "{}",
        stderr(&out)
    );
}

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

#[test]
fn feeds_bring_each_new_article_once_and_never_what_a_person_deleted() {
    // the RSS feed's version: 1 (items 0, 1), 2 (re-dated, tracking parameters), 3 (item 4 too)
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
    let ws = Workspace::new();
    for feed in ["/rss.xml", "/atom.xml", "/feed.json"] {
        let out = run(&ws, &["feeds", "add", &site.url(feed)]);
        assert!(
            out.status.success() && stdout(&out).contains("added to"),
            "{}",
            stderr(&out)
        );
    }
    let out = run(&ws, &["feeds", "add", &site.url("/rss.xml")]);
    assert!(stdout(&out).contains("already in"), "{}", stdout(&out));
    let list = std::fs::read_to_string(ws.dir.path().join("feeds.txt")).unwrap();
    assert_eq!(
        list.lines().filter(|l| l.starts_with("http")).count(),
        3,
        "{list}"
    );

    // first poll: the four articles, one file each
    let out = run(&ws, &["feeds", "poll", "--json"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = json(stdout(&out).trim());
    assert_eq!(report["added"].as_array().unwrap().len(), 4, "{report}");
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
    assert_eq!(web_files(&ws).len(), 4, "{:?}", web_files(&ws));
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
