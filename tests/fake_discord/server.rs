//! The HTTP + WebSocket server behind [`super::FakeDiscord`]: one port, the gateway at
//! `/gateway` ([`super::gateway`]), every other path a REST route, each request recorded
//! with the answer it got. The routes' work is in [`super::commands`], [`super::messages`]
//! and [`super::interactions`].

use std::future::IntoFuture;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::commands::commands;
use super::gateway::ws_handler;
use super::interactions::{interaction_callback, webhook};
use super::messages::{
    build_message, check_message_body, delete_message, edit_message, stored_message,
};
use super::multipart::parse_body;
use super::payloads::{self, bot_user};
use super::{FakeDiscord, Request, Shared};

pub(super) type St = State<Arc<Shared>>;

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

pub(super) fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Records a request; returns its index.
pub(super) fn record(sh: &Shared, req: Request) -> usize {
    let mut all = sh.requests.lock().unwrap();
    all.push(req);
    let n = all.len();
    drop(all);
    sh.requests_count.send_replace(n);
    n - 1
}

// ---------------------------------------------------------------------------------------------
// REST API

pub(super) enum Reply {
    Json(StatusCode, Value),
    NoContent,
}

pub(super) fn ok(v: Value) -> Reply {
    Reply::Json(StatusCode::OK, v)
}

pub(super) fn error(status: u16, code: u64, message: &str) -> Reply {
    Reply::Json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"message": message, "code": code}),
    )
}

pub(super) fn unknown() -> Reply {
    error(404, 0, "Unknown")
}

pub(super) fn form_error(field: &str, code: &str, message: &str) -> Reply {
    Reply::Json(
        StatusCode::BAD_REQUEST,
        json!({
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {field: {"_errors": [{"code": code, "message": message}]}},
        }),
    )
}

pub(super) async fn http_handler(State(sh): St, req: axum::extract::Request<Body>) -> Response {
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
    // as Discord: an interaction's token is its authorization (its callback and webhook need
    // no bot token); everything else does
    let by_token = request.route().starts_with("/webhooks/") || request.is_interaction_callback();
    let reply =
        if request.path.starts_with("/api/v10/") && request.authorization.is_empty() && !by_token {
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

pub(super) fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

pub(super) fn route(sh: &Shared, r: &Request) -> Reply {
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

pub(super) fn channel_kind(c: &str) -> Option<u8> {
    match parse_id(c)? {
        FakeDiscord::CHANNEL_ID => Some(0),
        FakeDiscord::DM_CHANNEL_ID => Some(1),
        _ => None,
    }
}

pub(super) fn channel_object(sh: &Shared, c: &str) -> Value {
    if channel_kind(c) == Some(1) {
        payloads::dm_channel(sh.dm_recipient.load(Ordering::SeqCst))
    } else {
        payloads::guild_text_channel()
    }
}
