//! The real bot (`kiosque serve`, a child process) from start to stop, against a fake Discord
//! on 127.0.0.1: the commands it registers, a clean exit on SIGTERM, and the exit status and
//! message when its token is missing or rejected.

mod common;
mod fake_discord;

#[path = "harness/bot.rs"]
mod harness;

use std::process::Command;

use fake_discord::FakeDiscord;
use harness::{check_messages, connected, Bot, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_its_commands_in_french_and_english_and_stops_cleanly() {
    let ws = common::Workspace::new();
    let (fake, mut bot) = connected(&ws, &[]).await;

    // registration in the server, French and English: /ask, /summary, /articles for everyone;
    // /reindex, and /add and /feeds with the `web` feature, for admins
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
    let mut expected = vec!["ask", "summary", "articles", "reindex"];
    if cfg!(feature = "web") {
        expected.extend(["add", "feeds"]);
    }
    assert_eq!(names, expected, "{commands:#?}");
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
    check_messages(&fake);

    // SIGTERM: a clean exit
    let status = bot.terminate().expect("the bot stops on SIGTERM");
    assert!(status.success(), "{status:?}: {}", bot.log());
    assert!(!bot.log().contains("panicked"), "{}", bot.log());
}

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
    let status = bot
        .wait_exit(WAIT)
        .unwrap_or_else(|| panic!("still running: {}", bot.log()));
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
