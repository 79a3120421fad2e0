//! Answer quality on the seed articles, scored the way `tests/fixtures/score.py` scores the
//! binary: the sample questions (a copy of the shared evaluation set) must all pass, and our
//! own larger set must stay above its thresholds. Also: no question makes the engine panic and
//! no file makes the parser panic (properties checked with proptest, which shrinks a failing
//! input to a small one).

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;

use kiosque::articles::passage::Passage;
use kiosque::articles::Article;
use kiosque::engine::{Answer, AskError, Engine, QuestionError, Services};

// The library calls of this file, in one place: when modules move, only these change. The
// engine is built without the outside services (no dictionary, no thesaurus): these sets
// are French questions about French articles, scored as they were before them.

type Snapshot = Engine;

fn snapshot(ws: &common::Workspace) -> Snapshot {
    Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap()
}

fn ask(snapshot: &Snapshot, question: &str, top: usize) -> Result<Answer, AskError> {
    snapshot.ask(question, top)
}

fn parse_file(name: &str, bytes: &[u8]) -> Result<Article, String> {
    kiosque::articles::parse_file(name, bytes, "corpus")
}

fn split(body: &str) -> Vec<Passage> {
    kiosque::articles::passage::split(body)
}

const MAX_PASSAGE_CHARS: usize = kiosque::articles::passage::MAX_PASSAGE_CHARS;
const MAX_QUESTION_CHARS: usize = kiosque::engine::MAX_QUESTION_CHARS;
const MAX_TOP: usize = kiosque::engine::MAX_TOP;
/// Titles are cut to this many characters (`corpus::MAX_TITLE_CHARS`, private).
const MAX_TITLE_CHARS: usize = 150;

#[derive(Default, Debug)]
struct Score {
    answer: usize,
    /// The right passage shown first, as an answer or as a related passage.
    shown1: usize,
    /// The right passage first in a reply that claims an answer.
    hit1: usize,
    hit3: usize,
    none: usize,
    none_ok: usize,
    robust: usize,
    robust_ok: usize,
    misses: Vec<String>,
}

fn score(snapshot: &Snapshot, file: &str) -> Score {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap();
    let mut s = Score::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let q = case["q"].as_str().unwrap().replace(['\r', '\n'], " ");
        let id = case["id"].as_str().unwrap().to_string();
        let result = ask(snapshot, &q, 3);
        match case["kind"].as_str().unwrap() {
            "answer" => {
                s.answer += 1;
                let answer = result.unwrap_or_else(|e| panic!("{id}: {e}"));
                let expect: Vec<String> = case["expect_any"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| common::norm(p.as_str().unwrap()))
                    .collect();
                let source = case["source"].as_str().unwrap_or("*");
                let rank = answer.hits.iter().take(3).position(|h| {
                    let passage = common::norm(&h.passage);
                    expect.iter().any(|p| passage.contains(p.as_str()))
                        && (source == "*" || h.article.id == source)
                });
                let first = answer.hits.iter().chain(&answer.related).next();
                s.shown1 += usize::from(first.is_some_and(|h| {
                    let passage = common::norm(&h.passage);
                    expect.iter().any(|p| passage.contains(p.as_str()))
                        && (source == "*" || h.article.id == source)
                }));
                match rank {
                    Some(0) => s.hit1 += 1,
                    _ => s.misses.push(format!("{id} (rank {rank:?}): {q}")),
                }
                s.hit3 += rank.is_some() as usize;
            }
            "none" => {
                s.none += 1;
                match result {
                    Ok(a) if !a.answered && a.hits.is_empty() => s.none_ok += 1,
                    Ok(a) => s
                        .misses
                        .push(format!("{id} answered ({} hits): {q}", a.hits.len())),
                    Err(e) => s.misses.push(format!("{id} error {e}: {q}")),
                }
            }
            "robust" => {
                s.robust += 1;
                match result {
                    Ok(_) | Err(AskError::Question(_)) => s.robust_ok += 1,
                    Err(e) => s.misses.push(format!("{id} failed {e}: {q}")),
                }
            }
            _ => {} // cross: English questions, a later issue
        }
    }
    s
}

#[test]
fn sample_questions_all_pass() {
    let ws = common::Workspace::new();
    let s = score(&snapshot(&ws), "sample-questions.jsonl");
    assert_eq!(s.answer, 8);
    assert_eq!(
        s.hit1, s.answer,
        "every answer question answered, its passage first: {:#?}",
        s.misses
    );
    assert_eq!(
        s.none_ok, s.none,
        "every none question unanswered: {:#?}",
        s.misses
    );
    assert_eq!(s.robust_ok, s.robust, "{:#?}", s.misses);
}

#[test]
fn dev_questions_stay_above_thresholds() {
    let ws = common::Workspace::new();
    let s = score(&snapshot(&ws), "dev-questions.jsonl");
    eprintln!("dev set: {s:#?}");
    assert_eq!(s.answer, 30);
    // The passage that answers is shown first for 29 of 30 (30 with the thesaurus). The
    // learned claim answers 27 of them (the others are shown as related passages: the words
    // they ask with are not all in the passage, like the PIAF questions whose passage was
    // left out) and leaves 17 of 20 questions nothing answers unanswered; a little room for
    // ranking changes, not for regressions.
    assert!(s.shown1 >= 29, "shown first {}: {:#?}", s.shown1, s.misses);
    assert!(
        s.hit1 >= 26,
        "hit@1 {}/{}: {:#?}",
        s.hit1,
        s.answer,
        s.misses
    );
    assert_eq!(s.hit3, s.hit1, "{:#?}", s.misses);
    assert!(
        s.none_ok >= 15,
        "none {}/{}: {:#?}",
        s.none_ok,
        s.none,
        s.misses
    );
    assert_eq!(s.robust_ok, s.robust, "{:#?}", s.misses);
}

/// Pieces of hostile questions: query syntax, control and invisible characters, mentions,
/// question words, numbers, odd Unicode (ligatures, combining marks, right-to-left marks).
const QUESTION_PIECES: &[&str] = &[
    "Mali",
    "sécurité",
    "\"",
    "(",
    ")",
    "(((",
    "((( \"",
    ":",
    "*",
    "?",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "title:Mali",
    "field:value",
    "text:",
    "[1 TO 5]",
    "{a TO b}",
    "-",
    "+",
    "~",
    "^",
    "[",
    "]",
    "{",
    "}",
    "\\",
    "/",
    "'",
    "’",
    "l'",
    "qu'",
    "\u{0}",
    "\u{7}",
    "\u{7f}",
    "\u{85}",
    "\u{1b}[31m",
    "\u{200b}",
    "\u{200e}",
    "\u{200f}",
    "\u{202e}",
    "\u{2066}",
    "\u{2028}",
    "\u{feff}",
    "é",
    "🙂",
    "🇲🇱",
    "👍🏽",
    "👨‍👩‍👧",
    "@everyone",
    "<@&1>",
    "\n",
    "\r\n",
    "\t",
    " ",
    "Qui",
    "Quand",
    "Combien",
    "Où",
    "Who",
    "the",
    "2 200",
    "9 mai 2024",
    "ⅷ",
    "ǅ",
    "ﬁ",
    "\u{301}",
    "𝕸",
    "مالي",
    "מאלי",
];

/// One piece of a question: a hostile piece, a word, a very long word, any character at all,
/// right-to-left script, emoji, or punctuation only.
fn question_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(QUESTION_PIECES).prop_map(str::to_string),
        4 => "[A-Za-zÀ-ÿ]{1,12}",
        1 => "[a-zé]{40,400}",
        2 => any::<char>().prop_map(String::from),
        1 => "[\\p{Hebrew}\\p{Arabic}\u{200e}\u{200f}\u{202b}\u{202c}]{1,10}",
        1 => "[\u{1F300}-\u{1FAFF}\u{2600}-\u{27BF}\u{FE0F}\u{200D}]{1,6}",
        1 => "[[:punct:]]{1,10}",
    ]
}

/// A question: pieces joined with or without spaces (none: the empty question), arbitrary
/// bytes read as text the way the stdin mode reads them, or one around and past the length
/// limit.
fn question() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (prop::collection::vec(question_piece(), 0..12), any::<bool>())
            .prop_map(|(pieces, spaced)| pieces.join(if spaced { " " } else { "" })),
        3 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        1 => (prop::sample::select(&["Mali ", "sécurité ", "((( \"", "🙂", "x"][..]), 150..1100usize)
            .prop_map(|(piece, n)| piece.repeat(n)),
    ]
}

/// The bundled corpus' index, built once for all the cases.
fn fuzz_snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<(common::Workspace, Snapshot)> = OnceLock::new();
    let (_, snapshot) = SNAPSHOT.get_or_init(|| {
        let ws = common::Workspace::new();
        let snapshot = snapshot(&ws);
        (ws, snapshot)
    });
    snapshot
}

/// Pieces of article files: front matter, headings, bullets, line ends, invalid UTF-8 and
/// Windows-1252 bytes, a BOM, NUL.
const FILE_PIECES: &[&[u8]] = &[
    b"---\n",
    b"---\r\n",
    b"...\n",
    b"title: x\n",
    b"title: \"x\"\n",
    b"title:\n",
    b"url:\n",
    b"url: https://example.org/a\n",
    b"lang: en\n",
    b"lang: xx\n",
    b"language: fr\n",
    b"# T\n",
    b"## Sous-titre\n",
    b"\n",
    b"\r\n",
    b"\r",
    b"\t",
    b"\x0c",
    b"\xe9",
    b"\x92",
    b"\x80",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    "•".as_bytes(),
    b"- ",
    b"* ",
    b"1. ",
    b"> ",
    b"```\n",
    b":",
    b". ",
    b"Une phrase. ",
    "é".as_bytes(),
    "Le général Modibo Koné est arrivé à Nouakchott le 9 mai 2024. ".as_bytes(),
];

/// The start of a file: nothing, a BOM, or front matter (closed or not, LF or CRLF).
const FILE_STARTS: &[&[u8]] = &[
    b"",
    b"\xef\xbb\xbf",
    b"---\ntitle: Un titre\n---\n",
    b"---\ntitle: \"Un titre\"\nurl: https://example.org/a\nlang: en\n---\n",
    b"---\r\ntitle: Un titre\r\n---\r\n",
    b"---\ntitle: Un titre\n",
    b"---\n---\n",
    b"\xef\xbb\xbf---\ntitle: x\n...\n",
    b"\n\n  ---  \ntitle: x\n---\n",
];

/// A giant line, 2,000 to 20,000 characters: one piece repeated, with or without spaces and
/// sentence ends.
fn giant_line() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(&["a", "mot ", "Phrase courte. ", "é", "•"][..]),
        2000..20_000usize,
    )
        .prop_map(|(piece, chars)| piece.repeat(chars / piece.chars().count()).into_bytes())
}

/// One piece of a file body: a file piece or a random byte.
fn file_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(FILE_PIECES).prop_map(<[u8]>::to_vec),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ]
}

/// An article file: a start, body pieces with one giant line among them in a tenth of the
/// files, LF or CRLF line ends, and a name.
fn file() -> impl Strategy<Value = (String, Vec<u8>)> {
    (
        prop::sample::select(&["a.md", "a.txt", "A.MD", "dir/b.md", "sans-extension"][..]),
        prop::sample::select(FILE_STARTS).prop_map(<[u8]>::to_vec),
        prop::collection::vec(file_piece(), 0..40),
        prop::option::weighted(0.1, (giant_line(), any::<prop::sample::Index>())),
        any::<bool>(),
    )
        .prop_map(|(name, start, mut pieces, giant, crlf)| {
            if let Some((line, at)) = giant {
                pieces.insert(at.index(pieces.len() + 1), line);
            }
            let mut bytes = start;
            for p in pieces {
                bytes.extend_from_slice(&p);
            }
            if crlf {
                let mut with_cr = Vec::with_capacity(bytes.len() * 2);
                for b in bytes {
                    if b == b'\n' {
                        with_cr.push(b'\r');
                    }
                    with_cr.push(b);
                }
                bytes = with_cr;
            }
            (name.to_string(), bytes)
        })
}

proptest! {
    // As many cases as the loop this replaces ran: a few seconds in a debug build.
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn no_question_makes_the_engine_panic(q in question(), top in 0..=MAX_TOP + 2) {
        let result = ask(fuzz_snapshot(), &q, top);
        if q.trim().chars().count() > MAX_QUESTION_CHARS {
            prop_assert!(
                matches!(result, Err(AskError::Question(QuestionError::TooLong(_)))),
                "a question over the limit is refused: {result:?}"
            );
        }
        match result {
            Ok(a) => {
                prop_assert!(a.answered || a.hits.is_empty());
                prop_assert!(a.hits.len() <= top.clamp(1, MAX_TOP), "{} hits", a.hits.len());
                for h in &a.hits {
                    prop_assert!(h.passage.len() <= 4 * MAX_PASSAGE_CHARS);
                    if let Some(r) = &h.answer_span {
                        prop_assert!(
                            h.passage.is_char_boundary(r.start) && h.passage.is_char_boundary(r.end)
                        );
                    }
                    for m in &h.marks {
                        prop_assert!(
                            h.passage.is_char_boundary(m.start) && h.passage.is_char_boundary(m.end)
                        );
                    }
                }
            }
            Err(AskError::Question(_)) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

proptest! {
    // About as many cases as the loop this replaces ran (3,000): two seconds in a debug build.
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn no_file_makes_the_parser_panic((name, bytes) in file()) {
        if let Ok(article) = parse_file(&name, &bytes) {
            prop_assert!(!article.title.trim().is_empty());
            prop_assert!(article.title.chars().count() <= MAX_TITLE_CHARS, "{}", article.title);
            for p in split(&article.body) {
                prop_assert!(!p.text.trim().is_empty());
                prop_assert!(p.text.chars().count() <= MAX_PASSAGE_CHARS, "{}", p.text.len());
            }
        }
    }
}
