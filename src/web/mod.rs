//! Articles from the web, without the network itself: what a fetch is asked for and what it
//! gives back ([`Fetch`], the seam the engine is handed, implemented over HTTP by
//! `services::fetch`), the characters of a page ([`charset`]), the article in a page
//! ([`extract`]), and the one key a URL's variants share ([`urls`]).

pub mod charset;
pub mod extract;
pub mod urls;

pub use extract::{extract, ExtractError, Extracted, MIN_WORDS};

/// What is fetched: the kind of body accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// An HTML or XHTML page.
    Page,
    /// An RSS, Atom or JSON feed (XML or JSON).
    Feed,
}

/// A previous answer's validators, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// A body fetched.
#[derive(Debug, Clone)]
pub struct Body {
    /// The URL it came from, after redirects.
    pub url: url::Url,
    /// The media type, lower-case, without parameters ("text/html").
    pub content_type: String,
    /// The charset the HTTP header named, if any.
    pub charset: Option<String>,
    /// The bytes, decompressed.
    pub bytes: Vec<u8>,
    /// To send back next time.
    pub validators: Validators,
}

/// What a fetch gave.
// One value per fetch, moved once: boxing the body would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Fetched {
    Body(Body),
    /// 304: nothing changed since the validators sent.
    NotModified,
}

/// Why a fetch gave nothing. The messages are the reasons reports show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Not a URL kiosque fetches: bad syntax, another scheme, or an address that is not
    /// public (and not allowed by KIOSQUE_FETCH_ALLOW).
    #[error("refused: {0}")]
    Refused(String),
    #[error("disallowed by the site's robots.txt")]
    Robots,
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("too many redirects (more than {0})")]
    Redirects(usize),
    #[error("too large (more than {0} MiB)")]
    TooLarge(u64),
    #[error("too slow (no complete answer within {0} s)")]
    Timeout(u64),
    /// The body is not of the kind wanted: (what was wanted, what came).
    #[error("not {0} (Content-Type: {1})")]
    WrongType(&'static str, String),
    #[error("cannot connect: {0}")]
    Network(String),
}

/// Fetches URLs given by people: the seam the engine is handed (over HTTP in
/// `services::fetch`; a fake in unit tests).
pub trait Fetch: Send + Sync {
    /// Fetches `url` (absolute, as given), following redirects, checking every address.
    fn fetch(&self, url: &str, want: Want, validators: &Validators) -> Result<Fetched, FetchError>;
}
