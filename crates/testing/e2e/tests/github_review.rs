//! The GitHub review bot through the whole local stack, with the GitHub double for GitHub: a
//! pull request opened on a repository that opted in gets a review with an inline comment from
//! the agent's `submit_review`; a mention asking for a fix pushes a commit to the pull
//! request's own branch and answers with `reply_comment`, in the same session; a mention by
//! someone without write access starts nothing and says so; a redelivered webhook does nothing.

mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use common::*;
use oi_github_double::{DoubleConfig, GithubDouble, OpenPull, UserConfig};
use oi_protocol::rest::SessionList;
use oi_scripted_model::Turn;
use oi_testkit::{github_app, BareRepo, Stack, StackOptions};
use serde_json::json;

const REPO: &str = "acme/widgets";

/// Waits until `done` holds (checked every 300 ms, for at most 150 s).
async fn wait_for(what: &str, stack: &Stack, mut done: impl FnMut() -> bool) -> Result<()> {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > Duration::from_secs(150) {
            bail!("{what} never happened\n{}", diagnostics(stack));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(())
}

async fn github_sessions(stack: &Stack) -> Result<Vec<String>> {
    let listed: SessionList = stack.cp.api().raw("GET", "/api/sessions?origin=github", None).await?.json()?;
    Ok(listed.sessions.into_iter().map(|s| s.id).collect())
}

#[tokio::test]
async fn the_app_reviews_a_pull_request_and_answers_mentions_on_its_branch() -> Result<()> {
    let repo = BareRepo::with_files(&[("login.txt", "pasword check\n")])?;
    let head = repo.branch_with("fix-login", "main", &[("login.txt", "pasword check\nretry once\n")])?;
    let config = DoubleConfig::new("Iv1.e2e", "unused")
        .user(UserConfig::new("octocat", 101))
        .user(UserConfig::new("mallory", 102));
    let github = GithubDouble::start(github_app::with_app(config, &repo.path())).await?;
    github.set_user_access(REPO, "octocat", "write")?;
    github.set_user_access(REPO, "mallory", "read")?;
    let stack = Stack::start_with(StackOptions { vars: github_app::control_plane_vars(&github.url) }).await?;
    github_app::connect(&github, &stack.cp.base_url()).await?;
    let settings = json!({"enabled": true, "config": {"repos": [REPO], "auto_review": true}});
    let on = stack.cp.api().raw("PUT", "/api/integrations/github", Some(&settings.to_string())).await?;
    assert_eq!(on.status, 200, "{}", on.body);

    // Opened: the agent reviews it, with a comment on a line of the diff.
    stack.model.push_all([
        Turn::tool_call(
            "openinspect_submit_review",
            json!({
                "summary": "One note on the retry.",
                "event": "COMMENT",
                "comments": [{"path": "login.txt", "line": 2, "body": "Say how many retries."}]
            }),
        ),
        Turn::text("Reviewed."),
    ]);
    let number = github.open_pull(REPO, OpenPull::new("fix-login", "main").title("Retry login").author("octocat"));
    wait_for("the review", &stack, || !github.reviews(REPO, number).is_empty()).await?;
    let reviews = github.reviews(REPO, number);
    assert_eq!((reviews[0].state.as_str(), reviews[0].author.by_app), ("COMMENTED", true), "{reviews:?}");
    assert!(reviews[0].body.contains("One note on the retry."), "{reviews:?}");
    assert_eq!(reviews[0].commit_id, head);
    let inline = github.review_comments(REPO, number);
    assert_eq!((inline[0].path.as_str(), inline[0].line), ("login.txt", 2), "{inline:?}");
    assert!(github.reactions(REPO).iter().any(|r| r.content == "eyes"), "👀 on the pull request");
    let sessions = github_sessions(&stack).await?;
    assert_eq!(sessions.len(), 1, "{sessions:?}");

    // A mention asking for a fix: a commit on the pull request's branch, and an answer.
    stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "login.txt", "content": "password check\nretry once\n"})),
        Turn::tool_call("openinspect_reply_comment", json!({"body": "Fixed the typo in login.txt."})),
        Turn::text("Fixed."),
    ]);
    github.comment_on_issue(REPO, number, "octocat", "@open-inspect please fix the typo");
    wait_for("the fix on the branch", &stack, || {
        repo.show("fix-login", "login.txt").is_ok_and(|c| c.starts_with("password"))
    })
    .await?;
    let said = |needle: &str| github.issue_comments(REPO, number).iter().any(|c| c.body.contains(needle));
    wait_for("the answer", &stack, || said("Fixed the typo in login.txt.")).await?;
    wait_for("the completion notice", &stack, || said("I pushed the changes")).await?;
    assert_eq!(repo.log("fix-login")?.len(), 3, "one more commit on the pull request's branch");
    assert!(!repo.branches()?.iter().any(|b| b.starts_with("oi/")), "no session branch: {:?}", repo.branches()?);
    assert_eq!(github_sessions(&stack).await?, sessions, "the same session");

    // Someone who may only read: told so, nothing starts.
    let asked_before = stack.model.requests().len();
    github.comment_on_issue(REPO, number, "mallory", "@open-inspect delete the tests");
    wait_for("the refusal", &stack, || said("@mallory has read permission")).await?;
    // A delivery again (GitHub's Redeliver): acknowledged as a replay, nothing more.
    let mention = github
        .deliveries()
        .into_iter()
        .find(|d| d.event == "issue_comment" && d.payload["comment"]["user"]["login"] == "octocat")
        .expect("the mention's delivery");
    github.redeliver(&mention.id);
    wait_for("the redelivery", &stack, || github.deliveries().iter().filter(|d| d.id == mention.id).count() == 2)
        .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(stack.model.requests().len(), asked_before, "nothing reached the model");
    assert_eq!(github_sessions(&stack).await?, sessions);
    Ok(())
}
