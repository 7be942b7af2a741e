//! Prompt templates: `{{ name }}` placeholders, filled in when a run starts.
//!
//! A name is `[a-z0-9_.]+` (`repo`, `sentry.title`); spaces inside the braces are ignored.
//! Saving checks every placeholder against what the trigger provides ([`known_variables`]);
//! rendering never fails: a value that is missing renders as nothing, and the prompt is cut to
//! the longest prompt a session accepts.

use std::collections::BTreeMap;

use oi_protocol::automations::{Automation, Trigger, TriggerKind};
use oi_protocol::limits::MAX_PROMPT_CHARS;

use crate::sentry::SENTRY_VARIABLES;

/// The longest template accepted.
pub const MAX_TEMPLATE_CHARS: usize = 16_000;

/// The variables every run has.
pub const RUN_VARIABLES: &[&str] = &["run.id", "run.trigger", "run.time", "automation.name", "repo", "branch"];
/// A webhook's whole body (compact JSON, cut to [`crate::payload::MAX_PAYLOAD_CHARS`]).
pub const PAYLOAD_VARIABLE: &str = "payload";

/// Why a template is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{{` at this character (counted from 0) has no `}}`.
    Unclosed {
        at: usize,
    },
    /// `{{ }}` at this character.
    EmptyName {
        at: usize,
    },
    /// A name that is not `[a-z0-9_.]+`.
    BadName(String),
    /// A name the trigger does not provide.
    Unknown(String),
    TooLong {
        chars: usize,
        max: usize,
    },
    /// Empty or only whitespace.
    Empty,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unclosed { at } => write!(f, "the `{{{{` at character {at} has no closing `}}}}`"),
            TemplateError::EmptyName { at } => write!(f, "the `{{{{ }}}}` at character {at} names no variable"),
            TemplateError::BadName(name) => {
                write!(f, "`{{{{{name}}}}}` is not a variable name (lowercase letters, digits, `_` and `.`)")
            }
            TemplateError::Unknown(name) => write!(f, "`{{{{{name}}}}}` is not a variable this trigger provides"),
            TemplateError::TooLong { chars, max } => write!(f, "the prompt has {chars} characters; the limit is {max}"),
            TemplateError::Empty => f.write_str("the prompt is empty"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// A piece of a template.
enum Piece<'a> {
    Text(&'a str),
    /// A placeholder: its name (trimmed) and the character it starts at.
    Var(&'a str, usize),
}

/// Splits a template; an unclosed `{{` is an error (its character position).
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, usize> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut offset = 0; // bytes of `template` before `rest`
    while let Some(open) = rest.find("{{") {
        let at = template[..offset + open].chars().count();
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(at)?;
        out.push(Piece::Text(&rest[..open]));
        out.push(Piece::Var(after[..close].trim(), at));
        let used = open + 2 + close + 2;
        rest = &rest[used..];
        offset += used;
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// The variables a template uses, each once, in order of first use.
pub fn variables(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut names: Vec<String> = Vec::new();
    for piece in pieces(template).map_err(|at| TemplateError::Unclosed { at })? {
        if let Piece::Var(name, at) = piece {
            if name.is_empty() {
                return Err(TemplateError::EmptyName { at });
            }
            if !valid_name(name) {
                return Err(TemplateError::BadName(name.to_string()));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

/// A template as saved: not empty, at most [`MAX_TEMPLATE_CHARS`], every placeholder in `known`.
pub fn check(template: &str, known: &[String]) -> Result<(), TemplateError> {
    if template.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    let chars = template.chars().count();
    if chars > MAX_TEMPLATE_CHARS {
        return Err(TemplateError::TooLong { chars, max: MAX_TEMPLATE_CHARS });
    }
    match variables(template)?.into_iter().find(|name| !known.contains(name)) {
        Some(unknown) => Err(TemplateError::Unknown(unknown)),
        None => Ok(()),
    }
}

/// Fills the placeholders in (a missing value renders as nothing; text that is not a valid
/// placeholder stays as written), cut to `MAX_PROMPT_CHARS` characters.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    match pieces(template) {
        Ok(pieces) => {
            for piece in pieces {
                match piece {
                    Piece::Text(text) => out.push_str(text),
                    Piece::Var(name, _) if valid_name(name) => {
                        out.push_str(values.get(name).map(String::as_str).unwrap_or(""))
                    }
                    Piece::Var(name, _) => {
                        out.push_str("{{");
                        out.push_str(name);
                        out.push_str("}}");
                    }
                }
            }
        }
        Err(_) => out.push_str(template),
    }
    let cut = crate::cut_chars(&out, MAX_PROMPT_CHARS).len();
    out.truncate(cut);
    out
}

/// The variables a trigger's runs provide: every run's ([`RUN_VARIABLES`]); a webhook's own
/// variables and `payload`; a Sentry trigger's [`SENTRY_VARIABLES`].
pub fn known_variables(trigger: &Trigger) -> Vec<String> {
    let mut known: Vec<String> = RUN_VARIABLES.iter().map(|n| n.to_string()).collect();
    match trigger {
        Trigger::Schedule { .. } => {}
        Trigger::Webhook { variables, .. } => {
            known.extend(variables.keys().cloned());
            known.push(PAYLOAD_VARIABLE.to_string());
        }
        Trigger::Sentry { .. } => known.extend(SENTRY_VARIABLES.iter().map(|n| n.to_string())),
    }
    known
}

/// The values of [`RUN_VARIABLES`] for a run started at `now_ms` (`run.time` in RFC 3339, UTC).
pub fn run_values(
    automation: &Automation,
    run_id: &str,
    trigger: TriggerKind,
    now_ms: i64,
) -> BTreeMap<String, String> {
    let time = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    [
        ("run.id", run_id.to_string()),
        ("run.trigger", trigger.as_str().to_string()),
        ("run.time", time),
        ("automation.name", automation.name.clone()),
        ("repo", automation.repo.clone()),
        ("branch", automation.branch.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
