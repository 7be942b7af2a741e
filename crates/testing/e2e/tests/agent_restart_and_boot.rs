//! OpenCode dying mid-session, and the repo's lifecycle scripts failing.

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::events::{EventBody, NoticeLevel, PromptOutcome};
use oi_protocol::{SandboxStatus, SessionStatus};
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack};

#[tokio::test]
async fn a_killed_opencode_is_restarted_and_reported() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([Turn::text("First answer."), Turn::text("After the restart.")]);
    let first = prompt(&stack, &session.id, "Hello").await?;
    assert_eq!(wait_finished(&stack, &mut client, &first).await?.outcome, PromptOutcome::Completed);

    let sandbox = sandbox_id(&client).unwrap();
    let servers: Vec<u32> = processes_of(&sandbox)
        .into_iter()
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.contains("serve")))
        .collect();
    // The server itself, not the workers it forks (their parent is a server process).
    let parent = |pid: &u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let opencode: Vec<u32> =
        servers.iter().copied().filter(|pid| parent(pid).is_none_or(|p| !servers.contains(&p))).collect();
    assert_eq!(opencode.len(), 1, "one OpenCode server in the sandbox: {servers:?}");
    std::process::Command::new("kill").args(["-9", &opencode[0].to_string()]).status()?;

    let exited = wait_for(&mut client, Duration::from_secs(60), |e| {
        matches!(&e.body, EventBody::Notice(n) if n.level == NoticeLevel::Warning && n.message.contains("OpenCode exited"))
    })
    .await?;
    assert!(format!("{exited:?}").contains("attempt 1 of 5"));
    wait_for(
        &mut client,
        Duration::from_secs(60),
        |e| matches!(&e.body, EventBody::Notice(n) if n.message.contains("OpenCode restarted")),
    )
    .await?;
    let second = prompt(&stack, &session.id, "Still there?").await?;
    assert_eq!(wait_finished(&stack, &mut client, &second).await?.outcome, PromptOutcome::Completed);
    let turn = client.transcript().turns.into_iter().find(|t| t.message_id == second).unwrap();
    assert!(format!("{:?}", turn.parts).contains("After the restart."));
    Ok(())
}

#[tokio::test]
async fn a_failing_start_script_fails_the_boot_clearly() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[
        ("README.md", "# app\n"),
        (".openinspect/start.sh", "echo starting the dev server\necho 'port 3000 is taken' >&2\nexit 3\n"),
    ])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    let m = prompt(&stack, &session.id, "Anything").await?;
    let failed = wait_finished(&stack, &mut client, &m).await?;
    assert_eq!(failed.outcome, PromptOutcome::Failed);
    assert!(failed.error.as_deref().unwrap_or("").contains(".openinspect/start.sh exited with status 3"), "{failed:?}");
    let lines = log_lines(&client);
    assert!(
        lines.contains(&"starting the dev server".to_string()) && lines.contains(&"port 3000 is taken".to_string())
    );
    assert!(client.events.iter().any(|e| matches!(&e.body,
        EventBody::SandboxStatus(s) if s.status == SandboxStatus::Failed
            && s.message.as_deref().is_some_and(|m| m.contains("start.sh")))));
    let state = stack.cp.api().session(&session.id).await?;
    assert_eq!(state.summary.status, SessionStatus::Failed);
    assert!(state.queue.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_failing_setup_script_warns_and_the_session_goes_on() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[
        ("README.md", "# app\n"),
        (".openinspect/setup.sh", "echo installing deps in $OPENINSPECT_BOOT_MODE mode\nexit 1\n"),
        (".openinspect/start.sh", "echo started\n"),
    ])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([Turn::text("Working anyway.")]);
    let m = prompt(&stack, &session.id, "Go").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let has = |needle: &str| {
        client.events.iter().any(|e| match &e.body {
            EventBody::Log(l) => l.line.contains(needle),
            EventBody::Notice(n) => n.level == NoticeLevel::Warning && n.message.contains(needle),
            _ => false,
        })
    };
    assert!(has("installing deps in fresh mode"));
    assert!(has(".openinspect/setup.sh exited with status 1; continuing"));
    assert!(has("started"));
    Ok(())
}
