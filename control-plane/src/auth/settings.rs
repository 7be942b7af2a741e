//! The identity settings of a deployment, read from the Worker's environment
//! (docs/security.md lists them).

use oi_protocol::rest::AuthMode;
use oi_session_core::auth::allowlist::Allowlist;
use oi_session_core::auth::web_session::SigningKeys;
use worker::Env;

use crate::config::{secret, var};

/// How people sign in (`AUTH_MODE`: `local` or `github`). Unset means `github`, so a deployment
/// never runs without sign-in by accident; wrangler.toml sets `local` for `scripts/run`.
pub fn auth_mode(env: &Env) -> AuthMode {
    match var(env, "AUTH_MODE").as_deref() {
        Some("local") => AuthMode::Local,
        _ => AuthMode::Github,
    }
}

/// Local mode's token for this run (`LOCAL_TOKEN`, a secret `scripts/run` makes).
pub fn local_token(env: &Env) -> Option<String> {
    secret(env, "LOCAL_TOKEN")
}

/// Whether local mode may answer on a public URL (`ALLOW_LOCAL_MODE_ON_PUBLIC_URL=true`).
pub fn local_mode_override(env: &Env) -> bool {
    var(env, "ALLOW_LOCAL_MODE_ON_PUBLIC_URL").as_deref() == Some("true")
}

/// The deployment's public origin (`PUBLIC_URL`), when configured.
pub fn public_url(env: &Env) -> Option<String> {
    var(env, "PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string())
}

/// GitHub's OAuth settings.
pub struct GithubOauth {
    pub client_id: String,
    pub client_secret: String,
    /// `https://github.com`, or a test double.
    pub oauth_base: String,
    /// `https://api.github.com`, or a test double.
    pub api_base: String,
}

pub fn github_oauth(env: &Env) -> Option<GithubOauth> {
    Some(GithubOauth {
        client_id: var(env, "GITHUB_CLIENT_ID")?,
        client_secret: secret(env, "GITHUB_CLIENT_SECRET")?,
        oauth_base: var(env, "GITHUB_OAUTH_BASE")
            .unwrap_or_else(|| "https://github.com".to_string())
            .trim_end_matches('/')
            .to_string(),
        api_base: var(env, "GITHUB_API_BASE")
            .unwrap_or_else(|| "https://api.github.com".to_string())
            .trim_end_matches('/')
            .to_string(),
    })
}

/// Who may sign in.
pub fn allowlist(env: &Env) -> Allowlist {
    Allowlist::parse(
        var(env, "ALLOWED_GITHUB_LOGINS").as_deref(),
        var(env, "ALLOWED_GITHUB_ORGS").as_deref(),
        var(env, "ALLOWED_EMAIL_DOMAINS").as_deref(),
    )
}

/// GitHub logins that are always admins (`ADMIN_GITHUB_LOGINS`).
pub fn admin_logins(env: &Env) -> Vec<String> {
    var(env, "ADMIN_GITHUB_LOGINS")
        .map(|v| v.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

/// The shortest signing key accepted, in bytes: HS256 with less is guessable.
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

/// The keys that sign web sessions: `SESSION_SIGNING_KEY` (with `SESSION_SIGNING_KEY_ID`),
/// and while rotating, `SESSION_SIGNING_KEY_PREVIOUS` (with `SESSION_SIGNING_KEY_PREVIOUS_ID`).
/// A key shorter than [`MIN_SIGNING_KEY_BYTES`] counts as none (sign-in then answers that it is
/// misconfigured).
pub fn signing_keys(env: &Env) -> Option<SigningKeys> {
    let current = secret(env, "SESSION_SIGNING_KEY").filter(|k| k.len() >= MIN_SIGNING_KEY_BYTES)?;
    let current_id = var(env, "SESSION_SIGNING_KEY_ID").unwrap_or_else(|| "k1".to_string());
    let previous = secret(env, "SESSION_SIGNING_KEY_PREVIOUS")
        .filter(|k| k.len() >= MIN_SIGNING_KEY_BYTES)
        .map(|key| (var(env, "SESSION_SIGNING_KEY_PREVIOUS_ID").unwrap_or_else(|| "k0".to_string()), key.into_bytes()));
    Some(SigningKeys { current: (current_id, current.into_bytes()), previous })
}
