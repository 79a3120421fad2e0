//! Articles from the web into the corpus: each URL fetched through the [`Fetch`] seam the
//! caller hands in, its article extracted, matched against what was fetched before (by the
//! key its URL's variants share, then by its text), written whole as Markdown with front
//! matter under `web/<host>/` in the corpus, and the index brought up to date. What was
//! fetched is remembered in the state directory ([`state`]), so the same article is one
//! file however it is reached, and a file a person deleted is not brought back by a feed.

pub(crate) mod feeds;
pub(crate) mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use url::Url;

use super::{quiet, BuildReport, Engine, Progress, ReindexError};
use crate::articles::front_matter;
use crate::lang::Lang;
use crate::web::{self, charset, urls, Extracted, Fetch, Fetched, Validators, Want};
pub use feeds::{FeedInfo, FeedListError, FeedOutcome, FeedRecord, FeedStatus, PollReport};
use state::{write_atomic, Locked, Record};
pub use state::{StateError, WebState};

/// The directory of fetched articles, in the corpus.
pub const WEB_DIR: &str = "web";

/// An article saved (or found unchanged), as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    /// The URL as it was asked for.
    pub url: String,
    /// Its id in the index (`web/host/slug`).
    pub article: String,
    pub title: String,
    /// Its file (the corpus directory joined with `web/host/slug.md`).
    pub path: String,
}

/// A URL that gave no article, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotSaved {
    pub url: String,
    pub reason: String,
}

/// What `kiosque add` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AddReport {
    pub added: Vec<Saved>,
    pub changed: Vec<Saved>,
    pub unchanged: Vec<Saved>,
    pub failed: Vec<NotSaved>,
    /// The index's refresh, when something was written.
    #[serde(skip)]
    pub index: Option<BuildReport>,
}

impl AddReport {
    /// Whether every URL gave an article (added, changed or unchanged).
    pub fn all_saved(&self) -> bool {
        self.failed.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Reindex(#[from] ReindexError),
    #[error(transparent)]
    FeedList(#[from] FeedListError),
    #[error("this process fetches no news: it was started without a fetcher")]
    NoNews,
}

/// Where news come from and where what is known of them is kept: the fetcher, the state
/// directory and the feed list. An outside service like the others, handed to the engine in
/// its [`Services`](crate::engine::Services); front ends go through [`Engine::add`],
/// [`Engine::poll`], [`Engine::feeds`], [`Engine::follow`] and [`Engine::unfollow`].
#[derive(Clone)]
pub struct Newsroom {
    pub fetch: Arc<dyn Fetch>,
    /// The state directory (`.kiosque/`).
    pub state: PathBuf,
    /// The feed list (`feeds.txt`).
    pub feeds: PathBuf,
}

impl std::fmt::Debug for Newsroom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Newsroom")
            .field("state", &self.state)
            .field("feeds", &self.feeds)
            .finish()
    }
}

impl Engine {
    fn newsroom(&self) -> Result<&Newsroom, AddError> {
        self.services.news.as_ref().ok_or(AddError::NoNews)
    }

    /// Fetches each URL, saves its article in the corpus and brings the index up to date.
    /// A URL that fails is reported with its reason; the others are saved all the same.
    /// `progress` is told (URLs done, URLs in all). Blocking: run it off the async threads.
    pub fn add(&self, urls: &[String], progress: Progress) -> Result<AddReport, AddError> {
        let news = self.newsroom()?;
        self.add_from(&*news.fetch, &news.state, urls, progress)
    }

    /// One round over the feed list: every feed, or with `due_only` those not waiting after
    /// failures (the bot's rounds). Blocking: run it off the async threads.
    pub fn poll(&self, due_only: bool, progress: Progress) -> Result<PollReport, AddError> {
        let news = self.newsroom()?;
        let feeds = feeds::read_list(&news.feeds)?;
        self.poll_feeds(&*news.fetch, &news.state, &feeds, due_only, progress)
    }

    /// The feeds of the list with what is remembered of each.
    pub fn feeds(&self) -> Result<Vec<FeedInfo>, AddError> {
        let news = self.newsroom()?;
        let feeds = feeds::read_list(&news.feeds)?;
        Ok(feeds::feeds_info(&news.state, &feeds)?)
    }

    /// Adds a feed to the list; false when it was there.
    pub fn follow(&self, url: &str) -> Result<bool, AddError> {
        Ok(feeds::add_to_list(&self.newsroom()?.feeds, url)?)
    }

    /// Removes a feed from the list; false when it was not there.
    pub fn unfollow(&self, url: &str) -> Result<bool, AddError> {
        Ok(feeds::remove_from_list(&self.newsroom()?.feeds, url)?)
    }

    /// Whether this engine fetches news (it was handed a [`Newsroom`]).
    pub fn has_news(&self) -> bool {
        self.services.news.is_some()
    }

    /// The feed list's file, for messages; None without the news service.
    pub fn feed_list(&self) -> Option<&std::path::Path> {
        self.services.news.as_ref().map(|n| n.feeds.as_path())
    }
}

/// Who asked for a URL: a person (an article they deleted comes back, since they ask for
/// it) or a feed (it does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Person,
    Feed,
}

/// Why a URL gave no article: the reason reports show, and whether it may pass (the
/// network, the server) rather than say what the page is (too short, not an article,
/// refused), so that a feed's item is tried again.
#[derive(Debug)]
pub(crate) struct Failed {
    pub reason: String,
    pub may_pass: bool,
}

impl Failed {
    fn lasting(reason: impl Into<String>) -> Failed {
        Failed {
            reason: reason.into(),
            may_pass: false,
        }
    }
}

impl From<web::FetchError> for Failed {
    fn from(e: web::FetchError) -> Failed {
        use web::FetchError::{Network, Status, Timeout};
        Failed {
            may_pass: matches!(e, Timeout(_) | Network(_) | Status(_)),
            reason: e.to_string(),
        }
    }
}

/// What became of one URL.
#[derive(Debug)]
pub(crate) enum Done {
    Added(Saved),
    Changed(Saved),
    Unchanged(Saved),
    /// Known, and its file was deleted by a person: left alone.
    Deleted,
}

/// How long a reindex running elsewhere (the watcher, another process) is waited for.
const REINDEX_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

impl Engine {
    /// [`Engine::add`] with this fetcher and state directory.
    pub(crate) fn add_from(
        &self,
        fetch: &dyn Fetch,
        state_dir: &Path,
        urls: &[String],
        progress: Progress,
    ) -> Result<AddReport, AddError> {
        let locked = Locked::take(state_dir)?;
        let mut state = locked.load()?;
        let mut report = AddReport::default();
        for (i, asked) in urls.iter().enumerate() {
            progress(i, urls.len());
            match self.add_one(fetch, &mut state, asked, Origin::Person) {
                Ok(done) => {
                    // each article's record is saved as soon as its file is written
                    locked.save(&state)?;
                    match done {
                        Done::Added(s) => report.added.push(s),
                        Done::Changed(s) => report.changed.push(s),
                        Done::Unchanged(s) => report.unchanged.push(s),
                        Done::Deleted => {}
                    }
                }
                Err(failed) => report.failed.push(NotSaved {
                    url: asked.clone(),
                    reason: failed.reason,
                }),
            }
        }
        progress(urls.len(), urls.len());
        drop(locked);
        if !report.added.is_empty() || !report.changed.is_empty() {
            report.index = Some(self.reindex_waiting()?);
        }
        Ok(report)
    }

    /// [`Engine::reindex`], waiting for one already running (the watcher saw the new files
    /// first, or another process is building).
    fn reindex_waiting(&self) -> Result<BuildReport, ReindexError> {
        let started = std::time::Instant::now();
        loop {
            match self.reindex(false, &quiet) {
                Err(ReindexError::Running) if started.elapsed() < REINDEX_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// Fetches one URL and saves its article.
    pub(crate) fn add_one(
        &self,
        fetch: &dyn Fetch,
        state: &mut WebState,
        asked: &str,
        origin: Origin,
    ) -> Result<Done, Failed> {
        let url =
            Url::parse(asked.trim()).map_err(|e| Failed::lasting(format!("not a URL ({e})")))?;
        let asked_key = urls::key(&url);
        if origin == Origin::Feed {
            if let Some((_, r)) = state.find(&asked_key) {
                if !self.corpus_dir.join(&r.path).exists() {
                    return Ok(Done::Deleted);
                }
            }
        }
        // tracking parameters and the fragment are not sent: they track, they do not choose
        // the page
        let body = match fetch.fetch(
            urls::clean(&url).as_str(),
            Want::Page,
            &Validators::default(),
        ) {
            Ok(Fetched::Body(body)) => body,
            Ok(Fetched::NotModified) => {
                return Err(Failed::lasting(
                    "the server answered 304 Not Modified to a plain request",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        let (html, _) =
            charset::decode_html(&body.bytes, body.charset.as_deref()).map_err(Failed::lasting)?;
        let page = web::extract(&html, &body.url).map_err(|e| Failed::lasting(e.to_string()))?;
        // a page names its canonical URL on its own site only (an AMP page its article's)
        let canonical = page
            .canonical
            .clone()
            .filter(|c| urls::host_dir(c) == urls::host_dir(&body.url))
            .unwrap_or_else(|| body.url.clone());
        let saved_url = urls::clean(&canonical);
        let key = urls::key(&saved_url);
        let hash = text_hash(&page.text);
        let keys = [asked_key, urls::key(&body.url), key.clone()];
        let known = keys
            .iter()
            .find_map(|k| state.find(k))
            .or_else(|| state.with_hash(&hash))
            .map(|(k, r)| (k.to_string(), r.clone()));
        let fetched = now_rfc3339();
        let (key, rel, done): (String, String, fn(Saved) -> Done) = match known {
            Some((k, r)) => {
                let exists = self.corpus_dir.join(&r.path).exists();
                if !exists && origin == Origin::Feed {
                    return Ok(Done::Deleted);
                }
                for alias in &keys {
                    state.alias(alias, &k);
                }
                if exists && r.hash == hash {
                    return Ok(Done::Unchanged(self.saved(asked, &r.path, &r.title)));
                }
                (k, r.path, if exists { Done::Changed } else { Done::Added })
            }
            None => {
                let rel = self.free_path(state, &saved_url, &page.title);
                for alias in &keys {
                    state.alias(alias, &key);
                }
                (key, rel, Done::Added)
            }
        };
        let text = markdown(&page, saved_url.as_str(), &fetched);
        let path = self.corpus_dir.join(&rel);
        write_atomic(&path, text.as_bytes())
            .map_err(|e| Failed::lasting(format!("cannot write {}: {e}", path.display())))?;
        state.articles.insert(
            key,
            Record {
                url: saved_url.to_string(),
                path: rel.clone(),
                title: page.title.clone(),
                hash,
                fetched,
            },
        );
        Ok(done(self.saved(asked, &rel, &page.title)))
    }

    fn saved(&self, asked: &str, rel: &str, title: &str) -> Saved {
        Saved {
            url: asked.to_string(),
            article: rel.strip_suffix(".md").unwrap_or(rel).to_string(),
            title: title.to_string(),
            path: self.corpus_dir.join(rel).display().to_string(),
        }
    }

    /// A file for a new article: `web/<host>/<slug>.md`, with `-2`, `-3`… when the name is
    /// taken by another article or by a file a person put there.
    fn free_path(&self, state: &WebState, url: &Url, title: &str) -> String {
        let dir = format!("{WEB_DIR}/{}", urls::host_dir(url));
        let slug = urls::slug(url, title);
        (1..)
            .map(|n| match n {
                1 => format!("{dir}/{slug}.md"),
                n => format!("{dir}/{slug}-{n}.md"),
            })
            .find(|rel| !state.has_path(rel) && !self.corpus_dir.join(rel).exists())
            .unwrap_or_else(|| format!("{dir}/{slug}.md")) // (1..) is endless: never reached
    }
}

/// The hash of an article's text, its spacing aside.
fn text_hash(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(words.join(" ").as_bytes())
    )
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The file kiosque writes for an article: front matter (title, url, date, author, lang,
/// site, fetched), then its text.
pub(crate) fn markdown(page: &Extracted, url: &str, fetched: &str) -> String {
    // only a language kiosque reads: another is told from the text
    let lang = page
        .lang
        .as_deref()
        .and_then(|l| l.split(['-', '_']).next())
        .and_then(Lang::parse);
    let mut fields = vec![("title", page.title.as_str()), ("url", url)];
    if let Some(d) = &page.date {
        fields.push(("date", d));
    }
    if let Some(a) = &page.author {
        fields.push(("author", a));
    }
    if let Some(l) = lang {
        fields.push(("lang", l.code()));
    }
    if let Some(s) = &page.site {
        fields.push(("site", s));
    }
    fields.push(("fetched", fetched));
    front_matter::write(&fields, &page.text)
}
