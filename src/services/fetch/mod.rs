//! The HTTP fetcher ([`HttpFetcher`], the [`crate::web::Fetch`] over the network): fetches
//! http and https URLs people give, and never what it should not. Every host's addresses are
//! checked before connecting, at every redirect, and again by the client's own resolver
//! ([`guard`]); robots.txt is honoured ([`robots`]); one request per host per pace; the whole
//! fetch within a time and a size (after decompression); only the kinds of body wanted.

mod guard;
mod robots;
#[cfg(test)]
mod server;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::{self, HeaderValue};
use url::Url;

use crate::web::{Body, Fetch, FetchError, Fetched, Validators, Want};

pub use guard::{is_public, Allow};
use guard::{Guard, PinnedResolver, Refusal};

/// How far a fetch may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The whole fetch: robots.txt, every hop and the body.
    pub timeout: Duration,
    /// The body, after decompression.
    pub max_bytes: u64,
    /// Redirects followed; one more is an error.
    pub max_redirects: usize,
    /// The least time between two requests to the same host name.
    pub pace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Duration::from_secs(10),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            pace: Duration::from_secs(1),
        }
    }
}

/// The User-Agent sent with every request: kiosque and its version.
pub fn user_agent() -> String {
    format!("kiosque/{} (news question bot)", env!("CARGO_PKG_VERSION"))
}

/// Fetches over HTTP(S), through the guard, robots.txt and pacing. One is meant to live as
/// long as the program (it keeps robots.txt rules and the last request time per host), and
/// may be shared between threads. Its methods block: call them from a thread, not from async
/// code (`tokio::task::spawn_blocking`).
pub struct HttpFetcher {
    client: Client,
    guard: Arc<Guard>,
    robots: robots::Cache,
    limits: Limits,
    /// Host name → when its last request was (or is to be) sent.
    last: Mutex<HashMap<String, Instant>>,
    /// Host name → the Crawl-delay its robots.txt asks for, when longer than the pace.
    delays: Mutex<HashMap<String, Duration>>,
}

impl HttpFetcher {
    /// A fetcher with the default [`Limits`].
    pub fn new(allow: Allow) -> Result<HttpFetcher, FetchError> {
        HttpFetcher::with_limits(allow, Limits::default())
    }

    pub fn with_limits(allow: Allow, limits: Limits) -> Result<HttpFetcher, FetchError> {
        let guard = Arc::new(Guard::new(allow));
        let client = Client::builder()
            .user_agent(user_agent())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .gzip(true)
            .deflate(true)
            .dns_resolver(Arc::new(PinnedResolver(Arc::clone(&guard))))
            .connect_timeout(limits.timeout)
            .timeout(limits.timeout)
            .build()
            .map_err(|e| {
                FetchError::Network(format!("cannot build the HTTP client: {}", short(&e)))
            })?;
        Ok(HttpFetcher {
            client,
            guard,
            robots: robots::Cache::default(),
            limits,
            last: Mutex::default(),
            delays: Mutex::default(),
        })
    }

    fn timeout(&self) -> FetchError {
        let t = self.limits.timeout;
        FetchError::Timeout(t.as_secs() + u64::from(t.subsec_nanos() > 0))
    }

    fn too_large(&self) -> FetchError {
        FetchError::TooLarge(self.limits.max_bytes.div_ceil(1024 * 1024))
    }

    /// The time left before the deadline, or the timeout error.
    fn left(&self, deadline: Instant) -> Result<Duration, FetchError> {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| self.timeout())
    }

    /// Waits until the host may be asked again (the pace, or its robots.txt's Crawl-delay
    /// when longer), and books that time for this request.
    fn pace(&self, host: &str, deadline: Instant) -> Result<(), FetchError> {
        let delay = self
            .delays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(host)
            .copied()
            .unwrap_or_default();
        let interval = self.limits.pace.max(delay);
        if interval.is_zero() {
            return Ok(());
        }
        let (now, at) = {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = last.get(host).map_or(now, |t| later(*t, interval).max(now));
            if at >= deadline {
                return Err(self.timeout());
            }
            if last.len() > 4096 {
                let keep = self.limits.pace.max(robots::MAX_DELAY);
                last.retain(|_, t| later(*t, keep) > now);
            }
            last.insert(host.to_string(), at);
            (now, at)
        };
        std::thread::sleep(at - now);
        Ok(())
    }

    /// Sends one GET, after checking the host and waiting for its pace.
    fn send(
        &self,
        url: &Url,
        deadline: Instant,
        accept: &'static str,
        validators: Option<&Validators>,
    ) -> Result<Response, FetchError> {
        self.guard.check(url, deadline, self.timeout())?;
        self.pace(url.host_str().unwrap_or_default(), deadline)?;
        let left = self.left(deadline)?;
        let mut request = self
            .client
            .get(url.clone())
            .timeout(left)
            .header(header::ACCEPT, accept);
        if let Some(v) = validators {
            let value =
                |s: &Option<String>| s.as_deref().and_then(|s| HeaderValue::from_str(s).ok());
            if let Some(etag) = value(&v.etag) {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = value(&v.last_modified) {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        request.send().map_err(|e| self.network_error(&e, deadline))
    }

    /// Sends GETs from `url` until an answer that is not a redirect, checking each target's
    /// scheme, addresses and (when `robots`) robots.txt before connecting. Gives the final
    /// URL and its answer.
    fn follow(
        &self,
        mut url: Url,
        deadline: Instant,
        accept: &'static str,
        validators: Option<&Validators>,
        robots: bool,
    ) -> Result<(Url, Response), FetchError> {
        let mut hops = 0;
        loop {
            if robots {
                // The host first, so that a refused address is the reason given, not a
                // robots.txt that could not be fetched from it.
                self.guard.check(&url, deadline, self.timeout())?;
                self.check_robots(&url, deadline)?;
            }
            let response = self.send(&url, deadline, accept, validators)?;
            let status = response.status().as_u16();
            let location = response.headers().get(header::LOCATION).cloned();
            let (true, Some(location)) = (matches!(status, 301 | 302 | 303 | 307 | 308), location)
            else {
                return Ok((url, response));
            };
            if hops >= self.limits.max_redirects {
                return Err(FetchError::Redirects(self.limits.max_redirects));
            }
            let location = location
                .to_str()
                .map_err(|_| FetchError::Refused("a redirect's Location is not readable".into()))?;
            let next = url.join(location).map_err(|e| {
                FetchError::Refused(format!(
                    "the redirect to {:?} is not a URL ({e})",
                    clip(location)
                ))
            })?;
            check_scheme(&next)?;
            hops += 1;
            url = next;
        }
    }

    /// Refuses the URL when its site's robots.txt disallows it, or cannot be fetched.
    fn check_robots(&self, url: &Url, deadline: Instant) -> Result<(), FetchError> {
        let origin = robots::origin(url);
        let rules = match self.robots.get(&origin) {
            Some(rules) => rules,
            None => {
                let unavailable =
                    |e: FetchError| FetchError::Refused(format!("robots.txt unavailable ({e})"));
                let answer = self.follow(
                    robots::robots_url(url),
                    deadline,
                    "text/plain, */*",
                    None,
                    false,
                );
                let rules = match answer {
                    Ok((_, response)) => {
                        let status = response.status().as_u16();
                        let body = if response.status().is_success() {
                            match self.read_body(response, robots::MAX_BYTES, deadline, true) {
                                Ok(body) => body,
                                Err(e @ FetchError::Timeout(_)) => return Err(e),
                                Err(e) => return Err(unavailable(e)),
                            }
                        } else {
                            Vec::new()
                        };
                        robots::Rules::from_answer(status, &body).map_err(FetchError::Refused)?
                    }
                    Err(e @ FetchError::Timeout(_)) => return Err(e),
                    Err(e) => return Err(unavailable(e)),
                };
                if let (Some(delay), Some(host)) = (rules.delay(), url.host_str()) {
                    let mut delays = self.delays.lock().unwrap_or_else(|p| p.into_inner());
                    if delays.len() > 4096 {
                        delays.clear();
                    }
                    delays.insert(host.to_string(), delay);
                }
                self.robots.insert(origin, rules)
            }
        };
        if rules.allows(url) {
            Ok(())
        } else {
            Err(FetchError::Robots)
        }
    }

    /// Reads a body, at most `limit` bytes after decompression (more is an error, or with
    /// `truncate` ignored), before the deadline.
    fn read_body(
        &self,
        mut response: Response,
        limit: u64,
        deadline: Instant,
        truncate: bool,
    ) -> Result<Vec<u8>, FetchError> {
        // Known only when the body is not compressed (reqwest hides it otherwise).
        if response.content_length().is_some_and(|len| len > limit) && !truncate {
            return Err(self.too_large());
        }
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            self.left(deadline)?;
            let n = match response.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_error(&e, deadline)),
            };
            if bytes.len().saturating_add(n) > limit {
                if !truncate {
                    return Err(self.too_large());
                }
                let room = limit.saturating_sub(bytes.len());
                bytes.extend_from_slice(chunk.get(..room).unwrap_or_default());
                break;
            }
            bytes.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        Ok(bytes)
    }

    /// A request's error as a fetch error: a refusal by the client's resolver, the deadline,
    /// or a short network reason.
    fn network_error(&self, e: &reqwest::Error, deadline: Instant) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(refusal) = s.downcast_ref::<Refusal>() {
                return FetchError::Refused(refusal.0.clone());
            }
            source = s.source();
        }
        if e.is_timeout() || Instant::now() >= deadline {
            return self.timeout();
        }
        FetchError::Network(short(e))
    }

    fn read_error(&self, e: &std::io::Error, deadline: Instant) -> FetchError {
        if e.kind() == std::io::ErrorKind::TimedOut || Instant::now() >= deadline {
            return self.timeout();
        }
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
        {
            Some(inner) => self.network_error(inner, deadline),
            None => FetchError::Network(format!("while reading the body: {e}")),
        }
    }
}

impl Fetch for HttpFetcher {
    fn fetch(&self, url: &str, want: Want, validators: &Validators) -> Result<Fetched, FetchError> {
        let deadline = later(Instant::now(), self.limits.timeout);
        let parsed = Url::parse(url.trim())
            .map_err(|e| FetchError::Refused(format!("{:?} is not a URL ({e})", clip(url))))?;
        check_scheme(&parsed)?;
        let accept = match want {
            Want::Page => "text/html, application/xhtml+xml;q=0.9, */*;q=0.1",
            Want::Feed => {
                "application/rss+xml, application/atom+xml, application/feed+json, \
                 application/xml;q=0.9, application/json;q=0.9, */*;q=0.1"
            }
        };
        let (url, response) = self.follow(parsed, deadline, accept, Some(validators), true)?;
        match response.status().as_u16() {
            200 => {}
            304 => return Ok(Fetched::NotModified),
            status => return Err(FetchError::Status(status)),
        }
        let what = match want {
            Want::Page => "an HTML page",
            Want::Feed => "a feed",
        };
        let headers = response.headers();
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .map(String::from)
        };
        let (essence, charset) = content_type(text(header::CONTENT_TYPE).as_deref());
        if let Some(essence) = &essence {
            if !accepts(want, essence) {
                return Err(FetchError::WrongType(what, essence.clone()));
            }
        }
        let validators = Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        };
        let bytes = self.read_body(response, self.limits.max_bytes, deadline, false)?;
        if bytes.iter().take(1024).any(|b| *b == 0) {
            return Err(FetchError::WrongType(what, "binary".into()));
        }
        let content_type = match essence {
            Some(essence) => essence,
            None => sniff(want, &bytes)
                .ok_or_else(|| FetchError::WrongType(what, "none".into()))?
                .into(),
        };
        Ok(Fetched::Body(Body {
            url,
            content_type,
            charset,
            bytes,
            validators,
        }))
    }
}

/// `t + d`, or a year after `t` when that is past what an Instant holds (no panic on absurd
/// limits).
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(t)
}

/// Refuses URLs that are neither http nor https.
fn check_scheme(url: &Url) -> Result<(), FetchError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(FetchError::Refused(format!(
            "only http and https URLs are fetched (got {other})"
        ))),
    }
}

/// A Content-Type header's essence (lower-case) and charset parameter; None for none.
fn content_type(header: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(header) = header.filter(|h| !h.trim().is_empty()) else {
        return (None, None);
    };
    let mut parts = header.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        let value = value.trim().trim_matches('"').trim();
        (name.trim().eq_ignore_ascii_case("charset") && !value.is_empty())
            .then(|| value.to_string())
    });
    (Some(essence), charset)
}

/// Whether a body of this media type is what is wanted.
fn accepts(want: Want, essence: &str) -> bool {
    match want {
        Want::Page => matches!(essence, "text/html" | "application/xhtml+xml"),
        Want::Feed => essence.contains("xml") || essence.contains("json"),
    }
}

/// The media type of a body that came without one, when it looks like what is wanted: markup
/// (or JSON for a feed) after any byte order mark and white space.
fn sniff(want: Want, bytes: &[u8]) -> Option<&'static str> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    match (want, first) {
        (Want::Page, b'<') => Some("text/html"),
        (Want::Feed, b'<') => Some("application/xml"),
        (Want::Feed, b'{') => Some("application/json"),
        _ => None,
    }
}

/// An error's message and its innermost cause, without reqwest's URL and debug dumps.
fn short(e: &reqwest::Error) -> String {
    let top = e.to_string();
    let top = top
        .split(" for url (")
        .next()
        .unwrap_or_default()
        .to_string();
    let mut inner: Option<&(dyn std::error::Error + 'static)> = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        inner = Some(s);
        source = s.source();
    }
    match inner.map(|s| s.to_string()) {
        Some(cause) if cause != top => format!("{top}: {cause}"),
        _ => top,
    }
}

/// At most 200 characters of something given, for messages.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(200) {
        Some((at, _)) => s.get(..at).unwrap_or(s),
        None => s,
    }
}
