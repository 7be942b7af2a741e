//! The user REST endpoints: payloads against the OpenAPI schemas, headers, auth and errors.

mod common;

use common::*;
use oi_github_double::{EmailConfig, UserConfig};
use serde_json::{json, Value};

const ALL_SCOPES: &str = "user read:org";

async fn body(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

#[tokio::test]
async fn user_is_a_private_user_with_the_user_scope() {
    let github = start().await;
    let token = sign_in(&github, ALL_SCOPES).await;
    let response = api_get(&github, "/user", &token).await;
    assert_eq!(response.status(), 200);
    let user = body(response).await;
    let spec = Spec::load();
    spec.check_response("get", "/user", 200, &user);
    spec.check("private-user", &user);
    for field in spec.required("private-user") {
        assert!(user.get(&field).is_some(), "missing {field}");
    }
    assert_eq!(user["user_view_type"], "private");
    assert_eq!(user["login"], "octocat");
    assert_eq!(user["id"], 1);
    assert_eq!(user["node_id"], "MDQ6VXNlcjE=");
    assert_eq!(user["name"], "monalisa octocat");
    assert_eq!(user["email"], "octocat@github.com");
    assert_eq!(user["type"], "User");
    assert_eq!(user["site_admin"], false);
    assert_eq!(user["html_url"], format!("{}/octocat", github.url));
    assert_eq!(user["url"], format!("{}/users/octocat", github.url));
    // The avatar is served locally.
    let avatar = client().get(user["avatar_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(avatar.status(), 200);
    assert_eq!(avatar.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn user_is_a_public_user_without_the_user_scope() {
    let github = start().await;
    github.set_authorizing_user("hubot");
    let token = sign_in(&github, "read:user").await;
    let user = body(api_get(&github, "/user", &token).await).await;
    let spec = Spec::load();
    spec.check_response("get", "/user", 200, &user);
    spec.check("public-user", &user);
    assert_eq!(user["user_view_type"], "public");
    assert!(user.get("private_gists").is_none());
    // No name and a private email: both null.
    assert_eq!(user["name"], Value::Null);
    assert_eq!(user["email"], Value::Null);
}

#[tokio::test]
async fn emails_match_the_email_schema() {
    let github = start().await;
    let token = sign_in(&github, "read:user user:email").await;
    let response = api_get(&github, "/user/emails", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-oauth-scopes"], "read:user, user:email");
    assert_eq!(response.headers()["x-accepted-oauth-scopes"], "user, user:email");
    let emails = body(response).await;
    Spec::load().check_response("get", "/user/emails", 200, &emails);
    assert_eq!(
        emails,
        json!([
            { "email": "octocat@github.com", "primary": true, "verified": true, "visibility": "public" },
            { "email": "octo@example.com", "primary": false, "verified": true, "visibility": null }
        ])
    );
}

#[tokio::test]
async fn emails_paginate_with_link_headers() {
    let github = start().await;
    let token = sign_in(&github, "user").await;
    let response = api_get(&github, "/user/emails?per_page=1", &token).await;
    let link = response.headers()["link"].to_str().unwrap().to_string();
    assert_eq!(
        link,
        format!(
            "<{0}/user/emails?per_page=1&page=2>; rel=\"next\", <{0}/user/emails?per_page=1&page=2>; rel=\"last\"",
            github.url
        )
    );
    assert_eq!(body(response).await.as_array().unwrap().len(), 1);
    let second = body(api_get(&github, "/user/emails?per_page=1&page=2", &token).await).await;
    assert_eq!(second[0]["email"], "octo@example.com");
}

#[tokio::test]
async fn orgs_and_memberships_match_their_schemas() {
    let github = start().await;
    let token = sign_in(&github, "read:user read:org").await;
    let spec = Spec::load();

    let orgs = body(api_get(&github, "/user/orgs", &token).await).await;
    spec.check_response("get", "/user/orgs", 200, &orgs);
    let logins: Vec<_> = orgs.as_array().unwrap().iter().map(|o| o["login"].as_str().unwrap()).collect();
    assert_eq!(logins, ["github", "acme"]);
    assert_ne!(orgs[0]["id"], orgs[1]["id"]);

    let response = api_get(&github, "/user/memberships/orgs/ACME", &token).await;
    assert_eq!(response.status(), 200);
    let membership = body(response).await;
    spec.check_response("get", "/user/memberships/orgs/{org}", 200, &membership);
    assert_eq!(membership["state"], "active");
    assert_eq!(membership["role"], "member");
    assert_eq!(membership["organization"], orgs[1]);
    assert_eq!(membership["user"]["login"], "octocat");

    let response = api_get(&github, "/user/memberships/orgs/not-mine", &token).await;
    assert_eq!(response.status(), 404);
    let error = body(response).await;
    spec.check_response("get", "/user/memberships/orgs/{org}", 404, &error);
    assert_eq!(error["message"], "Not Found");
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_401() {
    let github = start().await;
    let spec = Spec::load();
    for path in ["/user", "/user/emails", "/user/orgs", "/user/memberships/orgs/acme"] {
        let response = client().get(format!("{}{path}", github.url)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
        let error = body(response).await;
        assert_eq!(
            error,
            json!({ "message": "Requires authentication", "documentation_url": "https://docs.github.com/rest" })
        );
        spec.check("basic-error", &error);
    }
    spec.check_response("get", "/user", 401, &json!({ "message": "Requires authentication" }));

    let response = api_get(&github, "/user", "gho_000000000000000000000000000000000000").await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        body(response).await,
        json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest" })
    );

    let token = github.issue_token("octocat", "user");
    assert_eq!(api_get(&github, "/user", &token).await.status(), 200);
    assert!(github.revoke_token(&token));
    assert_eq!(api_get(&github, "/user", &token).await.status(), 401);
}

#[tokio::test]
async fn the_token_scheme_works_too() {
    let github = start().await;
    let token = github.issue_token("octocat", "user");
    let response = client()
        .get(format!("{}/user", github.url))
        .header("authorization", format!("token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn responses_carry_githubs_headers() {
    let github = start().await;
    let token = github.issue_token("octocat", "user");
    let first = api_get(&github, "/user", &token).await;
    let headers = first.headers();
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(headers["x-github-api-version-selected"], "2022-11-28");
    assert_eq!(headers["x-github-media-type"], "github.v3; format=json");
    assert!(headers.contains_key("x-github-request-id"));
    assert_eq!(headers["x-ratelimit-limit"], "5000");
    assert_eq!(headers["x-ratelimit-remaining"], "4999");
    assert_eq!(headers["x-ratelimit-used"], "1");
    assert_eq!(headers["x-ratelimit-resource"], "core");
    let reset: u64 = headers["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(reset > now && reset <= now + 3600);
    assert_eq!(headers["x-oauth-scopes"], "user");
    let second = api_get(&github, "/user/emails", &token).await;
    assert_eq!(second.headers()["x-ratelimit-remaining"], "4998");
}

#[tokio::test]
async fn forced_rate_limit_answers_403_with_remaining_zero() {
    let github = start().await;
    let token = github.issue_token("octocat", "user");
    github.set_rate_limited(true);
    let response = api_get(&github, "/user", &token).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(response.headers()["x-ratelimit-used"], "5000");
    assert!(response.headers().contains_key("x-ratelimit-reset"));
    let error = body(response).await;
    Spec::load().check_response("get", "/user", 403, &error);
    assert_eq!(error["message"], "API rate limit exceeded for user ID 1.");
    assert!(error["documentation_url"].as_str().unwrap().contains("rate-limits"));
    github.set_rate_limited(false);
    assert_eq!(api_get(&github, "/user", &token).await.status(), 200);
}

#[tokio::test]
async fn scopes_are_enforced_as_documented() {
    let github = start().await;
    let token = sign_in(&github, "read:user").await;
    let emails = api_get(&github, "/user/emails", &token).await;
    assert_eq!(emails.status(), 404);
    let orgs = api_get(&github, "/user/orgs", &token).await;
    assert_eq!(orgs.status(), 403);
    let error = body(orgs).await;
    Spec::load().check_response("get", "/user/orgs", 403, &error);
    assert_eq!(error["message"], "You need at least read:org scope or user scope to list your organizations.");

    let lax = oi_github_double::GithubDouble::start(config().enforce_scopes(false)).await.unwrap();
    let token = lax.issue_token("octocat", "");
    assert_eq!(api_get(&lax, "/user/emails", &token).await.status(), 200);
    assert_eq!(api_get(&lax, "/user/orgs", &token).await.status(), 200);
    assert_eq!(body(api_get(&lax, "/user", &token).await).await["user_view_type"], "private");
}

#[tokio::test]
async fn users_added_after_start_can_sign_in() {
    let github = start().await;
    github
        .add_user(UserConfig::new("late", 42).email(EmailConfig::primary("late@example.com")).org("latecomers"))
        .unwrap();
    assert!(github.add_user(UserConfig::new("clash", 42)).is_err());
    github.set_authorizing_user("late");
    let token = sign_in(&github, ALL_SCOPES).await;
    let membership = body(api_get(&github, "/user/memberships/orgs/latecomers", &token).await).await;
    Spec::load().check("org-membership", &membership);
    assert_eq!(membership["user"]["id"], 42);
}

#[tokio::test]
async fn unknown_paths_get_githubs_json_404() {
    let github = start().await;
    let response = client().get(format!("{}/repos/a/b/nothing", github.url)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        body(response).await,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest" })
    );
    assert_eq!(github.requests()[0].status, 404);
}

#[tokio::test]
async fn invalid_config_is_refused() {
    let duplicate = config().user(UserConfig::new("OctoCat", 99));
    assert!(oi_github_double::GithubDouble::start(duplicate).await.is_err());
    let unknown = config().authorizing_user("ghost");
    assert!(oi_github_double::GithubDouble::start(unknown).await.is_err());
}

#[test]
#[should_panic(expected = "missing required field `verified`")]
fn the_schema_check_catches_a_missing_field() {
    Spec::load().check_response(
        "get",
        "/user/emails",
        200,
        &json!([{ "email": "a@b", "primary": true, "visibility": null }]),
    );
}

#[test]
#[should_panic(expected = "`colour` is not in the schema")]
fn the_schema_check_catches_an_undeclared_field() {
    let email = json!({ "email": "a@b", "primary": true, "verified": true, "visibility": null, "colour": "red" });
    Spec::load().check("email", &email);
}

#[test]
#[should_panic(expected = "expected boolean")]
fn the_schema_check_catches_a_wrong_type() {
    Spec::load().check("email", &json!({ "email": "a@b", "primary": "yes", "verified": true, "visibility": null }));
}
