//! `kiosque add` refuses through the real binary, against a web site the tests serve on
//! 127.0.0.1 (tests/common/site.rs): every bad input and bad server reported with its reason
//! and nothing half written in the corpus, and internal addresses refused in every spelling
//! before anything connects.

mod common;
#[path = "harness/web.rs"]
mod harness;

use common::site::{Body, Response, Site};
use common::{json, stderr, stdout, Workspace};
use harness::{article_fr, fixture, run, web_files, ARTICLE_PATH};

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
    // The slow server was given up on at the fetch's time limit: it trickles its page until
    // the site is dropped, so the command could not have ended otherwise, and /slow's reason
    // above says "too slow". No time is asserted.
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
