//! GitHub, as a GitHub App: the App's JWT mints installation tokens (cached until 5 minutes
//! before they expire), which read repositories and carry git; pull requests are opened with
//! the prompting user's own OAuth token when there is one, else by the App.

mod app_calls;
mod pulls;
pub mod rest;

use base64::Engine;
use oi_protocol::source_control::{Branch, BranchList, Repository};
use oi_session_core::github::{app_jwt, tokens};

use crate::http::HttpClient;
use crate::provider::{
    CachedToken, PublishedPull, PullRequestDraft, RepoPermission, RepoRef, SourceControl, SourceControlError,
    TokenCache,
};
use rest::{check, json};

/// At most this many pages are read of any list (100 items each).
const MAX_PAGES: usize = 10;

/// Where GitHub is and which App this is.
#[derive(Clone)]
pub struct GitHubApp {
    /// `https://api.github.com` (no trailing slash).
    pub api_base: String,
    /// `https://github.com`: git remotes live here.
    pub web_base: String,
    pub app_id: String,
    /// The App's private key (PEM), never logged.
    pub private_key_pem: String,
}

impl std::fmt::Debug for GitHubApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubApp")
            .field("api_base", &self.api_base)
            .field("web_base", &self.web_base)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// The GitHub provider: an App, an HTTP client, a token cache and a clock (Unix seconds).
pub struct GitHub<H, C> {
    app: GitHubApp,
    http: H,
    cache: C,
    now_secs: fn() -> i64,
}

/// The cache key of an installation's token.
pub fn cache_key(installation: &str) -> String {
    format!("github-installation:{installation}")
}

impl<H: HttpClient, C: TokenCache> GitHub<H, C> {
    pub fn new(app: GitHubApp, http: H, cache: C, now_secs: fn() -> i64) -> Self {
        let trim = |s: &str| s.trim_end_matches('/').to_string();
        let app = GitHubApp { api_base: trim(&app.api_base), web_base: trim(&app.web_base), ..app };
        Self { app, http, cache, now_secs }
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.app.api_base)
    }

    async fn call(
        &self,
        what: &str,
        method: &'static str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Result<crate::HttpResponse, SourceControlError> {
        let request = rest::request(method, self.api(path), token, body);
        let response =
            self.http.send(request).await.map_err(|e| {
                SourceControlError::Unreachable(format!("GitHub is unreachable (trying to {what}): {e}"))
            })?;
        check(what, response)
    }

    /// The installation's token: from the cache while it is usable, else newly minted with the
    /// App's JWT (`POST /app/installations/{id}/access_tokens`) and cached.
    pub async fn installation_token(&self, installation: &str) -> Result<String, SourceControlError> {
        let now = (self.now_secs)();
        let key = cache_key(installation);
        if let Some(cached) = self.cache.get(&key).await {
            if tokens::usable(cached.expires_at, now) {
                return Ok(cached.token);
            }
        }
        let jwt =
            app_jwt(&self.app.app_id, &self.app.private_key_pem, now).map_err(SourceControlError::NotConfigured)?;
        let what = format!("mint a token for installation {installation}");
        let path = format!("/app/installations/{}/access_tokens", rest::encode(installation));
        let response = self.call(&what, "POST", &path, &jwt, None).await?;
        let minted: rest::InstallationToken = json(&what, &response)?;
        let expires_at = tokens::parse_expires_at(&minted.expires_at)
            .map_err(|e| SourceControlError::Upstream { status: response.status, message: e })?;
        let token = CachedToken { token: minted.token, expires_at };
        self.cache.put(&key, &token).await;
        Ok(token.token)
    }

    /// Every page of a list, while GitHub says there is a next one.
    async fn pages<T, F>(&self, what: &str, path: &str, token: &str, items: F) -> Result<Vec<T>, SourceControlError>
    where
        F: Fn(&crate::HttpResponse) -> Result<Vec<T>, SourceControlError>,
    {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let sep = if path.contains('?') { '&' } else { '?' };
            let response = self.call(what, "GET", &format!("{path}{sep}per_page=100&page={page}"), token, None).await?;
            all.extend(items(&response)?);
            if !rest::has_next_page(&response) {
                break;
            }
        }
        Ok(all)
    }

    fn repo_path(repo: &RepoRef) -> String {
        format!("/repos/{}/{}", rest::encode(&repo.owner), rest::encode(&repo.name))
    }
}

/// GitHub's owner and repository names: letters, digits, `-`, `_`, `.`.
fn is_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl<H: HttpClient, C: TokenCache> SourceControl for GitHub<H, C> {
    fn recognise(&self, repo: &str) -> Option<(String, String)> {
        let repo = repo.trim();
        let path = match repo.strip_prefix(&self.app.web_base) {
            Some(rest) => rest.strip_prefix('/')?,
            None if !repo.contains("://") => repo,
            None => return None,
        };
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let (owner, name) = path.split_once('/')?;
        (is_name(owner) && is_name(name)).then(|| (owner.to_string(), name.to_string()))
    }

    fn git_url(&self, repo: &RepoRef) -> String {
        format!("{}/{}/{}.git", self.app.web_base, repo.owner, repo.name)
    }

    async fn repositories(&self, access: &str) -> Result<Vec<Repository>, SourceControlError> {
        let token = self.installation_token(access).await?;
        let what = "list the installation's repositories";
        let repos = self
            .pages(what, "/installation/repositories", &token, |r| {
                Ok(json::<rest::InstallationRepos>(what, r)?.repositories)
            })
            .await?;
        Ok(repos
            .into_iter()
            .map(|r| Repository {
                full_name: r.full_name,
                default_branch: r.default_branch.unwrap_or_else(|| "main".into()),
                private: r.private,
                html_url: r.html_url,
            })
            .collect())
    }

    async fn branches(&self, repo: &RepoRef) -> Result<BranchList, SourceControlError> {
        let token = self.installation_token(&repo.access).await?;
        let what = format!("read {}", repo.full_name());
        let response = self.call(&what, "GET", &Self::repo_path(repo), &token, None).await?;
        let info: rest::Repo = json(&what, &response)?;
        let what = format!("list the branches of {}", repo.full_name());
        let branches = self
            .pages(&what, &format!("{}/branches", Self::repo_path(repo)), &token, |r| {
                json::<Vec<rest::ShortBranch>>(&what, r)
            })
            .await?;
        Ok(BranchList {
            default_branch: info.default_branch.unwrap_or_else(|| "main".into()),
            branches: branches.into_iter().map(|b| Branch { name: b.name, sha: b.commit.sha }).collect(),
        })
    }

    async fn git_authorization(&self, repo: &RepoRef) -> Result<String, SourceControlError> {
        let token = self.installation_token(&repo.access).await?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
        Ok(format!("Basic {basic}"))
    }

    async fn publish_pull_request(&self, draft: &PullRequestDraft) -> Result<PublishedPull, SourceControlError> {
        pulls::publish(self, draft).await
    }

    async fn user_permission(&self, repo: &RepoRef, user_token: &str) -> Result<RepoPermission, SourceControlError> {
        let what = format!("read {} as its user", repo.full_name());
        match self.call(&what, "GET", &Self::repo_path(repo), user_token, None).await {
            Ok(response) => Ok(json::<rest::Repo>(&what, &response)?.permissions.unwrap_or_default().level()),
            Err(SourceControlError::NotFound(_)) => Ok(RepoPermission::None),
            Err(e) => Err(e),
        }
    }

    async fn pull_request(&self, repo: &RepoRef, number: u64) -> Result<PublishedPull, SourceControlError> {
        let token = self.installation_token(&repo.access).await?;
        let what = format!("read pull request #{number} of {}", repo.full_name());
        let path = format!("{}/pulls/{number}", Self::repo_path(repo));
        let response = self.call(&what, "GET", &path, &token, None).await?;
        Ok(pulls::published(json(&what, &response)?, oi_protocol::source_control::OpenedAs::App, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl HttpClient for Nothing {
        async fn send(&self, _: crate::HttpRequest) -> Result<crate::HttpResponse, String> {
            Err("no network in unit tests".into())
        }
    }
    impl TokenCache for Nothing {
        async fn get(&self, _: &str) -> Option<CachedToken> {
            None
        }
        async fn put(&self, _: &str, _: &CachedToken) {}
    }

    #[test]
    fn recognises_owner_name_and_its_own_urls_only() {
        let app = GitHubApp {
            api_base: "https://api.github.com/".into(),
            web_base: "https://github.com".into(),
            app_id: "1".into(),
            private_key_pem: String::new(),
        };
        let github = GitHub::new(app, Nothing, Nothing, || 0);
        let pair = |o: &str, n: &str| Some((o.to_string(), n.to_string()));
        assert_eq!(github.recognise("acme/widgets"), pair("acme", "widgets"));
        assert_eq!(github.recognise("https://github.com/acme/widgets.git"), pair("acme", "widgets"));
        assert_eq!(github.recognise("https://github.com/acme/wid.gets/"), pair("acme", "wid.gets"));
        for other in ["https://gitlab.com/acme/widgets", "/srv/app.git", "acme", "acme/a/b", "../x", "a/b c"] {
            assert_eq!(github.recognise(other), None, "{other}");
        }
        let repo = RepoRef { owner: "acme".into(), name: "widgets".into(), access: "7".into() };
        assert_eq!(github.git_url(&repo), "https://github.com/acme/widgets.git");
        assert_eq!(github.api("/x"), "https://api.github.com/x");
    }
}
