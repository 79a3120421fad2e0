//! The article in a news page: its main text, without the menus, cookie banners, related
//! links, newsletter boxes and comments around it (found by dom_smoothie, a port of Mozilla's
//! Readability), written as Markdown-ish plain text, and its metadata (title, author, date,
//! language, site, canonical URL) from what dom_smoothie reads and the page's own tags.

mod meta;
mod text;

use dom_query::Document;
use dom_smoothie::{Config, Readability, ReadabilityError};
use url::Url;

pub use meta::normalize_date;
use meta::{clean_byline, normalize_spaces, resolve, same_text, PageTags};
use text::{nesting_depth, Blocks};

/// Fewer words than this is not an article.
pub const MIN_WORDS: usize = 60;

/// Pages with more elements than this are refused rather than scored (a news page has a few
/// thousand; this bounds the time a pathological page can take).
const MAX_ELEMENTS: usize = 60_000;

/// Pages whose elements nest deeper than this are refused before parsing: the HTML parser and
/// Readability's scoring walk ancestors, so their time grows with the square of the depth (a
/// news page nests a few dozen deep).
const MAX_DEPTH: usize = 1_000;

/// An article extracted from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub title: String,
    pub author: Option<String>,
    /// ISO 8601, when the page gives a date.
    pub date: Option<String>,
    /// A language tag as the page gives it ("fr", "fr-FR").
    pub lang: Option<String>,
    pub site: Option<String>,
    /// `<link rel="canonical">`, else `og:url`, resolved against the page's URL.
    pub canonical: Option<url::Url>,
    /// The article's text as Markdown: paragraphs separated by blank lines.
    pub text: String,
    pub words: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("too short (paywall, or not an article?): {0} words")]
    TooShort(usize),
    #[error("not an article: {0}")]
    NotArticle(String),
}

/// Extracts the article of `html`, fetched from `url`.
///
/// The date is RFC 3339 with its offset when the page gives a time with one, `YYYY-MM-DD`
/// when it gives only a date (or a time without offset): never a made-up time or zone.
pub fn extract(html: &str, url: &Url) -> Result<Extracted, ExtractError> {
    if nesting_depth(html, MAX_DEPTH) > MAX_DEPTH {
        return Err(ExtractError::NotArticle(format!(
            "elements nested more than {MAX_DEPTH} deep"
        )));
    }
    let doc = Document::from(html);
    let page = PageTags::read(&doc);

    let doc_url = matches!(url.scheme(), "http" | "https").then_some(url.as_str());
    let cfg = Config {
        max_elements_to_parse: MAX_ELEMENTS,
        ..Config::default()
    };
    let mut readability =
        Readability::with_document(doc, doc_url, Some(cfg)).map_err(not_article)?;
    let article = readability.parse().map_err(not_article)?;

    let title = normalize_spaces(&article.title);
    let title = if title.is_empty() {
        page.og_title.clone().unwrap_or_default()
    } else {
        title
    };

    let root = readability
        .doc
        .root()
        .descendants_it()
        .find(|n| n.id_attr().is_some_and(|id| &*id == "readability-page-1"))
        .ok_or_else(|| ExtractError::NotArticle("no main text found".into()))?;
    let blocks = Blocks::of(&root);
    if blocks.text_chars > 0 && blocks.link_chars * 2 > blocks.text_chars {
        return Err(ExtractError::NotArticle(
            "mostly links: a list or home page".into(),
        ));
    }
    let mut paragraphs = blocks.done;
    if paragraphs
        .first()
        .is_some_and(|first| same_text(first.trim_start_matches("## "), &title))
    {
        paragraphs.remove(0);
    }
    let text = paragraphs.join("\n\n");
    let words = text.split_whitespace().count();
    if words < MIN_WORDS {
        return Err(ExtractError::TooShort(words));
    }

    let date = [
        article.published_time.as_deref(),
        page.published.as_deref(),
        page.json_ld_date.as_deref(),
        page.time.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(normalize_date);
    let canonical = [page.canonical.as_deref(), page.og_url.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|href| resolve(url, href));
    let nonempty = |s: Option<String>| s.map(|s| normalize_spaces(&s)).filter(|s| !s.is_empty());

    Ok(Extracted {
        title,
        author: article.byline.as_deref().and_then(clean_byline),
        date,
        lang: nonempty(page.lang)
            .or_else(|| nonempty(article.lang))
            .or_else(|| nonempty(page.locale)),
        site: nonempty(page.site_name).or_else(|| nonempty(article.site_name)),
        canonical,
        text,
        words,
    })
}
fn not_article(e: ReadabilityError) -> ExtractError {
    ExtractError::NotArticle(match e {
        ReadabilityError::GrabFailed => "no main text found".into(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::charset::decode_html;
    use proptest::prelude::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/web/");
    const PAGE: &str = "https://www.courrier-sahel.example/economie/2024/03/14/nouakchott-usine-dessalement-tevragh-zeina";

    fn fixture(name: &str) -> String {
        let bytes = std::fs::read(format!("{FIXTURES}{name}")).unwrap();
        decode_html(&bytes, None).unwrap().0
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// A page with `head` in its head and a body of `words` words in paragraphs of 20.
    fn page(head: &str, words: usize) -> String {
        let body: Vec<String> = (0..words.div_ceil(20))
            .map(|p| {
                format!(
                    "<p>{}</p>",
                    vec![format!("mot{p}"); 20.min(words - p * 20)].join(" ")
                )
            })
            .collect();
        format!(
            "<html><head>{head}</head><body><article>{}</article></body></html>",
            body.join("\n")
        )
    }

    #[test]
    fn french_article_text_without_its_surroundings() {
        let a = extract(
            &fixture("article-fr.html"),
            &url(&format!("{PAGE}?utm_source=x")),
        )
        .unwrap();
        for kept in [
            "La capitale mauritanienne a inauguré jeudi 14 mars sa première grande usine",
            "« Pour la première fois, la ville ne dépendra plus seulement",
            "## Une énergie en partie solaire",
            "La directrice du projet, Fatimetou Mint Ahmed, reconnaît",
            "Les pêcheurs artisanaux du port de Nouakchott restent prudents.",
            "- Coût : 310 millions d’euros",
            "> Sans eau courante, une famille dépense",
            "prévient l’économiste Cheikh Ould Bouamatou, de l’université de Nouakchott.",
        ] {
            assert!(a.text.contains(kept), "missing: {kept}\n{}", a.text);
        }
        for gone in [
            "cookies",
            "Tout accepter",
            "Politique",
            "S’abonner",
            "La lettre du matin",
            "Inscrivez-vous",
            "À lire aussi",
            "Coupures d’eau",
            "Remaniement",
            "Commentaires",
            "Brahim_75",
            "Espérons que les tarifs",
            "Mentions légales",
            "Publié le 14 mars",
            "Aminetou",
            "dataLayer",
        ] {
            assert!(!a.text.contains(gone), "kept: {gone}\n{}", a.text);
        }
        assert!(
            a.text.starts_with("La capitale mauritanienne"),
            "the title is not repeated: {}",
            a.text
        );
        assert!(!a.text.contains("\n\n\n") && !a.text.contains("  "));
        assert_eq!(
            a.title,
            "À Nouakchott, l’usine de dessalement de Tevragh-Zeina entre en service"
        );
        assert_eq!(a.author.as_deref(), Some("Aminetou Mint Sidi"));
        assert_eq!(a.date.as_deref(), Some("2024-03-14T09:30:00+00:00"));
        assert_eq!(a.lang.as_deref(), Some("fr"));
        assert_eq!(a.site.as_deref(), Some("Le Courrier du Sahel"));
        assert_eq!(a.canonical.as_ref().map(Url::as_str), Some(PAGE));
        assert_eq!(a.words, a.text.split_whitespace().count());
        assert!((400..520).contains(&a.words), "{}", a.words);
    }

    #[test]
    fn amp_variant_gives_the_same_article() {
        let full = extract(&fixture("article-fr.html"), &url(PAGE)).unwrap();
        let amp = extract(&fixture("amp.html"), &url(&format!("{PAGE}/amp"))).unwrap();
        assert_eq!(amp.text, full.text);
        assert_eq!(amp.title, full.title);
        assert_eq!(amp.canonical.as_ref().map(Url::as_str), Some(PAGE));
        assert_eq!(
            crate::web::urls::key(&url(&format!("{PAGE}/amp"))),
            crate::web::urls::key(amp.canonical.as_ref().unwrap())
        );
    }

    #[test]
    fn windows_1252_articles() {
        let a = extract(
            &fixture("article-cp1252.html"),
            &url("https://rhone-matin.example/lyon/fete-des-lumieres.html"),
        )
        .unwrap();
        assert_eq!(
            a.title,
            "Lyon : la fête des Lumières attire un public record malgré la pluie"
        );
        assert_eq!(a.author.as_deref(), Some("Hélène Garçon"));
        assert_eq!(a.date.as_deref(), Some("2023-12-10"));
        assert_eq!(a.site.as_deref(), Some("Rhône Matin"));
        assert!(
            a.text.contains("3,2 millions d’€")
                && a.text.contains("l’œuvre finale")
                && !a.text.contains("Accueil")
        );
        let b = extract(
            &fixture("article-cp1252-undeclared.html"),
            &url("https://ouest.example/bretagne/huitres"),
        )
        .unwrap();
        assert!(
            b.text.contains("« On n’a jamais vu ça, même en 2003 »"),
            "{}",
            b.text
        );
        assert_eq!(
            (b.author, b.date, b.site, b.canonical),
            (None, None, None, None)
        );
    }

    #[test]
    fn teasers_and_home_pages_are_refused() {
        let home = url("https://www.courrier-sahel.example/");
        assert!(
            matches!(extract(&fixture("teaser.html"), &home), Err(ExtractError::TooShort(n)) if n < MIN_WORDS)
        );
        assert!(matches!(
            extract(&fixture("not-article.html"), &home),
            Err(ExtractError::TooShort(_) | ExtractError::NotArticle(_))
        ));
        assert_eq!(
            ExtractError::TooShort(12).to_string(),
            "too short (paywall, or not an article?): 12 words"
        );
        for empty in ["", "<html></html>", "<p>bonjour</p>"] {
            assert!(extract(empty, &home).is_err());
        }
    }

    #[test]
    fn date_sources_in_turn() {
        let base = url("https://news.example/a");
        let ld = r#"<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-01-05T08:00:00+01:00"}</script>"#;
        assert_eq!(
            extract(&page(ld, 80), &base).unwrap().date.as_deref(),
            Some("2024-01-05T08:00:00+01:00")
        );
        let time = page("", 80).replace(
            "<article>",
            r#"<article><p><time datetime="2023-11-02">2 novembre</time></p>"#,
        );
        assert_eq!(
            extract(&time, &base).unwrap().date.as_deref(),
            Some("2023-11-02")
        );
        let bad = page(
            r#"<meta property="article:published_time" content="demain matin">"#,
            80,
        );
        assert_eq!(extract(&bad, &base).unwrap().date, None);
    }

    #[test]
    fn canonical_is_resolved_and_falls_back_to_og_url() {
        let base = url("https://news.example/section/a?id=3");
        let rel = page(r#"<link rel="canonical" href="../articles/a.html">"#, 80);
        assert_eq!(
            extract(&rel, &base).unwrap().canonical.unwrap().as_str(),
            "https://news.example/articles/a.html"
        );
        let og = page(r#"<meta property="og:url" content="/articles/b">"#, 80);
        assert_eq!(
            extract(&og, &base).unwrap().canonical.unwrap().as_str(),
            "https://news.example/articles/b"
        );
        let both = page(
            r#"<meta property="og:url" content="https://x.example/og"><link rel="canonical" href="https://x.example/c">"#,
            80,
        );
        assert_eq!(
            extract(&both, &base).unwrap().canonical.unwrap().as_str(),
            "https://x.example/c"
        );
        let js = page(
            r#"<link rel="canonical" href="javascript:alert(1)"><meta property="og:url" content="ftp://x.example/f">"#,
            80,
        );
        assert_eq!(extract(&js, &base).unwrap().canonical, None);
    }

    #[test]
    fn min_words_is_the_threshold() {
        let base = url("https://news.example/a");
        assert_eq!(
            extract(&page("", MIN_WORDS - 1), &base),
            Err(ExtractError::TooShort(MIN_WORDS - 1))
        );
        assert_eq!(
            extract(&page("", MIN_WORDS + 40), &base).unwrap().words,
            MIN_WORDS + 40
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let html = format!("{}{}", "<div>".repeat(20_000), page("", 80));
        let err = extract(&html, &url("https://news.example/a")).unwrap_err();
        assert!(
            matches!(err, ExtractError::NotArticle(ref m) if m.contains("nested")),
            "{err}"
        );
        assert!(nesting_depth(&fixture("article-fr.html"), MAX_DEPTH) < 12);
        let tricky = "<div><script>for (i=0;i<n;i++) s+='<div><div>';</script><!-- <div><div> --><p><p><li><br><img src=x><span/></div>";
        assert_eq!(nesting_depth(tricky, MAX_DEPTH), 1);
        assert_eq!(
            nesting_depth("<DIV><Div></div></DIV></div></div>", MAX_DEPTH),
            2
        );
        // Deep but allowed: the walk has its own stack.
        let deep = format!("{}{}", "<div>".repeat(MAX_DEPTH - 10), page("", 80));
        assert!(extract(&deep, &url("https://news.example/a")).is_ok());
    }

    fn html_ish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Zéà ,.]{0,30}",
            prop::sample::select(vec![
                "<p>",
                "</p>",
                "<div class=\"article\">",
                "</div>",
                "<li>",
                "<ul>",
                "</ul>",
                "<blockquote>",
                "<h2>",
                "</h2>",
                "<a href=\"/x\">",
                "</a>",
                "<br>",
                "<table><tr><td>",
                "<script>",
                "</script>",
                "<time datetime=\"2024-13-45\">",
                "<meta property=\"og:url\" content=\"::\">",
                "<link rel=canonical href=\"//\">",
                "<html lang=\"\">",
                "<!--",
                "-->",
                "<meta property=\"article:published_time\" content=\"2024-01-01T25:00\">",
                "&amp;",
                "&#x0;",
                "<",
            ])
            .prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_on_html_ish_input(html in html_ish()) {
            if let Ok(a) = extract(&html, &url("https://news.example/a")) {
                prop_assert!(a.words >= MIN_WORDS);
            }
        }

        #[test]
        fn never_panics_on_any_string(s in "\\PC{0,300}") {
            let _ = extract(&s, &url("http://127.0.0.1:8080/x"));
        }
    }
}
