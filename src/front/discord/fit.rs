//! Discord's limits and its Markdown, for text kiosque did not write: corpus or user text
//! escaped so it neither breaks Markdown nor looks like a mention, and every part of a
//! message (content, embeds, fields, footers, their total) cut to Discord's limits at a
//! character boundary with an ellipsis, before anything is sent.

use crate::articles::text;

/// Discord's limits, in characters.
pub(crate) mod limits {
    pub const CONTENT: usize = 2000;
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    pub const EMBEDS_TOTAL: usize = 6000;
    pub const EMBEDS: usize = 10;
    pub const FIELDS: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const CHOICES: usize = 25;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    pub title: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    pub color: Option<u32>,
    /// The moment the embed is about (an article's date), in Unix seconds: Discord shows it
    /// beside the footer. It counts toward no limit.
    pub timestamp: Option<i64>,
}

impl Embed {
    pub(super) fn len(&self) -> usize {
        let c = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
        c(&self.title)
            + c(&self.description)
            + c(&self.footer)
            + self
                .fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
    }
}

/// A message to send: never mentions anyone (the sender sets allowed mentions to none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    pub ephemeral: bool,
}

/// Corpus or user text made safe for Discord: Markdown characters escaped, mentions
/// (`@everyone`, `<@id>`) broken with an invisible space so they neither ping nor render.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']')
            || (line_start && matches!(c, '>' | '#' | '-'))
        {
            out.push('\\');
        }
        out.push(c);
        if c == '@' {
            out.push('\u{200b}');
        }
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    out
}

/// `s` cut to `max` characters with an ellipsis, Markdown marks removed when cut (a cut may
/// split them).
pub(super) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let plain = s.replace("**", "").replace("__", "");
    text::truncate_chars(&plain, max)
}

/// Enforces every limit: content, title, description, fields, footer, number of embeds and
/// fields, and the total of all embeds.
pub fn fit(reply: &mut Reply) {
    if let Some(c) = reply.content.as_mut() {
        *c = cut(c, limits::CONTENT);
    }
    reply.embeds.truncate(limits::EMBEDS);
    for e in reply.embeds.iter_mut() {
        e.title = e
            .title
            .as_deref()
            .map(|t| text::truncate_chars(t, limits::TITLE));
        e.description = e
            .description
            .as_deref()
            .map(|d| cut(d, limits::DESCRIPTION));
        e.footer = e
            .footer
            .as_deref()
            .map(|f| text::truncate_chars(f, limits::FOOTER));
        e.fields.truncate(limits::FIELDS);
        for f in e.fields.iter_mut() {
            f.name = text::truncate_chars(&f.name, limits::FIELD_NAME);
            f.value = cut(&f.value, limits::FIELD_VALUE);
        }
        // an embed url must be a url Discord accepts, or nothing
        if e.url
            .as_deref()
            .is_some_and(|u| u.len() > 2048 || u.contains(char::is_whitespace))
        {
            e.url = None;
        }
    }
    loop {
        let total: usize = reply.embeds.iter().map(Embed::len).sum();
        if total <= limits::EMBEDS_TOTAL {
            break;
        }
        let over = total - limits::EMBEDS_TOTAL;
        // shorten the longest description, or drop the last embed
        match reply
            .embeds
            .iter_mut()
            .filter_map(|e| e.description.as_mut())
            .max_by_key(|d| d.chars().count())
        {
            Some(d) if d.chars().count() > over + 64 => {
                let keep = d.chars().count() - over - 1;
                *d = cut(d, keep);
            }
            _ => {
                reply.embeds.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_never_survive() {
        let e =
            escape("@everyone @here <@123> <@&5> **gras** _x_ `c` > q\n# titre\n- liste [l](u)");
        assert!(!e.contains("@everyone") && !e.contains("@here") && !e.contains("<@1"));
        assert!(e.contains("\\*\\*gras\\*\\*"));
        assert!(e.contains("\\# titre") && e.contains("\\- liste") && e.contains("\\[l\\]"));
    }

    #[test]
    fn content_is_cut_at_char_boundaries() {
        let mut r = Reply {
            content: Some("é".repeat(3000)),
            ..Default::default()
        };
        fit(&mut r);
        let c = r.content.unwrap();
        assert_eq!(c.chars().count(), limits::CONTENT);
        assert!(c.ends_with('…'));
    }
}
