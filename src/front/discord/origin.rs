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

/// An ISO 8601 date as Unix seconds: `2024-05-09T10:30:00+02:00` (seconds, fractions and the
/// offset optional, `Z` for UTC, a space for the `T`) or `2024-05-09` (00:00 UTC). A time
/// without an offset is read as UTC. Anything else: none, and the embed has no timestamp.
pub fn timestamp(date: &str) -> Option<i64> {
    let s = date.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(days * 86_400);
    }
    if !matches!(rest[0], b'T' | b't' | b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let hour = digits(&rest[1..3])?;
    let minute = digits(&rest[4..6])?;
    let mut rest = &rest[6..];
    let mut second = 0;
    if let [b':', a, b, tail @ ..] = rest {
        second = digits(&[*a, *b])?;
        rest = tail;
        if let [b'.' | b',', tail @ ..] = rest {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = &tail[n..];
        }
    }
    // a leap second is the last second of its minute
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, tail @ ..] => {
            let minutes = match tail {
                [] => 0,
                [b':', m1, m2] | [m1, m2] => digits(&[*m1, *m2])?,
                _ => return None,
            };
            let hours = digits(&[*h1, *h2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = (hours * 60 + minutes) * 60;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    Some(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset)
}

/// ASCII digits as a number; anything else is none.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, c| n * 10 + i64::from(c - b'0')))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a day of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
