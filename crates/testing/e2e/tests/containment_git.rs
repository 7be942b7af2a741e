//! Git hooks never run on the host (docs/security.md, "Containment"). An agent writes hooks into
//! its own workspace's repository (where it may write) and a session is started on that
//! workspace, whose pushes would run them on the host as the provider's user: the provider
//! refuses to serve a repository inside its own directory. A repository under the operator's
//! root that holds hooks (planted by anyone who could write there) takes the session's push
//! without running them.

mod common;

use common::*;
use oi_protocol::events::PromptOutcome;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack};
use serde_json::json;

const HOOKS: &[&str] = &["pre-receive", "update", "post-receive", "post-update", "reference-transaction"];

/// A hook that records, on the host, that it ran.
fn hook(pwned: &std::path::Path) -> String {
    format!("#!/bin/sh\necho \"$0\" >> '{}'\ncat > /dev/null\nexit 0\n", pwned.display())
}

#[tokio::test]
async fn a_git_hook_never_runs_on_the_host() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let pwned = repo.outside_dir().join("PWNED");

    // The agent plants hooks in its workspace's repository.
    let (a, mut client_a) = open_session(&stack, &repo).await?;
    let plant = format!(
        "for h in {}; do printf '%s' \"$HOOK\" > .git/hooks/$h && chmod +x .git/hooks/$h; done; \
         git branch main origin/main 2>/dev/null; ls .git/hooks | tr '\\n' ' '",
        HOOKS.join(" ")
    );
    let command = format!("export HOOK='{}'; {plant}", hook(&pwned).replace('\'', "'\\''"));
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": command, "description": "plant hooks"})),
        Turn::text("Planted."),
    ]);
    let m = prompt(&stack, &a.id, "Plant git hooks").await?;
    assert_eq!(wait_finished(&stack, &mut client_a, &m).await?.outcome, PromptOutcome::Completed);
    assert!(tool_output(&client_a, &m).contains("pre-receive"), "{}", tool_output(&client_a, &m));
    let workspace = stack.sandbox_dir(&sandbox_id(&client_a).expect("a sandbox")).join("workspace");
    assert!(workspace.join(".git/hooks/pre-receive").is_file());

    // A session on that workspace (anyone may name any path; the agent could ask for it): its
    // sandbox is refused, so nothing ever pushes there.
    let (b, mut client_b) = open_session_on(&stack, &workspace.display().to_string()).await?;
    let m = prompt(&stack, &b.id, "Create b.txt").await?;
    let finished = wait_finished(&stack, &mut client_b, &m).await?;
    assert_eq!(finished.outcome, PromptOutcome::Failed, "a sandbox served another sandbox's workspace");
    let reason = finished.error.unwrap_or_default();
    assert!(reason.contains("inside the sandbox provider's own directory"), "the refusal names the reason: {reason}");
    assert!(!pwned.exists(), "a hook ran on the host: {}", std::fs::read_to_string(&pwned).unwrap_or_default());
    stack.model.clear_script();

    // A repository under the operator's root with hooks in it: the session's push lands, and no
    // hook runs.
    let hooked = BareRepo::with_files(&[("README.md", "# hooked\n")])?;
    for name in HOOKS {
        let path = hooked.path().join("hooks").join(name);
        std::fs::write(&path, hook(&pwned))?;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    let (c, mut client_c) = open_session(&stack, &hooked).await?;
    let m = prompt(&stack, &c.id, "Create c.txt").await?;
    assert_eq!(wait_finished(&stack, &mut client_c, &m).await?.outcome, PromptOutcome::Completed);
    assert!(hooked.branches()?.contains(&format!("oi/{}", c.id)), "the session branch was pushed");
    assert!(!pwned.exists(), "a hook ran on the host: {}", std::fs::read_to_string(&pwned).unwrap_or_default());
    Ok(())
}
