//! How every front end shows a hit: the passage (or a stretch of it) with its matched words
//! and its best sentence marked. The engine gives byte spans; each target brings its own
//! markers (Markdown `**`/`__`, ANSI bold/underline, Discord Markdown) and its own escaping
//! function for the text between them.

use std::ops::Range;

use crate::engine::Hit;

/// The markers of one target.
pub struct Markers {
    pub word_on: &'static str,
    pub word_off: &'static str,
    pub answer_on: &'static str,
    pub answer_off: &'static str,
}

/// Markdown, for JSON and pipes: `**word**`, `__sentence__`.
pub const MARKDOWN: Markers = Markers {
    word_on: "**",
    word_off: "**",
    answer_on: "__",
    answer_off: "__",
};

/// `range` of the hit's passage with its marks, each run of text between markers passed
/// through `escape`. Marks outside `range`, or not on character boundaries, are left out.
pub fn render(
    hit: &Hit,
    range: Range<usize>,
    markers: &Markers,
    escape: &dyn Fn(&str, &mut String),
) -> String {
    let text = &hit.passage;
    let (start, end) = (range.start.min(text.len()), range.end.min(text.len()));
    let ok = |i: usize| text.is_char_boundary(i);
    // (position, order at that position, marker): closings before openings
    let mut events: Vec<(usize, u8, &str)> = Vec::with_capacity(hit.marks.len() * 2 + 2);
    for m in &hit.marks {
        if m.start >= start && m.end <= end && m.start < m.end && ok(m.start) && ok(m.end) {
            events.push((m.start, 3, markers.word_on));
            events.push((m.end, 0, markers.word_off));
        }
    }
    if let Some(a) = &hit.answer_span {
        let (s, e) = (a.start.max(start), a.end.min(end));
        if s < e && ok(s) && ok(e) {
            events.push((s, 2, markers.answer_on));
            events.push((e, 1, markers.answer_off));
        }
    }
    events.sort();
    let mut out = String::with_capacity(end.saturating_sub(start) + events.len() * 4);
    let mut at = start;
    if !ok(at) {
        return out;
    }
    for (pos, _, marker) in events {
        escape(text.get(at..pos).unwrap_or(""), &mut out);
        out.push_str(marker);
        at = pos;
    }
    escape(text.get(at..end).unwrap_or(""), &mut out);
    out
}

/// Escapes the characters Markdown would read in corpus text.
pub fn escape_markdown(s: &str, out: &mut String) {
    let mut from = 0;
    // the special characters are ASCII, so byte indices are character boundaries
    for (i, b) in s.bytes().enumerate() {
        if matches!(
            b,
            b'\\' | b'*' | b'_' | b'~' | b'`' | b'|' | b'>' | b'#' | b'[' | b']'
        ) {
            out.push_str(&s[from..i]);
            out.push('\\');
            from = i;
        }
    }
    out.push_str(&s[from..]);
}

/// The whole passage as Markdown: `**word**` for matches, `__sentence__` for the best one.
pub fn markdown(hit: &Hit) -> String {
    render(hit, 0..hit.passage.len(), &MARKDOWN, &escape_markdown)
}

/// Text for a terminal: control characters (escape sequences among them) removed, except
/// line breaks and tabs, so corpus or user text never drives the terminal.
pub fn strip_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_without_controls(s, &mut out);
    out
}

/// [`strip_controls`] into `out`: the terminal's escaping function.
pub fn push_without_controls(s: &str, out: &mut String) {
    out.extend(
        s.chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t'),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(passage: &str, marks: Vec<Range<usize>>, answer: Option<Range<usize>>) -> Hit {
        Hit {
            article: crate::articles::ArticleRef {
                id: "a".into(),
                title: "t".into(),
                source: "s".into(),
                ..Default::default()
            },
            paragraph: 1,
            passage: passage.into(),
            answer: None,
            score: 1.0,
            marks,
            answer_span: answer,
        }
    }

    #[test]
    fn markdown_marks_words_and_sentence() {
        let text = "Le *Mali* avance. La frontière_nord est longue.";
        let start = text.find("La").unwrap();
        let word = start..text.find("_nord").unwrap();
        let md = markdown(&hit(text, vec![word], Some(start..text.len())));
        assert_eq!(
            md,
            "Le \\*Mali\\* avance. __**La frontière**\\_nord est longue.__"
        );
    }

    #[test]
    fn bad_spans_are_left_out_not_a_panic() {
        let text = "é é";
        let h = hit(text, vec![1..2, 0..2, 5..90], Some(1..3));
        assert_eq!(
            render(&h, 0..text.len(), &MARKDOWN, &escape_markdown),
            "**é** é"
        );
        assert_eq!(render(&h, 1..3, &MARKDOWN, &escape_markdown), "");
    }

    #[test]
    fn terminals_get_no_escape_sequences() {
        assert_eq!(strip_controls("a\x1b[2Jb\u{7}\nc\td"), "a[2Jb\nc\td");
    }
}
