//! Linear → the product: `AgentSessionEvent` webhooks (contract "Inbound webhooks"), signed
//! with `Linear-Signature` ([`crate::signing`]) and sent with `Linear-Delivery` (a UUID) and
//! `Linear-Event` (the resource type; both headers unconfirmed in the contract). The body
//! carries `webhookTimestamp` (Unix ms) from the double's clock plus its skew
//! ([`crate::LinearDouble::set_clock_skew`]).
//!
//! The double records each delivery's answer and how long it took; Linear wants HTTP 200
//! within 5 s ([`Delivery::accepted_in_time`]). It waits longer itself so slow answers show up.

mod payloads;

use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use crate::ids::uuid;
use crate::record::Delivery;
use crate::signing::signature;
use crate::state::{Activity, AgentSession, Comment, Inner};

/// How long the double waits for the receiver (Linear itself gives up after 5 s).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// `Linear-Event` of agent session events (the payload's `type`).
pub const AGENT_SESSION_EVENT: &str = "AgentSessionEvent";

/// How an agent session starts (contract "Payload envelopes": the agent "was mentioned or
/// delegated an issue").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCreated {
    /// The issue's id or identifier.
    pub issue: String,
    /// The person who delegated or mentioned.
    pub creator_id: String,
    /// `Some(body)`: a mention in a new comment with this body; `None`: a delegation (the app
    /// user becomes the issue's delegate).
    pub mention: Option<String>,
}

impl SessionCreated {
    /// `creator_id` delegates the issue to the agent.
    pub fn delegated(issue: impl Into<String>, creator_id: impl Into<String>) -> Self {
        Self { issue: issue.into(), creator_id: creator_id.into(), mention: None }
    }

    /// `creator_id` mentions the agent in a new comment on the issue.
    pub fn mentioned(issue: impl Into<String>, creator_id: impl Into<String>, comment_body: impl Into<String>) -> Self {
        Self { issue: issue.into(), creator_id: creator_id.into(), mention: Some(comment_body.into()) }
    }
}

/// A user's follow-up in a session (`prompted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub user_id: String,
    pub body: String,
    /// `AgentActivitySignal` (`stop` asks the agent to stop).
    pub signal: Option<String>,
}

impl Prompt {
    pub fn new(user_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self { user_id: user_id.into(), body: body.into(), signal: None }
    }

    /// The stop request: a prompt with `signal: "stop"` (contract "Agent timing rules").
    pub fn stop(mut self) -> Self {
        self.signal = Some("stop".into());
        self
    }
}

/// Creates the session (and the mention's comment, or the delegation) and builds `created`.
pub(crate) fn create_session(inner: &mut Inner, event: &SessionCreated) -> Result<(String, Value)> {
    let Some(index) = inner.issue_index(&event.issue) else { bail!("linear-double: no issue {}", event.issue) };
    if inner.user(&event.creator_id).is_none() {
        bail!("linear-double: no user {}", event.creator_id);
    }
    let now = SystemTime::now();
    let issue_id = inner.issues[index].id.clone();
    let comment_id = event.mention.as_ref().map(|body| {
        let id = uuid();
        inner.comments.push(Comment {
            id: id.clone(),
            issue_id: Some(issue_id.clone()),
            parent_id: None,
            body: body.clone(),
            user_id: event.creator_id.clone(),
            create_as_user: None,
            display_icon_url: None,
            created_at: now,
        });
        id
    });
    let app_user_id = inner.config.app_user.id.clone();
    if event.mention.is_none() {
        inner.issues[index].delegate_id = Some(app_user_id.clone());
    }
    let session = AgentSession {
        id: uuid(),
        issue_id: Some(issue_id),
        comment_id: comment_id.clone(),
        source_comment_id: comment_id,
        creator_id: Some(event.creator_id.clone()),
        app_user_id,
        status: "pending".into(),
        plan: None,
        external_urls: Vec::new(),
        external_link: None,
        activities: Vec::new(),
        updates: Vec::new(),
        created_at: now,
        updated_at: now,
        started_at: None,
        ended_at: None,
    };
    let body = payloads::created(inner, &session);
    let id = session.id.clone();
    inner.sessions.push(session);
    Ok((id, body))
}

/// Records the user's prompt activity on the session and builds `prompted`.
pub(crate) fn add_prompt(inner: &mut Inner, session_id: &str, prompt: &Prompt) -> Result<Value> {
    let index =
        inner.session_index(session_id).with_context(|| format!("linear-double: no agent session {session_id}"))?;
    if inner.user(&prompt.user_id).is_none() {
        bail!("linear-double: no user {}", prompt.user_id);
    }
    let now = SystemTime::now();
    let activity = Activity {
        id: uuid(),
        session_id: session_id.to_string(),
        content: json!({"type": "prompt", "body": prompt.body}),
        ephemeral: false,
        signal: prompt.signal.clone(),
        signal_metadata: None,
        user_id: prompt.user_id.clone(),
        source_comment_id: None,
        received_at: now,
    };
    let activity_id = activity.id.clone();
    let session = &mut inner.sessions[index];
    session.activities.push(activity);
    session.updated_at = now;
    Ok(payloads::prompted(inner, &inner.sessions[index], &activity_id))
}

/// What a delivery sends.
pub(crate) struct Outgoing {
    pub url: String,
    pub delivery_id: String,
    pub event: String,
    pub body: Vec<u8>,
    pub signature: String,
    pub extra_headers: Vec<(String, String)>,
}

impl Outgoing {
    /// `body` signed with `secret`, as a fresh delivery to `url`.
    pub fn signed(url: String, secret: &str, event: &str, body: Vec<u8>) -> Self {
        let signature = signature(secret, &body);
        Self { url, delivery_id: uuid(), event: event.into(), body, signature, extra_headers: Vec::new() }
    }
}

/// Posts one delivery and reports how the receiver answered.
pub(crate) async fn deliver(outgoing: Outgoing) -> Delivery {
    let http = reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build().expect("a reqwest client");
    let mut headers = HeaderMap::new();
    let mut set = |name: &str, value: &str| {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json; charset=utf-8");
    set("user-agent", "Linear-Webhook");
    set("linear-delivery", &outgoing.delivery_id);
    set("linear-event", &outgoing.event);
    set("linear-signature", &outgoing.signature);
    // Extra headers replace the ones above (a forged `Linear-Event`, …).
    for (name, value) in &outgoing.extra_headers {
        set(name, value);
    }
    let request = http.post(&outgoing.url).headers(headers).body(outgoing.body.clone());
    let started = Instant::now();
    let (status, response_body, error) = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default(), None)
        }
        Err(e) => (0, String::new(), Some(e.to_string())),
    };
    Delivery {
        delivery_id: outgoing.delivery_id,
        event: outgoing.event,
        body: outgoing.body,
        signature: outgoing.signature,
        status,
        response_body,
        elapsed: started.elapsed(),
        error,
    }
}
