//! The characters of a page (placeholder: replaced by the extraction work).

/// Decodes a page's bytes: byte-order mark, then the HTTP charset, then `<meta charset>`,
/// then detection. Returns the text and the encoding's name; an error for binary bytes.
pub fn decode_html(
    bytes: &[u8],
    _http_charset: Option<&str>,
) -> Result<(String, &'static str), String> {
    String::from_utf8(bytes.to_vec())
        .map(|s| (s, "UTF-8"))
        .map_err(|e| e.to_string())
}
