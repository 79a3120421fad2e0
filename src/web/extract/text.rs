//! The article's text: the tree dom_smoothie kept, walked into Markdown-ish blocks (one per
//! paragraph, "- " for list items, "> " for quotes, "## " for headings), and a rough measure
//! of how deep a page nests, taken before parsing it.

use dom_query::NodeRef;

use super::meta::normalize_spaces;

/// How deep the elements of `html` nest, roughly (by its tags, without parsing), up to just
/// past `stop_at`. Elements without end tags, or whose end tags may be left out, do not count;
/// nor do tags inside comments, scripts and styles.
pub(super) fn nesting_depth(html: &str, stop_at: usize) -> usize {
    const UNCOUNTED: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
        "tbody", "tfoot", "rt", "rp", "colgroup", "caption", "html", "head", "body", "image",
        "param", "keygen",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(lt) = bytes[i..].iter().position(|&b| b == b'<') {
        i += lt + 1;
        let rest = &bytes[i..];
        if rest.starts_with(b"!--") {
            i += find_bytes(rest, b"-->").map_or(rest.len(), |at| at + 3);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = usize::from(closing);
        let name_len = rest[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !rest[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = rest[name_start..name_start + name_len].to_ascii_lowercase();
        let tag_end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
        i += tag_end;
        if UNCOUNTED.iter().any(|t| t.as_bytes() == name.as_slice()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        if rest[..tag_end].ends_with(b"/") {
            continue;
        }
        if matches!(
            name.as_slice(),
            b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"noscript"
        ) {
            let end = [b"</".as_slice(), &name].concat();
            let after = &bytes[i..];
            i += after
                .windows(end.len())
                .position(|w| w.eq_ignore_ascii_case(&end))
                .unwrap_or(after.len());
            continue;
        }
        depth += 1;
        max = max.max(depth);
        if max > stop_at {
            break;
        }
    }
    max
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The article's blocks as Markdown-ish text, built by a walk of its tree (with a stack of its
/// own, so a deeply nested page cannot overflow the thread's).
#[derive(Default)]
pub(super) struct Blocks {
    pub(super) done: Vec<String>,
    inline: String,
    quote_depth: usize,
    heading_depth: usize,
    list_marker: bool,
    link_depth: usize,
    pub(super) text_chars: usize,
    pub(super) link_chars: usize,
}

enum Step<'a> {
    Enter(NodeRef<'a>),
    Leave(Kind),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Block,
    Item,
    Quote,
    Heading,
    Link,
}

impl Blocks {
    pub(super) fn of(root: &NodeRef) -> Self {
        let mut out = Blocks::default();
        let mut stack = vec![Step::Enter(*root)];
        while let Some(step) = stack.pop() {
            let node = match step {
                Step::Leave(kind) => {
                    out.leave(kind);
                    continue;
                }
                Step::Enter(node) => node,
            };
            if node.is_text() {
                let text = node.text();
                let chars = text.chars().filter(|c| !c.is_whitespace()).count();
                out.text_chars += chars;
                if out.link_depth > 0 {
                    out.link_chars += chars;
                }
                out.inline.push_str(&text);
                continue;
            }
            let Some(name) = node.qual_name_ref().map(|q| q.local.clone()) else {
                continue;
            };
            let kind = match &*name {
                "script" | "style" | "noscript" | "template" | "svg" | "math" | "iframe"
                | "button" | "form" | "input" | "select" | "textarea" | "object" | "embed"
                | "nav" => continue,
                "br" => {
                    out.inline.push(' ');
                    continue;
                }
                "li" | "dd" | "dt" => Kind::Item,
                "blockquote" => Kind::Quote,
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Kind::Heading,
                "a" => Kind::Link,
                "p" | "div" | "section" | "article" | "main" | "header" | "footer" | "aside"
                | "figure" | "figcaption" | "table" | "thead" | "tbody" | "tfoot" | "tr"
                | "caption" | "ul" | "ol" | "dl" | "pre" | "address" | "details" | "summary"
                | "hr" | "center" | "hgroup" => Kind::Block,
                _ => {
                    if matches!(&*name, "td" | "th") {
                        out.inline.push(' ');
                    }
                    stack.extend(node.children_it(true).map(Step::Enter));
                    continue;
                }
            };
            out.enter(kind);
            stack.push(Step::Leave(kind));
            stack.extend(node.children_it(true).map(Step::Enter));
        }
        out.flush();
        out
    }

    fn enter(&mut self, kind: Kind) {
        if kind == Kind::Link {
            self.link_depth += 1;
            return;
        }
        self.flush();
        match kind {
            Kind::Item => self.list_marker = true,
            Kind::Quote => self.quote_depth += 1,
            Kind::Heading => self.heading_depth += 1,
            _ => {}
        }
    }

    fn leave(&mut self, kind: Kind) {
        if kind == Kind::Link {
            self.link_depth = self.link_depth.saturating_sub(1);
            return;
        }
        self.flush();
        match kind {
            Kind::Item => self.list_marker = false,
            Kind::Quote => self.quote_depth = self.quote_depth.saturating_sub(1),
            Kind::Heading => self.heading_depth = self.heading_depth.saturating_sub(1),
            _ => {}
        }
    }

    /// Ends the block being written, if it has any text.
    fn flush(&mut self) {
        let text = normalize_spaces(&self.inline);
        self.inline.clear();
        if text.is_empty() {
            return;
        }
        let mut block = "> ".repeat(self.quote_depth);
        if self.heading_depth > 0 {
            block.push_str("## ");
        }
        if std::mem::take(&mut self.list_marker) {
            block.push_str("- ");
        }
        block.push_str(&text);
        self.done.push(block);
    }
}
