//! A session on a GitHub repository, end to end: the GitHub double hosts `acme/widgets` (git
//! over smart HTTP with installation tokens) behind the GitHub App; the sandbox clones and
//! pushes through the control plane's git endpoint, which adds the App's installation token.
//! Two people prompt; then Create PR. The double receives the pull request, the session branch
//! exists on the remote behind it, and its commits are by their prompters, each with the other
//! as a co-author. Local people have no GitHub token, so the App opens the PR on their behalf.
//! A follow-up prompt's agent calls its own `create_pull_request` tool: its work is pushed
//! first, and the same PR gets the agent's summary.

mod common;

use common::*;
use oi_github_double::{DoubleConfig, GithubDouble};
use oi_protocol::events::PromptOutcome;
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::source_control::{OpenedAs, PullRequest, PullRequestState};
use oi_scripted_model::Turn;
use oi_testkit::{github_app, Api, BareRepo, ClientSocket, Stack, StackOptions};
use serde_json::json;

#[tokio::test]
async fn two_prompters_then_create_pr_on_github() -> anyhow::Result<()> {
    let repo = BareRepo::with_files(&[("README.md", "# widgets\n")])?;
    let github =
        GithubDouble::start(github_app::with_app(DoubleConfig::new("Iv1.e2e", "unused"), &repo.path())).await?;
    let stack = Stack::start_with(StackOptions { vars: github_app::control_plane_vars(&github.url) }).await?;
    github_app::connect(&github, &stack.cp.base_url()).await?;

    let ada = stack.cp.api().as_local_user("Ada");
    let grace = stack.cp.api().as_local_user("Grace");
    let request =
        CreateSessionRequest { repo: "acme/widgets".into(), branch: Some("main".into()), ..Default::default() };
    let session = ada.create_session(&request).await?;
    let (mut client, _) = ClientSocket::join(&stack.cp.client_endpoint(), &session.id, None).await?;

    let first = ada.prompt(&session.id, &Api::prompt_request("Create hello.txt")).await?.message_id;
    assert_eq!(wait_finished(&stack, &mut client, &first).await?.outcome, PromptOutcome::Completed);
    let second = grace.prompt(&session.id, &Api::prompt_request("Create second.txt")).await?.message_id;
    assert_eq!(wait_finished(&stack, &mut client, &second).await?.outcome, PromptOutcome::Completed);

    // The session branch is on the remote behind GitHub, by way of the installation token.
    let branch = format!("oi/{}", session.id);
    assert!(repo.branches()?.contains(&branch), "{:?}\n{}", repo.branches()?, diagnostics(&stack));
    let log = repo.log(&branch)?;
    assert_eq!(log[0].0, "Grace <grace@local.invalid>", "{log:?}");
    assert_eq!(log[1].0, "Ada <ada@local.invalid>", "{log:?}");
    let message = repo.message(&branch)?;
    assert!(message.contains("\n\nCo-authored-by: Ada <ada@local.invalid>"), "{message}");
    assert!(github.access_tokens_minted() >= 1, "git went through the App's installation token");

    let answer = ada.raw("POST", &format!("/api/sessions/{}/pull-request", session.id), Some("{}")).await?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let pr: PullRequest = answer.json()?;
    assert_eq!((pr.opened_as, pr.state), (OpenedAs::App, PullRequestState::Open));
    assert_eq!((pr.head.as_str(), pr.base.as_str()), (branch.as_str(), "main"));
    let pulls = github.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1);
    assert_eq!((pulls[0].head.as_str(), pulls[0].base.as_str(), pulls[0].by_app), (branch.as_str(), "main", true));
    let body = pulls[0].body.clone().unwrap_or_default();
    assert!(body.starts_with("Opened by Open Inspect on behalf of @Ada."), "{body}");
    assert!(body.contains("> Create hello.txt") && body.contains("> Create second.txt"), "{body}");

    // The agent's own tool, mid-prompt: the work so far is pushed, then the same PR updated.
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "printf 'docs\\n' > docs.txt", "description": "write docs"})),
        Turn::tool_call(
            "openinspect_create_pull_request",
            json!({"summary": "Adds hello.txt, second.txt and their docs."}),
        ),
        Turn::text("Updated the pull request."),
    ]);
    let third = ada.prompt(&session.id, &Api::prompt_request("Document it and update the PR")).await?.message_id;
    assert_eq!(wait_finished(&stack, &mut client, &third).await?.outcome, PromptOutcome::Completed);
    let answer = tool_output(&client, &third);
    assert!(answer.contains(&format!("#{}", pr.number)), "{answer}");
    assert_eq!(repo.show(&branch, "docs.txt")?, "docs\n");
    let pulls = github.pulls("acme/widgets");
    assert_eq!(pulls.len(), 1, "the same pull request");
    let body = pulls[0].body.clone().unwrap_or_default();
    assert!(body.contains("Adds hello.txt, second.txt and their docs."), "{body}");
    assert!(body.contains("> Document it and update the PR"), "{body}");
    Ok(())
}
