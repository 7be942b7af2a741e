//! The running double: binds 127.0.0.1 on a free port, serves until dropped, and exposes the
//! test controls.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{ChannelConfig, SlackConfig, UserConfig};
use crate::events::{EventsSender, Reply, Workspace};
use crate::interactions::{self, Gesture};
use crate::record::RecordedRequest;
use crate::state::{Message, MessageUpdate, Reaction, ResponseUrlPost, Shared};
use crate::{api, ids};

/// The largest request body the double accepts.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A Slack test double serving `https://slack.com/api/<method>` as `<url>/api/<method>`.
/// Dropping it stops the server (gracefully: requests in flight finish).
pub struct SlackDouble {
    url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SlackDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackDouble").field("url", &self.url).finish_non_exhaustive()
    }
}

impl SlackDouble {
    /// Validates `config`, binds `127.0.0.1:0` and starts serving on the current Tokio runtime.
    pub async fn start(config: SlackConfig) -> Result<Self> {
        config.validate().context("invalid slack-double config")?;
        // Parse the spec now, so a broken contract file fails here and not in a handler.
        let _ = crate::contract::methods();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.context("binding the slack double")?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::new(config));
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let graceful = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            let _ = graceful.await;
        });
        Ok(Self { url, shared, shutdown: Some(shutdown), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the product calls `<url>/api/<method>`
    /// where it would call `https://slack.com/api/<method>`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// `<url>/api/<method>`.
    pub fn api_url(&self, method: &str) -> String {
        format!("{}/api/{method}", self.url)
    }

    /// The configuration as it is now (channels opened and users added included).
    pub fn config(&self) -> SlackConfig {
        self.shared.lock().config.clone()
    }

    /// `<@bot_user_id>`: how a person mentions the app in a message's text.
    pub fn bot_mention(&self) -> String {
        format!("<@{}>", self.shared.lock().config.bot_user_id)
    }

    // ---- what the product sent ------------------------------------------------------------

    /// Every request received so far, in the order they were answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The calls of one Web API method (`chat.postMessage`) so far.
    pub fn calls(&self, method: &str) -> Vec<RecordedRequest> {
        let inner = self.shared.lock();
        inner.requests.iter().filter(|r| r.api_method.as_deref() == Some(method)).cloned().collect()
    }

    /// Forgets the recorded requests (not the violations).
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Every contract violation found in what the product sent: unknown methods or
    /// parameters, missing required parameters, wrong types or timestamps, the wrong verb or
    /// content type, `token` in a JSON body, and requests Slack rejects as malformed
    /// (`no_text`, `msg_too_long`, `invalid_blocks`, `invalid_name`, …), `thread_ts` naming no
    /// message, misuse of a `response_url`. Tests assert it is empty.
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Forgets the violations (after a test provoked some on purpose).
    pub fn clear_violations(&self) {
        self.shared.lock().violations.clear();
    }

    /// Panics with the list if there are violations.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "slack-double: the product broke Slack's contract:\n  {}",
            violations.join("\n  ")
        );
    }

    /// Waits until `method` has been called at least `n` times; answers the calls.
    pub async fn wait_for_calls(&self, method: &str, n: usize, timeout: Duration) -> Result<Vec<RecordedRequest>> {
        self.wait_until(timeout, || {
            let calls = self.calls(method);
            (calls.len() >= n).then_some(calls)
        })
        .await
        .with_context(|| format!("slack-double: fewer than {n} {method} calls after {timeout:?}"))
    }

    /// Waits until `channel` has at least `n` messages (replies included); answers them.
    pub async fn wait_for_messages(&self, channel: &str, n: usize, timeout: Duration) -> Result<Vec<Message>> {
        self.wait_until(timeout, || {
            let messages = self.messages(channel);
            (messages.len() >= n).then_some(messages)
        })
        .await
        .with_context(|| format!("slack-double: fewer than {n} messages in {channel} after {timeout:?}"))
    }

    async fn wait_until<T>(&self, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if let Some(found) = check() {
                return Some(found);
            }
            // The notification covers requests; a short tick covers everything else.
            let tick = tokio::time::Instant::now() + Duration::from_millis(50);
            if tokio::time::timeout_at(tick.min(deadline), notified).await.is_err()
                && tokio::time::Instant::now() >= deadline
            {
                return check();
            }
        }
    }

    // ---- the workspace -----------------------------------------------------------------------

    /// Adds a conversation after start.
    pub fn add_channel(&self, channel: ChannelConfig) {
        let mut inner = self.shared.lock();
        inner.config.channels.retain(|c| c.id != channel.id);
        inner.config.channels.push(channel);
    }

    /// Adds a person after start.
    pub fn add_user(&self, user: UserConfig) {
        let mut inner = self.shared.lock();
        inner.config.users.retain(|u| u.id != user.id);
        inner.config.users.push(user);
    }

    /// Every message in `channel` (replies included), in order.
    pub fn messages(&self, channel: &str) -> Vec<Message> {
        self.shared.lock().messages.get(channel).cloned().unwrap_or_default()
    }

    /// The messages the app posted in `channel` (replies included), in order.
    pub fn app_messages(&self, channel: &str) -> Vec<Message> {
        self.messages(channel).into_iter().filter(Message::is_from_app).collect()
    }

    /// One message.
    pub fn message(&self, channel: &str, ts: &str) -> Option<Message> {
        self.shared.lock().find_message(channel, ts).cloned()
    }

    /// The replies in the thread `thread_ts` (the parent left out), in order.
    pub fn thread(&self, channel: &str, thread_ts: &str) -> Vec<Message> {
        self.shared.lock().replies(channel, thread_ts).into_iter().cloned().collect()
    }

    /// The reactions on a message.
    pub fn reactions(&self, channel: &str, ts: &str) -> Vec<Reaction> {
        self.message(channel, ts).map(|m| m.reactions).unwrap_or_default()
    }

    /// Each update of a message (`chat.update`, `replace_original`), in order, as sent.
    pub fn updates_of(&self, channel: &str, ts: &str) -> Vec<MessageUpdate> {
        self.message(channel, ts).map(|m| m.edits).unwrap_or_default()
    }

    /// What was posted to the `response_url`s of interactions.
    pub fn response_url_posts(&self) -> Vec<ResponseUrlPost> {
        self.shared.lock().response_posts.clone()
    }

    /// Seeds a message a person wrote (in a thread when `thread_ts` is given), so
    /// `conversations.replies` shows it; answers its `ts`. No event is sent (see
    /// [`SlackDouble::send_message`]).
    ///
    /// # Panics
    /// If the channel or the user is unknown.
    pub fn post_user_message(&self, channel: &str, user: &str, text: &str, thread_ts: Option<&str>) -> String {
        let mut inner = self.shared.lock();
        assert!(inner.channel(channel).is_some(), "slack-double: no channel {channel}");
        assert!(inner.user(user).is_some(), "slack-double: no user {user}");
        let message = Message {
            channel: channel.into(),
            ts: inner.next_ts(),
            thread_ts: thread_ts.map(str::to_string),
            user: user.into(),
            bot_id: None,
            text: text.into(),
            blocks: Vec::new(),
            attachments: Vec::new(),
            reply_broadcast: false,
            edits: Vec::new(),
            edited_ts: None,
            reactions: Vec::new(),
            posted_with: Default::default(),
        };
        inner.store(message).ts
    }

    /// Adds a reaction by a person (or any user) to a message.
    ///
    /// # Panics
    /// If there is no such message.
    pub fn react(&self, channel: &str, ts: &str, user: &str, name: &str) {
        let mut inner = self.shared.lock();
        let message =
            inner.find_message_mut(channel, ts).unwrap_or_else(|| panic!("slack-double: no message {ts} in {channel}"));
        match message.reactions.iter_mut().find(|r| r.name == name) {
            Some(reaction) if !reaction.users.iter().any(|u| u == user) => reaction.users.push(user.into()),
            Some(_) => {}
            None => message.reactions.push(Reaction { name: name.into(), users: vec![user.into()] }),
        }
    }

    // ---- failures ---------------------------------------------------------------------------

    /// The next `times` calls of `method` get HTTP 429, `Retry-After: <retry_after_secs>` and
    /// `{"ok":false,"error":"ratelimited"}` (the body spelling is what Slack's docs say; the
    /// 2021 spec's enums say `rate_limited`).
    pub fn rate_limit_next(&self, method: &str, retry_after_secs: u64, times: usize) {
        let mut inner = self.shared.lock();
        inner.rate_limits.entry(method.into()).or_default().extend(std::iter::repeat_n(retry_after_secs, times));
    }

    /// While on, every request (any path) gets HTTP 503 with an HTML body: that is what a
    /// Slack outage looks like to a client (a 5xx from Slack's edge, not an `ok:false`).
    pub fn set_down(&self, down: bool) {
        self.shared.lock().down = down;
    }

    /// The next call of `method` (after authentication) answers `{"ok":false,"error":code}`
    /// with HTTP 200; several calls queue several failures.
    pub fn fail_next(&self, method: &str, error_code: &str) {
        self.shared.lock().failures.entry(method.into()).or_default().push_back(error_code.into());
    }

    // ---- events and interactions -------------------------------------------------------------

    /// Sets where events are delivered (the app's Request URL).
    pub fn set_events_url(&self, url: &str) {
        self.shared.lock().config.events_url = Some(url.into());
    }

    /// Sets where interactions are delivered (the app's Interactivity Request URL).
    pub fn set_interactions_url(&self, url: &str) {
        self.shared.lock().config.interactions_url = Some(url.into());
    }

    /// A sender to the events URL (empty if none is set yet) with the workspace's ids and
    /// signing secret, whose payloads' `response_url`s point at this double.
    pub fn events_sender(&self) -> EventsSender {
        let inner = self.shared.lock();
        let mut sender =
            EventsSender::new(inner.config.events_url.clone().unwrap_or_default(), &inner.config.signing_secret)
                .workspace(Workspace::from(&inner.config));
        sender.response_url_base = self.url.clone();
        sender
    }

    /// `user` mentions the app: seeds the message (in a thread when `thread_ts` is given) and
    /// delivers `app_mention` to the events URL. `text` should contain
    /// [`SlackDouble::bot_mention`]. Answers the message's `ts` and the receiver's reply.
    pub async fn send_app_mention(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(String, Reply)> {
        let sender = self.checked_events_sender()?;
        let ts = self.post_user_message(channel, user, text, thread_ts);
        let mut envelope = sender.app_mention(channel, user, text, &ts, thread_ts);
        self.add_parent_user(&mut envelope, channel, thread_ts);
        Ok((ts.clone(), sender.send(&envelope).await?))
    }

    /// `user` writes `text` (in a thread when `thread_ts` is given): seeds the message and
    /// delivers `message` with the channel's `channel_type`.
    pub async fn send_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(String, Reply)> {
        let sender = self.checked_events_sender()?;
        let channel_type = self.config().find_channel(channel).map(|c| c.kind.channel_type()).unwrap_or("channel");
        let ts = self.post_user_message(channel, user, text, thread_ts);
        let mut envelope = sender.message(channel, user, text, &ts, thread_ts, channel_type);
        self.add_parent_user(&mut envelope, channel, thread_ts);
        Ok((ts.clone(), sender.send(&envelope).await?))
    }

    fn checked_events_sender(&self) -> Result<EventsSender> {
        let sender = self.events_sender();
        if sender.url.is_empty() {
            bail!("slack-double: no events URL; call set_events_url first");
        }
        Ok(sender)
    }

    /// Replies' events carry `parent_user_id`.
    fn add_parent_user(&self, envelope: &mut Value, channel: &str, thread_ts: Option<&str>) {
        let Some(thread_ts) = thread_ts else { return };
        if let Some(parent) = self.message(channel, thread_ts) {
            envelope["event"]["parent_user_id"] = Value::String(parent.user);
        }
    }

    /// `user` clicks the button `action_id` on the message `message_ts`: delivers the
    /// `block_actions` payload (with the button's `value`, the message as Slack shows it and a
    /// `response_url` served by this double) to the interactions URL.
    pub async fn click(&self, channel: &str, message_ts: &str, action_id: &str, user: &str) -> Result<Reply> {
        self.interact(channel, message_ts, action_id, user, Gesture::Click).await
    }

    /// `user` chooses the option `option_value` in the `static_select` `action_id` on the
    /// message `message_ts`: delivers the `block_actions` payload with `selected_option`.
    pub async fn choose(
        &self,
        channel: &str,
        message_ts: &str,
        action_id: &str,
        option_value: &str,
        user: &str,
    ) -> Result<Reply> {
        self.interact(channel, message_ts, action_id, user, Gesture::Choose(option_value)).await
    }

    /// The payload [`SlackDouble::click`] would send, without sending it (to tamper with).
    pub fn click_payload(&self, channel: &str, message_ts: &str, action_id: &str, user: &str) -> Result<Value> {
        let sender = self.events_sender();
        let mut inner = self.shared.lock();
        interactions::payload(&mut inner, &sender, channel, message_ts, action_id, user, Gesture::Click)
    }

    async fn interact(
        &self,
        channel: &str,
        message_ts: &str,
        action_id: &str,
        user: &str,
        gesture: Gesture<'_>,
    ) -> Result<Reply> {
        let sender = self.events_sender();
        let (url, payload) = {
            let mut inner = self.shared.lock();
            let url = inner
                .config
                .interactions_url
                .clone()
                .context("slack-double: no interactions URL; call set_interactions_url first")?;
            (url, interactions::payload(&mut inner, &sender, channel, message_ts, action_id, user, gesture)?)
        };
        sender.send_interaction(&url, &payload).await
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SlackDouble {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Every request: recorded, then answered by the Web API, a `response_url`, or 404.
async fn serve(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let path = parts.uri.path().to_string();
    let verb = parts.method.as_str().to_string();
    let mut recorded = RecordedRequest {
        method: verb.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
        api_method: None,
        args: Default::default(),
        status: 0,
        response: Value::Null,
        violations: Vec::new(),
    };
    let response = {
        let mut inner = shared.lock();
        let response = if inner.down {
            recorded.response = Value::String("Service Unavailable".into());
            html(StatusCode::SERVICE_UNAVAILABLE, "<html><body><h1>503 Service Unavailable</h1></body></html>")
        } else if let Some(method) = path.strip_prefix("/api/") {
            let outcome = api::call(&mut inner, method, &verb, &parts.headers, recorded.query.as_deref(), &body);
            recorded.api_method = Some(method.to_string());
            recorded.args = outcome.args;
            recorded.violations = outcome.violations;
            recorded.response = outcome.body.clone();
            let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
            let mut response = (status, outcome.body.to_string()).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            if let Ok(id) = HeaderValue::from_str(&ids::hex(32)) {
                headers.insert("x-slack-req-id", id);
            }
            if let Some(retry_after) = outcome.retry_after {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            response
        } else if path.starts_with("/actions/") && verb == "POST" {
            let (status, text, violation) = interactions::respond(&mut inner, &path, &body);
            recorded.violations.extend(violation);
            recorded.response = Value::String(text.clone());
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (status, [(header::CONTENT_TYPE, "text/html")], text).into_response()
        } else {
            recorded.violations.push(format!("{verb} {path}: not a Slack endpoint the double serves"));
            html(StatusCode::NOT_FOUND, "<html><body><h1>404 Not Found</h1></body></html>")
        };
        recorded.status = response.status().as_u16();
        let violations = recorded.violations.clone();
        violations.into_iter().for_each(|v| inner.violation(v));
        inner.requests.push(recorded);
        response
    };
    shared.changed.notify_waiters();
    response
}

fn html(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], Body::from(body)).into_response()
}
