//! The reranking server: a cross-encoder behind the `/rerank` API (`POST {base}/rerank`) that
//! text-embeddings-inference, Infinity, llama.cpp's server and Cohere- or Jina-style hosted
//! APIs serve, each with its own names for the same things. A blocking client (the engine
//! calls it from its own threads), with a time budget per call, an optional bearer token that
//! never shows in a `Debug` or a log, and no proxy from the environment.
//!
//! One request body for every server, read from their sources:
//!
//! - text-embeddings-inference (`router/src/http/types.rs`, `RerankRequest`): reads `query`,
//!   `texts`, `truncate`, `raw_scores` (default false: the model's sigmoid score),
//!   `return_text`; unknown keys are ignored (no `deny_unknown_fields`). It answers a bare
//!   array `[{"index", "score"}]`, sorted by score. `truncate` unset falls back to the
//!   server's `--auto-truncate` (off by default), which refuses a pair longer than the model
//!   takes: we ask for truncation.
//! - Infinity (`infinity_emb/fastapi_schemas/pymodels.py`, `RerankInput`, a pydantic model
//!   that ignores unknown keys): reads `query`, `documents` (1 to 2048), `return_documents`,
//!   `raw_scores`, `model`, `top_n` (above 0); answers
//!   `{"results": [{"relevance_score", "index"}]}` (`data` in older releases).
//! - llama.cpp's server (`tools/server`, `/rerank`, `/reranking`, `/v1/rerank`): reads
//!   `documents`, else `texts`, and `top_n` (cut to the list's length), and answers in
//!   text-embeddings-inference's shape — a bare array with `score` — whenever the body has
//!   `texts`, as ours does; otherwise `{"results": [{"index", "relevance_score"}]}`, sorted
//!   by score and cut to `top_n`.
//! - Cohere and Jina (and LiteLLM, which follows Cohere): `model`, `query`, `documents`,
//!   `top_n`, `return_documents`; `{"results": [{"index", "relevance_score"}]}` sorted by
//!   relevance.
//!
//! So the body carries the documents under both `documents` and `texts`, `top_n` as their
//! number, and the answer is read in either shape, by `index`, since it comes back sorted by
//! score and possibly cut.

use std::time::Duration;

use serde::Deserialize;

use crate::config::Secret;
use crate::engine::meaning::reader::{Reader, RerankError};

/// Longest text sent, in characters: passages are shorter, and a cross-encoder reads at most
/// a few hundred tokens of a pair anyway.
const MAX_TEXT_CHARS: usize = 2000;

/// Longest message kept from a refusal, in characters.
const MAX_MESSAGE_CHARS: usize = 200;

/// A client for one server and one model.
pub struct HttpReader {
    endpoint: String,
    model: String,
    key: Option<Secret>,
    client: reqwest::blocking::Client,
    /// Budget for one call, connection and answer included.
    budget: Duration,
}

impl std::fmt::Debug for HttpReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpReader")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("key", &self.key)
            .field("budget", &self.budget)
            .finish()
    }
}

/// One entry of an answer, in either server's names.
#[derive(Deserialize)]
struct Rank {
    index: usize,
    #[serde(alias = "score")]
    relevance_score: f64,
}

impl HttpReader {
    /// A client for `base_url` (such as `http://127.0.0.1:8080`, or
    /// `https://api.cohere.com/v1`: the API's path up to `/rerank`), scoring with `model`,
    /// sending `key` as a bearer token when it is set (an empty key is none), each call given
    /// `budget`. Refuses a URL that is not http:// or https://.
    pub fn new(
        base_url: &str,
        model: &str,
        key: Option<String>,
        budget: Duration,
    ) -> Result<HttpReader, RerankError> {
        let base = base_url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RerankError::Unreachable(format!(
                "{base:?} is not an http:// or https:// URL"
            )));
        }
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .user_agent(concat!("kiosque/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RerankError::Unreachable(e.to_string()))?;
        Ok(HttpReader {
            endpoint: format!("{base}/rerank"),
            model: model.trim().to_string(),
            key: key.filter(|k| !k.trim().is_empty()).map(Secret::new),
            client,
            budget,
        })
    }

    fn budget_ms(&self) -> u64 {
        u64::try_from(self.budget.as_millis()).unwrap_or(u64::MAX)
    }

    fn call(&self, query: &str, documents: &[&str]) -> Result<Vec<Option<f32>>, RerankError> {
        let texts: Vec<String> = documents.iter().map(|d| clean(d)).collect();
        let body = serde_json::json!({
            "model": self.model,
            "query": clean(query),
            // Cohere, Jina, Infinity, llama.cpp
            "documents": texts,
            // text-embeddings-inference (llama.cpp then answers in its shape)
            "texts": texts,
            "top_n": texts.len(),
            "return_documents": false,
            // text-embeddings-inference and Infinity: the model's score, not the logit
            // (their default, said so that a server's other default cannot change the scale)
            "raw_scores": false,
            // text-embeddings-inference: cut a pair too long for the model rather than
            // refuse the whole call
            "truncate": true,
        });
        let mut request = self
            .client
            .post(&self.endpoint)
            .json(&body)
            .timeout(self.budget);
        if let Some(k) = &self.key {
            request = request.bearer_auth(k.expose());
        }
        let response = request.send().map_err(|e| {
            if e.is_timeout() {
                RerankError::Timeout(self.budget_ms())
            } else {
                RerankError::Unreachable(e.without_url().to_string())
            }
        })?;
        let status = response.status();
        let text = response.text().map_err(|e| {
            if e.is_timeout() {
                RerankError::Timeout(self.budget_ms())
            } else if status.is_success() {
                RerankError::Malformed(e.without_url().to_string())
            } else {
                RerankError::Refused {
                    status: status.as_u16(),
                    message: status.canonical_reason().unwrap_or_default().to_string(),
                }
            }
        })?;
        if !status.is_success() {
            let mut message = short_message(&text);
            if message.is_empty() {
                message = status.canonical_reason().unwrap_or_default().to_string();
            }
            return Err(RerankError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        scores(&text, documents.len())
    }
}

/// A text as sent: without NULs, at most [`MAX_TEXT_CHARS`] characters.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '\0')
        .take(MAX_TEXT_CHARS)
        .collect()
}

/// What a refusal says, short: the `message` or `error` (or `detail`) of a JSON error when it
/// has one, else the text itself, on one line.
fn short_message(body: &str) -> String {
    fn said(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Object(o) => ["message", "error", "detail"]
                .iter()
                .find_map(|k| o.get(*k).and_then(said)),
            serde_json::Value::Array(a) => a.first().and_then(said),
            _ => None,
        }
    }
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| said(&v))
        .unwrap_or_else(|| body.to_string());
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_MESSAGE_CHARS {
        let mut cut: String = one_line.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        one_line
    }
}

/// The answer's scores in the documents' order: a bare array of ranks or an object with
/// `results` (or `data`), each rank placed by its `index`. Indexes past the documents are
/// ignored; one index twice, or a score that is not a finite number, is malformed.
fn scores(body: &str, expected: usize) -> Result<Vec<Option<f32>>, RerankError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| RerankError::Malformed(e.to_string()))?;
    let ranks = match value {
        serde_json::Value::Array(ranks) => ranks,
        serde_json::Value::Object(mut o) => {
            match o.remove("results").or_else(|| o.remove("data")) {
                Some(serde_json::Value::Array(ranks)) => ranks,
                _ => {
                    return Err(RerankError::Malformed(
                        "no list of results in the answer".into(),
                    ))
                }
            }
        }
        _ => {
            return Err(RerankError::Malformed(
                "neither a list of results nor an object".into(),
            ))
        }
    };
    let mut out: Vec<Option<f32>> = vec![None; expected];
    for rank in ranks {
        let rank: Rank =
            serde_json::from_value(rank).map_err(|e| RerankError::Malformed(e.to_string()))?;
        let score = rank.relevance_score as f32;
        if !score.is_finite() {
            return Err(RerankError::Malformed(format!(
                "the score of document {} is not a finite number",
                rank.index
            )));
        }
        let Some(slot) = out.get_mut(rank.index) else {
            // a document we did not send: nothing to score
            continue;
        };
        if slot.is_some() {
            return Err(RerankError::Malformed(format!(
                "two scores for document {}",
                rank.index
            )));
        }
        *slot = Some(score);
    }
    Ok(out)
}

impl Reader for HttpReader {
    fn model(&self) -> &str {
        &self.model
    }

    fn rerank(&self, query: &str, documents: &[&str]) -> Result<Vec<Option<f32>>, RerankError> {
        // Infinity and llama.cpp refuse an empty list, and there is nothing to score
        if documents.is_empty() {
            return Ok(vec![]);
        }
        self.call(query, documents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// One request as the fake server read it.
    struct Got {
        first: String,
        headers: String,
        body: serde_json::Value,
    }

    /// A server on 127.0.0.1 answering each request in turn with `(status, body)`; the
    /// requests go to the returned channel.
    fn serve(replies: Vec<(u16, String)>) -> (String, std::sync::mpsc::Receiver<Got>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for (status, body) in replies {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                let (mut headers, mut len) = (String::new(), 0usize);
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    headers.push_str(&h);
                }
                let mut got = vec![0; len];
                reader.read_exact(&mut got).unwrap();
                let _ = tx.send(Got {
                    first,
                    headers,
                    body: serde_json::from_slice(&got).unwrap_or_default(),
                });
                let mut s = stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (base, rx)
    }

    fn reader(base: &str, key: Option<&str>) -> HttpReader {
        HttpReader::new(
            base,
            "bge-reranker-v2-m3",
            key.map(String::from),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    #[test]
    fn rerank_reads_a_bare_array_of_scores() {
        // text-embeddings-inference's shape (and llama.cpp's when asked with `texts`)
        let (base, _rx) = serve(vec![(
            200,
            r#"[{"index":1,"score":0.9},{"index":0,"score":0.25}]"#.into(),
        )]);
        let r = reader(&base, None);
        assert_eq!(
            r.rerank("Qui ?", &["a", "b"]).unwrap(),
            vec![Some(0.25), Some(0.9)]
        );
    }

    #[test]
    fn rerank_reads_results_with_either_name_for_the_score() {
        let (base, _rx) = serve(vec![
            (
                200,
                r#"{"model":"m","results":[{"index":0,"relevance_score":0.7},{"index":1,"relevance_score":-1.5}]}"#.into(),
            ),
            (
                200,
                r#"{"results":[{"index":1,"score":0.5},{"index":0,"score":0.1}]}"#.into(),
            ),
        ]);
        let r = reader(&base, None);
        assert_eq!(
            r.rerank("Qui ?", &["a", "b"]).unwrap(),
            vec![Some(0.7), Some(-1.5)]
        );
        assert_eq!(
            r.rerank("Qui ?", &["a", "b"]).unwrap(),
            vec![Some(0.1), Some(0.5)]
        );
    }

    #[test]
    fn rerank_maps_sorted_and_cut_results_by_index() {
        let (base, _rx) = serve(vec![(
            200,
            // sorted by score, cut to two, and one index we never sent
            r#"{"results":[{"index":3,"relevance_score":0.8},{"index":1,"relevance_score":0.6},{"index":9,"relevance_score":0.5}]}"#
                .into(),
        )]);
        let r = reader(&base, None);
        assert_eq!(
            r.rerank("Qui ?", &["a", "b", "c", "d"]).unwrap(),
            vec![None, Some(0.6), None, Some(0.8)]
        );
    }

    #[test]
    fn rerank_sends_the_query_the_documents_under_both_keys_and_the_key() {
        let (base, rx) = serve(vec![(200, "[]".into())]);
        let r = reader(&format!("{base}/v1/"), Some("sk-secret"));
        assert_eq!(
            r.rerank("Qui a gagné ?", &["Le premier.", "Le second."])
                .unwrap(),
            vec![None, None]
        );
        let got = rx.recv().unwrap();
        assert!(got.first.starts_with("POST /v1/rerank "), "{}", got.first);
        assert!(
            got.headers
                .to_lowercase()
                .contains("authorization: bearer sk-secret"),
            "{}",
            got.headers
        );
        let docs = serde_json::json!(["Le premier.", "Le second."]);
        assert_eq!(got.body["query"], "Qui a gagné ?");
        assert_eq!(got.body["documents"], docs);
        assert_eq!(got.body["texts"], docs);
        assert_eq!(got.body["top_n"], 2);
        assert_eq!(got.body["return_documents"], false);
        assert_eq!(got.body["model"], "bge-reranker-v2-m3");
    }

    #[test]
    fn rerank_sends_no_key_when_none_is_set() {
        let (base, rx) = serve(vec![(200, "[]".into()), (200, "[]".into())]);
        reader(&base, None).rerank("Qui ?", &["a"]).unwrap();
        reader(&base, Some(" ")).rerank("Qui ?", &["a"]).unwrap();
        for _ in 0..2 {
            let got = rx.recv().unwrap();
            assert!(
                !got.headers.to_lowercase().contains("authorization"),
                "{}",
                got.headers
            );
        }
    }

    #[test]
    fn rerank_debug_hides_the_key() {
        let r = reader("http://127.0.0.1:9", Some("sk-secret"));
        let shown = format!("{r:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
        assert!(shown.contains("bge-reranker-v2-m3"), "{shown}");
    }

    #[test]
    fn rerank_refusals_and_bad_answers_are_errors() {
        let (base, _rx) = serve(vec![
            (
                500,
                r#"{"error":"Input validation error: `texts` cannot be empty","error_type":"Validation"}"#
                    .into(),
            ),
            (200, "not json".into()),
            (200, r#"{"object":"list"}"#.into()),
            (200, r#"[{"index":0,"score":0.5},{"index":0,"score":0.4}]"#.into()),
            (200, r#"[{"index":-1,"score":0.5}]"#.into()),
            (200, r#"[{"index":0,"score":"high"}]"#.into()),
            (200, r#"[{"index":0,"score":1e300}]"#.into()),
        ]);
        let r = reader(&base, None);
        match r.rerank("Qui ?", &["a", "b"]) {
            Err(RerankError::Refused {
                status: 500,
                message,
            }) => {
                assert_eq!(message, "Input validation error: `texts` cannot be empty")
            }
            other => panic!("{other:?}"),
        }
        for _ in 0..6 {
            assert!(
                matches!(
                    r.rerank("Qui ?", &["a", "b"]),
                    Err(RerankError::Malformed(_))
                ),
                "a bad answer is malformed"
            );
        }
    }

    #[test]
    fn rerank_refusals_are_said_short() {
        assert_eq!(
            short_message(r#"{"error":{"code":400,"message":"top_n must be  greater than 0"}}"#),
            "top_n must be greater than 0"
        );
        // nothing to pick: the text itself
        assert_eq!(
            short_message(r#"{"detail":[{"msg":"field required"}]}"#),
            r#"{"detail":[{"msg":"field required"}]}"#
        );
        assert_eq!(short_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(short_message("Bad\n gateway"), "Bad gateway");
        assert_eq!(short_message(&"x".repeat(500)).chars().count(), 201);
    }

    #[test]
    fn rerank_without_documents_asks_nothing() {
        // nothing listens there: a call would fail
        let gone = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", gone.local_addr().unwrap());
        drop(gone);
        let r = reader(&url, None);
        assert_eq!(r.rerank("Qui ?", &[]).unwrap(), vec![]);
        assert!(matches!(
            r.rerank("Qui ?", &["a"]),
            Err(RerankError::Unreachable(_))
        ));
    }

    #[test]
    fn rerank_a_silent_server_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (done, wait) = std::sync::mpsc::channel::<()>();
        // holds the connection, unanswered, until the call is over
        let hold = std::thread::spawn(move || {
            let conn = listener.accept();
            let _ = wait.recv();
            drop(conn);
        });
        let r = HttpReader::new(&base, "m", None, Duration::from_millis(200)).unwrap();
        let result = r.rerank("Qui ?", &["a"]);
        let _ = done.send(());
        assert!(
            matches!(result, Err(RerankError::Timeout(200))),
            "{result:?}"
        );
        hold.join().unwrap();
    }

    #[test]
    fn rerank_refuses_a_url_that_is_not_http() {
        for url in ["ftp://x", "127.0.0.1:8080", "", "file:///etc/passwd"] {
            assert!(
                matches!(
                    HttpReader::new(url, "m", None, Duration::from_secs(1)),
                    Err(RerankError::Unreachable(_))
                ),
                "{url}"
            );
        }
        assert!(HttpReader::new("https://x/", "m", None, Duration::from_secs(1)).is_ok());
    }
}
