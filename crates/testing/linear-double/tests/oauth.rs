//! OAuth for apps: authorize → code → token → GraphQL → expiry → refresh.

mod common;

use std::time::Duration;

use common::*;
use oi_linear_double::{AuthorizeDecision, LinearDouble, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use serde_json::{json, Value};
use url::Url;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Follows `/oauth/authorize` once; answers the status and the `Location`'s query pairs.
async fn authorize(linear: &LinearDouble, params: &[(&str, &str)]) -> (u16, Vec<(String, String)>) {
    let url = Url::parse_with_params(&linear.authorize_url(), params).unwrap();
    let response = no_redirects().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(|l| Url::parse(l).unwrap());
    let pairs = location.map(|l| l.query_pairs().into_owned().collect()).unwrap_or_default();
    (status, pairs)
}

fn app_params(state: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", DEFAULT_CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("scope", "read,write,app:assignable,app:mentionable"),
        ("state", state),
        ("actor", "app"),
    ]
}

async fn token(linear: &LinearDouble, form: &[(&str, &str)]) -> (u16, Value) {
    let response = no_redirects()
        .post(linear.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn code_token_refresh() {
    let linear = LinearDouble::start(config().token_lifetime(Duration::from_secs(3600))).await.unwrap();
    let (status, pairs) = authorize(&linear, &app_params("csrf-1")).await;
    assert_eq!(status, 302);
    assert_eq!(value(&pairs, "state"), Some("csrf-1"));
    let code = value(&pairs, "code").unwrap().to_string();

    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    let (status, body) = token(&linear, &exchange).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "read write app:assignable app:mentionable");
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    // A code is good once.
    let (status, again) = token(&linear, &exchange).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));

    // actor=app: the token acts as the app user.
    let viewer = post(&linear, Some(&format!("Bearer {access}")), "query { viewer { id app } }", json!({})).await;
    assert_eq!(viewer.body["data"]["viewer"]["id"], linear.config().app_user.id);

    // Expired: the authentication error that makes the product refresh.
    assert!(linear.expire_access_token(&access));
    let expired = post(&linear, Some(&format!("Bearer {access}")), "query { viewer { id } }", json!({})).await;
    assert_eq!((expired.status, expired.error_type()), (401, Some("authentication error")));

    let renew = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    let (status, renewed) = token(&linear, &renew).await;
    assert_eq!(status, 200, "{renewed}");
    let new_access = renewed["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    assert_ne!(renewed["refresh_token"], refresh);
    let ok = post(&linear, Some(&format!("Bearer {new_access}")), "query { viewer { id } }", json!({})).await;
    assert_eq!(ok.status, 200);
    // Refresh tokens rotate: the old one is spent.
    let (status, spent) = token(&linear, &renew).await;
    assert_eq!((status, spent["error"].as_str()), (400, Some("invalid_grant")));
    linear.assert_no_violations();
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let linear = LinearDouble::start(config().token_lifetime(Duration::from_millis(200))).await.unwrap();
    let (_, pairs) = authorize(&linear, &app_params("s")).await;
    let code = value(&pairs, "code").unwrap().to_string();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    let (_, body) = token(&linear, &form).await;
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    assert_eq!(post(&linear, Some(&bearer), "query { viewer { id } }", json!({})).await.status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(post(&linear, Some(&bearer), "query { viewer { id } }", json!({})).await.status, 401);
}

#[tokio::test]
async fn actor_user_acts_as_the_approver_and_denial_redirects() {
    let linear = start().await;
    linear.set_authorize_decision(AuthorizeDecision::Approve { user_id: GRACE.into() });
    let mut params = app_params("s2");
    params.retain(|(k, _)| *k != "actor");
    let (_, pairs) = authorize(&linear, &params).await;
    let code = value(&pairs, "code").unwrap().to_string();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    let (_, body) = token(&linear, &form).await;
    let grant = linear.token_grant(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(grant.user_id, GRACE);

    linear.set_authorize_decision(AuthorizeDecision::Deny);
    let (status, pairs) = authorize(&linear, &app_params("s3")).await;
    assert_eq!(status, 302);
    assert_eq!(value(&pairs, "error"), Some("access_denied"));
    assert_eq!(value(&pairs, "state"), Some("s3"));
    assert_eq!(value(&pairs, "code"), None);
    linear.assert_no_violations();
}

#[tokio::test]
async fn refuses_bad_requests() {
    let linear = start().await;
    let mut params = app_params("s");
    params[1] = ("redirect_uri", "http://127.0.0.1:9/elsewhere");
    let (status, pairs) = authorize(&linear, &params).await;
    assert_eq!((status, pairs.len()), (400, 0));
    assert!(linear.violations()[0].contains("redirect_uri"));
    linear.clear_violations();

    let mut params = app_params("s");
    params[3] = ("scope", "read write");
    assert_eq!(authorize(&linear, &params).await.0, 400);
    assert!(linear.violations()[0].contains("comma-separated"));
    linear.clear_violations();

    let wrong_secret = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", "nope"),
    ];
    let (status, body) = token(&linear, &wrong_secret).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));

    let json_body =
        no_redirects().post(linear.token_url()).json(&json!({"grant_type": "refresh_token"})).send().await.unwrap();
    assert_eq!(json_body.status().as_u16(), 400);
    assert!(linear.violations()[0].contains("x-www-form-urlencoded"));
}

#[tokio::test]
async fn pkce_checks_the_verifier() {
    use base64::Engine;
    use sha2::Digest;
    let linear = start().await;
    let verifier = "a-long-random-verifier-string-of-the-product-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier));
    let mut params = app_params("p");
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    for (attempt, expected) in [("wrong-verifier", 400), (verifier, 200)] {
        let (_, pairs) = authorize(&linear, &params).await;
        let code = value(&pairs, "code").unwrap().to_string();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", DEFAULT_CLIENT_ID),
            ("client_secret", DEFAULT_CLIENT_SECRET),
            ("code_verifier", attempt),
        ];
        assert_eq!(token(&linear, &form).await.0, expected, "{attempt}");
    }
}
