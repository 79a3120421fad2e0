//! Where and when an article comes from, for Discord: its date (ISO 8601 in its front matter)
//! as the embed's timestamp, in Unix seconds, and its site as footer text that never pings.
//! Footers show no Markdown, so the site is not Markdown-escaped: only its mentions are
//! broken, the way [`super::fit::escape`] breaks them.

use crate::articles::text;

/// A site's name in a footer is cut to this many characters: the footer keeps room for the
/// source and the paragraph.
pub const SITE_CHARS: usize = 100;

/// A site's name for a footer: whitespace collapsed, cut to [`SITE_CHARS`], and every `@`
/// followed by an invisible space so that `@everyone` or `<@123>` neither pings nor renders
/// as a mention.
pub fn site(s: &str) -> String {
    unmention(&short(s))
}

/// A site's name with its whitespace collapsed, cut to [`SITE_CHARS`]: for text that is
/// escaped afterwards.
pub fn short(s: &str) -> String {
    text::truncate_chars(
        &s.split_whitespace().collect::<Vec<_>>().join(" "),
        SITE_CHARS,
    )
}

/// Footer text that cannot ping: `@` followed by an invisible space.
pub fn unmention(s: &str) -> String {
    s.replace('@', "@\u{200b}")
}

/// An article's date as Unix seconds, for the embed's timestamp: an ISO 8601 date
/// ([`crate::articles::date`]); anything else is none, and the embed has no timestamp.
pub fn timestamp(date: &str) -> Option<i64> {
    crate::articles::date::iso(date).map(|d| d.unix_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_become_unix_seconds() {
        // full, with an offset: 10:30 in Paris is 08:30 UTC
        assert_eq!(timestamp("2024-05-09T10:30:00+02:00"), Some(1_715_243_400));
        assert_eq!(timestamp("2024-05-09T08:30:00Z"), Some(1_715_243_400));
        assert_eq!(timestamp("2024-05-09T08:30Z"), Some(1_715_243_400));
        assert_eq!(
            timestamp("2024-05-09 08:30:00.123456Z"),
            Some(1_715_243_400)
        );
        assert_eq!(timestamp("2024-05-09T10:30:00+0200"), Some(1_715_243_400));
        assert_eq!(timestamp("2024-05-09T03:30:00-05"), Some(1_715_243_400));
        // without an offset: UTC
        assert_eq!(timestamp("2024-05-09T08:30:00"), Some(1_715_243_400));
        // date only: 00:00 UTC
        assert_eq!(timestamp("2024-05-09"), Some(1_715_212_800));
        assert_eq!(timestamp(" 2024-05-09\n"), Some(1_715_212_800));
        assert_eq!(timestamp("1970-01-01"), Some(0));
        assert_eq!(timestamp("2024-02-29T23:59:59Z"), Some(1_709_251_199));
        assert_eq!(timestamp("1970-01-01T00:00:00+01:00"), Some(-3600));
    }

    #[test]
    fn other_dates_have_no_timestamp() {
        for garbage in [
            "",
            "hier",
            "9 mai 2024",
            "2024-5-9",
            "2024/05/09",
            "2024-13-01",
            "2023-02-29",
            "2024-05-32",
            "2024-05-09T25:00:00Z",
            "2024-05-09T10:61Z",
            "2024-05-09T10:30:00+2",
            "2024-05-09T10:30:00+02:00 heure de Paris",
            "2024-05-09T",
            "2024-05-09T10:30:00.Z",
            "2024-05-09 et plus",
            "２０２４-05-09",
            "2024-05-0é",
        ] {
            assert_eq!(timestamp(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn sites_never_ping() {
        for s in ["@everyone", "<@123>", "<@&456>", "@here Le Monde"] {
            let shown = site(s);
            assert!(
                !shown.contains("@everyone") && !shown.contains("<@1") && !shown.contains("<@&"),
                "{shown:?}"
            );
            assert!(!shown.contains("@here"), "{shown:?}");
        }
        assert_eq!(site("Le   Monde\n"), "Le Monde");
        let long = site(&"Monde ".repeat(100));
        assert_eq!(long.chars().count(), SITE_CHARS);
    }
}
