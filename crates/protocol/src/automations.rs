//! Automations: sessions started by a schedule, a webhook delivery or a Sentry issue, acting for
//! the automation's owner (docs/automations.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::User;

/// What starts an automation's runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// A cron expression (five fields: minute hour day-of-month month day-of-week) in a time
    /// zone; at most one run every 15 minutes.
    Schedule {
        cron: String,
        /// An IANA time zone name; `UTC` by default.
        #[serde(default = "utc")]
        timezone: String,
    },
    /// A delivery to the automation's own URL, signed with its secret.
    Webhook {
        /// A JSONPath filter over the JSON body: a delivery starts a run only when it selects
        /// something (for example `$[?(@.action == 'opened')]`). None: every delivery does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
        /// The prompt's variables: name → JSONPath over the body (the first value selected).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        variables: BTreeMap<String, String>,
        /// Where the delivery's idempotency key is: a delivery whose key was seen starts
        /// nothing. None: every delivery is new.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<IdempotencyKey>,
    },
    /// An issue in one of these Sentry projects (their slugs; empty: any project), delivered by
    /// the Sentry integration. One session per Sentry issue: a later event on the same issue
    /// is a follow-up prompt in it.
    Sentry {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        projects: Vec<String>,
    },
}

fn utc() -> String {
    "UTC".into()
}

impl Trigger {
    pub fn kind(&self) -> TriggerKind {
        match self {
            Trigger::Schedule { .. } => TriggerKind::Schedule,
            Trigger::Webhook { .. } => TriggerKind::Webhook,
            Trigger::Sentry { .. } => TriggerKind::Sentry,
        }
    }
}

/// Where a webhook delivery's idempotency key is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdempotencyKey {
    /// The first value this JSONPath selects in the body.
    JsonPath(String),
    /// This request header.
    Header(String),
}

/// The trigger kinds, and what started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Schedule,
    Webhook,
    Sentry,
    /// "Run now" (a person, through the API or the page).
    Manual,
}

impl TriggerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Schedule => "schedule",
            TriggerKind::Webhook => "webhook",
            TriggerKind::Sentry => "sentry",
            TriggerKind::Manual => "manual",
        }
    }
}

/// An automation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automation {
    /// `aut_…`.
    pub id: String,
    pub name: String,
    pub repo: String,
    pub branch: String,
    /// `provider/model`.
    pub model: String,
    /// The prompt template: `{{name}}` is a variable (a webhook's variables; `sentry.*` for a
    /// Sentry issue; `run.*` for every run, see docs/automations.md).
    pub prompt: String,
    pub trigger: Trigger,
    /// Its runs act for this person: their role, their repository access, their name on
    /// commits and pull requests.
    pub owner: User,
    /// Paused automations start no run on their own ("run now" still works).
    pub enabled: bool,
    /// Why it is paused, when it paused itself (three failed runs in a row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_reason: Option<String>,
    /// Failed runs since the last success.
    pub consecutive_failures: u32,
    /// A schedule's next slot (milliseconds since the Unix epoch), while enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<i64>,
    /// A webhook trigger's URL path (`/api/automations/aut_…/webhook`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_path: Option<String>,
    /// Where the automation's sessions' notices are sent (signed with its secret), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /api/automations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAutomation {
    /// 1 to 100 characters.
    pub name: String,
    pub repo: String,
    /// Defaults to `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Defaults to the deployment's default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Up to 16,000 characters; every `{{variable}}` must be one the trigger provides.
    pub prompt: String,
    pub trigger: Trigger,
    /// Defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// An `https` URL (`http` to this machine in local mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// `PATCH /api/automations/:id`: the fields to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct UpdateAutomation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// `POST /api/automations` (201) and `POST /api/automations/:id/secret` (200): the secret is
/// shown here only, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationWithSecret {
    pub automation: Automation,
    /// Signs webhook deliveries to it and the notices it sends (`X-OI-Signature-256:
    /// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; also accepted on deliveries:
    /// GitHub's `X-Hub-Signature-256`, or `Authorization: Bearer <secret>`).
    pub secret: String,
}

/// `GET /api/automations`: the caller's own (every one, for an admin), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationList {
    pub automations: Vec<Automation>,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Its session is working.
    Running,
    Succeeded,
    Failed,
    /// Nothing ran: the slot was missed for too long, or the automation could not act.
    Skipped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RunStatus::Running, RunStatus::Succeeded, RunStatus::Failed, RunStatus::Skipped]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One run of an automation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationRun {
    /// `run_…`.
    pub id: String,
    pub automation_id: String,
    pub trigger: TriggerKind,
    /// The schedule slot it stands for (milliseconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<i64>,
    /// The delivery's idempotency key, or `sentry:<issue id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub status: RunStatus,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Whether it was a follow-up prompt in an earlier run's session (a Sentry issue's new
    /// event).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_up: bool,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// `GET /api/automations/:id/runs?limit=&cursor=`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunList {
    pub runs: Vec<AutomationRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The answer to a delivery that was verified: `202` when it started or continued a run,
/// `200` when it was a duplicate or did not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAccepted {
    pub outcome: DeliveryOutcome,
    /// The run it started or continued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Why nothing started (`duplicate`, `filtered`, or what a vendor's delivery was about).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// A run started (or a follow-up went to its session).
    Started,
    /// Verified, and nothing to do (a duplicate, filtered out, paused).
    Ignored,
    /// Refused (bad signature, too large, unknown): the status says why.
    Refused,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Started => "started",
            DeliveryOutcome::Ignored => "ignored",
            DeliveryOutcome::Refused => "refused",
        }
    }
}
