//! The OAuth web flow: authorize, exchange, and every documented error.

mod common;

use std::time::Duration;

use common::*;
use oi_github_double::GithubDouble;
use serde_json::{json, Value};

async fn post_token(github: &GithubDouble, form: &[(&str, &str)], accept_json: bool) -> reqwest::Response {
    let mut request = client().post(format!("{}/login/oauth/access_token", github.url)).form(form);
    if accept_json {
        request = request.header("accept", "application/json");
    }
    request.send().await.unwrap()
}

fn example(name: &str) -> Value {
    oauth_examples()[name].clone()
}

#[tokio::test]
async fn web_flow_issues_a_gho_token_as_json() {
    let github = start().await;
    let code = authorize(&github, "read:user user:email read:org").await;
    assert_eq!(code.len(), 20);
    let body = exchange(&github, &code).await;
    let token = body["access_token"].as_str().unwrap();
    assert!(token.starts_with("gho_") && token.len() == 40, "{token}");
    assert!(token[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(
        body,
        json!({ "access_token": token, "scope": "read:user,user:email,read:org", "token_type": "bearer" })
    );
    // Same keys as the docs' example.
    let mut keys: Vec<_> = body.as_object().unwrap().keys().collect();
    let sample = example("access_token_response_json_accept_application_json");
    let mut sample_keys: Vec<_> = sample.as_object().unwrap().keys().collect();
    keys.sort();
    sample_keys.sort();
    assert_eq!(keys, sample_keys);

    let user = api_get(&github, "/user", token).await;
    assert_eq!(user.status(), 200);
    assert_eq!(user.json::<Value>().await.unwrap()["login"], "octocat");
}

#[tokio::test]
async fn form_encoded_answer_is_the_default() {
    let github = start().await;
    let code = authorize(&github, "repo gist").await;
    let form = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("code", code.as_str())];
    let response = post_token(&github, &form, false).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-www-form-urlencoded; charset=utf-8");
    let text = response.text().await.unwrap();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&text).unwrap();
    let names: Vec<_> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["access_token", "scope", "token_type"]);
    assert!(text.contains("&scope=repo%2Cgist&token_type=bearer"), "{text}");
    // The docs' example has the same layout.
    let sample = example("access_token_response_form_default");
    let sample = sample.as_str().unwrap();
    assert_eq!(text.split_once('&').unwrap().1, sample.split_once('&').unwrap().1);
}

#[tokio::test]
async fn json_request_body_is_accepted() {
    let github = start().await;
    let code = authorize(&github, "").await;
    let response = client()
        .post(format!("{}/login/oauth/access_token", github.url))
        .header("accept", "application/json")
        .json(&json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().starts_with("gho_"));
    assert_eq!(body["scope"], "");
}

#[tokio::test]
async fn codes_are_single_use() {
    let github = start().await;
    let code = authorize(&github, "read:user").await;
    assert!(exchange(&github, &code).await["access_token"].is_string());
    assert_eq!(exchange(&github, &code).await, example("error_bad_verification_code"));
    assert_eq!(exchange(&github, "0123456789abcdef0123").await, example("error_bad_verification_code"));
}

#[tokio::test]
async fn codes_expire() {
    let github = GithubDouble::start(config().code_ttl(Duration::from_millis(50))).await.unwrap();
    github.set_redirect_uri(CALLBACK);
    let code = authorize(&github, "read:user").await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(exchange(&github, &code).await, example("error_bad_verification_code"));
}

#[tokio::test]
async fn wrong_client_credentials() {
    let github = start().await;
    let code = authorize(&github, "read:user").await;
    for (id, secret) in [(CLIENT_ID, "nope"), ("Iv1.other", CLIENT_SECRET), ("", "")] {
        let form = [("client_id", id), ("client_secret", secret), ("code", code.as_str())];
        let response = post_token(&github, &form, true).await;
        assert_eq!(response.status(), 200, "GitHub answers errors with 200");
        assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
        assert_eq!(response.json::<Value>().await.unwrap(), example("error_incorrect_client_credentials"));
    }
    // The code survived the failed attempts.
    assert!(exchange(&github, &code).await["access_token"].is_string());
}

#[tokio::test]
async fn errors_are_form_encoded_by_default() {
    let github = start().await;
    let form = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("code", "bad")];
    let response = post_token(&github, &form, false).await;
    assert_eq!(response.status(), 200);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&response.text().await.unwrap()).unwrap();
    let expected = example("error_bad_verification_code");
    let expected: Vec<(String, String)> = ["error", "error_description", "error_uri"]
        .iter()
        .map(|k| (k.to_string(), expected[k].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(pairs, expected);
}

#[tokio::test]
async fn exchange_redirect_uri_must_match_the_authorize_one() {
    let github = start().await;
    let code = authorize(&github, "read:user").await;
    let other = format!("{CALLBACK}/elsewhere");
    let form = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("code", &code), ("redirect_uri", &other)];
    let response = post_token(&github, &form, true).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), example("error_redirect_uri_mismatch"));
}

#[tokio::test]
async fn unverified_primary_email_gets_no_token() {
    let github = start().await;
    github.set_authorizing_user("newbie");
    let code = authorize(&github, "read:user").await;
    assert_eq!(exchange(&github, &code).await, example("error_unverified_user_email"));
}

#[tokio::test]
async fn authorizing_user_can_be_switched() {
    let github = start().await;
    github.set_authorizing_user("hubot");
    let token = sign_in(&github, "read:user").await;
    let user: Value = api_get(&github, "/user", &token).await.json().await.unwrap();
    assert_eq!(user["login"], "hubot");
    assert_eq!(user["id"], 2);
}

#[tokio::test]
async fn unknown_client_id_gets_githubs_404_page() {
    let github = start().await;
    let response = client()
        .get(format!("{}/login/oauth/authorize", github.url))
        .query(&[("client_id", "Iv1.unknown"), ("redirect_uri", CALLBACK), ("state", "s")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert!(response.text().await.unwrap().contains("<html"));
}

#[tokio::test]
async fn mismatched_redirect_uri_redirects_to_the_registered_callback_with_an_error() {
    let github = start().await;
    let query = [("client_id", CLIENT_ID), ("redirect_uri", "http://127.0.0.1:9999/evil"), ("state", "xyz")];
    let (base, params) = authorize_redirect(&github, &query).await;
    assert_eq!(base, CALLBACK);
    assert_eq!(param(&params, "error"), Some("redirect_uri_mismatch"));
    assert_eq!(
        param(&params, "error_description"),
        Some("The redirect_uri MUST match the registered callback URL for this application.")
    );
    assert!(param(&params, "error_uri").unwrap().ends_with("#redirect-uri-mismatch"));
    assert_eq!(param(&params, "state"), Some("xyz"));
    assert_eq!(param(&params, "code"), None);
}

#[tokio::test]
async fn redirect_uri_defaults_to_the_registered_one_and_may_be_set_after_start() {
    let github = GithubDouble::start(config()).await.unwrap();
    let url = format!("{}/login/oauth/authorize?client_id={CLIENT_ID}&state=abc", github.url);
    // No callback registered yet: a loud misconfiguration page, not a redirect.
    assert_eq!(client().get(&url).send().await.unwrap().status(), 500);
    github.set_redirect_uri("http://127.0.0.1:4000/cb");
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let (base, params) = location_params(&response);
    assert_eq!(base, "http://127.0.0.1:4000/cb");
    assert_eq!(param(&params, "state"), Some("abc"));
    assert!(param(&params, "code").is_some());
}

#[tokio::test]
async fn denial_redirects_with_access_denied() {
    let github = start().await;
    github.set_deny_authorization(true);
    let (base, params) = authorize_redirect(&github, &[("client_id", CLIENT_ID), ("state", "s1")]).await;
    assert_eq!(base, CALLBACK);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "state"), Some("s1"));
}

#[tokio::test]
async fn requests_are_recorded() {
    let github = start().await;
    let code = authorize(&github, "read:user").await;
    exchange(&github, &code).await;
    let requests = github.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/login/oauth/authorize");
    assert_eq!(requests[0].query_param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(requests[0].status, 302);
    let token_request = &github.requests_to("/login/oauth/access_token")[0];
    assert_eq!(token_request.method, "POST");
    assert_eq!(token_request.header("Accept"), Some("application/json"));
    assert_eq!(token_request.form_param("code"), Some(code));
    assert_eq!(token_request.form_param("client_secret").as_deref(), Some(CLIENT_SECRET));
    github.clear_requests();
    assert!(github.requests().is_empty());
}

#[tokio::test]
async fn dropping_the_double_stops_the_server() {
    let github = start().await;
    let url = format!("{}/user", github.url);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 401);
    drop(github);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A fresh client (no pooled connection): the port is closed.
    assert!(client().get(&url).send().await.is_err());

    let github = start().await;
    let url = format!("{}/user", github.url);
    github.shutdown().await;
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn expiring_user_tokens_come_with_a_refresh_token_that_trades_the_pair() {
    let github = GithubDouble::start(config().expiring_user_tokens(true)).await.unwrap();
    github.set_redirect_uri(CALLBACK);
    let code = authorize(&github, "").await;
    let first = exchange(&github, &code).await;
    let (access, refresh) = (first["access_token"].as_str().unwrap(), first["refresh_token"].as_str().unwrap());
    assert!(access.starts_with("ghu_") && refresh.starts_with("ghr_"), "{first}");
    assert_eq!(
        (first["expires_in"].as_u64(), first["refresh_token_expires_in"].as_u64()),
        (Some(28_800), Some(15_811_200))
    );
    assert_eq!(first["scope"], "");

    // Eight hours later: the token is refused, the refresh token trades for a new pair.
    assert_eq!(github.expire_user_tokens("octocat"), 1);
    assert_eq!(api_get(&github, "/user", access).await.status(), 401);
    let form = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
    ];
    let second: Value = post_token(&github, &form, true).await.json().await.unwrap();
    let renewed = second["access_token"].as_str().unwrap();
    assert!(renewed.starts_with("ghu_") && renewed != access, "{second}");
    assert_eq!(api_get(&github, "/user", renewed).await.status(), 200);
    // A refresh token works once.
    let again: Value = post_token(&github, &form, true).await.json().await.unwrap();
    assert_eq!(again["error"], "bad_refresh_token");
}
