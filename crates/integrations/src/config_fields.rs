//! Reading an integration's `config` object (Settings → Integrations) field by field, for the
//! integrations that keep one (Slack, Linear).
//!
//! Invariant: a refusal names the field it is about (`repos[1]`, `team_repos.ENG`), and an
//! unknown key is refused with the list of known ones, so a typo is never silently dropped.

use oi_session_core::repo_url::parse_repo;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Refuses keys not in `known`, naming all of them.
pub(crate) fn refuse_unknown(config: &Map<String, Value>, known: &[&str]) -> Result<(), String> {
    let unknown: Vec<String> =
        config.keys().filter(|k| !known.contains(&k.as_str())).map(|k| format!("`{k}`")).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!("unknown settings {}; the known ones are {}", unknown.join(", "), known.join(", ")))
    }
}

/// A field's value (absent or null: its default), its type errors naming it.
pub(crate) fn field<T: DeserializeOwned + Default>(config: &Map<String, Value>, name: &str) -> Result<T, String> {
    match config.get(name) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| format!("{name}: {e}")),
    }
}

pub(crate) fn too_many(name: &str, n: usize, max: usize) -> Result<(), String> {
    if n > max {
        Err(format!("{name}: {n} entries; at most {max}"))
    } else {
        Ok(())
    }
}

/// Trimmed, and blank as none.
pub(crate) fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The `repos` list: at most `max_repos`, each trimmed, at most `max_chars` characters on one
/// line, one a session may use (`local_mode` allows `http` remotes on this machine), and listed
/// once (case-insensitively).
pub(crate) fn check_repos(
    raw: Vec<String>,
    local_mode: bool,
    max_repos: usize,
    max_chars: usize,
) -> Result<Vec<String>, String> {
    too_many("repos", raw.len(), max_repos)?;
    let mut repos: Vec<String> = Vec::new();
    for (i, repo) in raw.iter().enumerate() {
        let repo = repo.trim();
        if repo.is_empty() {
            return Err(format!("repos[{i}]: must not be empty"));
        }
        if repo.chars().count() > max_chars {
            return Err(format!("repos[{i}]: longer than {max_chars} characters"));
        }
        if repo.chars().any(char::is_control) {
            return Err(format!("repos[{i}]: must not contain control characters"));
        }
        parse_repo(repo, local_mode).map_err(|e| format!("repos[{i}]: {}", e.message))?;
        if repos.iter().any(|r| r.eq_ignore_ascii_case(repo)) {
            return Err(format!("repos[{i}]: {repo:?} is listed twice"));
        }
        repos.push(repo.to_string());
    }
    Ok(repos)
}

/// `repo` as `repos` spells it; `name` is the field that points at it.
pub(crate) fn configured_repo(repos: &[String], name: &str, repo: &str) -> Result<String, String> {
    crate::repo_routing::configured(repos, repo)
        .ok_or_else(|| format!("{name}: {:?} is not one of the configured `repos`", repo.trim()))
}
