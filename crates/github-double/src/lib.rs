//! A test double of GitHub that speaks GitHub's real wire formats (see
//! `shared/contracts/github/`), for the sign-in flow. One server answers both github.com's OAuth
//! paths and api.github.com's REST paths, so its URL is the only configuration a client needs.
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
//! | anything else | 404 `{"message":"Not Found",…}` |
//!
//! REST calls take `Authorization: Bearer <token>` or `token <token>`: none → 401 `Requires
//! authentication`, unknown → 401 `Bad credentials`. Answers carry `content-type:
//! application/json; charset=utf-8`, `x-github-api-version-selected`, `x-github-media-type`,
//! `x-github-request-id`, `x-ratelimit-{limit,remaining,reset,used,resource}`, `x-oauth-scopes`
//! and `x-accepted-oauth-scopes`; lists are paginated with `per_page`/`page` and `Link`.
//!
//! Every request is recorded ([`GithubDouble::requests`]).

mod config;
mod ids;
mod oauth;
mod record;
mod rest;
mod scopes;
mod server;
mod state;

pub use config::{DoubleConfig, EmailConfig, UserConfig, DEFAULT_CODE_TTL};
pub use record::RecordedRequest;
pub use scopes::Scopes;
pub use server::GithubDouble;
