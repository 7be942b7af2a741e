//! Which repository a Linear issue is worked on in, and which model works on it.
//!
//! Repository, in order, the first that decides wins: a configured repository named in the
//! issue's title or description (`acme/api`, `github.com/acme/api`, a configured remote's URL,
//! optionally `@branch`); the issue's project mapping (by project id, then name); its team
//! mapping (by team id, then key); its labels' mappings; the only configured repository; else a
//! small model classifies the issue among all of them, and the agent asks (an elicitation) when
//! there is no classifier or it is unsure. Two different repositories named, or labels mapping
//! to different repositories: the agent asks among those.
//!
//! The issue's "team or project mapping" step checks the project first: a project is narrower
//! than a team, so a team's mapping acts as the default for its projects that have none.
//!
//! Model: a `model:<provider>/<model>` label picks it; none: the repository's or the
//! deployment's default. Labels naming different models, or only labels naming no model in
//! that form, pick nothing (the default is used) and say why.
//!
//! Invariant: a route only ever chooses a configured repository, spelled as configured
//! (mappings that point elsewhere are ignored; names and keys match case-insensitively, ids
//! exactly).

use std::collections::BTreeMap;

use oi_session_core::validation::validate_model;

use super::issue::IssueDetails;
use super::settings::LinearConfig;
use crate::repo_routing::{configured, distinct_repos, named, settle, Found, RouteText};

pub use crate::repo_routing::parse_classifier_answer;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Work there; `branch` when the issue named one (`acme/api@release`), else the configured
    /// default branch (or the repository's).
    Chosen { repo: String, branch: Option<String>, why: RouteReason },
    /// Ask the classifier ([`classifier_prompt`]) among these; when it is unsure (or there is
    /// no classifier), ask the person ([`super::activities::repo_elicitation`]).
    Classify { candidates: Vec<String> },
    /// Ask the person among these (the issue matched several).
    Ask { candidates: Vec<String> },
    /// No repository is configured: nothing can start.
    NoRepos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteReason {
    Named,
    /// The project's name.
    Project(String),
    /// The team's key.
    Team(String),
    /// The first label (in the issue's order) that maps to it.
    Label(String),
    /// The only configured repository.
    OnlyOne,
    Classifier,
    /// The person's answer to the elicitation.
    Answered,
}

impl RouteReason {
    /// Why, in words for the agent's thought ("Working in acme/api: …").
    pub fn describe(&self) -> String {
        match self {
            RouteReason::Named => "named in the issue".into(),
            RouteReason::Project(name) => format!("the repository of the project “{name}”"),
            RouteReason::Team(key) => format!("the repository of the team {key}"),
            RouteReason::Label(label) => format!("the repository of the label “{label}”"),
            RouteReason::OnlyOne => "the only configured repository".into(),
            RouteReason::Classifier => "it looked like the best match".into(),
            RouteReason::Answered => "your answer".into(),
        }
    }
}

/// The issue's text as routing and the classifier read it: title, then description.
fn issue_text(issue: &IssueDetails) -> String {
    match issue.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(description) => format!("{}\n\n{description}", issue.title.trim()),
        None => issue.title.trim().to_string(),
    }
}

/// The repository a mapping gives for `id` (exactly), else for `name` (case-insensitively), if
/// it is configured.
fn mapped(mapping: &BTreeMap<String, String>, id: Option<&str>, name: &str, repos: &[String]) -> Option<String> {
    let by_id = id.and_then(|id| mapping.get(id));
    let by_name = || mapping.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, repo)| repo);
    by_id.or_else(by_name).and_then(|repo| configured(repos, repo))
}

/// The route for an issue ([module docs](self) give the order).
pub fn route(issue: &IssueDetails, config: &LinearConfig) -> Route {
    let mut repos = distinct_repos(&config.repos);
    if repos.is_empty() {
        return Route::NoRepos;
    }
    match settle(named(&RouteText::new(&issue_text(issue)), &repos)) {
        Found::One { repo, branch } => return Route::Chosen { repo, branch, why: RouteReason::Named },
        Found::Several(candidates) => return Route::Ask { candidates },
        Found::Nothing => {}
    }
    if let Some(project) = &issue.project {
        if let Some(repo) = mapped(&config.project_repos, Some(&project.id), &project.name, &repos) {
            return Route::Chosen { repo, branch: None, why: RouteReason::Project(project.name.clone()) };
        }
    }
    if let Some(repo) = mapped(&config.team_repos, Some(&issue.team.id), &issue.team.key, &repos) {
        return Route::Chosen { repo, branch: None, why: RouteReason::Team(issue.team.key.clone()) };
    }
    let labelled: Vec<(String, &String)> = issue
        .labels
        .iter()
        .filter_map(|label| Some((mapped(&config.label_repos, None, label, &repos)?, label)))
        .collect();
    match settle(labelled.iter().map(|(repo, _)| (repo.clone(), None)).collect()) {
        Found::One { repo, .. } => {
            return Route::Chosen { repo, branch: None, why: RouteReason::Label(labelled[0].1.clone()) }
        }
        Found::Several(candidates) => return Route::Ask { candidates },
        Found::Nothing => {}
    }
    if repos.len() == 1 {
        return Route::Chosen { repo: repos.remove(0), branch: None, why: RouteReason::OnlyOne };
    }
    Route::Classify { candidates: repos }
}

/// The classifier's prompt (system, user) for an issue
/// ([`crate::repo_routing::classifier_prompt`]); its answer is read by
/// [`parse_classifier_answer`].
pub fn classifier_prompt(issue: &IssueDetails, candidates: &[String]) -> (String, String) {
    let text = format!("{}: {}", issue.identifier, issue_text(issue));
    crate::repo_routing::classifier_prompt("issues from an issue tracker", &text, candidates)
}

/// The person's answer to the repository elicitation: the number of a listed candidate (`2`,
/// counting from 1), or a candidate named as the classifier's answer may name it. None: the
/// answer chose nothing (the agent asks again).
pub fn parse_repo_answer(answer: &str, candidates: &[String]) -> Option<String> {
    let bare = answer.trim().trim_end_matches(['.', ')']);
    if let Ok(n) = bare.parse::<usize>() {
        return n.checked_sub(1).and_then(|i| candidates.get(i)).cloned();
    }
    parse_classifier_answer(answer, candidates)
}

/// The prefix of a label that picks the model (case-insensitive).
pub const MODEL_LABEL_PREFIX: &str = "model:";

/// What the issue's labels say about the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelModel {
    /// No `model:` label: the repository's or the deployment's default.
    Unset,
    /// The model one or more labels name (the same one).
    Chosen(String),
    /// The default is used; the reason is for the person (labels that disagree, or that name
    /// no model as `provider/model`).
    Ignored { reason: String },
}

/// The model the issue's labels pick. Labels naming no model in `provider/model` form are
/// ignored when another names one; labels naming different models cancel each other out.
pub fn model_from_labels(labels: &[String]) -> LabelModel {
    let mut models: Vec<&str> = Vec::new();
    let mut malformed: Vec<&str> = Vec::new();
    for label in labels {
        let label = label.trim();
        let Some(prefix) = label.get(..MODEL_LABEL_PREFIX.len()) else { continue };
        if !prefix.eq_ignore_ascii_case(MODEL_LABEL_PREFIX) {
            continue;
        }
        let model = label[MODEL_LABEL_PREFIX.len()..].trim();
        if validate_model(model).is_err() {
            malformed.push(label);
        } else if !models.contains(&model) {
            models.push(model);
        }
    }
    match (models.as_slice(), malformed.first()) {
        ([], None) => LabelModel::Unset,
        ([model], _) => LabelModel::Chosen(model.to_string()),
        ([], Some(label)) => LabelModel::Ignored {
            reason: format!("the label “{label}” names no model as `model:provider/model`; using the default model"),
        },
        (several, _) => LabelModel::Ignored {
            reason: format!("the labels name different models ({}); using the default model", several.join(", ")),
        },
    }
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
