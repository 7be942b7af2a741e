//! The sandbox's private network: everything in it (the supervisor, OpenCode, the agent's
//! tools) reaches the outside only through the provider's gateway, which admits the control
//! plane (every other test depends on that), the provider, and the repository's package
//! registries. A request anywhere else fails, and the refusal is in the session's log.

mod common;

use common::*;
use oi_protocol::events::PromptOutcome;
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, Stack};
use serde_json::json;

#[tokio::test]
async fn the_sandbox_reaches_its_registries_and_nothing_else() -> anyhow::Result<()> {
    let stack = Stack::start_with(vars(&[("NETWORK_ALLOWLIST", r#"{"*": ["registry.npmjs.org"]}"#)])).await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    let script = "curl -sS -m 20 -o /dev/null -w 'registry %{http_code}\\n' https://registry.npmjs.org/left-pad 2>&1; \
                  curl -sS -m 20 -o /dev/null https://example.com 2>&1; echo \"elsewhere exit $?\"; \
                  curl -sS -m 20 --noproxy '*' -o /dev/null https://registry.npmjs.org/ 2>&1; echo \"direct exit $?\"";
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": script, "description": "reach out"})),
        Turn::text("Tried."),
    ]);
    let m = prompt(&stack, &session.id, "Try the network").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let output = tool_output(&client, &m);
    assert!(output.contains("registry 200"), "the allowed registry answers through the gateway:\n{output}");
    assert!(output.contains("403") && output.contains("elsewhere exit 56"), "another host is refused:\n{output}");
    assert!(!output.contains("direct exit 0"), "nothing leaves without the gateway:\n{output}");
    let logs = log_lines(&client);
    assert!(
        logs.iter().any(|l| l.contains("network: refused example.com:443")),
        "the refusal is in the session's log: {logs:?}"
    );
    Ok(())
}
