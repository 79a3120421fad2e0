//! Interactions in the fake Discord: the callback (once, in time, with the right token) and
//! the interaction's webhook (follow-ups, the original response).

use serde_json::{json, Value};

use super::messages::{
    build_message, check_message_body, delete_message, edit_message, stored_message,
};
use super::server::{error, form_error, ok, parse_id, unknown, Reply};
use super::{FakeDiscord, Request, Shared};

pub(super) fn interaction_callback(sh: &Shared, r: &Request, id: &str, token: &str) -> Reply {
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

pub(super) fn webhook(
    sh: &Shared,
    r: &Request,
    m: &str,
    app: &str,
    token: &str,
    rest: &[&str],
) -> Reply {
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
