//! Front matter, the metadata block at the top of a Markdown article: read here when an
//! article is parsed, and written here when kiosque saves an article it fetched, so what one
//! writes the other reads. `key: value` lines between `---` lines; values on one line,
//! quoted when written.

use std::collections::BTreeMap;

/// Front matter between `---` lines at the very top: `key: value` lines. Without a closing
/// `---` there is no front matter and the whole text is the body.
pub fn read(text: &str) -> (BTreeMap<String, String>, &str) {
    let mut meta = BTreeMap::new();
    let trimmed = text.trim_start_matches(['\n', ' ', '\t']);
    let Some(after) = trimmed.strip_prefix("---") else {
        return (meta, text);
    };
    let Some(after) = after
        .strip_prefix('\n')
        .or_else(|| after.trim_start_matches([' ', '\t']).strip_prefix('\n'))
    else {
        return (meta, text);
    };
    let mut offset = 0;
    for line in after.split_inclusive('\n') {
        let content = line.trim_end();
        if content == "---" || content == "..." {
            let body = &after[offset + line.len()..];
            return (meta, body);
        }
        if let Some((key, value)) = content.split_once(':') {
            let key = key.trim().to_lowercase();
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            if !key.is_empty() {
                meta.insert(key, value.to_string());
            }
        }
        offset += line.len();
    }
    tracing::debug!("front matter without a closing ---: read as text");
    (BTreeMap::new(), text)
}

/// An article file: front matter with these fields in this order (values put on one line
/// and quoted), then the body.
pub fn write(fields: &[(&str, &str)], body: &str) -> String {
    let mut out = String::from("---\n");
    for (key, v) in fields {
        out.push_str(key);
        out.push_str(": ");
        out.push_str(&value(v));
        out.push('\n');
    }
    out.push_str("---\n\n");
    out.push_str(body.trim());
    out.push('\n');
    out
}

/// A front matter value on one line, quoted.
fn value(v: &str) -> String {
    let one_line: String = v
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "\"{}\"",
        one_line.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_read_back() {
        let text = write(
            &[
                ("title", "Le « grand » titre: \"cité\""),
                ("url", "https://example.org/a?b=c"),
                ("site", "Le\nMonde\t "),
            ],
            "\n  Le corps.\n",
        );
        let (meta, body) = read(&text);
        assert_eq!(meta["title"], "Le « grand » titre: \"cité\"");
        assert_eq!(meta["url"], "https://example.org/a?b=c");
        assert_eq!(meta["site"], "Le Monde", "one line, spaces folded");
        assert_eq!(body.trim(), "Le corps.");
    }
}
