//! `kiosque serve`'s Discord settings: each parsed into its type when clap reads it, so a
//! wrong value is refused with the setting's name, then checked once more into [`Discord`]
//! when the bot starts.

use std::time::Duration;

use clap::Args;

use super::{ConfigError, Secret};

/// `kiosque serve`'s settings as clap read them (flags, environment, `.env`), each parsed
/// into its type when read; an empty value, as a copied `.env.example` has, is the default.
/// A wrong value is refused by clap with the setting's name; the token, which has no default,
/// is checked by [`ServeArgs::check`], which makes them [`Discord`].
#[derive(Clone, Args)]
pub struct ServeArgs {
    /// The bot's token (Discord Developer Portal > Bot > Reset Token)
    #[arg(long, env = "DISCORD_TOKEN", hide_env_values = true, value_parser = Secret::parse)]
    pub token: Option<Secret>,
    /// Register the commands in this server (guild) at start, instantly; globally without it
    #[arg(long, env = "DISCORD_GUILD_ID", default_value = "", hide_default_value = true, value_parser = guild_id)]
    pub guild_id: GuildSetting,
    /// Comma-separated role ids whose members may run /reindex
    #[arg(long, env = "KIOSQUE_ADMIN_ROLE_IDS", default_value = "", hide_default_value = true, value_parser = role_ids)]
    pub admin_role_ids: Ids,
    /// Comma-separated user ids who may run /reindex
    #[arg(long, env = "KIOSQUE_ADMIN_USER_IDS", default_value = "", hide_default_value = true, value_parser = user_ids)]
    pub admin_user_ids: Ids,
    /// Base URL for every Discord HTTP call (a proxy, or a fake Discord in tests)
    #[arg(long, env = "DISCORD_API_BASE", default_value = "", hide_default_value = true, value_parser = api_base)]
    pub api_base: ApiBase,
    /// Reindex by itself when the corpus directory changes: on or off
    #[arg(long, env = "KIOSQUE_WATCH", default_value = "on", action = clap::ArgAction::Set, value_parser = watch)]
    pub watch: bool,
    /// How often a long /reindex edits its reply with its progress, in seconds
    #[arg(long, env = "KIOSQUE_PROGRESS_SECONDS", default_value = "3", value_parser = progress_seconds)]
    pub progress_seconds: Duration,
    /// How often the feeds of feeds.txt are polled: `15m`, `1h`, `90s`, or `off`
    #[arg(long, env = "KIOSQUE_FEEDS_EVERY", default_value = "15m", value_parser = feeds_every)]
    pub feeds_every: Every,
    /// With NATS: the gateway for mentions and direct messages, one process at a time (the
    /// others stand by), answering from the writer's generations
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    pub cluster: super::NatsArgs,
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("guild_id", &self.guild_id)
            .finish_non_exhaustive()
    }
}

/// The server to register the commands in, or none (globally).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuildSetting(pub Option<u64>);

/// A list of Discord ids (empty when unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids(pub Vec<u64>);

/// The Discord API's base URL without its trailing `/`, or none (Discord itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase(pub Option<String>);

/// How often something runs: every this long, or never (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Option<Duration>);

/// A setting's parse error as the settings say it: "Invalid KEY: why (see .env.example)".
pub(super) fn invalid(key: &'static str, why: String) -> String {
    ConfigError::Invalid(key, why).to_string()
}

pub(super) fn id(key: &'static str, value: &str) -> Result<u64, String> {
    value
        .parse::<u64>()
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| invalid(key, format!("{value:?} is not a Discord id (a number)")))
}

fn guild_id(value: &str) -> Result<GuildSetting, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(GuildSetting(None));
    }
    id("DISCORD_GUILD_ID", v).map(|g| GuildSetting(Some(g)))
}

fn ids(key: &'static str, value: &str) -> Result<Ids, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| id(key, s))
        .collect::<Result<Vec<_>, _>>()
        .map(Ids)
}

fn role_ids(value: &str) -> Result<Ids, String> {
    ids("KIOSQUE_ADMIN_ROLE_IDS", value)
}

fn user_ids(value: &str) -> Result<Ids, String> {
    ids("KIOSQUE_ADMIN_USER_IDS", value)
}

pub(super) fn api_base(value: &str) -> Result<ApiBase, String> {
    let v = value.trim().trim_end_matches('/');
    if v.is_empty() {
        return Ok(ApiBase(None));
    }
    if !(v.starts_with("http://") || v.starts_with("https://")) {
        return Err(invalid(
            "DISCORD_API_BASE",
            format!("{v:?} is not an http:// or https:// URL"),
        ));
    }
    Ok(ApiBase(Some(v.to_string())))
}

pub(super) fn watch(value: &str) -> Result<bool, String> {
    match value.trim().to_lowercase().as_str() {
        "" | "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        v => Err(invalid("KIOSQUE_WATCH", format!("{v:?} is not on or off"))),
    }
}

fn progress_seconds(value: &str) -> Result<Duration, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(Duration::from_secs(3));
    }
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            invalid(
                "KIOSQUE_PROGRESS_SECONDS",
                format!("{v:?} is not a number of seconds"),
            )
        })
}

pub(super) fn feeds_every(value: &str) -> Result<Every, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(Every(Some(Duration::from_secs(15 * 60))));
    }
    if v.eq_ignore_ascii_case("off") {
        return Ok(Every(None));
    }
    parse_every(v).map(|d| Every(Some(d))).ok_or_else(|| {
        invalid(
            "KIOSQUE_FEEDS_EVERY",
            format!("{v:?} is not a duration such as 15m, 1h or 90s (at least 10s), or off"),
        )
    })
}

/// Everything `kiosque serve` needs from Discord's side, checked.
#[derive(Debug, Clone)]
pub struct Discord {
    pub token: Secret,
    /// Register the commands in this server at start (instant); globally without it.
    pub guild_id: Option<u64>,
    pub admin_role_ids: Vec<u64>,
    pub admin_user_ids: Vec<u64>,
    /// Base URL for every Discord HTTP call (a proxy, or a fake Discord in tests).
    pub api_base: Option<String>,
    /// Reindex by itself when the corpus directory changes.
    pub watch: bool,
    /// How often a long reindex edits its reply with its progress.
    pub progress_every: Duration,
    /// How often the feeds are polled; none: never by the bot.
    pub feeds_every: Option<Duration>,
}

impl ServeArgs {
    /// Checks the token (required, one word) and gives the settings as [`Discord`].
    pub fn check(&self) -> Result<Discord, ConfigError> {
        let token = self
            .token
            .as_ref()
            .map(|t| t.expose().trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::Missing("DISCORD_TOKEN"))?;
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::Invalid(
                "DISCORD_TOKEN",
                "it contains spaces or control characters".into(),
            ));
        }
        Ok(Discord {
            token: Secret(token),
            guild_id: self.guild_id.0,
            admin_role_ids: self.admin_role_ids.0.clone(),
            admin_user_ids: self.admin_user_ids.0.clone(),
            api_base: self.api_base.0.clone(),
            watch: self.watch,
            progress_every: self.progress_seconds,
            feeds_every: self.feeds_every.0,
        })
    }
}

impl Discord {
    /// Whether someone may run /reindex: Manage Server (or Administrator), a configured
    /// admin role, or a configured admin user.
    pub fn may_reindex(&self, permissions: u64, roles: &[u64], user: u64) -> bool {
        const ADMINISTRATOR: u64 = 1 << 3;
        const MANAGE_GUILD: u64 = 1 << 5;
        permissions & (ADMINISTRATOR | MANAGE_GUILD) != 0
            || roles.iter().any(|r| self.admin_role_ids.contains(r))
            || self.admin_user_ids.contains(&user)
    }
}

/// A duration as `90s`, `15m`, `1h` or a number of seconds; at least 10 s, at most a week.
fn parse_every(v: &str) -> Option<Duration> {
    let v = v.trim().to_lowercase();
    let (number, unit) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => v.split_at(i),
        None => (v.as_str(), "s"),
    };
    let unit = match unit.trim() {
        "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    let seconds = number.trim().parse::<f64>().ok()? * unit;
    (seconds.is_finite() && (10.0..=7.0 * 86_400.0).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

#[cfg(all(test, feature = "discord"))]
#[path = "serve_tests.rs"]
mod tests;
