//! Articles' dates, read in one place: the ISO 8601 dates front matter gives (fetched
//! articles always have one), as the day they name and as an instant. The terminal shows the
//! day; Discord gives the instant to its timestamp.

/// A date read from ISO 8601.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    /// Year, month and day, as written (not moved by the offset).
    pub day: (i64, i64, i64),
    /// The instant, in seconds since 1970-01-01 UTC (00:00 UTC for a day alone).
    pub unix_seconds: i64,
}

impl Dated {
    /// The day as `YYYY-MM-DD`.
    pub fn day_text(&self) -> String {
        let (y, m, d) = self.day;
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// An ISO 8601 date: `2024-05-09T10:30:00+02:00` (seconds, fractions and the offset
/// optional, `Z` for UTC, a space for the `T`) or `2024-05-09` (00:00 UTC). A time without
/// an offset is read as UTC. Anything else: none.
pub fn iso(date: &str) -> Option<Dated> {
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
    let dated = |unix_seconds| Dated {
        day: (year, month, day),
        unix_seconds,
    };
    if rest.is_empty() {
        return Some(dated(days * 86_400));
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
    Some(dated(
        days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset,
    ))
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
    fn days_and_instants() {
        let d = iso("2024-05-09T10:30:00+02:00").unwrap();
        assert_eq!(d.day_text(), "2024-05-09");
        assert_eq!(d.unix_seconds, 1_715_243_400);
        assert_eq!(iso("2024-05-09").unwrap().unix_seconds, 1_715_212_800);
        assert_eq!(iso(" 2024-02-29 ").unwrap().day, (2024, 2, 29));
        for bad in [
            "2023-02-29",
            "2024-5-9",
            "9 mai 2024",
            "2024-05-09T25:00",
            "é",
            "",
        ] {
            assert_eq!(iso(bad), None, "{bad}");
        }
    }
}
