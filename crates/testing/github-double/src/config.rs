//! What the double is started with: the OAuth app and the users GitHub knows. The GitHub App,
//! its installations and repositories have their own builders ([`AppConfig`],
//! [`InstallationConfig`]).

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::app_config::{AppConfig, InstallationConfig};

/// How long an authorization code lives on GitHub.
pub const DEFAULT_CODE_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a GitHub App's user token lives.
pub const DEFAULT_USER_TOKEN_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// The double's configuration: one OAuth app and its users.
#[derive(Clone, Debug)]
pub struct DoubleConfig {
    /// The OAuth app's client id (`Iv1.…` or `Ov23…` on GitHub; any string here).
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// The registered callback URL. Often only known after start: see
    /// [`GithubDouble::set_redirect_uri`](crate::GithubDouble::set_redirect_uri).
    pub redirect_uri: Option<String>,
    /// The users GitHub knows.
    pub users: Vec<UserConfig>,
    /// The login of the user who "approves" the authorize page. `None`: the first user.
    pub authorizing_user: Option<String>,
    /// How long an authorization code stays valid (GitHub: 10 minutes).
    pub code_ttl: Duration,
    /// Whether the REST endpoints honour OAuth scopes as GitHub documents it: `/user/emails`
    /// needs `user:email` (or `user`), `/user/orgs` needs `read:org` (or `user`), and `/user`
    /// has its private fields only with `user`. Off: every token sees everything.
    pub enforce_scopes: bool,
    /// Whether user tokens expire, as a GitHub App's do when "Expire user authorization tokens"
    /// is on: the exchange answers `ghu_` tokens with `expires_in` (8 h) and a `ghr_`
    /// `refresh_token` (6 months), and `grant_type=refresh_token` trades one for a new pair.
    /// Off: an OAuth App's `gho_` tokens that do not expire.
    pub expiring_user_tokens: bool,
    /// How long an expiring user token lives (GitHub: 8 hours); `expires_in` says so.
    pub user_token_lifetime: Duration,
    /// The GitHub App whose JWTs mint installation tokens (see [`DoubleConfig::app`]).
    pub app: Option<AppConfig>,
    /// The App's installations and their repositories (see [`DoubleConfig::installation`]).
    pub installations: Vec<InstallationConfig>,
}

impl DoubleConfig {
    /// An app with no callback URL and no users yet.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: None,
            users: Vec::new(),
            authorizing_user: None,
            code_ttl: DEFAULT_CODE_TTL,
            enforce_scopes: true,
            expiring_user_tokens: false,
            user_token_lifetime: DEFAULT_USER_TOKEN_LIFETIME,
            app: None,
            installations: Vec::new(),
        }
    }

    /// Sets the registered callback URL.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    /// Sets who approves the authorize page.
    pub fn authorizing_user(mut self, login: impl Into<String>) -> Self {
        self.authorizing_user = Some(login.into());
        self
    }

    /// Sets how long authorization codes live.
    pub fn code_ttl(mut self, ttl: Duration) -> Self {
        self.code_ttl = ttl;
        self
    }

    /// Makes user tokens expire and come with refresh tokens (a GitHub App's).
    pub fn expiring_user_tokens(mut self, expiring: bool) -> Self {
        self.expiring_user_tokens = expiring;
        self
    }

    /// Sets how long expiring user tokens live (a test can make the 8 hours pass quickly).
    pub fn user_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.user_token_lifetime = lifetime;
        self
    }

    /// Turns scope enforcement on or off (on by default).
    pub fn enforce_scopes(mut self, enforce: bool) -> Self {
        self.enforce_scopes = enforce;
        self
    }

    /// Checks that logins and ids are unique and that the authorizing user exists.
    pub fn validate(&self) -> Result<()> {
        let mut logins = HashSet::new();
        let mut ids = HashSet::new();
        for user in &self.users {
            user.validate()?;
            if !logins.insert(user.login.to_ascii_lowercase()) {
                bail!("duplicate user login {:?}", user.login);
            }
            if !ids.insert(user.id) {
                bail!("duplicate user id {}", user.id);
            }
        }
        if let Some(login) = &self.authorizing_user {
            if self.find_user(login).is_none() {
                bail!("authorizing user {login:?} is not one of the configured users");
            }
        }
        self.validate_app()
    }

    /// The user with this login (GitHub logins are case-insensitive).
    pub fn find_user(&self, login: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.login.eq_ignore_ascii_case(login))
    }
}

/// A GitHub user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConfig {
    pub login: String,
    pub id: u64,
    /// The profile name (`null` on GitHub when unset).
    pub name: Option<String>,
    pub emails: Vec<EmailConfig>,
    /// Logins of the organizations the user is an active member of.
    pub orgs: Vec<String>,
}

impl UserConfig {
    /// A user with no name, no emails and no organizations.
    pub fn new(login: impl Into<String>, id: u64) -> Self {
        Self { login: login.into(), id, name: None, emails: Vec::new(), orgs: Vec::new() }
    }

    /// Sets the profile name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds an email address.
    pub fn email(mut self, email: EmailConfig) -> Self {
        self.emails.push(email);
        self
    }

    /// Adds an organization membership.
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.orgs.push(org.into());
        self
    }

    /// The address shown on the public profile (`email` of `GET /user`): the first address
    /// whose visibility is `public`.
    pub fn public_email(&self) -> Option<&str> {
        self.emails.iter().find(|e| e.visibility.as_deref() == Some("public")).map(|e| e.email.as_str())
    }

    /// The primary address.
    pub fn primary_email(&self) -> Option<&str> {
        self.emails.iter().find(|e| e.primary).map(|e| e.email.as_str())
    }

    /// The organization login as configured, if the user is a member (case-insensitive).
    pub fn member_of(&self, org: &str) -> Option<&str> {
        self.orgs.iter().find(|o| o.eq_ignore_ascii_case(org)).map(String::as_str)
    }

    fn validate(&self) -> Result<()> {
        if self.login.is_empty() {
            bail!("a user has an empty login");
        }
        if self.emails.iter().filter(|e| e.primary).count() > 1 {
            bail!("user {:?} has more than one primary email", self.login);
        }
        Ok(())
    }
}

/// One entry of `GET /user/emails` (the `email` schema).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailConfig {
    pub email: String,
    pub primary: bool,
    pub verified: bool,
    /// `public`, `private`, or `None` (GitHub's `null`, usual for non-primary addresses).
    pub visibility: Option<String>,
}

impl EmailConfig {
    /// The primary, verified, publicly visible address.
    pub fn primary(email: impl Into<String>) -> Self {
        Self { email: email.into(), primary: true, verified: true, visibility: Some("public".into()) }
    }

    /// A verified secondary address (visibility `null`).
    pub fn secondary(email: impl Into<String>) -> Self {
        Self { email: email.into(), primary: false, verified: true, visibility: None }
    }

    /// Sets whether the address is verified.
    pub fn verified(mut self, verified: bool) -> Self {
        self.verified = verified;
        self
    }

    /// Sets the visibility (`Some("public")`, `Some("private")` or `None`).
    pub fn visibility(mut self, visibility: Option<&str>) -> Self {
        self.visibility = visibility.map(str::to_string);
        self
    }
}
