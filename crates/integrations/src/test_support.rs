//! Fixtures shared by the unit tests.

use oi_protocol::automations::{Automation, Trigger};
use oi_protocol::User;

pub const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// A valid, enabled automation with this trigger.
pub fn automation(trigger: Trigger) -> Automation {
    Automation {
        id: "aut_0199a3c1b2d4e5f60718293a".into(),
        name: "Nightly triage".into(),
        repo: "acme/app".into(),
        branch: "main".into(),
        model: "anthropic/claude-sonnet-4-6".into(),
        prompt: "Look at {{repo}} on {{branch}}.".into(),
        trigger,
        owner: User {
            id: "gh-1".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            login: Some("ada".into()),
        },
        enabled: true,
        paused_reason: None,
        consecutive_failures: 0,
        next_run_at: None,
        webhook_path: None,
        callback_url: None,
        created_at: T0,
        updated_at: T0,
    }
}

pub fn schedule(cron: &str, timezone: &str) -> Trigger {
    Trigger::Schedule { cron: cron.into(), timezone: timezone.into() }
}

pub fn webhook(variables: &[(&str, &str)]) -> Trigger {
    Trigger::Webhook {
        filter: None,
        variables: variables.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        idempotency_key: None,
    }
}

pub fn sentry(projects: &[&str]) -> Trigger {
    Trigger::Sentry { projects: projects.iter().map(|p| p.to_string()).collect() }
}
