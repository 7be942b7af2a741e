//! The GitHub review bot's deliveries against the built Worker in workerd, with the GitHub
//! double: its settings refused when they do not read (and nothing saved); off, a mention
//! starts nothing; on, a mention by someone who may only read is answered with why, and starts
//! nothing; a malformed delivery is a 400 that changes nothing; a redelivery is a replay.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use oi_github_double::{webhook_signature, OpenPull};
use oi_protocol::rest::SessionList;
use oi_protocol::{ErrorBody, ErrorCode};
use oi_testkit::github_app::{self, WEBHOOK_SECRET};
use serde_json::{json, Value};

const SECRETS_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const REPO: &str = "acme/widgets";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `widgets.git` with `main` and a `fix` branch one commit ahead.
fn remote(dir: &Path) -> std::path::PathBuf {
    let work = dir.join("work");
    let bare = dir.join("widgets.git");
    std::fs::create_dir_all(&work).unwrap();
    let id = ["-c", "user.name=Test", "-c", "user.email=test@example.com"];
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("a.txt"), "one\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &[&id[..], &["commit", "-q", "-m", "init"]].concat());
    git(&work, &["checkout", "-q", "-b", "fix"]);
    std::fs::write(work.join("a.txt"), "one\ntwo\n").unwrap();
    git(&work, &[&id[..], &["commit", "-q", "-am", "two"]].concat());
    git(dir, &["clone", "-q", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);
    bare
}

async fn answer(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn sessions(browser: &mut Browser) -> usize {
    let (status, body) = answer(browser.send("GET", "/api/sessions?origin=github", None, None).await).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<SessionList>(&body).unwrap().sessions.len()
}

/// The `handled` the control plane answered the newest delivery of `event` sent by `sender`
/// with, once there are `attempts` of them.
async fn handled(stack: &GithubStack, event: &str, sender: &str, attempts: usize) -> String {
    let started = Instant::now();
    loop {
        let mine: Vec<_> = stack
            .github
            .deliveries()
            .into_iter()
            .filter(|d| d.event == event && d.payload["sender"]["login"] == sender)
            .collect();
        if mine.len() >= attempts && mine.last().is_some_and(|d| d.finished) {
            let last = mine.last().unwrap();
            assert_eq!(last.status, Some(200), "{last:?}");
            return last.response_body.clone().unwrap_or_default();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no {event} delivery finished: {mine:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn review_bot_deliveries_start_only_what_they_may() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let bare = remote(dir.path());
    let mut vars = github_app::control_plane_vars("http://unused.invalid");
    vars.retain(|(k, _)| !k.starts_with("GITHUB_API_BASE") && !k.starts_with("GITHUB_WEB_BASE"));
    vars.push(("SECRETS_KEY".into(), SECRETS_KEY.into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let stack = GithubStack::start_with(github_app::with_app(people(), &bare), &vars).await?;
    github_app::connect(&stack.github, &stack.cp.base_url()).await?;
    let mut ada = stack.sign_in("ada").await?;
    stack.github.set_user_access(REPO, "grace", "write")?;
    stack.github.set_user_access(REPO, "linus", "read")?;

    // Settings that do not read are refused, naming the field; nothing is saved.
    let bad = json!({"enabled": true, "config": {"repos": ["not a repo"]}}).to_string();
    let (status, body) = answer(ada.send("PUT", "/api/integrations/github", Some(&bad), None).await).await;
    assert_eq!(status, 400, "{body}");
    let refused: ErrorBody = serde_json::from_str(&body)?;
    assert_eq!(refused.error.code, ErrorCode::InvalidRequest);
    assert!(refused.error.message.contains("repos[0]"), "{}", refused.error.message);

    // Off: a pull request and a mention start nothing.
    let number = stack.github.open_pull(REPO, OpenPull::new("fix", "main").title("Two").author("grace"));
    let said = handled(&stack, "pull_request", "grace", 1).await;
    assert!(said.contains("review_ignored: the GitHub integration is off"), "{said}");
    stack.github.comment_on_issue(REPO, number, "linus", "@open-inspect delete everything");
    let said = handled(&stack, "issue_comment", "linus", 1).await;
    assert!(said.contains("integration is off"), "{said}");

    // On: someone who may only read is told so where they asked, and nothing starts.
    let on = json!({"enabled": true, "config": {"repos": [REPO]}}).to_string();
    let (status, body) = answer(ada.send("PUT", "/api/integrations/github", Some(&on), None).await).await;
    assert_eq!(status, 200, "{body}");
    stack.github.comment_on_issue(REPO, number, "linus", "@open-inspect delete everything");
    let said = handled(&stack, "issue_comment", "linus", 2).await;
    assert!(said.contains("review_queued"), "{said}");
    let started = Instant::now();
    let refusal = loop {
        let comments = stack.github.issue_comments(REPO, number);
        if let Some(c) = comments.iter().find(|c| c.author.by_app) {
            break c.body.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no answer: {comments:?}\n{}", stack.cp.log_tail(40));
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(refusal.contains("@linus has read permission"), "{refusal}");
    assert_eq!(sessions(&mut ada).await, 0, "nothing started");

    // A delivery GitHub would never send: 400, naming what is missing; nothing changes.
    let mut broken: Value =
        stack.github.deliveries().iter().rev().find(|d| d.event == "issue_comment").unwrap().payload.clone();
    broken.as_object_mut().unwrap().remove("comment");
    let body = broken.to_string();
    let response = http_client()
        .post(format!("{}/api/github/webhook", stack.cp.base_url()))
        .header("content-type", "application/json")
        .header("x-github-event", "issue_comment")
        .header("x-github-delivery", "d-broken")
        .header("x-hub-signature-256", webhook_signature(WEBHOOK_SECRET, body.as_bytes()))
        .body(body)
        .send()
        .await?;
    let (status, body) = answer(response).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no `comment`"), "{body}");

    // GitHub's Redeliver of the mention: a replay, answered once.
    let deliveries = stack.github.deliveries();
    let mention = deliveries.iter().rev().find(|d| d.payload["sender"]["login"] == "linus").unwrap();
    stack.github.redeliver(&mention.id);
    let said = handled(&stack, "issue_comment", "linus", 3).await;
    assert!(said.contains("replay"), "{said}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answers = stack.github.issue_comments(REPO, number).iter().filter(|c| c.author.by_app).count();
    assert_eq!(answers, 1, "the refusal was not posted again");
    Ok(())
}
