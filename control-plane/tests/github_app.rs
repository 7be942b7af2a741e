//! The GitHub App in workerd, against the GitHub double: webhook signatures and the
//! installation's repository list, installation tokens minted once, and the session's pull
//! request (as the user, updated by a follow-up, the App's fallback, a 422 for an existing
//! PR, rate limits) kept current by pull request and check deliveries; a member's own GitHub
//! access decides what they may list and start sessions on. The sandbox is a test
//! bridge; the session branch is pushed to the double's git directory by hand.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use oi_github_double::webhook_signature;
use oi_protocol::bridge::{AgentEvent, BridgeCommand};
use oi_protocol::events::{Commit, EventBody, PromptOutcome, ToolCall, ToolStatus};
use oi_protocol::rest::{EventsPage, SandboxAttachment};
use oi_protocol::source_control::{BranchList, ChecksStatus, OpenedAs, PullRequest, PullRequestState, RepositoryList};
use oi_protocol::{ErrorBody, ErrorCode, SessionState, SessionSummary};
use oi_testkit::agent_events::finished;
use oi_testkit::github_app::{self, WEBHOOK_SECRET};
use oi_testkit::BridgeSocket;

const SECRETS_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const IDENTITY: [&str; 4] = ["-c", "user.name=Test", "-c", "user.email=test@example.com"];

/// `widgets.git` with one commit on `main`, and a working clone to push session branches from.
fn remote(dir: &Path) -> (PathBuf, PathBuf) {
    let work = dir.join("work");
    let bare = dir.join("widgets.git");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &[&IDENTITY[..], &["commit", "-q", "--allow-empty", "-m", "init"]].concat());
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);
    git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
    (bare, work)
}

/// What the sandbox would push: one commit on `oi/<session>`; answers its sha.
fn push_session_branch(work: &Path, session: &str, file: &str) -> String {
    git(work, &["checkout", "-q", "-B", &format!("oi/{session}"), "main"]);
    std::fs::write(work.join(file), "content\n").unwrap();
    git(work, &["add", "."]);
    git(work, &[&IDENTITY[..], &["commit", "-q", "-m", file]].concat());
    git(work, &["push", "-q", "-f", "origin", &format!("oi/{session}")]);
    git(work, &["rev-parse", "HEAD"])
}

struct AppStack {
    stack: GithubStack,
    work: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start() -> anyhow::Result<AppStack> {
    let dir = tempfile::tempdir()?;
    let (bare, work) = remote(dir.path());
    let mut vars = github_app::control_plane_vars("http://unused.invalid");
    vars.retain(|(k, _)| !k.starts_with("GITHUB_API_BASE") && !k.starts_with("GITHUB_WEB_BASE"));
    vars.push(("SECRETS_KEY".into(), SECRETS_KEY.into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // The App's own user tokens: they expire (8 h on GitHub, 2 s here) and come with refresh
    // tokens.
    let people = people().expiring_user_tokens(true).user_token_lifetime(Duration::from_secs(2));
    let stack = GithubStack::start_with(github_app::with_app(people, &bare), &vars).await?;
    github_app::connect(&stack.github, &stack.cp.base_url()).await?;
    Ok(AppStack { stack, work, _dir: dir })
}

async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response, want: u16) -> T {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, want, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn post_webhook(
    cp: &str,
    event: &str,
    delivery: &str,
    body: &str,
    signature: Option<String>,
) -> reqwest::Response {
    let mut request = http_client()
        .post(format!("{cp}/api/github/webhook"))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn webhooks_are_verified_and_keep_the_repository_list() -> anyhow::Result<()> {
    let app = start().await?;
    let (github, cp) = (&app.stack.github, app.stack.cp.base_url());
    let installed = github.deliveries()[0].clone();
    let body = installed.payload.to_string();

    // A forged or unsigned delivery is refused, naming why, and changes nothing.
    let wrong = webhook_signature("not the secret", body.as_bytes());
    let refused: ErrorBody = json(post_webhook(&cp, "installation", "d-1", &body, Some(wrong)).await, 401).await;
    assert_eq!(refused.error.code, ErrorCode::Unauthorized);
    assert!(refused.error.message.contains("does not match"), "{}", refused.error.message);
    let unsigned: ErrorBody = json(post_webhook(&cp, "installation", "d-2", &body, None).await, 401).await;
    assert!(unsigned.error.message.contains("no X-Hub-Signature-256"), "{}", unsigned.error.message);
    // A replayed delivery id is acknowledged and ignored; so is the same body under a new id
    // (it signs the same); a delivery without an id is refused.
    let signed = webhook_signature(WEBHOOK_SECRET, body.as_bytes());
    let replay: serde_json::Value =
        json(post_webhook(&cp, "installation", &installed.id, &body, Some(signed.clone())).await, 200).await;
    assert_eq!(replay["handled"], "replay");
    let renamed: serde_json::Value =
        json(post_webhook(&cp, "installation", "a-new-guid", &body, Some(signed.clone())).await, 200).await;
    assert_eq!(renamed["handled"], "replay", "the same signed body under a new delivery id");
    let anonymous: ErrorBody = json(post_webhook(&cp, "installation", "", &body, Some(signed)).await, 400).await;
    assert!(anonymous.error.message.contains("X-GitHub-Delivery"), "{}", anonymous.error.message);

    let mut ada = app.stack.sign_in("ada").await?;
    let repos: RepositoryList = json(ada.send("GET", "/api/repos", None, None).await, 200).await;
    assert!(repos.configured);
    let names: Vec<_> = repos.repositories.iter().map(|r| (r.full_name.as_str(), r.default_branch.as_str())).collect();
    assert_eq!(names, [("acme/widgets", "main")]);
    let _: RepositoryList = json(ada.send("GET", "/api/repos", None, None).await, 200).await;
    let branches: BranchList = json(ada.send("GET", "/api/repos/acme/widgets/branches", None, None).await, 200).await;
    assert_eq!(branches.default_branch, "main");
    assert_eq!(branches.branches.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["main"]);
    assert_eq!(github.access_tokens_minted(), 1, "the installation token is cached and reused");
    let missing: ErrorBody = json(ada.send("GET", "/api/repos/acme/gadgets/branches", None, None).await, 404).await;
    assert!(missing.error.message.contains("acme/gadgets"), "{}", missing.error.message);

    // Uninstalling empties the list.
    let mut deleted = github.deliveries()[0].payload.clone();
    deleted["action"] = "deleted".into();
    github.send_webhook("installation", deleted);
    github.wait_for_deliveries(2, Duration::from_secs(10)).await;
    let repos: RepositoryList = json(ada.send("GET", "/api/repos", None, None).await, 200).await;
    assert!(repos.repositories.is_empty(), "{repos:?}");
    Ok(())
}

/// A session on acme/widgets with a test bridge attached.
async fn session(browser: &mut Browser) -> anyhow::Result<(SessionSummary, BridgeSocket, String)> {
    let body = r#"{"repo": "acme/widgets", "branch": "main", "title": null}"#;
    let summary: SessionSummary = json(browser.send("POST", "/api/sessions", Some(body), None).await, 201).await;
    let attach: SandboxAttachment =
        json(browser.send("POST", &format!("/api/sessions/{}/sandbox/attach", summary.id), None, None).await, 201)
            .await;
    let ws = browser.base.replacen("http", "ws", 1);
    let bridge = BridgeSocket::connect_ready(&ws, &summary.id, &attach.sandbox_id, &attach.token).await?;
    Ok((summary, bridge, attach.token))
}

/// Sends a prompt as `browser`, takes it at the bridge, "pushes" its commit and finishes it.
/// Answers the command the bridge got.
async fn prompt_and_push(
    app: &AppStack,
    browser: &mut Browser,
    bridge: &mut BridgeSocket,
    session: &str,
    text: &str,
) -> anyhow::Result<BridgeCommand> {
    let body = serde_json::json!({ "text": text, "client_request_id": text }).to_string();
    let response = browser.send("POST", &format!("/api/sessions/{session}/prompts"), Some(&body), None).await;
    assert_eq!(response.status().as_u16(), 202);
    let command = loop {
        match bridge.recv().await? {
            command @ BridgeCommand::Prompt(_) => break command,
            _ => continue,
        }
    };
    let BridgeCommand::Prompt(prompt) = &command else { unreachable!() };
    let message_id = &prompt.message_id;
    // The agent ran the tests: evidence for the pull request.
    let tests = ToolCall {
        message_id: message_id.clone(),
        part_id: format!("prt_{}", text.len()),
        tool: "bash".into(),
        status: ToolStatus::Completed,
        input: serde_json::json!({"command": "cargo test --quiet"}),
        output: Some(format!("running 3 tests\ntest result: ok. 3 passed ({text})")),
        error: None,
        title: None,
        started_at: None,
        ended_at: None,
        started_seq: None,
    };
    bridge.emit(AgentEvent::ToolCall(tests)).await?;
    let sha = push_session_branch(&app.work, session, &format!("{}.txt", text.replace(' ', "-")));
    bridge
        .emit(AgentEvent::Commit(Commit {
            message_id: message_id.clone(),
            branch: format!("oi/{session}"),
            sha: Some(sha),
            author: None,
            files_changed: 1,
            insertions: 1,
            deletions: 0,
            files: vec![],
            pushed: true,
            error: None,
        }))
        .await?;
    bridge.emit(finished(message_id, PromptOutcome::Completed)).await?;
    bridge.wait_acked().await?;
    Ok(command)
}

async fn state(browser: &mut Browser, session: &str) -> SessionState {
    json(browser.send("GET", &format!("/api/sessions/{session}"), None, None).await, 200).await
}

async fn wait_pr(browser: &mut Browser, session: &str, done: impl Fn(&PullRequest) -> bool) -> PullRequest {
    for _ in 0..100 {
        if let Some(pr) = state(browser, session).await.pull_request.filter(|p| done(p)) {
            return pr;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the pull request never reached the expected state: {:?}", state(browser, session).await.pull_request);
}

#[tokio::test]
async fn the_prompters_pr_is_updated_by_a_follow_up_and_follows_webhooks() -> anyhow::Result<()> {
    let app = start().await?;
    let github = &app.stack.github;
    let mut ada = app.stack.sign_in("ada").await?;
    let mut grace = app.stack.sign_in("grace").await?;
    let (summary, mut bridge, _) = session(&mut ada).await?;
    let id = summary.id.clone();

    // Grace prompts first, then Ada: each commit is by its prompter, the other a co-author.
    let first = prompt_and_push(&app, &mut grace, &mut bridge, &id, "Add a README for @octocat").await?;
    let BridgeCommand::Prompt(first) = first else { panic!("not a prompt") };
    let first = first.attribution.expect("attribution");
    assert_eq!(first.author.email, "2+grace@users.noreply.github.com");
    assert!(first.trailers.is_empty());
    let second = prompt_and_push(&app, &mut ada, &mut bridge, &id, "Now add a test").await?;
    let BridgeCommand::Prompt(second) = second else { panic!("not a prompt") };
    let second = second.attribution.expect("attribution");
    assert_eq!(
        (second.author.name.as_str(), second.author.email.as_str()),
        ("Ada Lovelace", "1+ada@users.noreply.github.com")
    );
    assert_eq!(second.trailers, ["Co-authored-by: Grace Hopper <2+grace@users.noreply.github.com>"]);

    let path = format!("/api/sessions/{id}/pull-request");
    let none: ErrorBody = json(ada.send("GET", &path, None, None).await, 404).await;
    assert_eq!(none.error.code, ErrorCode::NotFound);
    let opened: PullRequest = json(ada.send("POST", &path, Some("{}"), None).await, 201).await;
    assert_eq!((opened.opened_as, opened.state), (OpenedAs::User, PullRequestState::Open));
    assert_eq!((opened.head.as_str(), opened.base.as_str()), (format!("oi/{id}").as_str(), "main"));
    let pulls = github.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1);
    let pr = &pulls[0];
    assert_eq!((pr.author_login.as_str(), pr.by_app), ("ada", false), "opened with Ada's own token");
    assert_eq!((pr.head.as_str(), pr.base.as_str()), (opened.head.as_str(), "main"));
    assert_eq!(pr.title, "Add a README for @octocat");
    let body = pr.body.clone().unwrap_or_default();
    assert!(body.contains("> Add a README for @\u{2060}octocat"), "{body}");
    assert!(body.contains("From **ada**") && body.contains("From **grace**"), "{body}");
    assert!(body.contains(&format!("/sessions/{id})")), "{body}");
    assert!(!body.contains("on behalf of"), "{body}");
    // The checks the agent ran are the verification evidence (a list item: indented lines).
    assert!(
        body.contains(
            "- `cargo test --quiet` ran:\n  ```\n  running 3 tests\n  test result: ok. 3 passed (Now add a test)"
        ),
        "{body}"
    );

    // Asking again (a follow-up) updates the same PR; by now Ada's token has expired and is
    // renewed with her refresh token, so it is still hers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again: PullRequest =
        json(ada.send("POST", &path, Some(r#"{"title": "README and a test"}"#), None).await, 200).await;
    assert_eq!(again.number, opened.number);
    assert_eq!(again.opened_as, OpenedAs::User, "renewed, not the App");
    let refreshed = github
        .requests_to("/login/oauth/access_token")
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("\"grant_type\":\"refresh_token\""))
        .count();
    assert!(refreshed >= 1, "the expired token was renewed");
    assert_eq!(github.pulls("acme/widgets").len(), 1);
    assert_eq!(github.pulls("acme/widgets")[0].title, "README and a test");

    // A follow-up prompt's commits go to the same branch, and the PR's body gains the prompt.
    prompt_and_push(&app, &mut grace, &mut bridge, &id, "And document it").await?;
    let followed = wait_pr(&mut ada, &id, |p| p.head_sha != again.head_sha).await;
    assert_eq!(followed.number, opened.number);
    let pulls = github.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1);
    assert!(pulls[0].body.as_deref().unwrap_or_default().contains("> And document it"), "{:?}", pulls[0].body);
    assert_eq!(pulls[0].title, "README and a test", "the title stays");
    // Update PR without a title keeps the one it has.
    let kept: PullRequest = json(ada.send("POST", &path, None, None).await, 200).await;
    assert_eq!((kept.number, kept.title.as_str()), (opened.number, "README and a test"));
    let again = followed;

    // CI and the merge arrive as webhooks.
    let head = again.head_sha.clone().expect("a head sha");
    github.set_check_run("acme/widgets", &head, "ci", "completed", Some("success"));
    let checked = wait_pr(&mut ada, &id, |p| p.checks == ChecksStatus::Passed).await;
    assert_eq!(checked.state, PullRequestState::Open);
    github.merge_pull("acme/widgets", opened.number);
    wait_pr(&mut ada, &id, |p| p.state == PullRequestState::Merged).await;
    let events: EventsPage =
        json(ada.send("GET", &format!("/api/sessions/{id}/events?limit=1000"), None, None).await, 200).await;
    let states: Vec<_> = events
        .events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::PullRequest(p) => Some((p.state, p.checks)),
            _ => None,
        })
        .collect();
    assert_eq!(states.first(), Some(&(PullRequestState::Open, ChecksStatus::None)));
    assert_eq!(states.last(), Some(&(PullRequestState::Merged, ChecksStatus::Passed)));
    Ok(())
}

#[tokio::test]
async fn the_app_opens_it_when_the_user_has_no_token_and_an_existing_pr_is_found() -> anyhow::Result<()> {
    let app = start().await?;
    let github = &app.stack.github;
    let mut grace = app.stack.sign_in("grace").await?;
    let (summary, mut bridge, _) = session(&mut grace).await?;
    let path = format!("/api/sessions/{}/pull-request", summary.id);

    // Nothing pushed yet: nothing to open.
    let early: ErrorBody = json(grace.send("POST", &path, None, None).await, 409).await;
    assert!(early.error.message.contains("nothing has been pushed"), "{}", early.error.message);
    prompt_and_push(&app, &mut grace, &mut bridge, &summary.id, "Fix the build").await?;

    // Grace revoked the App's authorization: the App opens it, on her behalf.
    assert!(github.revoke_user_tokens("grace") > 0);
    let opened: PullRequest = json(grace.send("POST", &path, None, None).await, 201).await;
    assert_eq!(opened.opened_as, OpenedAs::App);
    let pr = github.pulls("acme/widgets").pop().unwrap();
    assert!(pr.by_app);
    assert!(pr.body.unwrap_or_default().starts_with("Opened by Open Inspect on behalf of @grace."));

    // A second session whose branch already has a PR someone opened by hand: found, updated.
    let mut ada = app.stack.sign_in("ada").await?;
    let (other, mut bridge, _) = session(&mut ada).await?;
    prompt_and_push(&app, &mut ada, &mut bridge, &other.id, "Tidy up").await?;
    let token = github.issue_token("ada", "repo");
    let by_hand: serde_json::Value = http_client()
        .post(format!("{}/repos/acme/widgets/pulls", github.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "By hand", "head": format!("oi/{}", other.id), "base": "main"}))
        .send()
        .await?
        .json()
        .await?;
    let other_path = format!("/api/sessions/{}/pull-request", other.id);
    let found: PullRequest = json(ada.send("POST", &other_path, None, None).await, 200).await;
    assert_eq!(found.number, by_hand["number"].as_u64().unwrap());
    assert_eq!(github.pulls("acme/widgets").len(), 2);

    // GitHub's rate limit is 429 with GitHub's reason; nothing changes.
    github.set_rate_limited(true);
    let limited: ErrorBody = json(ada.send("POST", &other_path, None, None).await, 429).await;
    assert!(limited.error.message.contains("rate limit"), "{}", limited.error.message);
    github.set_rate_limited(false);

    // A repository that is not on GitHub: its branch, no PR.
    let body = r#"{"repo": "https://git.example.com/team/app.git", "branch": "main"}"#;
    let plain: SessionSummary = json(ada.send("POST", "/api/sessions", Some(body), None).await, 201).await;
    let refused: ErrorBody =
        json(ada.send("POST", &format!("/api/sessions/{}/pull-request", plain.id), None, None).await, 409).await;
    assert!(refused.error.message.contains("not a GitHub repository"), "{}", refused.error.message);
    Ok(())
}

#[tokio::test]
async fn members_list_and_start_sessions_only_where_their_own_github_access_allows() -> anyhow::Result<()> {
    let app = start().await?;
    let github = &app.stack.github;
    let picker = |repos: RepositoryList| repos.repositories.into_iter().map(|r| r.full_name).collect::<Vec<_>>();
    let create = r#"{"repo": "acme/widgets", "branch": "main"}"#;

    // Linus may only read acme/widgets on GitHub: he sees it and its branches, and cannot
    // start a session on it (the App could push there; he could not).
    github.set_user_access("acme/widgets", "linus", "read")?;
    let mut linus = app.stack.sign_in("linus").await?;
    let listed: RepositoryList = json(linus.send("GET", "/api/repos", None, None).await, 200).await;
    assert_eq!(picker(listed), ["acme/widgets"]);
    let _: BranchList = json(linus.send("GET", "/api/repos/acme/widgets/branches", None, None).await, 200).await;
    let refused: ErrorBody = json(linus.send("POST", "/api/sessions", Some(create), None).await, 403).await;
    assert_eq!(refused.error.code, ErrorCode::Forbidden);
    assert_eq!(refused.error.message, "you have read access to acme/widgets on GitHub; this needs write");
    let mine: serde_json::Value = json(linus.send("GET", "/api/sessions?mine=true", None, None).await, 200).await;
    assert_eq!(mine["sessions"], serde_json::json!([]), "a refused session leaves no row");

    // Without access he does not see it at all.
    github.set_user_access("acme/widgets", "linus", "none")?;
    let listed: RepositoryList = json(linus.send("GET", "/api/repos", None, None).await, 200).await;
    assert!(listed.configured && listed.repositories.is_empty(), "{listed:?}");
    let _: ErrorBody = json(linus.send("GET", "/api/repos/acme/widgets/branches", None, None).await, 403).await;
    let refused: ErrorBody = json(linus.send("POST", "/api/sessions", Some(create), None).await, 403).await;
    assert!(refused.error.message.contains("no access"), "{}", refused.error.message);

    // Grace may write: she starts one. Demoted to read on GitHub, she can no longer attach a
    // sandbox to it (which hands out the session's credentials).
    let mut grace = app.stack.sign_in("grace").await?;
    let summary: SessionSummary = json(grace.send("POST", "/api/sessions", Some(create), None).await, 201).await;
    github.set_user_access("acme/widgets", "grace", "read")?;
    let attach = format!("/api/sessions/{}/sandbox/attach", summary.id);
    let refused: ErrorBody = json(grace.send("POST", &attach, None, None).await, 403).await;
    assert!(refused.error.message.contains("needs write"), "{}", refused.error.message);
    github.set_user_access("acme/widgets", "grace", "admin")?;
    let _: SandboxAttachment = json(grace.send("POST", &attach, None, None).await, 201).await;

    // Ada's own token is revoked: her access cannot be checked, so she is asked to sign in again.
    let mut ada = app.stack.sign_in("ada").await?;
    assert!(github.revoke_user_tokens("ada") > 0);
    let refused: ErrorBody = json(ada.send("POST", "/api/sessions", Some(create), None).await, 401).await;
    assert!(refused.error.message.starts_with("sign in with GitHub again"), "{}", refused.error.message);
    let _: ErrorBody = json(ada.send("GET", "/api/repos", None, None).await, 401).await;
    // A repository the App is not installed on gets no credential from us: not checked.
    let elsewhere = r#"{"repo": "https://git.example.com/team/app.git", "branch": "main"}"#;
    let _: SessionSummary = json(ada.send("POST", "/api/sessions", Some(elsewhere), None).await, 201).await;
    Ok(())
}
