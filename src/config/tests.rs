//! The settings' tests: flags over the environment over defaults, and every check's error.
use super::*;

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
