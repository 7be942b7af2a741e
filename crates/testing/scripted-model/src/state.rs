//! The state shared by the HTTP handlers and the in-process handle.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::make_id;
use crate::images::ReceivedImage;
use crate::script::{ScriptQueue, Turn};

/// Where the answer to a recorded request came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplySource {
    /// A script turn (its index is `consumed_turn`).
    Script,
    /// The default behaviour (the script was empty).
    Default,
    /// A request without tools (OpenCode's title call).
    Title,
}

/// One accepted chat request, as returned by `GET /_requests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// 1, 2, 3… in arrival order.
    pub seq: u64,
    /// The index of the script turn this request consumed, or `None`.
    pub consumed_turn: Option<usize>,
    pub reply: ReplySource,
    /// The `image_url` parts of its messages, in order (see the crate's docs, "Images").
    #[serde(default)]
    pub images: Vec<ReceivedImage>,
    /// The request body exactly as received (parsed JSON).
    pub body: Value,
}

/// Counters, as returned by `GET /_stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Streamed answers still being sent.
    pub active_streams: usize,
    /// SSE events handed to the connection since start.
    pub chunks_sent: u64,
    /// Chat requests accepted since start.
    pub chat_requests: u64,
    /// Streamed answers that stopped early because the client went away.
    pub streams_cancelled: u64,
}

#[derive(Debug)]
pub struct Shared {
    script: Mutex<ScriptQueue>,
    /// Answers for requests without tools (a classifier call, say), before the title answer.
    untooled: Mutex<std::collections::VecDeque<Turn>>,
    requests: Mutex<Vec<RecordedRequest>>,
    models: Vec<String>,
    api_key: Option<String>,
    seed: u64,
    next_id: AtomicU64,
    chat_requests: AtomicU64,
    pub(crate) active_streams: AtomicUsize,
    pub(crate) chunks_sent: AtomicU64,
    pub(crate) streams_cancelled: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these plain collections inconsistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Shared {
    pub fn new(models: Vec<String>, turns: Vec<Turn>) -> Shared {
        let mut script = ScriptQueue::default();
        turns.into_iter().for_each(|t| {
            script.push(t);
        });
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7);
        Shared {
            script: Mutex::new(script),
            untooled: Mutex::new(std::collections::VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            models,
            api_key: None,
            seed,
            next_id: AtomicU64::new(1),
            chat_requests: AtomicU64::new(0),
            active_streams: AtomicUsize::new(0),
            chunks_sent: AtomicU64::new(0),
            streams_cancelled: AtomicU64::new(0),
        }
    }

    /// Requires this key on `/v1/*` requests.
    pub fn with_api_key(mut self, key: Option<String>) -> Shared {
        self.api_key = key;
        self
    }

    /// Whether a request's `Authorization` header carries the key (always, when none is set).
    pub fn authorized(&self, authorization: Option<&str>) -> bool {
        match &self.api_key {
            None => true,
            Some(key) => authorization.and_then(|h| h.strip_prefix("Bearer ")) == Some(key.as_str()),
        }
    }

    pub fn models(&self) -> &[String] {
        &self.models
    }

    pub fn push(&self, turn: Turn) -> usize {
        lock(&self.script).push(turn)
    }

    /// Pushes all turns under one lock, so they stay together.
    pub fn push_all(&self, turns: impl IntoIterator<Item = Turn>) {
        let mut script = lock(&self.script);
        turns.into_iter().for_each(|t| {
            script.push(t);
        });
    }

    /// Queues an answer for the next request without tools.
    pub fn push_untooled(&self, turn: Turn) {
        lock(&self.untooled).push_back(turn);
    }

    pub fn pop_untooled(&self) -> Option<Turn> {
        lock(&self.untooled).pop_front()
    }

    pub fn pop(&self) -> Option<(usize, Turn)> {
        lock(&self.script).pop()
    }

    /// Drops every remaining turn; returns how many there were.
    pub fn clear_script(&self) -> usize {
        let mut script = lock(&self.script);
        let n = script.len();
        script.clear();
        n
    }

    pub fn remaining(&self) -> Vec<Turn> {
        lock(&self.script).remaining()
    }

    /// Records an accepted request with the images it carries; returns its `seq`.
    pub fn record(
        &self,
        consumed_turn: Option<usize>,
        reply: ReplySource,
        images: Vec<ReceivedImage>,
        body: Value,
    ) -> u64 {
        let seq = self.chat_requests.fetch_add(1, Ordering::SeqCst) + 1;
        lock(&self.requests).push(RecordedRequest { seq, consumed_turn, reply, images, body });
        seq
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// Forgets the recorded requests; returns how many there were.
    pub fn clear_requests(&self) -> usize {
        std::mem::take(&mut *lock(&self.requests)).len()
    }

    pub fn stats(&self) -> Stats {
        Stats {
            active_streams: self.active_streams.load(Ordering::SeqCst),
            chunks_sent: self.chunks_sent.load(Ordering::SeqCst),
            chat_requests: self.chat_requests.load(Ordering::SeqCst),
            streams_cancelled: self.streams_cancelled.load(Ordering::SeqCst),
        }
    }

    /// A fresh id such as `chatcmpl-…` (29 characters after the prefix) or `call_…` (24).
    pub fn new_id(&self, prefix: &str, len: usize) -> String {
        make_id(prefix, self.seed, self.next_id.fetch_add(1, Ordering::Relaxed), len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_requests_in_order() {
        let s = Shared::new(vec!["m".into()], vec![Turn::text("a")]);
        assert_eq!(s.pop().map(|(i, _)| i), Some(0));
        assert_eq!(s.record(Some(0), ReplySource::Script, Vec::new(), json!({"n": 1})), 1);
        assert_eq!(s.record(None, ReplySource::Title, Vec::new(), json!({"n": 2})), 2);
        let r = s.requests();
        assert_eq!((r[0].consumed_turn, r[1].reply), (Some(0), ReplySource::Title));
        assert_eq!(serde_json::to_value(&r[1]).unwrap()["reply"], "title");
        s.clear_requests();
        assert!(s.requests().is_empty());
        assert_eq!(s.stats().chat_requests, 2);
        assert_ne!(s.new_id("call_", 24), s.new_id("call_", 24));
    }
}
