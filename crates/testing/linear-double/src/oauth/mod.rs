//! OAuth 2.0 for apps, as Linear's OAuth docs describe it (linear.app/developers,
//! "OAuth 2.0 authentication" and "OAuth actor authorization"; the contract is silent on OAuth):
//!
//! - [`authorize`]: `GET /oauth/authorize` (linear.app's path): the "user" approves at once as
//!   [`AuthorizeDecision`] says, and the browser is sent back with `code` and `state`.
//! - [`token`]: `POST /oauth/token` (api.linear.app's path): form-encoded `authorization_code`
//!   and `refresh_token` grants answering `{access_token, token_type: "Bearer", expires_in,
//!   scope, refresh_token}`; refresh tokens rotate.
//!
//! With `actor=app` the token acts as the app user; with `actor=user` (the default) as the
//! person who approved.

pub(crate) mod authorize;
pub(crate) mod token;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::LinearConfig;
use crate::ids;

/// What the person at the consent screen does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeDecision {
    /// Approves as this user (a workspace admin installing the app, for `actor=app`).
    Approve { user_id: String },
    /// Denies: the browser returns with `error=access_denied`.
    Deny,
}

/// Who a token acts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    User,
    App,
}

/// An access token the double issued or was configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenGrant {
    /// The user the token acts as (the app user for `actor=app`).
    pub user_id: String,
    pub actor: Actor,
    pub scopes: Vec<String>,
    /// `None`: never expires (configured tokens).
    pub expires_at: Option<Instant>,
}

impl TokenGrant {
    pub fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| Instant::now() >= at)
    }
}

/// A code waiting for its exchange.
#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    pub redirect_uri: String,
    pub grant: TokenGrant,
    pub issued: Instant,
    /// PKCE: `(code_challenge, code_challenge_method)`.
    pub challenge: Option<(String, String)>,
}

#[derive(Debug)]
pub(crate) struct OAuthState {
    pub decision: AuthorizeDecision,
    pub codes: HashMap<String, CodeGrant>,
    pub tokens: HashMap<String, TokenGrant>,
    /// Refresh token → the grant it renews (consumed on use: refresh tokens rotate).
    pub refresh_tokens: HashMap<String, TokenGrant>,
}

impl OAuthState {
    pub fn new(config: &LinearConfig) -> Self {
        let app = TokenGrant {
            user_id: config.app_user.id.clone(),
            actor: Actor::App,
            scopes: vec!["read".into(), "write".into()],
            expires_at: None,
        };
        let approver = config.users.first().unwrap_or(&config.app_user).id.clone();
        Self {
            decision: AuthorizeDecision::Approve { user_id: approver },
            codes: HashMap::new(),
            tokens: config.access_tokens.iter().map(|t| (t.clone(), app.clone())).collect(),
            refresh_tokens: HashMap::new(),
        }
    }

    /// Issues a new access/refresh token pair for `grant`, the access token living `lifetime`.
    pub fn issue_pair(&mut self, grant: &TokenGrant, lifetime: Duration) -> (String, String) {
        let access = ids::access_token();
        let refresh = ids::refresh_token();
        let live = TokenGrant { expires_at: Some(Instant::now() + lifetime), ..grant.clone() };
        self.tokens.insert(access.clone(), live);
        self.refresh_tokens.insert(refresh.clone(), grant.clone());
        (access, refresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_tokens_act_as_the_app_and_pairs_expire() {
        let config = LinearConfig::new();
        let mut state = OAuthState::new(&config);
        let configured = &state.tokens[crate::config::DEFAULT_ACCESS_TOKEN];
        assert_eq!(configured.user_id, config.app_user.id);
        assert!(!configured.expired());
        let grant = configured.clone();
        let (access, refresh) = state.issue_pair(&grant, Duration::ZERO);
        assert!(state.tokens[&access].expired());
        assert_eq!(state.refresh_tokens[&refresh].user_id, config.app_user.id);
    }
}
