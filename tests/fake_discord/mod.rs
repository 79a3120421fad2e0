//! A fake Discord for end-to-end tests: the REST API (`/api/v10/...`) and the WebSocket gateway
//! (`/gateway`) on one 127.0.0.1 port, plus [`OpenApi`], a validator of request bodies against
//! Discord's official OpenAPI description (`tests/fixtures/discord-openapi.json`).
//!
//! The server runs on its own thread with its own tokio runtime, so it keeps answering whatever
//! the test's runtime does (current-thread runtime, blocking waits on a child process…). Dropping
//! the [`FakeDiscord`] stops it and every connection.
//!
//! Use from a test file as `mod fake_discord;`.
#![allow(dead_code)]

mod commands;
#[cfg(feature = "interactions")]
mod endpoint;
mod gateway;
mod interactions;
mod messages;
mod multipart;
mod openapi;
mod payloads;
mod request;
mod server;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, watch};

#[cfg(feature = "interactions")]
#[allow(unused_imports)]
pub use endpoint::{post_raw, Answered};
#[allow(unused_imports)]
pub use openapi::{normalize_known_quirks, MatchedOperation, OpenApi, OPENAPI_FIXTURE};
pub use payloads::*;
pub use request::{Request, UploadedFile};

/// What the fake knows about a dispatched interaction.
#[derive(Clone, Debug)]
struct InteractionInfo {
    id: u64,
    token: String,
    channel_id: u64,
    guild_id: Option<u64>,
    kind: u64,
    dispatched_at: Instant,
    acknowledged: bool,
    original: Option<u64>,
}

pub(crate) enum WsOut {
    Text(String),
    Close(u16, String),
}

pub(crate) struct Outgoing {
    msg: WsOut,
    ack: Option<oneshot::Sender<()>>,
}

#[derive(Clone)]
pub(crate) struct Session {
    id: String,
    seq: Arc<AtomicU64>,
    intents: u64,
}

pub(crate) struct Conn {
    id: u64,
    tx: mpsc::UnboundedSender<Outgoing>,
    session: Option<Session>,
}

/// Everything the server and the test share.
pub(crate) struct Shared {
    port: u16,
    requests: Mutex<Vec<Request>>,
    requests_count: watch::Sender<usize>,
    /// Status and JSON body answered to request number i (Null for 204).
    responses: Mutex<HashMap<usize, (u16, Value)>>,
    gateway_received: Mutex<Vec<Value>>,
    gateway_received_count: watch::Sender<usize>,
    gateway_sent: Mutex<Vec<Value>>,
    ready_count: watch::Sender<usize>,
    resumed_count: watch::Sender<usize>,
    conns: Mutex<Vec<Conn>>,
    sessions: Mutex<HashMap<String, Session>>,
    next_id: AtomicU64,
    guild_locale: Mutex<String>,
    messages: Mutex<HashMap<u64, Value>>,
    interactions: Mutex<HashMap<u64, InteractionInfo>>,
    guild_commands: Mutex<Vec<Value>>,
    global_commands: Mutex<Vec<Value>>,
    interaction_deadline: Mutex<Option<Duration>>,
    enforce_intents: Mutex<bool>,
    heartbeat_interval: AtomicU64,
    /// The user of the DM channel: the last author of a dispatched DM message or interaction.
    dm_recipient: AtomicU64,
}

impl Shared {
    fn new(port: u16) -> Shared {
        Shared {
            port,
            requests: Mutex::new(Vec::new()),
            requests_count: watch::channel(0).0,
            responses: Mutex::new(HashMap::new()),
            gateway_received: Mutex::new(Vec::new()),
            gateway_received_count: watch::channel(0).0,
            gateway_sent: Mutex::new(Vec::new()),
            ready_count: watch::channel(0).0,
            resumed_count: watch::channel(0).0,
            conns: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1_300_000_000_000_000_000),
            guild_locale: Mutex::new("fr".to_string()),
            messages: Mutex::new(HashMap::new()),
            interactions: Mutex::new(HashMap::new()),
            guild_commands: Mutex::new(Vec::new()),
            global_commands: Mutex::new(Vec::new()),
            interaction_deadline: Mutex::new(None),
            enforce_intents: Mutex::new(true),
            heartbeat_interval: AtomicU64::new(41_250),
            dm_recipient: AtomicU64::new(payloads::OWNER_ID),
        }
    }

    fn snowflake(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    fn gateway_url(&self) -> String {
        format!("ws://127.0.0.1:{}/gateway", self.port)
    }

    fn guild_locale(&self) -> String {
        self.guild_locale.lock().unwrap().clone()
    }
}

/// The fake Discord. Dropping it stops the server.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeDiscord {
    /// Application id; also the bot's user id, as for every application made since 2019.
    pub const APPLICATION_ID: u64 = 1_200_000_000_000_000_001;
    pub const BOT_USER_ID: u64 = 1_200_000_000_000_000_001;
    pub const GUILD_ID: u64 = 1_200_000_000_000_000_100;
    pub const CHANNEL_ID: u64 = 1_200_000_000_000_000_200;
    pub const DM_CHANNEL_ID: u64 = 1_200_000_000_000_000_300;
    pub const ADMIN_ROLE_ID: u64 = 1_200_000_000_000_000_400;
    pub const OWNER_ID: u64 = payloads::OWNER_ID;
    /// The token the fake expects (any token is accepted; this one is conventional).
    pub const TOKEN: &'static str = "fake-token";

    /// Binds 127.0.0.1:0 and serves HTTP and the WebSocket gateway on that one port.
    pub async fn start() -> FakeDiscord {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fake-discord".into())
            .spawn(move || server::run(ready_tx, shutdown_rx))
            .expect("spawn the fake Discord thread");
        let shared = tokio::time::timeout(Duration::from_secs(10), ready_rx)
            .await
            .expect("the fake Discord did not start within 10 s")
            .expect("the fake Discord thread died while starting");
        FakeDiscord {
            shared,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// "http://127.0.0.1:PORT": what the bot gets as `DISCORD_API_BASE`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// "ws://127.0.0.1:PORT/gateway", what `GET /api/v10/gateway` answers.
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url()
    }

    /// Waits until a client has identified and been sent READY and GUILD_CREATE (true), or the
    /// timeout (false). Note that serenity runs event handlers in spawned tasks: a bot may still
    /// be in its `ready` handler (poise: `setup`, command registration) when this returns; wait
    /// for the registration request too if it matters.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        wait_count(&self.shared.ready_count, 1, timeout).await
    }

    /// How many sessions were sent READY so far.
    pub fn ready_count(&self) -> usize {
        *self.shared.ready_count.borrow()
    }

    /// Waits until `n` RESUMEs have been answered with RESUMED.
    pub async fn wait_resumed(&self, n: usize, timeout: Duration) -> bool {
        wait_count(&self.shared.resumed_count, n, timeout).await
    }

    /// Sends a dispatch (op 0) with the next sequence number of each session to every client
    /// that has identified (or resumed), and waits until it is written to their sockets.
    ///
    /// For INTERACTION_CREATE the fake remembers the interaction (so its callback and webhook
    /// endpoints work) and fills in `guild_locale` for guild interactions when absent. For
    /// MESSAGE_CREATE it applies the session's intents like Discord: no GUILD_MESSAGES /
    /// DIRECT_MESSAGES intent, no event; no MESSAGE_CONTENT intent, empty `content`, `embeds`,
    /// `attachments` and `components` in guild messages that do not mention the bot.
    pub async fn dispatch(&self, event: &str, data: Value) {
        self.dispatch_count(event, data).await;
    }

    /// Like [`Self::dispatch`]; returns how many clients it was sent to.
    pub async fn dispatch_count(&self, event: &str, mut data: Value) -> usize {
        if event == "INTERACTION_CREATE" {
            self.remember_interaction(&mut data);
        }
        if data.get("guild_id").is_none_or(Value::is_null) {
            let dm_user = data["author"]["id"]
                .as_str()
                .or(data["user"]["id"].as_str());
            if let Some(u) = dm_user.and_then(|u| u.parse::<u64>().ok()) {
                self.shared.dm_recipient.store(u, Ordering::SeqCst);
            }
        }
        let mut acks = Vec::new();
        {
            let conns = self.shared.conns.lock().unwrap();
            let enforce = *self.shared.enforce_intents.lock().unwrap();
            for conn in conns.iter() {
                let Some(session) = &conn.session else {
                    continue;
                };
                let Some(payload) =
                    gateway::filter_for_intents(event, &data, session.intents, enforce)
                else {
                    continue;
                };
                let seq = session.seq.fetch_add(1, Ordering::SeqCst) + 1;
                let frame = json!({"op": 0, "t": event, "s": seq, "d": payload});
                self.shared.gateway_sent.lock().unwrap().push(frame.clone());
                let (ack_tx, ack_rx) = oneshot::channel();
                if conn
                    .tx
                    .send(Outgoing {
                        msg: WsOut::Text(frame.to_string()),
                        ack: Some(ack_tx),
                    })
                    .is_ok()
                {
                    acks.push(ack_rx);
                }
            }
        }
        let n = acks.len();
        for ack in acks {
            let _ = tokio::time::timeout(Duration::from_secs(5), ack).await;
        }
        n
    }

    pub(crate) fn remember_interaction(&self, data: &mut Value) {
        let guild_id = data["guild_id"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok());
        if guild_id.is_some() {
            let locale = self.shared.guild_locale();
            if data.get("guild_locale").is_none() {
                data["guild_locale"] = json!(locale);
            }
            if data["guild"].is_object() && data["guild"].get("locale").is_none() {
                data["guild"]["locale"] = json!(locale);
            }
        }
        let Some(id) = data["id"].as_str().and_then(|s| s.parse::<u64>().ok()) else {
            return;
        };
        let info = InteractionInfo {
            id,
            token: data["token"].as_str().unwrap_or_default().to_string(),
            channel_id: data["channel_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(FakeDiscord::CHANNEL_ID),
            guild_id,
            kind: data["type"].as_u64().unwrap_or(2),
            dispatched_at: Instant::now(),
            acknowledged: false,
            original: None,
        };
        self.shared.interactions.lock().unwrap().insert(id, info);
    }

    /// Every HTTP request so far, in order (the WebSocket upgrade `GET /gateway?v=10` included).
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Every HTTP request so far with the status and JSON body the fake answered (None while the
    /// answer is not written yet; the body is Null for 204 No Content).
    pub fn exchanges(&self) -> Vec<(Request, Option<(u16, Value)>)> {
        let requests = self.requests();
        let responses = self.shared.responses.lock().unwrap();
        requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| (r, responses.get(&i).cloned()))
            .collect()
    }

    /// How many HTTP requests so far (to wait for later ones with [`Self::wait_request_since`]).
    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// The first request so far, or the first to come within `timeout`, that satisfies `pred`.
    pub async fn wait_request(
        &self,
        pred: impl Fn(&Request) -> bool,
        timeout: Duration,
    ) -> Option<Request> {
        self.wait_request_since(0, pred, timeout).await
    }

    /// Like [`Self::wait_request`], among requests number `since` and later (0-based).
    pub async fn wait_request_since(
        &self,
        since: usize,
        pred: impl Fn(&Request) -> bool,
        timeout: Duration,
    ) -> Option<Request> {
        let found = self.wait_matching(since, pred, 1, timeout).await;
        found.into_iter().next()
    }

    /// Every request so far that satisfies `pred`, once there are at least `n` of them or
    /// `timeout` has passed, whichever comes first.
    pub async fn wait_requests(
        &self,
        pred: impl Fn(&Request) -> bool,
        n: usize,
        timeout: Duration,
    ) -> Vec<Request> {
        self.wait_matching(0, pred, n, timeout).await
    }

    async fn wait_matching(
        &self,
        since: usize,
        pred: impl Fn(&Request) -> bool,
        n: usize,
        timeout: Duration,
    ) -> Vec<Request> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.requests_count.subscribe();
        loop {
            rx.borrow_and_update();
            let found: Vec<Request> = self
                .shared
                .requests
                .lock()
                .unwrap()
                .iter()
                .skip(since)
                .filter(|r| pred(r))
                .cloned()
                .collect();
            if found.len() >= n {
                return found;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => {
                    return self
                        .requests()
                        .into_iter()
                        .skip(since)
                        .filter(|r| pred(r))
                        .collect()
                }
            }
        }
    }

    /// Every gateway payload clients sent (IDENTIFY, heartbeats, RESUME…), parsed, in order.
    pub fn gateway_received(&self) -> Vec<Value> {
        self.shared.gateway_received.lock().unwrap().clone()
    }

    /// Every gateway payload the fake sent (HELLO, READY, dispatches…), in order.
    pub fn gateway_sent(&self) -> Vec<Value> {
        self.shared.gateway_sent.lock().unwrap().clone()
    }

    /// Waits for a gateway payload from a client that satisfies `pred`.
    pub async fn wait_gateway_received(
        &self,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.shared.gateway_received_count.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(v) = self
                .shared
                .gateway_received
                .lock()
                .unwrap()
                .iter()
                .find(|v| pred(v))
            {
                return Some(v.clone());
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
    }

    /// The `preferred_locale` of the guild in GUILD_CREATE, `GET /guilds/{id}`, and the
    /// `guild_locale` of dispatched guild interactions. Default "fr". Set it before the bot
    /// connects.
    pub fn set_guild_locale(&self, locale: &str) {
        *self.shared.guild_locale.lock().unwrap() = locale.to_string();
    }

    /// Makes the interaction callback answer 404 "Unknown interaction" (10062) when it comes
    /// later than `deadline` after the dispatch, as Discord does after 3 s. Off by default.
    pub fn set_interaction_deadline(&self, deadline: Option<Duration>) {
        *self.shared.interaction_deadline.lock().unwrap() = deadline;
    }

    /// Whether MESSAGE_CREATE dispatches follow the session's intents (default true).
    pub fn set_enforce_intents(&self, on: bool) {
        *self.shared.enforce_intents.lock().unwrap() = on;
    }

    /// The heartbeat interval sent in HELLO to later connections (default 41 250 ms).
    pub fn set_heartbeat_interval(&self, millis: u64) {
        self.shared
            .heartbeat_interval
            .store(millis, Ordering::SeqCst);
    }

    /// The intents of the most recent IDENTIFY, if any.
    pub fn identified_intents(&self) -> Option<u64> {
        self.gateway_received()
            .iter()
            .rev()
            .find(|v| v["op"] == 2)
            .and_then(|v| v["d"]["intents"].as_u64())
    }

    /// How many gateway clients are connected (identified or not).
    pub fn connected_clients(&self) -> usize {
        self.shared.conns.lock().unwrap().len()
    }

    /// Closes every gateway connection with `code` (e.g. 4000 to make serenity RESUME, 1000 for
    /// a clean close), waiting until the close frames are written.
    pub async fn close_gateway(&self, code: u16) {
        let mut acks = Vec::new();
        for conn in self.shared.conns.lock().unwrap().iter() {
            let (tx, rx) = oneshot::channel();
            if conn
                .tx
                .send(Outgoing {
                    msg: WsOut::Close(code, "fake-discord closing".into()),
                    ack: Some(tx),
                })
                .is_ok()
            {
                acks.push(rx);
            }
        }
        for ack in acks {
            let _ = tokio::time::timeout(Duration::from_secs(5), ack).await;
        }
    }

    /// The commands last registered for the guild (`PUT …/guilds/{id}/commands`), as echoed.
    pub fn guild_commands(&self) -> Vec<Value> {
        self.shared.guild_commands.lock().unwrap().clone()
    }

    /// The commands last registered globally (`PUT …/commands`), as echoed.
    pub fn global_commands(&self) -> Vec<Value> {
        self.shared.global_commands.lock().unwrap().clone()
    }

    /// A message the fake holds (sent by the bot through any endpoint), by id.
    pub fn message_by_id(&self, id: u64) -> Option<Value> {
        self.shared.messages.lock().unwrap().get(&id).cloned()
    }

    /// The current original response of a dispatched interaction (after its callback and any
    /// edit), if it has one.
    pub fn original_response(&self, interaction_id: u64) -> Option<Value> {
        let original = self
            .shared
            .interactions
            .lock()
            .unwrap()
            .get(&interaction_id)
            .and_then(|i| i.original)?;
        self.message_by_id(original)
    }

    /// Validates every recorded request against `api` (method, path and JSON body), returning
    /// one message per request that fails. The WebSocket upgrade is skipped. Bodies go through
    /// [`normalize_known_quirks`] first (serenity's integer attachment placeholder ids); use
    /// [`Self::validate_all_strict`] to validate them as sent.
    pub fn validate_all(&self, api: &OpenApi) -> Vec<String> {
        self.validate_requests(api, true)
    }

    /// Like [`Self::validate_all`], without [`normalize_known_quirks`].
    pub fn validate_all_strict(&self, api: &OpenApi) -> Vec<String> {
        self.validate_requests(api, false)
    }

    fn validate_requests(&self, api: &OpenApi, lenient: bool) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.path != "/gateway")
            .filter_map(|r| {
                let body = if lenient {
                    normalize_known_quirks(&r.body)
                } else {
                    r.body.clone()
                };
                api.validate_as(&r.method, &r.path, &body, Some(&r.raw_content_type))
                    .err()
            })
            .collect()
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn wait_count(tx: &watch::Sender<usize>, n: usize, timeout: Duration) -> bool {
    let mut rx = tx.subscribe();
    tokio::time::timeout(timeout, rx.wait_for(|c| *c >= n))
        .await
        .is_ok_and(|r| r.is_ok())
}
