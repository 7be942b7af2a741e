//! What tests change and read on a running double: the workspace, failure switches, OAuth
//! decisions and token expiry; the operations, violations, sessions, activities, issues and
//! comments as the product left them.

use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::{IssueConfig, LinearConfig, UserConfig};
use crate::graphql::errors::{LinearError, LinearErrorType};
use crate::oauth::{AuthorizeDecision, TokenGrant};
use crate::record::{Delivery, RecordedOperation};
use crate::server::LinearDouble;
use crate::state::{Activity, AgentSession, Comment, Issue};

impl LinearDouble {
    /// The configuration as it is now (users and issues added included).
    pub fn config(&self) -> LinearConfig {
        self.shared.lock().config.clone()
    }

    // ---- the workspace --------------------------------------------------------------------

    /// Adds a person after start.
    pub fn add_user(&self, user: UserConfig) {
        let mut inner = self.shared.lock();
        inner.config.users.retain(|u| u.id != user.id);
        inner.config.users.push(user);
    }

    /// Adds an issue after start (its team, state, labels and project must exist).
    pub fn add_issue(&self, issue: IssueConfig) -> Result<()> {
        let mut inner = self.shared.lock();
        let resolved = crate::state::resolve_issue(&inner.config, &issue)?;
        inner.issues.retain(|i| i.id != resolved.id && i.identifier != resolved.identifier);
        inner.issues.push(resolved);
        inner.config.issues.push(issue);
        Ok(())
    }

    /// Where webhooks go from now on.
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.shared.lock().config.webhook_url = Some(url.into());
    }

    pub fn set_webhook_secret(&self, secret: impl Into<String>) {
        self.shared.lock().config.webhook_secret = secret.into();
    }

    /// Registers one more callback URL of the OAuth app (the product's, once its port is known).
    pub fn add_redirect_uri(&self, uri: impl Into<String>) {
        self.shared.lock().config.oauth.redirect_uris.push(uri.into());
    }

    /// Sets a session's status as Linear would on its own (`stale` after 30 minutes without an
    /// activity, contract "Agent timing rules"). Answers whether the session exists.
    pub fn set_session_status(&self, session_id: &str, status: &str) -> bool {
        let mut inner = self.shared.lock();
        let Some(index) = inner.session_index(session_id) else { return false };
        inner.sessions[index].status = status.to_string();
        true
    }

    /// Shifts the clock `webhookTimestamp` is read from by `ms` (negative: the past). Linear's
    /// SDK rejects payloads more than 60 s off (contract "Inbound webhooks", Tolerance).
    pub fn set_clock_skew(&self, ms: i64) {
        self.shared.lock().clock_skew_ms = ms;
    }

    // ---- failures -------------------------------------------------------------------------

    /// The next GraphQL call answers 429 with `extensions.type: "ratelimited"`.
    pub fn rate_limit_next(&self) {
        self.shared.lock().rate_limits.limited_calls += 1;
    }

    /// The next GraphQL call that passes validation and authentication answers `kind` with
    /// `message` (and the type's status: [`LinearErrorType::status`]) instead of running.
    pub fn fail_next(&self, kind: LinearErrorType, message: impl Into<String>) {
        let message = message.into();
        self.shared.lock().failures.push_back(LinearError::new(kind, message.clone()).user_message(message));
    }

    // ---- OAuth ----------------------------------------------------------------------------

    /// What the person at `/oauth/authorize` does (by default: the first configured user
    /// approves).
    pub fn set_authorize_decision(&self, decision: AuthorizeDecision) {
        self.shared.lock().oauth.decision = decision;
    }

    /// How long access tokens issued from now on live.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().config.oauth.token_lifetime = lifetime;
    }

    /// Makes `token` expired now (the next call with it answers `authentication error`).
    /// Answers whether the token was known.
    pub fn expire_access_token(&self, token: &str) -> bool {
        let mut inner = self.shared.lock();
        let Some(grant) = inner.oauth.tokens.get_mut(token) else { return false };
        grant.expires_at = Some(std::time::Instant::now());
        true
    }

    /// What the double knows about an access token.
    pub fn token_grant(&self, token: &str) -> Option<TokenGrant> {
        self.shared.lock().oauth.tokens.get(token).cloned()
    }

    // ---- what the product sent --------------------------------------------------------------

    /// Every GraphQL request so far, in order.
    pub fn operations(&self) -> Vec<RecordedOperation> {
        self.shared.lock().operations.clone()
    }

    /// The operations named `name`, or whose first root field is `name` (`agentActivityCreate`).
    pub fn operations_named(&self, name: &str) -> Vec<RecordedOperation> {
        let inner = self.shared.lock();
        let matches = |o: &&RecordedOperation| {
            o.operation_name.as_deref() == Some(name) || o.root_fields.first().is_some_and(|f| f == name)
        };
        inner.operations.iter().filter(matches).cloned().collect()
    }

    /// Every contract violation so far: operations that do not validate against the SDL,
    /// variables of the wrong type, inputs Linear refuses, activity content of the wrong shape,
    /// misused credentials, invalid OAuth requests, unknown endpoints, and fields the double
    /// does not model. Tests assert it is empty.
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Forgets the violations (after a test provoked some on purpose).
    pub fn clear_violations(&self) {
        self.shared.lock().violations.clear();
    }

    /// Panics with the list if there are violations.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "linear-double: the product broke Linear's contract:\n  {}",
            violations.join("\n  ")
        );
    }

    // ---- the workspace as the product left it ------------------------------------------------

    /// An issue by UUID or identifier, with its state changes and updates.
    pub fn issue(&self, id_or_identifier: &str) -> Option<Issue> {
        self.shared.lock().issue(id_or_identifier).cloned()
    }

    /// The name of the issue's current workflow state.
    pub fn issue_state_name(&self, id_or_identifier: &str) -> Option<String> {
        let inner = self.shared.lock();
        let issue = inner.issue(id_or_identifier)?;
        inner.state(&issue.state_id).map(|(_, state)| state.name.clone())
    }

    /// An agent session: status, plan, external URLs, activities, updates.
    pub fn session(&self, id: &str) -> Option<AgentSession> {
        self.shared.lock().session(id).cloned()
    }

    pub fn sessions(&self) -> Vec<AgentSession> {
        self.shared.lock().sessions.clone()
    }

    /// A session's activities in the order received (the users' prompts included).
    pub fn activities(&self, session_id: &str) -> Vec<Activity> {
        self.session(session_id).map(|s| s.activities).unwrap_or_default()
    }

    /// The comments on an issue (UUID or identifier), in order.
    pub fn comments(&self, issue: &str) -> Vec<Comment> {
        let inner = self.shared.lock();
        let Some(issue_id) = inner.issue(issue).map(|i| i.id.clone()) else { return Vec::new() };
        inner.comments.iter().filter(|c| c.issue_id.as_deref() == Some(issue_id.as_str())).cloned().collect()
    }

    /// Every webhook delivery so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Waits until the session has at least `n` activities; answers them.
    pub async fn wait_for_activities(&self, session_id: &str, n: usize, timeout: Duration) -> Result<Vec<Activity>> {
        self.wait_until(timeout, || Some(self.activities(session_id)).filter(|a| a.len() >= n))
            .await
            .with_context(|| format!("linear-double: fewer than {n} activities on {session_id} after {timeout:?}"))
    }

    /// Waits until at least `n` operations named `name` arrived ([`Self::operations_named`]).
    pub async fn wait_for_operations(&self, name: &str, n: usize, timeout: Duration) -> Result<Vec<RecordedOperation>> {
        self.wait_until(timeout, || Some(self.operations_named(name)).filter(|o| o.len() >= n))
            .await
            .with_context(|| format!("linear-double: fewer than {n} {name} operations after {timeout:?}"))
    }

    async fn wait_until<T>(&self, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if let Some(found) = check() {
                return Some(found);
            }
            let tick = tokio::time::Instant::now() + Duration::from_millis(50);
            if tokio::time::timeout_at(tick.min(deadline), notified).await.is_err()
                && tokio::time::Instant::now() >= deadline
            {
                return check();
            }
        }
    }
}
