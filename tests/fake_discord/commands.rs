//! Application commands in the fake Discord: registered in bulk, one by one, edited and
//! deleted, globally or for the guild, echoed as Discord echoes them.

use serde_json::{json, Value};

use super::payloads;
use super::server::{error, form_error, ok, unknown, Reply};
use super::{FakeDiscord, Shared};

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

pub(super) fn echo_command(sh: &Shared, body: &Value, guild: Option<u64>) -> Value {
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

pub(super) fn commands(
    sh: &Shared,
    m: &str,
    rest: &[&str],
    body: &Value,
    guild: Option<u64>,
) -> Reply {
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
