//! Pull requests: create, the 422s, list filters, get, update, merge.

mod common;

use common::app::*;
use common::*;
use oi_github_double::PullSnapshot;
use serde_json::{json, Value};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

fn new_pull() -> Value {
    json!({ "title": "Add a feature", "head": "oi/ses_1", "base": "main", "body": "Made by a session.", "draft": true })
}

#[tokio::test]
async fn an_installation_opens_a_pull_request_as_its_bot() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    let response = api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(new_pull())).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let pull = body(response).await;
    Spec::load().check_response("post", "/repos/{owner}/{repo}/pulls", 201, &pull);
    assert_eq!(location, pull["url"]);
    assert_eq!(pull["number"], 1);
    assert_eq!(pull["html_url"], format!("{}/acme/widgets/pull/1", github.url));
    assert_eq!(pull["url"], format!("{}/repos/acme/widgets/pulls/1", github.url));
    assert_eq!(pull["state"], "open");
    assert_eq!(pull["title"], "Add a feature");
    assert_eq!(pull["body"], "Made by a session.");
    assert_eq!(pull["draft"], true);
    assert_eq!(pull["merged"], false);
    assert_eq!(pull["merged_at"], Value::Null);
    assert_eq!(pull["user"]["login"], "open-inspect[bot]");
    assert_eq!(pull["user"]["type"], "Bot");
    assert_eq!(pull["head"]["ref"], "oi/ses_1");
    assert_eq!(pull["head"]["label"], "acme:oi/ses_1");
    assert_eq!(pull["head"]["sha"], repo.branch_sha.as_str());
    assert_eq!(pull["head"]["repo"]["full_name"], "acme/widgets");
    assert_eq!(pull["base"]["ref"], "main");
    assert_eq!(pull["base"]["sha"], repo.main_sha.as_str());
    assert_eq!(
        (pull["commits"].clone(), pull["additions"].clone(), pull["changed_files"].clone()),
        (json!(1), json!(2), json!(1))
    );
    assert!(pull["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        github.pulls("acme/widgets"),
        vec![PullSnapshot {
            number: 1,
            title: "Add a feature".into(),
            body: Some("Made by a session.".into()),
            head: "oi/ses_1".into(),
            base: "main".into(),
            state: "open".into(),
            draft: true,
            merged: false,
            author_login: "open-inspect[bot]".into(),
            by_app: true,
            head_sha: repo.branch_sha.clone(),
        }]
    );
}

#[tokio::test]
async fn a_user_opens_one_as_themselves() {
    let (github, _repo) = start_app().await;
    let token = github.issue_token("octocat", "repo");
    let response = api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(new_pull())).await;
    assert_eq!(response.status(), 201);
    let pull = body(response).await;
    assert_eq!(pull["user"]["login"], "octocat");
    assert_eq!(pull["author_association"], "MEMBER");
    let snapshot = &github.pulls("acme/widgets")[0];
    assert!(!snapshot.by_app);
    assert_eq!(snapshot.author_login, "octocat");
}

#[tokio::test]
async fn the_validation_errors() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    let create = |body: Value| {
        let (github, token) = (&github, &token);
        async move { api(github, "POST", "/repos/acme/widgets/pulls", token, Some(body)).await }
    };
    assert_eq!(create(new_pull()).await.status(), 201);
    let spec = Spec::load();

    let response = create(new_pull()).await;
    assert_eq!(response.status(), 422);
    let error = body(response).await;
    spec.check_response("post", "/repos/{owner}/{repo}/pulls", 422, &error);
    assert_eq!(
        error,
        json!({
            "message": "Validation Failed",
            "errors": [{ "resource": "PullRequest", "code": "custom", "message": "A pull request already exists for acme:oi/ses_1." }],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        })
    );
    // `owner:branch` is the same head.
    let qualified = json!({ "title": "t", "head": "acme:oi/ses_1", "base": "main" });
    assert_eq!(create(qualified).await.status(), 422);

    let response = create(json!({ "title": "t", "head": "oi/missing", "base": "main" })).await;
    assert_eq!(response.status(), 422);
    let error = body(response).await;
    spec.check("validation-error", &error);
    assert_eq!(error["errors"], json!([{ "resource": "PullRequest", "field": "head", "code": "invalid" }]));

    let response = create(json!({ "title": "t", "head": "oi/ses_1", "base": "nope" })).await;
    assert_eq!(body(response).await["errors"][0]["field"], "base");

    let response = create(json!({ "head": "oi/ses_1", "base": "main" })).await;
    assert_eq!(response.status(), 422);
    assert_eq!(body(response).await["errors"][0]["code"], "missing_field");

    let response = create(json!({ "title": "t", "base": "main" })).await;
    assert_eq!(response.status(), 422);
    assert_eq!(body(response).await["message"], "Invalid request.\n\n\"head\" wasn't supplied.");

    // A branch with nothing new.
    git(repo.dir.path(), &["--git-dir", repo.bare.to_str().unwrap(), "branch", "oi/empty", "main"]);
    let response = create(json!({ "title": "t", "head": "oi/empty", "base": "main" })).await;
    assert_eq!(body(response).await["errors"][0]["message"], "No commits between main and oi/empty");

    let response = client()
        .post(format!("{}/repos/acme/widgets/pulls", github.url))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Another installation's token does not see the repository at all.
    assert_eq!(github.pulls("acme/widgets").len(), 1);
}

#[tokio::test]
async fn listing_filters_by_state_head_and_base() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    let bare = repo.bare.to_str().unwrap();
    git(repo.dir.path(), &["--git-dir", bare, "branch", "oi/ses_2", "oi/ses_1"]);
    api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(new_pull())).await;
    let second = json!({ "title": "Second", "head": "oi/ses_2", "base": "main" });
    api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(second)).await;
    let spec = Spec::load();

    let all = body(api(&github, "GET", "/repos/acme/widgets/pulls", &token, None).await).await;
    spec.check_response("get", "/repos/{owner}/{repo}/pulls", 200, &all);
    let numbers: Vec<_> = all.as_array().unwrap().iter().map(|p| p["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 1]);
    assert!(all[0].get("merged").is_none(), "pull-request-simple has no `merged`");

    let path = "/repos/acme/widgets/pulls?head=acme%3Aoi%2Fses_1&state=open";
    let filtered = body(api(&github, "GET", path, &token, None).await).await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["number"], 1);
    let other_owner =
        body(api(&github, "GET", "/repos/acme/widgets/pulls?head=hubot:oi/ses_1", &token, None).await).await;
    assert_eq!(other_owner, json!([]));
    let by_base = body(api(&github, "GET", "/repos/acme/widgets/pulls?base=develop", &token, None).await).await;
    assert_eq!(by_base, json!([]));

    let close = json!({ "state": "closed" });
    assert_eq!(api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(close)).await.status(), 200);
    let open = body(api(&github, "GET", "/repos/acme/widgets/pulls", &token, None).await).await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let closed = body(api(&github, "GET", "/repos/acme/widgets/pulls?state=closed", &token, None).await).await;
    assert_eq!(closed[0]["number"], 1);
    let all = body(api(&github, "GET", "/repos/acme/widgets/pulls?state=all&direction=asc", &token, None).await).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["number"], 1);
}

#[tokio::test]
async fn get_update_and_merge() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    api(&github, "POST", "/repos/acme/widgets/pulls", &token, Some(new_pull())).await;
    let spec = Spec::load();

    let response = api(&github, "GET", "/repos/acme/widgets/pulls/1", &token, None).await;
    assert_eq!(response.status(), 200);
    spec.check_response("get", "/repos/{owner}/{repo}/pulls/{pull_number}", 200, &body(response).await);
    assert_eq!(api(&github, "GET", "/repos/acme/widgets/pulls/9", &token, None).await.status(), 404);
    let missing = api(&github, "PATCH", "/repos/acme/widgets/pulls/9", &token, Some(json!({ "title": "x" }))).await;
    assert_eq!(missing.status(), 404);

    let edit = json!({ "title": "Better title", "body": "More words." });
    let response = api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(edit)).await;
    assert_eq!(response.status(), 200);
    let pull = body(response).await;
    spec.check_response("patch", "/repos/{owner}/{repo}/pulls/{pull_number}", 200, &pull);
    assert_eq!((pull["title"].as_str(), pull["body"].as_str()), (Some("Better title"), Some("More words.")));
    let bad = api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "state": "merged" }))).await;
    assert_eq!(bad.status(), 422);

    let closed =
        body(api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "state": "closed" }))).await)
            .await;
    assert_eq!(closed["state"], "closed");
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["merged"], false);
    let reopened =
        body(api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "state": "open" }))).await)
            .await;
    assert_eq!(reopened["state"], "open");
    assert_eq!(reopened["closed_at"], Value::Null);

    github.merge_pull("acme/widgets", 1);
    let merged = body(api(&github, "GET", "/repos/acme/widgets/pulls/1", &token, None).await).await;
    spec.check_response("get", "/repos/{owner}/{repo}/pulls/{pull_number}", 200, &merged);
    assert_eq!(merged["state"], "closed");
    assert_eq!(merged["merged"], true);
    assert!(merged["merged_at"].is_string() && merged["merge_commit_sha"].is_string());
    assert_eq!(merged["merged_by"]["login"], "octocat");
    assert_eq!(merged["head"]["sha"], repo.branch_sha.as_str());
    assert_eq!(merged["base"]["sha"], repo.main_sha.as_str());
    // The merge is a real commit on `main`, with both tips as parents.
    let bare = repo.bare.to_str().unwrap();
    let main = git(repo.dir.path(), &["--git-dir", bare, "rev-parse", "refs/heads/main"]);
    assert_eq!(merged["merge_commit_sha"], main.as_str());
    let parents = git(repo.dir.path(), &["--git-dir", bare, "rev-parse", "main^1", "main^2"]);
    assert_eq!(parents, format!("{}\n{}", repo.main_sha, repo.branch_sha));
    let snapshot = &github.pulls("acme/widgets")[0];
    assert!(snapshot.merged && snapshot.state == "closed");
    // A merged pull request cannot be reopened.
    let reopen = api(&github, "PATCH", "/repos/acme/widgets/pulls/1", &token, Some(json!({ "state": "open" }))).await;
    assert_eq!(reopen.status(), 422);
}

#[tokio::test]
async fn a_read_only_token_cannot_open_pull_requests() {
    let (github, _repo) = start_app().await;
    let request = json!({ "permissions": { "contents": "read", "pull_requests": "read" } });
    let minted = body(mint_with(&github, INSTALLATION_ID, &app_jwt(), Some(request)).await).await;
    let token = minted["token"].as_str().unwrap();
    let response = api(&github, "POST", "/repos/acme/widgets/pulls", token, Some(new_pull())).await;
    assert_eq!(response.status(), 403);
    assert_eq!(body(response).await["message"], "Resource not accessible by integration");
    assert_eq!(api(&github, "GET", "/repos/acme/widgets/pulls", token, None).await.status(), 200);
}
