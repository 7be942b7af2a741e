//! Sign-in with GitHub against the GitHub double: the OAuth flow, the allowlist, roles, the
//! state check, rate limits; and local mode refusing a public URL.

mod common;

use common::*;
use oi_protocol::rest::{AuthMode, Me};
use oi_protocol::{ErrorBody, ErrorCode, Role};
use oi_testkit::{ControlPlane, ControlPlaneOptions};

#[tokio::test]
async fn github_sign_in_sets_a_private_session_cookie_and_the_first_user_is_admin() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut browser = stack.browser();

    // Not signed in: 401 naming where to sign in.
    let me = browser.send("GET", "/api/me", None, None).await;
    assert_eq!(me.status(), 401);
    let body: ErrorBody = me.json().await?;
    assert_eq!(body.error.code, ErrorCode::Unauthorized);
    assert!(body.error.message.contains("/auth/github/login"), "{}", body.error.message);

    // The flow: our login redirects to GitHub with a state, GitHub back to our callback.
    let login = browser.send("GET", "/auth/github/login?return_to=/sessions", None, None).await;
    assert_eq!(login.status(), 302);
    let authorize = url::Url::parse(&location(&login))?;
    assert!(authorize.as_str().starts_with(&format!("{}/login/oauth/authorize", stack.github.url)));
    let q = |name: &str| authorize.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    assert_eq!(q("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(q("redirect_uri"), Some(format!("{}/auth/github/callback", stack.cp.base_url())));
    assert_eq!(q("scope").as_deref(), Some("read:user user:email read:org"));
    let state = q("state").unwrap();
    assert!(state.len() >= 32);
    let state_cookie = set_cookies(&login).into_iter().find(|c| c.starts_with("oi_oauth_state=")).unwrap();
    assert!(state_cookie.contains("HttpOnly") && state_cookie.contains("SameSite=Lax"), "{state_cookie}");

    let approved = browser.http.get(authorize.as_str()).send().await?;
    let callback = location(&approved);
    let done = browser.send("GET", &callback, None, None).await;
    assert_eq!(done.status(), 302, "{}", done.text().await?);
    assert_eq!(location(&done), "/sessions", "back where sign-in started");
    let session = set_cookies(&done).into_iter().find(|c| c.starts_with("oi_session=")).unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }

    // The code was exchanged with the app's secret, and the user read with the token.
    let exchange = stack.github.requests_to("/login/oauth/access_token");
    assert_eq!(exchange.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&exchange[0].body)?;
    assert_eq!(body["client_secret"], CLIENT_SECRET);
    assert_eq!(exchange[0].header("accept"), Some("application/json"));
    let user_call = &stack.github.requests_to("/user")[0];
    assert!(user_call.header("authorization").unwrap().starts_with("Bearer gho_"));
    assert_eq!(user_call.header("x-github-api-version"), Some("2022-11-28"));

    let me: Me = browser.send("GET", "/api/me", None, None).await.json().await?;
    assert_eq!(
        (me.user.id.as_str(), me.user.name.as_str(), me.user.email.as_str()),
        ("gh-1", "Ada Lovelace", "ada@acme.test")
    );
    assert_eq!((me.role, me.auth, me.local_mode), (Role::Admin, AuthMode::Github, false));

    // The second person is a member; signing out clears the cookie.
    let mut grace = stack.sign_in("grace").await?;
    let me: Me = grace.send("GET", "/api/me", None, None).await.json().await?;
    assert_eq!((me.user.id.as_str(), me.role), ("gh-2", Role::Member));
    let out = grace.send("POST", "/auth/logout", None, None).await;
    assert_eq!(out.status(), 204);
    assert!(set_cookies(&out)[0].contains("Max-Age=0"));
    assert_eq!(grace.send("GET", "/api/me", None, None).await.status(), 401);
    Ok(())
}

#[tokio::test]
async fn outsiders_a_wrong_state_and_a_bad_code_are_refused() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;

    // Mallory is in no allowed organisation: a clear "not allowed" page, no session.
    stack.github.set_authorizing_user("mallory");
    let mut mallory = stack.browser();
    let done = mallory.sign_in().await?;
    assert_eq!(done.status(), 403);
    let page = done.text().await?;
    assert!(page.contains("Not allowed") && page.contains("not a member of an allowed organisation"), "{page}");
    assert!(mallory.cookie("oi_session").is_none());

    // A callback whose state is not this browser's.
    stack.github.set_authorizing_user("ada");
    let mut ada = stack.browser();
    let login = ada.send("GET", "/auth/github/login", None, None).await;
    let approved = ada.http.get(location(&login)).send().await?;
    let forged = location(&approved).replace("state=", "state=0000");
    let refused = ada.send("GET", &forged, None, None).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await?.contains("does not match"));
    assert!(ada.cookie("oi_session").is_none());

    // A callback without this browser's state cookie (another browser, or too late).
    let mut other = stack.browser();
    let login = ada.send("GET", "/auth/github/login", None, None).await;
    let approved = ada.http.get(location(&login)).send().await?;
    let refused = other.send("GET", &location(&approved), None, None).await;
    assert_eq!(refused.status(), 400);

    // A code GitHub does not know: its error is shown, no session.
    let login = ada.send("GET", "/auth/github/login", None, None).await;
    let state = url::Url::parse(&location(&login))?.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let bad = ada.send("GET", &format!("/auth/github/callback?code=nope&state={state}"), None, None).await;
    assert_eq!(bad.status(), 502);
    assert!(bad.text().await?.contains("bad_verification_code"));
    assert!(ada.cookie("oi_session").is_none());
    Ok(())
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() -> anyhow::Result<()> {
    let stack = GithubStack::start(&[]).await?;
    let mut browser = stack.browser();
    for _ in 0..20 {
        assert_eq!(browser.send("GET", "/auth/github/login", None, None).await.status(), 302);
    }
    let limited = browser.send("GET", "/auth/github/login", None, None).await;
    assert_eq!(limited.status(), 429);
    let body: ErrorBody = limited.json().await?;
    assert_eq!(body.error.code, ErrorCode::RateLimited);
    assert!(body.error.message.contains("sign-in attempts"), "{}", body.error.message);
    Ok(())
}

#[tokio::test]
async fn local_mode_refuses_a_public_url_unless_overridden() -> anyhow::Result<()> {
    let vars = |extra: &[(&str, &str)]| ControlPlaneOptions {
        vars: [("AUTH_MODE", "local"), ("PUBLIC_URL", "https://inspect.example.com")]
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    let cp = ControlPlane::start_with(vars(&[])).await?;
    let refused = cp.api().raw("GET", "/api/sessions", None).await?;
    assert_eq!(refused.status, 503);
    let error = refused.error()?.error;
    assert_eq!(error.code, ErrorCode::Misconfigured);
    assert!(error.message.contains("PUBLIC_URL") && error.message.contains("ALLOW_LOCAL_MODE_ON_PUBLIC_URL"));
    drop(cp);

    let cp = ControlPlane::start_with(vars(&[("ALLOW_LOCAL_MODE_ON_PUBLIC_URL", "true")])).await?;
    assert_eq!(cp.api().raw("GET", "/api/sessions", None).await?.status, 200);
    Ok(())
}

/// A web session forged with the deployment's key for `person`, issued `age_secs` ago and
/// signed in `signed_in_secs` ago.
fn session_cookie_for(person: &Me, age_secs: i64, signed_in_secs: i64) -> String {
    use oi_session_core::auth::web_session::{issue, SigningKeys, WebClaims, ISSUER, SESSION_TTL_SECS, WEB_AUDIENCE};
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = WebClaims {
        sub: person.user.id.clone(),
        login: person.user.login.clone().unwrap_or_default(),
        name: person.user.name.clone(),
        email: person.user.email.clone(),
        role: person.role,
        iat: now - age_secs,
        exp: now - age_secs + SESSION_TTL_SECS,
        aud: WEB_AUDIENCE.into(),
        iss: ISSUER.into(),
        jti: format!("forged-{age_secs}-{signed_in_secs}"),
        auth_time: now - signed_in_secs,
    };
    let keys = SigningKeys { current: ("k1".into(), SIGNING_KEY.as_bytes().to_vec()), previous: None };
    format!("oi_session={}", issue(&claims, &keys))
}

async fn me_with(stack: &GithubStack, cookie: &str) -> (u16, Option<String>, String) {
    let answer =
        http_client().get(format!("{}/api/me", stack.cp.base_url())).header("cookie", cookie).send().await.unwrap();
    let renewed = set_cookies(&answer).into_iter().find(|c| c.starts_with("oi_session="));
    (answer.status().as_u16(), renewed, answer.text().await.unwrap())
}

/// Signing out revokes the session (a kept cookie opens nothing); a rotation re-reads the role
/// and the allowlist (a removed person's session ends there); no session outlives a week from
/// its sign-in.
#[tokio::test]
async fn sessions_end_on_sign_out_removal_and_after_a_week() -> anyhow::Result<()> {
    let mut stack = GithubStack::start(&[]).await?;
    let _ada = stack.sign_in("ada").await?;
    let mut grace = stack.sign_in("grace").await?;
    let me: Me = grace.send("GET", "/api/me", None, None).await.json().await?;
    assert_eq!(me.role, Role::Member);

    // Sign-out revokes: the same cookie, kept by hand, is refused afterwards.
    let kept = grace.cookie_header();
    assert_eq!(grace.send("POST", "/auth/logout", None, None).await.status(), 204);
    let (status, _, body) = me_with(&stack, &kept).await;
    assert_eq!(status, 401);
    assert!(body.contains("signed out"), "{body}");

    // A rotation re-reads the role: Grace is an admin now (configured), and her renewed
    // session says so.
    stack.cp.restart_with_vars(&[("ADMIN_GITHUB_LOGINS", "grace")]).await?;
    let due = session_cookie_for(&me, 2 * 3600, 2 * 3600);
    let (status, renewed, _) = me_with(&stack, &due).await;
    assert_eq!(status, 200);
    let renewed = renewed.expect("a rotated session").split(';').next().unwrap().to_string();
    let after: Me = serde_json::from_str(&me_with(&stack, &renewed).await.2)?;
    assert_eq!(after.role, Role::Admin, "the role as the deployment says now");

    // Removed from the allowlist: the rotation ends the session instead of renewing it.
    stack.cp.restart_with_vars(&[("ALLOWED_GITHUB_ORGS", "other")]).await?;
    let due = session_cookie_for(&me, 2 * 3600 + 1, 2 * 3600);
    let (_, renewed, _) = me_with(&stack, &due).await;
    assert!(renewed.is_none(), "no new session for a person no longer allowed");
    let (status, _, body) = me_with(&stack, &due).await;
    assert_eq!(status, 401, "{body}");

    // A week after signing in, no session works, rotated or not.
    stack.cp.restart_with_vars(&[("ALLOWED_GITHUB_ORGS", "acme")]).await?;
    let ancient = session_cookie_for(&me, 1800, 8 * 24 * 3600);
    let (status, _, body) = me_with(&stack, &ancient).await;
    assert_eq!(status, 401);
    assert!(body.contains("7 days"), "{body}");
    Ok(())
}
