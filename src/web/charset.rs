//! The characters of a page: which encoding its bytes are in, decided as browsers do
//! (byte-order mark, then the HTTP charset, then a `<meta>` prescan of the first 1024 bytes,
//! then detection with chardetng), and the text decoded with encoding_rs. Bodies that are not
//! text at all (NUL bytes, many control characters) are refused rather than decoded into
//! garbage.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252, X_USER_DEFINED};

/// How many bytes the `<meta>` prescan reads, as in the HTML standard.
const PRESCAN_BYTES: usize = 1024;

/// How many bytes the binary check and the detector look at: enough for any page's head and
/// first paragraphs, and bounded so a 10 MiB body costs no more than a small one.
const SNIFF_BYTES: usize = 64 * 1024;

/// Decodes a page's bytes: byte-order mark, then the HTTP charset, then `<meta charset>`,
/// then detection. Returns the text and the encoding's name; an error for binary bytes.
///
/// A label encoding_rs does not know is skipped, as browsers do. Labels map as browsers map
/// them: `iso-8859-1` and `us-ascii` are Windows-1252, a `<meta>` naming UTF-16 means UTF-8.
/// One departure from browsers, for pages fetched by a bot: a declared UTF-8 that the bytes
/// are not (a server's default `charset=utf-8` in front of a Windows-1252 page) gives way to
/// detection.
pub fn decode_html(
    bytes: &[u8],
    http_charset: Option<&str>,
) -> Result<(String, &'static str), String> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        if encoding != UTF_8 && looks_binary(&bytes[bom_len..], Some(encoding)) {
            return Err("binary content".into());
        }
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return check_text(text.into_owned(), encoding);
    }

    let declared = http_charset
        .and_then(|label| Encoding::for_label(label.trim().trim_matches(['"', '\'']).as_bytes()))
        .or_else(|| prescan(bytes).map(meta_encoding));

    if looks_binary(bytes, declared) {
        return Err("binary content".into());
    }

    let encoding = match declared {
        Some(enc) if enc == UTF_8 && std::str::from_utf8(bytes).is_err() => detect(bytes),
        Some(enc) => enc,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => detect(bytes),
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    check_text(text.into_owned(), encoding)
}

/// The text decoded, unless it is mostly replacement characters or controls: bytes that no
/// encoding fits are not a page.
fn check_text(text: String, encoding: &'static Encoding) -> Result<(String, &'static str), String> {
    let (mut seen, mut bad) = (0usize, 0usize);
    for c in text.chars().take(SNIFF_BYTES) {
        seen += 1;
        if c == '\u{FFFD}' || c == '\0' || (c.is_control() && !c.is_whitespace()) {
            bad += 1;
        }
    }
    if bad * 10 > seen {
        return Err("binary content".into());
    }
    Ok((text, encoding.name()))
}

/// A `<meta>` label's encoding as the HTML standard adjusts it: UTF-16 cannot be declared
/// from inside the bytes it would have to be read with, and x-user-defined means Windows-1252.
fn meta_encoding(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else if encoding == X_USER_DEFINED {
        WINDOWS_1252
    } else {
        encoding
    }
}

/// Whether the bytes are not text: a NUL byte (outside UTF-16), or more than one in twenty
/// of the first bytes a control character other than tab, line feed, form feed, carriage
/// return and escape (which ISO-2022 encodings use).
fn looks_binary(bytes: &[u8], encoding: Option<&'static Encoding>) -> bool {
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if encoding == Some(UTF_16LE) || encoding == Some(UTF_16BE) {
        // Every other byte of ASCII text is NUL in UTF-16: look at the code units instead.
        let units: Vec<u16> = sample
            .chunks_exact(2)
            .map(|p| {
                if encoding == Some(UTF_16LE) {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        let controls = units
            .iter()
            .filter(|&&u| u < 0x20 && !matches!(u, 0x09 | 0x0A | 0x0C | 0x0D))
            .count();
        return controls * 20 > units.len().max(1);
    }
    if sample.contains(&0) {
        return true;
    }
    let controls = sample
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, 0x09 | 0x0A | 0x0C | 0x0D | 0x1B)) || b == 0x7F)
        .count();
    controls * 20 > sample.len().max(1)
}

/// The encoding chardetng guesses for bytes that are not UTF-8 (declared or not).
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(&bytes[..bytes.len().min(SNIFF_BYTES)], true);
    detector.guess(None, Utf8Detection::Allow)
}

/// The encoding a `<meta charset>` or `<meta http-equiv="Content-Type" content="…;
/// charset=…">` names in the first 1024 bytes, skipping comments. A simplified form of the
/// HTML standard's prescan: any `charset=` inside a `<meta>` tag counts.
pub fn prescan(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    let mut i = 0;
    while i < head.len() {
        let rest = &head[i..];
        if rest.starts_with(b"<!--") {
            i += find(&rest[4..], b"-->").map_or(head.len(), |end| 4 + end + 3);
            continue;
        }
        if rest.len() > 5
            && rest[..5].eq_ignore_ascii_case(b"<meta")
            && (rest[5].is_ascii_whitespace() || rest[5] == b'/')
        {
            let end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
            if let Some(enc) = charset_in_tag(&rest[5..end]) {
                return Some(enc);
            }
            i += end.max(1);
            continue;
        }
        i += 1;
    }
    None
}

/// The encoding named by the first `charset=` in a tag's attributes, if encoding_rs knows it.
fn charset_in_tag(attrs: &[u8]) -> Option<&'static Encoding> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"charset") {
        let mut j = from + at + "charset".len();
        from = j;
        while j < lower.len() && lower[j].is_ascii_whitespace() {
            j += 1;
        }
        if lower.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while j < lower.len()
            && (lower[j].is_ascii_whitespace() || lower[j] == b'"' || lower[j] == b'\'')
        {
            j += 1;
        }
        let start = j;
        while j < lower.len()
            && !matches!(lower[j], b'"' | b'\'' | b';' | b'/' | b'>')
            && !lower[j].is_ascii_whitespace()
        {
            j += 1;
        }
        if let Some(enc) = Encoding::for_label(&lower[start..j]) {
            return Some(enc);
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/web/");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).unwrap()
    }

    fn cp1252(text: &str) -> Vec<u8> {
        WINDOWS_1252.encode(text).0.into_owned()
    }

    #[test]
    fn plain_utf8_without_any_declaration() {
        let (text, name) = decode_html("<p>Élysée, œuvre, 3 €</p>".as_bytes(), None).unwrap();
        assert_eq!(text, "<p>Élysée, œuvre, 3 €</p>");
        assert_eq!(name, "UTF-8");
    }

    #[test]
    fn byte_order_marks_win_over_everything() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<meta charset=windows-1252><p>été</p>".as_bytes());
        let (text, name) = decode_html(&bytes, Some("iso-8859-1")).unwrap();
        assert_eq!(name, "UTF-8");
        assert!(
            text.starts_with("<meta") && text.ends_with("<p>été</p>"),
            "{text}"
        );

        let html = "<html><p>Noël à Nîmes : 12 €</p></html>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(html.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            decode_html(&le, Some("utf-8")).unwrap(),
            (html.to_string(), "UTF-16LE")
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(html.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(
            decode_html(&be, None).unwrap(),
            (html.to_string(), "UTF-16BE")
        );
    }

    #[test]
    fn http_charset_wins_over_meta() {
        let mut bytes = b"<meta charset=\"utf-8\"><p>".to_vec();
        bytes.extend(cp1252("Ça coûte 5 € à l’entrée"));
        let (text, name) = decode_html(&bytes, Some("ISO-8859-1")).unwrap();
        // iso-8859-1 is windows-1252 on the web, so € and ’ decode.
        assert_eq!(name, "windows-1252");
        assert!(text.ends_with("Ça coûte 5 € à l’entrée"), "{text}");

        let bytes = "<meta charset=\"windows-1252\"><p>Ça coûte 5 €</p>".as_bytes();
        assert_eq!(decode_html(bytes, Some("utf-8")).unwrap().1, "UTF-8");
        // An unknown HTTP label is skipped: the meta decides.
        let mut bytes = b"<meta charset=\"windows-1252\"><p>".to_vec();
        bytes.extend(cp1252("déjà"));
        assert_eq!(
            decode_html(&bytes, Some("bogus-charset")).unwrap().1,
            "windows-1252"
        );
    }

    #[test]
    fn meta_prescan_forms() {
        assert_eq!(
            prescan(b"<html><head><META CHARSET='ISO-8859-15'>"),
            Encoding::for_label(b"iso-8859-15")
        );
        assert_eq!(
            prescan(
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
            ),
            Some(WINDOWS_1252)
        );
        assert_eq!(
            prescan(b"<!-- <meta charset=koi8-r> --><meta charset=utf-8>"),
            Some(UTF_8)
        );
        assert_eq!(prescan(b"<meta name=description content=charset><p>"), None);
        let late = format!("{}<meta charset=windows-1252>", " ".repeat(1100));
        assert_eq!(prescan(late.as_bytes()), None);
        // A meta naming UTF-16 means UTF-8.
        assert_eq!(
            decode_html(b"<meta charset=utf-16><p>x</p>", None)
                .unwrap()
                .1,
            "UTF-8"
        );
    }

    #[test]
    fn declared_cp1252_fixture() {
        let (text, name) = decode_html(&fixture("article-cp1252.html"), None).unwrap();
        assert_eq!(name, "windows-1252");
        for s in [
            "Hélène Garçon",
            "cœur",
            "3,2 millions d’€",
            "« C’est la plus belle",
            "À l’inverse",
            "l’œuvre finale",
        ] {
            assert!(text.contains(s), "{s} missing");
        }
    }

    #[test]
    fn undeclared_cp1252_fixture_is_detected() {
        let (text, name) = decode_html(&fixture("article-cp1252-undeclared.html"), None).unwrap();
        assert_eq!(name, "windows-1252");
        for s in [
            "l’été n’a pas été tendre",
            "huîtres",
            "45 000 €",
            "« Cœur d’huître »",
            "François",
            "Loïc Guého",
        ] {
            assert!(text.contains(s), "{s} missing");
        }
    }

    #[test]
    fn declared_utf8_that_is_not_gives_way_to_detection() {
        let bytes = fixture("article-cp1252-undeclared.html");
        let (text, name) = decode_html(&bytes, Some("utf-8")).unwrap();
        assert_eq!(name, "windows-1252");
        assert!(text.contains("huîtres"));
    }

    #[test]
    fn binary_bodies_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0";
        assert_eq!(decode_html(png, None), Err("binary content".to_string()));
        assert_eq!(
            decode_html(b"%PDF-1.7\n\x01\x02\x03\x04\x05\x06\x07\x08", Some("utf-8")),
            Err("binary content".to_string())
        );
        let noise: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1)
            .collect();
        assert!(decode_html(&noise, None).is_err());
        assert!(decode_html(b"", None).is_ok());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), label in proptest::option::of("[a-z0-9-]{0,12}")) {
            let _ = decode_html(&bytes, label.as_deref());
        }

        #[test]
        fn utf8_text_round_trips(text in "[a-zA-Zéèàçœ€’«» <>/=\n]{0,200}") {
            let (out, name) = decode_html(text.as_bytes(), None).unwrap();
            prop_assert_eq!(out, text);
            prop_assert_eq!(name, "UTF-8");
        }
    }
}
