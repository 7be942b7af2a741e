//! Fixed-window rate limits: how many requests of one kind a caller may make per window
//! (sign-in attempts per address, WebSocket tokens per person). The state is one small record
//! per key, kept by the control plane's rate-limit Durable Object so it holds across isolates.

use serde::{Deserialize, Serialize};

/// At most `max` requests per `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub max: u32,
    pub window_ms: i64,
}

/// Sign-in (`/auth/github/login` and `/callback`) per client address: 20 a minute.
pub const SIGN_IN: Limit = Limit { max: 20, window_ms: 60_000 };
/// WebSocket tokens per person: 60 a minute (a reconnecting browser needs one per attempt).
pub const WS_TOKENS: Limit = Limit { max: 60, window_ms: 60_000 };
/// New sessions per person: 60 an hour (`QUOTA_SESSIONS_PER_HOUR`).
pub const SESSIONS: Limit = Limit { max: 60, window_ms: 3_600_000 };
/// Prompts sent over REST per person: 600 an hour (`QUOTA_PROMPTS_PER_HOUR`). A socket's
/// prompts are bounded by the session's queue and its model budget.
pub const PROMPTS: Limit = Limit { max: 600, window_ms: 3_600_000 };
/// Sandboxes started early by `typing`, per person: 30 an hour (`QUOTA_TYPING_STARTS_PER_HOUR`).
pub const TYPING_STARTS: Limit = Limit { max: 30, window_ms: 3_600_000 };

impl Limit {
    /// The same window with `max` from a setting, when it is a positive number.
    pub fn with_max_from(self, setting: Option<&str>) -> Limit {
        match setting.and_then(|v| v.trim().parse::<u32>().ok()).filter(|m| *m > 0) {
            Some(max) => Limit { max, ..self },
            None => self,
        }
    }
}

/// The current window of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub started_at: i64,
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed; store this window.
    Allow(Window),
    /// Refused; the window ends in `retry_after_ms`. Nothing changes.
    Deny { retry_after_ms: i64 },
}

/// Counts one request at `now` against `current`.
pub fn decide(current: Option<Window>, limit: Limit, now: i64) -> Decision {
    match current {
        Some(w) if now >= w.started_at && now - w.started_at < limit.window_ms => {
            if w.count >= limit.max {
                Decision::Deny { retry_after_ms: w.started_at + limit.window_ms - now }
            } else {
                Decision::Allow(Window { count: w.count + 1, ..w })
            }
        }
        // No window, an expired one, or one from the future (a clock step): start afresh.
        _ => Decision::Allow(Window { started_at: now, count: 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limit = Limit { max: 3, window_ms: 1000 };

    #[test]
    fn counts_up_to_the_limit_then_refuses_until_the_window_ends() {
        let cases: &[(Option<Window>, i64, Decision)] = &[
            (None, 10, Decision::Allow(Window { started_at: 10, count: 1 })),
            (Some(Window { started_at: 10, count: 1 }), 500, Decision::Allow(Window { started_at: 10, count: 2 })),
            (Some(Window { started_at: 10, count: 2 }), 900, Decision::Allow(Window { started_at: 10, count: 3 })),
            (Some(Window { started_at: 10, count: 3 }), 900, Decision::Deny { retry_after_ms: 110 }),
            (Some(Window { started_at: 10, count: 3 }), 1009, Decision::Deny { retry_after_ms: 1 }),
            (Some(Window { started_at: 10, count: 3 }), 1010, Decision::Allow(Window { started_at: 1010, count: 1 })),
            (Some(Window { started_at: 5000, count: 3 }), 10, Decision::Allow(Window { started_at: 10, count: 1 })),
        ];
        for (current, now, expected) in cases {
            assert_eq!(decide(*current, L, *now), *expected, "{current:?} at {now}");
        }
    }
}
