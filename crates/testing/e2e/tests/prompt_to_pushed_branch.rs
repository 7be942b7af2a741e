//! A prompt on a local bare repo becomes streamed text, a tool call that writes a file, a
//! commit authored by the prompting user on `oi/<session>`, pushed; a second prompt builds on
//! the first; deleting the session leaves no process behind.

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::events::{EventBody, PromptOutcome, ToolStatus};
use oi_protocol::transcript::Part;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack};
use serde_json::json;

#[tokio::test]
async fn prompts_become_commits_on_the_session_branch() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "hello.txt", "content": "hello from the agent\n"}))
            .with_text("I'll create the file."),
        Turn::text("Created hello.txt for you."),
    ]);

    let first = prompt(&stack, &session.id, "Create hello.txt").await?;
    let done = wait_finished(&stack, &mut client, &first).await?;
    assert_eq!(done.outcome, PromptOutcome::Completed, "{done:?}\n{}", stack.provider_log());

    let deltas =
        client.events.iter().filter(|e| matches!(&e.body, EventBody::TextDelta(d) if d.message_id == first)).count();
    assert!(deltas >= 2, "text streamed as deltas, got {deltas}");
    let turn = client.transcript().turns.into_iter().find(|t| t.message_id == first).unwrap();
    let write = turn.parts.iter().find_map(|p| match p {
        Part::Tool { tool, status, input, .. } if tool == "write" => Some((*status, input.clone())),
        _ => None,
    });
    let (status, input) = write.expect("a write tool call");
    assert_eq!(status, ToolStatus::Completed);
    assert_eq!(input["filePath"].as_str().map(|p| p.ends_with("hello.txt")), Some(true), "{input}");
    assert!(turn.parts.iter().any(|p| matches!(p, Part::Text { text, .. } if text == "Created hello.txt for you.")));
    let commit = &turn.commits[0];
    assert!(commit.pushed && commit.sha.is_some(), "{commit:?}");
    assert_eq!((commit.files_changed, commit.insertions), (1, 1));
    let file = &commit.files[0];
    assert_eq!((file.path.as_str(), file.kind), ("hello.txt", oi_protocol::events::FileChangeKind::Added));
    assert!(file.patch.as_deref().unwrap_or("").contains("+hello from the agent"), "{file:?}");

    let branch = format!("oi/{}", session.id);
    assert_eq!(repo.show(&branch, "hello.txt")?, "hello from the agent\n");
    let log = repo.log(&branch)?;
    assert_eq!(log[0], (LOCAL_USER.to_string(), "Create hello.txt".to_string()));
    assert_eq!(repo.rev(&branch)?, commit.sha.clone().unwrap());

    // A second prompt works on top of the first, in the same sandbox.
    stack.model.push_all([
        Turn::tool_call(
            "bash",
            json!({"command": "cat hello.txt > copy.txt && echo more >> hello.txt", "description": "copy and extend"}),
        ),
        Turn::text("Copied and extended."),
    ]);
    let second = prompt(&stack, &session.id, "Copy hello.txt and extend it").await?;
    assert_eq!(wait_finished(&stack, &mut client, &second).await?.outcome, PromptOutcome::Completed);
    assert_eq!(repo.show(&branch, "copy.txt")?, "hello from the agent\n", "built on the first prompt's file");
    assert_eq!(repo.show(&branch, "hello.txt")?, "hello from the agent\nmore\n");
    let log = repo.log(&branch)?;
    assert_eq!(log.len(), 3, "init, then one commit per prompt: {log:?}");
    assert_eq!(log[0].1, "Copy hello.txt and extend it");
    assert_eq!(repo.branches()?, vec!["main".to_string(), branch.clone()], "main is untouched");

    // Deleting the session terminates the sandbox and everything in it.
    let sandbox = sandbox_id(&client).expect("a sandbox id");
    assert!(!processes_of(&sandbox).is_empty(), "the sandbox runs before the delete");
    stack.cp.api().delete_session(&session.id).await?;
    let mut left = processes_of(&sandbox);
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = processes_of(&sandbox);
    }
    assert!(left.is_empty(), "processes outlived their sandbox: {left:?}");
    Ok(())
}
