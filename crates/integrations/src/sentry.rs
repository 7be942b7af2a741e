//! Sentry integration-platform deliveries (shared/contracts/sentry): which ones start a run, the
//! issue they are about, its prompt variables, and the follow-up for a later event.
//!
//! `Sentry-Hook-Resource` names the resource. `issue` with action `created` carries
//! `data.issue` (a new issue: one session per issue); `event_alert` with action `triggered`
//! carries `data.event` (an alert rule fired for an event of an issue, maybe one a session
//! already works on: a follow-up prompt there). Everything else (installation, an issue
//! resolved or assigned, metric alerts, comments) is acknowledged and ignored.

use std::collections::BTreeMap;

use oi_protocol::ErrorCode;
use serde_json::Value;

use crate::inbound::Refusal;
use crate::payload::MAX_VALUE_CHARS;

/// The most stack frames kept.
pub const MAX_FRAMES: usize = 5;

/// The prompt variables a Sentry trigger provides.
pub const SENTRY_VARIABLES: &[&str] = &[
    "sentry.issue_id",
    "sentry.project",
    "sentry.title",
    "sentry.culprit",
    "sentry.level",
    "sentry.url",
    "sentry.frames",
];

/// A Sentry issue, as much as a prompt needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentryIssue {
    pub issue_id: String,
    /// The project's slug (its numeric id when the delivery names no slug).
    pub project: String,
    pub title: String,
    pub culprit: Option<String>,
    pub level: Option<String>,
    /// A page for people (the issue's or the event's web URL), when the delivery has one.
    pub url: Option<String>,
    /// The top stack frames, innermost first, at most [`MAX_FRAMES`]: `function (file:line)`.
    pub frames: Vec<String>,
}

/// What a delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentryDelivery {
    /// `issue` / `created`.
    NewIssue(SentryIssue),
    /// `event_alert` / `triggered`: an event of an issue (new or known).
    NewEvent(SentryIssue),
    /// Anything else, acknowledged; the reason names it.
    Ignored { reason: String },
}

fn malformed(field: &str) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, format!("the Sentry delivery has no usable `{field}`"))
}

/// Reads a verified delivery. `resource` is the `Sentry-Hook-Resource` header.
pub fn parse(resource: Option<&str>, body: &Value) -> Result<SentryDelivery, Refusal> {
    let resource = resource.map(str::trim).filter(|r| !r.is_empty()).ok_or_else(|| {
        Refusal::new(ErrorCode::InvalidRequest, "the Sentry delivery has no Sentry-Hook-Resource header")
    })?;
    let action = body.get("action").and_then(Value::as_str).ok_or_else(|| malformed("action"))?;
    match (resource, action) {
        ("issue", "created") => {
            let issue = body.pointer("/data/issue").filter(|v| v.is_object()).ok_or_else(|| malformed("data.issue"))?;
            issue_of(issue).map(SentryDelivery::NewIssue)
        }
        ("event_alert", "triggered") => {
            let event = body.pointer("/data/event").filter(|v| v.is_object()).ok_or_else(|| malformed("data.event"))?;
            event_of(event).map(SentryDelivery::NewEvent)
        }
        (resource, action) => {
            Ok(SentryDelivery::Ignored { reason: format!("Sentry {resource}/{action} is not handled") })
        }
    }
}

/// A non-empty string, cut to [`MAX_VALUE_CHARS`].
fn text(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    (!s.is_empty()).then(|| crate::cut_chars(s, MAX_VALUE_CHARS).to_string())
}

/// An id Sentry sends as a string or a number.
fn id(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        other => text(Some(other)).filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')),
    }
}

fn web_url(value: Option<&Value>) -> Option<String> {
    text(value).filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

fn issue_of(issue: &Value) -> Result<SentryIssue, Refusal> {
    let project = match issue.get("project") {
        Some(Value::Object(p)) => text(p.get("slug")),
        other => text(other),
    };
    Ok(SentryIssue {
        issue_id: id(issue.get("id")).ok_or_else(|| malformed("data.issue.id"))?,
        project: project.ok_or_else(|| malformed("data.issue.project.slug"))?,
        title: text(issue.get("title")).ok_or_else(|| malformed("data.issue.title"))?,
        culprit: text(issue.get("culprit")),
        level: text(issue.get("level")),
        url: web_url(issue.get("web_url")).or_else(|| web_url(issue.get("permalink"))),
        frames: Vec::new(),
    })
}

fn event_of(event: &Value) -> Result<SentryIssue, Refusal> {
    // The issue id, else the one in the issue's API URL (`…/issues/<id>/`).
    let issue_id = id(event.get("issue_id")).or_else(|| {
        let url = event.get("issue_url")?.as_str()?;
        id(Some(&Value::from(url.trim_end_matches('/').rsplit_once("/issues/")?.1)))
    });
    let project = match event.get("project") {
        Some(Value::Object(p)) => text(p.get("slug")),
        Some(Value::String(slug)) => text(Some(&Value::from(slug.as_str()))),
        // A numeric id: the slug is in the event's API URL (`…/projects/<org>/<slug>/events/…`).
        other => project_from_url(event.get("url")).or_else(|| id(other)),
    };
    Ok(SentryIssue {
        issue_id: issue_id.ok_or_else(|| malformed("data.event.issue_id"))?,
        project: project.ok_or_else(|| malformed("data.event.project"))?,
        title: text(event.get("title")).ok_or_else(|| malformed("data.event.title"))?,
        culprit: text(event.get("culprit")),
        level: text(event.get("level")),
        url: web_url(event.get("web_url")),
        frames: frames(event),
    })
}

fn project_from_url(url: Option<&Value>) -> Option<String> {
    let url = url?.as_str()?;
    let rest = &url[url.find("/projects/")? + "/projects/".len()..];
    let mut parts = rest.split('/');
    let (_org, slug) = (parts.next()?, parts.next()?);
    id(Some(&Value::from(slug)))
}

/// The top frames of the event's (last) exception, else of its stack trace: in-app frames when
/// there are any, innermost first (Sentry lists the outermost first).
fn frames(event: &Value) -> Vec<String> {
    let from_exception = event.pointer("/exception/values").and_then(Value::as_array).and_then(|values| {
        values.iter().rev().find_map(|v| v.pointer("/stacktrace/frames")?.as_array().filter(|f| !f.is_empty()))
    });
    let Some(all) = from_exception.or_else(|| event.pointer("/stacktrace/frames").and_then(Value::as_array)) else {
        return Vec::new();
    };
    let in_app: Vec<&Value> = all.iter().filter(|f| f.get("in_app") == Some(&Value::Bool(true))).collect();
    let chosen: Vec<&Value> = if in_app.is_empty() { all.iter().collect() } else { in_app };
    chosen.into_iter().rev().take(MAX_FRAMES).map(frame_text).collect()
}

fn frame_text(frame: &Value) -> String {
    let function = text(frame.get("function")).unwrap_or_else(|| "?".into());
    let file =
        ["filename", "abs_path", "module"].iter().find_map(|k| text(frame.get(*k))).unwrap_or_else(|| "?".into());
    match frame.get("lineno").and_then(Value::as_u64) {
        Some(line) => format!("{function} ({file}:{line})"),
        None => format!("{function} ({file})"),
    }
}

/// The prompt variables of an issue (absent parts are empty; frames one a line).
pub fn variables(issue: &SentryIssue) -> BTreeMap<String, String> {
    let values = [
        issue.issue_id.clone(),
        issue.project.clone(),
        issue.title.clone(),
        issue.culprit.clone().unwrap_or_default(),
        issue.level.clone().unwrap_or_default(),
        issue.url.clone().unwrap_or_default(),
        issue.frames.join("\n"),
    ];
    SENTRY_VARIABLES
        .iter()
        .zip(values)
        .map(|(name, value)| (name.to_string(), crate::cut_chars(&value, MAX_VALUE_CHARS).to_string()))
        .collect()
}

/// The run key of an issue: one session per Sentry issue.
pub fn run_key(issue: &SentryIssue) -> String {
    format!("sentry:{}", issue.issue_id)
}

/// Whether an automation watching these project slugs takes the issue (none: every project).
pub fn takes(projects: &[String], issue: &SentryIssue) -> bool {
    projects.is_empty() || projects.iter().any(|p| p.trim().eq_ignore_ascii_case(&issue.project))
}

/// The follow-up prompt for a new event on an issue a session already works on.
pub fn follow_up_prompt(issue: &SentryIssue) -> String {
    let mut prompt = format!(
        "Sentry reported a new event for the issue you are working on.\n\nIssue {} in {}: {}\n",
        issue.issue_id, issue.project, issue.title
    );
    if let Some(culprit) = &issue.culprit {
        prompt.push_str(&format!("Culprit: {culprit}\n"));
    }
    if let Some(level) = &issue.level {
        prompt.push_str(&format!("Level: {level}\n"));
    }
    if !issue.frames.is_empty() {
        prompt.push_str("Top frames (innermost first):\n");
        for frame in &issue.frames {
            prompt.push_str(&format!("  {frame}\n"));
        }
    }
    if let Some(url) = &issue.url {
        prompt.push_str(&format!("Link: {url}\n"));
    }
    prompt.push_str("\nCheck whether your changes so far cover this event; if they do not, continue the fix.");
    prompt
}

#[cfg(test)]
#[path = "sentry_tests.rs"]
mod tests;
