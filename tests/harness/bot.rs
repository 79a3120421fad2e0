//! The real bot (`kiosque serve`, a child process) against a fake Discord, for the bot's
//! tests (tests/bot_*.rs): starting it, sending it commands, waiting for what it does, and
//! checking every message it sent against Discord's description and limits.

#![allow(dead_code)] // each test binary uses its part

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::fake_discord::{slash_command, Asker, FakeDiscord, OpenApi, Request};
use serde_json::{json, Value};

pub const WAIT: Duration = Duration::from_secs(60);

/// `kiosque serve` on a workspace, killed when dropped.
pub struct Bot {
    pub child: Child,
    pub stderr: std::path::PathBuf,
}

impl Bot {
    pub fn start(ws: &common::Workspace, fake: &FakeDiscord, extra: &[(&str, &str)]) -> Bot {
        let stderr = ws.dir.path().join("bot.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosque"));
        cmd.arg("serve")
            .current_dir(ws.dir.path())
            .env("DISCORD_TOKEN", FakeDiscord::TOKEN)
            .env("DISCORD_API_BASE", fake.base_url())
            .env("DISCORD_GUILD_ID", FakeDiscord::GUILD_ID.to_string())
            .env("KIOSQUE_CORPUS", ws.corpus())
            .env("KIOSQUE_INDEX", ws.index())
            .env("RUST_LOG", "warn,kiosque=info")
            .env("KIOSQUE_THESAURUS", "off")
            // the tests change the corpus and reindex by command; no automatic reindex races them
            .env("KIOSQUE_WATCH", "off")
            .env_remove("KIOSQUE_ADMIN_ROLE_IDS")
            .env_remove("KIOSQUE_ADMIN_USER_IDS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Bot {
            child: cmd.spawn().expect("kiosque serve starts"),
            stderr,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits until the log holds `needle` (true), or `timeout` has passed (false).
    pub async fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.log().contains(needle) {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    /// The exit status once the bot has exited, or None if it still runs after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the exit status (None if the bot still runs 15 s later).
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(Duration::from_secs(15))
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fake Discord with the bot connected and its commands registered.
pub async fn connected(ws: &common::Workspace, extra: &[(&str, &str)]) -> (FakeDiscord, Bot) {
    let fake = FakeDiscord::start().await;
    let bot = Bot::start(ws, &fake, extra);
    assert!(
        fake.wait_ready(WAIT).await,
        "the bot never identified: {}",
        bot.log()
    );
    let registered = fake.wait_request(|r| r.is("PUT", "/commands"), WAIT).await;
    assert!(
        registered.is_some(),
        "no command registration: {}",
        bot.log()
    );
    (fake, bot)
}

/// The option list of a slash command.
pub fn opts(pairs: &[(&str, Value)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(name, value)| {
                let kind = match value {
                    Value::String(_) => 3,
                    Value::Bool(_) => 5,
                    _ => 4,
                };
                json!({"name": name, "type": kind, "value": value})
            })
            .collect(),
    )
}

/// Sends an interaction and waits for the bot's callback to it.
pub async fn interact(fake: &FakeDiscord, id: u64, payload: Value) -> Request {
    fake.dispatch("INTERACTION_CREATE", payload).await;
    let path = format!("/interactions/{id}/");
    fake.wait_request(
        move |r| r.is_interaction_callback() && r.path.contains(&path),
        WAIT,
    )
    .await
    .unwrap_or_else(|| panic!("no callback for interaction {id}"))
}

/// Sends `/NAME` with `options` as `asker`, as interaction `id` with the token `t{id}`, and
/// waits for the bot's callback to it.
pub async fn command(
    fake: &FakeDiscord,
    id: u64,
    name: &str,
    options: Value,
    asker: &Asker,
) -> Request {
    interact(
        fake,
        id,
        slash_command(id, &format!("t{id}"), name, options, asker),
    )
    .await
}

/// `/ask question` as `asker` (see [`command`]).
pub async fn ask(fake: &FakeDiscord, id: u64, question: &str, asker: &Asker) -> Request {
    command(
        fake,
        id,
        "ask",
        opts(&[("question", json!(question))]),
        asker,
    )
    .await
}

/// Whether the callback or message body is private (the ephemeral flag).
pub fn is_private(data: &Value) -> bool {
    data["flags"].as_u64().unwrap_or(0) & 64 == 64
}

pub fn text_of(v: &Value) -> String {
    v.to_string()
}

/// Every message body the bot sent: content and embeds within Discord's limits, and allowed
/// mentions that mention no one.
pub fn check_messages(fake: &FakeDiscord) {
    let api = OpenApi::load();
    let invalid = fake.validate_all(&api);
    assert!(
        invalid.is_empty(),
        "requests that do not validate: {invalid:#?}"
    );
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    for r in fake.requests() {
        let message = if r.is_interaction_callback() {
            match r.body["type"].as_u64() {
                Some(4) | Some(7) => r.body["data"].clone(),
                _ => continue,
            }
        } else if (r.method == "POST" || r.method == "PATCH")
            && (r.route().starts_with("/webhooks/") || r.route().ends_with("/messages"))
        {
            r.body.clone()
        } else {
            continue;
        };
        assert!(chars(&message["content"]) <= 2000, "{}", r.path);
        let embeds = message["embeds"].as_array().cloned().unwrap_or_default();
        assert!(embeds.len() <= 10);
        let mut total = 0;
        for e in &embeds {
            assert!(chars(&e["title"]) <= 256);
            assert!(chars(&e["description"]) <= 4096);
            total += chars(&e["title"]) + chars(&e["description"]) + chars(&e["footer"]["text"]);
            for f in e["fields"].as_array().cloned().unwrap_or_default() {
                assert!(chars(&f["name"]) <= 256 && chars(&f["value"]) <= 1024);
                total += chars(&f["name"]) + chars(&f["value"]);
            }
        }
        assert!(total <= 6000, "{total} characters of embeds");
        let am = &message["allowed_mentions"];
        assert!(
            am.is_object(),
            "no allowed_mentions in {} {}: {message}",
            r.method,
            r.path
        );
        assert_eq!(am["parse"], json!([]), "{message}");
        assert!(am["users"].as_array().is_none_or(|u| u.is_empty()));
        assert!(am["roles"].as_array().is_none_or(|u| u.is_empty()));
        if message.get("message_reference").is_some() {
            assert_eq!(am["replied_user"], json!(false));
        }
    }
}
