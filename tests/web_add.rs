//! `kiosque add` through the real binary, against a web site the tests serve on 127.0.0.1
//! (tests/common/site.rs) with the pages of tests/fixtures/web/: what is saved and how, the
//! same article by other URLs, new text at its URL, characters, and answers that say their
//! article's date and site.

mod common;
#[path = "harness/web.rs"]
mod harness;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::site::{Response, Site};
use common::{json, stderr, stdout, Workspace};
use harness::{
    article_fr, fixture, robots_allow_all, run, web_files, ALLOW, ARTICLE_PATH, FIXTURE_CANONICAL,
};

/// The site of `article-fr.html` at [`ARTICLE_PATH`] (version 1; from version 2 with a new
/// paragraph) and of its AMP page, and the version it serves.
fn article_site() -> (Site, Arc<AtomicUsize>) {
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
    (site, version)
}

/// Adds the article by a URL with tracking parameters and a fragment, as the only web page of
/// the workspace; returns its id and its file.
fn add_tracked(ws: &Workspace, site: &Site) -> (String, PathBuf) {
    let tracked = site.url(&format!(
        "{ARTICLE_PATH}?utm_source=newsletter&xtor=RSS-3#commentaires"
    ));
    let out = run(ws, &["add", "--json", &tracked]);
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
        web_files(ws),
        vec![format!("{}.md", id.trim_start_matches("web/"))]
    );
    (id, path)
}

#[test]
fn a_page_is_saved_as_its_text_with_front_matter_and_answers_say_its_date_and_site() {
    let (site, _version) = article_site();
    let ws = Workspace::new();
    let (id, path) = add_tracked(&ws, &site);

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
}

#[test]
fn the_same_article_by_other_urls_is_added_once_and_new_text_replaces_it() {
    let (site, version) = article_site();
    let ws = Workspace::new();
    let (id, path) = add_tracked(&ws, &site);
    let canonical = site.url(ARTICLE_PATH);

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
