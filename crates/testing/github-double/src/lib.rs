//! A test double of GitHub that speaks GitHub's real wire formats (see
//! `shared/contracts/github/`): the sign-in flow, and a GitHub App with its installations,
//! repositories (backed by bare git directories), pull requests, check runs, git smart HTTP and
//! signed webhooks. One server answers github.com's web and git paths and api.github.com's REST
//! paths, so its URL is the only configuration a client needs.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use oi_github_double::{DoubleConfig, EmailConfig, GithubDouble, UserConfig};
//! let config = DoubleConfig::new("Iv1.client", "secret").user(
//!     UserConfig::new("octocat", 1).name("The Octocat").email(EmailConfig::primary("octocat@example.com")).org("acme"),
//! );
//! let github = GithubDouble::start(config).await?;
//! github.set_redirect_uri("http://127.0.0.1:8787/api/auth/github/callback");
//! // Point the app at github.url for both https://github.com and https://api.github.com.
//! # Ok(()) }
//! ```
//!
//! With a GitHub App (JWTs are verified with `public_key_pem`; the repository's branches and
//! commits come from a bare git directory):
//!
//! ```no_run
//! # async fn demo(public_key_pem: &str) -> anyhow::Result<()> {
//! use oi_github_double::{AppConfig, DoubleConfig, GithubDouble, InstallationConfig, RepoConfig, UserConfig};
//! let config = DoubleConfig::new("Iv1.client", "secret")
//!     .user(UserConfig::new("octocat", 1).org("acme"))
//!     .app(AppConfig::new(123456, "open-inspect", public_key_pem))
//!     .installation(InstallationConfig::new(42, "acme").repo(
//!         RepoConfig::new("acme", "widgets").default_branch("main").private(true).git_dir("/tmp/widgets.git"),
//!     ));
//! let github = GithubDouble::start(config).await?;
//! github.set_webhook("http://127.0.0.1:8787/api/github/webhook", "webhook-secret");
//! // The App mints `ghs_` tokens with POST /app/installations/42/access_tokens, clones
//! // {github.url}/acme/widgets.git with `x-access-token:<token>`, opens pull requests…
//! github.merge_pull("acme/widgets", 1); // …and the test merges one: `pull_request` `closed`.
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//!
//! | Route | What |
//! | --- | --- |
//! | `GET /login/oauth/authorize` | Unknown `client_id` → 404 HTML page. A `redirect_uri` that is not the registered callback (or below it) → 302 to the registered callback with `error=redirect_uri_mismatch`. Otherwise the authorizing user approves: 302 to `redirect_uri?code=…&state=…` (or `error=access_denied` while [`GithubDouble::set_deny_authorization`] is on). Codes are 20 hex digits, single use, valid 10 minutes. |
//! | `POST /login/oauth/access_token` | `client_id`, `client_secret`, `code`, `redirect_uri?` as form, JSON or query. Answers `access_token` (`gho_` + 36 alphanumerics), `scope`, `token_type=bearer`: form-encoded unless `Accept: application/json`. Errors (`incorrect_client_credentials`, `bad_verification_code`, `redirect_uri_mismatch`, `unverified_user_email`) come with status 200, as on GitHub. |
//! | `GET /user` | `private-user` (with the `user` scope) or `public-user` |
//! | `GET /user/emails` | `[email]`; needs `user:email` (else 404) |
//! | `GET /user/orgs` | `[organization-simple]`; needs `read:org` or `user` (else 403) |
//! | `GET /user/memberships/orgs/{org}` | `org-membership` (active member); 404 when not a member |
//! | `GET /avatars/u/{id}` | a 1×1 PNG: the payloads' `avatar_url` |
//! | `POST /app/installations/{installation_id}/access_tokens` | `Authorization: Bearer <App JWT>`: RS256 verified with the App's public key; `iss` the App id (number or string); `exp` in the future and at most 10 minutes after `iat` and now (30 s leeway); else 401 (`A JSON web token could not be decoded`, `'Expiration time' claim ('exp') is too far in the future`, …). Unknown installation → 404. Optional body `repositories`/`repository_ids`/`permissions` narrows the token (422 if not granted). 201 `installation-token`: `ghs_` + 36 alphanumerics, `expires_at` one hour ahead, the installation's `permissions`, `repository_selection: selected` (and `repositories` when narrowed). |
//! | `GET /installation/repositories` | installation tokens only (user tokens → 403): `{total_count, repositories: [repository], repository_selection}`, paginated |
//! | `GET /repos/{owner}/{repo}` | `full-repository` (`clone_url` is `{url}/{owner}/{repo}.git`); 404 if unknown or not the token's |
//! | `GET /repos/{owner}/{repo}/branches` | `[short-branch]` from `git for-each-ref refs/heads` in the git directory, paginated |
//! | `GET /repos/{owner}/{repo}/pulls` | `[pull-request-simple]`; `state` (`open`\|`closed`\|`all`), `head` (`owner:branch`), `base`, `sort` (`created`\|`updated`), `direction`; paginated |
//! | `POST /repos/{owner}/{repo}/pulls` | `{title, head, base, body?, draft?, maintainer_can_modify?}` → 201 `pull-request` (author: the user, or `<slug>[bot]` for installation tokens) and `pull_request` `opened`. 422 `validation-error` when an open pull request has the same head and base (`A pull request already exists for acme:oi/ses_1.`), the head or base branch is not in the git directory (`{"field":"head","code":"invalid"}`), there are no commits between them, `title` is missing (`missing_field`), or `head`/`base` are missing. Installation tokens need `pull_requests: write` (else 403). |
//! | `GET /repos/{owner}/{repo}/pulls/{pull_number}` | `pull-request`; 404 unknown. Open pull requests show the branches' current tips. |
//! | `PATCH /repos/{owner}/{repo}/pulls/{pull_number}` | `title`, `body`, `state` (`open`\|`closed`), `base`, `maintainer_can_modify` → `pull-request`; delivers `edited` (with `changes`), `closed` or `reopened` |
//! | `GET /repos/{owner}/{repo}/pulls/{pull_number}/files` | `[diff-entry]` of `git diff base...head` in the git directory (`filename`, `status`, `additions`, `deletions`, `changes`, `patch`, `previous_filename`, blob `sha`), paginated; 404 unknown |
//! | `POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews` | `{commit_id?, body?, event?, comments?: [{path, body, line, side?, start_line?, start_side?}]}` → 200 `pull-request-review` by the caller (`<slug>[bot]` for installation tokens); `event` `COMMENT`/`REQUEST_CHANGES`/`APPROVE` → `COMMENTED`/`CHANGES_REQUESTED`/`APPROVED`, none → `PENDING` (no `submitted_at`); `commit_id` defaults to the head. Each comment becomes a review comment. 422 `validation-error-simple` (`Unprocessable Entity`, nothing stored): a comment's line or path not in the diff (`Pull request review thread line must be part of the diff …`), a range across hunks, approving or requesting changes on one's own pull request (`Can not approve your own pull request`), `COMMENT`/`REQUEST_CHANGES` without body or comments, a second pending review. Delivers `pull_request_review` `submitted` and `pull_request_review_comment` `created` |
//! | `POST /repos/{owner}/{repo}/pulls/{pull_number}/comments` | `{body, commit_id, path, line, side?, start_line?, start_side?}` or `{body, in_reply_to}` → 201 `pull-request-review-comment` (with `diff_hunk`, `position`); 422 `validation-error` off the diff |
//! | `POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies` | `{body}` → 201 `pull-request-review-comment` in the thread (`in_reply_to_id`); 404 when the pull request has no such comment |
//! | `POST /repos/{owner}/{repo}/issues/{issue_number}/comments` | `{body}` on a pull request or issue → 201 `issue-comment`; 404 otherwise; installation tokens need `issues: write` (`pull_requests: write` will do on a pull request). Delivers `issue_comment` `created` |
//! | `POST /repos/{owner}/{repo}/issues/{issue_number}/reactions`, `…/issues/comments/{comment_id}/reactions`, `…/pulls/comments/{comment_id}/reactions` | `{content}` → 201 `reaction`, or 200 with the existing one when the caller already reacted so; 422 for another content; 404 unknown target |
//! | `GET /repos/{owner}/{repo}/collaborators/{username}/permission` | `repository-collaborator-permission`: the user's role ([`GithubDouble::set_user_access`]: `admin`, `maintain`, `write` (default), `triage`, `read`, `none`) as `role_name`, and the legacy `permission` (`maintain` → `write`, `triage` → `read`); 404 for an unknown login |
//! | `GET /repos/{owner}/{repo}/commits/{ref}/check-runs` | `{total_count, check_runs: [check-run]}` set with [`GithubDouble::set_check_run`]; `ref` is a sha, branch or tag; `check_name`, `status` filters; paginated |
//! | `GET /{owner}/{repo}.git/info/refs?service=…`, `POST …/git-upload-pack`, `POST …/git-receive-pack` | git smart HTTP by `git http-backend` on the git directory (`.git` optional). HTTP Basic, the password a live installation token of the repository's installation (pushes need `contents: write`) or a user token; public repositories may be fetched anonymously. Else 401 `WWW-Authenticate: Basic realm="GitHub"`. A push delivers `pull_request` `synchronize` for the open pull requests whose head moved. |
//! | anything else | 404 `{"message":"Not Found",…}` |
//!
//! REST calls take `Authorization: Bearer <token>` or `token <token>`, a user token (`gho_`) or
//! an installation token (`ghs_`): none → 401 `Requires authentication`, unknown or expired →
//! 401 `Bad credentials`. Answers carry `content-type: application/json; charset=utf-8`,
//! `x-github-api-version-selected`, `x-github-media-type`, `x-github-request-id`,
//! `x-ratelimit-{limit,remaining,reset,used,resource}` (5000 an hour for both kinds of token),
//! and for user tokens `x-oauth-scopes` and `x-accepted-oauth-scopes`; lists are paginated with
//! `per_page`/`page` and `Link`. Installation tokens get 403 `Resource not accessible by
//! integration` on the `/user…` endpoints. [`GithubDouble::set_rate_limited`] answers 403 with
//! `x-ratelimit-remaining: 0`, [`GithubDouble::set_secondary_rate_limited`] 429 with
//! `retry-after: 60`, to both kinds of token.
//!
//! # Webhooks
//!
//! After [`GithubDouble::set_webhook`], events are `POST`ed to the URL one at a time, in order,
//! from a background task, with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`,
//! `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID), `X-GitHub-Hook-ID`,
//! `X-GitHub-Hook-Installation-Target-ID` (the App id), `X-GitHub-Hook-Installation-Target-Type:
//! integration`, `User-Agent: GitHub-Hookshot/…` and `Content-Type: application/json`. Payloads
//! are GitHub's real examples (`payloads/`) with the double's objects put in; repository events
//! carry `installation: {id, node_id}`. [`GithubDouble::deliveries`] and
//! [`GithubDouble::wait_for_deliveries`] show what was sent and how the receiver answered.
//!
//! | Event | Sent when |
//! | --- | --- |
//! | `pull_request` `opened` / `edited` / `closed` / `reopened` | `POST`/`PATCH` on pull requests |
//! | `pull_request` `closed` with `merged: true` | [`GithubDouble::merge_pull`] (which also commits the merge to the base branch) |
//! | `pull_request` `synchronize` | a push through the git endpoint moves an open pull request's head ([`GithubDouble::notice_push`] for pushes straight to the directory) |
//! | `pull_request` `opened` / `ready_for_review` / `review_requested` | [`GithubDouble::open_pull`] (as any user, or as a draft), [`GithubDouble::mark_ready_for_review`], [`GithubDouble::request_app_review`] (`requested_reviewer`: the App's bot) |
//! | `issue_comment` `created` | [`GithubDouble::comment_on_issue`] (on a pull request: `issue.pull_request` set), and the App's own comments |
//! | `pull_request_review` `submitted`, `pull_request_review_comment` `created` | [`GithubDouble::comment_on_diff`], and the App's own reviews and comments |
//! | `check_run` `created` / `completed`, `check_suite` `completed` | [`GithubDouble::set_check_run`] |
//! | `installation` `created` | [`GithubDouble::send_installation_created`] |
//! | `installation_repositories` `added` | [`GithubDouble::add_installation_repo`], [`GithubDouble::send_installation_repositories_added`] |
//! | anything | [`GithubDouble::send_webhook`] |
//! | the same delivery again | [`GithubDouble::redeliver`] (same `X-GitHub-Delivery`, body and signature) |
//!
//! What was said is read back with [`GithubDouble::reviews`], [`GithubDouble::review_comments`],
//! [`GithubDouble::issue_comments`] and [`GithubDouble::reactions`].
//!
//! Every request is recorded ([`GithubDouble::requests`]). Tests that run `git` against the
//! double must not block the runtime it serves on: use a multi-threaded runtime and
//! `spawn_blocking` (or `tokio::process`).

mod app;
mod app_config;
mod config;
mod controls;
mod discussion_controls;
mod git;
mod git_diff;
mod git_http;
mod ids;
mod oauth;
mod record;
mod rest;
mod scopes;
mod server;
mod state;
mod time;
mod webhooks;

pub use app::discussion::{
    ReactionTarget, RecordedIssueComment, RecordedReaction, RecordedReview, RecordedReviewComment, Writer,
};
pub use app::state::PullSnapshot;
pub use app_config::{AppConfig, InstallationConfig, RepoConfig};
pub use config::{DoubleConfig, EmailConfig, UserConfig, DEFAULT_CODE_TTL, DEFAULT_USER_TOKEN_LIFETIME};
pub use discussion_controls::{DiffComment, OpenPull};
pub use record::RecordedRequest;
pub use scopes::Scopes;
pub use server::GithubDouble;
pub use webhooks::{signature as webhook_signature, Delivery};
