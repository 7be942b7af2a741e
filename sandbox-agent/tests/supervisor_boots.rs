//! The real `sandbox-agent` binary against a fake control plane (`common`), with the pinned
//! OpenCode and the scripted model: a session's fresh boot, and a warm-pool sandbox joining the
//! session a claim names. Each boots, reports ready, runs a prompt whose work is committed and
//! pushed through the egress to the session's git endpoint, answers the bridge's re-sends and
//! stops as `supervisor::prompts` says (a prompt sent while a stopped one winds down waits for
//! it), and exits 0 when the control plane ends the sandbox.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{bare_repo, git, opencode_bin, ControlPlane};
use oi_protocol::agent::AgentConfig;
use oi_protocol::bridge::{AgentEvent, BridgeCommand, PromptCommand};
use oi_protocol::events::{LogSource, PromptOutcome};
use oi_protocol::provider::ClaimSandbox;
use oi_protocol::supervisor_env as var;
use oi_protocol::User;
use oi_scripted_model::{ScriptedModel, Turn};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

const WAIT: Duration = Duration::from_secs(90);

fn agent() -> AgentConfig {
    common::scripted_agent()
}

/// The provider's environment for a sandbox under `dir`.
fn environment(dir: &Path, session: &str, control_plane: &str, repo: &Path) -> BTreeMap<String, String> {
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let opencode = opencode_bin();
    assert!(opencode.exists(), "OpenCode is missing at {} (scripts/setup installs it)", opencode.display());
    BTreeMap::from([
        ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".to_string(), path(&dir.join("home"))),
        (var::SESSION_ID.to_string(), session.to_string()),
        (var::SANDBOX_ID.to_string(), "sbx_boot".to_string()),
        (var::SANDBOX_TOKEN_ON_STDIN.to_string(), "1".to_string()),
        (var::CONTROL_PLANE_URL.to_string(), control_plane.to_string()),
        (var::REPO_URL.to_string(), path(repo)),
        (var::BRANCH.to_string(), "main".to_string()),
        (var::WORKSPACE.to_string(), path(&dir.join("workspace"))),
        (var::STATE_DIR.to_string(), path(&dir.join("state"))),
        (var::OPENCODE_BIN.to_string(), path(&opencode)),
        (var::AGENT_CONFIG.to_string(), serde_json::to_string(&agent()).unwrap()),
    ])
}

/// Starts the supervisor with `env`, the token on its stdin and its log in `dir/supervisor.log`.
async fn supervisor(dir: &Path, env: &BTreeMap<String, String>, token: &str) -> Child {
    for sub in ["home", "state"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let log = std::fs::File::create(dir.join("supervisor.log")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox-agent"))
        .env_clear()
        .envs(env)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{token}\n").as_bytes()).await.unwrap();
    child
}

fn prompt(message_id: &str, text: &str) -> BridgeCommand {
    BridgeCommand::Prompt(PromptCommand {
        message_id: message_id.into(),
        text: text.into(),
        author: User { id: "u1".into(), name: "Ada".into(), email: "ada@acme.test".into(), login: None },
        model: "scripted/test-model".into(),
        attribution: None,
        attachments: Vec::new(),
    })
}

fn finished(message_id: &str) -> impl Fn(&AgentEvent) -> bool + '_ {
    move |e| matches!(e, AgentEvent::PromptFinished(p) if p.message_id == message_id)
}

/// The supervisor's log so far.
fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("supervisor.log")).unwrap_or_default()
}

/// Prompts `text` as `message_id` and checks it completes with its work (`file`) pushed to
/// `session`'s branch.
async fn prompt_pushes(cp: &mut ControlPlane, dir: &Path, repo: &Path, session: &str, message_id: &str, file: &str) {
    cp.send(prompt(message_id, &format!("Create {file}")));
    let events = cp.events_until(WAIT, finished(message_id)).await;
    let Some(AgentEvent::PromptFinished(end)) = events.last() else { unreachable!() };
    assert_eq!(end.outcome, PromptOutcome::Completed, "{events:#?}\n{}", log(dir));
    pushed(&events, repo, session, message_id, file);
}

/// The commit event of `message_id` among `events`, pushed with `file` to `session`'s branch.
fn pushed(events: &[AgentEvent], repo: &Path, session: &str, message_id: &str, file: &str) {
    let commit = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::Commit(c) if c.message_id == message_id => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no commit for {message_id}: {events:#?}"));
    assert!(commit.pushed && commit.error.is_none(), "{commit:?}\n{events:#?}");
    let branch = format!("oi/{session}");
    assert_eq!(commit.branch, branch);
    assert_eq!(git(repo, &["rev-parse", &branch]), commit.sha.clone().unwrap(), "pushed through the egress");
    git(repo, &["cat-file", "-e", &format!("{branch}:{file}")]);
}

/// The re-send of a finished prompt (after a reconnect) runs nothing; a stop for a prompt the
/// supervisor never had is answered; the session gone, the supervisor exits 0.
async fn resend_stop_and_exit(cp: &mut ControlPlane, mut child: Child, dir: &Path, finished_id: &str) {
    cp.send(prompt(finished_id, "Create again.txt"));
    cp.send(BridgeCommand::Stop { message_id: "msg_never".into() });
    let events = cp.events_until(WAIT, finished("msg_never")).await;
    assert_eq!(events.len(), 1, "nothing ran again: {events:#?}");
    let AgentEvent::PromptFinished(end) = &events[0] else { unreachable!() };
    assert_eq!(end.outcome, PromptOutcome::Stopped);

    cp.close(4410);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("exits").unwrap();
    assert!(status.success(), "{status}\n{}", log(dir));
}

#[tokio::test]
async fn a_fresh_session_boots_serves_a_prompt_and_pushes_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = bare_repo(
        dir.path(),
        &[("README.md", "hi\n"), (".openinspect/setup.sh", "echo setting up in $OPENINSPECT_BOOT_MODE\n")],
    );
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let (session, token) = ("ses_fresh", "token-fresh");
    let mut cp = ControlPlane::start(session, token, model.url(), repo.clone()).await;
    // OI_REPO_URL is not used: a session's git goes through the egress to the control plane.
    let env = environment(dir.path(), session, &cp.url, Path::new("/nonexistent/repo.git"));
    let child = supervisor(dir.path(), &env, token).await;

    let boot = cp.events_until(WAIT, |e| matches!(e, AgentEvent::Ready { .. })).await;
    let lines: Vec<(LogSource, &str)> = boot
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Log(l) => Some((l.source, l.line.as_str())),
            _ => None,
        })
        .collect();
    assert!(lines.contains(&(LogSource::Setup, "setting up in fresh")), "{boot:#?}");
    assert!(lines.iter().any(|(s, l)| *s == LogSource::Git && l.starts_with("checked out oi/ses_fresh")), "{boot:#?}");
    prompt_pushes(&mut cp, dir.path(), &repo, session, "msg_1", "hello.txt").await;

    // The Durable Object finishes a prompt itself when a stop cannot be confirmed, and sends
    // the next at once: it waits here until the first has wound down, then runs.
    model.push(Turn::slow_text(400, 50));
    cp.send(prompt("msg_slow", "Tell a long story"));
    cp.events_until(WAIT, |e| matches!(e, AgentEvent::TextDelta(t) if t.message_id == "msg_slow")).await;
    cp.send(BridgeCommand::Stop { message_id: "msg_slow".into() });
    cp.send(prompt("msg_next", "Create next.txt"));
    let events = cp.events_until(WAIT, finished("msg_next")).await;
    let ends: Vec<(&str, PromptOutcome)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::PromptFinished(p) => Some((p.message_id.as_str(), p.outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(ends, [("msg_slow", PromptOutcome::Stopped), ("msg_next", PromptOutcome::Completed)], "{events:#?}");
    pushed(&events, &repo, session, "msg_next", "next.txt");
    resend_stop_and_exit(&mut cp, child, dir.path(), "msg_1").await;
}

#[tokio::test]
async fn a_warm_pool_sandbox_joins_the_session_its_claim_names() {
    let dir = tempfile::tempdir().unwrap();
    let repo = bare_repo(dir.path(), &[("README.md", "hi\n")]);
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let (session, token) = ("ses_claimed", "token-claimed");
    let mut cp = ControlPlane::start(session, token, model.url(), repo.clone()).await;
    // Before the claim: the pool's name and token, and the repository as the provider named it.
    let mut env = environment(dir.path(), "pool-main", "http://127.0.0.1:9", &repo);
    env.insert(var::POOL.to_string(), "1".to_string());
    let child = supervisor(dir.path(), &env, "pool-token").await;

    let claim_file = dir.path().join("state/claim.json");
    let log = dir.path().join("supervisor.log");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("waiting for a claim") {
        assert!(tokio::time::Instant::now() < deadline, "never warm:\n{}", std::fs::read_to_string(&log).unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let claim = ClaimSandbox {
        session_id: session.into(),
        sandbox_token: token.into(),
        control_plane_url: format!("{}/", cp.url),
        branch: "main".into(),
        agent: agent(),
    };
    let written = dir.path().join("state/claim.json.tmp");
    std::fs::write(&written, serde_json::to_string(&claim).unwrap()).unwrap();
    std::fs::rename(&written, &claim_file).unwrap();

    let joined = cp.events_until(WAIT, |e| matches!(e, AgentEvent::Ready { .. })).await;
    assert!(
        joined.iter().any(|e| matches!(e, AgentEvent::Log(l) if l.line.starts_with("claimed from the warm pool"))),
        "{joined:#?}"
    );
    assert!(!claim_file.exists(), "the claim, which holds the token, is gone");
    prompt_pushes(&mut cp, dir.path(), &repo, session, "msg_1", "hello.txt").await;
    resend_stop_and_exit(&mut cp, child, dir.path(), "msg_1").await;
}
