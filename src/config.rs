//! The bot's settings, read from the environment (and `.env`, which the binary loads first):
//! which Discord token and server, who may reindex, where the corpus and index are. The token
//! never shows in a `Debug` or a log.

use std::path::PathBuf;

/// A secret string: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
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

/// Everything `kiosque serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Secret,
    /// Register the commands in this server at start (instant); globally without it.
    pub guild_id: Option<u64>,
    pub admin_role_ids: Vec<u64>,
    pub admin_user_ids: Vec<u64>,
    pub corpus: PathBuf,
    pub index: PathBuf,
    /// Base URL for every Discord HTTP call (a proxy, or a fake Discord in tests).
    pub api_base: Option<String>,
    /// Reindex by itself when the corpus directory changes (on unless KIOSQUE_WATCH is off).
    pub watch: bool,
}

impl Config {
    /// Reads the settings through `get` (the process environment in the binary).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let non_empty = |key: &str| {
            get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = non_empty("DISCORD_TOKEN").ok_or(ConfigError::Missing("DISCORD_TOKEN"))?;
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::Invalid(
                "DISCORD_TOKEN",
                "it contains spaces or control characters".into(),
            ));
        }
        let guild_id = match non_empty("DISCORD_GUILD_ID") {
            Some(v) => Some(parse_id("DISCORD_GUILD_ID", &v)?),
            None => None,
        };
        let ids = |key: &'static str| -> Result<Vec<u64>, ConfigError> {
            non_empty(key)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| parse_id(key, s))
                        .collect()
                })
                .unwrap_or(Ok(vec![]))
        };
        let api_base = match non_empty("DISCORD_API_BASE") {
            Some(v) => {
                let v = v.trim_end_matches('/').to_string();
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(ConfigError::Invalid(
                        "DISCORD_API_BASE",
                        format!("{v:?} is not an http:// or https:// URL"),
                    ));
                }
                Some(v)
            }
            None => None,
        };
        let watch = match non_empty("KIOSQUE_WATCH").map(|v| v.to_lowercase()) {
            None => true,
            Some(v) if matches!(v.as_str(), "1" | "true" | "on" | "yes") => true,
            Some(v) if matches!(v.as_str(), "0" | "false" | "off" | "no") => false,
            Some(v) => {
                return Err(ConfigError::Invalid(
                    "KIOSQUE_WATCH",
                    format!("{v:?} is not on or off"),
                ))
            }
        };
        Ok(Config {
            token: Secret(token),
            watch,
            guild_id,
            admin_role_ids: ids("KIOSQUE_ADMIN_ROLE_IDS")?,
            admin_user_ids: ids("KIOSQUE_ADMIN_USER_IDS")?,
            corpus: non_empty("KIOSQUE_CORPUS")
                .unwrap_or_else(|| "corpus".into())
                .into(),
            index: non_empty("KIOSQUE_INDEX")
                .unwrap_or_else(|| ".kiosque/index".into())
                .into(),
            api_base,
        })
    }

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

fn parse_id(key: &'static str, value: &str) -> Result<u64, ConfigError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| {
            ConfigError::Invalid(key, format!("{value:?} is not a Discord id (a number)"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn token_is_required_and_hidden() {
        assert_eq!(
            Config::from_env(env(&[])).unwrap_err(),
            ConfigError::Missing("DISCORD_TOKEN")
        );
        assert_eq!(
            Config::from_env(env(&[("DISCORD_TOKEN", "  ")])).unwrap_err(),
            ConfigError::Missing("DISCORD_TOKEN")
        );
        let c = Config::from_env(env(&[("DISCORD_TOKEN", "abc.def.ghi")])).unwrap();
        assert_eq!(c.token.expose(), "abc.def.ghi");
        let debug = format!("{c:?}");
        assert!(!debug.contains("abc.def.ghi"), "{debug}");
        assert!(debug.contains("Secret(***)"));
        assert_eq!(c.corpus, PathBuf::from("corpus"));
        assert_eq!(c.index, PathBuf::from(".kiosque/index"));
        assert_eq!(c.guild_id, None);
        assert!(c.watch, "watching is on by default");
        assert!(ConfigError::Missing("DISCORD_TOKEN")
            .to_string()
            .contains(".env.example"));
    }

    #[test]
    fn ids_and_urls_are_checked() {
        let c = Config::from_env(env(&[
            ("DISCORD_TOKEN", "t"),
            ("DISCORD_GUILD_ID", "123"),
            ("KIOSQUE_ADMIN_ROLE_IDS", "1, 2,3"),
            ("KIOSQUE_ADMIN_USER_IDS", "9"),
            ("DISCORD_API_BASE", "http://127.0.0.1:8080/"),
        ]))
        .unwrap();
        assert_eq!(c.guild_id, Some(123));
        assert_eq!(c.admin_role_ids, vec![1, 2, 3]);
        assert_eq!(c.admin_user_ids, vec![9]);
        assert_eq!(c.api_base.as_deref(), Some("http://127.0.0.1:8080"));
        let off = Config::from_env(env(&[("DISCORD_TOKEN", "t"), ("KIOSQUE_WATCH", "off")]));
        assert!(!off.unwrap().watch);
        let bad = Config::from_env(env(&[
            ("DISCORD_TOKEN", "t"),
            ("KIOSQUE_WATCH", "sometimes"),
        ]));
        assert!(matches!(bad, Err(ConfigError::Invalid("KIOSQUE_WATCH", _))));
        let bad = Config::from_env(env(&[("DISCORD_TOKEN", "t"), ("DISCORD_GUILD_ID", "abc")]));
        assert!(matches!(
            bad,
            Err(ConfigError::Invalid("DISCORD_GUILD_ID", _))
        ));
        let bad = Config::from_env(env(&[
            ("DISCORD_TOKEN", "t"),
            ("KIOSQUE_ADMIN_ROLE_IDS", "1,x"),
        ]));
        assert!(matches!(
            bad,
            Err(ConfigError::Invalid("KIOSQUE_ADMIN_ROLE_IDS", _))
        ));
        let bad = Config::from_env(env(&[
            ("DISCORD_TOKEN", "t"),
            ("DISCORD_API_BASE", "ftp://x"),
        ]));
        assert!(matches!(
            bad,
            Err(ConfigError::Invalid("DISCORD_API_BASE", _))
        ));
    }

    #[test]
    fn who_may_reindex() {
        let c = Config::from_env(env(&[
            ("DISCORD_TOKEN", "t"),
            ("KIOSQUE_ADMIN_ROLE_IDS", "77"),
            ("KIOSQUE_ADMIN_USER_IDS", "5"),
        ]))
        .unwrap();
        assert!(c.may_reindex(1 << 5, &[], 1), "Manage Server");
        assert!(c.may_reindex(1 << 3, &[], 1), "Administrator");
        assert!(c.may_reindex(0, &[1, 77], 1), "admin role");
        assert!(c.may_reindex(0, &[], 5), "admin user");
        assert!(
            !c.may_reindex(1 << 11, &[1], 2),
            "Send Messages is not enough"
        );
    }
}
