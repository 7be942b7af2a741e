//! The sandbox lifecycle on the local provider: inactivity stop then restore from the
//! snapshot, a killed sandbox replaced from its last snapshot, the circuit breaker, and warm
//! starts from `typing`.

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::client::ClientMessage;
use oi_protocol::events::{EventBody, NoticeLevel, PromptOutcome};
use oi_protocol::{PromptStatus, SandboxStatus};
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, ClientSocket, Stack};
use serde_json::json;

fn has_notice(client: &ClientSocket, needle: &str) -> bool {
    client.events.iter().any(|e| matches!(&e.body, EventBody::Notice(n) if n.message.contains(needle)))
}

#[tokio::test]
async fn an_idle_sandbox_stops_and_the_next_prompt_restores_its_snapshot() -> anyhow::Result<()> {
    let stack =
        Stack::start_with(vars(&[("SANDBOX_INACTIVITY_MS", "3000"), ("SANDBOX_INACTIVITY_EXTENSION_MS", "2000")]))
            .await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n"), (".openinspect/setup.sh", "echo SETUP RAN\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "echo 'remember: the cat is called Miso' > notes.txt && echo draft > uncommitted-later.txt", "description": "take notes"})),
        Turn::text("Noted."),
    ]);
    let first = prompt(&stack, &session.id, "Remember that the cat is called Miso").await?;
    assert_eq!(wait_finished(&stack, &mut client, &first).await?.outcome, PromptOutcome::Completed);
    wait_for(
        &mut client,
        Duration::from_secs(30),
        |e| matches!(&e.body, EventBody::Notice(n) if n.message.starts_with("saved snapshot")),
    )
    .await?;

    // Watched, the idle sandbox is kept; unwatched, it is stopped.
    wait_for(&mut client, Duration::from_secs(30), |e| {
        matches!(&e.body, EventBody::Notice(n) if n.level == NoticeLevel::Info && n.message.contains("while someone is watching"))
    })
    .await?;
    client.close().await?;
    wait_status(&stack, &session.id, SandboxStatus::Stopped).await?;
    let first_sandbox = stack.cp.api().session(&session.id).await?.sandbox.sandbox_id.unwrap();
    assert!(processes_of(&first_sandbox).is_empty(), "the stopped sandbox is gone");

    let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &session.id, None).await?;
    stack.model.push_all([
        Turn::tool_call(
            "bash",
            json!({"command": "cat notes.txt; git log --oneline | wc -l", "description": "read notes"}),
        ),
        Turn::text("The cat is Miso."),
    ]);
    let second = prompt(&stack, &session.id, "What is the cat called?").await?;
    assert_eq!(wait_finished(&stack, &mut client, &second).await?.outcome, PromptOutcome::Completed);
    assert!(client.events.iter().any(|e| matches!(&e.body,
        EventBody::SandboxStatus(s) if s.status == SandboxStatus::Spawning
            && s.message.as_deref().is_some_and(|m| m.starts_with("restoring snapshot")))));
    assert!(tool_output(&client, &second).contains("remember: the cat is called Miso"), "the file is back");
    let logs = log_lines(&client);
    assert!(logs.iter().any(|l| l.contains("booting in snapshot_restore mode")), "{logs:?}");
    let restored_boot = logs.iter().rposition(|l| l.contains("snapshot_restore")).unwrap();
    assert!(!logs[restored_boot..].iter().any(|l| l.contains("SETUP RAN")), "setup.sh is skipped on a restore");
    // OpenCode's conversation came back: the model saw the first prompt again.
    let last_request = stack.model.requests().into_iter().rfind(|r| r.body["tools"].is_array()).unwrap();
    assert!(last_request.body["messages"].to_string().contains("the cat is called Miso"), "conversation intact");
    Ok(())
}

#[tokio::test]
async fn a_killed_sandbox_goes_stale_and_a_replacement_restores_the_last_snapshot() -> anyhow::Result<()> {
    let stack = Stack::start_with(vars(&[("SANDBOX_HEARTBEAT_STALE_MS", "3000")])).await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "state.txt", "content": "before the crash\n"})),
        Turn::text("Written."),
    ]);
    let first = prompt(&stack, &session.id, "Write state.txt").await?;
    assert_eq!(wait_finished(&stack, &mut client, &first).await?.outcome, PromptOutcome::Completed);
    wait_for(
        &mut client,
        Duration::from_secs(30),
        |e| matches!(&e.body, EventBody::Notice(n) if n.message.starts_with("saved snapshot")),
    )
    .await?;

    // Kill every process of the sandbox from outside, as a crash would.
    let sandbox = sandbox_id(&client).unwrap();
    for pid in processes_of(&sandbox) {
        let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    let stale = wait_for(
        &mut client,
        Duration::from_secs(60),
        |e| matches!(&e.body, EventBody::SandboxStatus(s) if s.status == SandboxStatus::Stopped),
    )
    .await?;
    assert!(format!("{stale:?}").contains("stopped responding"), "{stale:?}");

    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "cat state.txt", "description": "read it"})),
        Turn::text("Still there."),
    ]);
    let second = prompt(&stack, &session.id, "Is state.txt still there?").await?;
    assert_eq!(wait_finished(&stack, &mut client, &second).await?.outcome, PromptOutcome::Completed);
    assert!(tool_output(&client, &second).contains("before the crash"));
    let replacement = sandbox_id(&client).unwrap();
    assert_ne!(replacement, sandbox, "a new sandbox");
    Ok(())
}

#[tokio::test]
async fn repeated_spawn_failures_open_the_circuit_breaker() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    // A repository the provider cannot open: every spawn fails permanently (400).
    let summary = stack
        .cp
        .api()
        .create_session(&oi_protocol::rest::CreateSessionRequest {
            repo: "/nonexistent/repo.git".into(),
            ..Default::default()
        })
        .await?;
    let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &summary.id, None).await?;
    for i in 1..=3 {
        let m = prompt(&stack, &summary.id, &format!("attempt {i}")).await?;
        let finished = wait_finished(&stack, &mut client, &m).await?;
        assert_eq!(finished.outcome, PromptOutcome::Failed);
        assert!(finished.error.unwrap_or_default().contains("could not start a sandbox"), "attempt {i}");
    }
    let fourth = prompt(&stack, &summary.id, "attempt 4").await?;
    wait_for(
        &mut client,
        Duration::from_secs(30),
        |e| matches!(&e.body, EventBody::Notice(n) if n.message.contains("sandbox starts are paused after 3 failures")),
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let state = stack.cp.api().session(&summary.id).await?;
    assert_eq!(state.queue.len(), 1, "the fourth prompt waits");
    assert_eq!((state.queue[0].message_id.as_str(), state.queue[0].status), (fourth.as_str(), PromptStatus::Queued));
    let spawns = client
        .events
        .iter()
        .filter(|e| matches!(&e.body, EventBody::SandboxStatus(s) if s.status == SandboxStatus::Spawning))
        .count();
    assert_eq!(spawns, 3, "no fourth spawn while the circuit is open");
    Ok(())
}

#[tokio::test]
async fn typing_starts_a_sandbox_early_and_an_unused_one_is_released() -> anyhow::Result<()> {
    let stack = Stack::start_with(vars(&[("SANDBOX_WARM_RELEASE_MS", "4000")])).await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;

    // Typing, then a prompt: the sandbox is ready before the prompt is sent.
    let (session, mut client) = open_session(&stack, &repo).await?;
    client.send(&ClientMessage::Typing).await?;
    wait_for(
        &mut client,
        Duration::from_secs(60),
        |e| matches!(&e.body, EventBody::SandboxStatus(s) if s.status == SandboxStatus::Ready),
    )
    .await?;
    stack.model.push(Turn::text("Hello, quickly."));
    let m = prompt(&stack, &session.id, "Say hello").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);

    // Typing and never sending: released.
    let (idle, mut watcher) = open_session(&stack, &repo).await?;
    watcher.send(&ClientMessage::Typing).await?;
    wait_for(
        &mut watcher,
        Duration::from_secs(60),
        |e| matches!(&e.body, EventBody::SandboxStatus(s) if s.status == SandboxStatus::Ready),
    )
    .await?;
    let released = wait_for(
        &mut watcher,
        Duration::from_secs(60),
        |e| matches!(&e.body, EventBody::SandboxStatus(s) if s.status == SandboxStatus::Stopped),
    )
    .await?;
    assert!(format!("{released:?}").contains("no prompt came"), "{released:?}");
    assert!(!has_notice(&watcher, "saved snapshot"), "nothing to snapshot");
    assert!(stack.cp.api().session(&idle.id).await?.queue.is_empty());
    Ok(())
}
