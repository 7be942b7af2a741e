//! Bad input gets a clear error with the right status, and nothing already accepted is lost.

use oi_protocol::client::{ClientMessage, ServerMessage};
use oi_protocol::limits::MAX_PROMPT_CHARS;
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::ErrorCode;
use oi_testkit::{Api, ClientSocket, ControlPlane};

#[tokio::test]
async fn rest_errors_name_the_problem_and_change_nothing() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let s = api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?;
    api.prompt(&s.id, &Api::prompt_request("keep me")).await?;
    let before = api.session(&s.id).await?;

    let prompts = format!("/api/sessions/{}/prompts", s.id);
    /// method, path, body, status, code, a word the message must contain
    type Case = (&'static str, String, Option<String>, u16, ErrorCode, &'static str);
    let cases: Vec<Case> = vec![
        ("POST", "/api/sessions".into(), Some("{\"repo\":".into()), 400, ErrorCode::BadJson, "not valid JSON"),
        ("POST", "/api/sessions".into(), Some("{}".into()), 400, ErrorCode::InvalidRequest, "repo"),
        (
            "POST",
            "/api/sessions".into(),
            Some(r#"{"repo":"  "}"#.into()),
            400,
            ErrorCode::InvalidRequest,
            "`repo` must not be empty",
        ),
        (
            "POST",
            "/api/sessions".into(),
            Some(r#"{"repo":"https://169.254.169.254/latest/meta-data"}"#.into()),
            400,
            ErrorCode::InvalidRequest,
            "private network",
        ),
        (
            "POST",
            "/api/sessions".into(),
            Some(r#"{"repo":"https://git.example.com/app.git?upload-pack=x"}"#.into()),
            400,
            ErrorCode::InvalidRequest,
            "query",
        ),
        (
            "POST",
            "/api/sessions".into(),
            Some(r#"{"repo":"acme/a","branch":"-x"}"#.into()),
            400,
            ErrorCode::InvalidRequest,
            "branch",
        ),
        (
            "POST",
            "/api/sessions".into(),
            Some(r#"{"repo":"acme/a","model":"nope"}"#.into()),
            400,
            ErrorCode::InvalidRequest,
            "provider/model",
        ),
        ("POST", prompts.clone(), Some("[1,2".into()), 400, ErrorCode::BadJson, "not valid JSON"),
        ("POST", prompts.clone(), Some(r#"{"text":"hi"}"#.into()), 400, ErrorCode::InvalidRequest, "client_request_id"),
        (
            "POST",
            prompts.clone(),
            Some(r#"{"text":"  ","client_request_id":"e1"}"#.into()),
            400,
            ErrorCode::PromptEmpty,
            "empty",
        ),
        (
            "POST",
            prompts.clone(),
            Some(format!(r#"{{"text":"{}","client_request_id":"e2"}}"#, "y".repeat(MAX_PROMPT_CHARS + 5))),
            413,
            ErrorCode::PromptTooLong,
            "64005",
        ),
        (
            "POST",
            prompts.clone(),
            Some(format!(r#"{{"text":"hi","client_request_id":"{}"}}"#, "r".repeat(129))),
            400,
            ErrorCode::InvalidRequest,
            "client_request_id",
        ),
        (
            "POST",
            prompts.clone(),
            Some(r#"{"text":"hi","client_request_id":"e3","model":"x"}"#.into()),
            400,
            ErrorCode::InvalidRequest,
            "provider/model",
        ),
        (
            "POST",
            prompts.clone(),
            Some(format!(r#"{{"text":"{}","client_request_id":"e4"}}"#, "z".repeat(1_100_000))),
            413,
            ErrorCode::PayloadTooLarge,
            "limit",
        ),
        (
            "GET",
            "/api/sessions/ses_0000000000000000000000000000".into(),
            None,
            404,
            ErrorCode::SessionNotFound,
            "no session",
        ),
        ("GET", "/api/sessions/not-an-id/events".into(), None, 404, ErrorCode::SessionNotFound, "no session"),
        ("GET", format!("/api/sessions/{}/events?after=-1", s.id), None, 400, ErrorCode::InvalidRequest, "`after`"),
        ("GET", prompts.clone(), None, 405, ErrorCode::MethodNotAllowed, "GET"),
        ("PUT", "/api/sessions".into(), None, 405, ErrorCode::MethodNotAllowed, "PUT"),
        ("GET", format!("/api/sessions/{}/nope", s.id), None, 404, ErrorCode::NotFound, "no route"),
        ("GET", "/api/nothing-here".into(), None, 404, ErrorCode::NotFound, "no route"),
    ];
    for (method, path, body, status, code, needle) in cases {
        let res = api.raw(method, &path, body.as_deref()).await?;
        let label = format!("{method} {}", &path[..path.len().min(60)]);
        assert_eq!(res.status, status, "{label}: {}", &res.body[..res.body.len().min(300)]);
        let e = res.error()?.error;
        assert_eq!(e.code, code, "{label}");
        assert!(e.message.contains(needle), "{label}: {:?} should mention {needle:?}", e.message);
    }

    let after = api.session(&s.id).await?;
    assert_eq!(after.queue, before.queue, "the accepted prompt is still queued, alone");
    assert_eq!(after.last_seq, before.last_seq, "no event was written");
    assert_eq!(api.list_sessions("").await?.sessions.len(), 1, "no session was created");
    Ok(())
}

#[tokio::test]
async fn socket_errors_name_the_problem_and_the_socket_goes_on() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let s = api.create_session(&CreateSessionRequest { repo: "/srv/git/app.git".into(), ..Default::default() }).await?;
    let (mut client, _) = ClientSocket::join(&cp.client_endpoint(), &s.id, None).await?;

    client.send_raw("{\"type\":\"prompt\",").await?;
    assert_eq!(client.wait_error().await?.code, ErrorCode::BadJson);
    client.send_raw(r#"{"type":"dance"}"#).await?;
    let e = client.wait_error().await?;
    assert_eq!(e.code, ErrorCode::UnknownMessageType);
    assert!(e.message.contains("dance") && e.message.contains("subscribe"), "{}", e.message);
    client.send_raw(r#"{"type":"prompt","text":42}"#).await?;
    assert_eq!(client.wait_error().await?.code, ErrorCode::InvalidRequest);
    client.send_raw(r#"{"no_type":true}"#).await?;
    assert_eq!(client.wait_error().await?.code, ErrorCode::InvalidRequest);

    let long = ClientMessage::Prompt {
        text: "w".repeat(MAX_PROMPT_CHARS + 1),
        client_request_id: "big".into(),
        model: None,
        attachments: Vec::new(),
    };
    client.send(&long).await?;
    let refused = client
        .recv_until(|m| match m {
            ServerMessage::Error { error, client_request_id } => Some((error.code, client_request_id.clone())),
            _ => None,
        })
        .await?;
    assert_eq!(refused, (ErrorCode::PromptTooLong, Some("big".into())));

    client.send(&ClientMessage::Ping).await?;
    client.recv_until(|m| matches!(m, ServerMessage::Pong).then_some(())).await?;
    client
        .send(&ClientMessage::Prompt {
            text: "fine".into(),
            client_request_id: "ok".into(),
            model: None,
            attachments: Vec::new(),
        })
        .await?;
    client
        .recv_until(|m| {
            matches!(m, ServerMessage::PromptAccepted { client_request_id, .. } if client_request_id == "ok")
                .then_some(())
        })
        .await?;
    let state = api.session(&s.id).await?;
    assert_eq!(state.queue.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), vec!["fine"]);

    let unknown = ClientSocket::connect(&cp.client_endpoint(), "ses_0000000000000000000000000000").await;
    let err = format!("{:#}", unknown.unwrap_err());
    assert!(err.contains("404"), "{err}");
    Ok(())
}
