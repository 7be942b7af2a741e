//! The double's workspace as it changes: issues, agent sessions with their activities,
//! comments; plus what the product sent (operations, violations) and the OAuth grants. One
//! mutex; no lock is held across an `.await`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;
use tokio::sync::Notify;

use crate::config::{IssueConfig, LabelConfig, LinearConfig, ProjectConfig, StateConfig, TeamConfig, UserConfig};
use crate::graphql::errors::LinearError;
use crate::oauth::OAuthState;
use crate::ratelimit::RateLimits;
use crate::record::{Delivery, RecordedOperation};

/// What the server's handlers and the test's handle share.
pub(crate) struct Shared {
    /// Woken whenever something is recorded.
    pub changed: Notify,
    inner: Mutex<Inner>,
}

impl Shared {
    pub fn new(config: LinearConfig) -> Result<Self> {
        let inner = Inner::new(config)?;
        Ok(Self { changed: Notify::new(), inner: Mutex::new(inner) })
    }

    /// Locks the state (a panicking handler does not poison it for the test).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An issue as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub id: String,
    pub identifier: String,
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub team_id: String,
    pub state_id: String,
    pub label_ids: Vec<String>,
    pub project_id: Option<String>,
    pub assignee_id: Option<String>,
    pub delegate_id: Option<String>,
    pub creator_id: Option<String>,
    pub priority: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    /// Every `issueUpdate` that moved it, in order.
    pub state_changes: Vec<StateChange>,
    /// The `input` of every `issueUpdate` applied to it, in order.
    pub updates: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StateChange {
    pub from_state_id: String,
    pub to_state_id: String,
    /// The new state's name (`In Progress`).
    pub to_state_name: String,
    pub at: SystemTime,
}

/// An agent session and everything the product told Linear about it.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentSession {
    pub id: String,
    pub issue_id: Option<String>,
    /// The root comment of the thread the session lives in.
    pub comment_id: Option<String>,
    /// The comment that mentioned the agent, when the session came from a mention.
    pub source_comment_id: Option<String>,
    pub creator_id: Option<String>,
    pub app_user_id: String,
    /// `AgentSessionStatus`: pending, active, awaitingInput, complete, error, stale.
    pub status: String,
    /// The last `plan` the product set.
    pub plan: Option<Value>,
    pub external_urls: Vec<ExternalUrl>,
    pub external_link: Option<String>,
    /// Activities in the order they were received (the user's prompts included).
    pub activities: Vec<Activity>,
    /// The `input` of every `agentSessionUpdate`, in order.
    pub updates: Vec<Value>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub started_at: Option<SystemTime>,
    pub ended_at: Option<SystemTime>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalUrl {
    pub label: String,
    pub url: String,
}

/// One agent activity: the agent's (through `agentActivityCreate`) or a user's prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub id: String,
    pub session_id: String,
    /// The `content` object as sent (`{"type": "thought", "body": "…"}`).
    pub content: Value,
    pub ephemeral: bool,
    pub signal: Option<String>,
    pub signal_metadata: Option<Value>,
    /// Who created it: the app user, or the person who prompted.
    pub user_id: String,
    pub source_comment_id: Option<String>,
    /// When the double received it.
    pub received_at: SystemTime,
}

impl Activity {
    /// `content.type`.
    pub fn kind(&self) -> &str {
        self.content.get("type").and_then(Value::as_str).unwrap_or_default()
    }

    /// `content.body` (thought, elicitation, response, error, prompt).
    pub fn body(&self) -> Option<&str> {
        self.content.get("body").and_then(Value::as_str)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub id: String,
    pub issue_id: Option<String>,
    pub parent_id: Option<String>,
    pub body: String,
    pub user_id: String,
    /// `createAsUser` / `displayIconUrl` (actor=app attribution), as sent.
    pub create_as_user: Option<String>,
    pub display_icon_url: Option<String>,
    pub created_at: SystemTime,
}

/// Everything behind the mutex.
pub(crate) struct Inner {
    pub config: LinearConfig,
    pub issues: Vec<Issue>,
    pub sessions: Vec<AgentSession>,
    pub comments: Vec<Comment>,
    pub operations: Vec<RecordedOperation>,
    pub violations: Vec<String>,
    pub oauth: OAuthState,
    pub rate_limits: RateLimits,
    /// Errors the next GraphQL calls answer instead of running ([`crate::LinearDouble::fail_next`]).
    pub failures: VecDeque<LinearError>,
    pub deliveries: Vec<Delivery>,
    /// Added to the clock for `webhookTimestamp` (ms; negative: in the past).
    pub clock_skew_ms: i64,
    /// `lastSyncId` of mutation payloads: increases by one per mutation.
    pub last_sync_id: u64,
}

impl Inner {
    fn new(config: LinearConfig) -> Result<Self> {
        let issues = config.issues.iter().map(|i| resolve_issue(&config, i)).collect::<Result<Vec<_>>>()?;
        check_unique("issue ids", issues.iter().map(|i| i.id.as_str()))?;
        check_unique("issue identifiers", issues.iter().map(|i| i.identifier.as_str()))?;
        check_unique("team keys", config.teams.iter().map(|t| t.key.as_str()))?;
        check_unique("user ids", std::iter::once(&config.app_user).chain(&config.users).map(|u| u.id.as_str()))?;
        for uri in &config.oauth.redirect_uris {
            url::Url::parse(uri).with_context(|| format!("redirect URI {uri} is not a URL"))?;
        }
        for (_, user) in &config.api_keys {
            ensure!(config.find_user(user).is_some(), "API key for unknown user {user}");
        }
        Ok(Self {
            oauth: OAuthState::new(&config),
            config,
            issues,
            sessions: Vec::new(),
            comments: Vec::new(),
            operations: Vec::new(),
            violations: Vec::new(),
            rate_limits: RateLimits::default(),
            failures: VecDeque::new(),
            deliveries: Vec::new(),
            clock_skew_ms: 0,
            last_sync_id: 1000,
        })
    }

    pub fn violation(&mut self, message: impl Into<String>) {
        self.violations.push(message.into());
    }

    pub fn next_sync_id(&mut self) -> u64 {
        self.last_sync_id += 1;
        self.last_sync_id
    }

    /// An issue by UUID or identifier (`ENG-123`, any case), as `issue(id:)` takes it.
    pub fn issue_index(&self, id_or_identifier: &str) -> Option<usize> {
        self.issues.iter().position(|i| i.id == id_or_identifier || i.identifier.eq_ignore_ascii_case(id_or_identifier))
    }

    pub fn issue(&self, id_or_identifier: &str) -> Option<&Issue> {
        self.issue_index(id_or_identifier).map(|i| &self.issues[i])
    }

    pub fn session_index(&self, id: &str) -> Option<usize> {
        self.sessions.iter().position(|s| s.id == id)
    }

    pub fn session(&self, id: &str) -> Option<&AgentSession> {
        self.session_index(id).map(|i| &self.sessions[i])
    }

    pub fn comment(&self, id: &str) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id)
    }

    pub fn user(&self, id: &str) -> Option<&UserConfig> {
        self.config.find_user(id)
    }

    pub fn team(&self, id: &str) -> Option<&TeamConfig> {
        self.config.teams.iter().find(|t| t.id == id)
    }

    /// A workflow state of any team, with its team.
    pub fn state(&self, id: &str) -> Option<(&TeamConfig, &StateConfig)> {
        self.config.teams.iter().find_map(|t| t.states.iter().find(|s| s.id == id).map(|s| (t, s)))
    }

    pub fn label(&self, id: &str) -> Option<&LabelConfig> {
        self.config.labels.iter().find(|l| l.id == id)
    }

    pub fn project(&self, id: &str) -> Option<&ProjectConfig> {
        self.config.projects.iter().find(|p| p.id == id)
    }

    /// `https://linear.app/<url_key>/issue/<identifier>`.
    pub fn issue_url(&self, issue: &Issue) -> String {
        format!("https://linear.app/{}/issue/{}", self.config.organization.url_key, issue.identifier)
    }

    /// The webhook clock: now plus the configured skew.
    pub fn webhook_now_ms(&self) -> i64 {
        crate::clock::unix_ms(SystemTime::now()).saturating_add(self.clock_skew_ms)
    }
}

fn check_unique<'a>(what: &str, values: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for value in values {
        ensure!(seen.insert(value), "duplicate {what}: {value}");
    }
    Ok(())
}

/// An issue of the configuration with its references resolved.
pub(crate) fn resolve_issue(config: &LinearConfig, issue: &IssueConfig) -> Result<Issue> {
    let name = &issue.identifier;
    let number = issue.number().with_context(|| format!("issue {name}: the identifier must look like ENG-123"))?;
    let team = config
        .teams
        .iter()
        .find(|t| t.key == issue.team_key())
        .with_context(|| format!("issue {name}: no team with key {}", issue.team_key()))?;
    let state = match &issue.state {
        Some(wanted) => {
            team.find_state(wanted).with_context(|| format!("issue {name}: no state {wanted} in {}", team.key))?
        }
        None => team
            .states
            .iter()
            .find(|s| s.kind == "unstarted")
            .or(team.states.first())
            .with_context(|| format!("issue {name}: team {} has no states", team.key))?,
    };
    let find_label =
        |wanted: &String| config.labels.iter().find(|l| &l.id == wanted || &l.name == wanted).map(|l| l.id.clone());
    let mut label_ids = Vec::new();
    for wanted in &issue.labels {
        label_ids.push(find_label(wanted).with_context(|| format!("issue {name}: no label {wanted}"))?);
    }
    let project_id = match &issue.project {
        Some(wanted) => Some(
            config
                .projects
                .iter()
                .find(|p| &p.id == wanted || &p.name == wanted)
                .map(|p| p.id.clone())
                .with_context(|| format!("issue {name}: no project {wanted}"))?,
        ),
        None => None,
    };
    for user in issue.assignee_id.iter().chain(&issue.creator_id) {
        if config.find_user(user).is_none() {
            bail!("issue {name}: no user {user}");
        }
    }
    let now = SystemTime::now();
    Ok(Issue {
        id: issue.id.clone(),
        identifier: issue.identifier.clone(),
        number,
        title: issue.title.clone(),
        description: issue.description.clone(),
        team_id: team.id.clone(),
        state_id: state.id.clone(),
        label_ids,
        project_id,
        assignee_id: issue.assignee_id.clone(),
        delegate_id: None,
        creator_id: issue.creator_id.clone(),
        priority: 0,
        created_at: now,
        updated_at: now,
        state_changes: Vec::new(),
        updates: Vec::new(),
    })
}
