//! An automation as it would be saved (after defaults, or a PATCH, are applied): whether it is
//! valid, field by field, and what a PATCH makes of it.
//!
//! Invariant: a saved automation's repo, branch and model pass the checks a session's do; its
//! prompt uses only variables its trigger provides; its schedule parses (15-minute floor); its
//! JSONPaths parse; its callback URL is one notices may go to.

use oi_protocol::automations::{Automation, IdempotencyKey, Trigger, UpdateAutomation};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::repo_url::parse_repo;
use oi_session_core::validation::{validate_branch_name, validate_model};

use crate::callbacks::check_callback_url;
use crate::payload::check_path;
use crate::schedule::{Schedule, ScheduleError};
use crate::template::{check, known_variables, PAYLOAD_VARIABLE, RUN_VARIABLES};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_WEBHOOK_VARIABLES: usize = 20;
pub const MAX_VARIABLE_NAME_CHARS: usize = 40;
pub const MAX_SENTRY_PROJECTS: usize = 50;
pub const MAX_PROJECT_SLUG_CHARS: usize = 100;
pub const MAX_HEADER_NAME_CHARS: usize = 100;
const MAX_REPO_CHARS: usize = 1_000;

/// The field (its JSON name, `trigger.cron` for a nested one) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into() }
    }

    /// The 400 `invalid_request` answer for it.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, self.to_string())
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Checks a whole automation as it would be saved. `local_mode` allows `http` to this machine
/// for the repository and the callback URL.
pub fn validate(a: &Automation, local_mode: bool) -> Result<(), FieldError> {
    let name = a.name.trim();
    let name_chars = name.chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        return Err(FieldError::new("name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "must not contain control characters"));
    }
    check_repo(&a.repo, local_mode).map_err(|m| FieldError::new("repo", m))?;
    validate_branch_name(a.branch.trim()).map_err(|e| FieldError::new("branch", e.message))?;
    validate_model(a.model.trim()).map_err(|e| FieldError::new("model", e.message))?;
    check_trigger(&a.trigger)?;
    check(&a.prompt, &known_variables(&a.trigger)).map_err(|e| FieldError::new("prompt", e.to_string()))?;
    if let Some(url) = &a.callback_url {
        check_callback_url(url, local_mode).map_err(|m| FieldError::new("callback_url", m))?;
    }
    Ok(())
}

fn check_repo(repo: &str, local_mode: bool) -> Result<(), String> {
    let repo = repo.trim();
    if repo.is_empty() {
        return Err("must not be empty".into());
    }
    if repo.chars().count() > MAX_REPO_CHARS {
        return Err(format!("is longer than {MAX_REPO_CHARS} characters"));
    }
    if repo.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    parse_repo(repo, local_mode).map(|_| ()).map_err(|e| e.message)
}

fn check_trigger(trigger: &Trigger) -> Result<(), FieldError> {
    match trigger {
        Trigger::Schedule { cron, timezone } => match Schedule::parse(cron, timezone) {
            Ok(_) => Ok(()),
            Err(e @ ScheduleError::TimeZone(_)) => Err(FieldError::new("trigger.timezone", e.to_string())),
            Err(e) => Err(FieldError::new("trigger.cron", e.to_string())),
        },
        Trigger::Webhook { filter, variables, idempotency_key } => {
            if let Some(filter) = filter {
                check_path(filter).map_err(|m| FieldError::new("trigger.filter", m))?;
            }
            if variables.len() > MAX_WEBHOOK_VARIABLES {
                return Err(FieldError::new(
                    "trigger.variables",
                    format!("has {} variables; the limit is {MAX_WEBHOOK_VARIABLES}", variables.len()),
                ));
            }
            for (name, path) in variables {
                check_variable_name(name).map_err(|m| FieldError::new("trigger.variables", m))?;
                check_path(path).map_err(|m| FieldError::new("trigger.variables", format!("`{name}`: {m}")))?;
            }
            match idempotency_key {
                None => Ok(()),
                Some(IdempotencyKey::JsonPath(path)) => {
                    check_path(path).map_err(|m| FieldError::new("trigger.idempotency_key", m))
                }
                Some(IdempotencyKey::Header(header)) => {
                    check_header_name(header).map_err(|m| FieldError::new("trigger.idempotency_key", m))
                }
            }
        }
        Trigger::Sentry { projects } => {
            if projects.len() > MAX_SENTRY_PROJECTS {
                return Err(FieldError::new(
                    "trigger.projects",
                    format!("has {} projects; the limit is {MAX_SENTRY_PROJECTS}", projects.len()),
                ));
            }
            for slug in projects {
                let ok = (1..=MAX_PROJECT_SLUG_CHARS).contains(&slug.len())
                    && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
                if !ok {
                    return Err(FieldError::new(
                        "trigger.projects",
                        format!("{slug:?} is not a Sentry project slug (a-z, 0-9, `-` and `_`)"),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// A webhook variable's name: 1 to 40 of `a-z`, `0-9`, `_`, and none every run already has.
fn check_variable_name(name: &str) -> Result<(), String> {
    let ok = (1..=MAX_VARIABLE_NAME_CHARS).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(format!("{name:?} is not a variable name (1 to {MAX_VARIABLE_NAME_CHARS} of a-z, 0-9 and `_`)"));
    }
    if name == PAYLOAD_VARIABLE || RUN_VARIABLES.contains(&name) {
        return Err(format!("`{name}` is a variable every run has; pick another name"));
    }
    Ok(())
}

/// An HTTP header name: 1 to 100 token characters (RFC 9110).
fn check_header_name(name: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if (1..=MAX_HEADER_NAME_CHARS).contains(&name.len()) && name.bytes().all(token) {
        Ok(())
    } else {
        Err(format!("{name:?} is not an HTTP header name"))
    }
}

/// The URL path webhook deliveries to an automation go to.
pub fn webhook_path(automation_id: &str) -> String {
    format!("/api/automations/{automation_id}/webhook")
}

/// A schedule's next slot after `now_ms`, when the automation is enabled and its trigger is a
/// schedule (that parses); else None.
pub fn next_run_at(trigger: &Trigger, enabled: bool, now_ms: i64) -> Option<i64> {
    match trigger {
        Trigger::Schedule { cron, timezone } if enabled => Schedule::parse(cron, timezone).ok()?.next_after(now_ms),
        _ => None,
    }
}

/// Applies a PATCH: the fields present replace the current ones (names, repos, branches and
/// models trimmed); a `callback_url` of `""` removes it. A trigger that changes also resets
/// what depends on it: `next_run_at` (from `now_ms`) and `webhook_path`. `updated_at` becomes
/// `now_ms`. Validate the result with [`validate`].
pub fn apply_update(current: &Automation, update: &UpdateAutomation, now_ms: i64) -> Automation {
    let mut a = current.clone();
    let trimmed = |s: &String| s.trim().to_string();
    if let Some(name) = &update.name {
        a.name = trimmed(name);
    }
    if let Some(repo) = &update.repo {
        a.repo = trimmed(repo);
    }
    if let Some(branch) = &update.branch {
        a.branch = trimmed(branch);
    }
    if let Some(model) = &update.model {
        a.model = trimmed(model);
    }
    if let Some(prompt) = &update.prompt {
        a.prompt = prompt.clone();
    }
    if let Some(trigger) = update.trigger.as_ref().filter(|t| **t != current.trigger) {
        a.trigger = trigger.clone();
        a.next_run_at = next_run_at(trigger, a.enabled, now_ms);
        a.webhook_path = matches!(trigger, Trigger::Webhook { .. }).then(|| webhook_path(&a.id));
    }
    if let Some(url) = &update.callback_url {
        a.callback_url = Some(url.trim().to_string()).filter(|u| !u.is_empty());
    }
    a.updated_at = now_ms;
    a
}

#[cfg(test)]
#[path = "automation_rules_tests.rs"]
mod tests;
