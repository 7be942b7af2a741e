//! The prompt box's decisions: what a key does, when to tell the others we are typing, and the
//! request id that makes a retry of the same prompt idempotent.

use oi_protocol::limits::MAX_PROMPT_CHARS;

/// What a key press in the prompt box does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Send the prompt (and keep the key from adding a newline).
    Send,
    /// Let the browser handle it (Shift+Enter adds a newline).
    Default,
}

/// Enter sends; Shift+Enter (or Enter while an input method is composing) is left alone.
pub fn key_action(key: &str, shift: bool, composing: bool) -> KeyAction {
    if key == "Enter" && !shift && !composing {
        KeyAction::Send
    } else {
        KeyAction::Default
    }
}

/// How often at most a `typing` frame is sent while someone types.
pub const TYPING_EVERY_MS: f64 = 2_000.0;
/// After this long without a key, presence goes back to `active`.
pub const TYPING_IDLE_MS: u32 = 4_000;

/// Rate-limits `typing` frames.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypingThrottle {
    last_sent: Option<f64>,
}

impl TypingThrottle {
    /// Whether a key at `now` (ms) should send `typing`.
    pub fn on_input(&mut self, now: f64) -> bool {
        match self.last_sent {
            Some(last) if now - last < TYPING_EVERY_MS => false,
            _ => {
                self.last_sent = Some(now);
                true
            }
        }
    }

    /// The prompt was sent or the person stopped typing: the next key sends `typing` again.
    pub fn reset(&mut self) {
        self.last_sent = None;
    }
}

/// The request id for sending `text`: the same as the last attempt when the text did not change
/// (so a retry after a lost answer is not queued twice), a fresh one otherwise.
#[derive(Debug, Clone, Default)]
pub struct RequestIds {
    last: Option<(String, String)>,
}

impl RequestIds {
    pub fn for_text(&mut self, text: &str, fresh: impl FnOnce() -> String) -> String {
        match &self.last {
            Some((t, id)) if t == text => id.clone(),
            _ => {
                let id = fresh();
                self.last = Some((text.to_string(), id.clone()));
                id
            }
        }
    }

    /// The prompt was accepted: the next one gets a new id even with the same text.
    pub fn accepted(&mut self) {
        self.last = None;
    }
}

/// A request id from the time and a random number: `web-<ms hex>-<random hex>`.
pub fn request_id(now_ms: f64, random: f64) -> String {
    format!("web-{:x}-{:012x}", now_ms as u64, (random * 281_474_976_710_656.0) as u64)
}

/// The counter under the prompt box: characters used, and whether that is over the limit.
pub fn length_hint(text: &str) -> (String, bool) {
    let n = text.chars().count();
    let over = n > MAX_PROMPT_CHARS;
    if n > MAX_PROMPT_CHARS * 9 / 10 {
        (format!("{n} / {MAX_PROMPT_CHARS} characters"), over)
    } else {
        (String::new(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_sends_and_shift_enter_does_not() {
        assert_eq!(key_action("Enter", false, false), KeyAction::Send);
        assert_eq!(key_action("Enter", true, false), KeyAction::Default);
        assert_eq!(key_action("Enter", false, true), KeyAction::Default);
        assert_eq!(key_action("a", false, false), KeyAction::Default);
    }

    #[test]
    fn typing_is_sent_at_most_every_two_seconds() {
        let mut t = TypingThrottle::default();
        assert!(t.on_input(0.0));
        assert!(!t.on_input(1_000.0));
        assert!(t.on_input(2_500.0));
        t.reset();
        assert!(t.on_input(2_600.0));
    }

    #[test]
    fn a_retry_of_the_same_text_reuses_its_id() {
        let mut ids = RequestIds::default();
        let a = ids.for_text("hi", || "id-1".into());
        assert_eq!(ids.for_text("hi", || "id-2".into()), a);
        assert_eq!(ids.for_text("hello", || "id-3".into()), "id-3");
        ids.accepted();
        assert_eq!(ids.for_text("hello", || "id-4".into()), "id-4");
        assert_eq!(request_id(4096.0, 0.5), "web-1000-800000000000");
    }

    #[test]
    fn the_counter_shows_near_the_limit() {
        assert_eq!(length_hint("short"), (String::new(), false));
        let long = "x".repeat(MAX_PROMPT_CHARS + 1);
        assert_eq!(length_hint(&long), ("64001 / 64000 characters".to_string(), true));
    }
}
