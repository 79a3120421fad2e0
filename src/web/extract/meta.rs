//! The metadata of a page that dom_smoothie reads differently or not at all (the page's
//! language, site name, canonical URL and dates from its own tags), and the forms kiosque
//! keeps them in: dates as ISO 8601, bylines without "Par ", canonical URLs resolved.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat};
use dom_query::Document;
use url::Url;

/// The page's own tags that dom_smoothie reads differently or not at all, read in one pass
/// before it changes the document.
#[derive(Debug, Default)]
pub(super) struct PageTags {
    pub(super) lang: Option<String>,
    pub(super) locale: Option<String>,
    pub(super) site_name: Option<String>,
    pub(super) og_title: Option<String>,
    pub(super) og_url: Option<String>,
    pub(super) canonical: Option<String>,
    pub(super) published: Option<String>,
    pub(super) json_ld_date: Option<String>,
    pub(super) time: Option<String>,
}

impl PageTags {
    pub(super) fn read(doc: &Document) -> Self {
        let mut tags = PageTags::default();
        let mut pub_time: Option<String> = None;
        for node in doc.root().descendants_it() {
            let Some(name) = node.qual_name_ref().map(|q| q.local.clone()) else {
                continue;
            };
            match &*name {
                "html" if tags.lang.is_none() => {
                    tags.lang = node.attr("lang").map(|s| s.to_string())
                }
                "meta" => {
                    let key = node
                        .attr("property")
                        .or_else(|| node.attr("name"))
                        .or_else(|| node.attr("itemprop"));
                    let (Some(key), Some(content)) = (key, node.attr("content")) else {
                        continue;
                    };
                    let slot = match key.trim().to_ascii_lowercase().as_str() {
                        "og:site_name" => &mut tags.site_name,
                        "og:title" => &mut tags.og_title,
                        "og:url" => &mut tags.og_url,
                        "og:locale" => &mut tags.locale,
                        "article:published_time"
                        | "datepublished"
                        | "date"
                        | "dc.date"
                        | "pubdate" => &mut tags.published,
                        _ => continue,
                    };
                    if slot.is_none() && !content.trim().is_empty() {
                        *slot = Some(content.trim().to_string());
                    }
                }
                "link" if tags.canonical.is_none() => {
                    let rel = node.attr("rel").unwrap_or_default();
                    if rel
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("canonical"))
                    {
                        tags.canonical = node
                            .attr("href")
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty());
                    }
                }
                "time" => {
                    let Some(dt) = node.attr("datetime") else {
                        continue;
                    };
                    let published = node.has_attr("pubdate")
                        || node
                            .attr("itemprop")
                            .is_some_and(|p| &*p == "datePublished");
                    if published && pub_time.is_none() {
                        pub_time = Some(dt.to_string());
                    } else if tags.time.is_none() {
                        tags.time = Some(dt.to_string());
                    }
                }
                "script"
                    if tags.json_ld_date.is_none()
                        && node.attr("type").is_some_and(|t| {
                            t.trim().eq_ignore_ascii_case("application/ld+json")
                        }) =>
                {
                    tags.json_ld_date = json_string_after(&node.text(), "\"datePublished\"");
                }
                _ => {}
            }
        }
        tags.locale = tags.locale.map(|l| l.replace('_', "-"));
        if pub_time.is_some() {
            tags.time = pub_time;
        }
        tags
    }
}

/// The string value of the first `"key": "value"` in JSON text, without parsing the rest.
fn json_string_after(json: &str, key: &str) -> Option<String> {
    let rest = &json[json.find(key)? + key.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

/// `href` resolved against the page's URL, if it is an http or https URL.
pub(super) fn resolve(base: &Url, href: &str) -> Option<Url> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// A byline without its "Par " or "By " and without surrounding spaces; none when empty or
/// a URL.
pub(super) fn clean_byline(byline: &str) -> Option<String> {
    let mut s = normalize_spaces(byline);
    for prefix in ["par ", "by "] {
        if s.len() > prefix.len()
            && s.is_char_boundary(prefix.len())
            && s[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            s = s[prefix.len()..].trim_start().to_string();
            break;
        }
    }
    let s = s
        .trim_matches(|c: char| c == ',' || c == '|' || c == '-' || c.is_whitespace())
        .to_string();
    let bare = ["par", "by"].iter().any(|p| s.eq_ignore_ascii_case(p));
    (!s.is_empty() && !bare && !s.contains("://")).then_some(s)
}

/// A page's date as ISO 8601: RFC 3339 with the offset the page gives, or `YYYY-MM-DD` when it
/// gives no time or no offset. None when it cannot be read.
pub fn normalize_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.to_rfc3339_opts(SecondsFormat::AutoSi, false));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.to_rfc3339_opts(SecondsFormat::AutoSi, false));
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return Some(dt.to_rfc3339_opts(SecondsFormat::AutoSi, false));
    }
    // A time without an offset: its zone is unknown, so only the date is kept.
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.date().format("%Y-%m-%d").to_string());
        }
    }
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|fmt| NaiveDate::parse_from_str(s, fmt).ok())
        .map(|d| d.format("%Y-%m-%d").to_string())
}

pub(super) fn normalize_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether two texts are the same but for case, spaces and final punctuation.
pub(super) fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        normalize_spaces(s)
            .trim_end_matches(['.', ' '])
            .to_lowercase()
    };
    !b.trim().is_empty() && norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_normalised_or_dropped() {
        let cases = [
            (
                "2024-03-14T09:30:00+01:00",
                Some("2024-03-14T09:30:00+01:00"),
            ),
            ("2024-03-14T09:30:00Z", Some("2024-03-14T09:30:00+00:00")),
            (
                "2024-03-14T09:30:00.250+0100",
                Some("2024-03-14T09:30:00.250+01:00"),
            ),
            ("2024-03-14T09:30+02:00", Some("2024-03-14T09:30:00+02:00")),
            (
                "2024-03-14 09:30:00+01:00",
                Some("2024-03-14T09:30:00+01:00"),
            ),
            (
                "Thu, 14 Mar 2024 09:30:00 +0100",
                Some("2024-03-14T09:30:00+01:00"),
            ),
            ("2024-03-14T09:30:00", Some("2024-03-14")),
            (" 2024-03-14 ", Some("2024-03-14")),
            ("2024/03/14", Some("2024-03-14")),
            ("14 mars 2024", None),
            ("2024-02-30", None),
            ("hier", None),
            ("", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_date(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn bylines_lose_their_par() {
        assert_eq!(
            clean_byline("  Par   Jeanne Dupont "),
            Some("Jeanne Dupont".into())
        );
        assert_eq!(clean_byline("By John Smith"), Some("John Smith".into()));
        assert_eq!(clean_byline("Parisa Karimi"), Some("Parisa Karimi".into()));
        assert_eq!(clean_byline("Par "), None);
        assert_eq!(clean_byline("https://news.example/auteurs/x"), None);
    }
}
