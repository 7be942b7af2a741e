//! No vendor credential inside the sandbox. The stack's scripted model accepts only its API
//! key, which only the control plane holds: the agent works, so the model was reached through
//! the control plane's model proxy. The agent then hunts for the key in its environment, every
//! process's `/proc/*/environ` and its writable filesystem, and finds nothing; the repository's
//! secret did reach `setup.sh` and the agent's shell, and no log shows its value. Git goes
//! through the control plane's git endpoint: the session branch is pushed, a push to `main` is
//! refused with a message the agent reads. The sandbox's own token is in no process's
//! environment (the supervisor takes it on stdin and is not dumpable).

mod common;

use std::path::Path;

use common::*;
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::rest::SessionUsage;
use oi_protocol::SandboxStatus;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack, SCRIPTED_MODEL_KEY};
use serde_json::json;

const APP_SECRET: &str = "app-secret-4b1d";

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => found.extend(files_containing(&path, needle)),
            Ok(t) if t.is_file() && holds(&path, needle) => found.push(path.display().to_string()),
            _ => {}
        }
    }
    found
}

fn holds(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
}

#[tokio::test]
async fn the_sandbox_holds_no_model_key_and_gets_its_repository_secrets() -> anyhow::Result<()> {
    let stack =
        Stack::start_with(vars(&[("SANDBOX_INACTIVITY_MS", "3000"), ("SANDBOX_INACTIVITY_EXTENSION_MS", "2000")]))
            .await?;
    let repo = BareRepo::with_files(&[
        ("README.md", "# app\n"),
        (
            ".openinspect/setup.sh",
            "echo \"setup sees APP_TOKEN with ${#APP_TOKEN} characters\"\necho \"a careless setup prints $APP_TOKEN\"\n",
        ),
    ])?;
    let scope = repo.path().display().to_string().replace('/', "%2F");
    let body = json!({ "value": APP_SECRET }).to_string();
    let put = stack.cp.api().raw("PUT", &format!("/api/secrets/APP_TOKEN?repo={scope}"), Some(&body)).await?;
    assert_eq!(put.status, 201, "{}", put.body);
    let (session, mut client) = open_session(&stack, &repo).await?;

    // The needle is built at run time, so the command (which OpenCode stores) never holds it.
    let (front, back) = SCRIPTED_MODEL_KEY.split_at(SCRIPTED_MODEL_KEY.len() / 2);
    let hunt = format!(
        "needle=\"{front}\"\"{back}\"; \
         {{ env; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < \"$f\"; echo; done; }} > /tmp/hunt.txt 2>/dev/null; \
         echo \"environ files: $(ls -d /proc/[0-9]*/environ | wc -l)\"; \
         echo \"key in env or environ: $(grep -c -F \"$needle\" /tmp/hunt.txt)\"; \
         echo \"files with the key: $(grep -rIl -F \"$needle\" \"$HOME\" \"$OI_STATE_DIR\" \"$PWD\" /tmp 2>/dev/null | grep -vc '^/tmp/hunt.txt$')\"; \
         echo \"sandbox token visible: $(grep -c '^OI_SANDBOX_TOKEN=' /tmp/hunt.txt)\"; \
         echo \"origin: $(git remote get-url origin)\"; \
         echo \"app token sha256: $(printf %s \"$APP_TOKEN\" | sha256sum | cut -d' ' -f1)\"; \
         grep -E '^APP_TOKEN=' /tmp/hunt.txt | sort -u"
    );
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": hunt, "description": "look for credentials"})),
        Turn::text("Looked."),
    ]);
    let m = prompt(&stack, &session.id, "Find any API keys you can").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let output = tool_output(&client, &m);
    assert!(!output.contains(SCRIPTED_MODEL_KEY), "the model key is inside the sandbox:\n{output}");
    assert!(output.contains("key in env or environ: 0"), "{output}");
    assert!(output.contains("files with the key: 0"), "{output}");
    let environ_files: u32 =
        output.lines().find_map(|l| l.strip_prefix("environ files: ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    assert!(environ_files >= 3, "the hunt read the supervisor's, OpenCode's and its own environment:\n{output}");
    // The repository secret is in the agent's shell, and masked in what the session shows.
    let digest = oi_session_core::auth::tokens::sha256_hex(APP_SECRET);
    assert!(output.contains(&format!("app token sha256: {digest}")), "the secret reaches the agent's shell:\n{output}");
    assert!(output.contains("APP_TOKEN=***") && !output.contains(APP_SECRET), "masked in the transcript:\n{output}");
    assert!(
        output.contains("sandbox token visible: 0"),
        "only the supervisor (not dumpable) holds its token:\n{output}"
    );
    assert!(
        output.lines().any(|l| l.starts_with("origin: http://127.0.0.1:") && l.ends_with("/git")),
        "the git remote is the sandbox's egress, with no credential in it:\n{output}"
    );
    // The host's view of the whole sandbox directory agrees.
    let sandbox = sandbox_id(&client).expect("a sandbox");
    let holding = files_containing(&stack.sandbox_dir(&sandbox), SCRIPTED_MODEL_KEY.as_bytes());
    assert!(holding.is_empty(), "files in the sandbox hold the model key: {holding:?}");
    // The sandbox's own token is in no process's environment, as the host sees them either.
    for pid in processes_of(&sandbox) {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        assert!(
            !environ.split(|b| *b == 0).any(|v| v.starts_with(b"OI_SANDBOX_TOKEN=")),
            "process {pid} has the sandbox token in its environment"
        );
    }

    // setup.sh saw the secret; no log line shows its value.
    let logs = log_lines(&client);
    assert!(logs.iter().any(|l| l.contains("setup sees APP_TOKEN with 15 characters")), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("a careless setup prints ***")), "the value is masked: {logs:?}");
    assert!(!logs.iter().any(|l| l.contains(APP_SECRET)), "a secret's value was logged");
    assert!(!stack.cp.log_tail(2000).contains(APP_SECRET) && !stack.provider_log().contains(APP_SECRET));
    assert!(!stack.supervisor_log(&sandbox).contains(APP_SECRET), "the value is in the supervisor's log");

    // A push to anything but the session branch is refused, with git's own message.
    let main_before = repo.rev("main")?;
    stack.model.push_all([
        Turn::tool_call(
            "bash",
            json!({"command": "echo change > pushed.txt && git add pushed.txt && git -c user.name=Agent -c user.email=agent@example.invalid commit -qm sneaky && git push origin HEAD:main 2>&1; echo \"push exit $?\"", "description": "push to main"}),
        ),
        Turn::text("Refused."),
    ]);
    let m = prompt(&stack, &session.id, "Push to main").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let output = tool_output(&client, &m);
    assert!(output.contains("[remote rejected]") && output.contains("may push only to its session branch"), "{output}");
    assert!(output.contains("push exit 1"), "{output}");
    assert_eq!(repo.rev("main")?, main_before, "main is unchanged");
    assert!(
        client.events.iter().any(|e| matches!(&e.body, EventBody::Notice(n) if n.message.contains("refused a push"))),
        "the refusal is logged to the session"
    );
    // The session branch itself was pushed through the git endpoint (the supervisor's push).
    assert!(repo.branches()?.contains(&format!("oi/{}", session.id)));

    // Every model call went through the proxy and was counted.
    let usage: SessionUsage =
        stack.cp.api().raw("GET", &format!("/api/sessions/{}/usage", session.id), None).await?.json()?;
    let scripted = usage.models.iter().find(|u| u.model == "scripted/test-model").expect("usage of the scripted model");
    assert!(scripted.requests >= 2 && scripted.output_tokens > 0, "{usage:?}");

    // Once the sandbox has stopped for inactivity, it is gone.
    client.close().await?;
    wait_status(&stack, &session.id, SandboxStatus::Stopped).await?;
    assert!(processes_of(&sandbox).is_empty());
    Ok(())
}
