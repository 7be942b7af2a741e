//! Which repository a request from Slack works in.
//!
//! In order, the first that decides wins: a configured repository named in the message
//! (`acme/api`, `github.com/acme/api`, a configured remote's URL, optionally `@branch`), an
//! alias word, the keyword rules, the channel's default, the only configured repository; else a
//! small model classifies the request among all of them, and the bot asks when it is unsure.
//! Two different repositories named (or aliased, or keyword-matched) at the same step: the bot
//! asks among those.
//!
//! Invariant: a route only ever chooses a configured repository, spelled as configured
//! (aliases, keyword rules and channel defaults that point elsewhere are ignored; matching is
//! case-insensitive).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::repo_routing::{configured, distinct_repos, named, settle, word_at, Found, RouteText};

/// The routing part of the Slack settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingConfig {
    /// Configured repositories, e.g. "acme/api" or URLs.
    pub repos: Vec<String>,
    /// Alias → repo.
    pub aliases: BTreeMap<String, String>,
    pub keywords: Vec<KeywordRule>,
    /// Channel id → repo.
    pub channel_defaults: BTreeMap<String, String>,
}

/// A keyword (or phrase) that sends a request to a repository: case-insensitive whole-word
/// match (letters, digits, `_` and `-` make up words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordRule {
    pub keyword: String,
    pub repo: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Work there; `branch` when the message named one (`acme/api@release`), else the
    /// configured default branch (or the repository's).
    Chosen { repo: String, branch: Option<String>, why: RouteReason },
    /// Ask the classifier ([`classifier_prompt`]) among these; when it is unsure (or there is
    /// no classifier), ask the person.
    Classify { candidates: Vec<String> },
    /// Ask the person among these (the message matched several).
    Ask { candidates: Vec<String> },
    /// No repository is configured: nothing can start.
    NoRepos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteReason {
    Named,
    Alias,
    /// The keyword of the first rule that matched.
    Keyword(String),
    ChannelDefault,
    Classifier,
    /// Picked from the menu.
    Chosen,
    /// The only configured repository.
    OnlyOne,
}

impl RouteReason {
    /// Why, in words for the "Working on it" message.
    pub fn describe(&self) -> String {
        match self {
            RouteReason::Named => "named in the request".into(),
            RouteReason::Alias => "named by its alias".into(),
            RouteReason::Keyword(keyword) => format!("the request mentions “{keyword}”"),
            RouteReason::ChannelDefault => "this channel's repository".into(),
            RouteReason::Classifier => "it looked like the best match".into(),
            RouteReason::Chosen => "chosen from the menu".into(),
            RouteReason::OnlyOne => "the only configured repository".into(),
        }
    }
}

pub use crate::repo_routing::{parse_classifier_answer, MAX_CLASSIFIER_TEXT_CHARS, MAX_ROUTE_TEXT_CHARS, UNSURE};

/// A message as routing sees it: Slack's `<…>` markup unwrapped (links kept as their URL and
/// label, mentions dropped), `&amp;`/`&lt;`/`&gt;` decoded.
fn plain_text(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(close) = rest.find('>') {
        let Some(open) = rest[..close].rfind('<') else {
            plain.push_str(&rest[..=close]);
            rest = &rest[close + 1..];
            continue;
        };
        plain.push_str(&rest[..open]);
        let inner = &rest[open + 1..close];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        if !(target.starts_with('@') || target.starts_with('!') || target.starts_with('#')) {
            plain.push_str(target);
        }
        plain.push(' ');
        plain.push_str(label);
        rest = &rest[close + 1..];
    }
    plain.push_str(rest);
    plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Several matches for one step: Chosen when they agree on one repository, Ask among them
/// otherwise, None when there are none.
fn decide(found: Vec<(String, Option<String>)>, why: RouteReason) -> Option<Route> {
    match settle(found) {
        Found::Nothing => None,
        Found::One { repo, branch } => Some(Route::Chosen { repo, branch, why }),
        Found::Several(candidates) => Some(Route::Ask { candidates }),
    }
}

/// Order: a repository named in the message (`owner/name` among configured repos — also as
/// `github.com/owner/name` — or a configured remote's URL, or an alias word; an optional
/// `@branch` suffix), keyword rules (first rule in order that matches; if rules for 2+
/// different repos match → Ask with those), the channel default, the only configured
/// repository (OnlyOne), else Classify with all configured repos. No configured repository:
/// NoRepos.
pub fn route(text: &str, channel: &str, config: &RoutingConfig) -> Route {
    let mut repos = distinct_repos(&config.repos);
    if repos.is_empty() {
        return Route::NoRepos;
    }
    let text = RouteText::new(&plain_text(text));
    if let Some(route) = decide(named(&text, &repos), RouteReason::Named) {
        return route;
    }
    let mut aliased = config
        .aliases
        .iter()
        .filter_map(|(alias, repo)| Some((configured(&repos, repo)?, word_at(&text, alias)?)))
        .collect::<Vec<_>>();
    aliased.sort_by_key(|(repo, _)| repos.iter().position(|r| r == repo));
    if let Some(route) = decide(aliased, RouteReason::Alias) {
        return route;
    }
    let keyed = config
        .keywords
        .iter()
        .filter(|rule| !rule.keyword.trim().is_empty())
        .filter_map(|rule| Some((configured(&repos, &rule.repo)?, word_at(&text, &rule.keyword)?, rule)))
        .collect::<Vec<_>>();
    if let Some((_, _, first)) = keyed.first() {
        let why = RouteReason::Keyword(first.keyword.trim().to_string());
        // A keyword names no branch.
        if let Some(route) = decide(keyed.iter().map(|(repo, _, _)| (repo.clone(), None)).collect(), why) {
            return route;
        }
    }
    if let Some(repo) = config.channel_defaults.get(channel).and_then(|r| configured(&repos, r)) {
        return Route::Chosen { repo, branch: None, why: RouteReason::ChannelDefault };
    }
    if repos.len() == 1 {
        return Route::Chosen { repo: repos.remove(0), branch: None, why: RouteReason::OnlyOne };
    }
    Route::Classify { candidates: repos }
}

/// The classifier's prompt (system, user) for a request from Slack
/// ([`crate::repo_routing::classifier_prompt`]).
pub fn classifier_prompt(text: &str, candidates: &[String]) -> (String, String) {
    crate::repo_routing::classifier_prompt("requests from a team chat", text, candidates)
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
