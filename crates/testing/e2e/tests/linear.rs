//! Linear through the whole local stack, with the Linear double for Linear: an admin installs
//! the app (OAuth, `actor=app`); delegating an issue starts a session on the team's repository
//! that pushes a branch, and Linear shows a thought within its deadline, the plan, the link,
//! the agent's steps, the issue moved to started, and the response; a follow-up prompt
//! continues the same session; an issue matching no rule gets an elicitation and starts after
//! the answer; stop stops; on a repository behind GitHub, the agent's pull request is opened on
//! the GitHub double, linked in the response and attached to the issue.

mod common;

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use common::*;
use oi_github_double::{DoubleConfig, GithubDouble};
use oi_linear_double::{
    IssueConfig, LinearConfig, LinearDouble, Prompt, SessionCreated, TeamConfig, UserConfig, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
};
use oi_scripted_model::Turn;
use oi_testkit::{github_app, BareRepo, Stack};
use serde_json::json;

const SECRET: &str = "lin-wh-secret-e2e";

/// A stack with Linear installed and on; `config` is the integration's settings; `extra`
/// more control-plane variables (a GitHub App's).
async fn linear_stack_with(
    linear: &LinearDouble,
    config: serde_json::Value,
    extra: Vec<(String, String)>,
) -> Result<Stack> {
    let url = linear.url();
    let mut all: Vec<(String, String)> = [
        ("LINEAR_API_BASE", url.as_str()),
        ("LINEAR_OAUTH_BASE", url.as_str()),
        ("LINEAR_CLIENT_ID", DEFAULT_CLIENT_ID),
        ("LINEAR_CLIENT_SECRET", DEFAULT_CLIENT_SECRET),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    all.extend(extra);
    let stack = Stack::start_with(oi_testkit::StackOptions { vars: all }).await?;
    let api = stack.cp.api();
    linear.add_redirect_uri(format!("{}/api/integrations/linear/callback", stack.cp.base_url()));
    let settings = json!({"enabled": true, "secrets": {"webhook_secret": SECRET}, "config": config});
    let on = api.raw("PUT", "/api/integrations/linear", Some(&settings.to_string())).await?;
    ensure!(on.status == 200, "turning Linear on: {} {}", on.status, on.body);
    // The admin installs the app: to Linear's consent page and back with a code.
    let install = api.hop("/api/integrations/linear/install", None).await?;
    ensure!(install.status == 302, "install: {install:?}");
    let consent = install.location.clone().unwrap_or_default();
    ensure!(consent.contains("actor=app") && consent.starts_with(&url), "{consent}");
    let approved = api.anonymous().hop(&consent, None).await?;
    let callback = approved.location.clone().unwrap_or_default();
    let back = api.hop(&callback, install.cookies.first().map(String::as_str)).await?;
    ensure!(back.status == 302, "callback: {back:?}");
    linear.set_webhook_url(format!("{}/api/integrations/linear/webhook", stack.cp.base_url()));
    linear.set_webhook_secret(SECRET);
    Ok(stack)
}

async fn linear_stack(linear: &LinearDouble, config: serde_json::Value) -> Result<Stack> {
    linear_stack_with(linear, config, vec![]).await
}

fn double(issue: IssueConfig) -> LinearConfig {
    LinearConfig::new()
        .user(UserConfig::new("user-ada", "Ada Lovelace", "local@open-inspect.invalid"))
        .team(TeamConfig::new("ENG", "Engineering"))
        .issue(issue)
}

/// Waits until `probe` finds something; on timeout, says what the stack and Linear saw.
async fn wait_for<T>(
    what: &str,
    (stack, linear, session): (&Stack, &LinearDouble, &str),
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T> {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return Ok(found);
        }
        if started.elapsed() > Duration::from_secs(150) {
            bail!(
                "{what} never happened\nactivities: {:#?}\nviolations: {:#?}\n{}",
                linear.activities(session),
                linear.violations(),
                diagnostics(stack)
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn said(linear: &LinearDouble, session: &str, kind: &str, needle: &str) -> bool {
    linear.activities(session).iter().any(|a| a.kind() == kind && a.body().is_some_and(|b| b.contains(needle)))
}

#[tokio::test]
async fn a_delegated_issue_becomes_a_session_linear_follows() -> Result<()> {
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let path = repo.path().display().to_string();
    let linear = LinearDouble::start(double(
        IssueConfig::new("ENG-1", "Fix the login redirect").description("After login we land on /404.").state("Todo"),
    ))
    .await?;
    let stack = linear_stack(&linear, json!({"repos": [path], "team_repos": {"ENG": path}})).await?;
    stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "login.txt", "content": "fixed\n"})),
        Turn::text("Fixed the login redirect."),
    ]);
    let (session, delivery) = linear.send_session_created(&SessionCreated::delegated("ENG-1", "user-ada")).await?;
    assert!(delivery.accepted_in_time(), "Linear's 5 s: {delivery:?}");
    // A thought first, then the work; the answer as a response with the session's link.
    let first = linear.wait_for_activities(&session, 1, Duration::from_secs(10)).await?;
    assert_eq!(first[0].kind(), "thought", "{first:?}");
    wait_for("the response", (&stack, &linear, &session), || {
        said(&linear, &session, "response", "Fixed the login redirect").then_some(())
    })
    .await?;
    let response = linear.activities(&session).into_iter().find(|a| a.kind() == "response").unwrap();
    assert!(response.body().unwrap_or_default().contains("/sessions/ses_l"), "{response:?}");
    wait_for("an action", (&stack, &linear, &session), || {
        linear.activities(&session).iter().any(|a| a.kind() == "action").then_some(())
    })
    .await?;
    let ours = linear.session(&session).expect("the agent session");
    assert!(ours.external_urls.iter().any(|u| u.url.contains("/sessions/ses_l")), "{ours:?}");
    assert!(ours.plan.is_some(), "{ours:?}");
    assert_eq!(linear.issue_state_name("ENG-1").as_deref(), Some("In Progress"), "moved to started");
    let branch = repo.branches()?.into_iter().find(|b| b.starts_with("oi/ses_l")).expect("a session branch");
    assert_eq!(repo.show(&branch, "login.txt")?, "fixed\n");

    // A follow-up in the same agent session: the same session continues.
    stack.model.push_all([Turn::text("Also added a regression note.")]);
    linear.send_prompt(&session, &Prompt::new("user-ada", "please also add a note")).await?;
    wait_for("the second response", (&stack, &linear, &session), || {
        said(&linear, &session, "response", "regression note").then_some(())
    })
    .await?;
    let sessions = stack.cp.api().list_sessions("?origin=linear").await?.sessions;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    linear.assert_no_violations();
    Ok(())
}

#[tokio::test]
async fn an_issue_matching_no_rule_asks_which_repository_and_stop_stops() -> Result<()> {
    let first = BareRepo::with_files(&[("README.md", "# one\n")])?;
    let second = BareRepo::with_files(&[("README.md", "# two\n")])?;
    let repos = [first.path().display().to_string(), second.path().display().to_string()];
    let linear = LinearDouble::start(double(IssueConfig::new("ENG-2", "Tidy up"))).await?;
    let stack = linear_stack(&linear, json!({"repos": repos})).await?;
    let (session, _) = linear.send_session_created(&SessionCreated::delegated("ENG-2", "user-ada")).await?;
    wait_for("the elicitation", (&stack, &linear, &session), || {
        linear.activities(&session).into_iter().find(|a| a.kind() == "elicitation").map(|_| ())
    })
    .await?;
    // The answer picks the second; a long command keeps the prompt running until stopped.
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "sleep 600", "description": "wait"})),
        Turn::text("unreachable"),
    ]);
    linear.send_prompt(&session, &Prompt::new("user-ada", "2")).await?;
    wait_for("the work", (&stack, &linear, &session), || {
        stack.model.requests().iter().any(|r| r.body.to_string().contains("Tidy up")).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    linear.send_prompt(&session, &Prompt::new("user-ada", "Stop, please").stop()).await?;
    wait_for("the stop", (&stack, &linear, &session), || said(&linear, &session, "error", "stopped").then_some(()))
        .await?;
    let listed = stack.cp.api().list_sessions("?origin=linear").await?.sessions;
    assert_eq!(listed[0].repo, repos[1], "{listed:?}");
    linear.assert_no_violations();
    Ok(())
}

#[tokio::test]
async fn the_agents_pull_request_is_linked_in_linear_and_attached_to_the_issue() -> Result<()> {
    let repo = BareRepo::with_files(&[("README.md", "# widgets\n")])?;
    let github =
        GithubDouble::start(github_app::with_app(DoubleConfig::new("Iv1.e2e", "unused"), &repo.path())).await?;
    let linear = LinearDouble::start(double(IssueConfig::new("ENG-3", "Document the widgets"))).await?;
    let config = json!({"repos": [github_app::REPO], "team_repos": {"ENG": github_app::REPO}});
    let stack = linear_stack_with(&linear, config, github_app::control_plane_vars(&github.url)).await?;
    github_app::connect(&github, &stack.cp.base_url()).await?;
    stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "docs.txt", "content": "widgets\n"})),
        Turn::tool_call("openinspect_create_pull_request", json!({"summary": "Documents the widgets."})),
        Turn::text("Documented the widgets."),
    ]);
    let (session, _) = linear.send_session_created(&SessionCreated::delegated("ENG-3", "user-ada")).await?;
    wait_for("the response", (&stack, &linear, &session), || {
        said(&linear, &session, "response", "Documented the widgets").then_some(())
    })
    .await?;
    let pulls = github.pulls(github_app::REPO);
    assert_eq!(pulls.len(), 1, "the agent's pull request, on GitHub");
    let number = format!("/pull/{}", pulls[0].number);
    assert!(said(&linear, &session, "response", &number), "the response links it: {:#?}", linear.activities(&session));
    wait_for("the issue's comment", (&stack, &linear, &session), || {
        linear.comments("ENG-3").iter().any(|c| c.body.contains(&number)).then_some(())
    })
    .await?;
    linear.assert_no_violations();
    Ok(())
}
