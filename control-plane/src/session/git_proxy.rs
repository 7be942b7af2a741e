//! The git endpoint: `/api/sessions/:id/git/…` (git's smart HTTP), called from inside the
//! sandbox (through the supervisor's loopback endpoint) with the sandbox token. Fetches and
//! pushes go to the session's real remote with the credential added here; a push that updates
//! anything but the session branch is refused with git's own answer, and the refusal is logged
//! to the session. Decisions are in `oi_session_core::git_proxy`.

use oi_protocol::events::NoticeLevel;
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::git_proxy::{
    check_push, classify, parse_push, refusal, upstream, GitCredentials, GitRequest, Upstream,
};
use oi_session_core::pr_head_push::{check_pr_head_push, PullRequestHead};
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit, Response, ResponseBuilder};

use super::SessionObject;
use crate::config;
use crate::http::Outcome;

/// The largest request body the git endpoint forwards (a push's pack).
const MAX_GIT_BODY: usize = 100 * 1024 * 1024;

/// Request headers git needs upstream; responses keep their content type and caching.
const REQUEST_HEADERS: &[&str] = &["content-type", "accept", "content-encoding", "git-protocol", "user-agent"];
const RESPONSE_HEADERS: &[&str] = &["content-type", "cache-control", "expires", "pragma", "content-encoding"];

impl SessionObject {
    pub(super) async fn proxy_git(&self, mut req: Request, path: &str) -> Outcome<Response> {
        self.check_sandbox_token(&req)?;
        let meta = self.meta()?;
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let rest = match segments.as_slice() {
            ["api", "sessions", _, "git", rest @ ..] => rest.to_vec(),
            _ => return Err(ApiError::new(ErrorCode::NotFound, "not a git path").into()),
        };
        let url = req.url()?;
        let method = req.method();
        let kind = classify(method.as_ref(), &rest, url.query())?;
        let provider = config::var(&self.env, "SANDBOX_PROVIDER_URL");
        let target = upstream(
            &meta.summary.repo,
            provider.as_deref(),
            meta.sandbox_id.as_deref(),
            &rest.join("/"),
            url.query(),
            crate::auth::settings::auth_mode(&self.env) == oi_protocol::rest::AuthMode::Local,
        )?;
        let body = if method == Method::Post { crate::http::read_body(&mut req, MAX_GIT_BODY).await? } else { vec![] };
        if kind == GitRequest::ReceivePack {
            if req.headers().get("content-encoding")?.is_some_and(|e| e != "identity") {
                return Err(
                    ApiError::new(ErrorCode::InvalidRequest, "a compressed push request cannot be checked").into()
                );
            }
            let push = parse_push(&body).map_err(|e| {
                ApiError::new(ErrorCode::InvalidRequest, format!("the push request cannot be read: {e}"))
            })?;
            let checked = match &meta.summary.work_branch {
                None => check_push(&push, &format!("oi/{}", meta.summary.id)),
                // A pull request's head: only that branch, moved forward. Git itself refuses a
                // non-fast-forward on a repository the provider serves (receive.denyNonFastForwards);
                // the objects of a push to GitHub are not here to check, so there the head
                // branch's protection decides.
                Some(head) => check_pr_head_push(&push, &PullRequestHead { branch: head, on_fork: false }, |_| true),
            };
            if let Err(reason) = checked {
                self.step(|turn| {
                    turn.notice(NoticeLevel::Warning, format!("refused a push from the sandbox: {reason}"))
                })?;
                let headers = Headers::new();
                headers.set("content-type", "application/x-git-receive-pack-result")?;
                headers.set("cache-control", "no-cache")?;
                return Ok(Response::from_bytes(refusal(&push, &reason))?.with_headers(headers));
            }
        }

        let upstream_headers = Headers::new();
        for (name, value) in req.headers().entries() {
            if REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                upstream_headers.set(&name, &value)?;
            }
        }
        let url = match target {
            Upstream::Provider { url } => {
                // The provider's endpoint takes the sandbox's own token.
                if let Some(auth) = req.headers().get("authorization")? {
                    upstream_headers.set("authorization", &auth)?;
                }
                url
            }
            Upstream::Remote { url, origin } => {
                if let Some((url, authorization)) =
                    self.github_git(&meta.summary.repo, &rest.join("/"), url.as_str()).await?
                {
                    upstream_headers.set("authorization", &authorization)?;
                    url
                } else {
                    let credentials = config::secret(&self.env, "GIT_CREDENTIALS")
                        .map(|json| GitCredentials::parse(&json))
                        .transpose()
                        .map_err(|e| ApiError::new(ErrorCode::Misconfigured, e))?
                        .unwrap_or_default();
                    if let Some(auth) = credentials.authorization(&origin) {
                        upstream_headers.set("authorization", &auth)?;
                    }
                    url
                }
            }
        };
        let mut init = RequestInit::new();
        init.with_method(method.clone()).with_headers(upstream_headers);
        if method == Method::Post {
            init.with_body(Some(JsValue::from(js_sys::Uint8Array::from(body.as_slice()))));
        }
        let mut response = Fetch::Request(Request::new_with_init(&url, &init)?).send().await.map_err(|e| {
            ApiError::new(ErrorCode::UpstreamUnavailable, format!("the git remote is unreachable: {e}"))
        })?;
        let back = Headers::new();
        for (name, value) in response.headers().entries() {
            if RESPONSE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                back.set(&name, &value)?;
            }
        }
        let status = response.status_code();
        Ok(ResponseBuilder::new().with_status(status).with_headers(back).from_stream(response.stream()?)?)
    }

    /// For a repository the GitHub App is installed on: GitHub's git URL for `rest` (with the
    /// request's query, taken from `plain_url`) and the installation token's `Authorization`.
    async fn github_git(&self, repo: &str, rest: &str, plain_url: &str) -> Outcome<Option<(String, String)>> {
        use oi_source_control::SourceControl;
        let Some(github) = crate::github::provider(&self.env) else { return Ok(None) };
        let Some(repo) = crate::github::repo_ref(&self.env, &github, repo).await? else { return Ok(None) };
        let authorization = github.git_authorization(&repo).await.map_err(ApiError::from)?;
        let query = plain_url.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
        Ok(Some((format!("{}/{rest}{query}", github.git_url(&repo)), authorization)))
    }
}
