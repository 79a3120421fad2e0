//! Gateway and REST payloads in Discord's wire format, with every field serenity 0.12.5's models
//! require (each one is deserialized into serenity's own types by the selftest).

use serde_json::{json, Map, Value};
use serenity::all::Permissions;

use super::FakeDiscord;

/// `attachment_size_limit` Discord sends with interactions (10 MiB, a guild without boosts).
pub const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;
/// Name of the fake guild.
pub const GUILD_NAME: &str = "Kiosque test guild";
/// Name of the fake text channel.
pub const CHANNEL_NAME: &str = "général";
/// The bot's username.
pub const BOT_USERNAME: &str = "kiosque";

/// What an ordinary member may do in the fake guild (no MANAGE_GUILD).
pub fn member_permissions() -> String {
    (Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::EMBED_LINKS
        | Permissions::ATTACH_FILES
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::ADD_REACTIONS
        | Permissions::USE_EXTERNAL_EMOJIS
        | Permissions::USE_APPLICATION_COMMANDS
        | Permissions::CREATE_INSTANT_INVITE
        | Permissions::CHANGE_NICKNAME)
        .bits()
        .to_string()
}

/// What Discord computes for an administrator: every permission.
pub fn admin_permissions() -> String {
    Permissions::all().bits().to_string()
}

/// What the bot may do in the channel (`app_permissions` of interactions).
pub fn bot_permissions() -> String {
    (Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::EMBED_LINKS
        | Permissions::ATTACH_FILES
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::ADD_REACTIONS
        | Permissions::USE_EXTERNAL_EMOJIS
        | Permissions::USE_APPLICATION_COMMANDS)
        .bits()
        .to_string()
}

/// The permissions of the ADMIN_ROLE_ID role (ADMINISTRATOR | MANAGE_GUILD).
pub fn admin_role_permissions() -> String {
    (Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD)
        .bits()
        .to_string()
}

/// A stable snowflake for a command name: the same in interactions built by [`slash_command`]
/// and in the commands the fake echoes back on registration.
pub fn command_id(name: &str) -> u64 {
    // FNV-1a, folded into a plausible snowflake range.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1_250_000_000_000_000_000 + h % 1_000_000_000_000_000
}

/// A timestamp in Discord's format (RFC 3339).
pub fn now_timestamp() -> String {
    serenity::model::Timestamp::now().to_string()
}

/// The bot user (`bot: true`, id BOT_USER_ID).
pub fn bot_user() -> Value {
    json!({
        "id": FakeDiscord::BOT_USER_ID.to_string(),
        "username": BOT_USERNAME,
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
        "system": false,
        "mfa_enabled": true,
        "banner": null,
        "accent_color": null,
        "locale": "fr",
        "verified": true,
        "email": null,
        "flags": 0,
        "premium_type": 0,
        "public_flags": 0,
    })
}

/// A human user: username `user{id}`.
pub fn user(id: u64) -> Value {
    json!({
        "id": id.to_string(),
        "username": format!("user{id}"),
        "discriminator": "0",
        "global_name": format!("User {id}"),
        "avatar": null,
        "bot": false,
        "public_flags": 0,
    })
}

/// A full guild member (as in GUILD_CREATE and interactions); `permissions` only in interactions.
pub fn member(user_value: Value, roles: &[u64], permissions: Option<&str>) -> Value {
    let mut m = json!({
        "user": user_value,
        "nick": null,
        "avatar": null,
        "banner": null,
        "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
        "unusual_dm_activity_until": null,
    });
    if let Some(p) = permissions {
        m["permissions"] = Value::String(p.to_string());
    }
    m
}

fn role(id: u64, name: &str, permissions: &str, position: u64) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions,
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

/// The guild's roles: @everyone (id = GUILD_ID) and the admin role.
pub fn guild_roles() -> Value {
    json!([
        role(FakeDiscord::GUILD_ID, "@everyone", &member_permissions(), 0),
        role(
            FakeDiscord::ADMIN_ROLE_ID,
            "Admin",
            &admin_role_permissions(),
            1
        ),
    ])
}

/// The text channel CHANNEL_ID (a GuildChannel).
pub fn guild_text_channel() -> Value {
    json!({
        "id": FakeDiscord::CHANNEL_ID.to_string(),
        "type": 0,
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
        "name": CHANNEL_NAME,
        "position": 0,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "last_pin_timestamp": null,
        "flags": 0,
    })
}

/// The DM channel DM_CHANNEL_ID with `recipient_id` (a PrivateChannel).
pub fn dm_channel(recipient_id: u64) -> Value {
    json!({
        "id": FakeDiscord::DM_CHANNEL_ID.to_string(),
        "type": 1,
        "last_message_id": null,
        "flags": 0,
        "recipients": [user(recipient_id)],
    })
}

/// The user owning the fake guild.
pub const OWNER_ID: u64 = 1_200_000_000_000_000_500;

fn guild_core(locale: &str) -> Map<String, Value> {
    let v = json!({
        "id": FakeDiscord::GUILD_ID.to_string(),
        "name": GUILD_NAME,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": OWNER_ID.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": guild_roles(),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": FakeDiscord::CHANNEL_ID.to_string(),
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": locale,
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "welcome_screen": null,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "incidents_data": null,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// GUILD_CREATE `d`: the full guild with the GUILD_CREATE extra fields (the bot is its only
/// cached member; `member_count` says 3).
pub fn guild_create(locale: &str) -> Value {
    let mut g = guild_core(locale);
    let extra = json!({
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": false,
        "unavailable": false,
        "member_count": 3,
        "voice_states": [],
        "members": [member(bot_user(), &[], None)],
        "channels": [guild_text_channel()],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "lazy": true,
    });
    if let Value::Object(extra) = extra {
        g.extend(extra);
    }
    Value::Object(g)
}

/// `GET /guilds/{id}`: a PartialGuild.
pub fn partial_guild(locale: &str) -> Value {
    let mut g = guild_core(locale);
    g.insert("approximate_member_count".into(), json!(3));
    g.insert("approximate_presence_count".into(), json!(1));
    Value::Object(g)
}

/// READY `d`.
pub fn ready(session_id: &str, resume_gateway_url: &str) -> Value {
    json!({
        "v": 10,
        "user": bot_user(),
        "user_settings": {},
        "private_channels": [],
        "guilds": [{"id": FakeDiscord::GUILD_ID.to_string(), "unavailable": true}],
        "presences": [],
        "relationships": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["rotterdam"],
        "session_type": "normal",
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "shard": [0, 1],
        "application": {"id": FakeDiscord::APPLICATION_ID.to_string(), "flags": 0},
        "_trace": ["[\"fake-discord\"]"],
    })
}

/// `GET /oauth2/applications/@me`: a CurrentApplicationInfo.
pub fn application_info() -> Value {
    json!({
        "id": FakeDiscord::APPLICATION_ID.to_string(),
        "name": "Kiosque",
        "icon": null,
        "description": "Answers questions about a corpus of news articles",
        "summary": "",
        "type": null,
        "bot_public": false,
        "bot_require_code_grant": false,
        "verify_key": "0".repeat(64),
        "flags": 0,
        "hook": true,
        "is_monetized": false,
        "team": null,
        "owner": user(OWNER_ID),
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "tags": [],
        "integration_types_config": {"0": {}},
        "approximate_guild_count": 1,
        "bot": bot_user(),
    })
}

/// Who triggers an interaction.
#[derive(Clone, Debug)]
pub struct Asker {
    pub user_id: u64,
    /// The user's client locale (`locale` of the interaction), e.g. "fr" or "en-US".
    pub locale: String,
    /// `member.permissions`: the permission bitfield as a decimal string, e.g. "0" or "32"
    /// (MANAGE_GUILD = 1<<5). See [`member_permissions`] / [`admin_permissions`].
    pub permissions: String,
    pub roles: Vec<u64>,
    /// In the guild channel CHANNEL_ID, or else in the DM channel DM_CHANNEL_ID.
    pub in_guild: bool,
}

impl Asker {
    /// An ordinary member of the guild (no MANAGE_GUILD), French client.
    pub fn member(user_id: u64) -> Asker {
        Asker {
            user_id,
            locale: "fr".into(),
            permissions: member_permissions(),
            roles: vec![],
            in_guild: true,
        }
    }

    /// A member with the admin role: every permission, as Discord computes for ADMINISTRATOR.
    pub fn admin(user_id: u64) -> Asker {
        Asker {
            user_id,
            locale: "fr".into(),
            permissions: admin_permissions(),
            roles: vec![FakeDiscord::ADMIN_ROLE_ID],
            in_guild: true,
        }
    }

    /// A user in a DM with the bot.
    pub fn dm(user_id: u64) -> Asker {
        Asker {
            user_id,
            locale: "fr".into(),
            permissions: "0".into(),
            roles: vec![],
            in_guild: false,
        }
    }

    pub fn with_locale(mut self, locale: &str) -> Asker {
        self.locale = locale.to_string();
        self
    }
}

fn interaction(
    kind: u8,
    interaction_id: u64,
    token: &str,
    command: &str,
    options: Value,
    asker: &Asker,
) -> Value {
    let mut data = json!({
        "id": command_id(command).to_string(),
        "name": command,
        "type": 1,
    });
    match options {
        Value::Null => {}
        Value::Array(a) => data["options"] = Value::Array(a),
        other => panic!("options must be Discord's `options` array, got {other}"),
    }
    let mut i = json!({
        "id": interaction_id.to_string(),
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "type": kind,
        "data": data,
        "token": token,
        "version": 1,
        "locale": asker.locale,
        "app_permissions": bot_permissions(),
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    });
    if asker.in_guild {
        i["data"]["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
        i["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
        i["guild"] = json!({
            "id": FakeDiscord::GUILD_ID.to_string(),
            "features": [],
        });
        i["channel_id"] = json!(FakeDiscord::CHANNEL_ID.to_string());
        let mut channel = guild_text_channel();
        channel["permissions"] = json!(bot_permissions());
        i["channel"] = channel;
        i["member"] = member(user(asker.user_id), &asker.roles, Some(&asker.permissions));
        i["authorizing_integration_owners"] = json!({"0": FakeDiscord::GUILD_ID.to_string()});
        i["context"] = json!(0);
        // `guild_locale` (and `guild.locale`) are left for FakeDiscord::dispatch to fill in with
        // the guild's preferred locale (set_guild_locale), unless the caller sets them.
    } else {
        i["channel_id"] = json!(FakeDiscord::DM_CHANNEL_ID.to_string());
        let mut channel = dm_channel(asker.user_id);
        channel["permissions"] = json!(bot_permissions());
        i["channel"] = channel;
        i["user"] = user(asker.user_id);
        i["authorizing_integration_owners"] = json!({"0": "0"});
        i["context"] = json!(1);
    }
    i
}

/// INTERACTION_CREATE `d` for a slash command (type 2, APPLICATION_COMMAND). `options` is
/// Discord's `options` array (`[{"name": "q", "type": 3, "value": "…"}]`) or `Value::Null`.
pub fn slash_command(
    interaction_id: u64,
    token: &str,
    command: &str,
    options: Value,
    asker: &Asker,
) -> Value {
    interaction(2, interaction_id, token, command, options, asker)
}

/// INTERACTION_CREATE `d` for autocomplete (type 4). The focused option should carry
/// `"focused": true`; when no option does, the last leaf option is marked focused.
pub fn autocomplete(
    interaction_id: u64,
    token: &str,
    command: &str,
    mut options: Value,
    asker: &Asker,
) -> Value {
    if !has_focused(&options) {
        mark_last_focused(&mut options);
    }
    interaction(4, interaction_id, token, command, options, asker)
}

fn has_focused(options: &Value) -> bool {
    options.as_array().is_some_and(|a| {
        a.iter()
            .any(|o| o.get("focused") == Some(&Value::Bool(true)) || has_focused(&o["options"]))
    })
}

fn mark_last_focused(options: &mut Value) {
    if let Some(last) = options.as_array_mut().and_then(|a| a.last_mut()) {
        if last.get("options").is_some_and(Value::is_array) {
            mark_last_focused(&mut last["options"]);
        } else {
            last["focused"] = Value::Bool(true);
        }
    }
}

/// MESSAGE_CREATE `d`: in the guild channel CHANNEL_ID or the DM channel DM_CHANNEL_ID. With
/// `mentions_bot`, the bot is in `mentions` and, if `content` does not mention it already,
/// `content` is prefixed with `<@BOT_USER_ID> ` (which is how Discord writes a mention).
pub fn message(
    message_id: u64,
    content: &str,
    author_id: u64,
    in_guild: bool,
    mentions_bot: bool,
) -> Value {
    let bot_mention = format!("<@{}>", FakeDiscord::BOT_USER_ID);
    let bot_mention_nick = format!("<@!{}>", FakeDiscord::BOT_USER_ID);
    let content = if mentions_bot
        && !content.contains(&bot_mention)
        && !content.contains(&bot_mention_nick)
    {
        format!("{bot_mention} {content}")
    } else {
        content.to_string()
    };
    let mentions = if mentions_bot {
        let mut b = bot_user();
        if in_guild {
            b["member"] = json!({
                "roles": [],
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false,
                "mute": false,
                "flags": 0,
            });
        }
        vec![b]
    } else {
        vec![]
    };
    let mut m = json!({
        "id": message_id.to_string(),
        "channel_id": if in_guild { FakeDiscord::CHANNEL_ID } else { FakeDiscord::DM_CHANNEL_ID }.to_string(),
        "author": user(author_id),
        "content": content,
        "timestamp": now_timestamp(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions,
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": [],
        "nonce": message_id.to_string(),
    });
    if in_guild {
        m["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
        m["member"] = json!({
            "roles": [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "premium_since": null,
            "nick": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "avatar": null,
            "banner": null,
            "communication_disabled_until": null,
        });
    }
    m
}
