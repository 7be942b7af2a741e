//! `/api/me` (with the local-mode name picker) and `/api/models`, and the list filters that go
//! with them.

use oi_protocol::client::ServerMessage;
use oi_protocol::rest::{CreateSessionRequest, Me, ModelList};
use oi_protocol::ErrorCode;
use oi_testkit::{ControlPlane, ControlPlaneOptions};

#[tokio::test]
async fn without_local_mode_everyone_is_the_configured_user() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let me: Me = cp.api().raw("GET", "/api/me", None).await?.json()?;
    assert_eq!((me.user.id.as_str(), me.local_mode), ("local", false));
    let res = cp.api().raw("PUT", "/api/me", Some(r#"{"name":"Ada"}"#)).await?;
    assert_eq!(res.status, 403);
    assert_eq!(res.error()?.error.code, ErrorCode::Forbidden);
    let models: ModelList = cp.api().raw("GET", "/api/models", None).await?.json()?;
    assert_eq!(models.default_model, "scripted/test-model");
    assert_eq!(models.models[0].id, "scripted/test-model");
    Ok(())
}

#[tokio::test]
async fn in_local_mode_a_browser_picks_who_it_is() -> anyhow::Result<()> {
    let cp = ControlPlane::start_with(ControlPlaneOptions {
        vars: vec![
            ("LOCAL_IDENTITY_PICKER".into(), "true".into()),
            (
                "MODEL_PROVIDERS".into(),
                r#"[{"id":"scripted","api":"openai_compatible","base_url":"http://127.0.0.1:1/v1","test_model":true,"models":["test-model"]},{"id":"local","api":"openai_compatible","base_url":"http://127.0.0.1:2/v1","models":["qwen","llama"]}]"#.into(),
            ),
        ],
        ..Default::default()
    })
    .await?;
    // Every request carries this run's local token (scripts/run's link, or a bearer).
    let http = reqwest::Client::builder()
        .default_headers(
            [(reqwest::header::AUTHORIZATION, format!("Bearer {}", cp.local_token()).parse()?)].into_iter().collect(),
        )
        .build()?;
    let base = cp.base_url();
    let res = http.put(format!("{base}/api/me")).body(r#"{"name":"Ada Lovelace"}"#).send().await?;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str()?.split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("oi_local_user=Ada%20Lovelace"), "{cookie}");
    let me: Me = http.get(format!("{base}/api/me")).header("cookie", &cookie).send().await?.json().await?;
    assert_eq!(
        (me.user.id.as_str(), me.user.name.as_str(), me.local_mode),
        ("local-ada-lovelace", "Ada Lovelace", true)
    );
    let bad = http.put(format!("{base}/api/me")).body(r#"{"name":""}"#).send().await?;
    assert_eq!(bad.status(), 400);

    // Ada's session is hers; the configured user's is not.
    let ada: oi_protocol::SessionSummary = http
        .post(format!("{base}/api/sessions"))
        .header("cookie", &cookie)
        .json(&CreateSessionRequest { repo: "acme/web".into(), title: Some("Ada's fix".into()), ..Default::default() })
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(ada.created_by.name, "Ada Lovelace");
    cp.api().create_session(&CreateSessionRequest { repo: "acme/api".into(), ..Default::default() }).await?;
    let mine: oi_protocol::rest::SessionList =
        http.get(format!("{base}/api/sessions?mine=true")).header("cookie", &cookie).send().await?.json().await?;
    assert_eq!(mine.sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec![ada.id.as_str()]);
    let all = cp.api().list_sessions("").await?;
    assert_eq!(all.sessions.len(), 2);
    let found = cp.api().list_sessions("?q=fix").await?;
    assert_eq!(found.sessions.len(), 1, "title search");
    let found = cp.api().list_sessions("?q=ACME%2Fap").await?;
    assert_eq!(found.sessions[0].repo, "acme/api", "repository search, any case");
    assert!(cp.api().list_sessions("?q=%25").await?.sessions.is_empty(), "wildcards are literal");
    assert_eq!(cp.api().raw("GET", "/api/sessions?mine=maybe", None).await?.status, 400);

    // Over the socket, presence names the person the cookie named when the token was minted.
    let token = oi_testkit::mint_ws_token(&cp.client_endpoint(), &ada.id, Some(&cookie)).await?;
    let url = format!("{}/api/sessions/{}/ws?token={}", cp.ws_url(), ada.id, token.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    use futures_util::{SinkExt, StreamExt};
    ws.send(tokio_tungstenite::tungstenite::Message::Text(r#"{"type":"subscribe"}"#.into())).await?;
    loop {
        let frame = ws.next().await.unwrap()?;
        if let Ok(ServerMessage::Presence { participants }) = serde_json::from_str::<ServerMessage>(frame.to_text()?) {
            assert_eq!(participants[0].user.name, "Ada Lovelace");
            break;
        }
    }

    let models: ModelList = cp.api().raw("GET", "/api/models", None).await?.json()?;
    let ids: Vec<(&str, bool)> = models.models.iter().map(|m| (m.id.as_str(), m.test_model)).collect();
    assert_eq!(ids, vec![("scripted/test-model", true), ("local/qwen", false), ("local/llama", false)]);
    Ok(())
}

/// Local mode no longer means "no credential = the local admin": only this run's token lets
/// anyone in, as a bearer or through the cookie the link trades it for; a new run (a new token)
/// ends the old cookies.
#[tokio::test]
async fn local_mode_lets_in_only_this_runs_token() -> anyhow::Result<()> {
    let mut cp = ControlPlane::start().await?;
    let anonymous = cp.api().anonymous();
    for path in ["/api/sessions", "/api/me", "/api/secrets"] {
        let refused = anonymous.raw("GET", path, None).await?;
        assert_eq!(refused.status, 401, "{path}: {}", refused.body);
        assert!(refused.error()?.error.message.contains("scripts/run"), "{}", refused.body);
    }
    let wrong = anonymous.clone().with_token("0000000000000000000000000000000000000000000000000000000000000000");
    assert_eq!(wrong.raw("GET", "/api/sessions", None).await?.status, 401);
    assert_eq!(cp.api().raw("GET", "/api/sessions", None).await?.status, 200, "the bearer token");
    let health: oi_protocol::rest::Health = anonymous.raw("GET", "/api/health", None).await?.json()?;
    assert_eq!(health.auth, oi_protocol::rest::AuthMode::Local, "the page learns what to ask for");

    // The link: a wrong token gets no cookie; the right one a cookie that lets the browser in.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let base = cp.base_url();
    let refused = http.get(format!("{base}/auth/local?token=nope")).send().await?;
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());
    let link = format!("{base}/auth/local?token={}&return_to=/sessions/ses_1", cp.local_token());
    let traded = http.get(link).send().await?;
    assert_eq!(traded.status(), 303);
    assert_eq!(traded.headers()["location"], "/sessions/ses_1");
    let cookie = traded.headers()["set-cookie"].to_str()?.split(';').next().unwrap().to_string();
    let me = http.get(format!("{base}/api/me")).header("cookie", &cookie).send().await?;
    assert_eq!(me.status(), 200);
    let elsewhere = format!("{base}/auth/local?token={}&return_to=/%09/evil.example", cp.local_token());
    assert_eq!(http.get(elsewhere).send().await?.headers()["location"], "/", "no open redirect");

    // A new run: the old cookie and token open nothing.
    cp.restart_with_vars(&[("LOCAL_TOKEN", "1111111111111111111111111111111111111111111111111111111111111111")])
        .await?;
    let after = http.get(format!("{base}/api/me")).header("cookie", &cookie).send().await?;
    assert_eq!(after.status(), 401);
    Ok(())
}
