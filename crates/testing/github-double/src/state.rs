//! The double's mutable state: configuration, issued codes and tokens, recorded requests and
//! the test switches. One mutex; no lock is held across an `.await`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::app::state::AppState;
use crate::config::{DoubleConfig, UserConfig};
use crate::ids;
use crate::record::RecordedRequest;
use crate::scopes::Scopes;
use crate::webhooks::Outbox;

/// Organization ids are handed out from here on, in order of first appearance.
const FIRST_ORG_ID: u64 = 9_000_001;
/// GitHub's primary rate limit for user tokens, per hour.
pub(crate) const USER_RATE_LIMIT: u32 = 5_000;
/// The limit GitHub reports to unauthenticated requests.
pub(crate) const ANONYMOUS_RATE_LIMIT: u32 = 60;

/// What the router's handlers share.
pub(crate) struct Shared {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    /// Where webhook deliveries are queued.
    pub webhooks: Outbox,
    inner: Mutex<Inner>,
}

impl Shared {
    pub fn new(base_url: String, config: DoubleConfig, webhooks: Outbox) -> Self {
        let mut inner = Inner {
            config,
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            tokens: HashMap::new(),
            requests: Vec::new(),
            rate_limited: false,
            secondary_rate_limited: false,
            deny_authorization: false,
            app: AppState::default(),
            org_logins: Vec::new(),
            rate_used: HashMap::new(),
            rate_reset: now_epoch() + 3600,
        };
        let users = inner.config.users.clone();
        users.iter().for_each(|u| inner.register_orgs(u));
        Self { base_url, webhooks, inner: Mutex::new(inner) }
    }

    /// Locks the state (a panicking handler does not poison it for the test).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub client_id: String,
    pub login: String,
    pub scopes: Scopes,
    /// The `redirect_uri` the code was sent to.
    pub redirect_uri: String,
    pub issued: Instant,
}

/// An issued access token.
#[derive(Clone, Debug)]
pub(crate) struct TokenGrant {
    pub login: String,
    pub scopes: Scopes,
    /// When an expiring (GitHub App) user token stops working.
    pub expires: Option<Instant>,
}

impl TokenGrant {
    /// Whether the token still works.
    pub fn live(&self) -> bool {
        self.expires.is_none_or(|at| Instant::now() < at)
    }
}

pub(crate) struct Inner {
    pub config: DoubleConfig,
    pub codes: HashMap<String, Grant>,
    pub tokens: HashMap<String, TokenGrant>,
    /// Refresh tokens (expiring user tokens only), each with the access token of its pair.
    pub refresh_tokens: HashMap<String, (TokenGrant, String)>,
    pub requests: Vec<RecordedRequest>,
    pub rate_limited: bool,
    /// While on, authenticated REST requests get GitHub's secondary rate limit: 429 and
    /// `retry-after: 60`.
    pub secondary_rate_limited: bool,
    pub deny_authorization: bool,
    /// Installation tokens, pull requests and check runs.
    pub app: AppState,
    /// Organization logins (lowercase) by id order.
    org_logins: Vec<String>,
    /// Requests counted against each user's (lowercase login) hourly budget.
    rate_used: HashMap<String, u32>,
    rate_reset: u64,
}

impl Inner {
    /// The user who approves the authorize page.
    pub fn authorizing_user(&self) -> Option<&UserConfig> {
        match &self.config.authorizing_user {
            Some(login) => self.config.find_user(login),
            None => self.config.users.first(),
        }
    }

    /// Adds a user (replacing one with the same login).
    pub fn add_user(&mut self, user: UserConfig) {
        self.register_orgs(&user);
        self.config.users.retain(|u| !u.login.eq_ignore_ascii_case(&user.login));
        self.config.users.push(user);
    }

    /// Issues a fresh single-use authorization code.
    pub fn issue_code(&mut self, login: &str, scopes: Scopes, redirect_uri: &str) -> String {
        let code = ids::oauth_code();
        let grant = Grant {
            client_id: self.config.client_id.clone(),
            login: login.to_string(),
            scopes,
            redirect_uri: redirect_uri.to_string(),
            issued: Instant::now(),
        };
        self.codes.insert(code.clone(), grant);
        code
    }

    /// Issues an access token for `login`.
    pub fn issue_token(&mut self, login: &str, scopes: Scopes) -> String {
        let token = ids::oauth_token();
        self.tokens.insert(token.clone(), TokenGrant { login: login.to_string(), scopes, expires: None });
        token
    }

    /// Issues an expiring user token and its refresh token for `login`.
    pub fn issue_token_pair(&mut self, login: &str, scopes: Scopes) -> (String, String) {
        let (access, refresh) = (ids::user_token(), ids::refresh_token());
        let lifetime = self.config.user_token_lifetime;
        let grant = TokenGrant { login: login.to_string(), scopes, expires: Some(Instant::now() + lifetime) };
        self.tokens.insert(access.clone(), grant.clone());
        self.refresh_tokens.insert(refresh.clone(), (TokenGrant { expires: None, ..grant }, access.clone()));
        (access, refresh)
    }

    /// The id of an organization, stable for the double's lifetime.
    pub fn org_id(&mut self, login: &str) -> u64 {
        let lower = login.to_ascii_lowercase();
        let index = match self.org_logins.iter().position(|o| *o == lower) {
            Some(index) => index,
            None => {
                self.org_logins.push(lower);
                self.org_logins.len() - 1
            }
        };
        FIRST_ORG_ID + index as u64
    }

    fn register_orgs(&mut self, user: &UserConfig) {
        for org in &user.orgs {
            self.org_id(org);
        }
    }

    /// Counts one request against a budget (a user's login, or `installation:<id>`); returns
    /// `(used, reset)` after it.
    pub fn count_request(&mut self, key: &str) -> (u32, u64) {
        let reset = self.rate_window();
        let used = self.rate_used.entry(key.to_ascii_lowercase()).or_default();
        *used = (*used + 1).min(USER_RATE_LIMIT);
        (*used, reset)
    }

    /// The epoch second the current rate-limit window ends (rolling it over when it has).
    pub fn rate_window(&mut self) -> u64 {
        let now = now_epoch();
        if now >= self.rate_reset {
            self.rate_reset = now + 3600;
            self.rate_used.clear();
        }
        self.rate_reset
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_epoch() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
