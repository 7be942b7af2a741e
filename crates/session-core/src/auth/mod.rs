//! Identity and access decisions. The Worker does the I/O (GitHub OAuth, cookies, D1, the clock)
//! and asks these functions what to allow; nothing here reads the clock or the network.
//!
//! - [`access`]: one [`access::authorize`] for every action on the deployment or a session.
//! - [`allowlist`]: who may sign in (GitHub logins, organisations, verified email domains) and
//!   the role a new user starts with.
//! - [`web_session`]: the signed web session (an HS256 JWT with key rotation), checked against a
//!   time the caller passes in.
//! - [`tokens`]: short-lived per-user, per-session WebSocket tokens, stored only as a hash.
//! - [`origin`]: CSRF (same-origin) checks, CORS, and the guard that keeps local mode off public
//!   URLs.
//! - [`local_token`]: local mode's per-run token and the key its web sessions are signed with.
//! - [`rotation`]: renewing a web session from the deployment's current roles and allowlist.

/// A refusal type: a message, shown as is, that becomes an [`oi_protocol::ApiError`] with the
/// given code.
macro_rules! refusal {
    ($(#[$doc:meta])* $name:ident => $code:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            pub message: String,
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.message)
            }
        }

        impl std::error::Error for $name {}

        impl From<$name> for oi_protocol::ApiError {
            fn from(refused: $name) -> Self {
                oi_protocol::ApiError::new(oi_protocol::ErrorCode::$code, refused.message)
            }
        }
    };
}

pub mod access;
pub mod allowlist;
pub mod local_token;
pub mod origin;
pub mod rotation;
pub mod tokens;
pub mod web_session;

pub use access::{authorize, Action, Actor, Denied, Role, SessionFacts, Target};
