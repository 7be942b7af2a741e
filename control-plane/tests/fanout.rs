//! Create, prompt, fan-out to three clients; a late joiner and a reconnecting client end with
//! the same transcript as the clients connected throughout.

use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::transcript::Part;
use oi_protocol::SessionStatus;
use oi_testkit::agent_events::typical_answer;
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane};

#[tokio::test]
async fn three_clients_a_late_joiner_and_a_reconnecting_client_share_one_transcript() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let session =
        api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?;
    assert_eq!(session.status, SessionStatus::Created);

    let mut clients = vec![];
    for _ in 0..3 {
        clients.push(ClientSocket::join(&cp.client_endpoint(), &session.id, None).await?.0);
    }
    let attach = api.attach_sandbox(&session.id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &session.id, &attach.sandbox_id, &attach.token).await?;

    let accepted = api.prompt(&session.id, &Api::prompt_request("create hello.txt")).await?;
    assert_eq!(accepted.position, 0);
    let (message_id, text) = bridge.wait_prompt().await?;
    assert_eq!((message_id.as_str(), text.as_str()), (accepted.message_id.as_str(), "create hello.txt"));

    // The reconnecting client drops halfway through the stream.
    let (mut reconnecting, _) = ClientSocket::join(&cp.client_endpoint(), &session.id, None).await?;
    let answer = typical_answer(&message_id);
    let half = answer.len() / 2;
    for event in &answer[..half] {
        bridge.emit(event.clone()).await?;
    }
    reconnecting.wait_event(|e| matches!(e.body, EventBody::ToolCall(_))).await?;
    let seen = reconnecting.last_seq();
    reconnecting.close().await?;
    for event in &answer[half..] {
        bridge.emit(event.clone()).await?;
    }
    bridge.wait_acked().await?;

    let last_seq = api.session(&session.id).await?.last_seq;
    for client in clients.iter_mut() {
        client.catch_up_to(last_seq).await?;
    }
    let want = clients[0].transcript();
    for (i, client) in clients.iter().enumerate() {
        assert_eq!(client.transcript(), want, "client {i}");
    }
    let turn = &want.turns[0];
    assert_eq!(turn.prompt.as_deref(), Some("create hello.txt"));
    assert_eq!(turn.outcome, Some(PromptOutcome::Completed));
    assert_eq!(turn.parts.len(), 3);
    assert!(matches!(&turn.parts[0], Part::Text { text, .. } if text == "I'll create the file."));
    assert!(matches!(&turn.parts[2], Part::Text { text, .. } if text == "Done: hello.txt exists."));

    // Deltas were streamed live, one event each ...
    let live_deltas = clients[0].events.iter().filter(|e| matches!(e.body, EventBody::TextDelta(_))).count();
    assert_eq!(live_deltas, 7);
    // ... and compacted once the prompt finished.
    let (late, state) = ClientSocket::join(&cp.client_endpoint(), &session.id, None).await?;
    assert_eq!(late.transcript(), want, "late joiner");
    assert!(late.events.iter().all(|e| !matches!(e.body, EventBody::TextDelta(_))), "history holds no deltas");
    assert_eq!(state.summary.status, SessionStatus::Idle);
    assert!(state.queue.is_empty());

    let (again, _) = ClientSocket::join(&cp.client_endpoint(), &session.id, Some(seen)).await?;
    assert!(again.events.iter().all(|e| e.seq > seen), "only what it missed");
    let mut rebuilt = oi_protocol::transcript::TranscriptBuilder::new();
    let before: Vec<_> = clients[0].events.iter().filter(|e| e.seq <= seen).cloned().collect();
    rebuilt.apply_all(&before)?;
    rebuilt.apply_all(&again.events)?;
    assert_eq!(rebuilt.transcript(), want, "reconnecting client");
    Ok(())
}

/// A fast stream (bursts from the bridge, and single events back to back) reaches every client
/// in fewer frames than events, in order, with nothing lost or doubled; a client that joins in
/// the middle of it (while events wait in the fan-out) ends with the same transcript.
#[tokio::test]
async fn a_fast_stream_is_coalesced_without_losing_or_doubling_anything() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let session =
        api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?;
    let attach = api.attach_sandbox(&session.id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &session.id, &attach.sandbox_id, &attach.token).await?;
    let mut watching = ClientSocket::join(&cp.client_endpoint(), &session.id, None).await?.0;
    api.prompt(&session.id, &Api::prompt_request("stream")).await?;
    let (message_id, _) = bridge.wait_prompt().await?;

    let delta = |n: usize| oi_testkit::agent_events::delta(&message_id, "prt_a", &format!("{n} "));
    for chunk in 0..10 {
        bridge.emit_burst((chunk * 20..chunk * 20 + 20).map(delta).collect()).await?;
    }
    let mut joining = ClientSocket::connect(&cp.client_endpoint(), &session.id).await?;
    joining.send(&oi_protocol::client::ClientMessage::Subscribe { after_seq: None }).await?;
    for n in 200..400 {
        bridge.emit(delta(n)).await?;
    }
    bridge.emit(oi_testkit::agent_events::finished(&message_id, PromptOutcome::Completed)).await?;
    bridge.wait_acked().await?;

    let last_seq = api.session(&session.id).await?.last_seq;
    watching.catch_up_to(last_seq).await?;
    joining.catch_up_to(last_seq).await?;
    let text: String = (0..400).map(|n| format!("{n} ")).collect();
    for (who, client) in [("watching", &watching), ("joining", &joining)] {
        let turn = &client.transcript().turns[0];
        assert!(matches!(&turn.parts[0], Part::Text { text: t, .. } if *t == text), "{who}: {:?}", turn.parts);
    }
    let live = watching.events.iter().filter(|e| matches!(e.body, EventBody::TextDelta(_))).count();
    assert_eq!(live, 400, "every delta, once");
    assert!(watching.event_batches > 0, "a fast stream goes out several events to a frame");
    Ok(())
}

/// Events that wait for company are not stranded when nothing else happens: the windows' timers
/// write the bridge's events, acknowledge them and send them to the clients on their own.
#[tokio::test]
async fn events_that_wait_go_out_when_their_window_closes() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let session =
        api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?;
    let attach = api.attach_sandbox(&session.id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &session.id, &attach.sandbox_id, &attach.token).await?;
    let (mut client, _) = ClientSocket::join(&cp.client_endpoint(), &session.id, None).await?;
    api.prompt(&session.id, &Api::prompt_request("stream")).await?;
    let (message_id, _) = bridge.wait_prompt().await?;
    for round in 0..5 {
        // Back to back: the first is written at once, the rest wait for the window.
        for n in 0..3 {
            bridge.emit(oi_testkit::agent_events::delta(&message_id, "prt_a", &format!("{round}.{n} "))).await?;
        }
        bridge.wait_acked().await?;
        let last = format!("{round}.2 ");
        client.wait_event(|e| matches!(&e.body, EventBody::TextDelta(d) if d.delta == last)).await?;
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    let deltas = client.events.iter().filter(|e| matches!(e.body, EventBody::TextDelta(_))).count();
    assert_eq!(deltas, 15);
    Ok(())
}
