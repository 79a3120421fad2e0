//! The fetcher against the test server on 127.0.0.1 ([`super::server`]): refusals, redirects,
//! time and size limits, content types, conditional GETs, robots.txt and pacing.

use super::server::{html, http, serve, Reply};
use super::*;
use std::io::Write;
use std::net::TcpListener;

fn fast() -> Limits {
    Limits {
        timeout: Duration::from_secs(2),
        max_bytes: 1024 * 1024,
        max_redirects: 5,
        pace: Duration::ZERO,
    }
}

fn fetcher(limits: Limits) -> HttpFetcher {
    HttpFetcher::with_limits(Allow::parse("127.0.0.1").unwrap(), limits).unwrap()
}

fn get(f: &HttpFetcher, url: &str, want: Want) -> Result<Fetched, FetchError> {
    f.fetch(url, want, &Validators::default())
}

fn body(fetched: Result<Fetched, FetchError>) -> Body {
    match fetched {
        Ok(Fetched::Body(body)) => body,
        other => panic!("expected a body, got {other:?}"),
    }
}

fn refusal(fetched: Result<Fetched, FetchError>) -> String {
    match fetched {
        Err(FetchError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_fetcher_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<HttpFetcher>();
    let _: Box<dyn Fetch> = Box::new(fetcher(fast()));
    let ua = user_agent();
    assert!(
        ua.starts_with(&format!("kiosque/{} ", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
    assert_eq!(Limits::default().timeout, Duration::from_secs(10));
    assert_eq!(Limits::default().max_bytes, 5 * 1024 * 1024);
}

#[test]
fn loopback_is_refused_unless_allowed() {
    let server = serve(|_, _, _| html("<p>hi</p>"));
    let closed = HttpFetcher::with_limits(Allow::default(), fast()).unwrap();
    let why = refusal(get(&closed, &server.url("/"), Want::Page));
    assert_eq!(
        why,
        "127.0.0.1 is not a public address (loopback); allow it with KIOSQUE_FETCH_ALLOW"
    );
    assert!(server.paths().is_empty(), "{:?}", server.paths());

    let open = fetcher(fast());
    let page = body(get(&open, &server.url("/a?b=c"), Want::Page));
    assert_eq!(page.bytes, b"<p>hi</p>");
    assert_eq!(page.url.as_str(), server.url("/a?b=c"));
    assert_eq!(server.paths(), ["/robots.txt", "/a?b=c"]);
    for seen in server.seen() {
        assert!(seen.head.contains(&format!(
            "user-agent: {}",
            user_agent().to_ascii_lowercase()
        )));
    }

    // A listed name is allowed whatever it resolves to; the client connects through the
    // guard's resolver to the addresses checked.
    let named = HttpFetcher::with_limits(Allow::parse("localhost").unwrap(), fast()).unwrap();
    let url = format!("http://localhost:{}/named", server.addr.port());
    assert_eq!(body(get(&named, &url, Want::Page)).url.as_str(), url);
    assert!(server
        .paths()
        .ends_with(&["/robots.txt".to_string(), "/named".to_string()]));
}

#[test]
fn numeric_spellings_names_and_other_schemes_are_refused() {
    let f = HttpFetcher::with_limits(Allow::default(), fast()).unwrap();
    for url in [
        "http://0x7f000001/",
        "http://2130706433/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]/",
        "http://[::]/",
        "http://0.0.0.0/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.0.0.1/",
        "http://[64:ff9b::a00:1]/",
    ] {
        let why = refusal(get(&f, url, Want::Page));
        assert!(why.contains("is not a public address"), "{url}: {why}");
    }
    let why = refusal(get(&f, "http://localhost:9/", Want::Page));
    assert!(why.starts_with("localhost resolves to "), "{why}");
    assert!(
        why.contains("which is not a public address (loopback)"),
        "{why}"
    );
    for (url, reason) in [
        (
            "ftp://example.org/file",
            "only http and https URLs are fetched (got ftp)",
        ),
        (
            "file:///etc/passwd",
            "only http and https URLs are fetched (got file)",
        ),
        (
            "javascript:alert(1)",
            "only http and https URLs are fetched (got javascript)",
        ),
    ] {
        assert_eq!(refusal(get(&f, url, Want::Page)), reason);
    }
    for url in [
        "not a url",
        "http://",
        "http://exa mple.org/",
        "//example.org/",
    ] {
        assert!(
            refusal(get(&f, url, Want::Page)).contains("is not a URL"),
            "{url}"
        );
    }
}

#[test]
fn redirects_are_checked_before_connecting() {
    let server = serve(|path, _, port| match path {
        "/to-loopback" => Some(http(
            "302 Found",
            &[("Location", &format!("http://127.0.0.2:{port}/"))],
            b"",
        )),
        "/to-ftp" => Some(http(
            "301 Moved",
            &[("Location", "ftp://example.org/")],
            b"",
        )),
        "/old" => Some(http("301 Moved", &[("Location", "/new?x=1")], b"")),
        "/new?x=1" => html("<p>new</p>"),
        "/loop" => Some(http("307 Again", &[("Location", "/loop")], b"")),
        "/no-location" => Some(http("302 Found", &[], b"")),
        _ => None,
    });
    let f = fetcher(fast());
    // Nothing listens on 127.0.0.2: a connection there would be a network error.
    let why = refusal(get(&f, &server.url("/to-loopback"), Want::Page));
    assert_eq!(
        why,
        "127.0.0.2 is not a public address (loopback); allow it with KIOSQUE_FETCH_ALLOW"
    );
    assert_eq!(
        refusal(get(&f, &server.url("/to-ftp"), Want::Page)),
        "only http and https URLs are fetched (got ftp)"
    );
    let page = body(get(&f, &server.url("/old"), Want::Page));
    assert_eq!(page.url.as_str(), server.url("/new?x=1"));
    assert_eq!(page.bytes, b"<p>new</p>");

    assert_eq!(
        get(&f, &server.url("/loop"), Want::Page).unwrap_err(),
        FetchError::Redirects(5)
    );
    assert_eq!(server.paths().iter().filter(|p| *p == "/loop").count(), 6);
    assert_eq!(
        get(&f, &server.url("/no-location"), Want::Page).unwrap_err(),
        FetchError::Status(302)
    );
    // robots.txt once for the one origin
    assert_eq!(
        server
            .paths()
            .iter()
            .filter(|p| *p == "/robots.txt")
            .count(),
        1
    );
}

#[test]
fn slow_servers_stop_at_the_deadline() {
    let server = serve(|path, _, _| match path {
        "/trickle" => Some(Reply::Trickle(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<p>"
                .to_vec(),
        )),
        "/hang" => Some(Reply::Hang),
        _ => None,
    });
    let f = fetcher(Limits {
        timeout: Duration::from_millis(1000),
        ..fast()
    });
    for path in ["/trickle", "/hang"] {
        let start = Instant::now();
        assert_eq!(
            get(&f, &server.url(path), Want::Page).unwrap_err(),
            FetchError::Timeout(1),
            "{path}"
        );
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_millis(1800),
            "{path}: {took:?}"
        );
    }
}

fn compressed(encoding: &str, size: usize) -> Vec<u8> {
    let zeros = vec![0u8; size];
    match encoding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&zeros).unwrap();
            e.finish().unwrap()
        }
        _ => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&zeros).unwrap();
            e.finish().unwrap()
        }
    }
}

#[test]
fn large_bodies_and_bombs_stop_at_the_limit() {
    let (gzip, deflate) = (
        compressed("gzip", 20 * 1024 * 1024),
        compressed("deflate", 20 * 1024 * 1024),
    );
    assert!(gzip.len() < 100_000 && deflate.len() < 100_000);
    let server = serve(move |path, _, _| match path {
        "/big" => html(&"a".repeat(300_000)),
        "/liar" => Some(Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 999999999\r\n\r\n<p>"
                .to_vec(),
        )),
        "/unsized" => {
            let mut raw =
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n".to_vec();
            raw.extend(std::iter::repeat_n(b'a', 300_000));
            Some(Reply::Raw(raw))
        }
        "/gzip" | "/deflate" => {
            let (encoding, bomb) = if path == "/gzip" {
                ("gzip", &gzip)
            } else {
                ("deflate", &deflate)
            };
            Some(http(
                "200 OK",
                &[
                    ("Content-Type", "text/html"),
                    ("Content-Encoding", encoding),
                ],
                bomb,
            ))
        }
        "/small-gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b"<p>compressed</p>").unwrap();
            let bytes = e.finish().unwrap();
            Some(http(
                "200 OK",
                &[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                &bytes,
            ))
        }
        _ => None,
    });
    let f = fetcher(Limits {
        max_bytes: 200_000,
        ..fast()
    });
    for path in ["/big", "/liar", "/unsized", "/gzip", "/deflate"] {
        let start = Instant::now();
        assert_eq!(
            get(&f, &server.url(path), Want::Page).unwrap_err(),
            FetchError::TooLarge(1),
            "{path}"
        );
        assert!(start.elapsed() < Duration::from_secs(1), "{path}");
    }
    let accepted = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/gzip")
        .unwrap();
    assert!(
        accepted.head.contains("accept-encoding: gzip"),
        "{}",
        accepted.head
    );
    assert_eq!(
        body(get(&f, &server.url("/small-gzip"), Want::Page)).bytes,
        b"<p>compressed</p>"
    );
}

#[test]
fn only_the_kinds_of_body_wanted() {
    let server = serve(|path, _, _| {
        let typed = |ct: &str, body: &[u8]| Some(http("200 OK", &[("Content-Type", ct)], body));
        match path {
            "/png" => typed("image/png", b"\x89PNG"),
            "/html" => typed("Text/HTML; Charset=\"ISO-8859-1\"", b"<p>x</p>"),
            "/xhtml" => typed("application/xhtml+xml", b"<html/>"),
            "/rss" => typed("application/rss+xml; charset=utf-8", b"<rss/>"),
            "/json-feed" => typed("application/feed+json", b"{}"),
            "/plain" => typed("text/plain", b"hello"),
            "/binary" => typed("text/html", b"<p>\0\0\0\x01</p>"),
            "/untyped" => Some(http(
                "200 OK",
                &[],
                b"\xef\xbb\xbf \n <!doctype html><p>x</p>",
            )),
            "/untyped-text" => Some(http("200 OK", &[], b"hello")),
            _ => None,
        }
    });
    let f = fetcher(fast());
    let page = |path: &str| get(&f, &server.url(path), Want::Page);
    let feed = |path: &str| get(&f, &server.url(path), Want::Feed);
    assert_eq!(
        page("/png").unwrap_err(),
        FetchError::WrongType("an HTML page", "image/png".into())
    );
    assert_eq!(
        page("/plain").unwrap_err(),
        FetchError::WrongType("an HTML page", "text/plain".into())
    );
    assert_eq!(
        feed("/html").unwrap_err(),
        FetchError::WrongType("a feed", "text/html".into())
    );
    assert_eq!(
        page("/binary").unwrap_err(),
        FetchError::WrongType("an HTML page", "binary".into())
    );
    assert_eq!(
        page("/untyped-text").unwrap_err(),
        FetchError::WrongType("an HTML page", "none".into())
    );

    let html = body(page("/html"));
    assert_eq!(
        (html.content_type.as_str(), html.charset.as_deref()),
        ("text/html", Some("ISO-8859-1"))
    );
    assert_eq!(body(page("/xhtml")).content_type, "application/xhtml+xml");
    let rss = body(feed("/rss"));
    assert_eq!(
        (rss.content_type.as_str(), rss.charset.as_deref()),
        ("application/rss+xml", Some("utf-8"))
    );
    assert_eq!(
        body(feed("/json-feed")).content_type,
        "application/feed+json"
    );
    let untyped = body(page("/untyped"));
    assert_eq!(
        (untyped.content_type.as_str(), untyped.charset),
        ("text/html", None)
    );
}

#[test]
fn conditional_gets_and_statuses() {
    let server = serve(|path, head, _| match path {
        "/news" if head.contains("if-none-match: \"v1\"") => {
            Some(http("304 Not Modified", &[], b""))
        }
        "/news" => Some(http(
            "200 OK",
            &[
                ("Content-Type", "text/html"),
                ("ETag", "\"v1\""),
                ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ],
            b"<p>news</p>",
        )),
        "/gone" => Some(http("410 Gone", &[], b"")),
        "/error" => Some(http("500 Internal Server Error", &[], b"")),
        _ => None,
    });
    let f = fetcher(fast());
    let first = body(get(&f, &server.url("/news"), Want::Page));
    let expected = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
    };
    assert_eq!(first.validators, expected);
    let again = f
        .fetch(&server.url("/news"), Want::Page, &first.validators)
        .unwrap();
    assert!(matches!(again, Fetched::NotModified), "{again:?}");
    let conditional = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/news")
        .nth(1)
        .unwrap();
    assert!(conditional
        .head
        .contains("if-modified-since: wed, 21 oct 2015 07:28:00 gmt"));
    assert_eq!(
        get(&f, &server.url("/gone"), Want::Page).unwrap_err(),
        FetchError::Status(410)
    );
    assert_eq!(
        get(&f, &server.url("/error"), Want::Page).unwrap_err(),
        FetchError::Status(500)
    );
}

#[test]
fn robots_txt_is_honoured() {
    let server = serve(|path, _, _| match path {
        "/robots.txt" => Some(http(
            "200 OK",
            &[],
            b"User-agent: *\nAllow: /\n\nUser-agent: kiosque\nDisallow: /private\n",
        )),
        "/public" => html("<p>public</p>"),
        "/sneaky" => Some(http("302 Found", &[("Location", "/private/page")], b"")),
        _ => html("<p>private</p>"),
    });
    let f = fetcher(fast());
    assert!(get(&f, &server.url("/public"), Want::Page).is_ok());
    assert_eq!(
        get(&f, &server.url("/private/page"), Want::Page).unwrap_err(),
        FetchError::Robots
    );
    assert_eq!(
        get(&f, &server.url("/sneaky"), Want::Page).unwrap_err(),
        FetchError::Robots
    );
    assert_eq!(server.paths(), ["/robots.txt", "/public", "/sneaky"]);

    let down = serve(|path, _, _| match path {
        "/robots.txt" => Some(http("503 Service Unavailable", &[], b"")),
        _ => html("<p>page</p>"),
    });
    let why = refusal(get(&f, &down.url("/page"), Want::Page));
    assert_eq!(why, "robots.txt unavailable (HTTP 503)");
    assert_eq!(down.paths(), ["/robots.txt"]);
    // not kept: asked again next time
    let _ = get(&f, &down.url("/page"), Want::Page);
    assert_eq!(down.paths(), ["/robots.txt", "/robots.txt"]);
}

#[test]
fn one_request_per_pace_per_host() {
    let pace = Duration::from_millis(300);
    let server = serve(|_, _, _| html("<p>x</p>"));
    let f = Arc::new(fetcher(Limits { pace, ..fast() }));
    let threads: Vec<_> = ["/a", "/b"]
        .into_iter()
        .map(|path| {
            let (f, url) = (Arc::clone(&f), server.url(path));
            std::thread::spawn(move || get(&f, &url, Want::Page).map(|_| ()))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let seen = server.seen();
    // robots.txt may be asked by both threads before either has its rules
    assert!(seen.len() >= 3, "{seen:?}");
    for pair in seen.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= pace - Duration::from_millis(30),
            "{gap:?} between {} and {}",
            pair[0].path,
            pair[1].path
        );
    }
}

#[test]
fn network_errors_are_short() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = fetcher(fast());
    match get(&f, &format!("http://127.0.0.1:{port}/"), Want::Page) {
        // robots.txt is asked first, and cannot be
        Err(FetchError::Refused(why)) => {
            assert!(
                why.starts_with("robots.txt unavailable (cannot connect: "),
                "{why}"
            );
            assert!(!why.contains("for url") && why.len() < 200, "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_clients_own_resolver_refuses_what_was_not_checked() {
    let server = serve(|_, _, _| html("<p>x</p>"));
    let f = HttpFetcher::with_limits(Allow::default(), fast()).unwrap();
    // Straight to the client, past the checks before each hop.
    let err = f
        .client
        .get(format!("http://localhost:{}/", server.addr.port()))
        .send()
        .unwrap_err();
    let why = f.network_error(&err, Instant::now() + Duration::from_secs(2));
    assert_eq!(
        why,
        FetchError::Refused(
            "localhost resolves to 127.0.0.1, which is not a public address (loopback); \
             allow it with KIOSQUE_FETCH_ALLOW"
                .into()
        )
    );
    assert!(server.paths().is_empty());
}

#[test]
fn a_crawl_delay_longer_than_the_pace_is_honoured() {
    let server = serve(|path, _, _| match path {
        "/robots.txt" => Some(http("200 OK", &[], b"User-agent: *\nCrawl-delay: 0.6\n")),
        _ => html("<p>x</p>"),
    });
    // no pace of its own: the site's delay alone spaces the requests
    let f = fetcher(fast());
    for path in ["/a", "/b"] {
        get(&f, &server.url(path), Want::Page).unwrap();
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    // robots.txt itself is asked before its delay is known
    let gap = seen[2].at - seen[1].at;
    assert!(gap >= Duration::from_millis(570), "{gap:?}");
}
