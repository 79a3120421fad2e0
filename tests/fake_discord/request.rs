//! What the fake Discord records of each HTTP request it receives.

use std::time::Instant;

use serde_json::Value;

/// One HTTP request the fake received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// e.g. "/api/v10/interactions/1/tok/callback" (no query string).
    pub path: String,
    /// The raw query string without `?` ("" when none). serenity writes its query strings as
    /// `?&key=value`, so this may start with `&`.
    pub query: String,
    /// The JSON body; `Null` when empty; for multipart/form-data the `payload_json` part.
    pub body: Value,
    pub raw_content_type: String,
    pub at: Instant,
    /// The body as received.
    pub raw_body: Vec<u8>,
    /// Files of a multipart/form-data body (every part except `payload_json`).
    pub files: Vec<UploadedFile>,
    /// The `Authorization` header ("" when absent).
    pub authorization: String,
    /// The `User-Agent` header ("" when absent).
    pub user_agent: String,
}

impl Request {
    /// The value of a query parameter (serenity's `?&a=b` form included).
    pub fn query_param(&self, key: &str) -> Option<String> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    }

    /// `path` without the `/api/v10` prefix.
    pub fn route(&self) -> &str {
        self.path.strip_prefix("/api/v10").unwrap_or(&self.path)
    }

    /// True for `METHOD` and a path ending with `suffix` (prefix `/api/v10` optional).
    pub fn is(&self, method: &str, suffix: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path.ends_with(suffix)
    }

    /// Interaction callbacks: `POST /api/v10/interactions/{id}/{token}/callback`.
    pub fn is_interaction_callback(&self) -> bool {
        self.method == "POST"
            && self.route().starts_with("/interactions/")
            && self.path.ends_with("/callback")
    }
}

/// A file part of a multipart/form-data request.
#[derive(Clone, Debug)]
pub struct UploadedFile {
    /// The form field name, e.g. "files[0]".
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}
