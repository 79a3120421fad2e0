//! The fake Discord as the sender of interactions to an HTTP interactions endpoint
//! (`kiosque serve-http`): it signs each one with a test key, POSTs it, and records the
//! response as the interaction's callback, so that a deferred reply's edit of `@original`
//! finds its interaction, and every response is checked like the gateway bot's callbacks.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;

use super::interactions::interaction_callback;
use super::server::{record, Reply};
use super::{FakeDiscord, Request};

/// What the endpoint answered.
#[derive(Debug, Clone)]
pub struct Answered {
    pub status: u16,
    /// The body as sent.
    pub body: Vec<u8>,
    /// The body as JSON (`Null` when it is not).
    pub json: Value,
}

impl FakeDiscord {
    /// The key the fake signs interactions with; its public half is what `serve-http` is given.
    pub fn signing_key() -> SigningKey {
        SigningKey::from_bytes(&[42u8; 32])
    }

    /// [`Self::signing_key`]'s public half, in hexadecimal (`DISCORD_PUBLIC_KEY`).
    pub fn public_key_hex() -> String {
        Self::signing_key()
            .verifying_key()
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The signature headers of `body` at `timestamp` by `key`.
    pub fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        key.sign(&message)
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Sends `payload` (an interaction, as [`super::slash_command`] makes it) to the endpoint
    /// at `url`, signed now by [`Self::signing_key`], and records a 2xx response as its
    /// callback.
    pub async fn post_interaction(&self, url: &str, payload: Value) -> Answered {
        self.try_post_interaction(url, payload)
            .await
            .expect("the endpoint answers")
    }

    /// [`Self::post_interaction`], None when nothing answers at `url` (a replica killed).
    pub async fn try_post_interaction(&self, url: &str, mut payload: Value) -> Option<Answered> {
        self.remember_interaction(&mut payload);
        let body = payload.to_string().into_bytes();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let signature = Self::sign(&Self::signing_key(), &now, &body);
        let answered = try_post_raw(url, Some(&signature), Some(&now), body).await?;
        if (200..300).contains(&answered.status) {
            let id = payload["id"].as_str().unwrap_or_default().to_string();
            let token = payload["token"].as_str().unwrap_or_default().to_string();
            let request = Request {
                method: "POST".into(),
                path: format!("/api/v10/interactions/{id}/{token}/callback"),
                query: String::new(),
                body: answered.json.clone(),
                raw_content_type: "application/json".into(),
                at: Instant::now(),
                raw_body: answered.body.clone(),
                files: vec![],
                authorization: String::new(),
                user_agent: String::new(),
            };
            let reply = interaction_callback(&self.shared, &request, &id, &token);
            let index = record(&self.shared, request);
            if let Reply::Json(status, v) = reply {
                self.shared
                    .responses
                    .lock()
                    .unwrap()
                    .insert(index, (status.as_u16(), v));
            }
        }
        Some(answered)
    }
}

/// POSTs `body` to `url` with the signature headers given (none when `None`).
pub async fn post_raw(
    url: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: Vec<u8>,
) -> Answered {
    try_post_raw(url, signature, timestamp, body)
        .await
        .expect("the endpoint answers")
}

/// [`post_raw`], None when nothing answers at `url`.
pub async fn try_post_raw(
    url: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: Vec<u8>,
) -> Option<Answered> {
    let client = reqwest::Client::new();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        request = request.header("x-signature-ed25519", s);
    }
    if let Some(t) = timestamp {
        request = request.header("x-signature-timestamp", t);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.bytes().await.ok()?.to_vec();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(Answered { status, body, json })
}
