//! The double's mutable state: the configuration, the conversations' messages, recorded
//! requests, violations and the failure switches. One mutex; no lock is held across an
//! `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::config::{ChannelConfig, ChannelKind, SlackConfig, UserConfig};
use crate::record::RecordedRequest;

/// What the server's handlers and the test's handle share.
pub(crate) struct Shared {
    /// Woken whenever a request is recorded.
    pub changed: Notify,
    inner: Mutex<Inner>,
}

impl Shared {
    pub fn new(config: SlackConfig) -> Self {
        let inner = Inner {
            config,
            messages: HashMap::new(),
            requests: Vec::new(),
            violations: Vec::new(),
            down: false,
            rate_limits: HashMap::new(),
            failures: HashMap::new(),
            last_micros: 0,
            hooks: HashMap::new(),
            response_posts: Vec::new(),
        };
        Self { changed: Notify::new(), inner: Mutex::new(inner) }
    }

    /// Locks the state (a panicking handler does not poison it for the test).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One message in a conversation, as the double stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub channel: String,
    /// `1700000000.000100`: unique, and increasing in the order messages were posted.
    pub ts: String,
    /// The thread's parent `ts` for replies (`None` for top-level messages and for parents).
    pub thread_ts: Option<String>,
    /// Who posted it: a person's id, or the app's bot user.
    pub user: String,
    /// The app's `bot_id` for messages the app posted.
    pub bot_id: Option<String>,
    /// The current text (after any `chat.update`).
    pub text: String,
    /// The current blocks, as Slack stores them (made-up `block_id`s / `action_id`s filled in).
    pub blocks: Vec<Value>,
    /// The current attachments.
    pub attachments: Vec<Value>,
    /// `reply_broadcast`: a thread reply also shown in the channel.
    pub reply_broadcast: bool,
    /// Every `chat.update` (and `replace_original` response) of the message, in order.
    pub edits: Vec<MessageUpdate>,
    /// When it was last edited (`edited.ts`).
    pub edited_ts: Option<String>,
    pub reactions: Vec<Reaction>,
    /// The arguments the message was posted with (`chat.postMessage`; empty for seeded ones).
    pub posted_with: Map<String, Value>,
}

impl Message {
    /// Whether the app posted it.
    pub fn is_from_app(&self) -> bool {
        self.bot_id.is_some()
    }

    /// The thread this message heads or belongs to.
    pub fn thread_root(&self) -> &str {
        self.thread_ts.as_deref().unwrap_or(&self.ts)
    }
}

/// A reaction on a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// The emoji name, without colons.
    pub name: String,
    /// Who reacted, in order.
    pub users: Vec<String>,
}

/// One change to a message's content, as it was sent.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageUpdate {
    /// `text`, if the update had one.
    pub text: Option<String>,
    /// `blocks`, parsed, if the update had them.
    pub blocks: Option<Value>,
    /// `attachments`, parsed, if the update had them.
    pub attachments: Option<Value>,
    /// All the arguments (`chat.update`) or the JSON body (a `response_url` post).
    pub args: Map<String, Value>,
}

/// A post to an interaction's `response_url`, and what it did.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseUrlPost {
    /// The conversation and message the interaction came from.
    pub channel: String,
    pub message_ts: String,
    /// Who acted.
    pub user: String,
    /// The JSON body sent.
    pub body: Value,
    /// `replaced`, `deleted`, `posted` (a new message `in_channel`), `ephemeral` (shown only to
    /// the person who clicked; not stored as a message) or `rejected` (why in the body's
    /// answer).
    pub effect: String,
}

/// A `response_url` handed out with an interaction.
#[derive(Clone, Debug)]
pub(crate) struct Hook {
    pub channel: String,
    pub message_ts: String,
    pub thread_ts: Option<String>,
    pub user: String,
    /// Slack lets a `response_url` be used five times.
    pub uses_left: u32,
}

pub(crate) struct Inner {
    pub config: SlackConfig,
    /// Messages per conversation, in `ts` order (replies included).
    pub messages: HashMap<String, Vec<Message>>,
    pub requests: Vec<RecordedRequest>,
    pub violations: Vec<String>,
    pub down: bool,
    /// Per method: the `Retry-After` of each 429 still to answer.
    pub rate_limits: HashMap<String, VecDeque<u64>>,
    /// Per method: the error codes still to answer.
    pub failures: HashMap<String, VecDeque<String>>,
    last_micros: u64,
    /// `response_url` path → what it answers for.
    pub hooks: HashMap<String, Hook>,
    pub response_posts: Vec<ResponseUrlPost>,
}

impl Inner {
    /// A fresh message timestamp: the clock in microseconds, always after the last one.
    pub fn next_ts(&mut self) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0);
        self.last_micros = now.max(self.last_micros + 1);
        format!("{}.{:06}", self.last_micros / 1_000_000, self.last_micros % 1_000_000)
    }

    pub fn channel(&self, id: &str) -> Option<&ChannelConfig> {
        self.config.find_channel(id)
    }

    /// `chat.postMessage`'s `channel`: an id, a name (`general` or `#general`), or a person's
    /// id (their direct message with the bot, opened if need be).
    pub fn resolve_post_channel(&mut self, arg: &str) -> Option<String> {
        if self.channel(arg).is_some() {
            return Some(arg.to_string());
        }
        let name = arg.strip_prefix('#').unwrap_or(arg);
        let by_name = self.config.channels.iter().find(|c| c.name == name && !matches!(c.kind, ChannelKind::Im { .. }));
        if let Some(channel) = by_name {
            return Some(channel.id.clone());
        }
        self.config.find_user(arg)?;
        Some(self.open_im(arg))
    }

    /// The direct message between the bot and `user` (created as `D<user id without U>` if
    /// there is none).
    pub fn open_im(&mut self, user: &str) -> String {
        let existing = self.config.channels.iter().find(|c| c.kind == ChannelKind::Im { user: user.to_string() });
        if let Some(channel) = existing {
            return channel.id.clone();
        }
        let id = format!("D{}", &user[1..]);
        self.config.channels.push(ChannelConfig::im(&id, user));
        id
    }

    /// A person or the app's bot user.
    pub fn user(&self, id: &str) -> Option<UserConfig> {
        if id == self.config.bot_user_id {
            return Some(self.config.bot_user());
        }
        self.config.find_user(id).cloned()
    }

    pub fn find_message(&self, channel: &str, ts: &str) -> Option<&Message> {
        self.messages.get(channel)?.iter().find(|m| m.ts == ts)
    }

    pub fn find_message_mut(&mut self, channel: &str, ts: &str) -> Option<&mut Message> {
        self.messages.get_mut(channel)?.iter_mut().find(|m| m.ts == ts)
    }

    /// The replies in a thread, in order.
    pub fn replies(&self, channel: &str, thread_ts: &str) -> Vec<&Message> {
        let Some(list) = self.messages.get(channel) else { return Vec::new() };
        list.iter().filter(|m| m.thread_ts.as_deref() == Some(thread_ts)).collect()
    }

    /// Stores a new message; a `thread_ts` naming a reply is moved to that reply's parent, as
    /// Slack does.
    pub fn store(&mut self, mut message: Message) -> Message {
        if let Some(thread_ts) = &message.thread_ts {
            if let Some(parent) = self.find_message(&message.channel, thread_ts) {
                message.thread_ts = Some(parent.thread_root().to_string());
            }
        }
        self.messages.entry(message.channel.clone()).or_default().push(message.clone());
        message
    }

    /// Removes a message (and leaves its replies, as Slack does).
    pub fn delete(&mut self, channel: &str, ts: &str) -> bool {
        let Some(list) = self.messages.get_mut(channel) else { return false };
        let before = list.len();
        list.retain(|m| m.ts != ts);
        list.len() != before
    }

    pub fn violation(&mut self, problem: String) {
        self.violations.push(problem);
    }
}
