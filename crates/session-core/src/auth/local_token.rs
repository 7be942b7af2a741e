//! Local mode's credential. `scripts/run` makes a token for each run and prints a link with it
//! (the way Jupyter does); the browser trades it for a web-session cookie signed with a key
//! derived from the token, and API callers send it as `Authorization: Bearer`. A request with
//! neither is refused: local mode no longer means "no credential = the local admin", so nothing
//! else on the machine (a sandbox, a web page in another tab) acts as the admin.
//!
//! Invariant: the token is compared in constant time and never stored; a new run (a new token)
//! ends every cookie the previous run issued.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::tokens::constant_time_eq;
use super::web_session::SigningKeys;

/// The shortest token accepted: 32 hex digits (128 bits). `scripts/run` makes 64.
pub const MIN_LOCAL_TOKEN_CHARS: usize = 32;

/// The key id of web sessions issued in local mode.
pub const LOCAL_KEY_ID: &str = "local";

/// Why a local credential was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalTokenError {
    /// The control plane has no token (it was not started by `scripts/run` or the test kit).
    NotConfigured,
    /// The configured token is too short to be a secret.
    TooShort,
    /// The presented token is not this run's.
    Wrong,
}

impl LocalTokenError {
    pub fn message(&self) -> &'static str {
        match self {
            LocalTokenError::NotConfigured => {
                "local mode needs LOCAL_TOKEN (scripts/run sets one for each run and prints the link to open)"
            }
            LocalTokenError::TooShort => "LOCAL_TOKEN is shorter than 32 characters",
            LocalTokenError::Wrong => "that is not this run's local token: open the link scripts/run printed",
        }
    }
}

/// The configured token, if it is usable.
pub fn configured(token: Option<&str>) -> Result<&str, LocalTokenError> {
    let token = token.filter(|t| !t.is_empty()).ok_or(LocalTokenError::NotConfigured)?;
    if token.chars().count() < MIN_LOCAL_TOKEN_CHARS {
        return Err(LocalTokenError::TooShort);
    }
    Ok(token)
}

/// Whether `presented` is this run's token.
pub fn check(presented: &str, configured_token: Option<&str>) -> Result<(), LocalTokenError> {
    let token = configured(configured_token)?;
    if constant_time_eq(presented, token) {
        Ok(())
    } else {
        Err(LocalTokenError::Wrong)
    }
}

/// The key that signs local web sessions, derived from the run's token.
pub fn signing_keys(token: &str) -> SigningKeys {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"open-inspect local web sessions v1");
    SigningKeys { current: (LOCAL_KEY_ID.to_string(), mac.finalize().into_bytes().to_vec()), previous: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn only_this_runs_token_passes() {
        let cases: &[(&str, Option<&str>, Result<(), LocalTokenError>)] = &[
            (TOKEN, Some(TOKEN), Ok(())),
            ("0123456789abcdef0123456789abcdef0123456789abcdeX", Some(TOKEN), Err(LocalTokenError::Wrong)),
            ("", Some(TOKEN), Err(LocalTokenError::Wrong)),
            (TOKEN, None, Err(LocalTokenError::NotConfigured)),
            (TOKEN, Some(""), Err(LocalTokenError::NotConfigured)),
            ("short", Some("short"), Err(LocalTokenError::TooShort)),
        ];
        for (presented, configured, want) in cases {
            assert_eq!(&check(presented, *configured), want, "{presented:?} against {configured:?}");
        }
    }

    #[test]
    fn each_run_signs_with_its_own_key() {
        let a = signing_keys(TOKEN);
        let b = signing_keys("fedcba9876543210fedcba9876543210fedcba9876543210");
        assert_eq!(a.current.0, LOCAL_KEY_ID);
        assert_ne!(a.current.1, b.current.1);
        assert_eq!(a.current.1, signing_keys(TOKEN).current.1, "the same run, the same key");
        assert_ne!(a.current.1, TOKEN.as_bytes(), "not the token itself");
    }
}
