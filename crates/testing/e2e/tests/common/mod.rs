//! Steps shared by the end-to-end tests.

#![allow(dead_code)]

use std::time::Duration;

use anyhow::{bail, Result};
use oi_protocol::events::{EventBody, PromptFinished};
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::transcript::{Part, Transcript};
use oi_protocol::SandboxStatus;
use oi_protocol::{SessionEvent, SessionSummary};
use oi_testkit::{Api, BareRepo, ClientSocket, Stack, StackOptions};

pub const LOCAL_USER: &str = "Local User <local@open-inspect.invalid>";

/// Creates a session on `repo` and joins it with a client.
pub async fn open_session(stack: &Stack, repo: &BareRepo) -> Result<(SessionSummary, ClientSocket)> {
    open_session_on(stack, &repo.path().display().to_string()).await
}

/// Creates a session on any `repo` (a path or a URL) and joins it with a client.
pub async fn open_session_on(stack: &Stack, repo: &str) -> Result<(SessionSummary, ClientSocket)> {
    let summary =
        stack.cp.api().create_session(&CreateSessionRequest { repo: repo.to_string(), ..Default::default() }).await?;
    let (client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &summary.id, None).await?;
    Ok((summary, client))
}

/// Sends a prompt and returns its message id.
pub async fn prompt(stack: &Stack, session: &str, text: &str) -> Result<String> {
    Ok(stack.cp.api().prompt(session, &Api::prompt_request(text)).await?.message_id)
}

/// Waits (up to `within`) for the event `pick` accepts, tolerating quiet stretches (a sandbox
/// boot sends nothing for a while).
pub async fn wait_for(
    client: &mut ClientSocket,
    within: Duration,
    mut pick: impl FnMut(&SessionEvent) -> bool,
) -> Result<SessionEvent> {
    let deadline = tokio::time::Instant::now() + within;
    if let Some(e) = client.events.iter().find(|e| pick(e)) {
        return Ok(e.clone());
    }
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if remaining.is_zero() {
            bail!("the event did not come within {within:?}; saw {:#?}", kinds(client));
        }
        match tokio::time::timeout(remaining, client.wait_event(&mut pick)).await {
            Ok(Ok(e)) => return Ok(e),
            Ok(Err(e)) if e.to_string().contains("no message within") => continue,
            Ok(Err(e)) => return Err(e),
            Err(_) => continue,
        }
    }
}

/// Waits for a prompt's `prompt_finished`; on failure the error carries the provider's and
/// the sandboxes' logs.
pub async fn wait_finished(stack: &Stack, client: &mut ClientSocket, message_id: &str) -> Result<PromptFinished> {
    let found = wait_for(
        client,
        Duration::from_secs(120),
        |e| matches!(&e.body, EventBody::PromptFinished(p) if p.message_id == message_id),
    )
    .await;
    let event = match found {
        Ok(event) => event,
        Err(e) => bail!("{e:#}\n{}\n{}", session_logs(stack).await, diagnostics(stack)),
    };
    match event.body {
        EventBody::PromptFinished(p) => Ok(p),
        _ => unreachable!(),
    }
}

/// Every session's event log as the control plane holds it (one line per event).
pub async fn session_logs(stack: &Stack) -> String {
    let api = stack.cp.api();
    let mut out = String::new();
    let Ok(list) = api.list_sessions("?limit=200").await else {
        return out;
    };
    for s in list.sessions {
        out.push_str(&format!("--- session {} ---\n", s.id));
        if let Ok(page) = api.events(&s.id, 0, 1000).await {
            for e in page.events {
                let json = serde_json::to_string(&e.body).unwrap_or_default();
                out.push_str(&format!("{} {}\n", e.seq, json.chars().take(200).collect::<String>()));
            }
        }
    }
    out
}

/// The provider's log and every sandbox's supervisor and OpenCode logs.
pub fn diagnostics(stack: &Stack) -> String {
    let mut out = format!("--- control plane log ---\n{}", stack.cp.log_tail(60));
    out.push_str(&format!("\n--- provider log ---\n{}", stack.provider_log()));
    if let Ok(dirs) = std::fs::read_dir(stack.provider_root.path().join("sandboxes")) {
        for dir in dirs.flatten() {
            for file in ["supervisor.log", "state/opencode.log"] {
                let text = std::fs::read_to_string(dir.path().join(file)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                out.push_str(&format!("\n--- {} {file} ---\n", dir.file_name().to_string_lossy()));
                out.push_str(&tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
        }
    }
    out
}

fn kinds(client: &ClientSocket) -> Vec<String> {
    client
        .events
        .iter()
        .map(|e| match &e.body {
            EventBody::Log(l) => format!("log: {}", l.line),
            EventBody::Notice(n) => format!("notice: {}", n.message),
            EventBody::AgentError(a) => format!("agent_error: {}", a.message),
            EventBody::SandboxStatus(s) => format!("sandbox: {:?} {:?}", s.status, s.message),
            other => other.kind().to_string(),
        })
        .collect()
}

/// The transcript with ids and timings removed, to compare two runs of the same script.
pub fn normalized(t: &Transcript) -> Vec<(Option<String>, Vec<String>, Option<String>)> {
    t.turns
        .iter()
        .map(|turn| {
            let parts = turn
                .parts
                .iter()
                .map(|p| match p {
                    Part::Text { text, .. } => format!("text: {text}"),
                    Part::Tool { tool, status, input, output, .. } => {
                        format!("tool {tool} {status:?} {input} {}", output.clone().unwrap_or_default())
                    }
                    Part::Artifact { media, .. } => format!("artifact {:?} {}", media.kind, media.name),
                })
                .collect();
            (turn.prompt.clone(), parts, turn.outcome.map(|o| format!("{o:?}")))
        })
        .collect()
}

/// A sandbox's processes, seen from the host: those whose environment names the sandbox
/// (the supervisor, OpenCode and the agent's tools all inherit `OI_SANDBOX_ID`).
pub fn processes_of(sandbox_id: &str) -> Vec<u32> {
    let marker = format!("OI_SANDBOX_ID={sandbox_id}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
        })
        .collect()
}

/// Every boot and script output line (`log` events) the client has received, in order.
pub fn log_lines(client: &ClientSocket) -> Vec<String> {
    client
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Log(l) => Some(l.line.clone()),
            _ => None,
        })
        .collect()
}

/// The sandbox id from the first `sandbox_status` event naming one.
pub fn sandbox_id(client: &ClientSocket) -> Option<String> {
    client.events.iter().rev().find_map(|e| match &e.body {
        EventBody::SandboxStatus(s) => s.sandbox_id.clone(),
        _ => None,
    })
}

/// Stack options with these control-plane variables.
pub fn vars(pairs: &[(&str, &str)]) -> StackOptions {
    StackOptions { vars: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
}

/// Waits (up to 30 s) until the session's sandbox has this status.
pub async fn wait_status(stack: &Stack, session: &str, want: SandboxStatus) -> Result<()> {
    for _ in 0..300 {
        if stack.cp.api().session(session).await?.sandbox.status == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("sandbox never became {want:?}\n{}", diagnostics(stack))
}

/// The output of every tool call a prompt made, joined by newlines.
pub fn tool_output(client: &ClientSocket, message_id: &str) -> String {
    client
        .transcript()
        .turns
        .into_iter()
        .find(|t| t.message_id == message_id)
        .map(|t| {
            t.parts
                .iter()
                .filter_map(|p| match p {
                    Part::Tool { output, .. } => output.clone(),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// A `.openinspect/start.sh` that serves the repository's files on `127.0.0.1:<port>` in the
/// sandbox (Python's `http.server`, in the background) and returns once it answers.
pub fn start_sh_serving(port: u16) -> String {
    format!(
        "cd \"$(dirname \"$0\")/..\"\nnohup /usr/bin/python3 -m http.server {port} --bind 127.0.0.1 >/tmp/http.log 2>&1 &\n\
         for i in $(seq 50); do /usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}))' \
         2>/dev/null && exit 0; sleep 0.1; done\necho 'the page server did not start' >&2; exit 1\n"
    )
}
