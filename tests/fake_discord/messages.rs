//! Messages in the fake Discord: Discord's own checks on a new one, the full Message it
//! returns, edits (a deferred response stops "thinking"), deletions.

use serde_json::{json, Value};

use super::commands::strip_nulls;
use super::payloads::{bot_user, now_timestamp};
use super::server::{error, form_error, ok, parse_id, Reply};
use super::{FakeDiscord, Request, Shared, UploadedFile};

pub(super) fn has_text(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

pub(super) fn non_empty_array(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// Discord's own checks on a new message: not empty, content at most 2000 characters.
pub(super) fn check_message_body(body: &Value, has_files: bool) -> Option<Reply> {
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

pub(super) fn normalize_embeds(v: &Value) -> Value {
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

pub(super) fn attachments_for(sh: &Shared, channel_id: u64, files: &[UploadedFile]) -> Vec<Value> {
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
pub(super) fn build_message(
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

pub(super) fn stored_message(sh: &Shared, mid: &str) -> Reply {
    match parse_id(mid).and_then(|id| sh.messages.lock().unwrap().get(&id).cloned()) {
        Some(m) => ok(m),
        None => error(404, 10008, "Unknown Message"),
    }
}

pub(super) fn apply_edit(sh: &Shared, msg: &mut Value, r: &Request) {
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

pub(super) fn edit_message(sh: &Shared, mid: &str, r: &Request) -> Reply {
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

pub(super) fn delete_message(sh: &Shared, mid: &str) -> Reply {
    match parse_id(mid).and_then(|id| sh.messages.lock().unwrap().remove(&id)) {
        Some(_) => Reply::NoContent,
        None => error(404, 10008, "Unknown Message"),
    }
}
