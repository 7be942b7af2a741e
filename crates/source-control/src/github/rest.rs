//! GitHub's REST conventions: the headers every call carries, what an answer's status means,
//! and the fields read from its JSON (`shared/contracts/github/openapi-subset.json`).

use oi_protocol::source_control::PullRequestState;
use oi_session_core::github::pr_state::pull_state;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::http::{HttpRequest, HttpResponse};
use crate::provider::{RepoPermission, SourceControlError};

/// The API version this client is written against.
pub const API_VERSION: &str = "2022-11-28";

/// Everything but unreserved characters is encoded in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A query value, percent-encoded.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// A request with GitHub's headers and `Authorization: Bearer <token>`.
pub fn request(method: &'static str, url: String, token: &str, body: Option<serde_json::Value>) -> HttpRequest {
    let mut headers = vec![
        ("accept".to_string(), "application/vnd.github+json".to_string()),
        ("x-github-api-version".to_string(), API_VERSION.to_string()),
        ("user-agent".to_string(), "open-inspect".to_string()),
        ("authorization".to_string(), format!("Bearer {token}")),
    ];
    if body.is_some() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    HttpRequest { method, url, headers, body: body.map(|b| b.to_string()) }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
    field: Option<String>,
    code: Option<String>,
}

/// The message of a `basic-error` or `validation-error` body, with each error's detail.
fn error_message(body: &str) -> String {
    let Ok(parsed) = serde_json::from_str::<ErrorBody>(body) else { return "GitHub sent no error message".into() };
    let details: Vec<String> = parsed
        .errors
        .iter()
        .map(|e| match (&e.message, &e.field, &e.code) {
            (Some(m), _, _) => m.clone(),
            (None, Some(f), Some(c)) => format!("{f} is {c}"),
            _ => String::new(),
        })
        .filter(|d| !d.is_empty())
        .collect();
    if details.is_empty() {
        parsed.message
    } else {
        format!("{}: {}", parsed.message, details.join("; "))
    }
}

/// What `what` answering `response` means: the answer for 2xx, else the error it is. A 403 or
/// 429 is a rate limit when `x-ratelimit-remaining` is 0, `retry-after` is set, or the message
/// says so (GitHub's secondary limits).
pub fn check(what: &str, response: HttpResponse) -> Result<HttpResponse, SourceControlError> {
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    let message = format!("GitHub refused to {what}: {}", error_message(&response.body));
    let retry_after_secs = response.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    let exhausted = response.header("x-ratelimit-remaining").map(str::trim) == Some("0");
    let says_rate_limit = message.to_ascii_lowercase().contains("rate limit");
    Err(match response.status {
        403 | 429 if exhausted || retry_after_secs.is_some() || says_rate_limit => {
            let reset = response.header("x-ratelimit-reset").and_then(|v| v.trim().parse::<u64>().ok());
            SourceControlError::RateLimited { message, retry_after_secs: retry_after_secs.or(reset.map(|_| 60)) }
        }
        401 => SourceControlError::Unauthorized(message),
        403 => SourceControlError::Forbidden(message),
        404 => SourceControlError::NotFound(message),
        422 => SourceControlError::Invalid(message),
        status => SourceControlError::Upstream { status, message },
    })
}

/// The JSON of a successful answer.
pub fn json<T: DeserializeOwned>(what: &str, response: &HttpResponse) -> Result<T, SourceControlError> {
    serde_json::from_str(&response.body).map_err(|e| SourceControlError::Upstream {
        status: response.status,
        message: format!("GitHub's answer to {what} was not what its API documents: {e}"),
    })
}

/// Whether a `Link` header points at a next page.
pub fn has_next_page(response: &HttpResponse) -> bool {
    response.header("link").is_some_and(|l| l.contains("rel=\"next\""))
}

/// `installation-token`.
#[derive(Deserialize)]
pub struct InstallationToken {
    pub token: String,
    pub expires_at: String,
}

/// The fields of `repository` / `full-repository` read here.
#[derive(Deserialize)]
pub struct Repo {
    pub full_name: String,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub html_url: Option<String>,
    /// Present when a user's token read it: what that user may do.
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

/// `permissions` of a repository read with a user's token.
#[derive(Deserialize, Default)]
pub struct Permissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub maintain: bool,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub triage: bool,
    #[serde(default)]
    pub pull: bool,
}

impl Permissions {
    /// The strongest level they grant (`maintain` counts as write, `triage` as read).
    pub fn level(&self) -> RepoPermission {
        if self.admin {
            RepoPermission::Admin
        } else if self.push || self.maintain {
            RepoPermission::Write
        } else if self.pull || self.triage {
            RepoPermission::Read
        } else {
            RepoPermission::None
        }
    }
}

/// `GET /installation/repositories`.
#[derive(Deserialize)]
pub struct InstallationRepos {
    pub repositories: Vec<Repo>,
}

/// `short-branch`.
#[derive(Deserialize)]
pub struct ShortBranch {
    pub name: String,
    pub commit: CommitRef,
}

#[derive(Deserialize)]
pub struct CommitRef {
    pub sha: String,
}

/// The fields of `pull-request` / `pull-request-simple` read here.
#[derive(Deserialize)]
pub struct Pull {
    pub number: u64,
    pub html_url: String,
    #[serde(default)]
    pub title: String,
    pub state: String,
    #[serde(default)]
    pub draft: Option<bool>,
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub merged_at: Option<String>,
    pub head: PullHead,
}

#[derive(Deserialize)]
pub struct PullHead {
    pub sha: Option<String>,
}

impl Pull {
    /// `open`, `merged` (closed with a merge) or `closed`.
    pub fn state(&self) -> PullRequestState {
        pull_state(&self.state, self.merged == Some(true) || self.merged_at.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.into(),
        }
    }

    #[test]
    fn statuses_become_errors_a_caller_can_act_on() {
        let basic = r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#;
        assert!(check("x", answer(201, &[], "{}")).is_ok());
        assert!(
            matches!(check("x", answer(401, &[], basic)), Err(SourceControlError::Unauthorized(m)) if m.contains("Bad credentials"))
        );
        assert!(matches!(check("x", answer(403, &[], basic)), Err(SourceControlError::Forbidden(_))));
        let limited = answer(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1")], basic);
        assert!(matches!(check("x", limited), Err(SourceControlError::RateLimited { .. })));
        let secondary = answer(429, &[("retry-after", "30")], basic);
        assert!(matches!(
            check("x", secondary),
            Err(SourceControlError::RateLimited { retry_after_secs: Some(30), .. })
        ));
        assert!(matches!(check("x", answer(404, &[], basic)), Err(SourceControlError::NotFound(_))));
        assert!(matches!(check("x", answer(503, &[], "oops")), Err(SourceControlError::Upstream { status: 503, .. })));
    }

    #[test]
    fn validation_errors_carry_their_details() {
        let exists = r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for acme:oi/ses_1."}],"documentation_url":"x"}"#;
        let Err(SourceControlError::Invalid(m)) = check("open the pull request", answer(422, &[], exists)) else {
            panic!("not invalid")
        };
        assert_eq!(
            m,
            "GitHub refused to open the pull request: Validation Failed: A pull request already exists for acme:oi/ses_1."
        );
        let head =
            r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"head","code":"invalid"}]}"#;
        assert!(check("x", answer(422, &[], head)).unwrap_err().to_string().ends_with("head is invalid"));
    }

    #[test]
    fn permission_levels() {
        let level = |json: &str| serde_json::from_str::<Permissions>(json).unwrap().level();
        let cases = [
            (r#"{"admin":true,"maintain":true,"push":true,"triage":true,"pull":true}"#, RepoPermission::Admin),
            (r#"{"admin":false,"maintain":true,"push":false,"triage":true,"pull":true}"#, RepoPermission::Write),
            (r#"{"admin":false,"push":true,"pull":true}"#, RepoPermission::Write),
            (r#"{"admin":false,"push":false,"triage":true,"pull":false}"#, RepoPermission::Read),
            (r#"{"admin":false,"push":false,"pull":true}"#, RepoPermission::Read),
            (r#"{"admin":false,"push":false,"pull":false}"#, RepoPermission::None),
            ("{}", RepoPermission::None),
        ];
        for (json, want) in cases {
            assert_eq!(level(json), want, "{json}");
        }
        assert!(RepoPermission::Admin > RepoPermission::Write && RepoPermission::Read > RepoPermission::None);
    }

    #[test]
    fn pull_states() {
        let pull = |state: &str, merged: Option<bool>| Pull {
            number: 1,
            html_url: String::new(),
            title: String::new(),
            state: state.into(),
            draft: None,
            merged,
            merged_at: None,
            head: PullHead { sha: None },
        };
        assert_eq!(pull("open", None).state(), PullRequestState::Open);
        assert_eq!(pull("closed", Some(true)).state(), PullRequestState::Merged);
        assert_eq!(pull("closed", Some(false)).state(), PullRequestState::Closed);
        assert_eq!(encode("acme:oi/ses_1"), "acme%3Aoi%2Fses_1");
    }
}
