//! REST calls the App makes on a repository it is installed on, for integrations that compose
//! their own requests from the vendor's schema (the review bot: pull requests, their files,
//! reviews, comments, reactions, a collaborator's permission). Token minting, headers and error
//! mapping stay here, like every other call.

use serde_json::Value;

use super::rest::{self, json};
use super::GitHub;
use crate::http::HttpClient;
use crate::provider::{RepoRef, SourceControlError, TokenCache};

impl<H: HttpClient, C: TokenCache> GitHub<H, C> {
    /// `method path` (from `/repos/…`) with the installation's token; the JSON answer (`null`
    /// for an empty one).
    pub async fn app_call(
        &self,
        repo: &RepoRef,
        what: &str,
        method: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, SourceControlError> {
        let token = self.installation_token(&repo.access).await?;
        let response = self.call(what, method, path, &token, body).await?;
        if response.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        json(what, &response)
    }

    /// Every item of a list at `path`, with the installation's token.
    pub async fn app_list(&self, repo: &RepoRef, what: &str, path: &str) -> Result<Vec<Value>, SourceControlError> {
        let token = self.installation_token(&repo.access).await?;
        self.pages(what, path, &token, |r| json::<Vec<Value>>(what, r)).await
    }

    /// `login`'s permission on the repository (`admin`, `maintain`, `write`, `triage`, `read` or
    /// `none`, from `role_name`, else `permission`); `None` when GitHub knows no such user.
    pub async fn collaborator_permission(
        &self,
        repo: &RepoRef,
        login: &str,
    ) -> Result<Option<String>, SourceControlError> {
        let what = format!("read {login}'s permission on {}", repo.full_name());
        let path = format!("{}/collaborators/{}/permission", Self::repo_path(repo), rest::encode(login));
        match self.app_call(repo, &what, "GET", &path, None).await {
            Ok(answer) => Ok(answer["role_name"]
                .as_str()
                .or_else(|| answer["permission"].as_str())
                .map(str::to_string)
                .or(Some("none".to_string()))),
            Err(SourceControlError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
