//! Messages to the real bot (`kiosque serve`, a child process) against a fake Discord on
//! 127.0.0.1: a mention in the server is answered in the channel, in the server's language; a
//! direct message in its own language; a server message that does not mention the bot gets
//! nothing.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use fake_discord::{message, FakeDiscord, Request};
use harness::{check_messages, connected, text_of, WAIT};

/// A reply in `channel` to message `id`.
fn reply_to(channel: u64, id: &str) -> impl Fn(&Request) -> bool + '_ {
    let path = format!("/channels/{channel}/messages");
    move |r: &Request| r.is("POST", &path) && r.body["message_reference"]["message_id"] == id
}

/// `<@BOT> text`: a message that mentions the bot.
fn mention(text: &str) -> String {
    format!("<@{}> {text}", FakeDiscord::BOT_USER_ID)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_in_the_server_is_answered_in_the_channel() {
    let ws = common::Workspace::new();
    let (fake, bot) = connected(&ws, &[]).await;
    let before = fake.request_count();
    fake.dispatch(
        "MESSAGE_CREATE",
        message(9001, &mention("coordination migratoire"), 7003, true, true),
    )
    .await;
    let reply = fake
        .wait_request(
            |r| {
                r.is(
                    "POST",
                    &format!("/channels/{}/messages", FakeDiscord::CHANNEL_ID),
                )
            },
            WAIT,
        )
        .await
        .expect("a reply to the mention");
    assert!(fake.request_count() > before);
    assert_eq!(reply.body["message_reference"]["message_id"], "9001");
    assert!(
        text_of(&reply.body).contains("populations nomades"),
        "{} {}",
        reply.body,
        bot.log()
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_are_answered_in_their_own_language() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;

    // in English: the reply is in English
    fake.dispatch(
        "MESSAGE_CREATE",
        message(
            9002,
            "What is the GDP of the Moon and the price of cheese?",
            7004,
            false,
            false,
        ),
    )
    .await;
    let dm = fake
        .wait_request(reply_to(FakeDiscord::DM_CHANNEL_ID, "9002"), WAIT)
        .await
        .expect("a reply to the DM");
    assert!(
        dm.body["content"]
            .as_str()
            .unwrap()
            .starts_with("The articles do not answer"),
        "{}",
        dm.body
    );

    // a short English direct message (too short to read as an English article, but its
    // words are English): answered, in English
    fake.dispatch(
        "MESSAGE_CREATE",
        message(9004, "Who led the delegation?", 7006, false, false),
    )
    .await;
    let short = fake
        .wait_request(reply_to(FakeDiscord::DM_CHANNEL_ID, "9004"), WAIT)
        .await
        .expect("a reply to the short DM");
    let text = text_of(&short.body);
    let answered = short.body["embeds"]
        .as_array()
        .is_some_and(|e| !e.is_empty());
    assert!(
        if answered {
            text.contains("· paragraph ") && !text.contains("paragraphe")
        } else {
            text.contains("The articles do not answer")
        },
        "an English reply: {text}"
    );
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_message_that_does_not_mention_the_bot_gets_nothing() {
    let ws = common::Workspace::new();
    let (fake, bot) = connected(&ws, &[]).await;
    let count = fake.request_count();
    fake.dispatch(
        "MESSAGE_CREATE",
        message(9003, "patrouilles mixtes", 7005, true, false),
    )
    .await;
    // Then a mention, which the bot answers. It handles each event in a task of its own,
    // started in the order the events came; the one for 9003 ends at its first check, without
    // waiting for anything, while the answer to 9005 takes a search and a request: had 9003
    // been answered, that would have come first.
    fake.dispatch(
        "MESSAGE_CREATE",
        message(9005, &mention("patrouilles mixtes"), 7005, true, true),
    )
    .await;
    fake.wait_request_since(count, reply_to(FakeDiscord::CHANNEL_ID, "9005"), WAIT)
        .await
        .unwrap_or_else(|| panic!("no reply to the later mention: {}", bot.log()));
    let since: Vec<Request> = fake.requests().split_off(count);
    assert_eq!(
        since.len(),
        1,
        "answered a message not meant for it: {since:#?}"
    );
    check_messages(&fake);
}
