//! `/summary` and `/articles` through the real bot (`kiosque serve`, a child process) against
//! a fake Discord on 127.0.0.1: an article's summary by its id, autocomplete over titles, an
//! unknown article said privately, a topic summed up across the articles, the article list.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use fake_discord::{autocomplete, Asker};
use harness::{check_messages, command, connected, interact, is_private, opts, text_of};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_of_an_article_by_id_with_autocomplete_over_titles() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;
    let member = Asker::member(7001);
    let r = command(
        &fake,
        4,
        "summary",
        opts(&[
            ("article", json!("001_c305a76100859ab7")),
            ("sentences", json!(2)),
        ]),
        &member,
    )
    .await;
    let embed = &r.body["data"]["embeds"][0];
    assert!(embed["title"]
        .as_str()
        .unwrap()
        .starts_with("Une délégation militaire malienne"));
    assert!(embed["description"]
        .as_str()
        .unwrap()
        .contains("Oumar Diarra"));
    assert!(embed["footer"]["text"]
        .as_str()
        .unwrap()
        .contains("corpus/001_c305a76100859ab7.txt"));

    let r = interact(
        &fake,
        5,
        autocomplete(
            5,
            "tok5",
            "summary",
            json!([{"name": "article", "type": 3, "value": "maurit", "focused": true}]),
            &member,
        ),
    )
    .await;
    assert_eq!(r.body["type"], 8, "{}", r.body);
    let choices = r.body["data"]["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert_eq!(choices[0]["value"], "000_85e6ff03ba5961ec");

    // an article that does not exist: said privately
    let r = command(
        &fake,
        6,
        "summary",
        opts(&[("article", json!("rien de tel"))]),
        &member,
    )
    .await;
    assert!(r.body["data"]["content"]
        .as_str()
        .unwrap()
        .starts_with("Aucun article"));
    assert!(is_private(&r.body["data"]));
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_of_a_topic_across_the_articles_and_the_article_list() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;
    let member = Asker::member(7001);
    let r = command(
        &fake,
        8,
        "summary",
        opts(&[("topic", json!("tensions à la frontière"))]),
        &member,
    )
    .await;
    let fields = r.body["data"]["embeds"][0]["fields"].as_array().unwrap();
    assert!(!fields.is_empty(), "{}", r.body);
    assert!(fields
        .iter()
        .all(|f| f["value"].as_str().unwrap().contains("corpus/")));

    let r = command(&fake, 7, "articles", Value::Null, &member).await;
    let fields = r.body["data"]["embeds"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert!(text_of(&r.body).contains("000_85e6ff03ba5961ec"));
    check_messages(&fake);
}
