//! `kiosque serve-http` (a child process) on 127.0.0.1, given the fake Discord's test key and
//! API base, for the HTTP interactions endpoint's tests (tests/endpoint*.rs).

#![allow(dead_code)] // each test binary uses its part

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::fake_discord::FakeDiscord;

/// A replica, killed when dropped.
pub struct Replica {
    pub child: Child,
    pub log_path: std::path::PathBuf,
    /// `http://127.0.0.1:PORT/interactions`.
    pub url: String,
}

impl Replica {
    /// Starts `kiosque serve-http` on a free port of 127.0.0.1 and waits until it listens.
    pub async fn start(
        ws: &common::Workspace,
        fake: &FakeDiscord,
        extra: &[(&str, &str)],
    ) -> Replica {
        let log_path = ws.dir.path().join(format!(
            "replica-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiosque"));
        cmd.args(["serve-http", "--listen", "127.0.0.1:0"])
            .current_dir(ws.dir.path())
            .env("DISCORD_PUBLIC_KEY", FakeDiscord::public_key_hex())
            .env(
                "DISCORD_APPLICATION_ID",
                FakeDiscord::APPLICATION_ID.to_string(),
            )
            .env("DISCORD_API_BASE", fake.base_url())
            .env("KIOSQUE_CORPUS", ws.corpus())
            .env("KIOSQUE_INDEX", ws.index())
            .env("RUST_LOG", "warn,kiosque=info")
            .env("KIOSQUE_THESAURUS", "off")
            .env("KIOSQUE_WATCH", "off")
            .env_remove("KIOSQUE_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut replica = Replica {
            child: cmd.spawn().expect("kiosque serve-http starts"),
            log_path,
            url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        const LISTENING: &str = "listening for Discord's interactions on ";
        loop {
            let log = replica.log();
            if let Some(at) = log.find(LISTENING) {
                let rest = &log[at + LISTENING.len()..];
                replica.url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                break;
            }
            if let Ok(Some(status)) = replica.child.try_wait() {
                panic!("kiosque serve-http exited ({status}): {log}");
            }
            assert!(
                Instant::now() < deadline,
                "serve-http never listened: {log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        replica
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
