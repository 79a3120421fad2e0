//! Proves the fake Discord (tests/fake_discord) works with the real serenity 0.12.5: a serenity
//! client configured like kiosque's bot connects, makes its startup calls, receives
//! dispatches (commands, autocomplete, messages as its intents allow) and answers them,
//! resumes after the gateway drops, and every request it makes is valid per Discord's OpenAPI
//! description.

mod fake_discord;

use std::sync::Arc;
use std::time::Duration;

use fake_discord::{
    autocomplete, message, slash_command, Asker, FakeDiscord, OpenApi, Request, GUILD_NAME,
};
use serde_json::{json, Value};
use serenity::all::{
    Cache, ChannelId, ClientBuilder, Command, CommandOptionType, Context, CreateAllowedMentions,
    CreateAttachment, CreateAutocompleteResponse, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse, EventHandler,
    GatewayIntents, Guild, GuildId, Http, HttpBuilder, Interaction, Message, Ready, ShardManager,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const STEP: Duration = Duration::from_secs(15);

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

/// A fake Discord (guild locale en-US) and a serenity client connected to it, with the intents
/// kiosque's bot asks for, its READY and GUILD_CREATE handled.
struct Connected {
    fake: FakeDiscord,
    rx: mpsc::UnboundedReceiver<String>,
    intents: GatewayIntents,
    cache: Arc<Cache>,
    shard_manager: Arc<ShardManager>,
    running: JoinHandle<serenity::Result<()>>,
    /// What the handler said of READY (its startup calls) and of GUILD_CREATE.
    ready: String,
    guild: String,
}

async fn connect() -> Connected {
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
    let guild = expect_report(&mut rx, "guild_create").await;
    Connected {
        fake,
        rx,
        intents,
        cache,
        shard_manager,
        running,
        ready,
        guild,
    }
}

impl Connected {
    /// Checks every request the client made: known to Discord's OpenAPI description and valid
    /// (strictly, only the integer placeholder ids of the `uploads` new attachments differ
    /// from the spec), answered 2xx, none asking for `with_response`. Then stops the client.
    async fn finish(self, uploads: usize) {
        let fake = &self.fake;
        let api = OpenApi::load();
        let exchanges = fake.exchanges();
        let listing = describe(&exchanges);
        let problems = fake.validate_all(&api);
        let strict = fake.validate_all_strict(&api);
        assert_eq!(strict.len(), uploads, "{strict:#?}");
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
        assert!(
            !exchanges
                .iter()
                .any(|(r, _)| r.query.contains("with_response")),
            "serenity 0.12.5 does not ask for with_response"
        );
        self.shard_manager.shutdown_all().await;
        let ended = tokio::time::timeout(STEP, self.running).await;
        assert!(ended.is_ok(), "the client did not stop within {STEP:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_connects_and_makes_its_startup_calls() {
    let c = connect().await;
    let fake = &c.fake;
    assert!(
        c.ready
            .contains("Ok(\"1 guild command(s) (option autocomplete true), 1 global, me kiosque"),
        "{}",
        c.ready
    );
    assert!(
        c.ready.ends_with(&format!("guild {GUILD_NAME} en-US\")")),
        "{}",
        c.ready
    );
    assert_eq!(c.guild, format!("guild_create {GUILD_NAME} en-US"));
    assert!(c.cache.guild(GuildId::new(FakeDiscord::GUILD_ID)).is_some());

    // The handshake serenity did.
    let identify = fake
        .gateway_received()
        .into_iter()
        .find(|v| v["op"] == 2)
        .expect("an IDENTIFY");
    assert_eq!(identify["d"]["intents"].as_u64(), Some(c.intents.bits()));
    assert_eq!(identify["d"]["token"], "Bot fake-token");
    assert_eq!(
        identify["d"]["compress"], true,
        "serenity accepts zlib payload frames"
    );
    assert_eq!(identify["d"]["shard"], json!([0, 1]));
    assert_eq!(fake.identified_intents(), Some(c.intents.bits()));
    let upgrade = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/gateway")
        .expect("the WebSocket upgrade");
    assert_eq!(upgrade.query, "v=10");
    let startup: Vec<String> = fake
        .requests()
        .iter()
        .take_while(|r| r.path != "/gateway")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        startup,
        ["GET /api/v10/gateway"],
        "serenity's calls before connecting"
    );
    c.finish(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_answers_a_command_and_an_autocomplete() {
    let mut c = connect().await;
    let fake = &c.fake;
    // A slash command in the guild.
    let options = json!([{"name": "question", "type": 3, "value": "Qui a gagné ?"}]);
    fake.dispatch(
        "INTERACTION_CREATE",
        slash_command(900, "tok-900", "ask", options, &Asker::member(42)),
    )
    .await;
    let report = expect_report(&mut c.rx, "command ask").await;
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
    let report = expect_report(&mut c.rx, "autocomplete").await;
    assert_eq!(report, "autocomplete \"élec\": Ok(())");
    let choices = fake
        .wait_request(|r| r.path.contains("/interactions/901/"), STEP)
        .await
        .expect("the autocomplete callback");
    assert_eq!(choices.body["type"], 8);
    assert_eq!(choices.body["data"]["choices"][1]["value"], "b");
    c.finish(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_gets_mentions_and_direct_messages_as_its_intents_allow() {
    let mut c = connect().await;
    let fake = &c.fake;
    // A guild message mentioning the bot (no MESSAGE_CONTENT intent: content still comes, as the
    // bot is mentioned).
    fake.dispatch(
        "MESSAGE_CREATE",
        message(902, "qui a gagné ?", 42, true, true),
    )
    .await;
    let report = expect_report(&mut c.rx, "guild message").await;
    assert!(report.contains("typing Ok(())"), "{report}");
    assert!(report.contains("reply Ok((\"pong\", true))"), "{report}");

    // A DM, answered with an embed and a file (multipart).
    fake.dispatch("MESSAGE_CREATE", message(903, "salut", 43, false, false))
        .await;
    let report = expect_report(&mut c.rx, "dm message").await;
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
    c.finish(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_resumes_after_the_gateway_drops_and_still_gets_events() {
    let mut c = connect().await;
    let fake = &c.fake;
    let before = fake.ready_count();
    fake.close_gateway(4000).await;
    assert!(
        fake.wait_resumed(1, STEP).await,
        "no RESUME within {STEP:?}"
    );
    assert_eq!(fake.ready_count(), before, "resumed, not re-identified");
    expect_report(&mut c.rx, "resumed").await;
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
    let report = expect_report(&mut c.rx, "dm message").await;
    assert!(report.contains("\"encore\""), "{report}");
    c.finish(1).await;
}
