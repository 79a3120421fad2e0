//! The settings' tests: flags over the environment over defaults, and every check's error.

use super::*;

fn serve(pairs: &[(&str, &str)]) -> ServeArgs {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.to_string())
    };
    ServeArgs {
        token: get("DISCORD_TOKEN"),
        guild_id: get("DISCORD_GUILD_ID"),
        admin_role_ids: get("KIOSQUE_ADMIN_ROLE_IDS"),
        admin_user_ids: get("KIOSQUE_ADMIN_USER_IDS"),
        api_base: get("DISCORD_API_BASE"),
        watch: get("KIOSQUE_WATCH"),
        progress_seconds: get("KIOSQUE_PROGRESS_SECONDS"),
        feeds_every: get("KIOSQUE_FEEDS_EVERY"),
    }
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
    for (key, bad) in [
        ("KIOSQUE_WATCH", "sometimes"),
        ("DISCORD_GUILD_ID", "abc"),
        ("KIOSQUE_ADMIN_ROLE_IDS", "1,x"),
        ("DISCORD_API_BASE", "ftp://x"),
        ("KIOSQUE_PROGRESS_SECONDS", "-1"),
        ("KIOSQUE_FEEDS_EVERY", "1s"),
        ("KIOSQUE_FEEDS_EVERY", "often"),
        ("KIOSQUE_FEEDS_EVERY", "3d"),
    ] {
        let e = serve(&[("DISCORD_TOKEN", "t"), (key, bad)]).check();
        assert!(
            matches!(&e, Err(ConfigError::Invalid(k, _)) if *k == key),
            "{key}={bad}: {e:?}"
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
