//! A warm-pool claim carries the claiming session's sandbox token (docs/security.md,
//! "Containment"). A repository's `start.sh` leaves a process running in the pool sandbox that
//! waits for the claim: it plants a symlink where the claim file used to be written (so the
//! provider, on the host, would overwrite a file of its choosing), reads every claim file it
//! sees, and tries to open the supervisor's claim channel through `/proc`. It gets nothing,
//! the host file is untouched, and the session works.

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::events::PromptOutcome;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack, StackOptions};

#[tokio::test]
async fn a_process_left_by_start_sh_cannot_read_or_redirect_the_claim() -> anyhow::Result<()> {
    let host = tempfile::Builder::new().prefix("oi-victim-").tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let victim = host.path().join("victim.txt");
    std::fs::write(&victim, "untouched")?;
    let watcher = format!(
        r#"ln -s '{victim}' "$OI_STATE_DIR/claim.json.tmp"
for f in /proc/[0-9]*/fd/"${{OI_CLAIM_FD:-none}}"; do (timeout 60 cat "$f" >> "$OI_STATE_DIR/stolen-fd.txt" 2>/dev/null &); done
end=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$end" ]; do
  for f in "$OI_STATE_DIR"/claim.json*; do cat "$f" >> "$OI_STATE_DIR/stolen.txt" 2>/dev/null; done
  sleep 0.01
done"#,
        victim = victim.display()
    );
    let start = format!("nohup sh -c '{}' > /dev/null 2>&1 &\necho watcher started\n", watcher.replace('\'', "'\\''"));
    let repo = BareRepo::with_files(&[("README.md", "# app\n"), (".openinspect/start.sh", &start)])?;
    let pools = format!(r#"[{{"repo":"{}","branch":"main","size":1}}]"#, repo.path().display());
    let stack = Stack::start_with(StackOptions { vars: vec![("WARM_POOLS".into(), pools)] }).await?;
    stack.cp.api().raw("POST", "/api/pools/refill", None).await?;

    // The pool sandbox has booted (start.sh ran, OpenCode is up) and waits for its claim.
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
    let state = stack.sandbox_dir(&pooled).join("state");
    assert!(std::fs::symlink_metadata(state.join("claim.json.tmp"))?.file_type().is_symlink(), "the trap is set");

    let (session, mut client) = open_session(&stack, &repo).await?;
    assert_eq!(stack.cp.api().session(&session.id).await?.sandbox.sandbox_id.as_deref(), Some(pooled.as_str()));
    // The claim was handed over when the session was created.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(std::fs::read_to_string(&victim)?, "untouched", "the provider wrote the claim through the symlink");
    stack.model.push(Turn::text("Hello from a warm sandbox."));
    let m = prompt(&stack, &session.id, "Say hello").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    assert!(log_lines(&client).iter().any(|l| l.contains("claimed from the warm pool")), "{:?}", log_lines(&client));
    for stolen in ["stolen.txt", "stolen-fd.txt"] {
        let text = std::fs::read_to_string(state.join(stolen)).unwrap_or_default();
        assert!(
            !text.contains("sandbox_token") && !text.contains(&session.id),
            "start.sh's process read the claim ({stolen}): {text}"
        );
    }
    assert!(!state.join("claim.json").exists(), "no claim file in the sandbox");
    Ok(())
}
