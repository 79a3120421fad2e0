//! robots.txt: where a site's rules are (one per origin), what an answer to robots.txt means
//! (2xx: its rules, 4xx: everything allowed, anything else: unavailable, and the page is not
//! fetched), and the rules kept per origin so each is fetched once per fetcher. The fetching
//! itself goes through the fetcher's guard and pacing (`super::HttpFetcher`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use texting_robots::Robot;
use url::Url;

/// The token kiosque looks for in `User-agent:` lines.
pub const AGENT: &str = "kiosque";

/// The most of a robots.txt read; the rest is ignored (as Google does past 500 KiB).
pub const MAX_BYTES: u64 = 512 * 1024;

/// The longest Crawl-delay honoured: a site asking for more still gets a request a minute.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// A site's rules for kiosque.
pub enum Rules {
    /// No robots.txt (4xx), or one that does not parse.
    AllowAll,
    Parsed(Box<Robot>),
}

impl Rules {
    /// What an answer to robots.txt means: `Ok` with the rules for 2xx and 4xx, `Err` with
    /// why it is unavailable for anything else, and for 429 (the site asks to slow down,
    /// which is no permission).
    pub fn from_answer(status: u16, body: &[u8]) -> Result<Rules, String> {
        match status {
            200..=299 => Ok(match Robot::new(AGENT, body) {
                Ok(robot) => Rules::Parsed(Box::new(robot)),
                Err(e) => {
                    tracing::debug!("robots.txt does not parse, everything allowed: {e}");
                    Rules::AllowAll
                }
            }),
            400..=499 if status != 429 => Ok(Rules::AllowAll),
            _ => Err(format!("robots.txt unavailable (HTTP {status})")),
        }
    }

    /// The site's Crawl-delay for kiosque, at most [`MAX_DELAY`].
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Rules::AllowAll => None,
            Rules::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(MAX_DELAY.as_secs_f32()))),
        }
    }

    pub fn allows(&self, url: &Url) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::Parsed(robot) => robot.allowed(url.as_str()),
        }
    }
}

/// The origin a URL's robots.txt covers: scheme, host and port.
pub fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// Where a URL's robots.txt is.
pub fn robots_url(url: &Url) -> Url {
    let mut robots = url.clone();
    robots.set_path("/robots.txt");
    robots.set_query(None);
    robots.set_fragment(None);
    // Credentials are not sent for robots.txt; clearing them cannot fail on http(s) URLs
    // with a host, and a failure would only leave them in.
    let _ = robots.set_username("");
    let _ = robots.set_password(None);
    robots
}

/// The rules known, per origin. Unavailable robots.txt files are not kept: they are asked
/// again next time.
#[derive(Default)]
pub struct Cache {
    rules: Mutex<HashMap<String, (Instant, Arc<Rules>)>>,
}

/// How long a site's robots.txt is kept before it is asked again: a day, as crawlers do.
pub const KEEP: Duration = Duration::from_secs(24 * 3600);

impl Cache {
    /// The rules of an origin, unless they are older than [`KEEP`].
    pub fn get(&self, origin: &str) -> Option<Arc<Rules>> {
        self.get_at(origin, Instant::now())
    }

    fn get_at(&self, origin: &str, now: Instant) -> Option<Arc<Rules>> {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(origin)
            .filter(|(at, _)| now.saturating_duration_since(*at) < KEEP)
            .map(|(_, r)| Arc::clone(r))
    }

    pub fn insert(&self, origin: String, rules: Rules) -> Arc<Rules> {
        let rules = Arc::new(rules);
        let mut map = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 4096 {
            map.clear();
        }
        map.insert(origin, (Instant::now(), Arc::clone(&rules)));
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crawl_delays_are_read_and_capped() {
        let slow = Rules::from_answer(200, b"User-agent: *\nCrawl-delay: 2.5\n").unwrap();
        assert_eq!(slow.delay(), Some(Duration::from_millis(2500)));
        let greedy = Rules::from_answer(200, b"User-agent: *\nCrawl-delay: 86400\n").unwrap();
        assert_eq!(greedy.delay(), Some(MAX_DELAY));
        assert_eq!(Rules::AllowAll.delay(), None);
        let none = Rules::from_answer(200, b"User-agent: *\nDisallow: /x\n").unwrap();
        assert_eq!(none.delay(), None);
    }

    #[test]
    fn rules_are_asked_again_after_a_day() {
        let cache = Cache::default();
        let origin = "https://example.org".to_string();
        let rules = Rules::from_answer(200, b"User-agent: *\nDisallow: /x\n").unwrap();
        cache.insert(origin.clone(), rules);
        assert!(cache.get(&origin).is_some());
        let later = Instant::now() + KEEP + Duration::from_secs(1);
        assert!(cache.get_at(&origin, later).is_none());
    }

    #[test]
    fn answers_mean_rules_everything_or_unavailable() {
        let url = Url::parse("https://example.org/private/a").unwrap();
        let rules = Rules::from_answer(200, b"User-agent: kiosque\nDisallow: /private\n").unwrap();
        assert!(!rules.allows(&url));
        assert!(rules.allows(&Url::parse("https://example.org/public").unwrap()));
        let others = Rules::from_answer(200, b"User-agent: other\nDisallow: /\n").unwrap();
        assert!(others.allows(&url));
        assert!(Rules::from_answer(404, b"").unwrap().allows(&url));
        assert!(Rules::from_answer(410, b"Disallow: /")
            .unwrap()
            .allows(&url));
        assert!(Rules::from_answer(429, b"").is_err());
        assert_eq!(
            Rules::from_answer(503, b"").err().as_deref(),
            Some("robots.txt unavailable (HTTP 503)")
        );
    }

    #[test]
    fn origins_and_robots_urls() {
        let url = Url::parse("https://user:pw@Example.org/a/b?q=1#f").unwrap();
        assert_eq!(origin(&url), "https://example.org:443");
        assert_eq!(robots_url(&url).as_str(), "https://example.org/robots.txt");
        let url = Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert_eq!(origin(&url), "http://127.0.0.1:8080");
        assert_eq!(
            robots_url(&url).as_str(),
            "http://127.0.0.1:8080/robots.txt"
        );
    }
}
