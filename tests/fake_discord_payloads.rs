//! The fake Discord's payloads (tests/fake_discord/payloads.rs) deserialize into the real
//! serenity 0.12.5's models, and its validator of request bodies against Discord's OpenAPI
//! description accepts good bodies and rejects bad ones, naming where.

mod fake_discord;

use fake_discord::{autocomplete, message, slash_command, Asker, FakeDiscord, OpenApi, GUILD_NAME};
use serde_json::{json, Value};
use serenity::all::Interaction;
use serenity::model::event::{Event, GatewayEvent};

// ---------------------------------------------------------------------------------------------
// Payload builders deserialize into serenity's models

fn gateway_event(t: &str, d: Value) -> Event {
    let frame = json!({"op": 0, "s": 1, "t": t, "d": d});
    match serde_json::from_value::<GatewayEvent>(frame) {
        Ok(GatewayEvent::Dispatch(_, event)) => event,
        Ok(other) => panic!("{t}: not a dispatch: {other:?}"),
        Err(e) => panic!("{t}: serenity cannot deserialize it: {e}"),
    }
}

#[test]
fn payloads_deserialize_into_serenity_models() {
    match gateway_event(
        "READY",
        fake_discord::ready("s", "ws://127.0.0.1:1/gateway"),
    ) {
        Event::Ready(r) => {
            assert_eq!(r.ready.user.id.get(), FakeDiscord::BOT_USER_ID);
            assert!(r.ready.user.bot);
            assert_eq!(r.ready.application.id.get(), FakeDiscord::APPLICATION_ID);
            assert_eq!(r.ready.guilds.len(), 1);
        }
        other => panic!("READY became {other:?}"),
    }
    match gateway_event("GUILD_CREATE", fake_discord::guild_create("en-US")) {
        Event::GuildCreate(g) => {
            let g = g.guild;
            assert_eq!(g.id.get(), FakeDiscord::GUILD_ID);
            assert_eq!(g.name, GUILD_NAME);
            assert_eq!(g.preferred_locale, "en-US");
            assert_eq!(g.roles.len(), 2);
            assert!(g
                .roles
                .keys()
                .any(|r| r.get() == FakeDiscord::ADMIN_ROLE_ID));
            assert!(g
                .channels
                .keys()
                .any(|c| c.get() == FakeDiscord::CHANNEL_ID));
            assert!(g
                .members
                .keys()
                .any(|u| u.get() == FakeDiscord::BOT_USER_ID));
        }
        other => panic!("GUILD_CREATE became {other:?}"),
    }

    let options = json!([{"name": "question", "type": 3, "value": "Qui a gagné ?"}]);
    let admin = Asker::admin(42);
    match gateway_event(
        "INTERACTION_CREATE",
        slash_command(7, "tok", "ask", options.clone(), &admin),
    ) {
        Event::InteractionCreate(e) => match e.interaction {
            Interaction::Command(c) => {
                assert_eq!(c.data.name, "ask");
                assert_eq!(c.data.options.len(), 1);
                assert_eq!(c.guild_id.map(|g| g.get()), Some(FakeDiscord::GUILD_ID));
                assert_eq!(c.user.id.get(), 42);
                let member = c.member.expect("member");
                assert!(member.permissions.expect("permissions").manage_guild());
                assert!(member
                    .roles
                    .iter()
                    .any(|r| r.get() == FakeDiscord::ADMIN_ROLE_ID));
                assert!(c.app_permissions.expect("app_permissions").send_messages());
                assert_eq!(c.locale, "fr");
            }
            other => panic!("slash command became {other:?}"),
        },
        other => panic!("INTERACTION_CREATE became {other:?}"),
    }
    let member = Asker::member(43).with_locale("en-US");
    match gateway_event(
        "INTERACTION_CREATE",
        slash_command(8, "tok", "ask", Value::Null, &member),
    ) {
        Event::InteractionCreate(e) => match e.interaction {
            Interaction::Command(c) => {
                assert!(!c.member.unwrap().permissions.unwrap().manage_guild());
                assert_eq!(c.locale, "en-US");
            }
            other => panic!("became {other:?}"),
        },
        other => panic!("became {other:?}"),
    }
    match gateway_event(
        "INTERACTION_CREATE",
        slash_command(9, "tok", "ask", options, &Asker::dm(44)),
    ) {
        Event::InteractionCreate(e) => match e.interaction {
            Interaction::Command(c) => {
                assert!(c.guild_id.is_none());
                assert!(c.member.is_none());
                assert_eq!(c.user.id.get(), 44);
                assert_eq!(c.channel_id.get(), FakeDiscord::DM_CHANNEL_ID);
            }
            other => panic!("DM command became {other:?}"),
        },
        other => panic!("became {other:?}"),
    }
    let partial = json!([{"name": "question", "type": 3, "value": "élec"}]);
    match gateway_event(
        "INTERACTION_CREATE",
        autocomplete(10, "tok", "ask", partial, &Asker::member(45)),
    ) {
        Event::InteractionCreate(e) => match e.interaction {
            Interaction::Autocomplete(c) => {
                let focused = c.data.autocomplete().expect("a focused option");
                assert_eq!(focused.name, "question");
                assert_eq!(focused.value, "élec");
            }
            other => panic!("autocomplete became {other:?}"),
        },
        other => panic!("became {other:?}"),
    }
    match gateway_event("MESSAGE_CREATE", message(11, "bonjour", 46, true, true)) {
        Event::MessageCreate(m) => {
            let m = m.message;
            assert_eq!(m.guild_id.map(|g| g.get()), Some(FakeDiscord::GUILD_ID));
            assert!(m.mentions_user_id(serenity::all::UserId::new(FakeDiscord::BOT_USER_ID)));
            assert_eq!(
                m.content,
                format!("<@{}> bonjour", FakeDiscord::BOT_USER_ID)
            );
        }
        other => panic!("MESSAGE_CREATE became {other:?}"),
    }
    match gateway_event("MESSAGE_CREATE", message(12, "salut", 46, false, false)) {
        Event::MessageCreate(m) => {
            assert!(m.message.guild_id.is_none());
            assert_eq!(m.message.channel_id.get(), FakeDiscord::DM_CHANNEL_ID);
            assert_eq!(m.message.content, "salut");
        }
        other => panic!("became {other:?}"),
    }
    // REST objects
    serde_json::from_value::<serenity::all::CurrentApplicationInfo>(
        fake_discord::application_info(),
    )
    .expect("CurrentApplicationInfo");
    serde_json::from_value::<serenity::all::PartialGuild>(fake_discord::partial_guild("fr"))
        .expect("PartialGuild");
    serde_json::from_value::<serenity::all::GuildChannel>(fake_discord::guild_text_channel())
        .expect("GuildChannel");
    serde_json::from_value::<serenity::all::PrivateChannel>(fake_discord::dm_channel(5))
        .expect("PrivateChannel");
    serde_json::from_value::<Vec<serenity::all::Role>>(fake_discord::guild_roles()).expect("roles");
}

// ---------------------------------------------------------------------------------------------
// The validator

#[test]
fn validator_accepts_good_bodies_and_rejects_bad_ones() {
    let api = OpenApi::load();
    let cb = "/api/v10/interactions/123/tok/callback";
    let good = json!({
        "type": 4,
        "data": {
            "embeds": [{"title": "Titre", "description": "Texte", "color": 3_000_000,
                        "fields": [{"name": "a", "value": "b", "inline": false}]}],
            "allowed_mentions": {"parse": []},
        },
    });
    api.validate("POST", cb, &good).expect("a valid callback");
    api.validate(
        "post",
        "/interactions/123/tok/callback?with_response=false",
        &good,
    )
    .expect("no prefix, a query string, lower-case method");
    api.validate(
        "POST",
        cb,
        &json!({"type": 8, "data": {"choices": [{"name": "A", "value": "a"}]}}),
    )
    .expect("autocomplete");

    let err = api
        .validate("POST", cb, &json!({"type": 99, "data": {"content": "x"}}))
        .expect_err("type 99 must be rejected");
    assert!(err.contains("/type"), "the error names /type: {err}");
    let err = api
        .validate(
            "POST",
            cb,
            &json!({"type": 4, "data": {"embeds": [{"title": 12}]}}),
        )
        .expect_err("a numeric embed title must be rejected");
    assert!(
        err.contains("/data/embeds/0/title"),
        "the error names the title: {err}"
    );
    api.validate("POST", cb, &Value::Null)
        .expect_err("the callback needs a body");

    let original = "/api/v10/webhooks/1/tok/messages/@original";
    api.validate(
        "PATCH",
        original,
        &json!({"content": "edited", "embeds": []}),
    )
    .expect("edit original");
    let err = api
        .validate("PATCH", original, &json!({"content": 5}))
        .expect_err("numeric content");
    assert!(err.contains("/content"), "{err}");
    assert_eq!(
        api.find_operation("PATCH", original).unwrap().template,
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "a literal segment beats a template parameter"
    );
    api.validate(
        "POST",
        "/api/v10/channels/5/messages",
        &json!({"content": "x".repeat(4001)}),
    )
    .expect_err(
        "content longer than 4000 (the spec's limit; bots get 2000, which the fake enforces)",
    );
    api.validate(
        "PUT",
        "/api/v10/applications/1/guilds/2/commands",
        &json!([{"name": "ask", "description": "Ask", "type": 1,
                 "options": [{"type": 3, "name": "question", "description": "q", "required": true}]}]),
    )
    .expect("command registration");
    api.validate(
        "PUT",
        "/api/v10/applications/1/guilds/2/commands",
        &json!([{"name": "n".repeat(33), "description": "Ask", "type": 1}]),
    )
    .expect_err("command names longer than 32 are invalid");
    // Serenity's placeholder ids for new attachments are integers; the spec wants snowflake
    // strings. validate() is strict; normalize_known_quirks() makes them strings.
    let with_file = json!({"content": "x", "attachments": [{"id": 0, "filename": "a.txt"}]});
    let err = api
        .validate("POST", "/api/v10/channels/5/messages", &with_file)
        .expect_err("integer attachment id, strictly");
    assert!(err.contains("/attachments/0/id"), "{err}");
    api.validate(
        "POST",
        "/api/v10/channels/5/messages",
        &fake_discord::normalize_known_quirks(&with_file),
    )
    .expect("normalized");

    let err = api
        .validate("POST", "/api/v10/nothing/here", &json!({}))
        .expect_err("unknown path");
    assert!(err.contains("no path"), "{err}");
    let err = api
        .validate(
            "PUT",
            "/api/v10/interactions/1/t/callback",
            &json!({"type": 4}),
        )
        .expect_err("unknown method");
    assert!(err.contains("no PUT operation"), "{err}");
    api.validate("POST", "/api/v10/channels/5/typing", &Value::Null)
        .expect("typing has no body");
    api.validate("POST", "/api/v10/channels/5/typing", &json!({"x": 1}))
        .expect_err("typing takes no body");
    api.validate("GET", "/api/v10/gateway", &Value::Null)
        .expect("gateway");
}
