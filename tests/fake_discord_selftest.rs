//! Proves the fake Discord (tests/fake_discord) works with the real serenity 0.12.5: its payloads
//! deserialize into serenity's models, a serenity client configured like kiosque's bot connects,
//! receives dispatches and answers them, and every request it makes is valid per Discord's
//! OpenAPI description.

mod fake_discord;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{
    autocomplete, message, slash_command, Asker, FakeDiscord, OpenApi, Request, GUILD_NAME,
};
use serde_json::{json, Value};
use serenity::all::{
    ChannelId, ClientBuilder, Command, CommandOptionType, Context, CreateAllowedMentions,
    CreateAttachment, CreateAutocompleteResponse, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse, EventHandler,
    GatewayIntents, Guild, GuildId, Http, HttpBuilder, Interaction, InteractionId, Message, Ready,
};
use serenity::model::event::{Event, GatewayEvent};
use tokio::sync::mpsc;

const STEP: Duration = Duration::from_secs(15);

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

// ---------------------------------------------------------------------------------------------
// End to end with a serenity client

struct Handler {
    tx: mpsc::UnboundedSender<String>,
}

impl Handler {
    fn say(&self, s: String) {
        let _ = self.tx.send(s);
    }
}

async fn startup_calls(ctx: &Context) -> serenity::Result<String> {
    let guild_commands = GuildId::new(FakeDiscord::GUILD_ID)
        .set_commands(
            &ctx.http,
            vec![CreateCommand::new("ask").description("Ask").add_option(
                CreateCommandOption::new(CommandOptionType::String, "question", "The question")
                    .required(true)
                    .set_autocomplete(true)
                    .max_length(300),
            )],
        )
        .await?;
    let global = Command::set_global_commands(
        &ctx.http,
        vec![CreateCommand::new("help").description("Help")],
    )
    .await?;
    let me = ctx.http.get_current_user().await?;
    let app = ctx.http.get_current_application_info().await?;
    let channel = ctx
        .http
        .get_channel(ChannelId::new(FakeDiscord::CHANNEL_ID))
        .await?;
    let guild = ctx
        .http
        .get_guild(GuildId::new(FakeDiscord::GUILD_ID))
        .await?;
    Ok(format!(
        "{} guild command(s) (option autocomplete {}), {} global, me {}, app {}, channel {}, guild {} {}",
        guild_commands.len(),
        guild_commands[0].options[0].autocomplete,
        global.len(),
        me.name,
        app.name,
        channel.guild().map(|c| c.name).unwrap_or_default(),
        guild.name,
        guild.preferred_locale,
    ))
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let calls = startup_calls(&ctx).await;
        self.say(format!("ready {}: {calls:?}", ready.user.name));
    }

    async fn resume(&self, _ctx: Context, _event: serenity::all::ResumedEvent) {
        self.say("resumed".into());
    }

    async fn guild_create(&self, _ctx: Context, guild: Guild, _is_new: Option<bool>) {
        self.say(format!(
            "guild_create {} {}",
            guild.name, guild.preferred_locale
        ));
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) => {
                let res: serenity::Result<String> = async {
                    let embed = CreateEmbed::new()
                        .title("Réponse")
                        .description("Une réponse.")
                        .field("Source", "Le Monde, 2024-01-01", false)
                        .colour(0x2b6cb0)
                        .footer(CreateEmbedFooter::new("kiosque"));
                    cmd.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(
                            CreateInteractionResponseMessage::new()
                                .embed(embed)
                                .allowed_mentions(CreateAllowedMentions::new()),
                        ),
                    )
                    .await?;
                    let original = cmd.get_response(&ctx.http).await?;
                    let edited = cmd
                        .edit_response(&ctx.http, EditInteractionResponse::new().content("edited"))
                        .await?;
                    let followup = cmd
                        .create_followup(
                            &ctx.http,
                            CreateInteractionResponseFollowup::new()
                                .content("followup")
                                .ephemeral(true),
                        )
                        .await?;
                    Ok(format!(
                        "{} embed(s) titled {:?}; edited {:?}; followup {:?} flags {:?}",
                        original.embeds.len(),
                        original.embeds[0].title,
                        edited.content,
                        followup.content,
                        followup.flags.map(|f| f.bits()),
                    ))
                }
                .await;
                let question = cmd
                    .data
                    .options
                    .first()
                    .and_then(|o| o.value.as_str())
                    .unwrap_or_default()
                    .to_string();
                self.say(format!(
                    "command {} {question:?} in {:?}: {res:?}",
                    cmd.data.name,
                    cmd.guild_id.map(|g| g.get())
                ));
            }
            Interaction::Autocomplete(ac) => {
                let partial = ac
                    .data
                    .autocomplete()
                    .map(|f| f.value.to_string())
                    .unwrap_or_default();
                let res = ac
                    .create_response(
                        &ctx.http,
                        CreateInteractionResponse::Autocomplete(
                            CreateAutocompleteResponse::new()
                                .add_string_choice(format!("{partial} A"), "a")
                                .add_string_choice(format!("{partial} B"), "b"),
                        ),
                    )
                    .await;
                self.say(format!("autocomplete {partial:?}: {res:?}"));
            }
            other => self.say(format!("other interaction {:?}", other.kind())),
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if msg.author.bot {
            return;
        }
        if msg.guild_id.is_some() {
            let me = ctx.cache.current_user().id;
            if msg.mentions_user_id(me) {
                let typing = msg.channel_id.broadcast_typing(&ctx.http).await;
                let reply = msg.reply(&ctx.http, "pong").await;
                self.say(format!(
                    "guild message {:?}: typing {typing:?}, reply {:?}",
                    msg.content,
                    reply.map(|m| (m.content, m.message_reference.is_some()))
                ));
            }
        } else {
            let sent = msg
                .channel_id
                .send_message(
                    &ctx.http,
                    CreateMessage::new()
                        .content("dm pong")
                        .embed(CreateEmbed::new().title("DM").description("réponse"))
                        .add_file(CreateAttachment::bytes(b"hello".to_vec(), "answer.txt")),
                )
                .await;
            self.say(format!(
                "dm message {:?}: {:?}",
                msg.content,
                sent.map(|m| (m.content, m.attachments.len()))
            ));
        }
    }
}

/// Waits for a handler report starting with `prefix`; panics with everything seen otherwise.
async fn expect_report(rx: &mut mpsc::UnboundedReceiver<String>, prefix: &str) -> String {
    let deadline = tokio::time::Instant::now() + STEP;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(s)) if s.starts_with(prefix) => return s,
            Ok(Some(s)) => seen.push(s),
            _ => {
                panic!("no handler report starting with {prefix:?} within {STEP:?}; saw {seen:#?}")
            }
        }
    }
}

fn bot_http(fake: &FakeDiscord) -> Http {
    HttpBuilder::new(FakeDiscord::TOKEN)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

fn describe(requests: &[(Request, Option<(u16, Value)>)]) -> String {
    requests
        .iter()
        .map(|(r, resp)| {
            let q = if r.query.is_empty() {
                String::new()
            } else {
                format!("?{}", r.query)
            };
            format!(
                "{} {}{} -> {}",
                r.method,
                r.path,
                q,
                resp.as_ref()
                    .map(|(s, _)| s.to_string())
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_client_end_to_end() {
    let started = Instant::now();
    let fake = FakeDiscord::start().await;
    fake.set_guild_locale("en-US");
    // Short, so serenity heartbeats during the test.
    fake.set_heartbeat_interval(200);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    let mut client = ClientBuilder::new_with_http(bot_http(&fake), intents)
        .event_handler(Handler { tx })
        .await
        .expect("build the serenity client");
    let shard_manager = client.shard_manager.clone();
    let cache = Arc::clone(&client.cache);
    let running = tokio::spawn(async move { client.start().await });

    assert!(fake.wait_ready(STEP).await, "no READY within {STEP:?}");
    let ready = expect_report(&mut rx, "ready ").await;
    assert!(
        ready.contains("Ok(\"1 guild command(s) (option autocomplete true), 1 global, me kiosque"),
        "{ready}"
    );
    assert!(
        ready.ends_with(&format!("guild {GUILD_NAME} en-US\")")),
        "{ready}"
    );
    let guild = expect_report(&mut rx, "guild_create").await;
    assert_eq!(guild, format!("guild_create {GUILD_NAME} en-US"));
    assert!(cache.guild(GuildId::new(FakeDiscord::GUILD_ID)).is_some());

    // The handshake serenity did.
    let identify = fake
        .gateway_received()
        .into_iter()
        .find(|v| v["op"] == 2)
        .expect("an IDENTIFY");
    assert_eq!(identify["d"]["intents"].as_u64(), Some(intents.bits()));
    assert_eq!(identify["d"]["token"], "Bot fake-token");
    assert_eq!(
        identify["d"]["compress"], true,
        "serenity accepts zlib payload frames"
    );
    assert_eq!(identify["d"]["shard"], json!([0, 1]));
    assert_eq!(fake.identified_intents(), Some(intents.bits()));
    let upgrade = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/gateway")
        .expect("the WebSocket upgrade");
    assert_eq!(upgrade.query, "v=10");

    // A slash command in the guild.
    let options = json!([{"name": "question", "type": 3, "value": "Qui a gagné ?"}]);
    fake.dispatch(
        "INTERACTION_CREATE",
        slash_command(900, "tok-900", "ask", options, &Asker::member(42)),
    )
    .await;
    let report = expect_report(&mut rx, "command ask").await;
    assert!(
        report.contains("Ok(\"1 embed(s) titled Some(\\\"Réponse\\\"); edited \\\"edited\\\"; followup \\\"followup\\\" flags Some(64)\")"),
        "{report}"
    );
    let callback = fake
        .wait_request(|r| r.is_interaction_callback(), STEP)
        .await
        .expect("a callback");
    assert_eq!(callback.path, "/api/v10/interactions/900/tok-900/callback");
    assert_eq!(callback.body["type"], 4);
    // CreateAllowedMentions::new() serializes every list, empty.
    assert_eq!(
        callback.body["data"]["allowed_mentions"],
        json!({"parse": [], "roles": [], "users": []})
    );
    assert_eq!(callback.body["data"]["embeds"][0]["title"], "Réponse");
    assert_eq!(fake.original_response(900).unwrap()["content"], "edited");

    // Autocomplete.
    let partial = json!([{"name": "question", "type": 3, "value": "élec", "focused": true}]);
    fake.dispatch(
        "INTERACTION_CREATE",
        autocomplete(901, "tok-901", "ask", partial, &Asker::member(42)),
    )
    .await;
    let report = expect_report(&mut rx, "autocomplete").await;
    assert_eq!(report, "autocomplete \"élec\": Ok(())");
    let choices = fake
        .wait_request(|r| r.path.contains("/interactions/901/"), STEP)
        .await
        .expect("the autocomplete callback");
    assert_eq!(choices.body["type"], 8);
    assert_eq!(choices.body["data"]["choices"][1]["value"], "b");

    // A guild message mentioning the bot (no MESSAGE_CONTENT intent: content still comes, as the
    // bot is mentioned).
    fake.dispatch(
        "MESSAGE_CREATE",
        message(902, "qui a gagné ?", 42, true, true),
    )
    .await;
    let report = expect_report(&mut rx, "guild message").await;
    assert!(report.contains("typing Ok(())"), "{report}");
    assert!(report.contains("reply Ok((\"pong\", true))"), "{report}");

    // A DM, answered with an embed and a file (multipart).
    fake.dispatch("MESSAGE_CREATE", message(903, "salut", 43, false, false))
        .await;
    let report = expect_report(&mut rx, "dm message").await;
    assert_eq!(report, "dm message \"salut\": Ok((\"dm pong\", 1))");
    let dm = fake
        .wait_request(
            |r| {
                r.is(
                    "POST",
                    &format!("/channels/{}/messages", FakeDiscord::DM_CHANNEL_ID),
                )
            },
            STEP,
        )
        .await
        .expect("the DM answer");
    assert!(dm.raw_content_type.starts_with("multipart/form-data"));
    assert_eq!(dm.body["content"], "dm pong");
    assert_eq!(dm.files.len(), 1);
    assert_eq!(dm.files[0].filename, "answer.txt");
    assert_eq!(dm.files[0].data, b"hello");

    // A guild message that does not mention the bot gets no content without MESSAGE_CONTENT, and
    // the handler ignores it.
    let n = fake
        .dispatch_count("MESSAGE_CREATE", message(904, "bruit", 42, true, false))
        .await;
    assert_eq!(n, 1);
    let sent = fake.gateway_sent();
    let last = sent.last().unwrap();
    assert_eq!(last["d"]["content"], "");

    // The gateway drops; serenity resumes and still gets events.
    let before = fake.ready_count();
    fake.close_gateway(4000).await;
    assert!(
        fake.wait_resumed(1, STEP).await,
        "no RESUME within {STEP:?}"
    );
    assert_eq!(fake.ready_count(), before, "resumed, not re-identified");
    expect_report(&mut rx, "resumed").await;
    let heartbeat = fake
        .wait_gateway_received(|v| v["op"] == 1, STEP)
        .await
        .expect("a heartbeat");
    assert!(
        heartbeat["d"].is_u64(),
        "heartbeats carry the last sequence: {heartbeat}"
    );
    assert!(fake.gateway_sent().iter().any(|v| v["op"] == 11));
    assert!(fake.gateway_received().iter().any(|v| v["op"] == 6));
    fake.dispatch("MESSAGE_CREATE", message(905, "encore", 44, false, false))
        .await;
    let report = expect_report(&mut rx, "dm message").await;
    assert!(report.contains("\"encore\""), "{report}");

    // Every request serenity made is known to Discord's OpenAPI description and valid.
    let api = OpenApi::load();
    let exchanges = fake.exchanges();
    let listing = describe(&exchanges);
    eprintln!("requests seen by the fake Discord:\n{listing}");
    let problems = fake.validate_all(&api);
    // Strictly, only the integer placeholder ids of new attachments differ from the spec.
    let strict = fake.validate_all_strict(&api);
    assert_eq!(strict.len(), 2, "{strict:#?}");
    for p in &strict {
        let errors: Vec<&str> = p
            .lines()
            .filter(|l| l.trim_start().starts_with("- "))
            .collect();
        assert!(
            errors
                .iter()
                .all(|l| l.contains("/attachments/0/id: 0 is not of type \"string\"")),
            "{p}"
        );
    }
    assert!(
        problems.is_empty(),
        "invalid requests:\n{}",
        problems.join("\n")
    );
    for (r, resp) in &exchanges {
        let status = resp.as_ref().map(|(s, _)| *s).unwrap_or(0);
        assert!(
            (200..300).contains(&status) || status == 101,
            "{} {} answered {status}:\n{listing}",
            r.method,
            r.path
        );
    }
    let startup: Vec<String> = exchanges
        .iter()
        .take_while(|(r, _)| r.path != "/gateway")
        .map(|(r, _)| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        startup,
        ["GET /api/v10/gateway"],
        "serenity's calls before connecting"
    );
    assert!(
        !exchanges
            .iter()
            .any(|(r, _)| r.query.contains("with_response")),
        "serenity 0.12.5 does not ask for with_response"
    );

    shard_manager.shutdown_all().await;
    let ended = tokio::time::timeout(STEP, running).await;
    assert!(ended.is_ok(), "the client did not stop within {STEP:?}");
    eprintln!("end-to-end selftest took {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Discord's own refusals, as serenity sees them

fn discord_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.error.code)
        }
        _ => None,
    }
}

#[tokio::test]
async fn fake_refuses_like_discord() {
    let fake = FakeDiscord::start().await;
    // Without a gateway session serenity does not know the application id, which follow-ups and
    // original-response edits need.
    let http = HttpBuilder::new(FakeDiscord::TOKEN)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .application_id(serenity::all::ApplicationId::new(
            FakeDiscord::APPLICATION_ID,
        ))
        .build();
    let reply =
        CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content("hi"));

    // Nothing was dispatched: unknown interaction.
    let e = http
        .create_interaction_response(InteractionId::new(1), "t", &reply, vec![])
        .await
        .expect_err("unknown interaction");
    assert_eq!(discord_code(&e), Some(10062));

    // No client is connected, so dispatch reaches nobody, but the fake learns the interaction.
    let n = fake
        .dispatch_count(
            "INTERACTION_CREATE",
            slash_command(2, "t2", "ask", Value::Null, &Asker::member(1)),
        )
        .await;
    assert_eq!(n, 0);
    // A follow-up before the initial response: unknown webhook.
    let e = http
        .create_followup_message(
            "t2",
            &CreateInteractionResponseFollowup::new().content("x"),
            vec![],
        )
        .await
        .expect_err("follow-up before responding");
    assert_eq!(discord_code(&e), Some(10015));
    // An empty message.
    let empty = CreateInteractionResponse::Message(CreateInteractionResponseMessage::new());
    let e = http
        .create_interaction_response(InteractionId::new(2), "t2", &empty, vec![])
        .await
        .expect_err("empty message");
    assert_eq!(discord_code(&e), Some(50006));
    // Responding twice.
    http.create_interaction_response(InteractionId::new(2), "t2", &reply, vec![])
        .await
        .expect("first response");
    let e = http
        .create_interaction_response(InteractionId::new(2), "t2", &reply, vec![])
        .await
        .expect_err("second response");
    assert_eq!(discord_code(&e), Some(40060));
    // Deferring, then editing.
    fake.dispatch(
        "INTERACTION_CREATE",
        slash_command(3, "t3", "ask", Value::Null, &Asker::dm(1)),
    )
    .await;
    http.create_interaction_response(
        InteractionId::new(3),
        "t3",
        &CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new()),
        vec![],
    )
    .await
    .expect("defer");
    assert_eq!(fake.original_response(3).unwrap()["flags"], 128);
    let edited = http
        .edit_original_interaction_response(
            "t3",
            &EditInteractionResponse::new().content("done"),
            vec![],
        )
        .await
        .expect("edit after defer");
    assert_eq!(edited.content, "done");
    assert_eq!(edited.channel_id.get(), FakeDiscord::DM_CHANNEL_ID);
    assert_eq!(fake.original_response(3).unwrap()["flags"], 0);
    // Unknown endpoints answer 404 and are recorded.
    let e = http
        .get_guild(GuildId::new(5))
        .await
        .expect_err("unknown guild");
    assert_eq!(discord_code(&e), Some(10004));
    let e = http
        .get_channel_invites(ChannelId::new(FakeDiscord::CHANNEL_ID))
        .await
        .expect_err("not implemented");
    assert_eq!(discord_code(&e), Some(0));
    assert!(fake.requests().iter().any(|r| r.path.ends_with("/invites")));
    // A deadline like Discord's 3 seconds, when asked for.
    fake.set_interaction_deadline(Some(Duration::from_millis(50)));
    fake.dispatch(
        "INTERACTION_CREATE",
        slash_command(4, "t4", "ask", Value::Null, &Asker::member(1)),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let e = http
        .create_interaction_response(InteractionId::new(4), "t4", &reply, vec![])
        .await
        .expect_err("too late");
    assert_eq!(discord_code(&e), Some(10062));

    // Even the refused requests are valid per the spec (an empty message is a runtime refusal).
    let problems = fake.validate_all(&OpenApi::load());
    assert!(problems.is_empty(), "{problems:#?}");
}
