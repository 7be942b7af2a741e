//! Rate-limit headers on every GraphQL answer, and the switch that makes the next call
//! rate-limited. The header names are the ones Linear's SDK reads (contract "GraphQL API",
//! Rate-limit headers: reset values in epoch ms). Linear's limits are a leaky bucket whose
//! figures the contract leaves unconfirmed; the double counts down from fixed budgets that
//! refill an hour after the first call, and charges each operation one point per selected field
//! (its own estimate of Linear's complexity).

use std::time::{Duration, SystemTime};

use crate::clock::unix_ms;

/// Requests per hour (unconfirmed figure).
pub const REQUESTS_LIMIT: u64 = 5_000;
/// Complexity points per hour (unconfirmed figure).
pub const COMPLEXITY_LIMIT: u64 = 3_000_000;
const WINDOW: Duration = Duration::from_secs(3600);

#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    requests_used: u64,
    complexity_used: u64,
    window_start: Option<SystemTime>,
    /// How many of the next calls answer 429 `ratelimited`.
    pub limited_calls: u32,
}

impl RateLimits {
    /// Charges one call of `complexity` points; answers the headers to send and whether the
    /// call is refused as rate-limited.
    pub fn charge(&mut self, complexity: u64) -> (Vec<(&'static str, String)>, bool) {
        let now = SystemTime::now();
        let start = *self.window_start.get_or_insert(now);
        if now.duration_since(start).unwrap_or_default() >= WINDOW {
            *self = Self { limited_calls: self.limited_calls, window_start: Some(now), ..Self::default() };
        }
        let limited = self.limited_calls > 0;
        if limited {
            self.limited_calls -= 1;
        } else {
            self.requests_used = (self.requests_used + 1).min(REQUESTS_LIMIT);
            self.complexity_used = (self.complexity_used + complexity).min(COMPLEXITY_LIMIT);
        }
        let reset = unix_ms(self.window_start.unwrap_or(now) + WINDOW).to_string();
        let (requests_left, complexity_left) = if limited {
            (0, 0)
        } else {
            (REQUESTS_LIMIT - self.requests_used, COMPLEXITY_LIMIT - self.complexity_used)
        };
        let headers = vec![
            ("x-ratelimit-requests-limit", REQUESTS_LIMIT.to_string()),
            ("x-ratelimit-requests-remaining", requests_left.to_string()),
            ("x-ratelimit-requests-reset", reset.clone()),
            ("x-ratelimit-complexity-limit", COMPLEXITY_LIMIT.to_string()),
            ("x-ratelimit-complexity-remaining", complexity_left.to_string()),
            ("x-ratelimit-complexity-reset", reset),
        ];
        (headers, limited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_and_limits_on_demand() {
        let mut limits = RateLimits::default();
        let (headers, limited) = limits.charge(7);
        assert!(!limited);
        let get = |h: &[(&str, String)], n: &str| h.iter().find(|(k, _)| *k == n).unwrap().1.clone();
        assert_eq!(get(&headers, "x-ratelimit-requests-remaining"), "4999");
        assert_eq!(get(&headers, "x-ratelimit-complexity-remaining"), "2999993");
        limits.limited_calls = 1;
        let (headers, limited) = limits.charge(7);
        assert!(limited);
        assert_eq!(get(&headers, "x-ratelimit-requests-remaining"), "0");
        let (headers, limited) = limits.charge(1);
        assert!(!limited);
        assert_eq!(get(&headers, "x-ratelimit-requests-remaining"), "4998");
    }
}
