//! Short-lived WebSocket tokens: one per user and session, valid for [`WS_TOKEN_TTL_MS`]. The
//! browser gets the token over an authenticated REST call and presents it when it opens the
//! session's socket; the control plane stores only its SHA-256.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a WebSocket token is valid after it is issued.
pub const WS_TOKEN_TTL_MS: i64 = 5 * 60 * 1000;

/// A stored WebSocket token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsTokenRecord {
    /// [`sha256_hex`] of the token.
    pub hash: String,
    pub user_id: String,
    pub session_id: String,
    pub expires_at_ms: i64,
}

impl WsTokenRecord {
    /// The record for a token just issued at `now_ms`.
    pub fn issued(token: &str, user_id: &str, session_id: &str, now_ms: i64) -> WsTokenRecord {
        WsTokenRecord {
            hash: sha256_hex(token),
            user_id: user_id.to_string(),
            session_id: session_id.to_string(),
            expires_at_ms: now_ms.saturating_add(WS_TOKEN_TTL_MS),
        }
    }
}

refusal! {
    /// A refused WebSocket token.
    TokenDenied => Unauthorized
}

/// SHA-256 of `s`, lowercase hex. Tokens are stored only as this.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn denied(message: &str) -> Result<(), TokenDenied> {
    Err(TokenDenied { message: message.to_string() })
}

/// Checks a presented token (by its hash) against the record found for it: it must exist,
/// match, be for this session and not have expired.
pub fn check_ws_token(
    record: Option<&WsTokenRecord>,
    presented_hash: &str,
    session_id: &str,
    now_ms: i64,
) -> Result<(), TokenDenied> {
    let Some(record) = record.filter(|r| constant_time_eq(&r.hash, presented_hash)) else {
        return denied("the WebSocket token is not known; ask for a new one");
    };
    if record.session_id != session_id {
        return denied("the WebSocket token is for another session");
    }
    if now_ms >= record.expires_at_ms {
        return denied("the WebSocket token has expired; ask for a new one");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::{ApiError, ErrorCode};

    const NOW: i64 = 1_800_000_000_000;
    const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn sha256_hex_is_lowercase_hex_sha256() {
        assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn constant_time_eq_table() {
        let cases =
            [("", "", true), ("abc", "abc", true), ("abc", "abd", false), ("abc", "ab", false), ("", "a", false)];
        for (a, b, expected) in cases {
            assert_eq!(constant_time_eq(a, b), expected, "{a:?} {b:?}");
        }
    }

    #[test]
    fn issued_records_hash_the_token_and_expire_after_the_ttl() {
        let record = WsTokenRecord::issued(TOKEN, "usr_1", "ses_1", NOW);
        assert_eq!(record.hash, sha256_hex(TOKEN));
        assert_ne!(record.hash, TOKEN);
        assert_eq!(record.expires_at_ms, NOW + WS_TOKEN_TTL_MS);
        assert_eq!((record.user_id.as_str(), record.session_id.as_str()), ("usr_1", "ses_1"));
    }

    #[test]
    fn check_table() {
        let record = WsTokenRecord::issued(TOKEN, "usr_1", "ses_1", NOW);
        let hash = sha256_hex(TOKEN);
        let unknown = "the WebSocket token is not known; ask for a new one";
        let other = "the WebSocket token is for another session";
        let expired = "the WebSocket token has expired; ask for a new one";
        // (name, record, presented hash, session, now, expected)
        type Case<'a> = (&'a str, Option<&'a WsTokenRecord>, &'a str, &'a str, i64, Result<(), &'a str>);
        let cases: [Case; 9] = [
            ("valid", Some(&record), &hash, "ses_1", NOW, Ok(())),
            ("valid until the last ms", Some(&record), &hash, "ses_1", NOW + WS_TOKEN_TTL_MS - 1, Ok(())),
            ("no record", None, &hash, "ses_1", NOW, Err(unknown)),
            ("another hash", Some(&record), &sha256_hex("other"), "ses_1", NOW, Err(unknown)),
            ("the token itself, not its hash", Some(&record), TOKEN, "ses_1", NOW, Err(unknown)),
            ("empty hash", Some(&record), "", "ses_1", NOW, Err(unknown)),
            ("another session", Some(&record), &hash, "ses_2", NOW, Err(other)),
            ("expired", Some(&record), &hash, "ses_1", NOW + WS_TOKEN_TTL_MS, Err(expired)),
            ("other session and expired", Some(&record), &hash, "ses_2", NOW + WS_TOKEN_TTL_MS, Err(other)),
        ];
        for (name, record, presented, session, now, expected) in cases {
            let result = check_ws_token(record, presented, session, now);
            assert_eq!(result.as_ref().map_err(|d| d.message.as_str()), expected.as_ref().map_err(|m| *m), "{name}");
            if let Err(denied) = result {
                assert_eq!(ApiError::from(denied).code, ErrorCode::Unauthorized);
            }
        }
    }
}
