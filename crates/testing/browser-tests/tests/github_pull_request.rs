//! A GitHub repository's whole round trip in the browser. The GitHub double hosts `acme/widgets`
//! behind the GitHub App (one installation, delivered to the control plane as a webhook). The
//! new-session page lists it from `/api/repos` and its branches from `/api/repos/…/branches`;
//! the session is created from the page, a prompt's work is pushed to `oi/<session>`, and
//! Create PR opens the pull request: the App's, on behalf of the local person (who has no
//! GitHub token). CI passing and the merge, done on the double, reach the open page live over
//! its WebSocket.

use oi_browser_tests::fixture::{open_session, send_prompt, start_session_from_page, wait_outcomes};
use oi_browser_tests::{tid, Browser, UiStack, WAIT};
use oi_github_double::{DoubleConfig, GithubDouble};
use oi_scripted_model::Turn;
use oi_testkit::{BareRepo, StackOptions};
use serde_json::json;

use oi_testkit::github_app::{self, REPO};

/// The value of the first element matching `css` (a select's chosen option).
async fn value_of(browser: &Browser, css: &str) -> anyhow::Result<String> {
    let value = browser.js("return document.querySelector(arguments[0]).value;", vec![json!(css)]).await?;
    Ok(value.as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn pick_a_github_repo_prompt_open_the_pr_and_see_it_merge_live() -> anyhow::Result<()> {
    let remote = BareRepo::with_files(&[("README.md", "# widgets\n")])?;
    let github =
        GithubDouble::start(github_app::with_app(DoubleConfig::new("Iv1.browser", "unused"), &remote.path())).await?;
    let ui = UiStack::start_with(StackOptions { vars: github_app::control_plane_vars(&github.url) }).await?;
    github_app::connect(&github, &ui.base_url()).await?;
    ui.stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "hello.txt", "content": "hi\n"}))
            .with_text("I'll create the file."),
        Turn::text("Created hello.txt."),
    ]);
    let browser = ui.browser().await?;

    // The new-session page: the installed repository, picked from the list, and its branches.
    browser.goto("/new").await?;
    let option = format!("{} option[value=\"{REPO}\"]", tid("repo-select"));
    browser.wait_for(&option, WAIT).await?;
    assert_eq!(browser.count(&tid("repo-input")).await?, 0, "a list to pick from, not a field to type in");
    let listed = browser.texts(&format!("{} option", tid("repo-select"))).await?;
    assert_eq!(listed, ["acme/widgets · private · main"]);
    browser.click(&option).await?;
    browser.wait_text(&tid("repo-picked"), "acme/widgets: Private repository, default branch main", WAIT).await?;
    let branches = format!("{}:not([disabled])", tid("branch-select"));
    browser.wait_for(&format!("{branches} option[value=\"main\"]"), WAIT).await?;
    assert_eq!(browser.texts(&format!("{branches} option")).await?, ["main (default)"]);
    assert_eq!(value_of(&browser, &branches).await?, "main");

    // Created from the page, with no prompt yet: it moves to the session.
    let id = start_session_from_page(&browser).await?;
    assert!(id.starts_with("ses_"), "session id {id:?}");
    let session = ui.stack.cp.api().session(&id).await?;
    assert_eq!((session.summary.repo.as_str(), session.summary.branch.as_str()), (REPO, "main"));
    open_session(&browser, &id).await?;
    browser.wait_for(&tid("pr-none"), WAIT).await?;

    // The prompt's work, pushed to the session branch behind GitHub.
    send_prompt(&browser, "Create hello.txt").await?;
    assert_eq!(wait_outcomes(&browser, 1, &ui).await?, ["completed"]);
    browser.wait_for(&tid("commit-sha"), WAIT).await?;
    let branch = format!("oi/{id}");
    assert!(remote.branches()?.contains(&branch), "{:?}\n{}", remote.branches()?, ui.diagnostics());

    // Create PR: the App opens it on behalf of the local person.
    let me = browser.text(&tid("me-name")).await?.unwrap_or_default();
    assert_eq!(browser.text(&tid("create-pr")).await?.as_deref(), Some("Create PR"));
    browser.click(&tid("create-pr")).await?;
    let card = tid("pr");
    if let Err(e) = browser.wait_for(&format!("{card}[data-state=\"open\"]"), WAIT).await {
        anyhow::bail!("{e:#}\n{}", ui.diagnostics());
    }
    let link = browser.text(&tid("pr-link")).await?.unwrap_or_default();
    assert_eq!(link, "#1 Create hello.txt");
    assert_eq!(browser.text(&tid("pr-state")).await?.as_deref(), Some("Open"));
    assert_eq!(browser.text(&tid("pr-opened-as")).await?, Some(format!("Opened as the App on behalf of {me}")));
    let href = browser.js("return document.querySelector(arguments[0]).href;", vec![json!(tid("pr-link"))]).await?;
    assert_eq!(href, json!(format!("{}/acme/widgets/pull/1", github.url)));
    browser.wait_text(&tid("create-pr"), "Update PR", WAIT).await?;
    browser.wait_text(&tid("pr-badge"), "PR #1 · Open", WAIT).await?;
    browser.wait_text(&tid("pr-event"), "Pull request #1 opened", WAIT).await?;

    // The double has it: the session branch into main, by the App.
    let pulls = github.pulls(REPO);
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    let pull = &pulls[0];
    assert_eq!((pull.number, pull.head.as_str(), pull.base.as_str()), (1, branch.as_str(), "main"));
    assert_eq!((pull.title.as_str(), pull.by_app, pull.state.as_str()), ("Create hello.txt", true, "open"));

    // CI passes and someone merges, on GitHub: the page follows live, without a reload.
    browser.js("window.__oiNoReload = true;", vec![]).await?;
    github.set_check_run(REPO, &pull.head_sha, "ci", "completed", Some("success"));
    let passed = browser.wait_for(&format!("{card}[data-checks=\"passed\"]"), WAIT).await;
    if let Err(e) = passed {
        anyhow::bail!("{e:#}\ndeliveries: {:?}\n{}", github.deliveries(), ui.diagnostics());
    }
    assert_eq!(browser.text(&tid("pr-checks")).await?.as_deref(), Some("Checks passed"));
    github.merge_pull(REPO, 1);
    let merged = browser.wait_for(&format!("{card}[data-state=\"merged\"]"), WAIT).await;
    if let Err(e) = merged {
        anyhow::bail!("{e:#}\ndeliveries: {:?}\n{}", github.deliveries(), ui.diagnostics());
    }
    assert_eq!(browser.text(&tid("pr-state")).await?.as_deref(), Some("Merged"));
    assert_eq!(browser.text(&tid("pr-checks")).await?.as_deref(), Some("Checks passed"));
    browser.wait_text(&tid("pr-badge"), "PR #1 · Merged", WAIT).await?;
    browser.wait_text(&tid("pr-event"), "Pull request #1 merged", WAIT).await?;
    let history = browser.texts(&tid("pr-event")).await?;
    assert!(history.iter().any(|l| l == "Checks passed on pull request #1"), "{history:?}");
    assert_eq!(browser.text(&tid("create-pr")).await?.as_deref(), Some("Update PR"));
    assert_eq!(browser.js("return window.__oiNoReload === true;", vec![]).await?, json!(true), "no reload");
    assert_eq!(browser.count(&tid("sync-error")).await?, 0);
    assert!(github.pulls(REPO)[0].merged);
    browser.close().await;
    Ok(())
}
