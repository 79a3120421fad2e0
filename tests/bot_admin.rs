//! Reindexing through the real bot (`kiosque serve`, a child process) against a fake Discord
//! on 127.0.0.1: `/reindex` is for admins (by configuration or by permission) and reports what
//! changed, a long one shows its progress, and with the watch on the bot reindexes by itself
//! when the corpus changes.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use fake_discord::{Asker, Request};
use harness::{ask, check_messages, command, connected, is_private, text_of, WAIT};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_is_for_admins_and_reports_changes() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[("KIOSQUE_ADMIN_USER_IDS", "8002")]).await;

    // an ordinary member: refused, privately, and nothing runs
    let r = command(&fake, 11, "reindex", Value::Null, &Asker::member(8001)).await;
    assert_eq!(r.body["type"], 4);
    assert!(is_private(&r.body["data"]));
    assert!(r.body["data"]["content"]
        .as_str()
        .unwrap()
        .contains("administrateurs"));

    // an admin by configuration, after an article was added
    ws.write(
        "002_oasis.txt",
        "Les oasis du nord\n\nLes oasis du nord mauritanien manquent d’eau depuis trois ans.\n"
            .as_bytes(),
    );
    let r = command(&fake, 12, "reindex", Value::Null, &Asker::member(8002)).await;
    assert_eq!(r.body["type"], 5, "deferred: {}", r.body);
    assert!(is_private(&r.body["data"]), "privately");
    let report = fake
        .wait_request(
            |r| r.route().starts_with("/webhooks/") && r.path.contains("/t12"),
            WAIT,
        )
        .await
        .expect("the reindex report");
    let content = report.body["content"].as_str().unwrap();
    assert!(content.contains("1 ajoutés"), "{content}");

    // questions now find the new article
    let r = ask(&fake, 13, "oasis du nord", &Asker::member(8003)).await;
    assert!(text_of(&r.body).contains("manquent d’eau"), "{}", r.body);

    // an admin by permission (Manage Server)
    let r = command(&fake, 14, "reindex", Value::Null, &Asker::admin(8004)).await;
    assert_eq!(r.body["type"], 5);
    check_messages(&fake);
}

/// Adds `n` generated articles of a few paragraphs.
fn grow(ws: &common::Workspace, n: usize) {
    for i in 0..n {
        let mut text = format!("Dépêche numéro {i}\n\n");
        for p in 0..5 {
            text.push_str(&format!(
                "Le convoi {i} traverse la région {p} avant la saison des pluies, selon les autorités locales.\n\n"
            ));
        }
        ws.write(&format!("dep_{i:05}.txt"), text.as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reindex_shows_its_progress() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[("KIOSQUE_PROGRESS_SECONDS", "0.05")]).await;
    grow(&ws, 1500);
    let r = command(&fake, 21, "reindex", Value::Null, &Asker::admin(8101)).await;
    assert_eq!(r.body["type"], 5);
    let report = fake
        .wait_request(
            |r| {
                r.route().starts_with("/webhooks/")
                    && r.path.contains("/t21")
                    && text_of(&r.body).contains("1500 ajoutés")
            },
            WAIT,
        )
        .await
        .expect("the final report");
    let progress: Vec<Request> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/t21") && text_of(&r.body).contains("Réindexation en cours"))
        .collect();
    assert!(
        !progress.is_empty(),
        "no progress was shown before {}",
        report.body
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reindexes_when_the_corpus_changes() {
    let ws = common::Workspace::new();
    let (fake, bot) = connected(&ws, &[("KIOSQUE_WATCH", "on")]).await;
    ws.write(
        "002_oasis.txt",
        "Les oasis\n\nLes oasis du nord manquent d’eau depuis trois ans.\n".as_bytes(),
    );
    // the watcher says when it has reindexed (after 2 s without changes, so the file is
    // whole); the new index is in use by then
    assert!(
        bot.wait_log("the corpus changed: reindexed", WAIT).await,
        "the watcher never reindexed: {}",
        bot.log()
    );
    let r = ask(&fake, 41, "oasis du nord", &Asker::member(8241)).await;
    assert!(
        text_of(&r.body).contains("manquent d’eau"),
        "the new article is not answered: {} {}",
        r.body,
        bot.log()
    );
    check_messages(&fake);
}
