//! The web session: an HS256 JWT in a cookie, signed with the current key and named by its `kid`
//! so a previous key keeps verifying during rotation.
//!
//! jsonwebtoken checks only the shape, the algorithm and the signature: its clock checks are off
//! (it must never read the clock inside the Worker) and every time is checked here against the
//! `now_secs` the caller passes.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use oi_protocol::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

use super::access::Role;

/// The claims of a web session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebClaims {
    /// The user id.
    pub sub: String,
    /// GitHub login.
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
    pub aud: String,
    pub iss: String,
    /// A unique id for this token (for revocation lists and logs).
    pub jti: String,
    /// When the person signed in, seconds since the Unix epoch: rotation never carries a
    /// session past [`MAX_SESSION_AGE_SECS`] from it. (0 in tokens from before it existed:
    /// `iat` stands in.)
    #[serde(default)]
    pub auth_time: i64,
}

impl WebClaims {
    /// When the person signed in.
    pub fn signed_in_at(&self) -> i64 {
        if self.auth_time > 0 {
            self.auth_time
        } else {
            self.iat
        }
    }
}

/// The audience of web session tokens.
pub const WEB_AUDIENCE: &str = "open-inspect-web";
/// The issuer of every token the control plane signs.
pub const ISSUER: &str = "open-inspect";
/// How long a web session lasts.
pub const SESSION_TTL_SECS: i64 = 8 * 3600;
/// How old a web session may be before it is re-issued.
pub const ROTATE_AFTER_SECS: i64 = 3600;
/// How long after signing in a session may be rotated: then the person signs in again.
pub const MAX_SESSION_AGE_SECS: i64 = 7 * 24 * 3600;
/// How far in the future `iat` may be (clock skew between isolates).
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;

/// The signing keys: `(kid, secret)`. New tokens are signed with `current`; `previous` only
/// verifies, so tokens signed before a rotation stay valid until they expire.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeys {
    pub current: (String, Vec<u8>),
    pub previous: Option<(String, Vec<u8>)>,
}

impl std::fmt::Debug for SigningKeys {
    /// Names the keys, never shows the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("current", &self.current.0)
            .field("previous", &self.previous.as_ref().map(|(kid, _)| kid))
            .finish()
    }
}

impl SigningKeys {
    /// The secret for `kid`, from the current key or the previous one.
    fn secret(&self, kid: &str) -> Option<&[u8]> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|(k, _)| k == kid)
            .map(|(_, secret)| secret.as_slice())
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWT, not HS256-shaped, or claims of the wrong shape.
    Malformed,
    /// The signature does not match (or the token claims another algorithm).
    BadSignature,
    /// No `kid`, or one this deployment does not have (any more).
    UnknownKey,
    Expired,
    /// `iat` is more than [`MAX_CLOCK_SKEW_SECS`] in the future.
    NotYetValid,
    WrongAudience,
    WrongIssuer,
    /// Signed in more than [`MAX_SESSION_AGE_SECS`] ago.
    TooOld,
}

impl TokenError {
    pub fn message(&self) -> &'static str {
        match self {
            TokenError::Malformed => "the session token is malformed; sign in again",
            TokenError::BadSignature => "the session token's signature is not valid; sign in again",
            TokenError::UnknownKey => {
                "the session token was signed with a key this deployment no longer uses; sign in again"
            }
            TokenError::Expired => "the session has expired; sign in again",
            TokenError::NotYetValid => {
                "the session token was issued in the future; check the server's clock and sign in again"
            }
            TokenError::WrongAudience => "the token is not meant for this service; sign in again",
            TokenError::WrongIssuer => "the token was not issued by this deployment; sign in again",
            TokenError::TooOld => "the session began more than 7 days ago; sign in again",
        }
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for TokenError {}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        ApiError::new(ErrorCode::Unauthorized, error.message())
    }
}

/// Signs `claims` with the current key; the header names the key (`kid`).
pub fn issue(claims: &WebClaims, keys: &SigningKeys) -> String {
    let (kid, secret) = &keys.current;
    let header = Header { kid: Some(kid.clone()), ..Header::new(Algorithm::HS256) };
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret))
        .expect("HS256 takes any key and these claims always serialize")
}

/// The claims of an HS256 token signed with `secret`, with no time or claim checked (no clock
/// inside jsonwebtoken: the caller checks every claim against the `now` it was given). The
/// error is whether the signature (or algorithm) was wrong, as opposed to a malformed token.
pub fn decode_hs256<T: serde::de::DeserializeOwned>(token: &str, secret: &[u8]) -> Result<T, bool> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.leeway = 0;
    jsonwebtoken::decode::<T>(token, &DecodingKey::from_secret(secret), &validation).map(|d| d.claims).map_err(|e| {
        matches!(
            e.kind(),
            jsonwebtoken::errors::ErrorKind::InvalidSignature | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
        )
    })
}

/// Checks a token's signature, issuer, audience and times; returns its claims.
pub fn verify(token: &str, keys: &SigningKeys, audience: &str, now_secs: i64) -> Result<WebClaims, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if header.alg != Algorithm::HS256 {
        return Err(TokenError::BadSignature);
    }
    let secret = header.kid.as_deref().and_then(|kid| keys.secret(kid)).ok_or(TokenError::UnknownKey)?;

    let claims: WebClaims = decode_hs256(token, secret).map_err(|bad_signature| {
        if bad_signature {
            TokenError::BadSignature
        } else {
            TokenError::Malformed
        }
    })?;

    if claims.iss != ISSUER {
        return Err(TokenError::WrongIssuer);
    }
    if claims.aud != audience {
        return Err(TokenError::WrongAudience);
    }
    if claims.iat > now_secs.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(TokenError::NotYetValid);
    }
    if now_secs >= claims.exp {
        return Err(TokenError::Expired);
    }
    if now_secs.saturating_sub(claims.signed_in_at()) > MAX_SESSION_AGE_SECS {
        return Err(TokenError::TooOld);
    }
    Ok(claims)
}

/// Whether the session is old enough to be re-issued (with a new `iat`, `exp` and `jti`).
pub fn should_rotate(claims: &WebClaims, now_secs: i64) -> bool {
    now_secs.saturating_sub(claims.iat) > ROTATE_AFTER_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims() -> WebClaims {
        WebClaims {
            sub: "usr_1".into(),
            login: "octocat".into(),
            name: "The Octocat".into(),
            email: "octocat@example.com".into(),
            role: Role::Member,
            iat: NOW,
            exp: NOW + SESSION_TTL_SECS,
            aud: WEB_AUDIENCE.into(),
            iss: ISSUER.into(),
            jti: "jti_1".into(),
            auth_time: NOW,
        }
    }

    fn keys() -> SigningKeys {
        SigningKeys { current: ("k2".into(), b"current-secret-32-bytes-long!!!!".to_vec()), previous: None }
    }

    fn rotated() -> SigningKeys {
        SigningKeys {
            current: ("k3".into(), b"the-next-secret".to_vec()),
            previous: Some(("k2".into(), b"current-secret-32-bytes-long!!!!".to_vec())),
        }
    }

    /// base64url without padding, as in a JWT.
    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn parts(token: &str) -> Vec<String> {
        token.split('.').map(str::to_string).collect()
    }

    #[test]
    fn round_trip_and_kid() {
        let token = issue(&claims(), &keys());
        assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(), Some("k2"));
        assert_eq!(verify(&token, &keys(), WEB_AUDIENCE, NOW), Ok(claims()));
        assert_eq!(verify(&token, &keys(), WEB_AUDIENCE, NOW + SESSION_TTL_SECS - 1), Ok(claims()));
    }

    #[test]
    fn refusals() {
        let good = issue(&claims(), &keys());
        let forged =
            issue(&claims(), &SigningKeys { current: ("k2".into(), b"attacker-secret".to_vec()), previous: None });
        let tampered = {
            let p = parts(&good);
            let admin = WebClaims { role: Role::Admin, ..claims() };
            format!("{}.{}.{}", p[0], b64(&serde_json::to_vec(&admin).unwrap()), p[2])
        };
        let alg_none = {
            let header = b64(br#"{"alg":"none","typ":"JWT","kid":"k2"}"#);
            format!("{header}.{}.", b64(&serde_json::to_vec(&claims()).unwrap()))
        };
        let alg_none_signed = format!("{}.{}", alg_none.trim_end_matches('.'), parts(&good)[2]);
        let hs512 = {
            let header = Header { kid: Some("k2".into()), ..Header::new(Algorithm::HS512) };
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&keys().current.1)).unwrap()
        };
        let no_kid = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(&keys().current.1),
        )
        .unwrap();
        let unknown_kid = issue(&claims(), &SigningKeys { current: ("k9".into(), keys().current.1), previous: None });
        let not_claims = jsonwebtoken::encode(
            &Header { kid: Some("k2".into()), ..Header::new(Algorithm::HS256) },
            &serde_json::json!({"sub": "usr_1"}),
            &EncodingKey::from_secret(&keys().current.1),
        )
        .unwrap();
        let expired = issue(&WebClaims { iat: NOW - SESSION_TTL_SECS, exp: NOW, ..claims() }, &keys());
        let future = issue(&WebClaims { iat: NOW + 61, exp: NOW + 61 + SESSION_TTL_SECS, ..claims() }, &keys());
        let slightly_future = issue(&WebClaims { iat: NOW + 60, ..claims() }, &keys());
        let wrong_aud = issue(&WebClaims { aud: "open-inspect-api".into(), ..claims() }, &keys());
        let wrong_iss = issue(&WebClaims { iss: "someone-else".into(), ..claims() }, &keys());
        let too_old = issue(&WebClaims { auth_time: NOW - MAX_SESSION_AGE_SECS - 1, ..claims() }, &keys());
        let week_old = issue(&WebClaims { auth_time: NOW - MAX_SESSION_AGE_SECS, ..claims() }, &keys());

        let cases: [(&str, &str, Result<(), TokenError>); 19] = [
            ("good", &good, Ok(())),
            ("forged", &forged, Err(TokenError::BadSignature)),
            ("tampered payload", &tampered, Err(TokenError::BadSignature)),
            ("alg none", &alg_none, Err(TokenError::Malformed)),
            ("alg none with a signature", &alg_none_signed, Err(TokenError::Malformed)),
            ("HS512", &hs512, Err(TokenError::BadSignature)),
            ("no kid", &no_kid, Err(TokenError::UnknownKey)),
            ("unknown kid", &unknown_kid, Err(TokenError::UnknownKey)),
            ("claims of another shape", &not_claims, Err(TokenError::Malformed)),
            ("expired", &expired, Err(TokenError::Expired)),
            ("issued in the future", &future, Err(TokenError::NotYetValid)),
            ("within the allowed skew", &slightly_future, Ok(())),
            ("wrong audience", &wrong_aud, Err(TokenError::WrongAudience)),
            ("wrong issuer", &wrong_iss, Err(TokenError::WrongIssuer)),
            ("signed in more than a week ago", &too_old, Err(TokenError::TooOld)),
            ("signed in a week ago to the second", &week_old, Ok(())),
            ("empty", "", Err(TokenError::Malformed)),
            ("garbage", "not.a.jwt", Err(TokenError::Malformed)),
            ("two parts", "eyJhbGciOiJIUzI1NiJ9.e30", Err(TokenError::Malformed)),
        ];
        for (name, token, expected) in cases {
            assert_eq!(verify(token, &keys(), WEB_AUDIENCE, NOW).map(|_| ()), expected, "{name}");
        }
    }

    #[test]
    fn the_audience_is_the_callers() {
        let token = issue(&claims(), &keys());
        assert_eq!(verify(&token, &keys(), "open-inspect-api", NOW), Err(TokenError::WrongAudience));
    }

    #[test]
    fn the_previous_key_verifies_after_a_rotation() {
        let old = issue(&claims(), &keys());
        assert_eq!(verify(&old, &rotated(), WEB_AUDIENCE, NOW), Ok(claims()));
        let new = issue(&claims(), &rotated());
        assert_eq!(jsonwebtoken::decode_header(&new).unwrap().kid.as_deref(), Some("k3"));
        assert_eq!(verify(&new, &rotated(), WEB_AUDIENCE, NOW), Ok(claims()));
        // Once the previous key is dropped, its tokens are refused.
        assert_eq!(verify(&new, &keys(), WEB_AUDIENCE, NOW), Err(TokenError::UnknownKey));
        let dropped = SigningKeys { previous: None, ..rotated() };
        assert_eq!(verify(&old, &dropped, WEB_AUDIENCE, NOW), Err(TokenError::UnknownKey));
    }

    #[test]
    fn rotation_decision() {
        let c = claims();
        let cases = [
            (NOW, false),
            (NOW + ROTATE_AFTER_SECS, false),
            (NOW + ROTATE_AFTER_SECS + 1, true),
            (NOW + SESSION_TTL_SECS, true),
            (NOW - 30, false),
        ];
        for (now, expected) in cases {
            assert_eq!(should_rotate(&c, now), expected, "now = iat + {}", now - NOW);
        }
    }

    #[test]
    fn every_error_has_a_message() {
        let all = [
            TokenError::Malformed,
            TokenError::BadSignature,
            TokenError::UnknownKey,
            TokenError::Expired,
            TokenError::NotYetValid,
            TokenError::WrongAudience,
            TokenError::WrongIssuer,
        ];
        let messages: std::collections::HashSet<&str> = all.iter().map(TokenError::message).collect();
        assert_eq!(messages.len(), all.len());
        assert!(messages.iter().all(|m| m.ends_with("sign in again")));
        assert_eq!(ApiError::from(TokenError::Expired).code, ErrorCode::Unauthorized);
    }

    #[test]
    fn keys_do_not_show_their_secrets() {
        let shown = format!("{:?}", rotated());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("k3") && shown.contains("k2"));
    }
}
