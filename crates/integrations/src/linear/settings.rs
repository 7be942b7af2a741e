//! The Linear integration's settings: the `config` object an admin saves in Settings →
//! Integrations → Linear.
//!
//! Invariant: a saved config is valid as a whole. No unknown key; every repository is one a
//! session may use; every team, project and label mapping points at a configured repository
//! (stored spelled as configured) and names its team, project or label once
//! (case-insensitively); the models look like `provider/model`. A refusal names the field
//! (`team_repos.ENG`, `repos[2]`).

use std::collections::BTreeMap;

use oi_session_core::validation::{validate_branch_name, validate_model};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config_fields::{check_repos, configured_repo, field, refuse_unknown, too_many, trimmed};

/// The most repositories (an elicitation lists them all).
pub const MAX_REPOS: usize = 100;
/// The longest repository (an https remote).
pub const MAX_REPO_CHARS: usize = 300;
/// The most entries in each of `team_repos`, `project_repos` and `label_repos`.
pub const MAX_MAPPINGS: usize = 200;
/// The longest team (key or id), project (id or name) or label name in a mapping.
pub const MAX_MAPPING_KEY_CHARS: usize = 100;

/// The keys of the config object.
pub const FIELDS: &[&str] =
    &["repos", "team_repos", "project_repos", "label_repos", "default_branch", "classifier_model"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearConfig {
    /// The repositories issues may be worked on in (`owner/name`, an https remote, a local path).
    #[serde(default)]
    pub repos: Vec<String>,
    /// Team key (`ENG`) or team id → repository.
    #[serde(default)]
    pub team_repos: BTreeMap<String, String>,
    /// Project id or project name → repository.
    #[serde(default)]
    pub project_repos: BTreeMap<String, String>,
    /// Label name → repository.
    #[serde(default)]
    pub label_repos: BTreeMap<String, String>,
    /// The branch sessions start from when the issue names none; none: the repository's.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// The small model that picks a repository when nothing else does (`provider/model`); none:
    /// the agent asks.
    #[serde(default)]
    pub classifier_model: Option<String>,
}

/// Checks the integration's `config` object for a deployment not in local mode
/// ([`parse_config_with`]).
pub fn parse_config(config: &Map<String, Value>) -> Result<LinearConfig, String> {
    parse_config_with(config, false)
}

/// Checks the integration's `config` object; `local_mode` allows `http` remotes on this
/// machine, as for sessions. The result is trimmed, and the mappings name repositories as
/// `repos` spells them.
pub fn parse_config_with(config: &Map<String, Value>, local_mode: bool) -> Result<LinearConfig, String> {
    refuse_unknown(config, FIELDS)?;
    let repos = check_repos(field(config, "repos")?, local_mode, MAX_REPOS, MAX_REPO_CHARS)?;
    let team_repos = mapping(config, "team_repos", &repos)?;
    let project_repos = mapping(config, "project_repos", &repos)?;
    let label_repos = mapping(config, "label_repos", &repos)?;
    let default_branch = trimmed(field(config, "default_branch")?);
    if let Some(branch) = &default_branch {
        validate_branch_name(branch).map_err(|e| format!("default_branch: {}", e.message))?;
    }
    let classifier_model = trimmed(field(config, "classifier_model")?);
    if let Some(model) = &classifier_model {
        validate_model(model).map_err(|e| format!("classifier_model: {}", e.message))?;
    }
    Ok(LinearConfig { repos, team_repos, project_repos, label_repos, default_branch, classifier_model })
}

/// A `{key: repository}` mapping: keys trimmed, 1 to [`MAX_MAPPING_KEY_CHARS`] characters on
/// one line, each once; repositories among `repos`.
fn mapping(config: &Map<String, Value>, name: &str, repos: &[String]) -> Result<BTreeMap<String, String>, String> {
    let raw: BTreeMap<String, String> = field(config, name)?;
    too_many(name, raw.len(), MAX_MAPPINGS)?;
    let mut checked: BTreeMap<String, String> = BTreeMap::new();
    for (key, repo) in &raw {
        let key = key.trim();
        if key.is_empty() || key.chars().count() > MAX_MAPPING_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(format!("{name}: {key:?} must be 1 to {MAX_MAPPING_KEY_CHARS} characters on one line"));
        }
        if checked.keys().any(|k| k.to_lowercase() == key.to_lowercase()) {
            return Err(format!("{name}: {key:?} is given twice"));
        }
        checked.insert(key.to_string(), configured_repo(repos, &format!("{name}.{key}"), repo)?);
    }
    Ok(checked)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
