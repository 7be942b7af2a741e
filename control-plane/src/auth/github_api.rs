//! The few GitHub calls sign-in makes: the OAuth code exchange, the user, their emails and
//! organisations. Shapes follow GitHub's REST API (docs/security.md, "Sign-in").

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use super::settings::GithubOauth;

/// Why a GitHub call failed, in words for the sign-in page (never a token).
#[derive(Debug)]
pub struct GithubError(pub String);

impl std::fmt::Display for GithubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The token endpoint's request: a code exchange, or a refresh (`grant_type=refresh_token`).
#[derive(Serialize)]
struct TokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grant_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

/// `POST /login/oauth/access_token` with `Accept: application/json`. GitHub answers 200 both
/// for a token and for an error such as `bad_verification_code`.
#[derive(Deserialize)]
struct ExchangeAnswer {
    access_token: Option<String>,
    /// Set for a GitHub App's user tokens (8 hours); OAuth Apps' tokens do not expire.
    expires_in: Option<i64>,
    /// A GitHub App's refresh token (6 months), which trades for a new pair.
    refresh_token: Option<String>,
    refresh_token_expires_in: Option<i64>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GithubUser {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GithubEmail {
    pub email: String,
    pub primary: bool,
    pub verified: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GithubOrg {
    pub login: String,
}

fn headers(pairs: &[(&str, &str)]) -> Result<Headers, GithubError> {
    let h = Headers::new();
    for (k, v) in pairs {
        h.set(k, v).map_err(|e| GithubError(e.to_string()))?;
    }
    Ok(h)
}

async fn send(request: Request) -> Result<(u16, String), GithubError> {
    let mut response =
        Fetch::Request(request).send().await.map_err(|e| GithubError(format!("GitHub is unreachable: {e}")))?;
    let text = response.text().await.map_err(|e| GithubError(e.to_string()))?;
    Ok((response.status_code(), text))
}

/// The user's token from the code exchange.
pub struct UserToken {
    pub access_token: String,
    /// Seconds it lives, when GitHub says.
    pub expires_in: Option<i64>,
    /// A GitHub App's refresh token, and the seconds it lives.
    pub refresh_token: Option<String>,
    pub refresh_token_expires_in: Option<i64>,
}

/// Exchanges an OAuth `code` for the user's access token.
pub async fn exchange_code(oauth: &GithubOauth, code: &str, redirect_uri: &str) -> Result<UserToken, GithubError> {
    let request = TokenRequest {
        client_id: &oauth.client_id,
        client_secret: &oauth.client_secret,
        code: Some(code),
        redirect_uri: Some(redirect_uri),
        grant_type: None,
        refresh_token: None,
    };
    token_endpoint(oauth, &request, "the sign-in code").await
}

/// Trades a GitHub App user's refresh token for a new token pair (the old pair stops working).
pub async fn refresh(oauth: &GithubOauth, refresh_token: &str) -> Result<UserToken, GithubError> {
    let request = TokenRequest {
        client_id: &oauth.client_id,
        client_secret: &oauth.client_secret,
        code: None,
        redirect_uri: None,
        grant_type: Some("refresh_token"),
        refresh_token: Some(refresh_token),
    };
    token_endpoint(oauth, &request, "the refresh token").await
}

/// `POST /login/oauth/access_token`; `what` names what was presented, for the error.
async fn token_endpoint(oauth: &GithubOauth, request: &TokenRequest<'_>, what: &str) -> Result<UserToken, GithubError> {
    let body = serde_json::to_string(request).map_err(|e| GithubError(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers(&[
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("user-agent", "open-inspect"),
        ])?)
        .with_body(Some(body.into()));
    let url = format!("{}/login/oauth/access_token", oauth.oauth_base);
    let request = Request::new_with_init(&url, &init).map_err(|e| GithubError(e.to_string()))?;
    let (status, text) = send(request).await?;
    if status != 200 {
        return Err(GithubError(format!("GitHub's token endpoint answered {status}")));
    }
    let answer: ExchangeAnswer = serde_json::from_str(&text)
        .map_err(|_| GithubError("GitHub's token endpoint sent an unreadable answer".into()))?;
    match (answer.access_token, answer.error) {
        (Some(token), None) if !token.is_empty() => Ok(UserToken {
            access_token: token,
            expires_in: answer.expires_in,
            refresh_token: answer.refresh_token.filter(|t| !t.is_empty()),
            refresh_token_expires_in: answer.refresh_token_expires_in,
        }),
        (_, Some(error)) => Err(GithubError(format!(
            "GitHub refused {what}: {error}{}",
            answer.error_description.map(|d| format!(" ({d})")).unwrap_or_default()
        ))),
        _ => Err(GithubError("GitHub's token endpoint sent no token".into())),
    }
}

/// `GET {api}{path}` with the user's token.
async fn get<T: DeserializeOwned>(oauth: &GithubOauth, token: &str, path: &str) -> Result<T, GithubError> {
    let auth = format!("Bearer {token}");
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers(&[
        ("accept", "application/vnd.github+json"),
        ("x-github-api-version", "2022-11-28"),
        ("user-agent", "open-inspect"),
        ("authorization", &auth),
    ])?);
    let request =
        Request::new_with_init(&format!("{}{path}", oauth.api_base), &init).map_err(|e| GithubError(e.to_string()))?;
    let (status, text) = send(request).await?;
    if status != 200 {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or_default();
        return Err(GithubError(format!("GitHub answered {status} to GET {path}: {message}")));
    }
    serde_json::from_str(&text).map_err(|e| GithubError(format!("GitHub sent an unreadable answer to GET {path}: {e}")))
}

pub async fn user(oauth: &GithubOauth, token: &str) -> Result<GithubUser, GithubError> {
    get(oauth, token, "/user").await
}

pub async fn emails(oauth: &GithubOauth, token: &str) -> Result<Vec<GithubEmail>, GithubError> {
    get(oauth, token, "/user/emails?per_page=100").await
}

pub async fn orgs(oauth: &GithubOauth, token: &str) -> Result<Vec<GithubOrg>, GithubError> {
    get(oauth, token, "/user/orgs?per_page=100").await
}
