//! Sessions over REST: create, list (filter, pages), archive, delete (a real purge).

use oi_protocol::events::EventBody;
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::{ErrorCode, SessionStatus};
use oi_testkit::{Api, BridgeSocket, ClientSocket, ControlPlane};

fn repo(name: &str) -> CreateSessionRequest {
    CreateSessionRequest { repo: format!("/srv/git/{name}.git"), ..Default::default() }
}

#[tokio::test]
async fn create_get_and_list_with_filters_and_pages() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();

    let full = api
        .create_session(&CreateSessionRequest {
            repo: "acme/app".into(),
            branch: Some("develop".into()),
            model: Some("anthropic/claude-sonnet-4-6".into()),
            title: Some("Fix the login bug".into()),
            private: None,
        })
        .await?;
    assert_eq!((full.branch.as_str(), full.model.as_str()), ("develop", "anthropic/claude-sonnet-4-6"));
    assert_eq!(full.title.as_deref(), Some("Fix the login bug"));
    assert_eq!(full.created_by.id, "local");

    let state = api.session(&full.id).await?;
    assert_eq!(state.summary, full);
    assert_eq!(state.last_seq, 1, "session_created is the first event");

    let mut ids = vec![full.id.clone()];
    for i in 0..4 {
        let s = api.create_session(&repo(&format!("r{i}"))).await?;
        assert_eq!((s.branch.as_str(), s.model.as_str()), ("main", "scripted/test-model"));
        ids.push(s.id);
    }
    // A prompt makes one session `running` (no sandbox is attached, so it waits).
    api.prompt(&ids[2], &Api::prompt_request("hello")).await?;

    // Newest activity first, two at a time.
    let mut seen = vec![];
    let mut query = "?limit=2".to_string();
    loop {
        let page = api.list_sessions(&query).await?;
        assert!(page.sessions.len() <= 2);
        seen.extend(page.sessions.iter().map(|s| s.id.clone()));
        match page.next_cursor {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every session exactly once: {seen:?}");
    assert_eq!(seen[0], ids[2], "the prompted session moved to the top");

    let running = wait_for_status(&api, SessionStatus::Running).await?;
    assert_eq!(running, vec![ids[2].clone()]);
    let created = api.list_sessions("?status=created").await?;
    assert_eq!(created.sessions.len(), 4);

    for (query, needle) in [
        ("?status=bogus", "`status`"),
        ("?cursor=nope", "`cursor`"),
        ("?limit=x", "`limit`"),
        ("?archived=maybe", "`archived`"),
    ] {
        let res = api.raw("GET", &format!("/api/sessions{query}"), None).await?;
        assert_eq!(res.status, 400, "{query}");
        let e = res.error()?.error;
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.message.contains(needle), "{query}: {}", e.message);
    }
    Ok(())
}

/// The index is updated in the background; poll it briefly.
async fn wait_for_status(api: &Api, status: SessionStatus) -> anyhow::Result<Vec<String>> {
    for _ in 0..50 {
        let page = api.list_sessions(&format!("?status={}", status.as_str())).await?;
        if !page.sessions.is_empty() {
            return Ok(page.sessions.into_iter().map(|s| s.id).collect());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("no {status:?} session in the index")
}

#[tokio::test]
async fn archive_hides_a_session_and_refuses_prompts_until_unarchived() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let s = api.create_session(&repo("app")).await?;

    let archived = api.archive(&s.id, true).await?;
    assert!(archived.archived);
    let live = api.list_sessions("").await?;
    assert!(live.sessions.iter().all(|x| x.id != s.id));
    let mut listed = api.list_sessions("?archived=true").await?;
    for _ in 0..50 {
        if !listed.sessions.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        listed = api.list_sessions("?archived=true").await?;
    }
    assert_eq!(listed.sessions[0].id, s.id);

    let res = api
        .raw("POST", &format!("/api/sessions/{}/prompts", s.id), Some(r#"{"text":"hi","client_request_id":"a1"}"#))
        .await?;
    assert_eq!(res.status, 409);
    assert_eq!(res.error()?.error.code, ErrorCode::SessionArchived);

    assert!(!api.archive(&s.id, false).await?.archived);
    api.prompt(&s.id, &Api::prompt_request("hi")).await?;
    let events = api.events(&s.id, 0, 100).await?.events;
    let flags: Vec<bool> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Archived(a) => Some(a.archived),
            _ => None,
        })
        .collect();
    assert_eq!(flags, vec![true, false]);
    Ok(())
}

#[tokio::test]
async fn delete_purges_the_session_and_disconnects_everyone() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let s = api.create_session(&repo("app")).await?;
    let keep = api.create_session(&repo("other")).await?;
    api.prompt(&s.id, &Api::prompt_request("work")).await?;
    let attach = api.attach_sandbox(&s.id).await?;
    let mut bridge = BridgeSocket::connect_ready(&cp.ws_url(), &s.id, &attach.sandbox_id, &attach.token).await?;
    bridge.wait_prompt().await?;
    let (mut client, _) = ClientSocket::join(&cp.client_endpoint(), &s.id, None).await?;

    api.delete_session(&s.id).await?;

    let err = loop {
        if let Err(e) = client.recv().await {
            break e.to_string();
        }
    };
    assert!(err.contains("4404"), "client closed with 4404: {err}");
    let err = loop {
        if let Err(e) = bridge.recv().await {
            break e.to_string();
        }
    };
    assert!(err.contains("4410"), "bridge told to shut down with 4410: {err}");
    for path in ["", "/events", "/prompts"] {
        let method = if path == "/prompts" { "POST" } else { "GET" };
        let res = api.raw(method, &format!("/api/sessions/{}{path}", s.id), Some("{}")).await?;
        assert_eq!(res.status, 404, "{method} {path}");
        assert_eq!(res.error()?.error.code, ErrorCode::SessionNotFound);
    }
    assert!(ClientSocket::connect(&cp.client_endpoint(), &s.id).await.is_err(), "no socket for a deleted session");
    let listed = api.list_sessions("").await?;
    assert_eq!(listed.sessions.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(), vec![keep.id.as_str()]);
    assert_eq!(api.session(&keep.id).await?.last_seq, 1, "other sessions untouched");
    let res = api.raw("DELETE", &format!("/api/sessions/{}", s.id), None).await?;
    assert_eq!(res.status, 404, "deleting twice");
    Ok(())
}
