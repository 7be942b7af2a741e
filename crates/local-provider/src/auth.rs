//! Signed requests: `Authorization: OI-HMAC-SHA256 …` checked with [`oi_protocol::signing`],
//! plus the replay check the verifier leaves to its caller: [`NonceCache`] in memory, made
//! durable across restarts by [`crate::nonce_log::NonceStore`] (`<root>/nonces.log`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oi_protocol::signing::{verify, SignedParts, MAX_SKEW_MS};
use oi_protocol::ErrorCode;

use crate::app::App;
use crate::error::HttpError;

/// The largest signed request body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// Nonces seen within the replay window.
#[derive(Debug, Default)]
pub struct NonceCache {
    seen: HashMap<String, i64>,
}

impl NonceCache {
    /// Records a verified request's nonce; `false` when it was already seen. A nonce is kept
    /// until its request's timestamp leaves the ±5 minute window, after which the request
    /// would be rejected as stale anyway.
    pub fn check_and_insert(&mut self, nonce: &str, ts: i64, now_ms: i64) -> bool {
        self.prune(now_ms);
        if self.seen.contains_key(nonce) {
            return false;
        }
        self.seen.insert(nonce.to_string(), ts);
        true
    }

    /// Forgets nonces whose timestamps are older than the window.
    pub fn prune(&mut self, now_ms: i64) {
        self.seen.retain(|_, ts| in_window(*ts, now_ms));
    }

    /// The remembered nonces with their requests' timestamps, in no order.
    pub fn entries(&self) -> impl Iterator<Item = (i64, &str)> {
        self.seen.iter().map(|(nonce, ts)| (*ts, nonce.as_str()))
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Whether a request stamped `ts` may still arrive at `now_ms` (so its nonce must be kept):
/// it is not older than the window. Stamps from the future are kept until they are.
pub fn in_window(ts: i64, now_ms: i64) -> bool {
    now_ms - ts <= MAX_SKEW_MS
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Middleware: verifies the signature over method, path, raw query and body, rejects replays
/// (recording the nonce in the durable log first), and hands the handler the body it read.
pub async fn require_signature(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return HttpError::new(ErrorCode::PayloadTooLarge, format!("the request body is larger than {MAX_BODY} bytes"))
            .into_response();
    };
    // A header that is not text is as good as a malformed one.
    let header = parts.headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let signed = SignedParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        body: &bytes,
    };
    let now = now_ms();
    let verified = match verify(&app.config.key, header, &signed, now) {
        Ok(v) => v,
        Err(e) => return HttpError(e).into_response(),
    };
    let recorded =
        app.nonces.lock().unwrap_or_else(|e| e.into_inner()).check_and_insert(&verified.nonce, verified.ts, now);
    let fresh = match recorded {
        Ok(fresh) => fresh,
        // Fail closed: a nonce that could not be recorded could be replayed after a restart.
        Err(e) => return HttpError::internal("the replay check cannot record the nonce", e).into_response(),
    };
    if !fresh {
        return HttpError::new(ErrorCode::Unauthorized, "the nonce was already used (a replayed request)")
            .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_455_544_882;

    #[test]
    fn a_nonce_is_accepted_once() {
        let mut c = NonceCache::default();
        assert!(c.check_and_insert("ab", NOW, NOW));
        assert!(!c.check_and_insert("ab", NOW, NOW + 1));
        assert!(c.check_and_insert("cd", NOW, NOW + 1));
    }

    #[test]
    fn nonces_are_kept_for_the_window_and_then_pruned() {
        let mut c = NonceCache::default();
        // A request stamped in the future stays remembered until its own stamp is stale.
        assert!(c.check_and_insert("a", NOW + MAX_SKEW_MS, NOW));
        assert!(c.check_and_insert("b", NOW, NOW));
        c.prune(NOW + MAX_SKEW_MS);
        assert_eq!(c.len(), 2, "both still inside the window");
        assert!(!c.check_and_insert("b", NOW, NOW + MAX_SKEW_MS));
        c.prune(NOW + MAX_SKEW_MS + 1);
        assert_eq!(c.len(), 1, "b left the window");
        c.prune(NOW + 2 * MAX_SKEW_MS + 1);
        assert!(c.is_empty());
    }

    #[test]
    fn the_window_keeps_future_stamps_and_ends_after_five_minutes() {
        assert!(in_window(NOW, NOW));
        assert!(in_window(NOW + 10 * MAX_SKEW_MS, NOW));
        assert!(in_window(NOW - MAX_SKEW_MS, NOW));
        assert!(!in_window(NOW - MAX_SKEW_MS - 1, NOW));
        let mut c = NonceCache::default();
        c.check_and_insert("a", NOW, NOW);
        c.check_and_insert("b", NOW + 1, NOW);
        let mut entries: Vec<_> = c.entries().collect();
        entries.sort();
        assert_eq!(entries, vec![(NOW, "a"), (NOW + 1, "b")]);
    }
}
