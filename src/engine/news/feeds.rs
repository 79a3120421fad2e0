//! Feeds: the list the admin edits (`feeds.txt`: one URL a line, `#` comments), and a poll
//! of it. Each feed (RSS, Atom or JSON Feed) is fetched with the validators of its last
//! answer (a 304 costs no download), its items told new or seen by their id and by the key
//! of their link (a feed that re-dates an item or adds tracking parameters gives nothing
//! new), and each new item's page added like `kiosque add` does, except that an article a
//! person deleted stays deleted. What was seen, the validators and the failures are kept in
//! `feeds.json` in the state directory; a failing feed is tried again later and later.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::{Locked, StateError};
use super::{AddError, AddReport, Done, NotSaved, Origin};
use crate::engine::{Engine, Progress};
use crate::web::{urls, Fetch, Fetched, Validators, Want};

/// The feeds' state file, in the state directory.
pub const FEEDS_STATE: &str = "feeds.json";
/// Ids and links remembered per feed: far more than a feed lists.
const MAX_SEEN: usize = 5000;
/// A page that failed this many times for a reason that may pass is not tried again.
const MAX_ITEM_TRIES: u32 = 3;
/// Delay after a feed's first failure, doubling up to [`MAX_BACKOFF_S`].
const FIRST_BACKOFF_S: i64 = 15 * 60;
const MAX_BACKOFF_S: i64 = 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum FeedListError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("not a feed URL: {0}")]
    BadUrl(String),
}

/// The feed URLs of the list file (none when it does not exist).
pub fn read_list(path: &Path) -> Result<Vec<String>, FeedListError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default().trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![]),
        Err(source) => Err(FeedListError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A feed URL as the list keeps it: http or https, checked.
fn checked(url: &str) -> Result<url::Url, FeedListError> {
    let u =
        url::Url::parse(url.trim()).map_err(|e| FeedListError::BadUrl(format!("{url} ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(FeedListError::BadUrl(format!("{url} (http or https only)")));
    }
    Ok(u)
}

/// Adds a feed to the list file (created when missing); false when it was there already.
pub fn add_to_list(path: &Path, url: &str) -> Result<bool, FeedListError> {
    let u = checked(url)?;
    let io = |source| FeedListError::Io {
        path: path.to_path_buf(),
        source,
    };
    if read_list(path)?.iter().any(|l| same_feed(l, &u)) {
        return Ok(false);
    }
    let mut text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# kiosque's feeds: one URL a line (RSS, Atom or JSON Feed); # starts a comment\n"
                .to_string()
        }
        Err(e) => return Err(io(e)),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(u.as_str());
    text.push('\n');
    super::state::write_atomic(path, text.as_bytes()).map_err(io)?;
    Ok(true)
}

/// Removes a feed from the list file, comments and other lines kept; false when it was
/// not there.
pub fn remove_from_list(path: &Path, url: &str) -> Result<bool, FeedListError> {
    let u = checked(url)?;
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(FeedListError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut removed = false;
    let kept: String = text
        .split_inclusive('\n')
        .filter(|line| {
            let url = line.split('#').next().unwrap_or_default().trim();
            let this = !url.is_empty() && same_feed(url, &u);
            removed |= this;
            !this
        })
        .collect();
    if removed {
        super::state::write_atomic(path, kept.as_bytes()).map_err(|source| FeedListError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(removed)
}

fn same_feed(line: &str, u: &url::Url) -> bool {
    url::Url::parse(line).is_ok_and(|l| urls::key(&l) == urls::key(u))
}

/// What is remembered of a feed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedRecord {
    #[serde(default)]
    pub validators: Validators,
    /// Item ids and link keys already handled, oldest first.
    #[serde(default)]
    pub seen: Vec<String>,
    /// Items whose page failed for a reason that may pass: link key → tries.
    #[serde(default)]
    pub retries: BTreeMap<String, u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ok: Option<String>,
    /// Failures in a row, and the last one's reason.
    #[serde(default)]
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Not polled before this time (RFC 3339) by the bot's rounds, after failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_try: Option<String>,
}

/// How one feed's poll went; in reports as "ok", "not modified", "failed" or "waiting".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FeedOutcome {
    /// Fetched and read: its new items were added.
    #[serde(rename = "ok")]
    Ok,
    /// The server said nothing changed since the last poll.
    #[serde(rename = "not modified")]
    NotModified,
    /// Not fetched or not a feed: the reason says why.
    #[serde(rename = "failed")]
    Failed,
    /// Not polled: it failed lately and waits before the next try (the bot's rounds).
    #[serde(rename = "waiting")]
    Waiting,
}

impl std::fmt::Display for FeedOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // padded by the caller's width, like a str
        f.pad(match self {
            FeedOutcome::Ok => "ok",
            FeedOutcome::NotModified => "not modified",
            FeedOutcome::Failed => "failed",
            FeedOutcome::Waiting => "waiting",
        })
    }
}

/// One feed's part of a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedStatus {
    pub feed: String,
    pub status: FeedOutcome,
    pub new: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A poll: what `kiosque add` reports, for the feeds' new items, and each feed's status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PollReport {
    #[serde(flatten)]
    pub pages: AddReport,
    pub feeds: Vec<FeedStatus>,
}

/// A feed as `feeds list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedInfo {
    pub feed: String,
    #[serde(flatten)]
    pub record: FeedRecord,
}

/// Feeds' records by URL.
type FeedsState = BTreeMap<String, FeedRecord>;

impl FeedRecord {
    fn has_seen(&self, key: &str) -> bool {
        self.seen.iter().any(|s| s == key)
    }

    fn see(&mut self, keys: &[String]) {
        for k in keys {
            if !self.has_seen(k) {
                self.seen.push(k.clone());
            }
        }
        let extra = self.seen.len().saturating_sub(MAX_SEEN);
        self.seen.drain(..extra);
    }

    fn failed(&mut self, reason: String, now: DateTime<Utc>) {
        self.failures += 1;
        let delay = (FIRST_BACKOFF_S << (self.failures - 1).min(10)).min(MAX_BACKOFF_S);
        self.next_try = Some(rfc3339(now + chrono::Duration::seconds(delay)));
        self.reason = Some(reason);
    }

    fn due(&self, now: DateTime<Utc>) -> bool {
        self.next_try
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_none_or(|t| t <= now)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Engine {
    /// One round over `feeds`: each fetched (only those not waiting after failures when
    /// `due_only`), its new items' pages added, the index refreshed once at the end.
    pub(crate) fn poll_feeds(
        &self,
        fetch: &dyn Fetch,
        state_dir: &Path,
        feeds: &[String],
        due_only: bool,
        progress: Progress,
    ) -> Result<PollReport, AddError> {
        let locked = Locked::take(state_dir)?;
        let mut web = locked.load()?;
        let mut records: FeedsState = locked.read(FEEDS_STATE)?;
        let mut report = PollReport::default();
        for (i, feed) in feeds.iter().enumerate() {
            progress(i, feeds.len());
            let now = Utc::now();
            let record = records.entry(feed.clone()).or_default();
            if due_only && !record.due(now) {
                report.feeds.push(FeedStatus {
                    feed: feed.clone(),
                    status: FeedOutcome::Waiting,
                    new: 0,
                    reason: record.reason.clone(),
                });
                continue;
            }
            record.last_poll = Some(rfc3339(now));
            let status = match fetch.fetch(feed, Want::Feed, &record.validators) {
                Ok(Fetched::NotModified) => FeedStatus {
                    feed: feed.clone(),
                    status: FeedOutcome::NotModified,
                    new: 0,
                    reason: None,
                },
                Ok(Fetched::Body(body)) => match feed_rs::parser::parse(body.bytes.as_slice()) {
                    Ok(parsed) => {
                        record.validators = body.validators.clone();
                        record.title = parsed.title.as_ref().map(|t| t.content.clone());
                        let mut new = 0;
                        // oldest first, as they were published
                        for entry in parsed.entries.iter().rev() {
                            let Some(link) = item_link(entry, &body.url) else {
                                continue;
                            };
                            let link_key = urls::key(&link);
                            let mut keys = vec![link_key.clone()];
                            if !entry.id.is_empty() {
                                keys.push(format!("id:{}", entry.id));
                            }
                            if keys.iter().any(|k| record.has_seen(k)) {
                                continue;
                            }
                            match self.add_one(fetch, &mut web, link.as_str(), Origin::Feed) {
                                Ok(done) => {
                                    locked.save(&web)?;
                                    record.see(&keys);
                                    record.retries.remove(&link_key);
                                    match done {
                                        Done::Added(s) => {
                                            new += 1;
                                            report.pages.added.push(s)
                                        }
                                        Done::Changed(s) => report.pages.changed.push(s),
                                        Done::Unchanged(s) => report.pages.unchanged.push(s),
                                        Done::Deleted => {}
                                    }
                                }
                                Err(failed) => {
                                    let tries = record.retries.entry(link_key.clone()).or_default();
                                    *tries += 1;
                                    if !failed.may_pass || *tries >= MAX_ITEM_TRIES {
                                        record.retries.remove(&link_key);
                                        record.see(&keys);
                                    }
                                    report.pages.failed.push(NotSaved {
                                        url: link.to_string(),
                                        reason: failed.reason,
                                    });
                                }
                            }
                        }
                        FeedStatus {
                            feed: feed.clone(),
                            status: FeedOutcome::Ok,
                            new,
                            reason: None,
                        }
                    }
                    Err(e) => FeedStatus {
                        feed: feed.clone(),
                        status: FeedOutcome::Failed,
                        new: 0,
                        reason: Some(format!("not a feed ({e})")),
                    },
                },
                Err(e) => FeedStatus {
                    feed: feed.clone(),
                    status: FeedOutcome::Failed,
                    new: 0,
                    reason: Some(e.to_string()),
                },
            };
            match &status.reason {
                Some(reason) if status.status == FeedOutcome::Failed => {
                    record.failed(reason.clone(), now)
                }
                _ => {
                    record.failures = 0;
                    record.reason = None;
                    record.next_try = None;
                    record.last_ok = Some(rfc3339(now));
                }
            }
            // what a feed gave is saved at once; a 304 changes only times, saved at the end
            // (a poll with nothing new costs its requests, not a write per feed)
            if status.status != FeedOutcome::NotModified {
                locked.write(FEEDS_STATE, &records)?;
            }
            report.feeds.push(status);
        }
        progress(feeds.len(), feeds.len());
        // feeds taken off the list are forgotten
        records.retain(|k, _| feeds.contains(k));
        locked.write(FEEDS_STATE, &records)?;
        drop(locked);
        if !report.pages.added.is_empty() || !report.pages.changed.is_empty() {
            report.pages.index = Some(self.reindex_waiting()?);
        }
        Ok(report)
    }
}

/// What is remembered of each feed of the list, for `feeds list`.
pub fn feeds_info(state_dir: &Path, feeds: &[String]) -> Result<Vec<FeedInfo>, StateError> {
    let records: FeedsState = Locked::peek(state_dir, FEEDS_STATE)?;
    Ok(feeds
        .iter()
        .map(|f| FeedInfo {
            feed: f.clone(),
            record: records.get(f).cloned().unwrap_or_default(),
        })
        .collect())
}

/// An item's page: its first link (an alternate one when marked), else its id when that is
/// a URL; resolved against the feed's URL; http or https only.
fn item_link(entry: &feed_rs::model::Entry, feed_url: &url::Url) -> Option<url::Url> {
    let href = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| entry.links.first())
        .map(|l| l.href.as_str())
        .or_else(|| entry.id.starts_with("http").then_some(entry.id.as_str()))?;
    let u = feed_url.join(href.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_keeps_comments_and_refuses_what_is_not_a_feed_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feeds.txt");
        assert_eq!(read_list(&path).unwrap(), Vec::<String>::new());
        assert!(add_to_list(&path, "https://example.org/rss.xml").unwrap());
        assert!(
            !add_to_list(&path, "http://www.example.org/rss.xml").unwrap(),
            "the same feed"
        );
        assert!(add_to_list(&path, "https://example.net/atom").unwrap());
        assert!(matches!(
            add_to_list(&path, "ftp://example.org/x"),
            Err(FeedListError::BadUrl(_))
        ));
        assert!(matches!(
            add_to_list(&path, "not a url"),
            Err(FeedListError::BadUrl(_))
        ));
        fs::write(
            &path,
            fs::read_to_string(&path).unwrap() + "# Sahel\nhttps://example.com/feed.json # JSON\n",
        )
        .unwrap();
        assert_eq!(read_list(&path).unwrap().len(), 3);
        assert!(remove_from_list(&path, "https://example.org/rss.xml").unwrap());
        assert!(!remove_from_list(&path, "https://example.org/rss.xml").unwrap());
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# Sahel") && text.starts_with("# kiosque's feeds"),
            "{text}"
        );
        assert_eq!(
            read_list(&path).unwrap(),
            vec!["https://example.net/atom", "https://example.com/feed.json"]
        );
    }

    #[test]
    fn failures_push_the_next_try_later_and_later() {
        let now = Utc::now();
        let mut r = FeedRecord::default();
        assert!(r.due(now));
        r.failed("HTTP 500".into(), now);
        let first = DateTime::parse_from_rfc3339(r.next_try.as_deref().unwrap()).unwrap();
        assert!(!r.due(now));
        r.failed("HTTP 500".into(), now);
        let second = DateTime::parse_from_rfc3339(r.next_try.as_deref().unwrap()).unwrap();
        assert!(second > first);
        for _ in 0..40 {
            r.failed("HTTP 500".into(), now);
        }
        let last = DateTime::parse_from_rfc3339(r.next_try.as_deref().unwrap()).unwrap();
        assert!(last.signed_duration_since(now).num_seconds() <= MAX_BACKOFF_S);
        assert!(r.due(now + chrono::Duration::seconds(MAX_BACKOFF_S + 1)));
    }

    #[test]
    fn passing_failures_are_told_from_lasting_ones() {
        use super::super::Failed;
        use crate::web::FetchError;
        assert!(Failed::from(FetchError::Timeout(10)).may_pass);
        assert!(Failed::from(FetchError::Network("reset".into())).may_pass);
        assert!(Failed::from(FetchError::Status(503)).may_pass);
        assert!(!Failed::from(FetchError::Robots).may_pass);
        assert!(!Failed::from(FetchError::Refused("x".into())).may_pass);
        assert!(!Failed::from(FetchError::TooLarge(5)).may_pass);
    }

    #[test]
    fn seen_items_are_capped_oldest_first() {
        let mut r = FeedRecord::default();
        let keys: Vec<String> = (0..MAX_SEEN + 10).map(|i| format!("k{i}")).collect();
        r.see(&keys);
        assert_eq!(r.seen.len(), MAX_SEEN);
        assert!(!r.has_seen("k0") && r.has_seen(&format!("k{}", MAX_SEEN + 9)));
    }
}
