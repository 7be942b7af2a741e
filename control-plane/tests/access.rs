//! Access control with GitHub sign-in: bad web sessions, cross-site requests, who may do what
//! to a session, and WebSocket tokens. Each refusal has the right status and message and
//! changes nothing.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use oi_protocol::rest::{SessionList, WsTokenGrant};
use oi_protocol::{ErrorBody, ErrorCode, Role, SessionSummary};
use oi_session_core::auth::web_session::{issue, SigningKeys, WebClaims, ISSUER, WEB_AUDIENCE};

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims() -> WebClaims {
    WebClaims {
        sub: "gh-1".into(),
        login: "ada".into(),
        name: "Ada Lovelace".into(),
        email: "ada@acme.test".into(),
        role: Role::Admin,
        iat: now(),
        exp: now() + 3600,
        aud: WEB_AUDIENCE.into(),
        iss: ISSUER.into(),
        jti: "j1".into(),
        auth_time: now(),
    }
}

fn keys(secret: &str) -> SigningKeys {
    SigningKeys { current: ("k1".into(), secret.as_bytes().to_vec()), previous: None }
}

async fn error_of(response: reqwest::Response) -> (u16, ErrorBody) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("an error body"))
}

#[tokio::test]
async fn forged_expired_and_wrong_audience_sessions_are_refused() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut ada = stack.sign_in("ada").await?;
    let body = r#"{"repo":"acme/api"}"#;
    let own = stack.cp.base_url();
    let created = ada.send("POST", "/api/sessions", Some(body), Some(&own)).await;
    assert_eq!(created.status(), 201);

    let forged = [
        ("signed with another key", issue(&claims(), &keys("not-the-deployment-key")), "signature"),
        (
            "expired",
            issue(&WebClaims { iat: now() - 9000, exp: now() - 10, ..claims() }, &keys(SIGNING_KEY)),
            "expired",
        ),
        (
            "for another audience",
            issue(&WebClaims { aud: "someone-else".into(), ..claims() }, &keys(SIGNING_KEY)),
            "not meant for this service",
        ),
        (
            "from an unknown key",
            issue(&claims(), &SigningKeys { current: ("k9".into(), SIGNING_KEY.into()), previous: None }),
            "no longer uses",
        ),
        ("not a token", "garbage".to_string(), "malformed"),
    ];
    for (what, token, needle) in forged {
        let mut browser = stack.browser();
        browser.cookies.push(("oi_session".into(), token));
        let (status, error) = error_of(browser.send("POST", "/api/sessions", Some(body), Some(&own)).await).await;
        assert_eq!((status, error.error.code), (401, ErrorCode::Unauthorized), "{what}");
        assert!(error.error.message.contains(needle), "{what}: {}", error.error.message);
        let (status, _) = error_of(browser.send("GET", "/api/sessions", None, None).await).await;
        assert_eq!(status, 401, "{what}");
    }
    let list: SessionList = ada.send("GET", "/api/sessions", None, None).await.json().await?;
    assert_eq!(list.sessions.len(), 1, "nothing was created by a forged session");
    Ok(())
}

#[tokio::test]
async fn cross_site_requests_are_refused() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut ada = stack.sign_in("ada").await?;
    let body = r#"{"repo":"acme/api"}"#;
    let (status, error) =
        error_of(ada.send("POST", "/api/sessions", Some(body), Some("https://evil.example")).await).await;
    assert_eq!((status, error.error.code), (403, ErrorCode::Forbidden));
    assert!(error.error.message.contains("cross-origin"), "{}", error.error.message);
    let list: SessionList = ada.send("GET", "/api/sessions", None, None).await.json().await?;
    assert!(list.sessions.is_empty());
    assert_eq!(ada.send("POST", "/api/sessions", Some(body), Some(&stack.cp.base_url())).await.status(), 201);
    Ok(())
}

#[tokio::test]
async fn members_join_and_prompt_but_only_owners_and_admins_archive_and_delete() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut ada = stack.sign_in("ada").await?; // admin: the first to sign in
    let mut grace = stack.sign_in("grace").await?; // member
    let own = stack.cp.base_url();
    let ada_session: SessionSummary =
        ada.send("POST", "/api/sessions", Some(r#"{"repo":"acme/api"}"#), Some(&own)).await.json().await?;
    let grace_session: SessionSummary =
        grace.send("POST", "/api/sessions", Some(r#"{"repo":"acme/web"}"#), Some(&own)).await.json().await?;
    assert_eq!(grace_session.created_by.id, "gh-2");

    // A member views and prompts someone else's (shared) session...
    let path = format!("/api/sessions/{}", ada_session.id);
    assert_eq!(grace.send("GET", &path, None, None).await.status(), 200);
    let prompt = r#"{"text":"hello","client_request_id":"c1"}"#;
    assert_eq!(grace.send("POST", &format!("{path}/prompts"), Some(prompt), Some(&own)).await.status(), 202);
    // ...but may not archive or delete it.
    for (method, route) in [("POST", format!("{path}/archive")), ("DELETE", path.clone())] {
        let (status, error) = error_of(grace.send(method, &route, None, Some(&own)).await).await;
        assert_eq!((status, error.error.code), (403, ErrorCode::Forbidden), "{method} {route}");
        assert!(error.error.message.contains("owner or an admin"), "{}", error.error.message);
    }
    let state: oi_protocol::SessionState = ada.send("GET", &path, None, None).await.json().await?;
    assert!(!state.summary.archived, "the refused archive changed nothing");

    // The owner archives her own; an admin deletes anyone's.
    let grace_path = format!("/api/sessions/{}", grace_session.id);
    assert_eq!(grace.send("POST", &format!("{grace_path}/archive"), None, Some(&own)).await.status(), 200);
    assert_eq!(ada.send("DELETE", &grace_path, None, Some(&own)).await.status(), 204);
    Ok(())
}

#[tokio::test]
async fn websocket_tokens_open_one_socket_to_one_session() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut ada = stack.sign_in("ada").await?;
    let own = stack.cp.base_url();
    let body = r#"{"repo":"acme/api"}"#;
    let one: SessionSummary = ada.send("POST", "/api/sessions", Some(body), Some(&own)).await.json().await?;
    let two: SessionSummary = ada.send("POST", "/api/sessions", Some(body), Some(&own)).await.json().await?;
    let ws = |session: &str, token: &str| format!("{}/api/sessions/{session}/ws?token={token}", stack.cp.ws_url());

    // Not signed in: no token.
    let mut stranger = stack.browser();
    let (status, _) =
        error_of(stranger.send("POST", &format!("/api/sessions/{}/ws-token", one.id), None, None).await).await;
    assert_eq!(status, 401);

    let grant: WsTokenGrant =
        ada.send("POST", &format!("/api/sessions/{}/ws-token", one.id), None, Some(&own)).await.json().await?;
    assert!(grant.expires_at > 0);
    // Another session's token, no token, a made-up token: refused.
    for url in
        [ws(&two.id, &grant.token), format!("{}/api/sessions/{}/ws", stack.cp.ws_url(), one.id), ws(&one.id, "x")]
    {
        match tokio_tungstenite::connect_async(&url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401, "{url}"),
            other => panic!("{url} was not refused: {:?}", other.map(|_| ())),
        }
    }
    // The right one works once.
    let (socket, _) = tokio_tungstenite::connect_async(ws(&one.id, &grant.token)).await?;
    drop(socket);
    assert!(tokio_tungstenite::connect_async(ws(&one.id, &grant.token)).await.is_err(), "used up");
    Ok(())
}

#[tokio::test]
async fn a_private_session_is_hidden_from_other_members_but_not_from_admins() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut ada = stack.sign_in("ada").await?; // admin
    let mut grace = stack.sign_in("grace").await?;
    let mut linus = stack.sign_in("linus").await?;
    let own = stack.cp.base_url();
    let private: SessionSummary = grace
        .send("POST", "/api/sessions", Some(r#"{"repo":"acme/secret","private":true}"#), Some(&own))
        .await
        .json()
        .await?;
    assert!(private.private);
    let shared: SessionSummary =
        grace.send("POST", "/api/sessions", Some(r#"{"repo":"acme/open"}"#), Some(&own)).await.json().await?;
    assert!(!shared.private, "shared unless asked (SESSIONS_PRIVATE_BY_DEFAULT is off)");

    // Another member neither lists nor opens it, nor gets a socket token for it.
    let listed: SessionList = linus.send("GET", "/api/sessions", None, None).await.json().await?;
    assert_eq!(listed.sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec![shared.id.as_str()]);
    let path = format!("/api/sessions/{}", private.id);
    for (method, route) in [("GET", path.clone()), ("POST", format!("{path}/ws-token"))] {
        let (status, error) = error_of(linus.send(method, &route, None, Some(&own)).await).await;
        assert_eq!((status, error.error.code), (403, ErrorCode::Forbidden), "{method} {route}");
    }
    let prompt = r#"{"text":"peek","client_request_id":"c1"}"#;
    assert_eq!(linus.send("POST", &format!("{path}/prompts"), Some(prompt), Some(&own)).await.status(), 403);

    // Its owner and an admin do.
    assert_eq!(grace.send("GET", &path, None, None).await.status(), 200);
    assert_eq!(ada.send("GET", &path, None, None).await.status(), 200);
    let all: SessionList = ada.send("GET", "/api/sessions", None, None).await.json().await?;
    assert_eq!(all.sessions.len(), 2);
    let state: oi_protocol::SessionState = grace.send("GET", &path, None, None).await.json().await?;
    assert!(state.queue.is_empty(), "the refused prompt was not queued");
    Ok(())
}
