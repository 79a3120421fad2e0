//! Summaries of the seed articles keep the facts a reader needs (pinned below from reading the
//! articles), use real sentences of the article verbatim and in order, and the command line
//! handles unknown and ambiguous names, topics, and English articles.

mod common;

use common::{json, stderr, stdout, Workspace};

/// Facts each summary must keep, by article and number of sentences.
const FACTS: &[(&str, usize, &[&str])] = &[
    // the visit of the Malian security minister to Nouakchott
    ("000_85e6ff03ba5961ec", 1, &["Modibo Koné", "Nouakchott"]),
    // ... and why: a long, hard border and the fight against terrorism
    (
        "000_85e6ff03ba5961ec",
        3,
        &["Modibo Koné", "Nouakchott", "frontière", "terrorisme"],
    ),
    // who led the military delegation, where and when
    (
        "001_c305a76100859ab7",
        1,
        &["Oumar Diarra", "Nouakchott", "9 mai 2024"],
    ),
    // ... and that it is about security
    (
        "001_c305a76100859ab7",
        3,
        &["Oumar Diarra", "Nouakchott", "9 mai 2024", "sécuritaires"],
    ),
];

fn summary(ws: &Workspace, article: &str, n: usize) -> serde_json::Value {
    let out = ws.run(
        &["summary", article, "--sentences", &n.to_string(), "--json"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    json(stdout(&out).trim())
}

#[test]
fn summaries_keep_the_facts_verbatim_in_order() {
    let ws = Workspace::new();
    for (article, n, facts) in FACTS {
        let s = summary(&ws, article, *n);
        assert_eq!(s["article"], *article);
        assert!(s["title"].is_string() && s["source"].as_str().unwrap().ends_with(".txt"));
        let sentences = s["sentences"].as_array().unwrap();
        assert_eq!(sentences.len(), *n, "{s}");
        let text: String = sentences
            .iter()
            .map(|x| x["text"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        for fact in *facts {
            assert!(
                text.contains(fact),
                "{article} in {n} sentences lacks {fact:?}: {text}"
            );
        }
        let body = std::fs::read_to_string(ws.corpus().join(format!("{article}.txt"))).unwrap();
        let mut at = 0;
        let mut last_position = 0;
        for x in sentences {
            let t = x["text"].as_str().unwrap();
            let found = body[at..]
                .find(t)
                .unwrap_or_else(|| panic!("not verbatim or not in order: {t}"));
            at += found + t.len();
            let position = x["position"].as_u64().unwrap();
            assert!(position > last_position, "positions in order");
            last_position = position;
            // a whole sentence: a capital first, final punctuation, more than a fragment
            assert!(t.chars().next().unwrap().is_uppercase(), "{t}");
            assert!(t.ends_with(['.', '!', '?', '…']), "{t}");
            assert!(t.split_whitespace().count() >= 6, "{t}");
        }
    }
    // the same summary every time
    assert_eq!(
        summary(&ws, "000_85e6ff03ba5961ec", 3),
        summary(&ws, "000_85e6ff03ba5961ec", 3)
    );
    // the summary opens with the article's first sentence, as news does
    let s = summary(&ws, "001_c305a76100859ab7", 3);
    assert_eq!(s["sentences"][0]["position"], 1);
}

#[test]
fn names_titles_and_prefixes() {
    let ws = Workspace::new();
    // by title prefix, accents and case ignored
    let s = summary(&ws, "mali – MAURITANIE", 2);
    assert_eq!(s["article"], "000_85e6ff03ba5961ec");
    let s = summary(&ws, "001_c3", 1);
    assert_eq!(s["article"], "001_c305a76100859ab7");
    // ambiguous: both ids start with "0"
    let out = ws.run(&["summary", "0"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("matches several articles"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("000_85e6ff03ba5961ec")
            && stderr(&out).contains("001_c305a76100859ab7")
    );
    // unknown, with the closest titles
    let out = ws.run(&["summary", "Mauritanie et le Sénégal"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no article matches"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("000_85e6ff03ba5961ec"),
        "closest: {}",
        stderr(&out)
    );
    // out of range
    let out = ws.run(
        &["summary", "000_85e6ff03ba5961ec", "--sentences", "11"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn topic_summaries_cite_their_articles() {
    let ws = Workspace::new();
    let out = ws.run(
        &[
            "summary",
            "--topic",
            "tensions à la frontière",
            "--sentences",
            "3",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = json(stdout(&out).trim());
    assert_eq!(s["topic"], "tensions à la frontière");
    let sentences = s["sentences"].as_array().unwrap();
    assert!(!sentences.is_empty() && sentences.len() <= 3, "{s}");
    for x in sentences {
        let article = x["article"].as_str().unwrap();
        let body = std::fs::read_to_string(ws.corpus().join(format!("{article}.txt"))).unwrap();
        assert!(body.contains(x["text"].as_str().unwrap()), "verbatim: {x}");
        assert!(x["position"].as_u64().unwrap() >= 1);
        assert!(x["source"].as_str().unwrap().starts_with("corpus/"));
        assert!(x["title"].is_string());
    }
    let out = ws.run(
        &["summary", "--topic", "recette du couscous", "--json"],
        None,
    );
    assert_eq!(
        json(stdout(&out).trim())["sentences"],
        serde_json::json!([])
    );
}

#[test]
fn english_articles_are_summarised_too() {
    let ws = Workspace::new();
    ws.write(
        "en_drought.md",
        b"---\ntitle: Drought in the Sahel\nlang: en\nurl: https://example.org/drought\n---\n\
The worst drought in a decade hit the Sahel in 2023, leaving two million herders without water.\n\n\
Wells dried up across the region. Herders moved their animals south, towards the rivers.\n\n\
The drought also pushed food prices up in the markets of Bamako and Nouakchott.\n\n\
Aid agencies asked for more funding. The rains came back in the autumn.\n",
    );
    let s = summary(&ws, "en_drought", 2);
    assert_eq!(s["url"], "https://example.org/drought");
    let first = s["sentences"][0]["text"].as_str().unwrap();
    assert!(first.starts_with("The worst drought in a decade"), "{s}");
    assert_eq!(s["sentences"].as_array().unwrap().len(), 2);
}
