//! The fake Discord refuses what Discord refuses, as the real serenity 0.12.5 sees it: an
//! unknown interaction, a follow-up before the response, an empty message, a second response,
//! a late one when a deadline is set, unknown guilds and endpoints; and a deferred response
//! can be edited.

mod fake_discord;

use std::time::Duration;

use fake_discord::{slash_command, Asker, FakeDiscord, OpenApi};
use serde_json::Value;
use serenity::all::{
    ChannelId, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EditInteractionResponse, GuildId, HttpBuilder, InteractionId,
};

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
    // A deadline like Discord's 3 seconds, when asked for: a response within it is taken, one
    // past it refused. The deadlines are far from the time a response takes, either way: a
    // minute, and none at all (a response comes after its dispatch, so always past zero).
    fake.set_interaction_deadline(Some(Duration::from_secs(60)));
    fake.dispatch(
        "INTERACTION_CREATE",
        slash_command(4, "t4", "ask", Value::Null, &Asker::member(1)),
    )
    .await;
    http.create_interaction_response(InteractionId::new(4), "t4", &reply, vec![])
        .await
        .expect("in time");
    fake.set_interaction_deadline(Some(Duration::ZERO));
    fake.dispatch(
        "INTERACTION_CREATE",
        slash_command(5, "t5", "ask", Value::Null, &Asker::member(1)),
    )
    .await;
    let e = http
        .create_interaction_response(InteractionId::new(5), "t5", &reply, vec![])
        .await
        .expect_err("too late");
    assert_eq!(discord_code(&e), Some(10062));

    // Even the refused requests are valid per the spec (an empty message is a runtime refusal).
    let problems = fake.validate_all(&OpenApi::load());
    assert!(problems.is_empty(), "{problems:#?}");
}
