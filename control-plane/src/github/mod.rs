//! GitHub, wired into the Worker: the [`oi_source_control::github::GitHub`] provider built from
//! the deployment's settings, with `fetch` for HTTP and D1 (sealed) for its token cache; the
//! installation webhook and the repository picker's routes. Every GitHub API call goes through
//! the provider; nothing here builds a GitHub request itself.
//!
//! Settings: `GITHUB_APP_ID`, `GITHUB_APP_PRIVATE_KEY` (secret), `GITHUB_WEBHOOK_SECRET`
//! (secret), `GITHUB_API_BASE` (default `https://api.github.com`), `GITHUB_WEB_BASE` (where git
//! remotes live; default `GITHUB_OAUTH_BASE`, else `https://github.com`).

pub mod access;
mod http;
pub mod repos;
pub mod store;
pub mod webhook;

use oi_session_core::secrets::crypto::KeyRing;
use oi_source_control::github::{GitHub, GitHubApp};
use oi_source_control::{CachedToken, RepoRef, SourceControl, TokenCache};
use worker::Env;

use crate::config::{secret, var};

pub use http::WorkerHttp;

/// The provider as the Worker and the session objects use it.
pub type Provider = GitHub<WorkerHttp, D1TokenCache>;

/// Installation tokens in D1, sealed with the secrets key ring.
pub struct D1TokenCache {
    env: Env,
    keys: Option<KeyRing>,
}

impl TokenCache for D1TokenCache {
    async fn get(&self, key: &str) -> Option<CachedToken> {
        let keys = self.keys.as_ref()?;
        match store::token(&self.env, keys, key).await {
            Ok(Some((token, Some(expires_at)))) => Some(CachedToken { token, expires_at }),
            Ok(_) => None,
            Err(e) => {
                worker::console_error!("reading a cached GitHub token: {e}");
                None
            }
        }
    }

    async fn put(&self, key: &str, token: &CachedToken) {
        // Without a secrets key the token is used once and not kept.
        let Some(keys) = &self.keys else { return };
        if let Err(e) = store::put_token(&self.env, keys, key, &token.token, Some(token.expires_at)).await {
            worker::console_error!("caching a GitHub token: {e}");
        }
    }
}

fn now_secs() -> i64 {
    crate::ids::now_ms() / 1000
}

/// Where GitHub's web side is (git remotes, PR links).
pub fn web_base(env: &Env) -> String {
    var(env, "GITHUB_WEB_BASE")
        .or_else(|| var(env, "GITHUB_OAUTH_BASE"))
        .unwrap_or_else(|| "https://github.com".into())
        .trim_end_matches('/')
        .to_string()
}

/// The GitHub provider, when a GitHub App is configured.
pub fn provider(env: &Env) -> Option<Provider> {
    let app = GitHubApp {
        api_base: var(env, "GITHUB_API_BASE").unwrap_or_else(|| "https://api.github.com".into()),
        web_base: web_base(env),
        app_id: var(env, "GITHUB_APP_ID")?,
        private_key_pem: secret(env, "GITHUB_APP_PRIVATE_KEY")?,
    };
    let cache = D1TokenCache { env: env.clone(), keys: crate::secrets::keys::key_ring(env).ok() };
    Some(GitHub::new(app, WorkerHttp, cache, now_secs))
}

/// The GitHub repository a session's `repo` names, with its installation, when the App is
/// configured and installed on it.
pub async fn repo_ref(env: &Env, provider: &Provider, repo: &str) -> worker::Result<Option<RepoRef>> {
    let Some((owner, name)) = provider.recognise(repo) else { return Ok(None) };
    let found = store::repo(env, &format!("{owner}/{name}")).await?;
    // D1 matches the name case-insensitively; the request keeps the spelling the session used.
    Ok(found.map(|(installation, _)| RepoRef { owner, name, access: installation }))
}

/// The key a user's own GitHub token is kept under.
pub fn user_token_key(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The key a user's GitHub App refresh token is kept under.
fn user_refresh_key(user_id: &str) -> String {
    format!("user-refresh:{user_id}")
}

/// The user's own GitHub token from sign-in while it lives; an expired GitHub App token is
/// renewed with its refresh token (and the new pair kept). `None`: the App acts for them.
pub async fn user_token(env: &Env, user_id: &str) -> Option<String> {
    let keys = crate::secrets::keys::key_ring(env).ok()?;
    let now = now_secs();
    let live = |expires_at: Option<i64>| expires_at.is_none_or(|at| at > now);
    if let Ok(Some((token, expires_at))) = store::token(env, &keys, &user_token_key(user_id)).await {
        if live(expires_at) {
            return Some(token);
        }
    }
    let (refresh, expires_at) = store::token(env, &keys, &user_refresh_key(user_id)).await.ok()??;
    if !live(expires_at) {
        return None;
    }
    let oauth = crate::auth::settings::github_oauth(env)?;
    match crate::auth::github_api::refresh(&oauth, &refresh).await {
        Ok(renewed) => {
            keep_user_token(env, user_id, &renewed).await;
            Some(renewed.access_token)
        }
        Err(e) => {
            worker::console_error!("renewing a user's GitHub token: {e}");
            None
        }
    }
}

/// Keeps a user's tokens from sign-in or a refresh (sealed; not kept without a secrets key).
pub async fn keep_user_token(env: &Env, user_id: &str, token: &crate::auth::github_api::UserToken) {
    let Ok(keys) = crate::secrets::keys::key_ring(env) else { return };
    let now = now_secs();
    let mut kept =
        store::put_token(env, &keys, &user_token_key(user_id), &token.access_token, token.expires_in.map(|s| now + s))
            .await;
    if let (Ok(()), Some(refresh)) = (&kept, &token.refresh_token) {
        let expires_at = token.refresh_token_expires_in.map(|s| now + s);
        kept = store::put_token(env, &keys, &user_refresh_key(user_id), refresh, expires_at).await;
    }
    if let Err(e) = kept {
        worker::console_error!("keeping the user's GitHub token: {e}");
    }
}
