//! Pure decisions shared by automations and integrations, tested natively and built for the
//! Worker (wasm32): nothing here reads a clock, sleeps or does I/O. Times are passed in as
//! milliseconds since the Unix epoch.
//!
//! - [`schedule`]: five-field cron schedules in IANA time zones, and what a minute tick does.
//! - [`template`]: `{{ name }}` prompt templates, and the variables each trigger provides.
//! - [`payload`]: JSONPath over webhook bodies (filters, variables, idempotency keys).
//! - [`signature`]: HMAC-SHA256 delivery signatures (ours, GitHub-compatible, Sentry's).
//! - [`inbound`]: what refuses a delivery before it is looked at (size, JSON, rate, ids).
//! - [`sentry`]: Sentry integration-platform deliveries, their variables and follow-ups.
//! - [`runs`]: runs that fail, and the session a run makes.
//! - [`callbacks`]: where an automation's notices may go, and when to retry them.
//! - [`automation_rules`]: an automation as it would be saved: valid or not, and PATCHes.
//! - [`origin_posts`]: whether the agent's post to its session's origin is taken.
//! - [`people`]: which person here a vendor's user acts as (an admin's link, or one verified
//!   email).
//! - [`github_review`]: the GitHub App reviews pull requests and answers @mentions on them:
//!   triggers, who may ask, prompts, reviews and replies.
//! - [`linear`]: the Linear integration: signatures, agent session events, repository and model
//!   routing, agent activities and plan, workflow states and GraphQL operations.
//! - [`repo_routing`]: configured repositories named in a request, and the classifier that picks
//!   one when nothing names it (shared by Slack and Linear).
//! - [`slack`]: the Slack integration: signatures, events, repository routing, Block Kit
//!   messages, interactions, settings and thread follow-ups.

pub mod automation_rules;
pub mod callbacks;
mod config_fields;
pub mod github_review;
pub mod inbound;
pub mod linear;
pub mod origin_posts;
pub mod payload;
pub mod people;
pub mod repo_routing;
pub mod runs;
pub mod schedule;
pub mod sentry;
pub mod signature;
pub mod slack;
pub mod template;
#[cfg(test)]
mod test_support;

/// `text` cut to at most `max` characters (Unicode scalar values), on a character boundary.
pub fn cut_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// `text` cut to at most `max` characters; a cut one ends with "…".
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut cut = cut_chars(text, max.saturating_sub(1)).to_string();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_chars_counts_characters_not_bytes() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 3, ""),
            ("abc", 3, "abc"),
            ("abcd", 3, "abc"),
            ("été", 2, "ét"),
            ("日本語テキスト", 3, "日本語"),
            ("🦀🦀", 1, "🦀"),
            ("abc", 0, ""),
        ];
        for (text, max, want) in cases {
            assert_eq!(super::cut_chars(text, *max), *want, "{text:?} cut to {max}");
        }
    }
}
