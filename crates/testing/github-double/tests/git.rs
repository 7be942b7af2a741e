//! Git smart HTTP through the double: clone and push with an installation token, and the 401s.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::app::*;
use common::*;
use serde_json::json;

/// `git` off the runtime, so the double can answer it.
async fn git_async(dir: PathBuf, args: Vec<String>) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        try_git(&dir, &args)
    })
    .await
    .unwrap()
}

fn authed_url(github_url: &str, token: &str) -> String {
    github_url.replacen("http://", &format!("http://x-access-token:{token}@"), 1) + "/acme/widgets.git"
}

#[tokio::test]
async fn clone_and_push_with_an_installation_token() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    let work = repo.dir.path().join("clone");
    let url = authed_url(&github.url, &token);
    let (ok, stderr) =
        git_async(repo.dir.path().into(), vec!["clone".into(), url, work.to_str().unwrap().into()]).await;
    assert!(ok, "clone failed: {stderr}");
    assert_eq!(git(&work, &["rev-parse", "HEAD"]), repo.main_sha);

    git(&work, &["checkout", "-b", "oi/ses_9"]);
    std::fs::write(work.join("new.txt"), "new\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-m", "New work"]);
    let pushed = git(&work, &["rev-parse", "HEAD"]);
    let (ok, stderr) = git_async(work.clone(), vec!["push".into(), "origin".into(), "oi/ses_9".into()]).await;
    assert!(ok, "push failed: {stderr}");
    let bare = repo.bare.to_str().unwrap();
    assert_eq!(git(repo.dir.path(), &["--git-dir", bare, "rev-parse", "refs/heads/oi/ses_9"]), pushed);

    // The pushed branch is a pull request head right away, shown in the branches list.
    let branches: serde_json::Value =
        api(&github, "GET", "/repos/acme/widgets/branches", &token, None).await.json().await.unwrap();
    assert!(branches
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["name"] == "oi/ses_9" && b["commit"]["sha"] == pushed.as_str()));
    let pull = json!({ "title": "Nine", "head": "oi/ses_9", "base": "main" });
    assert_eq!(api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(pull)).await.status(), 201);
}

#[tokio::test]
async fn git_without_valid_credentials_gets_401() {
    let (github, repo) = start_app().await;
    let url = format!("{}/acme/widgets.git/info/refs?service=git-upload-pack", github.url);
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"GitHub\"");
    let response = client().get(&url).basic_auth("x-access-token", Some("ghs_unknown")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    // Unknown repositories ask for credentials too (nothing leaks).
    let response =
        client().get(format!("{}/acme/secret.git/info/refs?service=git-upload-pack", github.url)).send().await.unwrap();
    assert_eq!(response.status(), 401);

    let target = repo.dir.path().join("anonymous");
    let args = vec!["clone".into(), format!("{}/acme/widgets.git", github.url), target.to_str().unwrap().into()];
    let (ok, _) = git_async(repo.dir.path().into(), args).await;
    assert!(!ok, "an anonymous clone of a private repository must fail");

    // A valid token is served (the advertisement is git's).
    let token = mint(&github).await;
    let response = client().get(&url).basic_auth("x-access-token", Some(&token)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-git-upload-pack-advertisement");
    // A user token works too.
    let user = github.issue_token("octocat", "repo");
    let response = client().get(&url).basic_auth("octocat", Some(&user)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // Another installation's token does not see the repository.
    let other = mint_with(&github, OTHER_INSTALLATION_ID, &app_jwt(), None).await;
    let other: serde_json::Value = other.json().await.unwrap();
    let response = client().get(&url).basic_auth("x-access-token", other["token"].as_str()).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_read_only_token_cannot_push_and_a_push_synchronizes_pull_requests() {
    let (github, repo) = start_app().await;
    let (hook, got) = receiver().await;
    github.set_webhook(&hook, WEBHOOK_SECRET);
    let token = mint(&github).await;
    let pull = json!({ "title": "One", "head": "oi/ses_1", "base": "main" });
    assert_eq!(api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(pull)).await.status(), 201);

    let read_only =
        mint_with(&github, INSTALLATION_ID, &app_jwt(), Some(json!({ "permissions": { "contents": "read" } }))).await;
    let read_only: serde_json::Value = read_only.json().await.unwrap();
    let url = format!("{}/acme/widgets.git/info/refs?service=git-receive-pack", github.url);
    let response = client().get(&url).basic_auth("x-access-token", read_only["token"].as_str()).send().await.unwrap();
    assert_eq!(response.status(), 403);

    let work = repo.dir.path().join("clone");
    let remote = authed_url(&github.url, &token);
    let (ok, stderr) = git_async(
        repo.dir.path().into(),
        vec!["clone".into(), "-b".into(), "oi/ses_1".into(), remote, work.to_str().unwrap().into()],
    )
    .await;
    assert!(ok, "{stderr}");
    std::fs::write(work.join("more.txt"), "more\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-m", "More"]);
    let after = git(&work, &["rev-parse", "HEAD"]);
    let (ok, stderr) = git_async(work.clone(), vec!["push".into(), "origin".into(), "oi/ses_1".into()]).await;
    assert!(ok, "{stderr}");

    let deliveries = github.wait_for_deliveries(2, Duration::from_secs(10)).await;
    let sync = deliveries.iter().find(|d| d.action.as_deref() == Some("synchronize")).expect("a synchronize delivery");
    assert_eq!(sync.payload["before"], repo.branch_sha.as_str());
    assert_eq!(sync.payload["after"], after.as_str());
    assert_eq!(sync.payload["pull_request"]["head"]["sha"], after.as_str());
    assert_eq!(sync.payload["sender"]["login"], "open-inspect[bot]");
    assert_eq!(got.lock().unwrap().len(), 2);
    assert_eq!(github.pulls("acme/widgets")[0].head_sha, after);
}
