//! Stopping a slow stream, and cutting the bridge's socket mid-prompt.

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::SessionStatus;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack};

#[tokio::test]
async fn stop_during_a_slow_stream_then_the_next_prompt_works() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([Turn::slow_text(400, 50), Turn::text("Still here.")]);

    let slow = prompt(&stack, &session.id, "Tell me a long story").await?;
    wait_for(
        &mut client,
        Duration::from_secs(90),
        |e| matches!(&e.body, EventBody::TextDelta(d) if d.message_id == slow && d.delta.contains("chunk 5")),
    )
    .await?;
    stack.cp.api().stop(&session.id).await?;
    let finished = wait_finished(&stack, &mut client, &slow).await?;
    assert_eq!(finished.outcome, PromptOutcome::Stopped);
    let streamed: String = client
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::TextDelta(d) if d.message_id == slow => Some(d.delta.clone()),
            _ => None,
        })
        .collect();
    assert!(!streamed.contains("chunk 400"), "the stream was cut short");

    let next = prompt(&stack, &session.id, "Are you there?").await?;
    assert_eq!(wait_finished(&stack, &mut client, &next).await?.outcome, PromptOutcome::Completed);
    let turn = client.transcript().turns.into_iter().find(|t| t.message_id == next).unwrap();
    assert!(format!("{:?}", turn.parts).contains("Still here."));
    for _ in 0..50 {
        if stack.cp.api().session(&session.id).await?.summary.status == SessionStatus::Idle {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the session did not go idle")
}

#[tokio::test]
async fn a_cut_bridge_socket_loses_and_duplicates_nothing() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let proxy = &stack.proxy;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;

    // A clean run of the script.
    let (clean, mut clean_client) = open_session(&stack, &repo).await?;
    stack.model.push(Turn::slow_text(60, 40));
    let m = prompt(&stack, &clean.id, "Count slowly").await?;
    wait_finished(&stack, &mut clean_client, &m).await?;

    // The same script, with the bridge's socket cut twice in the middle of the stream.
    let (cut, mut client) = open_session(&stack, &repo).await?;
    stack.model.push(Turn::slow_text(60, 40));
    let m = prompt(&stack, &cut.id, "Count slowly").await?;
    for mark in ["chunk 10", "chunk 30"] {
        wait_for(
            &mut client,
            Duration::from_secs(90),
            |e| matches!(&e.body, EventBody::TextDelta(d) if d.message_id == m && d.delta.contains(mark)),
        )
        .await?;
        // Only the bridge's socket: the model's stream also goes through the control plane.
        assert!(proxy.cut_where(|line| line.contains("/sandbox ")) >= 1, "a bridge connection was open to cut");
    }
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);

    // The client folds events strictly in order (a duplicate would fail it); the result must
    // equal the clean run's.
    let got = normalized(&client.transcript());
    assert_eq!(got, normalized(&clean_client.transcript()));
    let (late, _) = oi_testkit::ClientSocket::join(&stack.cp.client_endpoint(), &cut.id, None).await?;
    assert_eq!(normalized(&late.transcript()), got, "and so does the compacted history");
    Ok(())
}
