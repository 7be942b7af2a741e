//! The GitHub integration's settings for reviews and @mentions: the `config` object an admin
//! saves in Settings → Integrations → GitHub.
//!
//! Invariant: a saved config is valid as a whole. No unknown key; every repository is
//! `owner/name` and listed once; every allowed user is a GitHub login (`[bot]` accounts
//! included) listed once; the instructions fit [`MAX_INSTRUCTIONS_CHARS`]. A refusal names the
//! field (`repos[2]`, `allowed_users[0]`).
//!
//! The App's slug (what people @mention) is not a setting: it is the deployment's App
//! ([`super::AppIdentity`]), known from its configuration or `GET /app`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most repositories that may opt in.
pub const MAX_REPOS: usize = 200;
/// The most users allowed whatever their permission.
pub const MAX_ALLOWED_USERS: usize = 200;
/// The longest custom review instructions.
pub const MAX_INSTRUCTIONS_CHARS: usize = 4_000;
/// GitHub's longest login (`[bot]` not counted).
const MAX_LOGIN_CHARS: usize = 39;
/// GitHub's longest owner, and repository name.
const MAX_OWNER_CHARS: usize = 39;
const MAX_REPO_NAME_CHARS: usize = 100;

/// The keys of the config object.
pub const FIELDS: &[&str] = &["repos", "auto_review", "instructions", "allowed_users"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubReviewConfig {
    /// The repositories where the App reviews and answers (`owner/name`); none: nowhere.
    #[serde(default)]
    pub repos: Vec<String>,
    /// Whether a pull request opened (or marked ready) in those repositories is reviewed without
    /// being asked.
    #[serde(default)]
    pub auto_review: bool,
    /// Added to every review's prompt (the team's conventions, what to look for).
    #[serde(default)]
    pub instructions: String,
    /// GitHub logins that may ask whatever their permission on the repository.
    #[serde(default)]
    pub allowed_users: Vec<String>,
}

impl GithubReviewConfig {
    /// Whether `repository` (`owner/name`, any case) opted in.
    pub fn repo_enabled(&self, repository: &str) -> bool {
        self.repos.iter().any(|r| r.eq_ignore_ascii_case(repository.trim()))
    }

    /// Whether `login` (any case) is allowed whatever their permission.
    pub fn user_allowed(&self, login: &str) -> bool {
        self.allowed_users.iter().any(|u| u.eq_ignore_ascii_case(login.trim()))
    }
}

/// A field's value (absent or null: its default), its type errors naming it.
fn field<T: DeserializeOwned + Default>(config: &Map<String, Value>, name: &str) -> Result<T, String> {
    match config.get(name) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| format!("{name}: {e}")),
    }
}

/// Checks the integration's `config` object. The result is trimmed.
pub fn parse_config(config: &Map<String, Value>) -> Result<GithubReviewConfig, String> {
    let unknown: Vec<String> =
        config.keys().filter(|k| !FIELDS.contains(&k.as_str())).map(|k| format!("`{k}`")).collect();
    if !unknown.is_empty() {
        return Err(format!("unknown settings {}; the known ones are {}", unknown.join(", "), FIELDS.join(", ")));
    }
    let repos = distinct("repos", field(config, "repos")?, MAX_REPOS, is_repo, "is not `owner/name`")?;
    let allowed_users = distinct(
        "allowed_users",
        field(config, "allowed_users")?,
        MAX_ALLOWED_USERS,
        is_login,
        "is not a GitHub login",
    )?;
    let instructions = field::<String>(config, "instructions")?.trim().to_string();
    if instructions.chars().count() > MAX_INSTRUCTIONS_CHARS {
        return Err(format!("instructions: longer than {MAX_INSTRUCTIONS_CHARS} characters"));
    }
    Ok(GithubReviewConfig { repos, auto_review: field(config, "auto_review")?, instructions, allowed_users })
}

/// Trimmed entries, each passing `valid` and listed once (any case), at most `max`.
fn distinct(
    name: &str,
    raw: Vec<String>,
    max: usize,
    valid: fn(&str) -> bool,
    invalid: &str,
) -> Result<Vec<String>, String> {
    if raw.len() > max {
        return Err(format!("{name}: {} entries; at most {max}", raw.len()));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        let entry = entry.trim();
        if !valid(entry) {
            return Err(format!("{name}[{i}]: {entry:?} {invalid}"));
        }
        if out.iter().any(|e| e.eq_ignore_ascii_case(entry)) {
            return Err(format!("{name}[{i}]: {entry:?} is listed twice"));
        }
        out.push(entry.to_string());
    }
    Ok(out)
}

/// `owner/name` as GitHub spells them: an owner of letters, digits and single inner hyphens; a
/// name of letters, digits, `.`, `-` and `_` (not `.` or `..`).
fn is_repo(repo: &str) -> bool {
    let Some((owner, name)) = repo.split_once('/') else { return false };
    is_account(owner, MAX_OWNER_CHARS)
        && (1..=MAX_REPO_NAME_CHARS).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        && name != "."
        && name != ".."
}

/// A GitHub login, or an App's bot account (`name[bot]`).
fn is_login(login: &str) -> bool {
    is_account(login.strip_suffix("[bot]").unwrap_or(login), MAX_LOGIN_CHARS)
}

fn is_account(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
