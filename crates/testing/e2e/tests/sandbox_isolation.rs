//! Nothing inside a sandbox can write outside its workspace and state directories: the agent
//! itself tries, through its bash tool.

mod common;

use common::*;
use oi_protocol::events::PromptOutcome;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack};
use serde_json::json;

#[tokio::test]
async fn the_agent_cannot_write_outside_its_sandbox() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;

    let marker = format!("oi-escape-{}", std::process::id());
    // Host paths the sandbox can see read-only: every write must be refused.
    let visible = [
        repo.outside_dir().join(&marker),                   // the test's own directory
        repo.path().join(&marker),                          // the remote repository itself
        std::path::PathBuf::from("/root").join(&marker),    // the host's home
        std::path::PathBuf::from("/etc").join(&marker),     // system files
        std::path::PathBuf::from("/var/tmp").join(&marker), // a shared temp directory
    ];
    // The provider's root (other sandboxes, snapshots, logs) is hidden behind a private tmpfs:
    // a write there lands in the sandbox's own memory, never on the host.
    let hidden = stack.provider_root.path().join(&marker);
    let outside: Vec<_> = visible.iter().chain([&hidden]).cloned().collect();
    let mut script = String::from("for p in");
    for p in &outside {
        script.push_str(&format!(" '{}'", p.display()));
    }
    script.push_str(
        "; do if (echo x > \"$p\") 2>/dev/null; then echo \"WROTE $p\"; else echo \"DENIED $p\"; fi; done > results.txt; \
         echo ok > \"$OI_STATE_DIR/state-ok\" && echo 'STATE OK' >> results.txt; \
         echo x > /tmp/private && echo 'TMP OK' >> results.txt",
    );
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": script, "description": "try to escape"})),
        Turn::text("Tried."),
    ]);
    let m = prompt(&stack, &session.id, "Try to write everywhere").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);

    let results = repo.show(&format!("oi/{}", session.id), "results.txt")?;
    for p in &visible {
        assert!(results.contains(&format!("DENIED {}", p.display())), "{} was writable:\n{results}", p.display());
    }
    for p in &outside {
        assert!(!p.exists(), "{} exists on the host:\n{results}", p.display());
    }
    let other_sandboxes = std::fs::read_dir(stack.provider_root.path().join("sandboxes"))?.count();
    assert_eq!(other_sandboxes, 1, "only this sandbox's directory exists");
    assert!(results.contains("STATE OK") && results.contains("TMP OK"), "{results}");
    let sandbox = sandbox_id(&client).unwrap();
    assert!(stack.sandbox_dir(&sandbox).join("state/state-ok").exists(), "the state directory is the sandbox's");
    assert_eq!(repo.branches()?.len(), 2, "the remote changed only by the session branch's push");
    Ok(())
}
