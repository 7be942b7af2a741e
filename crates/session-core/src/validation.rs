//! Checks on what people send: session creation and prompts.

use oi_protocol::limits::{MAX_CLIENT_REQUEST_ID_CHARS, MAX_PROMPT_CHARS, MAX_TITLE_CHARS};
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::{ApiError, ErrorCode};

/// The branch a session starts from when none is given.
pub const DEFAULT_BRANCH: &str = "main";
const MAX_REPO_CHARS: usize = 1000;
const MAX_MODEL_CHARS: usize = 200;

/// A create request with its defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub repo: String,
    pub branch: String,
    pub model: String,
    pub title: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

/// Checks a `POST /api/sessions` body and fills in the defaults. `local_mode` allows an `http`
/// remote on this machine (see [`crate::repo_url`]).
pub fn validate_new_session(
    req: &CreateSessionRequest,
    default_model: &str,
    local_mode: bool,
) -> Result<NewSession, ApiError> {
    let repo = req.repo.trim();
    if repo.is_empty() {
        return Err(invalid("`repo` must not be empty"));
    }
    if repo.chars().count() > MAX_REPO_CHARS {
        return Err(invalid(format!("`repo` is longer than {MAX_REPO_CHARS} characters")));
    }
    if repo.chars().any(char::is_control) {
        return Err(invalid("`repo` must not contain control characters"));
    }
    crate::repo_url::parse_repo(repo, local_mode)?;
    let branch = match req.branch.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_BRANCH.to_string(),
        Some(b) => {
            validate_branch_name(b)?;
            b.to_string()
        }
    };
    let model = match req.model.as_deref().map(str::trim) {
        None | Some("") => default_model.to_string(),
        Some(m) => {
            validate_model(m)?;
            m.to_string()
        }
    };
    let title = match req.title.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) if t.chars().count() > MAX_TITLE_CHARS => {
            return Err(invalid(format!("`title` is longer than {MAX_TITLE_CHARS} characters")))
        }
        Some(t) => Some(t.to_string()),
    };
    Ok(NewSession { repo: repo.to_string(), branch, model, title })
}

/// A model is `provider/model`, each side non-empty, no whitespace.
pub fn validate_model(model: &str) -> Result<(), ApiError> {
    let ok = model.chars().count() <= MAX_MODEL_CHARS
        && !model.chars().any(char::is_whitespace)
        && matches!(model.split_once('/'), Some((p, m)) if !p.is_empty() && !m.is_empty());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("`model` must look like `provider/model`, got {model:?}")))
    }
}

/// The subset of `git check-ref-format --branch` rules that matter for names people type.
pub fn validate_branch_name(branch: &str) -> Result<(), ApiError> {
    let bad = branch.is_empty()
        || branch.len() > 255
        || branch.starts_with('-')
        || branch.starts_with('/')
        || branch.ends_with('/')
        || branch.ends_with('.')
        || branch.ends_with(".lock")
        || branch.contains("..")
        || branch.contains("//")
        || branch.contains("@{")
        || branch == "@"
        || branch
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
        || branch.split('/').any(|c| c.starts_with('.'));
    if bad {
        Err(invalid(format!("`branch` {branch:?} is not a valid git branch name")))
    } else {
        Ok(())
    }
}

/// Checks a prompt's text and request id.
pub fn validate_prompt(text: &str, client_request_id: &str) -> Result<(), ApiError> {
    let id_len = client_request_id.chars().count();
    if id_len == 0 || id_len > MAX_CLIENT_REQUEST_ID_CHARS {
        return Err(invalid(format!("`client_request_id` must be 1 to {MAX_CLIENT_REQUEST_ID_CHARS} characters")));
    }
    if text.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::PromptEmpty, "the prompt is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(ApiError::new(
            ErrorCode::PromptTooLong,
            format!("the prompt has {chars} characters; the limit is {MAX_PROMPT_CHARS}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(repo: &str) -> CreateSessionRequest {
        CreateSessionRequest { repo: repo.into(), ..Default::default() }
    }

    #[test]
    fn fills_defaults() {
        let s = validate_new_session(&req(" /srv/git/app.git "), "test/scripted", false).unwrap();
        assert_eq!(
            s,
            NewSession {
                repo: "/srv/git/app.git".into(),
                branch: "main".into(),
                model: "test/scripted".into(),
                title: None
            }
        );
    }

    #[test]
    fn keeps_given_fields() {
        let r = CreateSessionRequest {
            repo: "acme/app".into(),
            branch: Some("feature/x".into()),
            model: Some("anthropic/claude-sonnet-4-6".into()),
            title: Some(" Fix it ".into()),
            private: Some(true),
        };
        let s = validate_new_session(&r, "test/scripted", false).unwrap();
        assert_eq!(s.branch, "feature/x");
        assert_eq!(s.model, "anthropic/claude-sonnet-4-6");
        assert_eq!(s.title.as_deref(), Some("Fix it"));
    }

    #[test]
    fn rejects_bad_sessions() {
        let cases = [
            (req(""), "`repo` must not be empty"),
            (req("a\u{7}b"), "control characters"),
            (req("https://user:pw@git.example.com/app.git"), "user or password"),
            (CreateSessionRequest { branch: Some("a..b".into()), ..req("acme/r") }, "not a valid git branch"),
            (CreateSessionRequest { model: Some("gpt".into()), ..req("acme/r") }, "provider/model"),
            (CreateSessionRequest { title: Some("x".repeat(201)), ..req("acme/r") }, "longer than 200"),
        ];
        for (r, needle) in cases {
            let e = validate_new_session(&r, "test/scripted", false).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.message.contains(needle), "{} should contain {needle}", e.message);
        }
    }

    #[test]
    fn branch_names() {
        for ok in ["main", "feature/x-1", "oi/ses_123", "v1.2"] {
            assert!(validate_branch_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "a~1", "a:b", "x.lock", "a//b", ".hidden", "a/.b", "x/", "@"] {
            assert!(validate_branch_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prompts() {
        assert!(validate_prompt("hi", "r1").is_ok());
        assert_eq!(validate_prompt("  \n", "r1").unwrap_err().code, ErrorCode::PromptEmpty);
        assert_eq!(validate_prompt("hi", "").unwrap_err().code, ErrorCode::InvalidRequest);
        assert_eq!(validate_prompt("hi", &"r".repeat(129)).unwrap_err().code, ErrorCode::InvalidRequest);
        // The limit counts characters, not bytes: 64,000 three-byte characters pass.
        assert!(validate_prompt(&"é".repeat(MAX_PROMPT_CHARS), "r").is_ok());
        let e = validate_prompt(&"a".repeat(MAX_PROMPT_CHARS + 1), "r").unwrap_err();
        assert_eq!(e.code, ErrorCode::PromptTooLong);
        assert!(e.message.contains("64001"));
    }
}
