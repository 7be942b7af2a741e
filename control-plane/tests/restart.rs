//! Everything that matters is in SQLite: a restart of workerd loses nothing.

use oi_protocol::events::PromptOutcome;
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::{PromptStatus, SessionStatus};
use oi_testkit::agent_events::{delta, finished};
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane};

#[tokio::test]
async fn state_queue_log_and_acks_survive_a_restart() -> anyhow::Result<()> {
    let mut cp = ControlPlane::start().await?;
    let api = cp.api();
    let id =
        api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?.id;
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    let (mut watcher, _) = ClientSocket::join(&cp.client_endpoint(), &id, None).await?;
    let first = api.prompt(&id, &Api::prompt_request("first")).await?;
    let second = api.prompt(&id, &Api::prompt_request("second")).await?;
    let (m, _) = bridge.wait_prompt().await?;
    bridge.emit(delta(&m, "prt_1", "before ")).await?;
    bridge.emit(delta(&m, "prt_1", "restart ")).await?;
    bridge.wait_acked().await?;
    let before = api.session(&id).await?;
    watcher.catch_up_to(before.last_seq).await?;

    cp.restart().await?;

    let after = api.session(&id).await?;
    assert_eq!(after.summary, before.summary);
    assert_eq!(after.last_seq, before.last_seq);
    assert_eq!(after.queue.len(), 2);
    assert_eq!(
        (after.queue[0].message_id.as_str(), after.queue[0].status),
        (first.message_id.as_str(), PromptStatus::Processing)
    );
    assert_eq!(
        (after.queue[1].message_id.as_str(), after.queue[1].status),
        (second.message_id.as_str(), PromptStatus::Queued)
    );
    assert!(!after.sandbox.connected, "sockets do not survive a restart");

    // The bridge reconnects; the acknowledged position survived, so a stale re-send is dropped.
    bridge.reconnect().await?;
    assert_eq!(bridge.acked_through, 3, "ready, then two deltas");
    bridge.emit_with_id(3, delta(&m, "prt_1", "restart ")).await?;
    bridge.emit(delta(&m, "prt_1", "after")).await?;
    bridge.emit(finished(&m, PromptOutcome::Completed)).await?;
    let (next, text) = loop {
        let (id, text) = bridge.wait_prompt().await?;
        if id != m {
            break (id, text);
        }
    };
    assert_eq!((next.as_str(), text.as_str()), (second.message_id.as_str(), "second"));

    // A client that watched before the restart catches up from where it was.
    let (again, _) = ClientSocket::join(&cp.client_endpoint(), &id, Some(watcher.last_seq())).await?;
    let mut rebuilt = watcher.transcript.clone();
    rebuilt.apply_all(&again.events)?;
    let (late, state) = ClientSocket::join(&cp.client_endpoint(), &id, None).await?;
    let mut want = late.transcript();
    want.turns.truncate(1);
    let mut got = rebuilt.transcript();
    got.turns.truncate(1);
    assert_eq!(got.turns, want.turns);
    assert!(
        matches!(&want.turns[0].parts[0], oi_protocol::transcript::Part::Text { text, .. } if text == "before restart after")
    );
    assert_eq!(state.summary.status, SessionStatus::Running);
    Ok(())
}
