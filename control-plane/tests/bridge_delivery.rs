//! The sandbox bridge's socket: authentication, exactly-once recording of re-sent events,
//! and prompts that wait for a bridge.

use oi_protocol::bridge::{BridgeCommand, BridgeMessage};
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::transcript::Part;
use oi_protocol::ErrorCode;
use oi_testkit::agent_events::{delta, finished};
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane};

async fn session(api: &Api) -> anyhow::Result<String> {
    Ok(api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?.id)
}

#[tokio::test]
async fn resent_events_are_recorded_exactly_once() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let id = session(&api).await?;
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    let (mut client, _) = ClientSocket::join(&cp.client_endpoint(), &id, None).await?;
    api.prompt(&id, &Api::prompt_request("count")).await?;
    let (m, _) = bridge.wait_prompt().await?;

    for word in ["one ", "two ", "three "] {
        bridge.emit(delta(&m, "prt_1", word)).await?;
    }
    bridge.wait_acked().await?;
    // A replay of an acknowledged id (1 was `ready`, 3 is "two ") is dropped and answered
    // with the same ack.
    bridge.emit_with_id(3, delta(&m, "prt_1", "two ")).await?;
    match bridge.recv_text().await? {
        t if t.contains(r#""type":"ack""#) => assert!(t.contains(r#""through":4"#), "{t}"),
        t => panic!("expected an ack, got {t}"),
    }
    // Events sent and then cut off before their acks: the reconnect re-sends them.
    for word in ["four ", "five "] {
        bridge.emit(delta(&m, "prt_1", word)).await?;
    }
    bridge.reconnect().await?;
    bridge.emit(delta(&m, "prt_1", "six")).await?;
    bridge.emit(finished(&m, PromptOutcome::Completed)).await?;
    bridge.wait_acked().await?;
    bridge.reconnect().await?; // Nothing left to re-send; the ack position survives.
    assert_eq!(bridge.acked_through, 8);

    let last = api.session(&id).await?.last_seq;
    client.catch_up_to(last).await?;
    let deltas: Vec<String> = client
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::TextDelta(d) => Some(d.delta.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, vec!["one ", "two ", "three ", "four ", "five ", "six"]);
    let (late, _) = ClientSocket::join(&cp.client_endpoint(), &id, None).await?;
    assert_eq!(late.transcript(), client.transcript());
    assert!(
        matches!(&late.transcript().turns[0].parts[0], Part::Text { text, .. } if text == "one two three four five six")
    );
    Ok(())
}

#[tokio::test]
async fn the_socket_needs_the_current_sandbox_token() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let id = session(&api).await?;
    let other = session(&api).await?;
    let first = api.attach_sandbox(&id).await?;
    let other_attach = api.attach_sandbox(&other).await?;

    assert!(BridgeSocket::connect(&cp.ws_url(), &id, &first.sandbox_id, "not-a-token").await.is_err());
    assert!(
        BridgeSocket::connect(&cp.ws_url(), &id, &other_attach.sandbox_id, &other_attach.token).await.is_err(),
        "another session's token"
    );
    let res = api.raw("GET", &format!("/api/sessions/{id}/sandbox"), None).await?;
    assert_eq!(res.status, 400, "not an upgrade: {}", res.body);

    // A hello naming another sandbox is refused.
    let refused = BridgeSocket::connect(&cp.ws_url(), &id, "sbx_someone_else", &first.token).await;
    assert!(refused.unwrap_err().to_string().contains("forbidden"));

    // Attaching a new sandbox revokes the old token and closes its socket.
    let mut old = BridgeSocket::connect(&cp.ws_url(), &id, &first.sandbox_id, &first.token).await?;
    let second = api.attach_sandbox(&id).await?;
    let closed = loop {
        if let Err(e) = old.recv().await {
            break e.to_string();
        }
    };
    assert!(closed.contains("4409"), "{closed}");
    assert!(BridgeSocket::connect(&cp.ws_url(), &id, &first.sandbox_id, &first.token).await.is_err());
    let mut new = BridgeSocket::connect_ready(&cp.ws_url(), &id, &second.sandbox_id, &second.token).await?;

    new.wait_acked().await?;
    // A bad frame is refused; the socket goes on working.
    new.send_raw("{not json").await?;
    assert!(new.recv_text().await?.contains("bad_json"));
    new.send_raw(r#"{"type":"launch_missiles"}"#).await?;
    match serde_json::from_str::<BridgeCommand>(&new.recv_text().await?)? {
        BridgeCommand::Error { error } => assert_eq!(error.code, ErrorCode::UnknownMessageType),
        other => panic!("{other:?}"),
    }
    new.send(&BridgeMessage::Heartbeat).await?;
    api.prompt(&id, &Api::prompt_request("still works")).await?;
    assert_eq!(new.wait_prompt().await?.1, "still works");
    Ok(())
}

#[tokio::test]
async fn a_prompt_held_across_a_bridge_reconnect_is_offered_again() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let id = session(&api).await?;
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    let accepted = api.prompt(&id, &Api::prompt_request("long job")).await?;
    let (m, _) = bridge.wait_prompt().await?;
    bridge.reconnect().await?;
    // The bridge may have missed the command, so the Durable Object offers it again; a real
    // bridge ignores a prompt it already runs.
    let (again, _) = bridge.wait_prompt().await?;
    assert_eq!((m.as_str(), again.as_str()), (accepted.message_id.as_str(), accepted.message_id.as_str()));
    let state = api.session(&id).await?;
    assert_eq!(state.queue.len(), 1);
    assert!(state.sandbox.connected);
    Ok(())
}
