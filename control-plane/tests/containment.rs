//! What a sandbox (or anything else on the machine) holding a sandbox token, or nothing, gets
//! from the control plane: only its own session's sandbox routes (issue 15). Each case was open
//! before.

use oi_protocol::rest::CreateSessionRequest;
use oi_testkit::ControlPlane;

#[tokio::test]
async fn a_sandbox_token_opens_no_person_route() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let api = cp.api();
    let private = api
        .create_session(&CreateSessionRequest {
            repo: "/srv/app.git".into(),
            private: Some(true),
            ..Default::default()
        })
        .await?;
    let mine = api.create_session(&CreateSessionRequest { repo: "/srv/app.git".into(), ..Default::default() }).await?;
    let attached = api.attach_sandbox(&mine.id).await?;
    let sandbox = api.anonymous().with_token(&attached.token);
    let tries = [
        ("GET", "/api/sessions".to_string()),
        ("GET", format!("/api/sessions/{}", private.id)),
        ("GET", format!("/api/sessions/{}", mine.id)),
        ("GET", format!("/api/sessions/{}/pull-request", private.id)),
        ("GET", format!("/api/sessions/{}/pull-request", mine.id)),
        ("POST", format!("/api/sessions/{}/pull-request", mine.id)),
        ("POST", format!("/api/sessions/{}/sandbox/attach", private.id)),
        ("POST", format!("/api/sessions/{}/prompts", mine.id)),
        ("GET", "/api/secrets".to_string()),
        ("PUT", "/api/secrets/STOLEN".to_string()),
        ("GET", "/api/models".to_string()),
        ("GET", "/api/me".to_string()),
    ];
    for (method, path) in tries {
        let answer = sandbox.raw(method, &path, Some("{}")).await?;
        assert_eq!(answer.status, 401, "{method} {path} with a sandbox token: {}", answer.body);
        let nothing = api.anonymous().raw(method, &path, Some("{}")).await?;
        assert_eq!(nothing.status, 401, "{method} {path} with no credential: {}", nothing.body);
    }
    // Its own sandbox route takes it (404: no pull request is open yet, but the token passed).
    let own = sandbox.raw("POST", &format!("/api/sessions/{}/sandbox/pull-request", mine.id), None).await?;
    assert_eq!(own.status, 409, "{}", own.body);
    // Another session's sandbox route does not.
    let other = sandbox.raw("POST", &format!("/api/sessions/{}/sandbox/pull-request", private.id), None).await?;
    assert_eq!(other.status, 401, "{}", other.body);
    Ok(())
}

#[tokio::test]
async fn local_mode_refuses_requests_that_came_through_a_proxy() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    let http = reqwest::Client::new();
    for header in ["x-forwarded-for", "forwarded", "x-forwarded-host", "x-real-ip"] {
        let answer = http
            .get(format!("{}/api/sessions", cp.base_url()))
            .bearer_auth(cp.local_token())
            .header(header, "203.0.113.7")
            .send()
            .await?;
        assert_eq!(answer.status(), 403, "{header}");
        assert!(answer.text().await?.contains("proxy"));
    }
    assert_eq!(cp.api().raw("GET", "/api/sessions", None).await?.status, 200, "a direct request is served");
    Ok(())
}

/// Every page the web app is served from says what may load in it: scripts and images from
/// this origin only (a remote image in a transcript would load in every viewer's browser), no
/// framing.
#[tokio::test]
async fn pages_are_served_with_a_content_security_policy() -> anyhow::Result<()> {
    let cp = ControlPlane::start().await?;
    for path in ["/", "/sessions/ses_1", "/pkg/oi_web.js", "/boot.js"] {
        let answer = reqwest::get(format!("{}{path}", cp.base_url())).await?;
        let csp = answer.headers().get("content-security-policy").map(|v| v.to_str().unwrap_or("").to_string());
        let csp = csp.unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        for directive in ["script-src 'self' 'wasm-unsafe-eval'", "img-src 'self' data:", "frame-ancestors 'none'"] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    let page = reqwest::get(format!("{}/auth/local?token=nope", cp.base_url())).await?;
    assert!(page.headers()["content-security-policy"].to_str()?.contains("default-src 'none'"));
    Ok(())
}

/// Each person has a budget of new sessions and prompts an hour (small here, to see it end).
#[tokio::test]
async fn a_persons_sessions_and_prompts_have_an_hourly_budget() -> anyhow::Result<()> {
    let vars = [("QUOTA_SESSIONS_PER_HOUR", "2"), ("QUOTA_PROMPTS_PER_HOUR", "1"), ("LOCAL_IDENTITY_PICKER", "true")];
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let cp = ControlPlane::start_with(oi_testkit::ControlPlaneOptions { vars, ..Default::default() }).await?;
    let api = cp.api();
    let new = || CreateSessionRequest { repo: "/srv/app.git".into(), ..Default::default() };
    let first = api.create_session(&new()).await?;
    api.create_session(&new()).await?;
    let third = api.raw("POST", "/api/sessions", Some(&serde_json::to_string(&new())?)).await?;
    assert_eq!(third.status, 429, "{}", third.body);
    assert!(third.body.contains("new sessions this hour"), "{}", third.body);
    let ada = api.as_local_user("Ada");
    assert_eq!(
        ada.raw("POST", "/api/sessions", Some(&serde_json::to_string(&new())?)).await?.status,
        201,
        "per person"
    );

    let prompt = |id: &str| serde_json::json!({"text": "hi", "client_request_id": id}).to_string();
    let path = format!("/api/sessions/{}/prompts", first.id);
    assert_eq!(api.raw("POST", &path, Some(&prompt("p1"))).await?.status, 202);
    let second = api.raw("POST", &path, Some(&prompt("p2"))).await?;
    assert_eq!(second.status, 429, "{}", second.body);
    assert!(second.body.contains("prompts this hour"), "{}", second.body);
    Ok(())
}
