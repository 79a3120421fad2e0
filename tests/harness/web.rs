//! What the tests of `kiosque add` and `kiosque feeds` (tests/web_*.rs) share: the pages of
//! tests/fixtures/web/, the real binary run with fetching allowed from 127.0.0.1, the files it
//! saved, and a robots.txt.

#![allow(dead_code)] // each test binary uses its part

use std::path::Path;

use crate::common::site::{Request, Response};
use crate::common::Workspace;

pub const ALLOW: (&str, &str) = ("KIOSQUE_FETCH_ALLOW", "127.0.0.1");
/// The canonical URL `article-fr.html` names (a site of its own, replaced by the test site's).
pub const FIXTURE_CANONICAL: &str =
    "https://www.courrier-sahel.example/economie/2024/03/14/nouakchott-usine-dessalement-tevragh-zeina";
pub const ARTICLE_PATH: &str = "/economie/2024/03/14/nouakchott-usine-dessalement-tevragh-zeina";

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/web")
            .join(name),
    )
    .unwrap()
}

/// `article-fr.html` as served by `site`: its canonical URL on the test site.
pub fn article_fr(site_url: &str) -> String {
    String::from_utf8(fixture("article-fr.html"))
        .unwrap()
        .replace(FIXTURE_CANONICAL, &format!("{site_url}{ARTICLE_PATH}"))
}

/// Runs `kiosque ARGS` with fetching allowed from 127.0.0.1.
pub fn run(ws: &Workspace, args: &[&str]) -> std::process::Output {
    ws.run_with(args, None, &[ALLOW])
}

/// The files under the corpus' `web/` directory, relative to it, sorted.
pub fn web_files(ws: &Workspace) -> Vec<String> {
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

pub fn robots_allow_all(r: &Request) -> Option<Response> {
    (r.path == "/robots.txt")
        .then(|| Response::new(200, "text/plain", "User-agent: *\nDisallow: /private/\n"))
}
