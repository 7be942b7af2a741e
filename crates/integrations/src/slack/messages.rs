//! What the bot posts: Block Kit messages (`{"text", "blocks"}`, the body of `chat.postMessage`
//! / `chat.update` without `channel`/`ts`), and ephemeral texts.
//!
//! Invariant: every message fits Slack's limits whatever goes in (a long answer, many
//! repositories, long names): at most [`MAX_BLOCKS`] blocks, section and context texts of at
//! most [`MAX_SECTION_CHARS`], a `text` fallback of at most [`MAX_TEXT_CHARS`], button texts of
//! at most [`MAX_BUTTON_TEXT_CHARS`]; texts are cut on a character boundary and end with "…".
//! An id or value that would not fit is never cut (it would name something else): its element
//! is left out. Text the bot did not write is escaped (`&`, `<`, `>`), except the agent's
//! answer, which is Slack mrkdwn with its broadcast mentions removed.

use serde_json::{json, Value};

use super::events::strip_broadcasts;

pub const ACTION_CREATE_PR: &str = "oi_create_pr";
pub const ACTION_STOP: &str = "oi_stop";
pub const ACTION_CHOOSE_REPO: &str = "oi_choose_repo";
/// Link buttons: Slack still sends an interaction when they are clicked (acknowledged, ignored).
pub const ACTION_VIEW_SESSION: &str = "oi_view_session";
pub const ACTION_OPEN_PR: &str = "oi_open_pr";

pub const MAX_SECTION_CHARS: usize = 3_000;
pub const MAX_BLOCKS: usize = 50;
pub const MAX_BUTTON_TEXT_CHARS: usize = 75;
pub const MAX_TEXT_CHARS: usize = 4_000;
/// `action_id`, and (by our rule) a button's `value`.
pub const MAX_ACTION_ID_CHARS: usize = 255;
pub const MAX_VALUE_CHARS: usize = 255;
pub const MAX_OPTION_VALUE_CHARS: usize = 150;
pub const MAX_OPTION_TEXT_CHARS: usize = 75;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_PLACEHOLDER_CHARS: usize = 150;
pub const MAX_URL_CHARS: usize = 3_000;
/// The most of an answer a status message shows (in sections of [`MAX_SECTION_CHARS`]).
pub const MAX_ANSWER_CHARS: usize = 12_000;
/// The most recent tool actions shown while working, and each one's length.
pub const MAX_RECENT_ACTIONS: usize = 5;
pub const MAX_ACTION_LINE_CHARS: usize = 200;

pub use crate::truncate;

/// Escapes text for mrkdwn (`&`, `<`, `>`), so it cannot mention or link anyone.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn section(mrkdwn: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_CHARS)}})
}

fn context(mrkdwn: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, MAX_SECTION_CHARS)}]})
}

fn plain(text: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": truncate(text, max), "emoji": true})
}

/// A link button, if the URL is an http(s) one that fits.
fn link_button(label: &str, action_id: &str, url: &str) -> Option<Value> {
    let ok = (url.starts_with("https://") || url.starts_with("http://")) && url.chars().count() <= MAX_URL_CHARS;
    ok.then(
        || json!({"type": "button", "action_id": action_id, "text": plain(label, MAX_BUTTON_TEXT_CHARS), "url": url}),
    )
}

/// A button that sends `value` back, if it fits.
fn action_button(label: &str, action_id: &str, value: &str) -> Option<Value> {
    let ok = !value.is_empty() && value.chars().count() <= MAX_VALUE_CHARS;
    ok.then(|| json!({"type": "button", "action_id": action_id, "text": plain(label, MAX_BUTTON_TEXT_CHARS), "value": value}))
}

fn actions(buttons: Vec<Option<Value>>) -> Option<Value> {
    let elements: Vec<Value> = buttons.into_iter().flatten().collect();
    (!elements.is_empty()).then(|| json!({"type": "actions", "elements": elements}))
}

fn message(text: &str, blocks: Vec<Option<Value>>) -> Value {
    let blocks: Vec<Value> = blocks.into_iter().flatten().take(MAX_BLOCKS).collect();
    json!({"text": truncate(text, MAX_TEXT_CHARS), "blocks": blocks})
}

/// What the "Working on it" message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started<'a> {
    pub repo: &'a str,
    pub branch: &'a str,
    pub model: &'a str,
    pub session_url: &'a str,
    /// Why this repository ([`super::routing::RouteReason::describe`]).
    pub reason: &'a str,
}

/// "Working on it in <repo> (<branch>) with <model> — <why>" + View session button.
pub fn started_message(s: &Started) -> Value {
    let (repo, branch, model, reason) = (escape(s.repo), escape(s.branch), escape(s.model), escape(s.reason));
    let mut line = format!("Working on it in {repo} ({branch}) with {model}");
    let mut rich = format!("Working on it in *{repo}* (`{branch}`) with `{model}`");
    if !reason.trim().is_empty() {
        line.push_str(&format!(" — {reason}"));
        rich.push_str(&format!(" — {reason}"));
    }
    let button = link_button("View session", ACTION_VIEW_SESSION, s.session_url);
    message(&line, vec![Some(section(&rich)), actions(vec![button])])
}

/// Where a session is, for the status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    Booting,
    Working {
        /// The last few tool actions (the last [`MAX_RECENT_ACTIONS`] are shown).
        recent_actions: &'a [String],
    },
    Done {
        answer: &'a str,
        files_changed: u32,
        branch: Option<&'a str>,
        pull_request_url: Option<&'a str>,
    },
    Failed {
        reason: &'a str,
    },
    Stopped,
}

/// The answer in sections of at most [`MAX_SECTION_CHARS`], cut at a line break when one is
/// near, the whole cut to [`MAX_ANSWER_CHARS`]; and whether it was cut.
fn answer_sections(answer: &str) -> (Vec<String>, bool) {
    let cut = answer.chars().count() > MAX_ANSWER_CHARS;
    let answer = if cut { truncate(answer, MAX_ANSWER_CHARS) } else { answer.to_string() };
    let mut sections = Vec::new();
    let mut rest = answer.as_str();
    while !rest.is_empty() {
        let head = crate::cut_chars(rest, MAX_SECTION_CHARS);
        let at = if head.len() == rest.len() {
            head.len()
        } else {
            // The last line break in the second half of the chunk, else the chunk.
            match head.rfind('\n') {
                Some(nl) if nl > head.len() / 2 => nl + 1,
                _ => head.len(),
            }
        };
        let chunk = rest[..at].trim_end();
        if !chunk.trim().is_empty() {
            sections.push(chunk.to_string());
        }
        rest = &rest[at..];
    }
    (sections, cut)
}

/// One message updated in place as the session goes: buttons View session (url), Create PR
/// (action_id "oi_create_pr", value session id; when done with changed files) or a "Pull
/// request" link button when pull_request_url, Stop (action_id "oi_stop", value session id,
/// style danger, with a confirmation) only while Booting/Working.
pub fn status_message(session_url: &str, session_id: &str, p: &Progress) -> Value {
    let view = link_button("View session", ACTION_VIEW_SESSION, session_url);
    let stop = || {
        action_button("Stop", ACTION_STOP, session_id).map(|mut b| {
            b["style"] = json!("danger");
            b["confirm"] = json!({
                "title": plain("Stop the session?", 100),
                "text": plain("The agent stops where it is; its changes so far stay on its branch.", 300),
                "confirm": plain("Stop", 30),
                "deny": plain("Keep working", 30),
            });
            b
        })
    };
    match p {
        Progress::Booting => message(
            "Starting a sandbox…",
            vec![Some(section(":hourglass_flowing_sand: Starting a sandbox…")), actions(vec![view, stop()])],
        ),
        Progress::Working { recent_actions } => {
            let start = recent_actions.len().saturating_sub(MAX_RECENT_ACTIONS);
            let lines: Vec<String> = recent_actions[start..]
                .iter()
                .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|a| !a.is_empty())
                .map(|a| format!("• {}", escape(&truncate(&a, MAX_ACTION_LINE_CHARS))))
                .collect();
            let recent = (!lines.is_empty()).then(|| context(&lines.join("\n")));
            message("Working…", vec![Some(section(":gear: Working…")), recent, actions(vec![view, stop()])])
        }
        Progress::Done { answer, files_changed, branch, pull_request_url } => {
            let branch = branch.map(str::trim).filter(|b| !b.is_empty());
            let summary = match (files_changed, branch) {
                (0, _) if pull_request_url.is_some() => "the changes are in the pull request".to_string(),
                (0, _) => "no files changed".to_string(),
                (1, Some(b)) => format!("1 file changed on `{}`", escape(b)),
                (n, Some(b)) => format!("{n} files changed on `{}`", escape(b)),
                (1, None) => "1 file changed".to_string(),
                (n, None) => format!("{n} files changed"),
            };
            let answer = strip_broadcasts(answer);
            let (sections, cut) = answer_sections(&answer);
            let mut blocks = vec![Some(section(&format!(":white_check_mark: Done — {summary}")))];
            blocks.extend(sections.iter().map(|s| Some(section(s))));
            if cut {
                blocks.push(Some(context(
                    "The answer is longer than a Slack message; the full answer is in the session.",
                )));
            }
            let pr = match pull_request_url.and_then(|url| link_button("Pull request", ACTION_OPEN_PR, url)) {
                Some(link) => Some(link),
                None if *files_changed > 0 => action_button("Create PR", ACTION_CREATE_PR, session_id),
                None => None,
            };
            blocks.push(actions(vec![view, pr]));
            let text =
                if answer.is_empty() { format!("Done — {summary}") } else { format!("Done — {summary}: {answer}") };
            message(&text, blocks)
        }
        Progress::Failed { reason } => {
            let reason = escape(reason.trim());
            let line = if reason.is_empty() { "Failed.".to_string() } else { format!("Failed: {reason}") };
            message(&line, vec![Some(section(&format!(":x: {line}"))), actions(vec![view])])
        }
        Progress::Stopped => message("Stopped.", vec![Some(section(":octagonal_sign: Stopped.")), actions(vec![view])]),
    }
}

/// The longest `request_key` [`choose_repo_message`] takes, and the longest repository whose
/// option fits ([`MAX_OPTION_VALUE_CHARS`] for `<request_key>|<repo>`).
pub const MAX_REQUEST_KEY_CHARS: usize = 48;
pub const MAX_REPO_CHARS: usize = MAX_OPTION_VALUE_CHARS - MAX_REQUEST_KEY_CHARS - 1;

/// A menu of repositories: static_select with action_id "oi_choose_repo", options value =
/// "<request_key>|<repo>" (at most 150 characters; a repository for which it would be longer is
/// left out; at most 100 options, in the given order), placeholder text. `request_key` must
/// not contain `|`.
pub fn choose_repo_message(request_key: &str, candidates: &[String]) -> Value {
    let options: Vec<Value> = candidates
        .iter()
        .map(|repo| (repo, format!("{request_key}|{repo}")))
        .filter(|(_, value)| value.chars().count() <= MAX_OPTION_VALUE_CHARS)
        .take(MAX_OPTIONS)
        .map(|(repo, value)| json!({"text": plain(repo, MAX_OPTION_TEXT_CHARS), "value": value}))
        .collect();
    let question = "Which repository should I work in?";
    if options.is_empty() {
        let text = "There is no repository to choose from: an admin can add some in Settings → Integrations → Slack.";
        return message(text, vec![Some(section(text))]);
    }
    let note = (options.len() < candidates.len()).then(|| {
        context(&format!(
            "Showing {} of {} repositories; to pick another, name it in your message (`owner/name`).",
            options.len(),
            candidates.len()
        ))
    });
    let select = json!({
        "type": "static_select",
        "action_id": ACTION_CHOOSE_REPO,
        "placeholder": plain("Choose a repository", MAX_PLACEHOLDER_CHARS),
        "options": options,
    });
    message(question, vec![Some(section(question)), Some(json!({"type": "actions", "elements": [select]})), note])
}

/// What the agent posts in its thread (`slack_notify`): broadcast mentions stripped, and
/// everything escaped, so its text mentions no one and links nowhere Slack would not link by
/// itself; marked as the agent's.
pub fn agent_post_message(text: &str) -> Value {
    let text = escape(&strip_broadcasts(text));
    message(&text, vec![Some(section(&text)), Some(context(":robot_face: Posted by the agent working in this thread"))])
}

/// The ephemeral text for someone who is not a person of this deployment (`why` from
/// [`crate::people::acting_person`]).
pub fn unmapped_user_message(why: &str) -> String {
    let why = escape(why.trim().trim_end_matches('.'));
    truncate(
        &format!("I can't start work for you yet: {why}. Until then, mentions of me from you start nothing."),
        MAX_TEXT_CHARS,
    )
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;
