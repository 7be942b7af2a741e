//! The prompt queue: limits, idempotency, order, stop and cancel.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::client::{ClientMessage, ServerMessage};
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::limits::{MAX_PROMPT_CHARS, MAX_QUEUED_PROMPTS};
use oi_protocol::rest::{CreateSessionRequest, PromptRequest};
use oi_protocol::{ErrorCode, PromptStatus};
use oi_testkit::agent_events::{delta, finished};
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane};

async fn session(api: &Api) -> anyhow::Result<String> {
    Ok(api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?.id)
}

#[tokio::test]
async fn limits_and_idempotency_and_dispatch_in_order() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let id = session(&api).await?;

    // Exactly the limit passes; one more character does not.
    let max = PromptRequest {
        text: "x".repeat(MAX_PROMPT_CHARS),
        client_request_id: "max".into(),
        model: None,
        attachments: Vec::new(),
    };
    assert_eq!(api.prompt(&id, &max).await?.position, 0);
    let over = PromptRequest {
        text: "x".repeat(MAX_PROMPT_CHARS + 1),
        client_request_id: "over".into(),
        model: None,
        attachments: Vec::new(),
    };
    let res = api.raw("POST", &format!("/api/sessions/{id}/prompts"), Some(&serde_json::to_string(&over)?)).await?;
    assert_eq!(res.status, 413);
    assert_eq!(res.error()?.error.code, ErrorCode::PromptTooLong);

    // No sandbox: everything waits. Ten may wait; the eleventh is refused.
    let mut accepted = vec![];
    for i in 1..MAX_QUEUED_PROMPTS {
        let a = api
            .prompt(
                &id,
                &PromptRequest {
                    text: format!("prompt {i}"),
                    client_request_id: format!("r{i}"),
                    model: None,
                    attachments: Vec::new(),
                },
            )
            .await?;
        assert_eq!(a.position, i as u32);
        accepted.push(a.message_id);
    }
    let full = PromptRequest {
        text: "one too many".into(),
        client_request_id: "r-full".into(),
        model: None,
        attachments: Vec::new(),
    };
    let res = api.raw("POST", &format!("/api/sessions/{id}/prompts"), Some(&serde_json::to_string(&full)?)).await?;
    assert_eq!(res.status, 429);
    assert_eq!(res.error()?.error.code, ErrorCode::QueueFull);

    // A retry of an accepted request answers the same, even with the queue full.
    let retry = api
        .prompt(
            &id,
            &PromptRequest {
                text: "prompt 3".into(),
                client_request_id: "r3".into(),
                model: None,
                attachments: Vec::new(),
            },
        )
        .await?;
    assert!(retry.duplicate);
    assert_eq!((retry.message_id.as_str(), retry.position), (accepted[2].as_str(), 3));
    let conflict = api
        .raw("POST", &format!("/api/sessions/{id}/prompts"), Some(r#"{"text":"changed","client_request_id":"r3"}"#))
        .await?;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.error()?.error.code, ErrorCode::IdempotencyConflict);

    let state = api.session(&id).await?;
    assert_eq!(state.queue.len(), MAX_QUEUED_PROMPTS, "nothing lost, nothing added");
    assert!(state.queue.iter().all(|p| p.status == PromptStatus::Queued));

    // A sandbox connects: prompts run one at a time, in order.
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    let (first, text) = bridge.wait_prompt().await?;
    assert_eq!(text.len(), MAX_PROMPT_CHARS);
    let mut order = vec![];
    let mut current = first;
    for _ in 0..MAX_QUEUED_PROMPTS - 1 {
        bridge.emit(finished(&current, PromptOutcome::Completed)).await?;
        let (next, text) = bridge.wait_prompt().await?;
        order.push(text);
        current = next;
    }
    bridge.emit(finished(&current, PromptOutcome::Completed)).await?;
    bridge.wait_acked().await?;
    let want: Vec<String> = (1..MAX_QUEUED_PROMPTS).map(|i| format!("prompt {i}")).collect();
    assert_eq!(order, want);
    assert!(api.session(&id).await?.queue.is_empty());
    Ok(())
}

#[tokio::test]
async fn stop_aborts_the_running_prompt_and_the_next_one_runs() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let id = session(&api).await?;
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    let (mut client, _) = ClientSocket::join(&cp.client_endpoint(), &id, None).await?;

    let slow = api.prompt(&id, &Api::prompt_request("write slowly")).await?;
    let next = api.prompt(&id, &Api::prompt_request("then this")).await?;
    assert_eq!(next.position, 1);
    let (running, _) = bridge.wait_prompt().await?;
    assert_eq!(running, slow.message_id);
    bridge.emit(delta(&running, "prt_1", "Once upon")).await?;

    assert_eq!(api.stop(&id).await?.message_id.as_deref(), Some(running.as_str()));
    match bridge.recv().await? {
        BridgeCommand::Stop { message_id } => assert_eq!(message_id, running),
        other => panic!("expected stop, got {other:?}"),
    }
    let state = api.session(&id).await?;
    assert_eq!(state.queue[0].status, PromptStatus::Stopping);
    bridge.emit(finished(&running, PromptOutcome::Stopped)).await?;
    let (second, text) = bridge.wait_prompt().await?;
    assert_eq!((second.as_str(), text.as_str()), (next.message_id.as_str(), "then this"));

    let ended =
        client.wait_event(|e| matches!(&e.body, EventBody::PromptFinished(p) if p.message_id == running)).await?;
    assert!(matches!(ended.body, EventBody::PromptFinished(p) if p.outcome == PromptOutcome::Stopped));
    let turn = &client.transcript().turns[0];
    assert_eq!(turn.outcome, Some(PromptOutcome::Stopped));
    assert_eq!(turn.parts.len(), 1, "the partial text is kept");
    Ok(())
}

#[tokio::test]
async fn stop_without_a_sandbox_and_cancel_over_the_socket() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let id = session(&api).await?;
    let (mut client, _) = ClientSocket::join(&cp.client_endpoint(), &id, None).await?;

    assert_eq!(api.stop(&id).await?.message_id, None, "nothing running");
    client
        .send(&ClientMessage::Prompt {
            text: "first".into(),
            client_request_id: "c1".into(),
            model: None,
            attachments: Vec::new(),
        })
        .await?;
    let first = client
        .recv_until(|m| match m {
            ServerMessage::PromptAccepted { message_id, client_request_id, .. } if client_request_id == "c1" => {
                Some(message_id.clone())
            }
            _ => None,
        })
        .await?;
    client.send(&ClientMessage::CancelPrompt { message_id: first.clone() }).await?;
    let queue = client
        .recv_until(|m| match m {
            ServerMessage::QueueUpdated { queue } if queue.is_empty() => Some(queue.clone()),
            _ => None,
        })
        .await?;
    assert!(queue.is_empty());
    client.send(&ClientMessage::CancelPrompt { message_id: first }).await?;
    assert_eq!(client.wait_error().await?.code, ErrorCode::PromptNotCancellable);

    // A prompt that was dispatched to a bridge which then went away: stop finishes it at once.
    let attach = api.attach_sandbox(&id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &id, &attach.sandbox_id, &attach.token).await?;
    api.prompt(&id, &Api::prompt_request("run")).await?;
    let (running, _) = bridge.wait_prompt().await?;
    drop(bridge);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(api.stop(&id).await?.message_id.as_deref(), Some(running.as_str()));
    let event = client.wait_event(|e| matches!(e.body, EventBody::PromptFinished(_))).await?;
    assert!(matches!(event.body, EventBody::PromptFinished(p) if p.outcome == PromptOutcome::Stopped));
    assert!(api.session(&id).await?.queue.is_empty());
    Ok(())
}
