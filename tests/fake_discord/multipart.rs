//! Request bodies as the fake Discord reads them: JSON, or multipart/form-data with a
//! `payload_json` part and file parts.

use serde_json::Value;

use super::UploadedFile;

pub(super) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

pub(super) fn disposition_param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a multipart/form-data body into `payload_json` (parsed) and file parts.
pub(super) fn parse_multipart(content_type: &str, body: &[u8]) -> (Value, Vec<UploadedFile>) {
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
    else {
        return (Value::Null, vec![]);
    };
    let delim = format!("--{boundary}").into_bytes();
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut pos = match find(body, &delim, 0) {
        Some(p) => p + delim.len(),
        None => return (Value::Null, vec![]),
    };
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        let start = if body[pos..].starts_with(b"\r\n") {
            pos + 2
        } else {
            pos
        };
        let Some(next) = find(body, &delim, start) else {
            break;
        };
        let part = &body[start..next];
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let headers = String::from_utf8_lossy(&part[..split]).to_string();
            let data = &part[split + 4..];
            let mut disposition = String::new();
            let mut ctype = String::new();
            for line in headers.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    if k.trim().eq_ignore_ascii_case("content-disposition") {
                        disposition = v.trim().to_string();
                    } else if k.trim().eq_ignore_ascii_case("content-type") {
                        ctype = v.trim().to_string();
                    }
                }
            }
            let name = disposition_param(&disposition, "name").unwrap_or_default();
            if name == "payload_json" {
                payload = serde_json::from_slice(data)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(data).into()));
            } else {
                files.push(UploadedFile {
                    field: name,
                    filename: disposition_param(&disposition, "filename").unwrap_or_default(),
                    content_type: ctype,
                    data: data.to_vec(),
                });
            }
        }
        pos = next + delim.len();
    }
    (payload, files)
}

pub(super) fn parse_body(content_type: &str, body: &[u8]) -> (Value, Vec<UploadedFile>) {
    if body.is_empty() {
        return (Value::Null, vec![]);
    }
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return parse_multipart(content_type, body);
    }
    let v = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()));
    (v, vec![])
}
