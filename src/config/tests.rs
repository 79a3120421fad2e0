//! The settings' tests: flags over the environment over defaults, and every check's error.

use std::time::Duration;

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
fn flags_come_first_then_defaults() {
    let c = Config::try_parse_from(["kiosque", "--corpus", "c", "ask", "qui", "?"]).unwrap();
    assert_eq!(c.corpus, PathBuf::from("c"));
    assert!(matches!(c.command, Command::Ask { top: 3, .. }));
    assert!(Config::try_parse_from(["kiosque", "ask", "--top", "11", "q"]).is_err());
    let off = Config::try_parse_from(["kiosque", "--dictionary", "OFF", "articles"]).unwrap();
    assert_eq!(off.dictionary, Resource::Off);
    let empty = Config::try_parse_from(["kiosque", "--thesaurus", " ", "articles"]).unwrap();
    assert_eq!(empty.thesaurus, Resource::Off, "empty is off");
    let at = Config::try_parse_from(["kiosque", "--dictionary", "/opt/dict", "articles"]).unwrap();
    assert_eq!(at.dictionary, Resource::At(PathBuf::from("/opt/dict")));
}

#[test]
fn embedding_settings_are_checked() {
    let parse = |args: &[&str]| {
        let mut all = vec!["kiosque"];
        all.extend_from_slice(args);
        all.push("articles");
        Config::try_parse_from(all).unwrap().embeddings()
    };
    assert_eq!(parse(&[]), Ok(None));
    assert_eq!(
        parse(&["--embeddings-url", " "]),
        Ok(None),
        "empty is unset"
    );
    let e = parse(&[
        "--embeddings-url",
        "http://127.0.0.1:8000/v1/",
        "--embeddings-key",
        "sk-secret",
        "--embeddings-style",
        "e5",
    ])
    .unwrap()
    .unwrap();
    assert_eq!(e.url, "http://127.0.0.1:8000/v1");
    assert_eq!(e.model, "multilingual-e5-small");
    assert_eq!(e.style, Some(Style::E5Prefix));
    assert!(!format!("{e:?}").contains("sk-secret"), "the key is hidden");
    for bad in [
        "ftp://x",
        "http://",
        "http:///v1",
        "127.0.0.1:8000",
        "http://a b",
    ] {
        assert!(
            matches!(
                parse(&["--embeddings-url", bad]),
                Err(ConfigError::Invalid("KIOSQUE_EMBEDDINGS_URL", _))
            ),
            "{bad}"
        );
    }
    // a style kiosque does not know is refused when the flags are read, with the ones it
    // knows
    let odd = Config::try_parse_from(["kiosque", "--embeddings-style", "odd", "articles"])
        .unwrap_err()
        .to_string();
    assert!(
        odd.contains("embeddings-style") && odd.contains("input-type"),
        "{odd}"
    );
    assert_eq!(
        parse(&["--embeddings-url", "http://h/v1", "--embeddings-model", " "]),
        Err(ConfigError::Missing("KIOSQUE_EMBEDDINGS_MODEL"))
    );
}

#[test]
fn rerank_settings_are_checked() {
    let parse = |args: &[&str]| {
        let mut all = vec!["kiosque"];
        all.extend_from_slice(args);
        all.push("articles");
        Config::try_parse_from(all).unwrap().rerank()
    };
    assert_eq!(parse(&[]), Ok(None));
    assert_eq!(parse(&["--rerank-url", ""]), Ok(None), "empty is unset");
    let r = parse(&[
        "--rerank-url",
        "http://127.0.0.1:8080/",
        "--rerank-key",
        "k-secret",
    ])
    .unwrap()
    .unwrap();
    assert_eq!(r.url, "http://127.0.0.1:8080");
    assert_eq!(r.model, "reranker");
    assert!(!format!("{r:?}").contains("k-secret"), "the key is hidden");
    assert!(matches!(
        parse(&["--rerank-url", "127.0.0.1:8080"]),
        Err(ConfigError::Invalid("KIOSQUE_RERANK_URL", _))
    ));
    assert_eq!(
        parse(&["--rerank-url", "http://h", "--rerank-model", " "]),
        Err(ConfigError::Missing("KIOSQUE_RERANK_MODEL"))
    );
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
