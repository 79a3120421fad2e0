//! The HTTP + WebSocket server behind [`super::FakeDiscord`].

use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::payloads::{self, bot_user, now_timestamp};
use super::{Conn, FakeDiscord, Outgoing, Request, Session, Shared, UploadedFile, WsOut};

type St = State<Arc<Shared>>;

/// Runs the server until `shutdown` fires (or its sender is dropped). Called on a dedicated
/// thread; every task dies with this function's runtime.
pub(super) fn run(ready: oneshot::Sender<Arc<Shared>>, shutdown: oneshot::Receiver<()>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the fake Discord runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared::new(port));
        let app = Router::new()
            .route("/gateway", any(ws_handler))
            .fallback(http_handler)
            .with_state(shared.clone());
        if ready.send(shared).is_err() {
            return;
        }
        tokio::select! {
            r = axum::serve(listener, app).into_future() => {
                if let Err(e) = r {
                    eprintln!("fake Discord: server error: {e}");
                }
            }
            _ = shutdown => {}
        }
    });
    rt.shutdown_timeout(Duration::from_secs(1));
}

// ---------------------------------------------------------------------------------------------
// Recording

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Records a request; returns its index.
fn record(sh: &Shared, req: Request) -> usize {
    let mut all = sh.requests.lock().unwrap();
    all.push(req);
    let n = all.len();
    drop(all);
    sh.requests_count.send_replace(n);
    n - 1
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn disposition_param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a multipart/form-data body into `payload_json` (parsed) and file parts.
fn parse_multipart(content_type: &str, body: &[u8]) -> (Value, Vec<UploadedFile>) {
    let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
    else {
        return (Value::Null, vec![]);
    };
    let delim = format!("--{boundary}").into_bytes();
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut pos = match find(body, &delim, 0) {
        Some(p) => p + delim.len(),
        None => return (Value::Null, vec![]),
    };
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        let start = if body[pos..].starts_with(b"\r\n") {
            pos + 2
        } else {
            pos
        };
        let Some(next) = find(body, &delim, start) else {
            break;
        };
        let part = &body[start..next];
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let headers = String::from_utf8_lossy(&part[..split]).to_string();
            let data = &part[split + 4..];
            let mut disposition = String::new();
            let mut ctype = String::new();
            for line in headers.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    if k.trim().eq_ignore_ascii_case("content-disposition") {
                        disposition = v.trim().to_string();
                    } else if k.trim().eq_ignore_ascii_case("content-type") {
                        ctype = v.trim().to_string();
                    }
                }
            }
            let name = disposition_param(&disposition, "name").unwrap_or_default();
            if name == "payload_json" {
                payload = serde_json::from_slice(data)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(data).into()));
            } else {
                files.push(UploadedFile {
                    field: name,
                    filename: disposition_param(&disposition, "filename").unwrap_or_default(),
                    content_type: ctype,
                    data: data.to_vec(),
                });
            }
        }
        pos = next + delim.len();
    }
    (payload, files)
}

fn parse_body(content_type: &str, body: &[u8]) -> (Value, Vec<UploadedFile>) {
    if body.is_empty() {
        return (Value::Null, vec![]);
    }
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return parse_multipart(content_type, body);
    }
    let v = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()));
    (v, vec![])
}

// ---------------------------------------------------------------------------------------------
// WebSocket gateway

async fn ws_handler(
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

fn send_frame(
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

async fn gateway_connection(socket: WebSocket, sh: Arc<Shared>) {
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

fn gateway_received(sh: &Shared, v: Value) {
    let mut all = sh.gateway_received.lock().unwrap();
    all.push(v);
    let n = all.len();
    drop(all);
    sh.gateway_received_count.send_replace(n);
}

fn on_gateway_text(
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

fn on_gateway_payload(
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

// ---------------------------------------------------------------------------------------------
// REST API

enum Reply {
    Json(StatusCode, Value),
    NoContent,
}

fn ok(v: Value) -> Reply {
    Reply::Json(StatusCode::OK, v)
}

fn error(status: u16, code: u64, message: &str) -> Reply {
    Reply::Json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"message": message, "code": code}),
    )
}

fn unknown() -> Reply {
    error(404, 0, "Unknown")
}

fn form_error(field: &str, code: &str, message: &str) -> Reply {
    Reply::Json(
        StatusCode::BAD_REQUEST,
        json!({
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {field: {"_errors": [{"code": code, "message": message}]}},
        }),
    )
}

async fn http_handler(State(sh): St, req: axum::extract::Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 256 << 20).await.unwrap_or_default();
    let content_type = header(&parts.headers, "content-type");
    let (json_body, files) = parse_body(&content_type, &bytes);
    let request = Request {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        body: json_body,
        raw_content_type: content_type,
        at: Instant::now(),
        raw_body: bytes.to_vec(),
        files,
        authorization: header(&parts.headers, "authorization"),
        user_agent: header(&parts.headers, "user-agent"),
    };
    let index = record(&sh, request.clone());
    let reply = if request.path.starts_with("/api/v10/") && request.authorization.is_empty() {
        error(401, 0, "401: Unauthorized")
    } else {
        route(&sh, &request)
    };
    let (status, v) = match reply {
        Reply::NoContent => (StatusCode::NO_CONTENT, Value::Null),
        Reply::Json(status, v) => (status, v),
    };
    sh.responses
        .lock()
        .unwrap()
        .insert(index, (status.as_u16(), v.clone()));
    if v.is_null() {
        status.into_response()
    } else {
        (
            status,
            [("content-type", "application/json")],
            v.to_string(),
        )
            .into_response()
    }
}

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn route(sh: &Shared, r: &Request) -> Reply {
    let Some(rest) = r.path.strip_prefix("/api/v10") else {
        return unknown();
    };
    let seg: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let m = r.method.as_str();
    let app_ok = |a: &str| parse_id(a) == Some(FakeDiscord::APPLICATION_ID);
    let guild_ok = |g: &str| parse_id(g) == Some(FakeDiscord::GUILD_ID);
    match (m, seg.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": sh.gateway_url()})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": sh.gateway_url(),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        })),
        ("GET", ["users", "@me"]) => ok(bot_user()),
        ("POST", ["users", "@me", "channels"]) => {
            let recipient = r.body["recipient_id"]
                .as_str()
                .and_then(parse_id)
                .or_else(|| r.body["recipient_id"].as_u64())
                .unwrap_or(FakeDiscord::OWNER_ID);
            ok(payloads::dm_channel(recipient))
        }
        ("GET", ["users", id]) => match parse_id(id) {
            Some(FakeDiscord::BOT_USER_ID) => ok(bot_user()),
            Some(id) => ok(payloads::user(id)),
            None => error(404, 10013, "Unknown User"),
        },
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
            ok(payloads::application_info())
        }

        // Application commands
        (_, ["applications", app, ..]) if !app_ok(app) => error(404, 10002, "Unknown Application"),
        (_, ["applications", _, "guilds", g, ..]) if !guild_ok(g) => {
            error(404, 10004, "Unknown Guild")
        }
        (_, ["applications", _, "guilds", _, "commands", rest @ ..]) => {
            commands(sh, m, rest, &r.body, Some(FakeDiscord::GUILD_ID))
        }
        (_, ["applications", _, "commands", rest @ ..]) => commands(sh, m, rest, &r.body, None),

        // Interactions
        ("POST", ["interactions", id, token, "callback"]) => interaction_callback(sh, r, id, token),
        (_, ["webhooks", app, token, rest @ ..]) => webhook(sh, r, m, app, token, rest),

        // Channels
        (_, ["channels", c, ..]) if channel_kind(c).is_none() => {
            error(404, 10003, "Unknown Channel")
        }
        ("GET", ["channels", c]) => ok(channel_object(sh, c)),
        ("POST", ["channels", _, "typing"]) => Reply::NoContent,
        ("GET", ["channels", c, "messages"]) => {
            let cid = c.to_string();
            let mut list: Vec<Value> = sh
                .messages
                .lock()
                .unwrap()
                .values()
                .filter(|m| m["channel_id"] == cid.as_str())
                .cloned()
                .collect();
            list.sort_by_key(|m| {
                std::cmp::Reverse(m["id"].as_str().and_then(parse_id).unwrap_or(0))
            });
            ok(Value::Array(list))
        }
        ("POST", ["channels", c, "messages"]) => {
            if let Some(e) = check_message_body(&r.body, !r.files.is_empty()) {
                return e;
            }
            let id = sh.snowflake();
            let msg = build_message(
                sh,
                id,
                parse_id(c).unwrap_or(0),
                &r.body,
                &r.files,
                false,
                0,
            );
            sh.messages.lock().unwrap().insert(id, msg.clone());
            ok(msg)
        }
        ("GET", ["channels", _, "messages", mid]) => stored_message(sh, mid),
        ("PATCH", ["channels", _, "messages", mid]) => edit_message(sh, mid, r),
        ("DELETE", ["channels", _, "messages", mid]) => delete_message(sh, mid),
        ("PUT", ["channels", _, "messages", _, "reactions", _, "@me"]) => Reply::NoContent,
        ("DELETE", ["channels", _, "messages", _, "reactions", ..]) => Reply::NoContent,

        // Guild
        (_, ["guilds", g, ..]) if !guild_ok(g) => error(404, 10004, "Unknown Guild"),
        ("GET", ["guilds", _]) => ok(payloads::partial_guild(&sh.guild_locale())),
        ("GET", ["guilds", _, "channels"]) => ok(json!([payloads::guild_text_channel()])),
        ("GET", ["guilds", _, "roles"]) => ok(payloads::guild_roles()),
        ("GET", ["guilds", _, "members", uid]) => match parse_id(uid) {
            Some(FakeDiscord::BOT_USER_ID) => ok(payloads::member(bot_user(), &[], None)),
            Some(uid) => ok(payloads::member(payloads::user(uid), &[], None)),
            None => error(404, 10013, "Unknown User"),
        },
        _ => unknown(),
    }
}

fn channel_kind(c: &str) -> Option<u8> {
    match parse_id(c)? {
        FakeDiscord::CHANNEL_ID => Some(0),
        FakeDiscord::DM_CHANNEL_ID => Some(1),
        _ => None,
    }
}

fn channel_object(sh: &Shared, c: &str) -> Value {
    if channel_kind(c) == Some(1) {
        payloads::dm_channel(sh.dm_recipient.load(Ordering::SeqCst))
    } else {
        payloads::guild_text_channel()
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

/// Removes null members of objects, recursively (serenity's response models take a missing
/// field as None/default, but not always a null).
pub(super) fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

fn echo_command(sh: &Shared, body: &Value, guild: Option<u64>) -> Value {
    let mut c = strip_nulls(body.clone());
    if !c.is_object() {
        c = json!({});
    }
    let name = c["name"].as_str().unwrap_or_default().to_string();
    c["id"] = json!(payloads::command_id(&name).to_string());
    c["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
    c["version"] = json!(sh.snowflake().to_string());
    if let Some(g) = guild {
        c["guild_id"] = json!(g.to_string());
    }
    let defaults = [
        ("type", json!(1)),
        ("description", json!("")),
        ("options", json!([])),
        ("default_member_permissions", Value::Null),
        ("nsfw", json!(false)),
        ("integration_types", json!([0])),
    ];
    for (k, v) in defaults {
        if c.get(k).is_none() {
            c[k] = v;
        }
    }
    if guild.is_none() && c.get("dm_permission").is_none() {
        c["dm_permission"] = json!(true);
    }
    c
}

fn commands(sh: &Shared, m: &str, rest: &[&str], body: &Value, guild: Option<u64>) -> Reply {
    let store = if guild.is_some() {
        &sh.guild_commands
    } else {
        &sh.global_commands
    };
    match (m, rest) {
        ("GET", []) => ok(Value::Array(store.lock().unwrap().clone())),
        ("PUT", []) => {
            let Some(list) = body.as_array() else {
                return form_error("_root", "ARRAY_TYPE_CONVERT", "Must be an array.");
            };
            let echoed: Vec<Value> = list.iter().map(|c| echo_command(sh, c, guild)).collect();
            *store.lock().unwrap() = echoed.clone();
            ok(Value::Array(echoed))
        }
        ("POST", []) => {
            let c = echo_command(sh, body, guild);
            let mut s = store.lock().unwrap();
            s.retain(|x| x["name"] != c["name"]);
            s.push(c.clone());
            ok(c)
        }
        (_, [cid]) => {
            let mut s = store.lock().unwrap();
            let Some(pos) = s.iter().position(|x| x["id"] == *cid) else {
                return error(404, 10063, "Unknown application command");
            };
            match m {
                "GET" => ok(s[pos].clone()),
                "DELETE" => {
                    s.remove(pos);
                    Reply::NoContent
                }
                "PATCH" => {
                    if let (Some(target), Some(patch)) = (s[pos].as_object_mut(), body.as_object())
                    {
                        for (k, v) in patch {
                            if !v.is_null() {
                                target.insert(k.clone(), strip_nulls(v.clone()));
                            }
                        }
                    }
                    ok(s[pos].clone())
                }
                _ => unknown(),
            }
        }
        _ => unknown(),
    }
}

// ---------------------------------------------------------------------------------------------
// Messages

fn has_text(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

fn non_empty_array(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// Discord's own checks on a new message: not empty, content at most 2000 characters.
fn check_message_body(body: &Value, has_files: bool) -> Option<Reply> {
    if let Some(content) = body["content"].as_str() {
        if content.chars().count() > 2000 {
            return Some(form_error(
                "content",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 2000 or fewer in length.",
            ));
        }
    }
    let empty = !has_text(&body["content"])
        && !non_empty_array(&body["embeds"])
        && !non_empty_array(&body["components"])
        && !non_empty_array(&body["sticker_ids"])
        && body["poll"].is_null()
        && !has_files;
    empty.then(|| error(400, 50006, "Cannot send an empty message"))
}

fn normalize_embeds(v: &Value) -> Value {
    let embeds = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let mut e = strip_nulls(e.clone());
                    if e.is_object() && e.get("type").is_none() {
                        e["type"] = json!("rich");
                    }
                    e
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(embeds)
}

fn attachments_for(sh: &Shared, channel_id: u64, files: &[UploadedFile]) -> Vec<Value> {
    files
        .iter()
        .map(|f| {
            let id = sh.snowflake();
            let url = format!(
                "http://127.0.0.1:{}/attachments/{channel_id}/{id}/{}",
                sh.port, f.filename
            );
            let mut a = json!({
                "id": id.to_string(),
                "filename": f.filename,
                "size": f.data.len(),
                "url": url,
                "proxy_url": url,
            });
            if !f.content_type.is_empty() {
                a["content_type"] = json!(f.content_type);
            }
            a
        })
        .collect()
}

/// A full Message as Discord returns it, from a create-message body.
fn build_message(
    sh: &Shared,
    id: u64,
    channel_id: u64,
    body: &Value,
    files: &[UploadedFile],
    webhook: bool,
    kind: u64,
) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": bot_user(),
        "content": body["content"].as_str().unwrap_or_default(),
        "timestamp": now_timestamp(),
        "edited_timestamp": null,
        "tts": body["tts"].as_bool().unwrap_or(false),
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments_for(sh, channel_id, files),
        "embeds": normalize_embeds(&body["embeds"]),
        "pinned": false,
        "type": kind,
        "flags": body["flags"].as_u64().unwrap_or(0),
        "components": strip_nulls(body.get("components").cloned().unwrap_or(json!([]))),
    });
    if webhook {
        m["webhook_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        m["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
    }
    if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
        let ref_kind = reference["type"].as_u64().unwrap_or(0);
        let mut out = json!({
            "type": ref_kind,
            "channel_id": reference
                .get("channel_id")
                .filter(|c| !c.is_null())
                .cloned()
                .unwrap_or(json!(channel_id.to_string())),
        });
        if let Some(mid) = reference.get("message_id").filter(|c| !c.is_null()) {
            out["message_id"] = mid.clone();
        }
        if channel_id == FakeDiscord::CHANNEL_ID {
            out["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
        }
        if ref_kind == 0 {
            m["type"] = json!(19);
        }
        m["message_reference"] = out;
    }
    m
}

fn stored_message(sh: &Shared, mid: &str) -> Reply {
    match parse_id(mid).and_then(|id| sh.messages.lock().unwrap().get(&id).cloned()) {
        Some(m) => ok(m),
        None => error(404, 10008, "Unknown Message"),
    }
}

fn apply_edit(sh: &Shared, msg: &mut Value, r: &Request) {
    let body = &r.body;
    if let Some(obj) = body.as_object() {
        for (k, v) in obj {
            match (k.as_str(), v) {
                ("content", Value::Null) => msg["content"] = json!(""),
                ("content", v) => msg["content"] = v.clone(),
                ("embeds", v) => msg["embeds"] = normalize_embeds(v),
                ("components", Value::Null) => msg["components"] = json!([]),
                ("components", v) => msg["components"] = strip_nulls(v.clone()),
                ("flags", v) if v.is_u64() => msg["flags"] = v.clone(),
                ("attachments", Value::Array(keep)) => {
                    let keep: Vec<&Value> = keep.iter().map(|a| &a["id"]).collect();
                    if let Some(a) = msg["attachments"].as_array_mut() {
                        a.retain(|x| keep.contains(&&x["id"]));
                    }
                }
                _ => {}
            }
        }
    }
    let channel_id = msg["channel_id"].as_str().and_then(parse_id).unwrap_or(0);
    let added = attachments_for(sh, channel_id, &r.files);
    if let Some(a) = msg["attachments"].as_array_mut() {
        a.extend(added);
    }
    // A deferred response stops "thinking" once edited.
    if let Some(flags) = msg["flags"].as_u64() {
        msg["flags"] = json!(flags & !128);
    }
    msg["edited_timestamp"] = json!(now_timestamp());
}

fn edit_message(sh: &Shared, mid: &str, r: &Request) -> Reply {
    let Some(id) = parse_id(mid) else {
        return error(404, 10008, "Unknown Message");
    };
    let mut messages = sh.messages.lock().unwrap();
    let Some(msg) = messages.get_mut(&id) else {
        return error(404, 10008, "Unknown Message");
    };
    apply_edit(sh, msg, r);
    ok(msg.clone())
}

fn delete_message(sh: &Shared, mid: &str) -> Reply {
    match parse_id(mid).and_then(|id| sh.messages.lock().unwrap().remove(&id)) {
        Some(_) => Reply::NoContent,
        None => error(404, 10008, "Unknown Message"),
    }
}

// ---------------------------------------------------------------------------------------------
// Interactions

fn interaction_callback(sh: &Shared, r: &Request, id: &str, token: &str) -> Reply {
    let deadline = *sh.interaction_deadline.lock().unwrap();
    let mut interactions = sh.interactions.lock().unwrap();
    let Some(info) = parse_id(id).and_then(|id| interactions.get_mut(&id)) else {
        return error(404, 10062, "Unknown interaction");
    };
    if info.token != token {
        return error(401, 50027, "Invalid Webhook Token");
    }
    if deadline.is_some_and(|d| info.dispatched_at.elapsed() > d) {
        return error(404, 10062, "Unknown interaction");
    }
    if info.acknowledged {
        return error(400, 40060, "Interaction has already been acknowledged.");
    }
    let kind = r.body["type"].as_u64().unwrap_or(0);
    let data = r.body.get("data").cloned().unwrap_or(Value::Null);
    let message_kind = if info.kind == 2 { 20 } else { 0 };
    let original = match kind {
        1 | 6 | 7 | 8 | 9 | 10 | 12 => None,
        4 => {
            if let Some(e) = check_message_body(&data, !r.files.is_empty()) {
                return e;
            }
            Some(build_message(
                sh,
                sh.snowflake(),
                info.channel_id,
                &data,
                &r.files,
                true,
                message_kind,
            ))
        }
        5 => {
            let flags = data["flags"].as_u64().unwrap_or(0) | 128;
            Some(build_message(
                sh,
                sh.snowflake(),
                info.channel_id,
                &json!({"flags": flags}),
                &[],
                true,
                message_kind,
            ))
        }
        _ => {
            return form_error(
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.",
            )
        }
    };
    info.acknowledged = true;
    if let Some(msg) = &original {
        let mid = msg["id"].as_str().and_then(parse_id).unwrap_or(0);
        info.original = Some(mid);
        sh.messages.lock().unwrap().insert(mid, msg.clone());
    }
    let interaction_id = info.id;
    let interaction_kind = info.kind;
    drop(interactions);
    if r.query_param("with_response").as_deref() == Some("true") {
        let mut resource = json!({"type": kind});
        if let Some(msg) = &original {
            resource["message"] = msg.clone();
        }
        return ok(json!({
            "interaction": {
                "id": interaction_id.to_string(),
                "type": interaction_kind,
                "response_message_id": original.as_ref().map(|m| m["id"].clone()),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": original
                    .as_ref()
                    .is_some_and(|m| m["flags"].as_u64().unwrap_or(0) & 64 != 0),
            },
            "resource": resource,
        }));
    }
    Reply::NoContent
}

fn webhook(sh: &Shared, r: &Request, m: &str, app: &str, token: &str, rest: &[&str]) -> Reply {
    if parse_id(app) != Some(FakeDiscord::APPLICATION_ID) {
        return error(404, 10015, "Unknown Webhook");
    }
    let (interaction_id, channel_id, acknowledged, original) = {
        let interactions = sh.interactions.lock().unwrap();
        match interactions.values().find(|i| i.token == token) {
            Some(i) => (i.id, i.channel_id, i.acknowledged, i.original),
            None => return error(404, 10015, "Unknown Webhook"),
        }
    };
    if !acknowledged {
        return error(404, 10015, "Unknown Webhook");
    }
    match (m, rest) {
        ("POST", []) => {
            if let Some(e) = check_message_body(&r.body, !r.files.is_empty()) {
                return e;
            }
            let id = sh.snowflake();
            let msg = build_message(sh, id, channel_id, &r.body, &r.files, true, 0);
            sh.messages.lock().unwrap().insert(id, msg.clone());
            ok(msg)
        }
        (_, ["messages", "@original"]) => {
            let Some(mid) = original else {
                return error(404, 10008, "Unknown Message");
            };
            let mid = mid.to_string();
            match m {
                "GET" => stored_message(sh, &mid),
                "PATCH" => edit_message(sh, &mid, r),
                "DELETE" => {
                    if let Some(i) = sh.interactions.lock().unwrap().get_mut(&interaction_id) {
                        i.original = None;
                    }
                    delete_message(sh, &mid)
                }
                _ => unknown(),
            }
        }
        ("GET", ["messages", mid]) => stored_message(sh, mid),
        ("PATCH", ["messages", mid]) => edit_message(sh, mid, r),
        ("DELETE", ["messages", mid]) => delete_message(sh, mid),
        _ => unknown(),
    }
}
