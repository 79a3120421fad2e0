//! URL keys and file names: the one key every variant of an article's URL shares (so the same
//! article reached twice — over http or https, with or without `www.`, from a newsletter's
//! tracking link, through its AMP page — is one article), the URL worth saving (without
//! tracking), and the directory and file names an article is saved under.

use url::form_urlencoded;
use url::Url;

/// The longest slug [`slug`] gives.
pub const MAX_SLUG: usize = 80;

/// Query parameters that only say where a reader came from.
const TRACKING: &[&str] = &[
    "xtor", "xts", "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid",
    "_ga", "_gl", "yclid", "twclid", "ocid", "ref_src",
];

/// Host prefixes that name a variant of the same site.
const HOST_PREFIXES: &[&str] = &["www.", "m.", "amp."];

/// Extensions dropped from a slug.
const EXTENSIONS: &[&str] = &[
    "html", "htm", "shtml", "xhtml", "php", "php3", "asp", "aspx", "jsp", "cfm", "cms", "amp",
];

/// Whether a query parameter (its name decoded) is a tracking one.
pub fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || name.starts_with("at_") || TRACKING.contains(&name.as_str())
}

/// Whether a query parameter marks the AMP variant of a page (`amp`, `amp=1`,
/// `outputType=amp`).
fn is_amp_marker(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let value = value.to_ascii_lowercase();
    (name == "amp" && matches!(value.as_str(), "" | "1" | "true" | "yes"))
        || (name == "outputtype" && value == "amp")
}

/// The host without a `www.`, `m.` or `amp.` prefix (lower-case: `url` already lowers domain
/// names of http and https URLs).
fn bare_host(url: &Url) -> String {
    let mut host = url.host_str().unwrap_or("").to_ascii_lowercase();
    // Prefixes can stack ("www.m."): strip them all, so a key's host is its own bare host.
    while let Some(rest) = HOST_PREFIXES
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .filter(|rest| rest.contains('.'))
    {
        host = rest.to_string();
    }
    host
}

/// The path without its AMP marker (a last segment `amp`, or `.amp` before the extension or at
/// the end) and without a trailing slash, except for the root.
fn key_path(path: &str) -> String {
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    // Markers can stack ("/amp/amp", "a.amp.amp"): drop them until none is left, so a key's
    // path is its own key path.
    loop {
        let before = segments.len();
        while segments
            .last()
            .is_some_and(|s| s.eq_ignore_ascii_case("amp"))
        {
            segments.pop();
        }
        let Some(last) = segments.last_mut() else {
            break;
        };
        let lower = last.to_ascii_lowercase();
        if lower.ends_with(".amp") {
            last.truncate(last.len() - 4);
        } else if let Some(at) = lower.rfind(".amp.") {
            last.replace_range(at..at + 4, "");
        } else if segments.len() == before {
            break;
        }
        if segments.last().is_some_and(String::is_empty) {
            segments.pop();
        }
    }
    let mut out = String::with_capacity(path.len());
    for seg in &segments {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The key every variant of an article's URL shares: the scheme dropped (http and https
/// alike), the host lower-case without `www.`, `m.` or `amp.`, default ports, fragment,
/// tracking parameters and AMP markers dropped, the other parameters sorted, a trailing slash
/// dropped. `https://` + the key parses back to a URL with the same key.
pub fn key(url: &Url) -> String {
    if url.host_str().is_none() {
        let mut url = url.clone();
        url.set_fragment(None);
        return url.to_string();
    }
    let mut out = bare_host(url);
    // `port()` is None for the scheme's default port; 80 and 443 are dropped whatever the
    // scheme, so that `https://` + a key gives the key back.
    if let Some(port) = url.port().filter(|p| !matches!(p, 80 | 443)) {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(&key_path(url.path()));
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, v)| !is_tracking(k) && !is_amp_marker(k, v))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !pairs.is_empty() {
        pairs.sort();
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        out.push('?');
        out.push_str(&query);
    }
    out
}

/// The URL to save: fragment and tracking parameters dropped, everything else kept as it was
/// written (AMP markers included: the page saved is the page fetched).
pub fn clean(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|piece| {
                let name = piece.split('=').next().unwrap_or("");
                let name: String = form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(k, _)| k.into_owned())
                    .unwrap_or_default();
                !piece.is_empty() && !is_tracking(&name)
            })
            .collect();
        if kept.is_empty() {
            out.set_query(None);
        } else {
            out.set_query(Some(&kept.join("&")));
        }
    }
    out
}

/// The directory of a site's articles under `web/`: the host lower-case without `www.` and
/// without port, only `[a-z0-9.-]` (internationalised names in punycode, as `url` gives them).
pub fn host_dir(url: &Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let mut out = String::with_capacity(host.len());
    for c in host.chars() {
        // Dashes are kept as they are: punycode labels start with "xn--".
        out.push(
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' {
                c
            } else {
                '-'
            },
        );
    }
    let out = out.trim_matches(|c| c == '.' || c == '-').to_string();
    if out.is_empty() || out.chars().all(|c| c == '.') {
        "unknown".to_string()
    } else {
        out
    }
}

/// A file name (without extension) for an article: the last meaningful segment of its URL's
/// path (percent-decoded, without extension or AMP marker), else — when that is empty or only
/// digits — its title (with the digits as a suffix); accents folded to ASCII, lower-case, runs
/// of other characters as one `-`, at most [`MAX_SLUG`] characters. Never empty: "article"
/// when nothing else is left.
pub fn slug(url: &Url, title: &str) -> String {
    let from_path = url
        .path_segments()
        .into_iter()
        .flatten()
        .rev()
        .map(|seg| slugify(&strip_extension(&percent_decode(seg))))
        .find(|s| !s.is_empty() && s != "amp" && s != "index" && s != "default");
    let from_path = from_path.unwrap_or_default();
    if !from_path.is_empty() && !from_path.bytes().all(|b| b.is_ascii_digit()) {
        return truncate(&from_path, MAX_SLUG);
    }
    let title = slugify(title);
    let digits = from_path;
    match (title.is_empty(), digits.is_empty()) {
        (false, false) if digits.len() <= MAX_SLUG / 2 => {
            let head = truncate(&title, MAX_SLUG - digits.len() - 1);
            format!("{head}-{digits}")
        }
        (false, _) => truncate(&title, MAX_SLUG),
        (true, false) => truncate(&digits, MAX_SLUG),
        (true, true) => "article".to_string(),
    }
}

/// A path segment without a page extension (`.html`, `.php`…) and AMP marker (`.amp`).
fn strip_extension(segment: &str) -> String {
    let mut s = segment.to_string();
    for _ in 0..2 {
        if let Some(dot) = s.rfind('.') {
            let ext = s[dot + 1..].to_ascii_lowercase();
            if EXTENSIONS.contains(&ext.as_str()) {
                s.truncate(dot);
            }
        }
    }
    s
}

/// Percent-decodes a path segment; bytes that are not UTF-8 become U+FFFD (then dropped by
/// [`slugify`]).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lower-case ASCII with accents folded, runs of anything not `[a-z0-9]` as one `-`, trimmed.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let push = |c: char, out: &mut String| {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    };
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(folded) => folded.chars().for_each(|f| push(f, &mut out)),
            None => push(c, &mut out),
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The ASCII letters of a lower-case accented Latin letter.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// A slug cut to at most `max` characters, at a `-` when one falls in the second half.
fn truncate(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_string();
    }
    // Slugs are ASCII, so any byte index is a char boundary.
    let cut = &slug[..max];
    let cut = match cut.rfind('-') {
        Some(at) if at >= max / 2 => &cut[..at],
        _ => cut,
    };
    cut.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn duplicates_share_a_key() {
        let groups: &[&[&str]] = &[
            &[
                "https://www.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html",
                "http://lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html",
                "https://LeMonde.Example:443/planete/article/2024/03/14/eau-potable_123_456.html#comments",
                "https://m.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html?utm_source=twitter&utm_medium=social",
                "https://www.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html?xtor=RSS-3208&fbclid=IwAR0abc",
                "https://www.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html?gclid=x&dclid=y&msclkid=z&mc_cid=1&mc_eid=2&igshid=3&_ga=4&at_medium=5&at_campaign=6",
                "https://amp.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html",
                "https://www.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.amp.html",
                "https://www.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html?amp=1",
                "https://www.lemonde.example/planete/article/2024/03/14/eau-potable_123_456.html?outputType=amp",
            ],
            &[
                "https://courrier-sahel.example/economie/nouakchott-usine/",
                "https://courrier-sahel.example/economie/nouakchott-usine",
                "https://courrier-sahel.example/economie/nouakchott-usine/amp",
                "https://courrier-sahel.example/economie/nouakchott-usine/amp/",
                "https://courrier-sahel.example/economie/nouakchott-usine.amp",
                "http://www.courrier-sahel.example/economie/nouakchott-usine?amp",
            ],
            &[
                "https://news.example/read?id=42&page=2",
                "https://news.example/read?page=2&id=42",
                "https://news.example/read?utm_campaign=x&page=2&id=42#top",
                "http://www.news.example:80/read/?page=2&id=42",
            ],
            &["https://news.example/", "https://news.example", "http://www.news.example/#top", "https://news.example/?utm_source=a"],
        ];
        for group in groups {
            let first = key(&u(group[0]));
            for other in &group[1..] {
                assert_eq!(key(&u(other)), first, "{other} vs {}", group[0]);
            }
        }
        assert_eq!(key(&u(groups[2][0])), "news.example/read?id=42&page=2");
        assert_eq!(key(&u(groups[3][0])), "news.example/");
        // Found by proptest: 443 on http is dropped too, so https:// + key gives the key back.
        assert_eq!(key(&u("http://a.fr:443/")), "a.fr/");
        assert_eq!(key(&u("https://a.fr/")), "a.fr/");
    }

    #[test]
    fn different_articles_do_not() {
        let pairs = [
            ("https://news.example/a/1", "https://news.example/a/2"),
            (
                "https://news.example/read?id=1",
                "https://news.example/read?id=2",
            ),
            (
                "https://news.example/read?id=1",
                "https://news.example/read",
            ),
            ("https://news.example/a", "https://other.example/a"),
            ("https://news.example/a", "https://news.example:8080/a"),
            (
                "https://news.example/Article",
                "https://news.example/article",
            ),
            (
                "https://news.example/sport/amp-stade",
                "https://news.example/sport",
            ),
            ("https://news.example/a?amp=0", "https://news.example/a"),
        ];
        for (a, b) in pairs {
            assert_ne!(key(&u(a)), key(&u(b)), "{a} and {b}");
        }
    }

    #[test]
    fn clean_drops_only_tracking_and_fragment() {
        let cases = [
            (
                "https://www.news.example/a.html?utm_source=x&id=3&xtor=RSS#c",
                "https://www.news.example/a.html?id=3",
            ),
            (
                "https://news.example/a?fbclid=1&UTM_MEDIUM=2",
                "https://news.example/a",
            ),
            (
                "http://news.example/a/amp?b=2&a=1&amp=1",
                "http://news.example/a/amp?b=2&a=1&amp=1",
            ),
            (
                "https://news.example/q?text=caf%C3%A9+cr%C3%A8me&gclid=z",
                "https://news.example/q?text=caf%C3%A9+cr%C3%A8me",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(clean(&u(raw)).as_str(), want);
        }
    }

    #[test]
    fn host_dirs() {
        assert_eq!(host_dir(&u("https://WWW.LeMonde.fr:8443/x")), "lemonde.fr");
        assert_eq!(host_dir(&u("https://m.news.example/x")), "m.news.example");
        let idn = u("https://www.actualité.example/x");
        assert!(
            host_dir(&idn).starts_with("xn--actualit-"),
            "{}",
            host_dir(&idn)
        );
        assert_eq!(
            host_dir(&idn),
            idn.host_str().unwrap().trim_start_matches("www.")
        );
        assert_eq!(host_dir(&u("http://[::1]:8080/x")), "1");
        assert_eq!(host_dir(&u("http://127.0.0.1:8080/x")), "127.0.0.1");
        assert_eq!(host_dir(&u("file:///tmp/x.html")), "unknown");
    }

    #[test]
    fn slugs() {
        let cases = [
            (
                "https://news.example/planete/2024/03/14/eau-potable-a-nouakchott_123.html",
                "",
                "eau-potable-a-nouakchott-123",
            ),
            (
                "https://news.example/economie/l%C3%A9t%C3%A9-des-c%C5%93urs-%C3%A7a-va/",
                "",
                "lete-des-coeurs-ca-va",
            ),
            (
                "https://news.example/economie/nouakchott-usine/amp",
                "",
                "nouakchott-usine",
            ),
            (
                "https://news.example/economie/nouakchott-usine.amp.html",
                "",
                "nouakchott-usine",
            ),
            ("https://news.example/article.php?id=3", "", "article"),
            (
                "https://news.example/2024/03/14/123456",
                "L’été à Nîmes : œuvres & “ça”",
                "l-ete-a-nimes-oeuvres-ca-123456",
            ),
            (
                "https://news.example/",
                "Édition spéciale",
                "edition-speciale",
            ),
            ("https://news.example/", "", "article"),
            ("https://news.example/index.html", "!!!", "article"),
            ("https://news.example/2024/", "", "2024"),
            (
                "https://news.example/fr/Grand_Paris%20Express",
                "",
                "grand-paris-express",
            ),
        ];
        for (raw, title, want) in cases {
            assert_eq!(slug(&u(raw), title), want, "{raw}");
        }
        let long = format!("https://news.example/{}", ["reforme"; 20].join("-"));
        let s = slug(&u(&long), "");
        assert!(
            s.len() <= MAX_SLUG && s.ends_with("reforme") && !s.ends_with('-'),
            "{s}"
        );
        let unbroken = format!("https://news.example/{}", "a".repeat(200));
        assert_eq!(slug(&u(&unbroken), ""), "a".repeat(MAX_SLUG));
    }

    fn url_strategy() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["http", "https"]),
            prop::sample::select(vec!["", "www.", "m.", "amp."]),
            "[a-zA-Z0-9-]{1,12}\\.(fr|com|example)",
            prop::option::of(prop::sample::select(vec![80u16, 443, 8080])),
            prop::collection::vec("[a-zA-Z0-9éœ%._~-]{0,12}", 0..5),
            prop::option::of(prop::collection::vec(
                ("[a-zA-Z_]{1,8}", "[a-zA-Z0-9%+ é=]{0,6}"),
                0..5,
            )),
            prop::option::of("[a-z0-9]{0,6}"),
        )
            .prop_map(|(scheme, prefix, host, port, segs, query, frag)| {
                let mut s = format!("{scheme}://{prefix}{host}");
                if let Some(p) = port {
                    s.push_str(&format!(":{p}"));
                }
                s.push('/');
                s.push_str(&segs.join("/"));
                if let Some(q) = query {
                    s.push('?');
                    let q: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    s.push_str(&q.join("&"));
                }
                if let Some(f) = frag {
                    s.push('#');
                    s.push_str(&f);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn slug_is_always_a_safe_file_name(raw in url_strategy(), title in "\\PC{0,120}") {
            let url = Url::parse(&raw).unwrap();
            let s = slug(&url, &title);
            prop_assert!(!s.is_empty());
            prop_assert!(s.len() <= MAX_SLUG, "{}", s);
            prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{}", s);
            prop_assert!(!s.starts_with('-') && !s.ends_with('-'), "{}", s);
        }

        #[test]
        fn key_is_idempotent(raw in url_strategy()) {
            let url = Url::parse(&raw).unwrap();
            let k = key(&url);
            let again = Url::parse(&format!("https://{k}")).unwrap();
            prop_assert_eq!(key(&again), k);
            let http = Url::parse(&raw.replacen("https://", "http://", 1)).unwrap();
            if url.port().is_none() && http.port().is_none() {
                prop_assert_eq!(key(&http), key(&url));
            }
            let hd = host_dir(&url);
            prop_assert!(!hd.is_empty() && hd.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'));
            let _ = clean(&url);
        }

        #[test]
        fn nothing_panics_on_any_url(raw in "\\PC{0,80}") {
            if let Ok(url) = Url::parse(&raw) {
                let _ = (key(&url), clean(&url), host_dir(&url), slug(&url, &raw));
            }
        }
    }
}
