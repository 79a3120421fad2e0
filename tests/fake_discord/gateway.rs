//! The fake Discord's WebSocket gateway: HELLO, IDENTIFY (READY and GUILD_CREATE), heartbeats,
//! RESUME, and what a session's intents let through of a dispatch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::payloads;
use super::server::{header, record, St};
use super::{Conn, FakeDiscord, Outgoing, Request, Session, Shared, WsOut};

pub(super) async fn ws_handler(
    State(sh): St,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let index = record(
        &sh,
        Request {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            body: Value::Null,
            raw_content_type: String::new(),
            at: Instant::now(),
            raw_body: vec![],
            files: vec![],
            authorization: header(&headers, "authorization"),
            user_agent: header(&headers, "user-agent"),
        },
    );
    let status = if ws.is_ok() { 101 } else { 400 };
    sh.responses
        .lock()
        .unwrap()
        .insert(index, (status, Value::Null));
    match ws {
        Ok(ws) => ws
            .max_message_size(64 << 20)
            .on_upgrade(move |socket| gateway_connection(socket, sh)),
        Err(e) => e.into_response(),
    }
}

pub(super) fn send_frame(
    sh: &Shared,
    tx: &mpsc::UnboundedSender<Outgoing>,
    frame: Value,
) -> oneshot::Receiver<()> {
    sh.gateway_sent.lock().unwrap().push(frame.clone());
    let (ack_tx, ack_rx) = oneshot::channel();
    let _ = tx.send(Outgoing {
        msg: WsOut::Text(frame.to_string()),
        ack: Some(ack_tx),
    });
    ack_rx
}

pub(super) async fn gateway_connection(socket: WebSocket, sh: Arc<Shared>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let conn_id = sh.snowflake();
    sh.conns.lock().unwrap().push(Conn {
        id: conn_id,
        tx: tx.clone(),
        session: None,
    });
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let (msg, closing) = match out.msg {
                WsOut::Text(t) => (Message::Text(t.into()), false),
                WsOut::Close(code, reason) => (
                    Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })),
                    true,
                ),
            };
            let res = sink.send(msg).await;
            if let Some(ack) = out.ack {
                let _ = ack.send(());
            }
            if res.is_err() || closing {
                break;
            }
        }
    });
    let hello = json!({
        "op": 10,
        "s": null,
        "t": null,
        "d": {
            "heartbeat_interval": sh.heartbeat_interval.load(Ordering::SeqCst),
            "_trace": ["[\"fake-discord-gateway\"]"],
        },
    });
    drop(send_frame(&sh, &tx, hello));
    // Keep reading after a Close: reading is what flushes tungstenite's close reply.
    while let Some(Ok(msg)) = stream.next().await {
        match msg {
            Message::Text(t) => on_gateway_text(&sh, conn_id, &tx, t.as_str()),
            Message::Binary(b) => {
                gateway_received(&sh, json!({"fake_discord_binary_frame_len": b.len()}));
            }
            _ => {}
        }
    }
    sh.conns.lock().unwrap().retain(|c| c.id != conn_id);
    drop(tx);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
}

pub(super) fn gateway_received(sh: &Shared, v: Value) {
    let mut all = sh.gateway_received.lock().unwrap();
    all.push(v);
    let n = all.len();
    drop(all);
    sh.gateway_received_count.send_replace(n);
}

pub(super) fn on_gateway_text(
    sh: &Arc<Shared>,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    text: &str,
) {
    let v: Value =
        serde_json::from_str(text).unwrap_or_else(|_| json!({"fake_discord_unparsed": text}));
    // Recorded once the fake has reacted (queued its answer), so a waiter sees both.
    on_gateway_payload(sh, conn_id, tx, &v);
    gateway_received(sh, v);
}

pub(super) fn on_gateway_payload(
    sh: &Arc<Shared>,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    v: &Value,
) {
    match v["op"].as_u64() {
        // Heartbeat
        Some(1) => {
            drop(send_frame(
                sh,
                tx,
                json!({"op": 11, "s": null, "t": null, "d": null}),
            ));
        }
        // Identify
        Some(2) => {
            // Discord closes with 4004 "Authentication failed" for a token it does not know.
            let token = v["d"]["token"].as_str().unwrap_or("");
            if token.trim_start_matches("Bot ") != FakeDiscord::TOKEN {
                let _ = tx.send(Outgoing {
                    msg: WsOut::Close(4004, "Authentication failed.".into()),
                    ack: None,
                });
                return;
            }
            let session = Session {
                id: format!("fake-session-{}", sh.snowflake()),
                seq: Arc::new(AtomicU64::new(0)),
                intents: v["d"]["intents"].as_u64().unwrap_or(0),
            };
            sh.sessions
                .lock()
                .unwrap()
                .insert(session.id.clone(), session.clone());
            let acks = {
                // Under the connections lock so no dispatch slips in between.
                let mut conns = sh.conns.lock().unwrap();
                let Some(conn) = conns.iter_mut().find(|c| c.id == conn_id) else {
                    return;
                };
                conn.session = Some(session.clone());
                let s1 = session.seq.fetch_add(1, Ordering::SeqCst) + 1;
                let ready = json!({
                    "op": 0, "t": "READY", "s": s1,
                    "d": payloads::ready(&session.id, &sh.gateway_url()),
                });
                let a1 = send_frame(sh, tx, ready);
                let s2 = session.seq.fetch_add(1, Ordering::SeqCst) + 1;
                let guild = json!({
                    "op": 0, "t": "GUILD_CREATE", "s": s2,
                    "d": payloads::guild_create(&sh.guild_locale()),
                });
                let a2 = send_frame(sh, tx, guild);
                (a1, a2)
            };
            let sh = sh.clone();
            tokio::spawn(async move {
                let (a1, a2) = acks;
                if a1.await.is_ok() && a2.await.is_ok() {
                    sh.ready_count.send_modify(|c| *c += 1);
                }
            });
        }
        // Resume
        Some(6) => {
            let wanted = v["d"]["session_id"].as_str().unwrap_or_default();
            let known = sh.sessions.lock().unwrap().get(wanted).cloned();
            let Some(session) = known else {
                drop(send_frame(
                    sh,
                    tx,
                    json!({"op": 9, "s": null, "t": null, "d": false}),
                ));
                return;
            };
            let ack = {
                let mut conns = sh.conns.lock().unwrap();
                let Some(conn) = conns.iter_mut().find(|c| c.id == conn_id) else {
                    return;
                };
                conn.session = Some(session.clone());
                let s = session.seq.fetch_add(1, Ordering::SeqCst) + 1;
                send_frame(
                    sh,
                    tx,
                    json!({"op": 0, "t": "RESUMED", "s": s, "d": {"_trace": ["fake-discord"]}}),
                )
            };
            let sh = sh.clone();
            tokio::spawn(async move {
                if ack.await.is_ok() {
                    sh.resumed_count.send_modify(|c| *c += 1);
                }
            });
        }
        _ => {}
    }
}

const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
const INTENT_DIRECT_MESSAGES: u64 = 1 << 12;
const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;

/// Applies a session's intents to a dispatch like Discord does (MESSAGE_CREATE/UPDATE only).
pub(super) fn filter_for_intents(
    event: &str,
    data: &Value,
    intents: u64,
    enforce: bool,
) -> Option<Value> {
    if !enforce || !matches!(event, "MESSAGE_CREATE" | "MESSAGE_UPDATE") {
        return Some(data.clone());
    }
    let in_guild = data.get("guild_id").is_some_and(|g| !g.is_null());
    let needed = if in_guild {
        INTENT_GUILD_MESSAGES
    } else {
        INTENT_DIRECT_MESSAGES
    };
    if intents & needed == 0 {
        return None;
    }
    let bot = FakeDiscord::BOT_USER_ID.to_string();
    let mentions_bot = data["mentions"]
        .as_array()
        .is_some_and(|m| m.iter().any(|u| u["id"] == bot.as_str()));
    let authored_by_bot = data["author"]["id"] == bot.as_str();
    if in_guild && intents & INTENT_MESSAGE_CONTENT == 0 && !mentions_bot && !authored_by_bot {
        let mut d = data.clone();
        d["content"] = json!("");
        d["embeds"] = json!([]);
        d["attachments"] = json!([]);
        d["components"] = json!([]);
        return Some(d);
    }
    Some(data.clone())
}
