//! Repo images (a boot from one skips `setup.sh`) and warm pools (a new session claims a booted
//! sandbox).

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::provider::ImageStatus;
use oi_protocol::rest::{BuildImageRequest, ImageList, PoolList};
use oi_protocol::transcript::Part;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack, StackOptions};
use serde_json::json;

#[tokio::test]
async fn a_session_boots_from_the_repo_image_and_skips_setup() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[
        ("README.md", "# app\n"),
        (".gitignore", ".deps/\n"),
        (".openinspect/setup.sh", "echo SETUP RAN\nmkdir -p .deps && echo installed-by-setup > .deps/marker\n"),
    ])?;
    let api = stack.cp.api();
    let body = serde_json::to_string(&BuildImageRequest { repo: repo.path().display().to_string(), branch: None })?;
    let started = api.raw("POST", "/api/images", Some(&body)).await?;
    assert_eq!(started.status, 202, "{}", started.body);
    let mut image = None;
    for _ in 0..600 {
        let list: ImageList = api.raw("GET", "/api/images", None).await?.json()?;
        match list.images.first() {
            Some(i) if i.status == ImageStatus::Ready => {
                image = Some(i.clone());
                break;
            }
            Some(i) if i.status == ImageStatus::Failed => anyhow::bail!("the build failed: {i:?}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let image = image.ok_or_else(|| anyhow::anyhow!("the image was not ready in time\n{}", diagnostics(&stack)))?;
    assert!(image.log_tail.as_deref().unwrap_or("").contains("SETUP RAN"), "the build log: {image:?}");
    assert_eq!(image.base_sha.as_deref(), Some(repo.rev("main")?.as_str()));

    let (session, mut client) = open_session(&stack, &repo).await?;
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "cat .deps/marker", "description": "check the deps"})),
        Turn::text("Dependencies are there."),
    ]);
    let m = prompt(&stack, &session.id, "Are the dependencies installed?").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let lines = log_lines(&client);
    assert!(lines.iter().any(|l| l.contains("booting in repo_image mode")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("SETUP RAN")), "setup.sh did not run again: {lines:?}");
    let turn = client.transcript().turns.into_iter().find(|t| t.message_id == m).unwrap();
    assert!(
        turn.parts.iter().any(|p| matches!(p, Part::Tool { output: Some(o), .. } if o.contains("installed-by-setup"))),
        "what setup.sh installed is in the workspace"
    );
    Ok(())
}

#[tokio::test]
async fn a_new_session_claims_a_warm_pool_sandbox() -> anyhow::Result<()> {
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let pools = format!(r#"[{{"repo":"{}","branch":"main","size":1}}]"#, repo.path().display());
    let stack = Stack::start_with(StackOptions { vars: vec![("WARM_POOLS".into(), pools)] }).await?;
    let api = stack.cp.api();
    let filled: PoolList = api.raw("POST", "/api/pools/refill", None).await?.json()?;
    assert_eq!((filled.pools[0].size, filled.pools[0].warming), (1, 1));

    // Wait until the pool sandbox has booted (OpenCode up, its session created).
    let sandboxes = stack.provider_root.path().join("sandboxes");
    let mut pooled = None;
    for _ in 0..300 {
        if let Some(dir) = std::fs::read_dir(&sandboxes)?.flatten().next() {
            if dir.path().join("state/opencode-session-id").exists() {
                pooled = Some(dir.file_name().to_string_lossy().into_owned());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pooled = pooled.ok_or_else(|| anyhow::anyhow!("the pool sandbox did not boot\n{}", diagnostics(&stack)))?;

    let (session, mut client) = open_session(&stack, &repo).await?;
    let state = api.session(&session.id).await?;
    assert_eq!(state.sandbox.sandbox_id.as_deref(), Some(pooled.as_str()), "the session took the warm sandbox");
    stack.model.push(Turn::text("Hello from a warm sandbox."));
    let m = prompt(&stack, &session.id, "Say hello").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    assert!(log_lines(&client).iter().any(|l| l.contains("claimed from the warm pool")), "{:?}", log_lines(&client));
    let branch = format!("oi/{}", session.id);
    assert!(client.events.iter().any(|e| matches!(&e.body, EventBody::Log(l) if l.line.contains(&branch))));

    // The pool is topped up again in the background.
    for _ in 0..100 {
        let pools: PoolList = api.raw("GET", "/api/pools", None).await?.json()?;
        if pools.pools[0].warming == 1 && pools.pools[0].claimed == 1 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the pool was not refilled")
}
