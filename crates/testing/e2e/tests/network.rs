//! The sandbox's private network: everything in it (the supervisor, OpenCode, the agent's
//! tools) reaches the outside only through the provider's gateway, which admits this session's
//! own sandbox routes on the control plane (every other test depends on those), the provider's
//! git endpoint for this sandbox, and the repository's package registries. A request anywhere
//! else fails, and the refusal is in the session's log.

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

/// The agent as an attacker, from inside its sandbox: the control plane is on the gateway's
/// allowlist only for this session's own sandbox routes. Listing sessions, another session's
/// routes, the admin API, a person's routes of its own session, and a `Host:` header that
/// points a registry request at the control plane are all refused, each refusal logged to the
/// session; its own sandbox route goes through (and is refused by the control plane for lack
/// of the token, which only the supervisor holds). The gateway's socket used directly refuses
/// the same.
#[tokio::test]
async fn the_sandbox_reaches_only_its_own_sessions_sandbox_routes() -> anyhow::Result<()> {
    let stack = Stack::start_with(vars(&[("NETWORK_ALLOWLIST", r#"{"*": ["registry.npmjs.org"]}"#)])).await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (other, _other_client) = open_session(&stack, &repo).await?;
    let (session, mut client) = open_session(&stack, &repo).await?;
    let cp = stack.proxy.url().trim_end_matches('/').to_string();
    let cp_authority = cp.trim_start_matches("http://").to_string();
    let (own, other) = (session.id.clone(), other.id);
    // `NO_PROXY` names loopback (the supervisor's own ports), so the attacker drops it.
    let script = format!(
        "p() {{ env -u NO_PROXY -u no_proxy curl -sS -m 20 -x \"$HTTP_PROXY\" -o /tmp/body -w '%{{http_code}}' \"$@\"; \
              printf ' '; head -c 300 /tmp/body | tr '\\n' ' '; echo; }}; \
         echo \"list: $(p {cp}/api/sessions)\"; \
         echo \"other events: $(p {cp}/api/sessions/{other}/events)\"; \
         echo \"other bridge: $(p {cp}/api/sessions/{other}/sandbox)\"; \
         echo \"other attach: $(p -X POST {cp}/api/sessions/{other}/sandbox/attach)\"; \
         echo \"secrets: $(p {cp}/api/secrets)\"; \
         echo \"own attach: $(p -X POST {cp}/api/sessions/{own}/sandbox/attach)\"; \
         echo \"own state: $(p {cp}/api/sessions/{own})\"; \
         echo \"host trick: $(p -H 'Host: {cp_authority}' http://registry.npmjs.org/api/sessions)\"; \
         echo \"own route: $(p -X POST {cp}/api/sessions/{own}/sandbox/pull-request)\"; \
         echo \"direct: $(curl -sS -m 20 --unix-socket /srv/net/gateway.sock --request-target {cp}/api/sessions -o /tmp/body -w '%{{http_code}}' {cp}/api/sessions; printf ' '; head -c 300 /tmp/body)\""
    );
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": script, "description": "reach the control plane"})),
        Turn::text("Tried."),
    ]);
    let m = prompt(&stack, &own, "Try the control plane").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let output = tool_output(&client, &m);
    let line = |name: &str| {
        let prefix = format!("{name}: ");
        output.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name:?} in:\n{output}"))
    };
    for (name, reason) in [
        ("list", "only this session's sandbox routes"),
        ("other events", "only this sandbox's own session"),
        ("other bridge", "only this sandbox's own session"),
        ("other attach", "only this sandbox's own session"),
        ("secrets", "only this session's sandbox routes"),
        ("own attach", "only the session's sandbox routes"),
        ("own state", "only the session's sandbox routes"),
        ("host trick", "the Host header"),
        ("direct", "only this session's sandbox routes"),
    ] {
        let got = line(name);
        assert!(got.starts_with("403 open-inspect: ") && got.contains(reason), "{name}: {got}\n{output}");
    }
    let own_route = line("own route");
    assert!(own_route.starts_with("401"), "its own route passes the gateway, the token is missing: {own_route}");
    let logs = log_lines(&client);
    for refused in [
        format!("network: refused GET {cp}/api/sessions: only this session's sandbox routes"),
        format!("network: refused POST {cp}/api/sessions/{other}/sandbox/attach: only this sandbox's own session"),
        format!("network: refused GET {cp}/api/secrets: "),
        "network: refused GET http://registry.npmjs.org/api/sessions: the Host header".to_string(),
    ] {
        assert!(logs.iter().any(|l| l.starts_with(&refused)), "{refused:?} is in the session's log: {logs:?}");
    }
    Ok(())
}
