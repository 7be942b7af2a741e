//! The running double: binds 127.0.0.1 on a free port, serves until dropped, and exposes the
//! test controls.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{DoubleConfig, UserConfig};
use crate::record::{record, RecordedRequest};
use crate::scopes::Scopes;
use crate::state::Shared;
use crate::{app, git_http, oauth, rest, webhooks};

/// A GitHub test double serving both github.com's OAuth paths and api.github.com's REST paths
/// at [`GithubDouble::url`]. Dropping it stops the server (gracefully: requests in flight finish).
pub struct GithubDouble {
    /// `http://127.0.0.1:PORT`, no trailing slash: use it as both the web and the API base URL.
    pub url: String,
    pub(crate) shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GithubDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubDouble").field("url", &self.url).finish_non_exhaustive()
    }
}

impl GithubDouble {
    /// Validates `config`, binds `127.0.0.1:0` and starts serving on the current Tokio runtime.
    pub async fn start(config: DoubleConfig) -> Result<Self> {
        config.validate().context("invalid github-double config")?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.context("binding the github double")?;
        let url = format!("http://{}", listener.local_addr()?);
        let (outbox, worker) = webhooks::outbox();
        let shared = Arc::new(Shared::new(url.clone(), config, outbox));
        tokio::spawn(worker.run());
        let app = router(shared.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let graceful = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            let _ = graceful.await;
        });
        Ok(Self { url, shared, shutdown: Some(shutdown), task: Some(task) })
    }

    /// Every request received so far, in the order they were answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The requests received so far on `path` (query excluded).
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.shared.lock().requests.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Sets the user who approves the next authorize requests.
    ///
    /// # Panics
    /// If no configured user has this login.
    pub fn set_authorizing_user(&self, login: &str) {
        let mut inner = self.shared.lock();
        assert!(inner.config.find_user(login).is_some(), "github-double: no user {login:?}");
        inner.config.authorizing_user = Some(login.to_string());
    }

    /// Registers the OAuth app's callback URL.
    pub fn set_redirect_uri(&self, uri: &str) {
        self.shared.lock().config.redirect_uri = Some(uri.to_string());
    }

    /// While on, every authenticated REST request gets GitHub's primary rate-limit answer: 403,
    /// `x-ratelimit-remaining: 0` and `API rate limit exceeded for user ID <id>.`
    pub fn set_rate_limited(&self, limited: bool) {
        self.shared.lock().rate_limited = limited;
    }

    /// While on, every authenticated REST request gets GitHub's secondary rate-limit answer: 429,
    /// `retry-after: 60` and `You have exceeded a secondary rate limit…`.
    pub fn set_secondary_rate_limited(&self, limited: bool) {
        self.shared.lock().secondary_rate_limited = limited;
    }

    /// While on, the user denies the app: the authorize page redirects with
    /// `error=access_denied`.
    pub fn set_deny_authorization(&self, deny: bool) {
        self.shared.lock().deny_authorization = deny;
    }

    /// Adds a user after start (replacing one with the same login).
    pub fn add_user(&self, user: UserConfig) -> Result<()> {
        let mut inner = self.shared.lock();
        let clash = inner.config.users.iter().any(|u| u.id == user.id && !u.login.eq_ignore_ascii_case(&user.login));
        if clash {
            bail!("another user already has id {}", user.id);
        }
        inner.add_user(user);
        Ok(())
    }

    /// Mints a user token directly, as if `login` had gone through the web flow and approved
    /// `scopes` (space separated, e.g. `"read:user user:email read:org"`).
    ///
    /// # Panics
    /// If no configured user has this login.
    pub fn issue_token(&self, login: &str, scopes: &str) -> String {
        let mut inner = self.shared.lock();
        let login =
            inner.config.find_user(login).unwrap_or_else(|| panic!("github-double: no user {login:?}")).login.clone();
        inner.issue_token(&login, Scopes::parse(scopes))
    }

    /// Revokes a user or installation token (later requests with it get 401 `Bad credentials`).
    /// Returns whether it existed.
    pub fn revoke_token(&self, token: &str) -> bool {
        let mut inner = self.shared.lock();
        inner.tokens.remove(token).is_some() | inner.app.tokens.remove(token).is_some()
    }

    /// Revokes every user token issued to `login` (as when the person revokes the App's
    /// authorization); answers how many there were.
    pub fn revoke_user_tokens(&self, login: &str) -> usize {
        let mut inner = self.shared.lock();
        let before = inner.tokens.len();
        inner.tokens.retain(|_, grant| !grant.login.eq_ignore_ascii_case(login));
        inner.refresh_tokens.retain(|_, (grant, _)| !grant.login.eq_ignore_ascii_case(login));
        before - inner.tokens.len()
    }

    /// Expires every user token issued to `login` (their refresh tokens still work), as 8 hours
    /// do to a GitHub App's user tokens; answers how many there were.
    pub fn expire_user_tokens(&self, login: &str) -> usize {
        let mut inner = self.shared.lock();
        let before = inner.tokens.len();
        inner.tokens.retain(|token, grant| !(token.starts_with("ghu_") && grant.login.eq_ignore_ascii_case(login)));
        before - inner.tokens.len()
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for GithubDouble {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// All routes, with every request recorded.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/login/oauth/authorize", get(oauth::authorize::authorize))
        .route("/login/oauth/access_token", post(oauth::token::access_token))
        .route("/user", get(rest::user::get_user))
        .route("/user/emails", get(rest::user::list_emails))
        .route("/user/orgs", get(rest::user::list_orgs))
        .route("/user/memberships/orgs/{org}", get(rest::user::get_membership))
        .route("/avatars/u/{id}", get(rest::avatar))
        .route("/app/installations/{installation_id}/access_tokens", post(app::tokens::create_access_token))
        .route("/installation/repositories", get(app::tokens::list_repositories))
        .route("/repos/{owner}/{repo}", get(rest::repos::get_repo))
        .route("/repos/{owner}/{repo}/branches", get(rest::repos::list_branches))
        .route("/repos/{owner}/{repo}/pulls", get(rest::pulls::list).post(rest::pulls::create))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}", get(rest::pulls::get).patch(rest::pulls::update))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/files", get(rest::reviews::list_files))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/reviews", post(rest::reviews::create_review))
        .route("/repos/{owner}/{repo}/pulls/{pull_number}/comments", post(rest::comments::create_review_comment))
        .route(
            "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
            post(rest::comments::create_reply),
        )
        .route("/repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions", post(rest::reactions::for_review_comment))
        .route("/repos/{owner}/{repo}/issues/{issue_number}/comments", post(rest::comments::create_issue_comment))
        .route("/repos/{owner}/{repo}/issues/{issue_number}/reactions", post(rest::reactions::for_issue))
        .route("/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", post(rest::reactions::for_issue_comment))
        .route("/repos/{owner}/{repo}/collaborators/{username}/permission", get(rest::collaborators::permission))
        .route("/repos/{owner}/{repo}/commits/{ref}/check-runs", get(rest::repos::list_check_runs))
        .route("/{owner}/{repo}/info/refs", get(git_http::info_refs))
        .route("/{owner}/{repo}/git-upload-pack", post(git_http::upload_pack))
        .route("/{owner}/{repo}/git-receive-pack", post(git_http::receive_pack))
        .fallback(rest::not_found)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}
