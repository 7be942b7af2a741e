//! What the agent posts to a Linear agent session: activity `content` objects (the
//! `AgentActivity*Content` shapes of shared/contracts/linear/schema-subset.graphql, sent as
//! `agentActivityCreate`'s `content`), and their texts.
//!
//! Invariant: an [`ActivityContent`] is only made here, and always fits: bodies of at most
//! [`MAX_BODY_CHARS`], an action's name, parameter and result of at most [`MAX_ACTION_CHARS`],
//! [`MAX_PARAMETER_CHARS`] and [`MAX_RESULT_CHARS`]; a cut text ends with "…", on a character
//! boundary, and links the agent adds (the pull request, the session page) are never the part
//! cut. A prompt shows at most [`MAX_ACTIONS_PER_PROMPT`] `action` activities
//! ([`may_post_action`]).

use serde_json::{json, Value};

use super::routing::{LabelModel, RouteReason};
use crate::truncate;

/// The longest body of a thought, elicitation, response or error.
pub const MAX_BODY_CHARS: usize = 10_000;
/// The longest action name (`Edited`, `Ran`…), parameter (a path, a command) and result.
pub const MAX_ACTION_CHARS: usize = 100;
pub const MAX_PARAMETER_CHARS: usize = 500;
pub const MAX_RESULT_CHARS: usize = 2_000;
/// The most `action` activities one prompt posts (the count starts again with each prompt, so
/// a follow-up shows its steps too); later steps are on the session page.
pub const MAX_ACTIONS_PER_PROMPT: usize = 25;
/// The most repositories an elicitation lists by number; the rest may be answered by name.
pub const MAX_LISTED_REPOS: usize = 30;

/// One activity's `content`, within the limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityContent(Value);

impl ActivityContent {
    fn body(kind: &str, body: &str) -> ActivityContent {
        ActivityContent(json!({"type": kind, "body": truncate(body.trim(), MAX_BODY_CHARS)}))
    }

    /// The JSON object for `agentActivityCreate`'s `content`.
    pub fn as_json(&self) -> &Value {
        &self.0
    }

    /// `thought`, `action`, `elicitation`, `response` or `error`.
    pub fn kind(&self) -> &str {
        self.0["type"].as_str().unwrap_or_default()
    }

    /// Whether it may be posted `ephemeral` (replaced by the next activity): thoughts and
    /// actions only.
    pub fn may_be_ephemeral(&self) -> bool {
        matches!(self.kind(), "thought" | "action")
    }
}

/// A `thought`: what the agent is thinking or about to do.
pub fn thought(body: &str) -> ActivityContent {
    ActivityContent::body("thought", body)
}

/// An `elicitation`: a question the person answers with their next prompt.
pub fn elicitation(body: &str) -> ActivityContent {
    ActivityContent::body("elicitation", body)
}

/// An `error`: why the work failed.
pub fn error(body: &str) -> ActivityContent {
    ActivityContent::body("error", body)
}

/// An `action`: one of the agent's steps (`Edited` `src/app.ts`), with its result once known.
pub fn action(action: &str, parameter: &str, result: Option<&str>) -> ActivityContent {
    let mut content = json!({
        "type": "action",
        "action": truncate(action.trim(), MAX_ACTION_CHARS),
        "parameter": truncate(parameter.trim(), MAX_PARAMETER_CHARS),
    });
    if let Some(result) = result.map(str::trim).filter(|r| !r.is_empty()) {
        content["result"] = json!(truncate(result, MAX_RESULT_CHARS));
    }
    ActivityContent(content)
}

/// Whether another `action` may be posted for a prompt that already posted `posted`.
pub fn may_post_action(posted: usize) -> bool {
    posted < MAX_ACTIONS_PER_PROMPT
}

/// The first thought, posted as soon as a session is created (Linear shows a session with no
/// activity after 10 s as unresponsive).
pub fn initial_thought(issue_identifier: Option<&str>) -> ActivityContent {
    match issue_identifier.map(str::trim).filter(|i| !i.is_empty()) {
        Some(identifier) => thought(&format!("Reading {identifier} and choosing a repository to work in.")),
        None => thought("Reading the request and choosing a repository to work in."),
    }
}

/// The thought once the repository is chosen: where, why, and the model the labels picked (or
/// why they picked none).
pub fn working_thought(repo: &str, branch: Option<&str>, why: &RouteReason, model: &LabelModel) -> ActivityContent {
    let mut body = format!("Working in `{repo}`");
    if let Some(branch) = branch {
        body.push_str(&format!(" from `{branch}`"));
    }
    body.push_str(&format!(" ({}).", why.describe()));
    match model {
        LabelModel::Unset => {}
        LabelModel::Chosen(model) => body.push_str(&format!(" Model: `{model}` (from the issue's label).")),
        LabelModel::Ignored { reason } => body.push_str(&format!(" Note: {reason}.")),
    }
    thought(&body)
}

/// The question asking which repository to work in: the candidates by number (at most
/// [`MAX_LISTED_REPOS`]; the rest by name), answered by the person's next prompt
/// ([`super::routing::parse_repo_answer`]).
pub fn repo_elicitation(candidates: &[String]) -> ActivityContent {
    let mut body = String::from("Which repository should I work in? Reply with its number or its name:\n");
    for (i, repo) in candidates.iter().take(MAX_LISTED_REPOS).enumerate() {
        body.push_str(&format!("\n{}. `{repo}`", i + 1));
    }
    if candidates.len() > MAX_LISTED_REPOS {
        body.push_str(&format!("\n\n…and {} more, by name.", candidates.len() - MAX_LISTED_REPOS));
    }
    elicitation(&body)
}

/// The error when no repository is configured.
pub fn no_repos_error() -> ActivityContent {
    error("No repository is configured for Linear yet: an admin can add some in Settings → Integrations → Linear.")
}

/// The error for a session that is not about an issue (started from a document or a project).
pub fn not_an_issue_error() -> ActivityContent {
    error("I can only work on issues: mention me in an issue, or delegate one to me.")
}

/// `text`, then the links (each on its own line), within [`MAX_BODY_CHARS`]: the text is cut to
/// leave the links whole.
fn with_links(text: &str, links: &[String]) -> String {
    let tail: String = links.iter().map(|link| format!("\n\n{link}")).collect();
    let room = MAX_BODY_CHARS.saturating_sub(tail.chars().count());
    format!("{}{tail}", truncate(text.trim(), room))
}

fn link(label: &str, url: &str) -> String {
    format!("[{label}]({})", url.trim())
}

/// The final `response`: the agent's summary (markdown, as it wrote it), the pull request (or
/// that none was opened), and the session page.
pub fn response(summary: &str, pull_request_url: Option<&str>, session_url: &str) -> ActivityContent {
    let summary = if summary.trim().is_empty() { "Done." } else { summary };
    let pull_request = match pull_request_url {
        Some(url) => link("Pull request", url),
        None => "No pull request was opened.".to_string(),
    };
    let links = [pull_request, link("Open the session in Open Inspect", session_url)];
    ActivityContent::body("response", &with_links(summary, &links))
}

/// The comment that attaches the session's pull request to its issue (the contract has no
/// attachment mutation: a comment with the link is what every member of the issue sees).
pub fn pull_request_comment(number: u64, url: &str, session_url: &str) -> String {
    format!(
        "Opened by the agent: {} — {}",
        link(&format!("pull request #{number}"), url),
        link("the session in Open Inspect", session_url)
    )
}

/// An `error` with the reason and, when there is one, the session page.
pub fn failure(reason: &str, session_url: Option<&str>) -> ActivityContent {
    let links: Vec<String> = session_url.map(|url| link("Open the session in Open Inspect", url)).into_iter().collect();
    error(&with_links(reason, &links))
}

#[cfg(test)]
#[path = "activities_tests.rs"]
mod tests;
