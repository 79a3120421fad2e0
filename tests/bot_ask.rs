//! `/ask` through the real bot (`kiosque serve`, a child process) against a fake Discord on
//! 127.0.0.1: answers with their sources, public or private, in French or English, as many as
//! asked, with their article's date and site and the words they translated; hostile text
//! that pings no one; a polite refusal past the rate limit; and 200 questions at once, every
//! one answered.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use std::collections::BTreeSet;
use std::time::Instant;

use fake_discord::{slash_command, Asker, Request};
use harness::{ask, check_messages, command, connected, is_private, opts, text_of, WAIT};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_with_sources_publicly_or_says_privately_that_nothing_answers() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;

    // an answer, in French, public by default
    let member = Asker::member(7001);
    let r = ask(
        &fake,
        1,
        "Qui dirigeait la délégation militaire malienne ?",
        &member,
    )
    .await;
    assert_eq!(r.body["type"], 4, "{}", r.body);
    let embeds = r.body["data"]["embeds"].as_array().unwrap();
    assert!(!embeds.is_empty() && embeds.len() <= 3);
    let description = embeds[0]["description"].as_str().unwrap();
    assert!(description.contains("Oumar Diarra"), "{description}");
    assert!(description.contains("**délégation**"), "{description}");
    assert!(embeds[0]["footer"]["text"]
        .as_str()
        .unwrap()
        .contains("corpus/001_c305a76100859ab7.txt"));
    assert!(embeds.last().unwrap()["footer"]["text"]
        .as_str()
        .unwrap()
        .contains(" ms"));
    assert!(!is_private(&r.body["data"]), "public by default");

    // no answer, asked privately, in English
    let english = Asker::member(7002).with_locale("en-US");
    let r = command(
        &fake,
        2,
        "ask",
        opts(&[
            // no word of it in the articles: nothing is even related
            ("question", json!("Quel est le PIB du Japon ?")),
            ("private", json!(true)),
        ]),
        &english,
    )
    .await;
    let content = r.body["data"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("The articles do not answer this question."),
        "{content}"
    );
    assert!(is_private(&r.body["data"]), "ephemeral");
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_shows_as_many_results_as_asked_and_hostile_text_pings_no_one() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;
    let member = Asker::member(7001);
    let r = command(
        &fake,
        3,
        "ask",
        opts(&[
            ("question", json!("relations fraternelles")),
            ("results", json!(1)),
        ]),
        &member,
    )
    .await;
    assert_eq!(
        r.body["data"]["embeds"].as_array().unwrap().len(),
        1,
        "{}",
        r.body
    );
    let r = ask(&fake, 30, "@everyone <@&1> ((( \"sécurité AND *", &member).await;
    assert_eq!(r.body["type"], 4);
    assert!(!text_of(&r.body).contains("@everyone"));
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_questions_get_a_polite_private_answer() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;
    let asker = Asker::member(9100);
    for i in 0..6u64 {
        let r = ask(&fake, 100 + i, "patrouilles mixtes", &asker).await;
        if i < 5 {
            assert!(
                r.body["data"]["embeds"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty()),
                "{}",
                r.body
            );
        } else {
            assert!(
                r.body["data"]["content"]
                    .as_str()
                    .unwrap()
                    .starts_with("Doucement"),
                "{}",
                r.body
            );
            assert!(is_private(&r.body["data"]));
        }
    }
    check_messages(&fake);
}

/// Set to print how long the 200 questions at once took to be answered (p50, p99), as
/// `scripts/bench-bot.sh` does; the test asserts no time.
const LATENCY_VAR: &str = "KIOSQUE_BENCH_LATENCY";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_questions_at_once_are_each_answered_once_and_rightly() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;
    let questions = [
        "Qui dirigeait la délégation militaire malienne ?",
        "patrouilles mixtes",
        "Quel est le PIB de la Mauritanie ?",
        "relations fraternelles",
        "A quelle date la délégation militaire est-elle venue en Mauritanie ?",
    ];
    let n = 200u64;
    let mut sent = Vec::with_capacity(n as usize);
    for i in 0..n {
        let asker = Asker::member(20_000 + i); // one question each: no rate limit
        let payload = slash_command(
            1000 + i,
            &format!("c{i}"),
            "ask",
            opts(&[("question", json!(questions[i as usize % questions.len()]))]),
            &asker,
        );
        sent.push(Instant::now());
        fake.dispatch("INTERACTION_CREATE", payload).await;
    }
    let answered = fake
        .wait_requests(|r| r.is_interaction_callback(), n as usize, WAIT)
        .await;
    assert_eq!(
        answered.len(),
        n as usize,
        "every interaction answered once"
    );
    let interaction =
        |r: &Request| -> u64 { r.route().split('/').nth(2).unwrap().parse().unwrap() };
    let ids: BTreeSet<u64> = answered.iter().map(interaction).collect();
    assert_eq!(ids, (1000..1000 + n).collect(), "each interaction answered");
    for r in &answered {
        assert_eq!(r.body["type"], 4, "{}", r.body);
        let i = (interaction(r) - 1000) as usize;
        if questions[i % questions.len()] == questions[0] {
            assert!(text_of(&r.body).contains("Oumar Diarra"), "{}", r.body);
        }
    }
    if std::env::var_os(LATENCY_VAR).is_some() {
        let mut latencies: Vec<f64> = answered
            .iter()
            .map(|r| {
                let sent = sent[(interaction(r) - 1000) as usize];
                r.at.duration_since(sent).as_secs_f64() * 1000.0
            })
            .collect();
        latencies.sort_by(|a, b| a.total_cmp(b));
        let p50 = latencies[latencies.len() / 2];
        let p99 = latencies[(latencies.len() * 99) / 100 - 1];
        println!(
            "200 concurrent /ask: INTERACTION_CREATE to response p50 {p50:.1} ms, p99 {p99:.1} ms"
        );
    }
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_questions_about_french_articles_show_their_translations() {
    let ws = common::Workspace::new();
    let dict = common::small_dictionary(&ws.dir.path().join("dictd"));
    let (fake, _bot) = connected(&ws, &[("KIOSQUE_DICTIONARY_DIR", dict.to_str().unwrap())]).await;
    let asker = Asker::member(7301).with_locale("en-US");
    let r = ask(&fake, 1, "joint patrols at the border", &asker).await;
    assert_eq!(r.body["type"], 4, "{}", r.body);
    let content = r.body["data"]["content"].as_str().unwrap();
    assert!(content.starts_with("-# Translated words: "), "{content}");
    assert!(content.contains("patrols → patrouille"), "{content}");
    let embeds = r.body["data"]["embeds"].as_array().unwrap();
    assert!(
        embeds.iter().any(|e| e["description"]
            .as_str()
            .unwrap_or("")
            .contains("**patrouilles** **mixtes**")),
        "{embeds:#?}"
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_their_article_date_and_site() {
    let ws = common::Workspace::new();
    ws.write(
        "agadez.md",
        "---\ntitle: La caravane du sel d’Agadez\nurl: https://www.lemonde.fr/afrique/caravane-agadez\ndate: 2024-05-09T10:30:00+02:00\nsite: \"@everyone <@123> Le Monde\"\n---\nLa caravane du sel d’Agadez compte trois cents dromadaires cette année, selon les chameliers touaregs.\n".as_bytes(),
    );
    let (fake, _bot) = connected(&ws, &[]).await;
    let r = ask(
        &fake,
        61,
        "Combien de dromadaires compte la caravane du sel d’Agadez ?",
        &Asker::member(8601),
    )
    .await;
    let embeds = r.body["data"]["embeds"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let e = embeds
        .iter()
        .find(|e| e["url"] == "https://www.lemonde.fr/afrique/caravane-agadez")
        .unwrap_or_else(|| panic!("no embed of the article: {}", r.body));
    // 10:30 in Paris is 08:30 UTC
    assert!(
        e["timestamp"]
            .as_str()
            .is_some_and(|t| t.starts_with("2024-05-09T08:30:00")),
        "{e}"
    );
    let footer = e["footer"]["text"].as_str().unwrap();
    assert!(
        footer.contains("Le Monde · https://www.lemonde.fr/"),
        "{footer}"
    );
    assert!(
        !footer.contains("@everyone") && !footer.contains("<@1"),
        "{footer}"
    );
    check_messages(&fake);
}
