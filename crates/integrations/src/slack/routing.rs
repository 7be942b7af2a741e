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

use oi_session_core::validation::validate_branch_name;
use serde::{Deserialize, Serialize};

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

/// The part of a message routing looks at.
pub const MAX_ROUTE_TEXT_CHARS: usize = 4_000;

/// A message as routing sees it: Slack's `<…>` markup unwrapped (links kept as their URL and
/// label, mentions dropped), `&amp;`/`&lt;`/`&gt;` decoded, cut to [`MAX_ROUTE_TEXT_CHARS`];
/// `low` is the same text lowercased character for character.
struct Text {
    orig: Vec<char>,
    low: Vec<char>,
}

impl Text {
    fn new(text: &str) -> Text {
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
        let plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        let orig: Vec<char> = plain.chars().take(MAX_ROUTE_TEXT_CHARS).collect();
        let low = orig.iter().map(|c| lower(*c)).collect();
        Text { orig, low }
    }

    /// Where `needle` (lowercase) starts, at every occurrence.
    fn find(&self, needle: &[char]) -> impl Iterator<Item = usize> + '_ {
        let needle = needle.to_vec();
        (0..self.low.len()).filter(move |&at| !needle.is_empty() && self.low[at..].starts_with(&needle))
    }

    fn before_ends_with(&self, at: usize, suffix: &str) -> bool {
        let suffix: Vec<char> = suffix.chars().collect();
        self.low[..at].ends_with(&suffix)
    }
}

fn lower(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

fn lowered(s: &str) -> Vec<char> {
    s.chars().map(lower).collect()
}

/// Characters of repository names and paths.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// Characters of words (aliases, keywords).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_')
}

/// How a configured repository is written in a message (lowercase), each with whether it may
/// follow a host (`github.com/acme/api`, `https://gitlab.com/acme/api`). A remote's URL is
/// matched without its scheme (which covers it with the scheme too), and by its path alone
/// (`https://github.com/acme/api` as `acme/api`); `.git` and a trailing `/` are optional.
fn forms(repo: &str) -> Vec<(Vec<char>, bool)> {
    let repo = repo.trim().trim_end_matches('/');
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    match repo.strip_prefix("https://").or_else(|| repo.strip_prefix("http://")) {
        Some(rest) => {
            let mut forms = vec![(lowered(rest), true)];
            if let Some((_, path)) = rest.split_once('/').filter(|(_, path)| path.contains('/')) {
                forms.push((lowered(path), true));
            }
            forms
        }
        None => vec![(lowered(repo), !repo.starts_with('/'))],
    }
}

/// Where a name ends, if it ends at a boundary: the name may be followed by `.git`, by a path
/// (only after a host), by a sentence's end, or by `@branch`. Returns the branch, if any.
fn name_ends(text: &Text, end: usize, after_host: bool) -> Option<Option<String>> {
    let at = |i: usize| text.low.get(i).copied();
    let mut end = end;
    if text.low[end..].starts_with(&['.', 'g', 'i', 't']) && !at(end + 4).is_some_and(is_name_char) {
        end += 4;
    }
    match at(end) {
        None => Some(None),
        Some('@') => Some(branch_at(text, end + 1)),
        Some('/') if after_host => Some(None),
        Some('.') if !at(end + 1).is_some_and(char::is_alphanumeric) => Some(None),
        Some(c) if is_name_char(c) => None,
        Some(_) => Some(None),
    }
}

/// A branch name written after `@`, if it is a valid one (trailing punctuation dropped).
fn branch_at(text: &Text, start: usize) -> Option<String> {
    let raw: String = text.orig[start.min(text.orig.len())..]
        .iter()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | '(' | ')' | '"' | '\'' | '`' | '<' | '>' | '|'))
        .collect();
    let branch = raw.trim_end_matches(['.', '!', '?', ':']);
    validate_branch_name(branch).is_ok().then(|| branch.to_string())
}

/// Configured repositories named in `text`, in the order of `repos`, each once, with the first
/// branch named with it.
fn named(text: &Text, repos: &[String]) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for repo in repos {
        let mut hit: Option<Option<String>> = None;
        for (form, may_follow_host) in forms(repo) {
            for start in text.find(&form) {
                let after_host = may_follow_host
                    && (text.before_ends_with(start, "github.com/") || text.before_ends_with(start, "://"));
                if start > 0 && is_name_char(text.low[start - 1]) && !after_host {
                    continue;
                }
                if let Some(branch) = name_ends(text, start + form.len(), after_host) {
                    if hit.as_ref().is_none_or(|b| b.is_none()) {
                        hit = Some(branch);
                    }
                }
            }
        }
        if let Some(branch) = hit {
            found.push((repo.clone(), branch));
        }
    }
    found
}

/// Whether `word` occurs in `text` as a whole word; the branch written after it with `@`.
fn word_at(text: &Text, word: &str) -> Option<Option<String>> {
    let needle = lowered(word.trim());
    text.find(&needle).find_map(|start| {
        let end = start + needle.len();
        let clean_start = start == 0 || !is_word_char(text.low[start - 1]);
        let clean_end = text.low.get(end).is_none_or(|c| !is_word_char(*c));
        (clean_start && clean_end)
            .then(|| if text.low.get(end) == Some(&'@') { branch_at(text, end + 1) } else { None })
    })
}

/// The configured spelling of `repo`, if it is configured.
fn configured(repos: &[String], repo: &str) -> Option<String> {
    repos.iter().find(|r| r.eq_ignore_ascii_case(repo.trim())).cloned()
}

/// Several matches for one step: Chosen when they agree on one repository, Ask among them
/// otherwise, None when there are none.
fn decide(found: Vec<(String, Option<String>)>, why: RouteReason) -> Option<Route> {
    let mut repos: Vec<String> = Vec::new();
    for (repo, _) in &found {
        if !repos.contains(repo) {
            repos.push(repo.clone());
        }
    }
    match repos.len() {
        0 => None,
        1 => {
            let branch = found.into_iter().find_map(|(_, b)| b);
            Some(Route::Chosen { repo: repos.remove(0), branch, why })
        }
        _ => Some(Route::Ask { candidates: repos }),
    }
}

/// Order: a repository named in the message (`owner/name` among configured repos — also as
/// `github.com/owner/name` — or a configured remote's URL, or an alias word; an optional
/// `@branch` suffix), keyword rules (first rule in order that matches; if rules for 2+
/// different repos match → Ask with those), the channel default, the only configured
/// repository (OnlyOne), else Classify with all configured repos. No configured repository:
/// NoRepos.
pub fn route(text: &str, channel: &str, config: &RoutingConfig) -> Route {
    let mut repos: Vec<String> = Vec::new();
    for repo in config.repos.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if configured(&repos, repo).is_none() {
            repos.push(repo.to_string());
        }
    }
    if repos.is_empty() {
        return Route::NoRepos;
    }
    let text = Text::new(text);
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

/// The part of a request the classifier sees.
pub const MAX_CLASSIFIER_TEXT_CHARS: usize = 2_000;
/// The answer that means "ask the person".
pub const UNSURE: &str = "unsure";

/// The classifier: the prompt to a small model (system, user), asking it to answer with exactly
/// one repository from the list or "unsure".
pub fn classifier_prompt(text: &str, candidates: &[String]) -> (String, String) {
    let system = format!(
        "You route requests from a team chat to the code repository they are about. \
         Answer with exactly one repository from the list, copied exactly as written there, and nothing else. \
         If the request does not clearly belong to one of them, answer with the single word {UNSURE}."
    );
    let mut user = String::from("Repositories:\n");
    for candidate in candidates {
        user.push_str(&format!("- {candidate}\n"));
    }
    let request = crate::cut_chars(text.trim(), MAX_CLASSIFIER_TEXT_CHARS);
    user.push_str(&format!("\nRequest:\n{request}\n\nAnswer with one repository from the list, or {UNSURE}."));
    (system, user)
}

/// Parses the model's answer: a configured repository (exact, or the answer contains exactly
/// one candidate name) → Some(repo, spelled as in `candidates`); "unsure", anything else, or a
/// repository not in the list → None (then the bot asks).
pub fn parse_classifier_answer(answer: &str, candidates: &[String]) -> Option<String> {
    let bare = answer.trim().trim_matches(|c: char| matches!(c, '`' | '"' | '\'' | '*' | '“' | '”')).trim();
    let bare = bare.strip_suffix('.').unwrap_or(bare).trim();
    if let Some(exact) = configured(candidates, bare) {
        return Some(exact);
    }
    let text = Text::new(answer);
    if word_at(&text, UNSURE).is_some() {
        return None;
    }
    let mut found = named(&text, candidates).into_iter();
    match (found.next(), found.next()) {
        (Some((repo, _)), None) => Some(repo),
        _ => None,
    }
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
