//! The Slack integration's settings: the `config` object an admin saves in Settings →
//! Integrations → Slack.
//!
//! Invariant: a saved config is valid as a whole. No unknown key; every repository is one a
//! session may use and fits the repository menu; every alias, keyword rule and channel default
//! points at a configured repository (and is stored spelled as configured); ids look like
//! Slack's. A refusal names the field (`aliases.web`, `keywords[2].repo`).

use std::collections::BTreeMap;

use oi_session_core::validation::{validate_branch_name, validate_model};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config_fields::{check_repos, configured_repo, field, refuse_unknown, too_many, trimmed};

use super::messages::{MAX_OPTIONS, MAX_REPO_CHARS};
use super::routing::{KeywordRule, RoutingConfig};

/// The most repositories (the menu offers at most this many).
pub const MAX_REPOS: usize = MAX_OPTIONS;
pub const MAX_ALIASES: usize = 100;
pub const MAX_ALIAS_CHARS: usize = 40;
pub const MAX_KEYWORD_RULES: usize = 100;
pub const MAX_KEYWORD_CHARS: usize = 60;
pub const MAX_CHANNEL_DEFAULTS: usize = 200;

/// The keys of the config object.
pub const FIELDS: &[&str] = &[
    "repos",
    "aliases",
    "keywords",
    "channel_defaults",
    "classifier_model",
    "default_branch",
    "agent_may_post",
    "bot_user_id",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackConfig {
    /// The repositories requests may work in (`owner/name`, an https remote, a local path).
    #[serde(default)]
    pub repos: Vec<String>,
    /// Alias word → repository.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    #[serde(default)]
    pub keywords: Vec<KeywordRule>,
    /// Channel id → repository.
    #[serde(default)]
    pub channel_defaults: BTreeMap<String, String>,
    /// The small model that picks a repository when nothing else does (`provider/model`); none:
    /// the bot asks.
    #[serde(default)]
    pub classifier_model: Option<String>,
    /// The branch sessions start from when the message names none; none: the repository's.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Whether the agent may post in the thread itself (beyond the status message).
    #[serde(default)]
    pub agent_may_post: bool,
    /// The app's own Slack user id (`U…`), to ignore its messages and strip its mentions.
    #[serde(default)]
    pub bot_user_id: Option<String>,
}

impl SlackConfig {
    pub fn routing(&self) -> RoutingConfig {
        RoutingConfig {
            repos: self.repos.clone(),
            aliases: self.aliases.clone(),
            keywords: self.keywords.clone(),
            channel_defaults: self.channel_defaults.clone(),
        }
    }
}

/// Checks the integration's `config` object for a deployment not in local mode
/// ([`parse_config_with`]).
pub fn parse_config(config: &Map<String, Value>) -> Result<SlackConfig, String> {
    parse_config_with(config, false)
}

/// Checks the integration's `config` object; `local_mode` allows `http` remotes on this
/// machine, as for sessions. The result is trimmed, and aliases, keyword rules and channel
/// defaults name repositories as `repos` spells them.
pub fn parse_config_with(config: &Map<String, Value>, local_mode: bool) -> Result<SlackConfig, String> {
    refuse_unknown(config, FIELDS)?;
    let repos = check_repos(field(config, "repos")?, local_mode, MAX_REPOS, MAX_REPO_CHARS)?;
    let target = |name: &str, repo: &str| configured_repo(&repos, name, repo);

    let raw_aliases: BTreeMap<String, String> = field(config, "aliases")?;
    too_many("aliases", raw_aliases.len(), MAX_ALIASES)?;
    let mut aliases = BTreeMap::new();
    for (alias, repo) in &raw_aliases {
        let word = alias.trim();
        let ok = (1..=MAX_ALIAS_CHARS).contains(&word.chars().count())
            && word.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(format!(
                "aliases: {alias:?} must be one word of 1 to {MAX_ALIAS_CHARS} letters, digits, `-` or `_`"
            ));
        }
        if aliases.keys().any(|a: &String| a.to_lowercase() == word.to_lowercase()) {
            return Err(format!("aliases: {word:?} is given twice"));
        }
        aliases.insert(word.to_string(), target(&format!("aliases.{word}"), repo)?);
    }

    let raw_rules: Vec<Value> = field(config, "keywords")?;
    too_many("keywords", raw_rules.len(), MAX_KEYWORD_RULES)?;
    let mut keywords = Vec::new();
    for (i, raw) in raw_rules.into_iter().enumerate() {
        let rule: KeywordRule = serde_json::from_value(raw).map_err(|e| format!("keywords[{i}]: {e}"))?;
        let keyword = rule.keyword.trim();
        if keyword.is_empty() || keyword.chars().count() > MAX_KEYWORD_CHARS || keyword.chars().any(char::is_control) {
            return Err(format!("keywords[{i}].keyword: must be 1 to {MAX_KEYWORD_CHARS} characters on one line"));
        }
        let repo = target(&format!("keywords[{i}].repo"), &rule.repo)?;
        keywords.push(KeywordRule { keyword: keyword.to_string(), repo });
    }

    let raw_defaults: BTreeMap<String, String> = field(config, "channel_defaults")?;
    too_many("channel_defaults", raw_defaults.len(), MAX_CHANNEL_DEFAULTS)?;
    let mut channel_defaults = BTreeMap::new();
    for (channel, repo) in &raw_defaults {
        let channel = channel.trim();
        if !is_slack_id(channel, &['C', 'G', 'D']) {
            return Err(format!(
                "channel_defaults: {channel:?} is not a channel id (C…, G… or D…; it is at the bottom of the channel's details)"
            ));
        }
        channel_defaults.insert(channel.to_string(), target(&format!("channel_defaults.{channel}"), repo)?);
    }

    let classifier_model = trimmed(field(config, "classifier_model")?);
    if let Some(model) = &classifier_model {
        validate_model(model).map_err(|e| format!("classifier_model: {}", e.message))?;
    }
    let default_branch = trimmed(field(config, "default_branch")?);
    if let Some(branch) = &default_branch {
        validate_branch_name(branch).map_err(|e| format!("default_branch: {}", e.message))?;
    }
    let bot_user_id = trimmed(field(config, "bot_user_id")?);
    if let Some(id) = bot_user_id.as_deref().filter(|id| !is_slack_id(id, &['U', 'W'])) {
        return Err(format!("bot_user_id: {id:?} is not a Slack user id (U… or W…)"));
    }
    Ok(SlackConfig {
        repos,
        aliases,
        keywords,
        channel_defaults,
        classifier_model,
        default_branch,
        agent_may_post: field(config, "agent_may_post")?,
        bot_user_id,
    })
}

/// A Slack id: one of these letters, then 2 to 29 uppercase letters or digits.
fn is_slack_id(id: &str, first: &[char]) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| first.contains(&c))
        && (3..=30).contains(&id.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
