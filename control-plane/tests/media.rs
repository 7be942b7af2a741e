//! Media against the built Worker in workerd, with wrangler's local R2: attachments a person
//! uploads and a prompt carries, the agent's screenshots (sandbox token), reads with `Range`,
//! access, evidence links, and uploads refused with the right status and nothing stored.

use oi_protocol::events::EventBody;
use oi_protocol::media::{MediaInfo, MediaKind, MediaType, MAX_IMAGE_BYTES};
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::ErrorCode;
use oi_testkit::media::png;
use oi_testkit::{Api, ControlPlane, ControlPlaneOptions, SECRETS_KEY};

async fn start() -> anyhow::Result<ControlPlane> {
    let vars = [("LOCAL_IDENTITY_PICKER", "true"), ("SECRETS_KEY", SECRETS_KEY)];
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await
}

fn new_session(private: bool) -> CreateSessionRequest {
    CreateSessionRequest { repo: "/srv/git/app.git".into(), private: Some(private), ..Default::default() }
}

#[tokio::test]
async fn an_attachment_is_stored_read_back_by_range_and_carried_by_a_prompt() -> anyhow::Result<()> {
    let cp = start().await?;
    let api = cp.api();
    let s = api.create_session(&new_session(false)).await?;
    let image = png(64, 48, [200, 30, 30]);
    let stored = api.upload_attachment(&s.id, "red box.png", &image, "image/png").await?;
    assert_eq!(
        (stored.kind, stored.content_type, stored.size, stored.width, stored.height),
        (MediaKind::Attachment, MediaType::Png, image.len() as u64, Some(64), Some(48))
    );
    assert_eq!(stored.name, "red box.png");
    assert_eq!(stored.url, format!("/api/sessions/{}/media/{}", s.id, stored.media_id));

    let whole = api.get_bytes(&stored.url, &[]).await?;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, image);
    assert_eq!(whole.header("content-type"), Some("image/png"));
    assert_eq!(whole.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));

    let part = api.get_bytes(&stored.url, &[("range", "bytes=1-3")]).await?;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, image[1..=3]);
    assert_eq!(part.header("content-range"), Some(format!("bytes 1-3/{}", image.len()).as_str()));
    let past = api.get_bytes(&stored.url, &[("range", "bytes=999999-")]).await?;
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some(format!("bytes */{}", image.len()).as_str()));
    let error: oi_protocol::ErrorBody = serde_json::from_slice(&past.body)?;
    assert_eq!(error.error.code, ErrorCode::RangeNotSatisfiable);

    let mut request = Api::prompt_request("What colour is this box?");
    request.attachments = vec![stored.media_id.clone()];
    api.prompt(&s.id, &request).await?;
    // No sandbox here: the prompt fails to boot, and its user_message carries the attachment.
    let again = api
        .raw(
            "POST",
            &format!("/api/sessions/{}/prompts", s.id),
            Some(&serde_json::to_string(&{
                let mut r = Api::prompt_request("Again");
                r.attachments = vec![stored.media_id.clone()];
                r
            })?),
        )
        .await?;
    assert_eq!(again.status, 400, "an attachment goes with one prompt: {}", again.body);
    assert!(again.body.contains("no attachment"), "{}", again.body);
    let unknown = api.raw("GET", &format!("/api/sessions/{}/media/med_nope", s.id), None).await?;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    Ok(())
}

#[tokio::test]
async fn bad_uploads_are_refused_with_the_right_status_and_store_nothing() -> anyhow::Result<()> {
    let cp = start().await?;
    let api = cp.api();
    let s = api.create_session(&new_session(false)).await?;
    let path = |name: &str| format!("/api/sessions/{}/attachments?name={name}", s.id);
    let image = png(8, 8, [0, 0, 0]);
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    type Case<'a> = (&'a str, String, &'a [u8], Option<&'a str>, u16, ErrorCode, &'a str);
    let cases: Vec<Case> = vec![
        ("html", path("a.png"), &html, Some("image/png"), 415, ErrorCode::UnsupportedMediaType, "not a PNG"),
        (
            "svg declared",
            path("a.svg"),
            &image,
            Some("image/svg+xml"),
            415,
            ErrorCode::UnsupportedMediaType,
            "bytes are image/png",
        ),
        ("empty", path("e.png"), b"", Some("image/png"), 400, ErrorCode::InvalidRequest, "empty"),
        (
            "no name",
            format!("/api/sessions/{}/attachments", s.id),
            &image,
            None,
            400,
            ErrorCode::InvalidRequest,
            "name",
        ),
        ("path in name", path("..%2Fx.png"), &image, None, 400, ErrorCode::InvalidRequest, "file name"),
    ];
    for (what, path, body, content_type, status, code, needle) in cases {
        let res = api.post_bytes(&path, body, content_type).await?;
        assert_eq!(res.status, status, "{what}: {}", res.body);
        let error = res.error()?;
        assert_eq!(error.error.code, code, "{what}");
        assert!(error.error.message.contains(needle), "{what}: {}", error.error.message);
    }
    // A body over the limit is refused from its Content-Length, before it is read.
    let (status, body) = declare_only(&cp, &path("big.png"), MAX_IMAGE_BYTES + 1).await?;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large") && body.contains("limit"), "{body}");
    // Nothing was kept: a prompt may carry no attachment, and the log has no media.
    let events = api.events(&s.id, 0, 100).await?;
    assert!(events.events.iter().all(|e| !matches!(e.body, EventBody::Artifact(_))));
    // The sandbox route wants the sandbox's token.
    let upload = format!("/api/sessions/{}/sandbox/media?kind=screenshot&name=a.png", s.id);
    let res = api.post_bytes(&upload, &image, Some("image/png")).await?;
    assert_eq!(res.status, 401, "{}", res.body);
    Ok(())
}

/// Sends only the head of a `POST` that declares `length` bytes of body, and reads the answer
/// (the server must answer without waiting for the body).
async fn declare_only(cp: &ControlPlane, path: &str, length: u64) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", cp.port())).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {}\r\nContent-Type: image/png\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n",
        cp.port(),
        cp.local_token()
    );
    stream.write_all(head.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut answer)).await??;
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, text))
}

#[tokio::test]
async fn the_agents_screenshot_is_an_artifact_with_access_checks_and_an_evidence_link() -> anyhow::Result<()> {
    let cp = start().await?;
    let api = cp.api();
    let ada = api.as_local_user("Ada");
    let bob = api.as_local_user("Bob");
    let s = ada.create_session(&new_session(true)).await?;
    let token = ada.attach_sandbox(&s.id).await?.token;
    let sandbox = api.anonymous().with_token(&token);
    let image = png(1280, 800, [240, 240, 240]);
    let upload = format!(
        "/api/sessions/{}/sandbox/media?kind=screenshot&name=home.png&caption=The+home+page&source_url=http%3A%2F%2F127.0.0.1%3A3000%2F&evidence=true",
        s.id
    );
    let res = sandbox.post_bytes(&upload, &image, Some("image/png")).await?;
    assert_eq!(res.status, 201, "{}", res.body);
    let shot: MediaInfo = res.json()?;
    assert_eq!(
        (shot.kind, shot.width, shot.height, shot.evidence),
        (MediaKind::Screenshot, Some(1280), Some(800), true)
    );
    assert_eq!(shot.caption.as_deref(), Some("The home page"));

    let events = ada.events(&s.id, 0, 100).await?;
    let artifact = events.events.iter().find_map(|e| match &e.body {
        EventBody::Artifact(a) => Some(a.media.clone()),
        _ => None,
    });
    assert_eq!(artifact.as_ref(), Some(&shot), "the upload is logged as an artifact event");

    assert_eq!(ada.get_bytes(&shot.url, &[]).await?.body, image);
    let refused = bob.get_bytes(&shot.url, &[]).await?;
    assert_eq!(refused.status, 403, "another member's private session");
    assert!(api.anonymous().get_bytes(&shot.url, &[]).await?.status == 401, "nobody signed in");
    // The sandbox reads its session's media with its token, and no other way.
    let read = sandbox.get_bytes(&format!("/api/sessions/{}/sandbox/media/{}", s.id, shot.media_id), &[]).await?;
    assert_eq!((read.status, read.body.len()), (200, image.len()));

    // The evidence link opens that piece, for anyone holding it; a wrong key opens nothing.
    let key = oi_session_core::media::link::key(SECRETS_KEY.as_bytes(), &s.id, &shot.media_id);
    let shared = format!("/api/sessions/{}/shared-media/{}", s.id, shot.media_id);
    let opened = api.anonymous().get_bytes(&format!("{shared}?key={key}"), &[]).await?;
    assert_eq!((opened.status, opened.body.len()), (200, image.len()));
    let other_key = oi_session_core::media::link::key(SECRETS_KEY.as_bytes(), &s.id, "med_other");
    for wrong in [String::new(), "00".repeat(32), other_key] {
        let res = api.anonymous().get_bytes(&format!("{shared}?key={wrong}"), &[]).await?;
        assert_eq!(res.status, 403, "key {wrong:?}");
    }

    // Deleting the session takes its media with it.
    ada.delete_session(&s.id).await?;
    assert_eq!(ada.get_bytes(&shot.url, &[]).await?.status, 404);
    Ok(())
}
