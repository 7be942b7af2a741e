//! The GitHub App: JWT checks, installation tokens, and the repository endpoints they open.

mod common;

use common::app::*;
use common::*;
use serde_json::{json, Value};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_valid_jwt_mints_an_installation_token() {
    let (github, _repo) = start_app().await;
    let response = mint_with(&github, INSTALLATION_ID, &app_jwt(), None).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
    let token = body(response).await;
    Spec::load().check_response("post", "/app/installations/{installation_id}/access_tokens", 201, &token);
    let value = token["token"].as_str().unwrap();
    assert!(value.starts_with("ghs_") && value.len() == 40, "{value}");
    assert!(value[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        token["permissions"],
        json!({ "contents": "write", "pull_requests": "write", "metadata": "read", "checks": "read" })
    );
    assert_eq!(token["repository_selection"], "selected");
    assert!(token.get("repositories").is_none());
    // `expires_at` is RFC 3339, one hour ahead.
    let expires_at = token["expires_at"].as_str().unwrap();
    assert_eq!(expires_at.len(), 20, "{expires_at}");
    assert!(expires_at.ends_with('Z') && expires_at.as_bytes()[10] == b'T');
    assert_eq!(github.access_tokens_minted(), 1);
    assert!(github.installation_token_valid(value));
    assert!(!github.installation_token_valid("ghs_nope"));
    assert!(github.revoke_token(value));
    assert!(!github.installation_token_valid(value));

    // `iss` may be a number too; tokens are distinct.
    let numeric = jwt_with(APP_KEY, json!({ "iat": now() - 60, "exp": now() + 540, "iss": APP_ID }));
    assert_eq!(mint_with(&github, INSTALLATION_ID, &numeric, None).await.status(), 201);
    assert_eq!(github.access_tokens_minted(), 2);
}

#[tokio::test]
async fn bad_jwts_are_refused_with_githubs_messages() {
    let (github, _repo) = start_app().await;
    let t = now();
    let cases = [
        (jwt_with(APP_KEY, json!({ "iat": t - 700, "exp": t - 100, "iss": APP_ID })), "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"),
        (jwt_with(OTHER_KEY, json!({ "iat": t - 60, "exp": t + 540, "iss": APP_ID })), "A JSON web token could not be decoded"),
        (jwt_with(APP_KEY, json!({ "iat": t, "exp": t + 3600, "iss": APP_ID })), "'Expiration time' claim ('exp') is too far in the future"),
        (jwt_with(APP_KEY, json!({ "iat": t - 600, "exp": t + 300, "iss": APP_ID })), "'Expiration time' claim ('exp') is too far in the future"),
        (jwt_with(APP_KEY, json!({ "iat": t - 60, "exp": t + 540, "iss": 999 })), "A JSON web token could not be decoded"),
        (jwt_with(APP_KEY, json!({ "iat": t - 60, "exp": t + 540 })), "'Issuer' claim ('iss') must be an Integer"),
        (jwt_with(APP_KEY, json!({ "iat": t + 300, "exp": t + 540, "iss": APP_ID })), "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"),
        ("not.a.jwt".to_string(), "A JSON web token could not be decoded"),
        (github.issue_token("octocat", "repo"), "A JSON web token could not be decoded"),
    ];
    let spec = Spec::load();
    for (jwt, message) in cases {
        let response = mint_with(&github, INSTALLATION_ID, &jwt, None).await;
        assert_eq!(response.status(), 401, "{message}");
        let error = body(response).await;
        spec.check("basic-error", &error);
        assert_eq!(error["message"], message);
    }
    let anonymous = client().post(format!("{}/app/installations/42/access_tokens", github.url)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(github.access_tokens_minted(), 0);

    // The maximum lifetime (iat 60 s back, exp 10 minutes after it) is fine.
    let longest = jwt_with(APP_KEY, json!({ "iat": t - 60, "exp": t + 540, "iss": APP_ID.to_string() }));
    assert_eq!(mint_with(&github, INSTALLATION_ID, &longest, None).await.status(), 201);
    // An unknown installation is 404.
    let response = mint_with(&github, 999, &app_jwt(), None).await;
    assert_eq!(response.status(), 404);
    assert_eq!(body(response).await["message"], "Not Found");
}

#[tokio::test]
async fn a_token_can_be_narrowed_to_repositories_and_permissions() {
    let (github, _repo) = start_app().await;
    let request = json!({ "repositories": ["widgets"], "permissions": { "contents": "read" } });
    let response = mint_with(&github, INSTALLATION_ID, &app_jwt(), Some(request)).await;
    assert_eq!(response.status(), 201);
    let token = body(response).await;
    Spec::load().check_response("post", "/app/installations/{installation_id}/access_tokens", 201, &token);
    assert_eq!(token["repositories"][0]["full_name"], "acme/widgets");
    assert_eq!(token["permissions"], json!({ "contents": "read", "metadata": "read" }));

    for request in [json!({ "repositories": ["tools"] }), json!({ "permissions": { "administration": "write" } })] {
        let response = mint_with(&github, INSTALLATION_ID, &app_jwt(), Some(request)).await;
        assert_eq!(response.status(), 422);
    }
}

#[tokio::test]
async fn installation_repositories_need_an_installation_token() {
    let (github, _repo) = start_app().await;
    let token = mint(&github).await;
    let response = api(&github, "GET", "/installation/repositories", &token, None).await;
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("x-oauth-scopes"));
    assert_eq!(response.headers()["x-ratelimit-limit"], "5000");
    let list = body(response).await;
    Spec::load().check_response("get", "/installation/repositories", 200, &list);
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["repository_selection"], "selected");
    let repo = &list["repositories"][0];
    assert_eq!(repo["full_name"], "acme/widgets");
    assert_eq!(repo["private"], true);
    assert_eq!(repo["owner"]["type"], "Organization");
    assert_eq!(repo["clone_url"], format!("{}/acme/widgets.git", github.url));

    let user = github.issue_token("octocat", "repo");
    assert_eq!(api(&github, "GET", "/installation/repositories", &user, None).await.status(), 403);
    // And installation tokens cannot use the user endpoints.
    let response = api(&github, "GET", "/user", &token, None).await;
    assert_eq!(response.status(), 403);
    assert_eq!(body(response).await["message"], "Resource not accessible by integration");
}

#[tokio::test]
async fn repositories_and_branches() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    let spec = Spec::load();
    let response = api(&github, "GET", "/repos/acme/widgets", &token, None).await;
    assert_eq!(response.status(), 200);
    let full = body(response).await;
    spec.check_response("get", "/repos/{owner}/{repo}", 200, &full);
    assert_eq!(full["full_name"], "acme/widgets");
    assert_eq!(full["default_branch"], "main");
    assert_eq!(full["html_url"], format!("{}/acme/widgets", github.url));
    // Ids are stable across doubles.
    let (again, _other) = start_app().await;
    let again_token = mint(&again).await;
    assert_eq!(body(api(&again, "GET", "/repos/acme/widgets", &again_token, None).await).await["id"], full["id"]);

    // Another installation's repository, or an unknown one, is 404.
    for path in ["/repos/hubot/tools", "/repos/acme/nothing"] {
        let response = api(&github, "GET", path, &token, None).await;
        assert_eq!(response.status(), 404, "{path}");
        spec.check("basic-error", &body(response).await);
    }
    // Users see the repositories they have access to, with their own permissions.
    let user = github.issue_token("octocat", "repo");
    let as_user = body(api(&github, "GET", "/repos/hubot/tools", &user, None).await).await;
    spec.check_response("get", "/repos/{owner}/{repo}", 200, &as_user);
    assert_eq!(
        as_user["permissions"],
        json!({"admin": false, "maintain": false, "push": true, "triage": true, "pull": true})
    );
    let reader = github.issue_token("hubot", "repo");
    let as_reader = body(api(&github, "GET", "/repos/hubot/tools", &reader, None).await).await;
    spec.check_response("get", "/repos/{owner}/{repo}", 200, &as_reader);
    assert_eq!(as_reader["permissions"]["push"], false);
    assert_eq!(as_reader["permissions"]["pull"], true);
    let outsider = github.issue_token("newbie", "repo");
    let hidden = api(&github, "GET", "/repos/hubot/tools", &outsider, None).await;
    assert_eq!(hidden.status(), 404);
    spec.check("basic-error", &body(hidden).await);

    let response = api(&github, "GET", "/repos/acme/widgets/branches", &token, None).await;
    assert_eq!(response.status(), 200);
    let branches = body(response).await;
    spec.check_response("get", "/repos/{owner}/{repo}/branches", 200, &branches);
    assert_eq!(branches[0]["name"], "main");
    assert_eq!(branches[0]["commit"]["sha"], repo.main_sha.as_str());
    assert_eq!(branches[1]["name"], "oi/ses_1");
    assert_eq!(branches[1]["commit"]["sha"], repo.branch_sha.as_str());
    assert_eq!(branches[1]["protected"], false);
    let paged = api(&github, "GET", "/repos/acme/widgets/branches?per_page=1", &token, None).await;
    assert!(paged.headers()["link"].to_str().unwrap().contains("rel=\"next\""));
}

#[tokio::test]
async fn check_runs_for_a_ref() {
    let (github, repo) = start_app().await;
    let token = mint(&github).await;
    github.set_check_run("acme/widgets", &repo.branch_sha, "ci", "in_progress", None);
    github.set_check_run("acme/widgets", &repo.branch_sha, "lint", "completed", Some("success"));
    github.set_check_run("acme/widgets", &repo.main_sha, "ci", "completed", Some("failure"));
    let spec = Spec::load();
    for reference in [repo.branch_sha.as_str(), "oi%2Fses_1"] {
        let path = format!("/repos/acme/widgets/commits/{reference}/check-runs");
        let response = api(&github, "GET", &path, &token, None).await;
        assert_eq!(response.status(), 200, "{reference}");
        let runs = body(response).await;
        spec.check_response("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs", 200, &runs);
        assert_eq!(runs["total_count"], 2);
        assert_eq!(runs["check_runs"][0]["name"], "ci");
        assert_eq!(runs["check_runs"][0]["status"], "in_progress");
        assert_eq!(runs["check_runs"][0]["conclusion"], Value::Null);
        assert_eq!(runs["check_runs"][1]["conclusion"], "success");
    }
    let path = format!("/repos/acme/widgets/commits/{}/check-runs?check_name=lint", repo.branch_sha);
    assert_eq!(body(api(&github, "GET", &path, &token, None).await).await["total_count"], 1);
    let main = body(api(&github, "GET", "/repos/acme/widgets/commits/main/check-runs", &token, None).await).await;
    assert_eq!(main["check_runs"][0]["conclusion"], "failure");
    let unknown = api(&github, "GET", "/repos/acme/widgets/commits/nope/check-runs", &token, None).await;
    assert_eq!(unknown.status(), 422);
}

#[tokio::test]
async fn rate_limits_apply_to_installation_tokens() {
    let (github, _repo) = start_app().await;
    let token = mint(&github).await;
    github.set_rate_limited(true);
    let response = api(&github, "GET", "/repos/acme/widgets", &token, None).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(
        body(response).await["message"],
        format!("API rate limit exceeded for installation ID {INSTALLATION_ID}.")
    );
    github.set_rate_limited(false);

    github.set_secondary_rate_limited(true);
    let response = api(&github, "GET", "/installation/repositories", &token, None).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "60");
    assert!(body(response).await["message"].as_str().unwrap().contains("secondary rate limit"));
    let user = github.issue_token("octocat", "repo");
    assert_eq!(api(&github, "GET", "/user", &user, None).await.status(), 429);
    github.set_secondary_rate_limited(false);
    assert_eq!(api(&github, "GET", "/installation/repositories", &token, None).await.status(), 200);
}
