//! Installing the Linear app (docs/linear.md): an admin follows
//! `GET /api/integrations/linear/install` to Linear's consent page with `actor=app` (the agent
//! acts as the app's own user, not as the admin), and Linear sends them back to
//! `GET /api/integrations/linear/callback` with a code, traded for the app's token, which is
//! sealed in D1 with its refresh token. [`token`] hands it out and renews it when it expires.
//!
//! Invariant: a callback is taken only with the `state` this browser was given (a cookie set by
//! the install route, for admins only); the tokens are never shown, logged or given to a
//! sandbox.

use oi_protocol::integrations::IntegrationName;
use serde::{Deserialize, Serialize};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::auth::cookies::{cleared_cookie, private_cookie, request_cookie};
use crate::config::{secret, var};
use crate::http::query_param;
use crate::ids;
use crate::integrations::settings;

const STATE_COOKIE: &str = "oi_linear_state";
const COOKIE_PATH: &str = "/api/integrations/linear";
const STATE_TTL_SECS: i64 = 600;
/// What the app asks for: read and write, and to be assigned and mentioned as an agent.
pub const SCOPES: &str = "read,write,app:assignable,app:mentionable";
/// Where the sealed token is kept (an integration secret no admin types in).
const TOKEN_SECRET: &str = "oauth_token";
/// A token this close to its expiry is renewed first.
const RENEW_BEFORE_MS: i64 = 5 * 60 * 1000;

/// The app's OAuth client (`LINEAR_CLIENT_ID`, secret `LINEAR_CLIENT_SECRET`), and where Linear
/// is (`LINEAR_OAUTH_BASE` for the consent page, default `https://linear.app`;
/// `LINEAR_API_BASE` for the API and the token endpoint, default `https://api.linear.app`).
pub struct Client {
    pub client_id: String,
    client_secret: String,
    pub oauth_base: String,
    pub api_base: String,
}

pub fn client(env: &Env) -> Option<Client> {
    let trim = |s: String| s.trim_end_matches('/').to_string();
    Some(Client {
        client_id: var(env, "LINEAR_CLIENT_ID")?,
        client_secret: secret(env, "LINEAR_CLIENT_SECRET")?,
        oauth_base: trim(var(env, "LINEAR_OAUTH_BASE").unwrap_or_else(|| "https://linear.app".into())),
        api_base: trim(var(env, "LINEAR_API_BASE").unwrap_or_else(|| "https://api.linear.app".into())),
    })
}

/// The token as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeptToken {
    access_token: String,
    refresh_token: Option<String>,
    /// Milliseconds since the Unix epoch; `None`: Linear gave no lifetime.
    expires_at: Option<i64>,
}

/// Linear's answer at `/oauth/token`.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

fn redirect_uri(req: &Request, env: &Env) -> String {
    format!("{}{COOKIE_PATH}/callback", crate::auth::guard::own_origin(req, env))
}

fn redirect(location: &str, cookie: &str) -> worker::Result<Response> {
    let mut response = Response::empty()?.with_status(302);
    response.headers_mut().set("location", location)?;
    response.headers_mut().set("cache-control", "no-store")?;
    response.headers_mut().append("set-cookie", cookie)?;
    Ok(response)
}

fn enc(s: &str) -> String {
    crate::auth::cookies::percent_encode(s)
}

/// `GET /api/integrations/linear/install` (admins): to Linear's consent page.
pub async fn install(req: &Request, env: &Env) -> crate::http::Outcome<Response> {
    settings::admin(req, env).await?;
    let client = client(env).ok_or_else(not_configured)?;
    let state = ids::new_token()[..32].to_string();
    let location = format!(
        "{}/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&scope={}&state={state}&actor=app",
        client.oauth_base,
        enc(&client.client_id),
        enc(&redirect_uri(req, env)),
        enc(SCOPES)
    );
    Ok(redirect(&location, &private_cookie(STATE_COOKIE, &state, COOKIE_PATH, STATE_TTL_SECS))?)
}

fn not_configured() -> oi_protocol::ApiError {
    oi_protocol::ApiError::new(
        oi_protocol::ErrorCode::Misconfigured,
        "the Linear app is not configured: set LINEAR_CLIENT_ID and the secret LINEAR_CLIENT_SECRET",
    )
}

/// `GET /api/integrations/linear/callback` (admins): the code traded for the app's token.
pub async fn callback(req: &Request, env: &Env) -> crate::http::Outcome<Response> {
    settings::admin(req, env).await?;
    let client = client(env).ok_or_else(not_configured)?;
    let url = req.url()?;
    let bad = |why: &str| oi_protocol::ApiError::new(oi_protocol::ErrorCode::InvalidRequest, why.to_string());
    if let Some(error) = query_param(&url, "error") {
        return Err(bad(&format!("Linear did not install the app: {error}")).into());
    }
    let (Some(code), Some(state)) = (query_param(&url, "code"), query_param(&url, "state")) else {
        return Err(bad("the callback is missing its `code` or `state`").into());
    };
    let expected = request_cookie(req, STATE_COOKIE).unwrap_or_default();
    if expected.is_empty() || !ids::constant_time_eq(&expected, &state) {
        return Err(bad("the callback's `state` is not the one this browser was given: start the install again").into());
    }
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", &redirect_uri(req, env)),
        ("client_id", &client.client_id),
        ("client_secret", &client.client_secret),
    ];
    let answer = token_request(&client, &form).await?;
    keep(env, &answer).await?;
    let mut response = redirect("/settings/integrations", &cleared_cookie(STATE_COOKIE, COOKIE_PATH))?;
    response.headers_mut().set("cache-control", "no-store")?;
    Ok(response)
}

async fn token_request(client: &Client, form: &[(&str, &str)]) -> crate::http::Outcome<TokenAnswer> {
    let body: String = form.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
    let headers = Headers::new();
    headers.set("content-type", "application/x-www-form-urlencoded")?;
    headers.set("accept", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let request = Request::new_with_init(&format!("{}/oauth/token", client.api_base), &init)?;
    let mut response = Fetch::Request(request).send().await?;
    let status = response.status_code();
    let text = response.text().await.unwrap_or_default();
    if status != 200 {
        return Err(oi_protocol::ApiError::new(
            oi_protocol::ErrorCode::UpstreamUnavailable,
            format!("Linear refused the token request ({status}): {}", oi_integrations::cut_chars(&text, 300)),
        )
        .into());
    }
    serde_json::from_str(&text).map_err(|e| {
        oi_protocol::ApiError::new(oi_protocol::ErrorCode::UpstreamUnavailable, format!("Linear's token answer: {e}"))
            .into()
    })
}

async fn keep(env: &Env, answer: &TokenAnswer) -> worker::Result<()> {
    let kept = KeptToken {
        access_token: answer.access_token.clone(),
        refresh_token: answer.refresh_token.clone(),
        expires_at: answer.expires_in.map(|s| ids::now_ms() + s * 1000),
    };
    settings::keep_secret(env, IntegrationName::Linear, TOKEN_SECRET, &serde_json::to_string(&kept)?).await
}

/// The app's access token, renewed first when it is about to expire (or `force`d, after Linear
/// answered 401); `Err` says why there is none.
pub async fn token(env: &Env, force_renew: bool) -> Result<String, String> {
    let keys = crate::secrets::keys::key_ring(env).map_err(|e| e.message)?;
    let kept = settings::secret(env, IntegrationName::Linear, TOKEN_SECRET, &keys)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the Linear app is not installed: an admin installs it from Settings → Integrations → Linear")?;
    let kept: KeptToken = serde_json::from_str(&kept).map_err(|e| format!("the kept Linear token: {e}"))?;
    let expiring = kept.expires_at.is_some_and(|at| at - RENEW_BEFORE_MS <= ids::now_ms());
    if !force_renew && !expiring {
        return Ok(kept.access_token);
    }
    let refresh =
        kept.refresh_token.ok_or("the Linear token expired and has no refresh token: install the app again")?;
    let client = client(env).ok_or("LINEAR_CLIENT_ID or LINEAR_CLIENT_SECRET is not set")?;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", &client.client_id),
        ("client_secret", &client.client_secret),
    ];
    let answer = token_request(&client, &form).await.map_err(|e| match e {
        crate::http::Failure::Api(e) => e.message,
        crate::http::Failure::Internal(e) => e.to_string(),
    })?;
    let answer = TokenAnswer { refresh_token: answer.refresh_token.or(Some(refresh)), ..answer };
    keep(env, &answer).await.map_err(|e| e.to_string())?;
    Ok(answer.access_token)
}
