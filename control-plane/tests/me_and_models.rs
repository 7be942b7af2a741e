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
    let http = reqwest::Client::new();
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
    let token = oi_testkit::mint_ws_token(&cp.ws_url(), &ada.id, Some(&cookie)).await?;
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
