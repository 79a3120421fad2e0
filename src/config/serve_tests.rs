//! `kiosque serve`'s and `kiosque serve-http`'s settings: each setting's check, its error,
//! and who may run admin commands.

use std::time::Duration;

use clap::Parser;

#[cfg(feature = "interactions")]
use super::super::EndpointArgs;
use super::super::{Command, Config, ConfigError};
use super::*;

/// `kiosque serve`'s settings given as these (variable, value) pairs, as flags (which win
/// over the environment the tests run in).
fn parse_serve(pairs: &[(&str, &str)]) -> Result<ServeArgs, String> {
    let flag = |key: &str| match key {
        "DISCORD_TOKEN" => "--token",
        "DISCORD_GUILD_ID" => "--guild-id",
        "KIOSQUE_ADMIN_ROLE_IDS" => "--admin-role-ids",
        "KIOSQUE_ADMIN_USER_IDS" => "--admin-user-ids",
        "DISCORD_API_BASE" => "--api-base",
        "KIOSQUE_WATCH" => "--watch",
        "KIOSQUE_PROGRESS_SECONDS" => "--progress-seconds",
        "KIOSQUE_FEEDS_EVERY" => "--feeds-every",
        other => panic!("no flag for {other}"),
    };
    let mut args = vec!["kiosque".to_string(), "serve".to_string()];
    for (k, v) in pairs {
        args.push(format!("{}={v}", flag(k)));
    }
    match Config::try_parse_from(args) {
        Ok(Config {
            command: Command::Serve(s),
            ..
        }) => Ok(s),
        Ok(_) => Err("not serve".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn serve(pairs: &[(&str, &str)]) -> ServeArgs {
    parse_serve(pairs).unwrap()
}

#[test]
fn token_is_required_and_hidden() {
    assert_eq!(
        serve(&[]).check().unwrap_err(),
        ConfigError::Missing("DISCORD_TOKEN")
    );
    assert_eq!(
        serve(&[("DISCORD_TOKEN", "  ")]).check().unwrap_err(),
        ConfigError::Missing("DISCORD_TOKEN")
    );
    let args = serve(&[("DISCORD_TOKEN", "abc.def.ghi"), ("DISCORD_GUILD_ID", "")]);
    assert!(!format!("{args:?}").contains("abc.def.ghi"));
    let c = args.check().unwrap();
    assert_eq!(c.token.expose(), "abc.def.ghi");
    let debug = format!("{c:?}");
    assert!(!debug.contains("abc.def.ghi"), "{debug}");
    assert!(debug.contains("Secret(***)"));
    assert_eq!(c.guild_id, None, "empty is unset, as in .env.example");
    assert!(c.watch, "watching is on by default");
    assert_eq!(c.progress_every, Duration::from_secs(3));
    assert!(ConfigError::Missing("DISCORD_TOKEN")
        .to_string()
        .contains(".env.example"));
}

#[test]
fn ids_and_urls_are_checked() {
    let c = serve(&[
        ("DISCORD_TOKEN", "t"),
        ("DISCORD_GUILD_ID", "123"),
        ("KIOSQUE_ADMIN_ROLE_IDS", "1, 2,3"),
        ("KIOSQUE_ADMIN_USER_IDS", "9"),
        ("DISCORD_API_BASE", "http://127.0.0.1:8080/"),
        ("KIOSQUE_PROGRESS_SECONDS", "0.5"),
    ])
    .check()
    .unwrap();
    assert_eq!(c.guild_id, Some(123));
    assert_eq!(c.admin_role_ids, vec![1, 2, 3]);
    assert_eq!(c.admin_user_ids, vec![9]);
    assert_eq!(c.api_base.as_deref(), Some("http://127.0.0.1:8080"));
    assert_eq!(c.progress_every, Duration::from_millis(500));
    assert_eq!(
        c.feeds_every,
        Some(Duration::from_secs(900)),
        "every 15 minutes"
    );
    let off = serve(&[
        ("DISCORD_TOKEN", "t"),
        ("KIOSQUE_WATCH", "off"),
        ("KIOSQUE_FEEDS_EVERY", "off"),
    ])
    .check()
    .unwrap();
    assert!(!off.watch);
    assert_eq!(off.feeds_every, None);
    for (v, secs) in [
        ("90s", 90),
        ("5m", 300),
        ("1h", 3600),
        ("600", 600),
        (" 2 min", 120),
    ] {
        let c = serve(&[("DISCORD_TOKEN", "t"), ("KIOSQUE_FEEDS_EVERY", v)]);
        assert_eq!(
            c.check().unwrap().feeds_every,
            Some(Duration::from_secs(secs)),
            "{v}"
        );
    }
    // empty values, as a copied .env.example has, are the defaults
    let empty = serve(&[
        ("DISCORD_TOKEN", "t"),
        ("KIOSQUE_WATCH", ""),
        ("KIOSQUE_PROGRESS_SECONDS", " "),
        ("KIOSQUE_FEEDS_EVERY", ""),
        ("KIOSQUE_ADMIN_ROLE_IDS", ""),
        ("DISCORD_API_BASE", ""),
    ])
    .check()
    .unwrap();
    assert!(empty.watch);
    assert_eq!(empty.progress_every, Duration::from_secs(3));
    assert_eq!(empty.feeds_every, Some(Duration::from_secs(900)));
    assert!(empty.admin_role_ids.is_empty() && empty.api_base.is_none());
    // a wrong value is refused when the settings are read, with its name
    for (key, bad) in [
        ("KIOSQUE_WATCH", "sometimes"),
        ("DISCORD_GUILD_ID", "abc"),
        ("DISCORD_GUILD_ID", "0"),
        ("KIOSQUE_ADMIN_ROLE_IDS", "1,x"),
        ("DISCORD_API_BASE", "ftp://x"),
        ("KIOSQUE_PROGRESS_SECONDS", "-1"),
        ("KIOSQUE_FEEDS_EVERY", "1s"),
        ("KIOSQUE_FEEDS_EVERY", "often"),
        ("KIOSQUE_FEEDS_EVERY", "3d"),
    ] {
        let e = parse_serve(&[("DISCORD_TOKEN", "t"), (key, bad)]).unwrap_err();
        assert!(
            e.contains(&format!("Invalid {key}")) && e.contains(".env.example"),
            "{key}={bad}: {e}"
        );
    }
}

#[test]
fn who_may_reindex() {
    let c = serve(&[
        ("DISCORD_TOKEN", "t"),
        ("KIOSQUE_ADMIN_ROLE_IDS", "77"),
        ("KIOSQUE_ADMIN_USER_IDS", "5"),
    ])
    .check()
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

#[cfg(feature = "interactions")]
#[test]
fn the_endpoint_needs_its_key_and_application() {
    let parse = |args: &[&str]| {
        let mut all = vec!["kiosque", "serve-http"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).map(|c| match c.command {
            Command::ServeHttp(a) => a,
            other => panic!("{other:?}"),
        })
    };
    let key = "ab".repeat(32);
    let ok = parse(&[
        "--public-key",
        &key,
        "--application-id",
        "42",
        "--listen",
        "127.0.0.2:9000",
    ])
    .unwrap()
    .check()
    .unwrap();
    assert_eq!(ok.public_key, [0xab; 32]);
    assert_eq!(ok.application_id, 42);
    assert_eq!(ok.listen.to_string(), "127.0.0.2:9000");
    // the variables of the environment the tests run in may be set: flags are given
    let upper = parse(&[
        "--public-key",
        &key.to_uppercase(),
        "--application-id",
        "42",
    ])
    .unwrap();
    assert_eq!(upper.public_key.unwrap().0, [0xab; 32]);
    for bad in ["ab", "zz".repeat(32).as_str(), &format!("{key}00")] {
        let e = parse(&["--public-key", bad, "--application-id", "42"]).unwrap_err();
        assert!(e.to_string().contains("Invalid DISCORD_PUBLIC_KEY"), "{e}");
    }
    let e = parse(&["--public-key", &key, "--application-id", "x"]).unwrap_err();
    assert!(
        e.to_string().contains("Invalid DISCORD_APPLICATION_ID"),
        "{e}"
    );
    assert!(parse(&["--listen", "nowhere"]).is_err());
    let missing = EndpointArgs {
        public_key: None,
        ..parse(&["--public-key", &key, "--application-id", "42"]).unwrap()
    };
    assert_eq!(
        missing.check().unwrap_err(),
        ConfigError::Missing("DISCORD_PUBLIC_KEY")
    );
}
