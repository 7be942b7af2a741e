//! Sign-in with GitHub: `GET /auth/github/login`, `GET /auth/github/callback`,
//! `POST /auth/logout` (docs/security.md, "Sign-in").

use oi_protocol::User;
use oi_session_core::auth::allowlist::{check_allowed, needs_orgs, GithubIdentity};
use oi_session_core::auth::web_session::{self, WebClaims, ISSUER, WEB_AUDIENCE};
use worker::{Env, Request, Response};

use super::cookies::{cleared_cookie, percent_decode, percent_encode, private_cookie, request_cookie};
use super::github_api::{self, GithubError};
use super::{guard, pages, session_cookie, settings, users_store, SESSION_COOKIE};
use crate::http::query_param;
use crate::ids;

/// The cookie that carries the OAuth `state` (and where to go after) through GitHub.
const STATE_COOKIE: &str = "oi_oauth_state";
const STATE_TTL_SECS: i64 = 600;
const SCOPES: &str = "read:user user:email read:org";

fn callback_url(req: &Request, env: &Env) -> String {
    format!("{}/auth/github/callback", guard::own_origin(req, env))
}

use oi_session_core::auth::origin::safe_return_to;

fn redirect(location: &str, cookies: &[String]) -> worker::Result<Response> {
    let mut response = Response::empty()?.with_status(302);
    let headers = response.headers_mut();
    headers.set("location", location)?;
    headers.set("cache-control", "no-store")?;
    for c in cookies {
        headers.append("set-cookie", c)?;
    }
    Ok(response)
}

pub async fn login(req: &Request, env: &Env) -> worker::Result<Response> {
    let Some(oauth) = settings::github_oauth(env) else {
        return pages::page(503, "Sign-in is not configured", "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.");
    };
    let url = req.url()?;
    let state = ids::new_token()[..32].to_string();
    let return_to = safe_return_to(query_param(&url, "return_to").as_deref());
    let cookie = private_cookie(
        STATE_COOKIE,
        &format!("{state}.{}", percent_encode(&return_to)),
        "/auth/github",
        STATE_TTL_SECS,
    );
    let location = format!(
        "{}/login/oauth/authorize?client_id={}&redirect_uri={}&state={state}&scope={}&allow_signup=false",
        oauth.oauth_base,
        percent_encode(&oauth.client_id),
        percent_encode(&callback_url(req, env)),
        percent_encode(SCOPES)
    );
    redirect(&location, &[cookie])
}

pub async fn callback(req: &Request, env: &Env) -> worker::Result<Response> {
    let Some(oauth) = settings::github_oauth(env) else {
        return pages::page(503, "Sign-in is not configured", "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.");
    };
    let Some(keys) = settings::signing_keys(env) else {
        return pages::page(503, "Sign-in is not configured", "Set SESSION_SIGNING_KEY.");
    };
    let url = req.url()?;
    let clear_state = cleared_cookie(STATE_COOKIE, "/auth/github");
    if let Some(error) = query_param(&url, "error") {
        let why = query_param(&url, "error_description").unwrap_or(error);
        return pages::page(400, "Sign-in was not completed", &format!("GitHub said: {why}"));
    }
    let expected = request_cookie(req, STATE_COOKIE).and_then(|v| {
        let (state, return_to) = v.split_once('.')?;
        Some((state.to_string(), percent_decode(return_to)))
    });
    let (Some(code), Some(state)) = (query_param(&url, "code"), query_param(&url, "state")) else {
        return pages::page(400, "Sign-in failed", "The callback is missing its `code` or `state`.");
    };
    let Some((expected_state, return_to)) = expected else {
        return pages::page(
            400,
            "Sign-in failed",
            "The sign-in took too long or started in another browser; try again.",
        );
    };
    if !ids::constant_time_eq(&expected_state, &state) {
        return pages::page(400, "Sign-in failed", "The `state` does not match this browser's sign-in; try again.");
    }
    let person = match fetch_person(&oauth, &code, &callback_url(req, env), env).await {
        Ok(p) => p,
        Err(SignInError::NotAllowed(why)) => return pages::page(403, "Not allowed", &why),
        Err(SignInError::Github(e)) => return pages::page(502, "Sign-in failed", &e.to_string()),
    };
    let (user, github, token, identity) = person;
    let role = users_store::sign_in(env, &user, &github, &identity, &settings::admin_logins(env)).await?;
    // Kept sealed, so the person's pull requests are opened as them (docs/github.md).
    crate::github::keep_user_token(env, &user.id, &token).await;
    let now = ids::now_ms() / 1000;
    let claims = WebClaims {
        sub: user.id,
        login: github.login,
        name: user.name,
        email: user.email,
        role,
        iat: now,
        exp: now + web_session::SESSION_TTL_SECS,
        aud: WEB_AUDIENCE.to_string(),
        iss: ISSUER.to_string(),
        jti: ids::new_token()[..32].to_string(),
        auth_time: now,
    };
    let token = web_session::issue(&claims, &keys);
    redirect(&safe_return_to(Some(&return_to)), &[clear_state, session_cookie(&token)])
}

/// Ends the web session: revoked (so the cookie opens nothing even if kept), and cleared.
pub async fn logout(req: &Request, env: &Env) -> worker::Result<Response> {
    if let Ok(claims) = super::session_claims(req, env) {
        super::revoked::revoke(env, &claims.jti, claims.exp).await?;
    }
    let mut response = Response::empty()?.with_status(204);
    response.headers_mut().set("set-cookie", &cleared_cookie(SESSION_COOKIE, "/"))?;
    Ok(response)
}

enum SignInError {
    NotAllowed(String),
    Github(GithubError),
}

impl From<GithubError> for SignInError {
    fn from(e: GithubError) -> Self {
        SignInError::Github(e)
    }
}

/// The code exchange, the user, their verified emails (and organisations when the allowlist
/// names any), then the allowlist.
async fn fetch_person(
    oauth: &settings::GithubOauth,
    code: &str,
    redirect_uri: &str,
    env: &Env,
) -> Result<(User, github_api::GithubUser, github_api::UserToken, GithubIdentity), SignInError> {
    let token = github_api::exchange_code(oauth, code, redirect_uri).await?;
    let github = github_api::user(oauth, &token.access_token).await?;
    let emails = github_api::emails(oauth, &token.access_token).await?;
    let list = settings::allowlist(env);
    let orgs = if needs_orgs(&list) { github_api::orgs(oauth, &token.access_token).await? } else { vec![] };
    let identity = GithubIdentity {
        login: github.login.clone(),
        verified_emails: emails.iter().filter(|e| e.verified).map(|e| e.email.clone()).collect(),
        orgs: orgs.into_iter().map(|o| o.login).collect(),
    };
    check_allowed(&list, &identity).map_err(|e| SignInError::NotAllowed(e.to_string()))?;
    let email = emails
        .iter()
        .find(|e| e.primary && e.verified)
        .map(|e| e.email.clone())
        .unwrap_or_else(|| format!("{}+{}@users.noreply.github.com", github.id, github.login));
    let user = User {
        id: format!("gh-{}", github.id),
        name: github.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| github.login.clone()),
        email,
        login: Some(github.login.clone()),
    };
    Ok((user, github, token, identity))
}
