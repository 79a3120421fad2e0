//! Answer quality on the seed articles, scored the way `tests/fixtures/score.py` scores the
//! binary: the sample questions (a copy of the shared evaluation set) must all pass, and our
//! own larger set must stay above its thresholds. Also: no input makes the engine panic.

mod common;

use kiosque::engine::{AskError, Engine, Services};

fn snapshot(ws: &common::Workspace) -> Engine {
    Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap()
}

/// Lower-case, accents and spacing folded, as score.py does.
fn norm(s: &str) -> String {
    let folded: String = s
        .replace(['\u{2019}'], "'")
        .replace(['\u{a0}', '\u{202f}'], " ")
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' | 'Û' => 'u',
            'ç' | 'Ç' => 'c',
            c => c,
        })
        .collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[derive(Default, Debug)]
struct Score {
    answer: usize,
    hit1: usize,
    hit3: usize,
    none: usize,
    none_ok: usize,
    robust: usize,
    robust_ok: usize,
    misses: Vec<String>,
}

fn score(snapshot: &Engine, file: &str) -> Score {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap();
    let mut s = Score::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let q = case["q"].as_str().unwrap().replace(['\r', '\n'], " ");
        let id = case["id"].as_str().unwrap().to_string();
        let result = snapshot.ask(&q, 3);
        match case["kind"].as_str().unwrap() {
            "answer" => {
                s.answer += 1;
                let answer = result.unwrap_or_else(|e| panic!("{id}: {e}"));
                let expect: Vec<String> = case["expect_any"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| norm(p.as_str().unwrap()))
                    .collect();
                let source = case["source"].as_str().unwrap_or("*");
                let rank = answer.hits.iter().take(3).position(|h| {
                    let passage = norm(&h.passage);
                    expect.iter().any(|p| passage.contains(p.as_str()))
                        && (source == "*" || h.article == source)
                });
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
        "every answer question first: {:#?}",
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
    // Measured 30/30 at hit@1 and 16/20 none when written (17/20 now); the thresholds leave a little room
    // for ranking changes, not for regressions.
    assert!(
        s.hit1 >= 28,
        "hit@1 {}/{}: {:#?}",
        s.hit1,
        s.answer,
        s.misses
    );
    assert_eq!(s.hit3, s.answer, "{:#?}", s.misses);
    assert!(
        s.none_ok >= 15,
        "none {}/{}: {:#?}",
        s.none_ok,
        s.none,
        s.misses
    );
    assert_eq!(s.robust_ok, s.robust, "{:#?}", s.misses);
}

/// A small deterministic generator: the same inputs on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn no_question_makes_the_engine_panic() {
    let ws = common::Workspace::new();
    let snap = snapshot(&ws);
    let pieces = [
        "Mali",
        "sécurité",
        "\"",
        "(",
        ")",
        ":",
        "*",
        "?",
        "AND",
        "OR",
        "NOT",
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
        "\u{1b}[31m",
        "\u{200b}",
        "\u{feff}",
        "é",
        "🙂",
        "@everyone",
        "<@&1>",
        "\n",
        "\t",
        " ",
        "Qui",
        "Quand",
        "Combien",
        "Où",
        "2 200",
        "9 mai 2024",
        "ⅷ",
        "ǅ",
        "ﬁ",
        "\u{301}",
        "𝕸",
        "x".repeat(60).leak(),
    ];
    let mut rng = Lcg(42);
    for _ in 0..3000 {
        let n = (rng.next() % 12) as usize;
        let q: String = (0..n)
            .map(|_| pieces[(rng.next() as usize) % pieces.len()])
            .collect::<Vec<_>>()
            .join(if rng.next().is_multiple_of(2) {
                " "
            } else {
                ""
            });
        match snap.ask(&q, 1 + (rng.next() % 10) as usize) {
            Ok(a) => {
                assert!(a.answered || a.hits.is_empty());
                for h in &a.hits {
                    assert!(h.passage.len() <= 4 * kiosque::articles::passage::MAX_PASSAGE_CHARS);
                    if let Some(r) = &h.answer_span {
                        assert!(
                            h.passage.is_char_boundary(r.start)
                                && h.passage.is_char_boundary(r.end)
                        );
                    }
                }
            }
            Err(AskError::Question(_)) => {}
            Err(e) => panic!("{q:?}: {e}"),
        }
    }
    // arbitrary bytes, read as text the way the stdin mode reads them
    for _ in 0..2000 {
        let n = (rng.next() % 64) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let q = String::from_utf8_lossy(&bytes);
        if let Err(e @ AskError::Index(_)) = snap.ask(&q, 3) {
            panic!("{q:?}: {e}");
        }
    }
}

#[test]
fn no_file_makes_the_parser_panic() {
    let mut rng = Lcg(7);
    let pieces: [&[u8]; 16] = [
        b"---\n",
        b"title: x\n",
        b"url:\n",
        b"lang: en\n",
        b"# T\n",
        b"\n",
        b"\r\n",
        b"\xe9",
        b"\xff\xfe",
        b"\x00",
        "•".as_bytes(),
        b"- ",
        b"1. ",
        b":",
        b". ",
        "é".as_bytes(),
    ];
    for i in 0..3000 {
        let n = (rng.next() % 40) as usize;
        let mut bytes = Vec::new();
        for _ in 0..n {
            if rng.next().is_multiple_of(4) {
                bytes.push(rng.next() as u8);
            } else {
                bytes.extend_from_slice(pieces[(rng.next() as usize) % pieces.len()]);
            }
        }
        let name = if i % 2 == 0 { "a.md" } else { "a.txt" };
        if let Ok(article) = kiosque::articles::parse_file(name, &bytes, "corpus") {
            assert!(!article.title.is_empty());
            for p in kiosque::articles::passage::split(&article.body) {
                assert!(!p.text.trim().is_empty());
            }
        }
    }
}
